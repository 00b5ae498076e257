"""The output cache (plaintextcrm/outcache.py): a speed-up that must never change a byte.

Every test compares against the renderers run on an index built without any cache.
Notes are aged an hour first: a note written within the last two seconds is "racy" (a
second edit could keep its mtime), and then whole outputs are deliberately not cached.
"""

from __future__ import annotations

import os
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from plaintextcrm import cache, load, outcache
from plaintextcrm.config import load_config
from plaintextcrm.load import load_index
from plaintextcrm.render import ics as ics_render
from plaintextcrm.render.digest import build_digest, render_digest
from plaintextcrm.render.ics import render_ics
from plaintextcrm.writefile import write_if_changed
from tests.conftest import TODAY

NOTES = {
    "People/Anna Rossi.md": (
        "---\nbirthday: 1986-12-01\ncadence: 2w\ncircle: friends\nemail: anna@example.org\n"
        "---\n- 2026-10-02 coffee, talked about [[Bob Stone|Bob]]'s move\n"
        "- [ ] 2026-11-20 send the book\n"
    ),
    "People/Bob Stone.md": (
        "---\nbirthday: --02-29\ndates:\n  - {date: 2011-06-04, label: wedding}\n---\n"
        "- 2026-11-21 lunch #got\n- [ ] 2026-12-01 call about the flat\n"
    ),
    "People/Chen Wei.md": "---\ncadence: 1m\ncompany: Acme\nrole: CTO\n---\n",
    "People/Dana Broken.md": "---\nbirthday: 1990-02-30\n---\n",
    "Daily/2026-11-18.md": "- met [[Anna Rossi]] and [[Chen Wei]] #gave\n",
}


def age(root: Path, seconds: int = 3600) -> None:
    """Move every file's mtime into the past, out of the racy window."""
    past = time.time() - seconds
    for path in root.rglob("*"):
        if path.is_file() and ".crm" not in path.parts:
            os.utime(path, (past, past))


def edit(root: Path, rel: str, text: str) -> None:
    """Change a note as an editor would, then age it so the change is not racy."""
    (root / rel).write_text(text, encoding="utf-8")
    past = time.time() - 1800
    os.utime(root / rel, (past, past))


def fresh_feed(root: Path, today: date = TODAY) -> bytes:
    config = load_config(root)
    return render_ics(load_index(root, today, config, use_cache=False), today, config)


def fresh_digest(root: Path, fmt: str, days: int = 14, today: date = TODAY) -> str:
    from plaintextcrm.templating import vault_template_dirs

    config = load_config(root)
    index = load_index(root, today, config, use_cache=False)
    digest = build_digest(index, today, days, config)
    return render_digest(digest, fmt, vault_template_dirs(root, config.templates_dir))


def events(feed: bytes) -> set[bytes]:
    return {b"BEGIN:VEVENT" + e.split(b"END:VEVENT")[0] for e in feed.split(b"BEGIN:VEVENT")[1:]}


@pytest.fixture
def root(vault):
    root = vault(dict(NOTES))
    age(root)
    return root


@pytest.fixture
def no_index(monkeypatch):
    """Make building or loading the index fail: a run that needs it was not a memo hit."""

    def refuse(self):
        raise AssertionError("the index was built on a warm run")

    def arm():
        monkeypatch.setattr(load.Session, "index", refuse)

    return arm


def test_feed_cold_warm_and_after_an_edit_equals_the_uncached_feed(root, crm, no_index):
    first = crm(root, "ics")
    assert first.exit_code == 0 and first.stdout_bytes == fresh_feed(root)
    assert (root / ".crm" / "output-ics.cache").is_file()
    assert (root / ".crm" / outcache.EVENTS_FILE).is_file()
    no_index()
    warm = crm(root, "ics")
    assert warm.stdout_bytes == first.stdout_bytes
    assert "problems; run" in first.stderr
    # once a day per vault, whether the answer came from the memo or not
    assert warm.stderr == ""


def test_edit_after_warm_run_is_seen(root, crm):
    before = crm(root, "ics").stdout_bytes
    assert crm(root, "ics").stdout_bytes == before
    edit(root, "People/Chen Wei.md", "---\ncadence: 1m\nbirthday: 1970-05-05\n---\n")
    after = crm(root, "ics").stdout_bytes
    assert after != before and after == fresh_feed(root)
    assert b"Chen Wei's birthday" in after


def test_a_changed_note_re_renders_exactly_its_contact(root, monkeypatch):
    config = load_config(root)
    state = root / ".crm"
    state.mkdir(exist_ok=True)
    first = outcache.ics_feed(load_index(root, TODAY, config), TODAY, config, state)
    assert first == fresh_feed(root)

    rendered: list[str] = []
    real = ics_render.contact_part

    def counting(contact, today, config, root_):
        rendered.append(contact.path)
        return real(contact, today, config, root_)

    monkeypatch.setattr(ics_render, "contact_part", counting)
    assert outcache.ics_feed(load_index(root, TODAY, config), TODAY, config, state) == first
    assert rendered == []

    edit(root, "People/Bob Stone.md", NOTES["People/Bob Stone.md"].replace("wedding", "first met"))
    second = outcache.ics_feed(load_index(root, TODAY, config), TODAY, config, state)
    assert rendered == ["People/Bob Stone.md"]
    assert second == fresh_feed(root)
    gone, new = events(first) - events(second), events(second) - events(first)
    assert gone and new
    assert all(b"Bob Stone" in e for e in gone | new)


def test_a_link_in_another_note_re_renders_the_contact_it_named(root, monkeypatch):
    # One line per person: the words Anna's events quote do not change when Chen goes.
    edit(root, "Daily/2026-11-18.md", "- met [[Anna Rossi]] #gave\n- [[Chen Wei]] came too\n")
    config = load_config(root)
    state = root / ".crm"
    state.mkdir(exist_ok=True)
    outcache.ics_feed(load_index(root, TODAY, config), TODAY, config, state)
    rendered: list[str] = []
    real = ics_render.contact_part
    monkeypatch.setattr(
        ics_render, "contact_part", lambda c, *a: rendered.append(c.path) or real(c, *a)
    )
    edit(root, "Daily/2026-11-18.md", "- met [[Anna Rossi]] #gave\n")  # Chen no longer
    feed = outcache.ics_feed(load_index(root, TODAY, config), TODAY, config, state)
    assert rendered == ["People/Chen Wei.md"]
    assert feed == fresh_feed(root)


def test_another_day_or_config_is_not_served_from_the_cache(root, crm):
    crm(root, "ics")
    tomorrow = TODAY + timedelta(days=1)
    assert crm(root, "ics", today=tomorrow).stdout_bytes == fresh_feed(root, tomorrow)
    (root / "crm.toml").write_text('[ics]\ncalendar_name = "Mine"\n', encoding="utf-8")
    age(root)
    out = crm(root, "ics").stdout_bytes
    assert b"X-WR-CALNAME:Mine" in out and out == fresh_feed(root)


@pytest.mark.parametrize("damage", ["garbage", "truncate", "flip", "empty", "folder"])
def test_a_corrupt_output_cache_is_ignored_and_replaced(root, crm, damage):
    good = crm(root, "ics").stdout_bytes
    crm(root, "digest")
    for name in ("output-ics.cache", outcache.EVENTS_FILE, "output-digest.cache"):
        path = root / ".crm" / name
        data = path.read_bytes()
        if damage == "garbage":
            path.write_bytes(b"not a cache at all")
        elif damage == "truncate":
            path.write_bytes(data[: len(data) // 2])
        elif damage == "flip":
            path.write_bytes(data[:-40] + bytes([data[-40] ^ 0xFF]) + data[-39:])
        elif damage == "empty":
            path.write_bytes(b"")
        else:
            path.unlink()
            path.mkdir()
    result = crm(root, "ics")
    assert result.exit_code == 0 and result.stdout_bytes == good
    assert "Traceback" not in result.stderr and "error" not in result.stderr
    digest = crm(root, "digest")
    assert digest.exit_code == 0 and digest.stdout.rstrip("\n") == fresh_digest(root, "md").rstrip(
        "\n"
    )
    if damage != "folder":  # rebuilt: the next run is a memo hit again
        assert cache.read_one(
            root / ".crm", "output-ics.cache", cache.output_stamp(load_config(root).fingerprint())
        )


def test_a_new_stamp_ignores_the_old_outputs(root, crm, monkeypatch):
    crm(root, "ics")
    assert crm(root, "ics").stdout_bytes == fresh_feed(root)
    # A renderer that changed without a new stamp would be served the old feed; with a
    # new stamp (another version or source), both caches are ignored.
    monkeypatch.setattr(ics_render, "PRODID", "-//test//changed renderer//EN")
    monkeypatch.setattr(cache, "FORMAT", cache.FORMAT + 1)
    out = crm(root, "ics").stdout_bytes
    assert b"PRODID:-//test//changed renderer//EN" in out and out == fresh_feed(root)


@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_digest_cold_warm_and_after_an_edit_equals_uncached(root, crm, no_index, fmt):
    expected = fresh_digest(root, fmt)
    cold = crm(root, "digest", "--format", fmt)
    assert cold.exit_code == 0
    assert cold.stdout == expected + ("" if expected.endswith("\n") else "\n")
    edit(root, "People/Chen Wei.md", "---\ncadence: 1w\n---\n- 2026-11-22 call #gave\n")
    changed = crm(root, "digest", "--format", fmt)
    assert changed.stdout != cold.stdout
    assert changed.stdout.rstrip("\n") == fresh_digest(root, fmt).rstrip("\n")
    no_index()
    warm = crm(root, "digest", "--format", fmt)
    assert warm.stdout == changed.stdout
    assert "problems; run" in cold.stderr and warm.stderr == ""  # said once a day
    other = crm(root, "digest", "--format", fmt, "--days", "60")  # not a cached key
    assert other.exit_code == 1 and "index was built" in other.stderr  # it needed the index


def test_digest_template_override_invalidates_the_memo(root, crm):
    first = crm(root, "digest", "--format", "txt").stdout
    templates = root / ".crm" / "templates"
    templates.mkdir(parents=True)
    (templates / "digest.txt.j2").write_text("custom {{ summary }}\n", encoding="utf-8")
    second = crm(root, "digest", "--format", "txt").stdout
    assert second != first and second.startswith("custom ")
    (templates / "digest.txt.j2").write_text("changed {{ summary }}\n", encoding="utf-8")
    later = time.time() + 5  # a new mtime even on a coarse clock
    os.utime(templates / "digest.txt.j2", (later, later))
    assert crm(root, "digest", "--format", "txt").stdout.startswith("changed ")


def test_quiet_if_empty_from_the_memo(vault, crm):
    root = vault({"People/Quiet.md": "---\ncadence: 1m\n---\n- 2026-11-20 call\n"})
    age(root)
    for _ in range(2):  # cold, then from the memo
        result = crm(root, "digest", "--quiet-if-empty")
        assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""


def test_racy_notes_are_rendered_but_not_memoised(vault, crm):
    root = vault(dict(NOTES))  # just written: inside the racy window
    out = crm(root, "ics").stdout_bytes
    assert out == fresh_feed(root)
    assert not (root / ".crm" / "output-ics.cache").exists()


def test_without_a_state_folder_nothing_is_cached(root, tmp_path):
    config = load_config(root)
    index = load_index(root, TODAY, config, use_cache=False)
    assert outcache.ics_feed(index, TODAY, config, None) == fresh_feed(root)
    missing = tmp_path / "no" / "such" / "folder"  # writes fail: silently uncached
    assert outcache.ics_feed(index, TODAY, config, missing) == fresh_feed(root)
    assert not missing.exists()
    memo = cache.Memo(None, ("x",), TODAY, b"")
    assert memo.get_or_compute("ics", ("k",), lambda: b"a") == b"a"
    assert memo.get_or_compute("ics", ("k",), lambda: b"b") == b"b"


def test_memo_keys_and_vault_states_are_separate(tmp_path):
    memo = cache.Memo(tmp_path, ("vault", 1), TODAY, b"stamp")
    assert memo.get_or_compute("digest", ("md", 14), lambda: "md14") == "md14"
    assert memo.get_or_compute("digest", ("md", 7), lambda: "md7") == "md7"
    assert memo.get_or_compute("digest", ("md", 14), lambda: "again") == "md14"
    changed = cache.Memo(tmp_path, ("vault", 2), TODAY, b"stamp")
    assert changed.get_or_compute("digest", ("md", 14), lambda: "new") == "new"
    other_stamp = cache.Memo(tmp_path, ("vault", 2), TODAY, b"other")
    assert other_stamp.get_or_compute("digest", ("md", 14), lambda: "fresh") == "fresh"


def test_feed_to_a_file_is_only_rewritten_when_it_changed(root, crm, tmp_path):
    target = tmp_path / "out.ics"
    assert crm(root, "ics", "-o", str(target)).exit_code == 0
    assert target.read_bytes() == fresh_feed(root)
    inode, mtime = target.stat().st_ino, target.stat().st_mtime_ns
    assert crm(root, "ics", "-o", str(target)).exit_code == 0
    assert (target.stat().st_ino, target.stat().st_mtime_ns) == (inode, mtime)


def test_digest_file_is_only_rewritten_when_it_changed(root, crm, tmp_path):
    target = tmp_path / "d.html"
    assert crm(root, "digest", "--format", "html", "-o", str(target)).exit_code == 0
    inode = target.stat().st_ino
    assert crm(root, "digest", "--format", "html", "-o", str(target)).exit_code == 0
    assert target.stat().st_ino == inode
    assert target.read_text(encoding="utf-8") == fresh_digest(root, "html")


def test_write_if_changed_follows_symlinks_and_names_the_file(tmp_path):
    real = tmp_path / "real.ics"
    link = tmp_path / "link.ics"
    link.symlink_to(real)
    assert write_if_changed(link, b"one") is True
    assert link.is_symlink() and real.read_bytes() == b"one"
    assert write_if_changed(link, b"one") is False
    from plaintextcrm.errors import WriteError

    with pytest.raises(WriteError, match=r"cannot write .*: it is a folder"):
        write_if_changed(tmp_path, b"x")
    with pytest.raises(WriteError, match=r"cannot write .*missing.*: "):
        write_if_changed(tmp_path / "missing" / "f.ics", b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.ics", "real.ics"]


def test_contact_keys_are_one_per_contact_and_follow_the_data(root):
    config = load_config(root)
    index = load_index(root, TODAY, config, use_cache=False)
    keys = outcache.contact_keys(index)
    assert len(keys) == len(index.contacts) == len(set(keys))
    edit(root, "People/Chen Wei.md", "---\ncadence: 1w\n---\n")
    again = outcache.contact_keys(load_index(root, TODAY, config, use_cache=False))
    changed = [c.path for c, a, b in zip(index.contacts, keys, again, strict=True) if a != b]
    assert changed == ["People/Chen Wei.md"]


def test_an_output_of_another_size_is_replaced_without_reading_it(tmp_path, monkeypatch):
    from plaintextcrm import writefile

    out = tmp_path / "feed.ics"
    assert write_if_changed(out, b"one") is True
    reads: list[object] = []
    real = writefile.read_regular
    monkeypatch.setattr(writefile, "read_regular", lambda p: reads.append(p) or real(p))
    assert write_if_changed(out, b"three") is True  # another size: not read
    assert reads == [] and out.read_bytes() == b"three"
    assert write_if_changed(out, b"three") is False  # the same size: read and compared
    assert write_if_changed(out, b"thr33") is True
    assert len(reads) == 2 and out.read_bytes() == b"thr33"
