"""The index cache in `.crm/` (SPEC 10): reused when valid, rebuilt when not, never wrong."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import TODAY, write_vault
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plaintextcrm import cache, load, pool
from plaintextcrm.config import load_config
from plaintextcrm.load import Session, load_index
from plaintextcrm.reminders import feed_reminders

PAST = time.time() - 3600

FILES = {
    "People/Anna Rossi.md": (
        "---\nbirthday: 1990-11-30\ncircle: close\naliases: [Annie]\n---\n"
        "- 2026-10-01 coffee #gave\n- [ ] 2026-11-25 send the book\n"
    ),
    "People/Bo Chen.md": "---\ncadence: 2w\nbirthday: 1990-02-30\n---\n- 2026-09-01 call\n",
    "People/Nicolò.md": "---\ncircle: inner\n---\n",
    "Daily/2026-11-20.md": "Lunch with [[Annie]] and [[Bo Chen]].\n- [ ] 2026-11-24 ask [[Nicolo]]\n",
    "Notes/misc.md": "- 2026-11-01 met [[Anna Rossi|Anna]] #got\n",
}


def age(root: Path, when: float = PAST) -> None:
    """Backdate every note, so that none is too fresh to trust by its mtime."""
    for path in root.rglob("*.md"):
        os.utime(path, (when, when))


def make(vault, files=FILES) -> Path:
    root = vault(dict(files))
    age(root)
    return root


def session(root: Path, **kw) -> Session:
    return Session(root, load_config(root), TODAY, **kw)


def fresh_index(root: Path):
    return load_index(root, TODAY, use_cache=False)


def test_second_run_parses_nothing_and_gives_the_same_index(vault):
    root = make(vault)
    first = session(root)
    assert first.index() == fresh_index(root)
    assert first.parsed_count == len(FILES)
    assert (root / ".crm" / cache.PARSED_FILE).is_file()
    assert (root / ".crm" / ".gitignore").read_text() == "*\n"
    second = session(root)
    assert second.index() == fresh_index(root)
    assert second.parsed_count == 0


def test_unchanged_vault_reuses_the_built_index(vault, monkeypatch):
    root = make(vault)
    expected = session(root).index()
    import plaintextcrm.index as index_module

    monkeypatch.setattr(index_module, "build", lambda *a: pytest.fail("rebuilt"))
    assert session(root).index() == expected
    # another day: the index is built again (a `last_contact` may now be in the past)
    monkeypatch.undo()
    other = Session(root, load_config(root), TODAY.replace(day=24))
    assert other.index() == load_index(root, TODAY.replace(day=24), use_cache=False)
    assert other.parsed_count == 0  # ... from the per-note cache


@pytest.mark.parametrize("drop_index", [False, True])
def test_cache_hit_never_calls_the_parser(vault, monkeypatch, drop_index):
    root = make(vault)
    session(root).index()
    if drop_index:  # the per-note cache alone must avoid parsing too
        (root / ".crm" / cache.INDEX_FILE).unlink()
    calls = []
    import plaintextcrm.parse as parse

    real = parse.parse_note
    monkeypatch.setattr(parse, "parse_note", lambda *a: calls.append(a[0]) or real(*a))
    session(root).index()
    assert calls == []


def test_only_changed_and_new_notes_are_parsed_and_deleted_ones_dropped(vault):
    root = make(vault)
    session(root).index()
    anna = root / "People/Anna Rossi.md"
    anna.write_text(anna.read_text() + "- 2026-11-10 walk\n", encoding="utf-8")
    (root / "People/Dan.md").write_text("---\ncadence: 1m\n---\n", encoding="utf-8")
    (root / "Notes/misc.md").unlink()
    age(root, PAST + 60)
    s = session(root)
    index = s.index()
    assert s.parsed_count == 5  # every mtime moved; next: only the one we touch
    assert index == fresh_index(root)
    assert "Dan" in [c.name for c in index.contacts]
    anna_c = next(c for c in index.contacts if c.name == "Anna Rossi")
    assert "walk" in [i.text for i in anna_c.interactions]
    assert not any(i.path == "Notes/misc.md" for i in anna_c.interactions)

    bo = root / "People/Bo Chen.md"
    bo.write_text("---\ncadence: 3w\n---\n", encoding="utf-8")
    os.utime(bo, (PAST + 120, PAST + 120))
    s = session(root)
    assert s.index() == fresh_index(root)
    assert s.parsed_count == 1
    payload = load.read_parsed(root / ".crm", s._stamp)
    assert sorted(payload) == sorted(str(p.relative_to(root)) for p in root.rglob("*.md"))


def test_same_size_new_mtime_is_parsed_again(vault):
    root = make(vault)
    session(root).index()
    bo = root / "People/Bo Chen.md"
    text = bo.read_text()
    bo.write_text(text.replace("2w", "3w"), encoding="utf-8")  # same size
    os.utime(bo, (PAST + 5, PAST + 5))
    index = session(root).index()
    assert next(c for c in index.contacts if c.name == "Bo Chen").cadence.raw == "3w"


def test_a_note_written_just_now_is_not_trusted_next_time(vault):
    root = make(vault)
    (root / "People/Eve.md").write_text("---\ncadence: 1m\n---\n", encoding="utf-8")  # now
    session(root).index()
    s = session(root)
    s.index()
    assert s.parsed_count == 1  # too fresh: a same-tick rewrite would keep size and mtime


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:-10] + b"\xff" * 10,  # corrupt payload
        lambda data: b"",  # empty
        lambda data: b"PK\x03\x04 not ours at all",  # foreign
        lambda data: data.replace(b"plaintextcrm-cache", b"plaintextcrm-cachf"),  # bad magic
    ],
)
def test_a_damaged_cache_is_rebuilt_silently(vault, crm, damage):
    root = make(vault)
    expected = crm(root, "due", "--json").stdout
    for name in (cache.PARSED_FILE, cache.INDEX_FILE, cache.RESULTS_FILE):
        path = root / ".crm" / name
        path.write_bytes(damage(path.read_bytes()))
    s = session(root)
    assert s.index() == fresh_index(root)
    assert s.parsed_count == len(FILES)
    result = crm(root, "due", "--json")
    assert result.exit_code == 0
    assert result.stdout == expected
    assert "error" not in result.stderr
    s = session(root)
    s.index()
    assert s.parsed_count == 0


def test_a_cache_from_another_version_or_config_is_not_trusted(vault, monkeypatch):
    root = make(vault)
    session(root).index()
    monkeypatch.setattr(cache, "__version__", "0.0.0-other")
    s = session(root)
    s.index()
    assert s.parsed_count == len(FILES)
    monkeypatch.undo()
    session(root).index()
    (root / "crm.toml").write_text('[circles]\ninner = "1w"\n', encoding="utf-8")
    s = session(root)
    index = s.index()
    assert s.parsed_count == len(FILES)
    assert index == fresh_index(root)
    # `close` is no longer a circle: the parse-time warning must appear, not a stale parse
    assert any("circle" in p.message and p.path.startswith("People/Anna") for p in index.problems)


def test_a_cache_entry_of_the_wrong_shape_is_parsed_again(vault):
    root = make(vault)
    s = session(root)
    s.index()
    payload = load.read_parsed(root / ".crm", s._stamp)
    rel = "People/Anna Rossi.md"
    size, mtime, _, racy = payload[rel]
    payload[rel] = (size, mtime, b"\xffnonsense", racy)
    payload["People/Bo Chen.md"] = 42
    objects = [(k, *v) if isinstance(v, tuple) else (k, v) for k, v in payload.items()]
    cache.write(root / ".crm", cache.PARSED_FILE, s._stamp, [objects[:2], objects[2:]])
    (root / ".crm" / cache.INDEX_FILE).unlink()
    s = session(root)
    assert s.index() == fresh_index(root)
    assert s.parsed_count == 2


def test_unwritable_state_folder_works_without_cache(vault, crm):
    root = make(vault)
    (root / ".crm").write_text("a file, not a folder", encoding="utf-8")
    expected = crm(root, "due", "--json")
    s = session(root)
    assert s.index() == fresh_index(root)
    assert expected.exit_code == 0
    assert "error" not in expected.stderr
    assert json.loads(expected.stdout)
    assert (root / ".crm").read_text() == "a file, not a folder"


def test_failing_writes_are_silent(vault, crm, monkeypatch):
    root = make(vault)

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache.tempfile, "mkstemp", refuse)
    result = crm(root, "due", "--json")
    assert result.exit_code == 0
    assert not (root / ".crm" / cache.PARSED_FILE).exists()
    assert list((root / ".crm").glob("*.tmp")) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_vault(vault, crm):
    root = make(vault)
    expected = fresh_index(root)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        assert session(root).index() == expected
        assert crm(root, "due").exit_code == 0
    finally:
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_result_cache_is_reused_and_keyed_by_vault_today_and_arguments(vault, crm, monkeypatch):
    root = make(vault)
    first = crm(root, "due", "--json", "--days", "30").stdout
    calls = []
    real = load.Session.index
    monkeypatch.setattr(load.Session, "index", lambda self: calls.append(1) or real(self))
    assert crm(root, "due", "--json", "--days", "30").stdout == first
    assert calls == []  # served from results.cache without building the index
    assert crm(root, "due", "--json", "--days", "2").stdout != first
    assert calls  # a different window: computed
    later = crm(root, "due", "--json", "--days", "30", today=TODAY.replace(day=28)).stdout
    assert later != first
    (root / "People/Bo Chen.md").write_text("---\ncadence: never\n---\n", encoding="utf-8")
    age(root, PAST + 30)
    changed = crm(root, "due", "--json", "--days", "30").stdout
    assert changed != first and "Bo Chen" not in changed


def test_the_problem_line_comes_once_a_day_also_from_the_result_cache(vault, crm):
    root = make(vault)
    first = crm(root, "due")
    second = crm(root, "due")
    assert first.stderr == "crm: 1 note has problems; run `crm check`\n"
    assert second.stderr == "" and second.stdout == first.stdout  # said already today
    tomorrow = crm(root, "due", today=TODAY + timedelta(days=1))
    assert tomorrow.stderr == first.stderr


def test_process_pool_gives_the_same_index_as_serial(vault, monkeypatch):
    files = dict(FILES)
    for i in range(40):
        files[f"People/P{i}.md"] = f"---\nbirthday: 1980-01-{i % 28 + 1:02d}\n---\n- 2026-01-01 x\n"
        files[f"Daily/2026-10-{i % 28 + 1:02d} m{i}.md"] = f"[[P{i}]] and [[Annie]]\n"
    root = make(vault, files)
    serial = fresh_index(root)
    monkeypatch.setattr(pool, "POOL_THRESHOLD", 1)
    monkeypatch.setattr(cache, "CHUNK", 7)  # cache files of many chunks read back whole
    monkeypatch.setenv("CRM_JOBS", "3")
    s = session(root)
    assert s.index() == serial
    assert s.parsed_count == len(files)
    assert session(root).index() == serial  # and what the pool cached reads back the same
    (root / ".crm" / cache.INDEX_FILE).unlink()
    again = session(root)
    assert again.index() == serial
    assert again.parsed_count == 0


def test_crm_jobs_1_turns_the_pool_off(vault, monkeypatch):
    files = {f"People/P{i}.md": "---\ncadence: 1w\n---\n" for i in range(5)}
    root = make(vault, files)
    monkeypatch.setattr(pool, "POOL_THRESHOLD", 1)
    monkeypatch.setenv("CRM_JOBS", "1")
    monkeypatch.setattr(pool, "_parse_parallel", lambda *a: pytest.fail("pool used"))
    assert session(root).index() == fresh_index(root)
    monkeypatch.setenv("CRM_JOBS", "many")  # not a number: the cores decide
    assert pool.workers_available() >= 1


def test_concurrent_runs_never_corrupt_the_cache(vault):
    files = dict(FILES)
    for i in range(150):
        files[f"People/P{i}.md"] = f"---\ncadence: {i % 9 + 1}w\n---\n- 2026-0{i % 9 + 1}-01 x\n"
    root = make(vault, files)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    cmd = [sys.executable, "-m", "plaintextcrm", "--vault", str(root), "--today", "2026-11-23"]
    procs = []
    for i in range(6):
        # touch notes between starts, so runs disagree about what changed
        (root / f"People/P{i}.md").write_text(f"---\ncadence: {i + 1}d\n---\n", encoding="utf-8")
        os.utime(root / f"People/P{i}.md", (PAST + i + 1, PAST + i + 1))
        procs.append(subprocess.Popen([*cmd, "due", "--json"], env=env, stdout=subprocess.PIPE))
    outs = [p.communicate()[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert all(json.loads(o) for o in outs)
    s = session(root)
    assert s.index() == fresh_index(root)
    assert len(load.read_parsed(root / ".crm", s._stamp)) == len(files)
    assert list((root / ".crm").glob("*.tmp")) == []
    final = subprocess.run([*cmd, "due", "--json"], env=env, capture_output=True, check=True)
    shutil.rmtree(root / ".crm")
    nocache = subprocess.run([*cmd, "due", "--json"], env=env, capture_output=True, check=True)
    assert final.stdout == nocache.stdout


def test_codec_round_trips_every_field(vault):
    root = make(vault)
    index_notes, _ = session(root, use_cache=False)._parsed_notes()
    for note in index_notes:
        assert cache.decode_note(cache.encode_note(note)) == note
        assert cache.load_note(cache.dump_note(note)) == note
    index = fresh_index(root)
    assert index.contacts and index.problems
    for contact in index.contacts:
        assert cache.decode_contact(cache.encode_contact(contact)) == contact
    reminders = feed_reminders(index, TODAY)
    assert (
        reminders
        and [cache.decode_reminder(cache.encode_reminder(r)) for r in reminders] == reminders
    )


NAMES = st.sampled_from(["Anna", "Bo", "Nicolò", "Zoë", "anna"])
LINES = st.one_of(
    st.builds(lambda d, n: f"- 2026-{d:02d}-01 saw [[{n}]] #gave", st.integers(1, 12), NAMES),
    st.builds(lambda d, n: f"- [ ] 2026-11-{d:02d} call [[{n}]]", st.integers(1, 28), NAMES),
    st.sampled_from(["text", "---", "birthday: 1990-02-30", "- [x] done", "- 2026-13-01 bad"]),
)
NOTE = st.tuples(
    st.sampled_from(["People/", "Daily/2026-11-0", "Notes/"]),
    NAMES,
    st.sampled_from(
        [
            "",
            "---\ncircle: close\n---\n",
            "---\nbirthday: 1990-05-01\ncadence: 2w\n---\n",
            "---\n: [\n---\n",
        ]
    ),
    st.lists(LINES, max_size=4),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(notes=st.lists(NOTE, max_size=6), edits=st.lists(st.integers(0, 5), max_size=3))
def test_cached_index_equals_uncached(tmp_path_factory, notes, edits):
    root = tmp_path_factory.mktemp("v")
    (root / "crm.toml").write_text("", encoding="utf-8")
    files = {}
    for i, (folder, name, head, lines) in enumerate(notes):
        stem = f"{i}" if folder.startswith("Daily") else f"{name}{i}"
        files[f"{folder}{stem}.md"] = head + "\n".join(lines) + "\n"
    write_vault(root, files)
    age(root)
    assert session(root).index() == fresh_index(root)
    paths = sorted(root.rglob("*.md"))
    for n, k in enumerate(edits):
        if paths:
            path = paths[k % len(paths)]
            path.write_text(path.read_text() + f"- 2026-11-0{n + 1} more [[Anna]]\n")
            os.utime(path, (PAST + n + 1, PAST + n + 1))
    assert session(root).index() == fresh_index(root)
