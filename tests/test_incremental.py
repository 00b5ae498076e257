"""The incremental read path gives the same answers as a cold build, byte for byte.

After any sequence of edits (add, change, rename, delete notes; change a contact's name
or aliases), the index updated from `.crm/index.cache`, the index a long-running process
keeps in memory and updates (and the feed it renders from it, reusing the parts of the
contacts that did not change), and the outputs of `due`, `list`, `ics`, `digest` and
`check` equal what a cold read of the same files gives.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner
from conftest import TODAY, write_vault
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from plaintextcrm import load
from plaintextcrm.cli import cli
from plaintextcrm.config import load_config
from plaintextcrm.live.outputs import render_output
from plaintextcrm.load import Session
from plaintextcrm.render.ics import render_ics

NAMES = ("Anna Rossi", "Bo Chen", "Cy Twombly", "Nicolò Rossi", "Dee")
ALIASES = ("Annie", "Bobo", "Nico", "Ro", "Сy")  # the last with a Cyrillic С: a look-alike
TARGETS = (*NAMES, *ALIASES, "nicolo rossi", "People/Bo Chen", "Nobody")
WORDS = ("coffee", "call", "lunch #gave", "walk #got", "book")
#: Every write is stamped this long ago plus a step counter: distinct, never racy.
BASE = time.time() - 10 * 86400


def day(n: int) -> str:
    return f"2026-{10 + n // 28:02d}-{n % 28 + 1:02d}"


line = st.one_of(
    st.builds(lambda d, w, t: f"- {day(d)} {w} with [[{t}]]", st.integers(0, 60),
              st.sampled_from(WORDS), st.sampled_from(TARGETS)),
    st.builds(lambda d, w: f"- {day(d)} {w}", st.integers(0, 60), st.sampled_from(WORDS)),
    st.builds(lambda d, t: f"- [ ] {day(d)} ask [[{t}]]", st.integers(0, 60),
              st.sampled_from(TARGETS)),
    st.builds(lambda t: f"Saw [[{t}]] there.", st.sampled_from(TARGETS)),
    st.just("just words, no date and no link"),
)  # fmt: skip
body = st.lists(line, max_size=4).map(lambda lines: "".join(x + "\n" for x in lines))


@st.composite
def contact(draw: st.DrawFn) -> str:
    """A contact note's text: front matter with aliases and dates, then a log."""
    front = []
    aliases = draw(st.lists(st.sampled_from(ALIASES), max_size=2, unique=True))
    if aliases:
        front.append(f"aliases: [{', '.join(aliases)}]")
    if draw(st.booleans()):
        front.append(f"birthday: 1990-{draw(st.integers(1, 12)):02d}-0{draw(st.integers(1, 9))}")
    if draw(st.booleans()):  # sometimes in the future: a warning that depends on today
        front.append(f"last_contact: {draw(st.sampled_from(['2026-09-01', '2026-12-30']))}")
    if draw(st.booleans()):
        front.append(f"cadence: {draw(st.sampled_from(['2w', '1m', 'weekly', 'soon']))}")
    return "---\n" + "".join(f + "\n" for f in front) + "---\n" + draw(body)


#: One edit: (what, which note (index into the sorted notes), new text or name).
edit = st.one_of(
    st.tuples(st.just("add-daily"), st.integers(0, 60), body),
    st.tuples(st.just("add-contact"), st.sampled_from(NAMES), contact()),
    st.tuples(st.just("change"), st.integers(0, 99), body),
    st.tuples(st.just("change-contact"), st.integers(0, 99), contact()),
    st.tuples(st.just("rename"), st.integers(0, 99), st.sampled_from([*NAMES, "Zed", "Old"])),
    st.tuples(st.just("delete"), st.integers(0, 99), st.none()),
)

START = {
    "People/Anna Rossi.md": "---\naliases: [Annie]\nbirthday: 1990-11-30\n---\n"
    "- 2026-10-01 coffee #gave\n- [ ] 2026-11-25 send the book\n",
    "People/Bo Chen.md": "---\ncadence: 2w\n---\n- 2026-09-01 call with [[Annie]]\n",
    "Daily/2026-11-20.md": "Lunch with [[Annie]] and [[Bo Chen]].\n"
    "- [ ] 2026-11-24 ask [[Nicolo]]\n",
    "Notes/misc.md": "- 2026-11-01 met [[Anna Rossi|Anna]] #got\n",
}


def apply(root: Path, step: int, what: str, which: object, text: str | None) -> None:
    """Make one edit on disk, stamping what it writes with a distinct, old mtime."""
    notes = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.md"))
    notes = [n for n in notes if not n.startswith(".crm")]
    written: Path | None = None
    if what == "add-daily":
        written = root / f"Daily/{day(int(str(which)))} n{step}.md"
    elif what == "add-contact":
        written = root / f"People/{which}.md"
    elif not notes:
        return
    else:
        rel = notes[int(str(which)) % len(notes)]
        path = root / rel
        if what in ("change", "change-contact"):
            written = path
        elif what == "rename":
            target = path.with_name(f"{text}.md")
            path.rename(target)
            stamp = BASE + step
            os.utime(target, (stamp, stamp))  # a rename keeps the mtime; make it ours
            return
        else:
            path.unlink()
            return
    assert text is not None
    write_vault(root, {written.relative_to(root).as_posix(): text})
    stamp = BASE + step
    os.utime(written, (stamp, stamp))


def outputs(root: Path) -> list[bytes]:
    """What the reading commands print for the vault, in-process."""
    runner = CliRunner()
    out = []
    for args in (["due", "--json", "--days", "60"], ["list", "--json"], ["ics"], ["digest"],
                 ["check"]):  # fmt: skip
        result = runner.invoke(cli, ["--vault", str(root), "--today", TODAY.isoformat(), *args])
        out.append(result.stdout_bytes + b"\0" + str(result.exit_code).encode())
    return out


def cold_outputs(root: Path) -> list[bytes]:
    """`outputs` with no `.crm/` at all (set aside and put back)."""
    aside = root.parent / "crm-aside"
    (root / ".crm").rename(aside)
    try:
        return outputs(root)
    finally:
        shutil.rmtree(root / ".crm", ignore_errors=True)
        aside.rename(root / ".crm")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edit, min_size=1, max_size=6), st.sampled_from([0, load.UNSTORED_CHANGES]))
def test_edits_give_the_same_index_and_outputs_as_a_cold_build(edits, unstored):
    # unstored 0: every updated index is written to `.crm/` and read back by the next run
    saved, load.UNSTORED_CHANGES = load.UNSTORED_CHANGES, unstored
    try:
        check_edits(edits)
    finally:
        load.UNSTORED_CHANGES = saved


def check_edits(edits: list[tuple[str, object, str | None]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "vault"
        root.mkdir()
        (root / "crm.toml").write_text("", encoding="utf-8")
        for step, rel in enumerate(START):
            write_vault(root, {rel: START[rel]})
            os.utime(root / rel, (BASE - step - 1, BASE - step - 1))
        os.utime(root / "crm.toml", (BASE - 100, BASE - 100))
        config = load_config(root)
        first = Session(root, config, TODAY)
        first.index()
        outputs(root)
        kept = first.built  # what `crm watch` keeps in memory between rebuilds
        for step, (what, which, text) in enumerate(edits, start=1):
            apply(root, step, what, which, text)
            cold = Session(root, config, TODAY, use_cache=False).index()
            from_disk = Session(root, config, TODAY)
            assert from_disk.index() == cold
            in_memory = Session(root, config, TODAY, use_cache=False, previous=kept)
            assert in_memory.index() == cold
            event(f"from disk: {from_disk.how}; in memory: {in_memory.how}")
            kept = in_memory.built
            # the feed `crm watch` and `crm serve` render from the index they keep
            feed = render_output("ics", in_memory.index(), root, TODAY, config)
            assert feed == render_ics(cold, TODAY, config)
            assert outputs(root) == cold_outputs(root)


def test_an_edit_that_renames_no_one_updates_only_what_it_touches(tmp_path):
    root = write_vault(tmp_path, {"crm.toml": "", **START})
    for i, path in enumerate(sorted(root.rglob("*.md"))):
        os.utime(path, (BASE - i, BASE - i))
    config = load_config(root)
    before = Session(root, config, TODAY).index()
    misc = root / "Notes/misc.md"
    misc.write_text("- 2026-11-02 tea with [[Bo Chen]]\n", encoding="utf-8")
    os.utime(misc, (BASE + 1, BASE + 1))
    session = Session(root, config, TODAY)
    after = session.index()
    assert (session.how, session.parsed_count) == ("updated", 1)
    assert after == Session(root, config, TODAY, use_cache=False).index()
    anna, bo = after.contacts
    assert [i.path for i in bo.interactions if "tea" in i.text] == ["Notes/misc.md"]
    assert "met" not in " ".join(i.text for i in anna.interactions)
    assert before.contacts[0] != anna


def test_a_new_alias_builds_the_index_again(tmp_path):
    root = write_vault(tmp_path, {"crm.toml": "", **START})
    for i, path in enumerate(sorted(root.rglob("*.md"))):
        os.utime(path, (BASE - i, BASE - i))
    config = load_config(root)
    Session(root, config, TODAY).index()
    bo = root / "People/Bo Chen.md"
    bo.write_text("---\naliases: [Nicolo]\n---\n", encoding="utf-8")
    os.utime(bo, (BASE + 1, BASE + 1))
    session = Session(root, config, TODAY)
    index = session.index()
    assert session.how == "built"
    assert index == Session(root, config, TODAY, use_cache=False).index()
    assert [t.text for t in index.contacts[1].tasks] == ["ask [[Nicolo]]"]


def test_a_second_save_in_the_same_mtime_tick_is_seen_by_a_kept_index(tmp_path):
    root = write_vault(tmp_path, {"crm.toml": "", **START})
    for i, path in enumerate(sorted(root.rglob("*.md"))):
        os.utime(path, (BASE - i, BASE - i))
    config = load_config(root)
    kept = Session(root, config, TODAY, use_cache=False)
    kept.index()
    misc = root / "Notes/misc.md"
    misc.write_text("- 2026-11-02 tea with [[Bo Chen]]\n", encoding="utf-8")
    tick = misc.stat().st_mtime_ns  # just now: too fresh to trust
    first = Session(root, config, TODAY, use_cache=False, previous=kept.built)
    assert [
        i.text for i in first.index().contacts[1].interactions if i.path == "Notes/misc.md"
    ] == ["tea with [[Bo Chen]]"]
    misc.write_text("- 2026-11-02 tee with [[Bo Chen]]\n", encoding="utf-8")  # same size
    os.utime(misc, ns=(tick, tick))  # and the same mtime: only its bytes tell
    second = Session(root, config, TODAY, use_cache=False, previous=first.built)
    assert second.index() == Session(root, config, TODAY, use_cache=False).index()
    assert [
        i.text for i in second.index().contacts[1].interactions if i.path == "Notes/misc.md"
    ] == ["tee with [[Bo Chen]]"]
