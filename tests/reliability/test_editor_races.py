"""Editors and sync clients writing a note while crm edits it (reliability round 2, items 1–3).

Each race is reproduced twice: as a deterministic interleaving (the other writer acts at
the exact moment that used to lose data) and as a rate test, many runs against a real
editor process, counting the saves crm lost and the tasks it ticked wrongly: 0 expected.

Editors save in one of two ways. In place (Obsidian, VS Code, nano): truncate the note,
then write it, so for a moment the note is empty. By rename (vim, Sublime, Syncthing,
Dropbox): write a new file, rename it over the note.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from plaintextcrm import writefile
from plaintextcrm.writefile import write_note

from .helpers import assert_clean_exit

NOTE = "---\nname: Anna Rossi\ncadence: 2w\n---\n# Anna\n\nShe is moving to Turin.\n\n## Log\n"
PATH = "People/Anna Rossi.md"
LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux leases")


def make(tmp_path: Path, text: str = NOTE) -> tuple[Path, Path]:
    root = tmp_path / "vault"
    (root / "People").mkdir(parents=True)
    (root / "crm.toml").write_text("")
    note = root / PATH
    note.write_text(text)
    return root, note


def append(line: str):
    return lambda data: data + line.encode()


def _lease_breaking(note: Path) -> bool:
    """Whether a writer is waiting on a lease of this note (see /proc/locks)."""
    inode = f":{note.stat().st_ino} "
    return any(
        "BREAKING" in row and inode in row for row in Path("/proc/locks").read_text().splitlines()
    )


# --- item 1: an editor saving in place -------------------------------------------------


@LINUX
def test_item1_a_note_truncated_by_an_editor_is_waited_for_not_edited_empty(tmp_path):
    """The editor has truncated the note and not yet written it when crm reads it."""
    root, note = make(tmp_path)
    editor = open(note, "wb")  # noqa: SIM115 - the editor's save is in progress
    results = []
    worker = threading.Thread(
        target=lambda: results.append(write_note(note, append("- 2026-11-20 crm\n"), vault=root))
    )
    worker.start()
    time.sleep(0.3)  # crm is waiting: the note is open for writing
    assert worker.is_alive() and note.read_bytes() == b""
    editor.write((NOTE + "- 2026-11-19 typed in the editor\n").encode())
    editor.close()
    worker.join(timeout=30)
    assert results and results[0].changed
    assert note.read_text() == NOTE + "- 2026-11-19 typed in the editor\n- 2026-11-20 crm\n"


@LINUX
def test_item1_crm_log_waits_for_an_editor_save_in_progress(tmp_path):
    """The same race through the real command in its own process."""
    root, note = make(tmp_path)
    editor = open(note, "wb")  # noqa: SIM115
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    argv = ["--vault", str(root), "--today", "2026-11-23", "log", "Anna", "from crm"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "plaintextcrm", *argv, "--date", "2026-11-20"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.5)
    editor.write((NOTE + "- 2026-11-19 typed in the editor\n").encode())
    editor.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    text = note.read_text()
    assert text.startswith(NOTE) and "- 2026-11-19 typed in the editor\n" in text
    assert "- 2026-11-20 from crm\n" in text


@LINUX
def test_item1_an_in_place_save_starting_after_our_read_is_not_lost(tmp_path):
    """The editor opens the note for writing after crm read it, before the swap: its open
    waits on crm's lease, crm sees the pending break, backs off and applies its edit to
    the editor's version."""
    root, note = make(tmp_path)
    edits: list[bytes] = []

    def editor_saves() -> None:
        with open(note, "wb") as handle:  # waits while crm holds its lease
            handle.write((NOTE + "- 2026-11-19 typed in the editor\n").encode())

    editor = threading.Thread(target=editor_saves)

    def edit(data: bytes) -> bytes:
        edits.append(data)
        if len(edits) == 1:
            editor.start()
            deadline = time.monotonic() + 10
            while not _lease_breaking(note) and time.monotonic() < deadline:
                time.sleep(0.005)
            assert _lease_breaking(note)
        return data + b"- 2026-11-20 crm\n"

    result = write_note(note, edit, vault=root)
    editor.join(timeout=30)
    assert result.attempts == 2
    assert edits[1] == (NOTE + "- 2026-11-19 typed in the editor\n").encode()
    assert note.read_text() == NOTE + "- 2026-11-19 typed in the editor\n- 2026-11-20 crm\n"


def test_item1_without_leases_a_just_written_note_is_left_to_settle(tmp_path, monkeypatch):
    """Where the system gives no lease, a note modified a moment ago is read only once it
    has been quiet for a while; an empty note mid-save is not edited."""
    root, note = make(tmp_path)
    monkeypatch.setattr(writefile, "_take_lease", lambda fd: False)
    editor = open(note, "wb")  # noqa: SIM115
    results = []
    worker = threading.Thread(
        target=lambda: results.append(write_note(note, append("- 2026-11-20 crm\n"), vault=root))
    )
    worker.start()
    time.sleep(0.05)
    editor.write(NOTE.encode())
    editor.close()
    worker.join(timeout=30)
    assert note.read_text() == NOTE + "- 2026-11-20 crm\n"


# --- item 3: an editor saving by rename -------------------------------------------------


def _rename_save(note: Path, line: str) -> None:
    temp = note.with_name(".Anna Rossi.md.swp")
    temp.write_bytes(note.read_bytes() + line.encode())
    os.replace(temp, note)


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "check-then-rename"])
def test_item3_a_rename_save_landing_just_before_the_swap_is_kept(tmp_path, monkeypatch, exchange):
    """vim's save lands after every check crm makes and right before its swap: the swap
    shows what it replaced, puts the editor's file back and applies the edit on top."""
    root, note = make(tmp_path)
    real = writefile._exchange if exchange else (lambda a, b: False)
    if not exchange:  # the fallback: its last check is just before the rename
        real_replace = os.replace
        calls = []

        def replace(src, dst):
            if Path(dst) == note and not calls:
                calls.append(1)
                _rename_save(note, "- 2026-11-19 saved by vim\n")
            return real_replace(src, dst)

        monkeypatch.setattr(os, "replace", replace)
    saves = []

    def exchange_after_a_save(a: Path, b: Path) -> bool:
        if not saves:
            saves.append(1)
            _rename_save(note, "- 2026-11-19 saved by vim\n")
        return real(a, b)

    monkeypatch.setattr(writefile, "_exchange", exchange_after_a_save)
    result = write_note(note, append("- 2026-11-20 crm\n"), vault=root)
    text = note.read_text()
    assert "- 2026-11-19 saved by vim\n" in text and "- 2026-11-20 crm\n" in text, text
    assert result.attempts == 2
    assert sorted(p.name for p in note.parent.iterdir()) == ["Anna Rossi.md"]


def test_item3_a_note_missing_for_a_moment_during_a_rename_save_is_waited_for(tmp_path):
    """vim with `backupcopy=no` renames the note away, then writes the new one."""
    root, note = make(tmp_path)
    backup = note.with_name("Anna Rossi.md~")
    os.rename(note, backup)
    timer = threading.Timer(0.2, lambda: note.write_text(backup.read_text() + "- 2026-11-19 vim\n"))
    timer.start()
    write_note(note, append("- 2026-11-20 crm\n"), vault=root)
    timer.join()
    assert note.read_text().endswith("- 2026-11-19 vim\n- 2026-11-20 crm\n")


# --- rate tests against a real editor process ------------------------------------------

EDITOR = r"""
import json, os, sys, time
note, how, gap, stop = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
saves = lost = transient = 0
while not os.path.exists(stop):
    with open(note, "rb") as f:
        text = f.read().decode()
    head, _, rest = text.partition("\n")
    if head != f"<!-- save {saves} -->":
        deadline = time.monotonic() + 2  # crm may be putting our save back: it swapped in,
        while head != f"<!-- save {saves} -->" and time.monotonic() < deadline:  # saw it, swaps out
            time.sleep(0.001)
            with open(note, "rb") as f:
                text = f.read().decode()
            head, _, rest = text.partition("\n")
        if head == f"<!-- save {saves} -->":
            transient += 1
        else:
            lost += 1  # our last save is not what the note holds: someone replaced it
    saves += 1
    new = f"<!-- save {saves} -->\n{rest}".encode()
    if how == "in-place":
        with open(note, "r+b") as f:
            f.truncate(0)
            f.flush()
            time.sleep(gap)  # the note is empty on disk now
            f.write(new)
    else:
        temp = os.path.join(os.path.dirname(note), ".4913")
        with open(temp, "wb") as f:
            f.write(new)
        os.replace(temp, note)
    time.sleep(gap)
print(json.dumps({"saves": saves, "lost": lost, "transient": transient}))
"""

RUNS = 500


def _race_editor(tmp_path: Path, how: str, gap: float) -> dict[str, int]:
    root, note = make(tmp_path, "<!-- save 0 -->\n" + NOTE)
    stop = tmp_path / "stop"
    editor = subprocess.Popen(
        [sys.executable, "-c", EDITOR, str(note), how, str(gap), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    bases: list[bytes] = []
    conflicts = 0
    pace = random.Random(RUNS)
    try:
        deadline = time.monotonic() + 30
        while note.read_bytes().startswith(b"<!-- save 0 -->") and time.monotonic() < deadline:
            time.sleep(0.005)  # the editor is up and saving
        for i in range(RUNS):
            time.sleep(pace.uniform(0, 0.02))  # runs spread over the editor's saves and gaps

            def edit(data: bytes, i=i) -> bytes:
                bases.append(data)
                return data + f"- 2026-11-20 crm {i}\n".encode()

            try:
                write_note(note, edit, vault=root)
            except writefile.ConflictError:
                conflicts += 1
    finally:
        stop.touch()
        out, _ = editor.communicate(timeout=60)
    stats = json.loads(out)
    # crm never edits a half-written note: every version it edited was a whole one.
    partial = sum(1 for b in bases if not b.startswith(b"<!-- save ") or NOTE.encode() not in b)
    return {**stats, "partial_reads": partial, "conflicts": conflicts}


@LINUX
def test_item1_rate_in_place_saves_with_a_50ms_gap_lose_nothing(tmp_path):
    stats = _race_editor(tmp_path, "in-place", 0.05)
    print("in-place", stats)
    assert stats["saves"] > 20  # the editor really raced crm
    assert stats["lost"] == 0 and stats["partial_reads"] == 0, stats


def test_item3_rate_rename_saves_lose_nothing(tmp_path):
    stats = _race_editor(tmp_path, "rename", 0.002)
    print("rename", stats)
    assert stats["saves"] > 20
    assert stats["lost"] == 0 and stats["partial_reads"] == 0, stats


# --- item 2: `crm done` ticks the task it was asked for --------------------------------

TASKS = "---\nname: Anna Rossi\n---\n## Notes\n\n## Tasks\n- [ ] 2026-12-01 alpha\n- [ ] 2026-12-01 beta\n"


def test_item2_a_line_inserted_above_after_the_index_was_read_never_shifts_the_tick(
    vault, crm, monkeypatch
):
    """The index said `beta` is on line 8; an editor inserted a line above it before crm
    wrote. Line 8 is now `alpha`: crm must still tick `beta`."""
    import plaintextcrm.commands.write as commands

    root = vault({PATH: TASKS})
    note = root / PATH
    real = commands._one

    def contact_then_editor_inserts(app, words, **kwargs):
        found = real(app, words, **kwargs)
        note.write_text(note.read_text().replace("## Notes\n", "## Notes\n- she called\n"))
        return found

    monkeypatch.setattr(commands, "_one", contact_then_editor_inserts)
    result = crm(root, "done", "Anna", "beta")
    assert_clean_exit(result)
    text = note.read_text()
    assert "- [ ] 2026-12-01 alpha\n" in text and "- [x] 2026-12-01 beta\n" in text, text


INSERTER = r"""
import fcntl, os, sys, time
root, note, stop = sys.argv[1], sys.argv[2], sys.argv[3]
lock = os.open(os.path.join(root, ".crm", "write.lock"), os.O_RDWR | os.O_CREAT, 0o600)
n = 0
while not os.path.exists(stop):
    fcntl.flock(lock, fcntl.LOCK_EX)  # no lost update of its own: only line numbers move
    with open(note) as f:
        text = f.read()
    n += 1
    text = text.replace("## Notes\n", f"## Notes\n- note {n}\n", 1)
    temp = note + ".tmp"
    with open(temp, "w") as f:
        f.write(text)
    os.replace(temp, note)
    fcntl.flock(lock, fcntl.LOCK_UN)
    time.sleep(0.001)
print(n)
"""


def test_item2_rate_done_never_ticks_a_neighbour(vault, crm, tmp_path):
    """crm done runs while another program keeps inserting lines above the tasks."""
    tasks = "".join(f"- [ ] 2026-12-01 task {i:03d}\n" for i in range(RUNS))
    root = vault({PATH: "---\nname: Anna Rossi\n---\n## Notes\n\n## Tasks\n" + tasks})
    (root / ".crm").mkdir(exist_ok=True)
    note = root / PATH
    stop = tmp_path / "stop"
    inserter = subprocess.Popen(
        [sys.executable, "-c", INSERTER, str(root), str(note), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    conflicts = 0
    asked: set[str] = set()
    wrong: set[str] = set()  # tasks ever seen ticked without being asked for
    try:
        for i in reversed(range(RUNS)):  # the task above the asked one is still open
            asked.add(f"task {i:03d}")
            for _ in range(5):
                result = crm(root, "done", "Anna", f"task {i:03d}", today=date(2026, 11, 23))
                assert_clean_exit(result, (0, 1))
                if result.exit_code == 0:
                    break
                conflicts += 1
            ticked = set(re.findall(r"^- \[x\] 2026-12-01 (task \d+)", note.read_text(), re.M))
            wrong |= ticked - asked
    finally:
        stop.touch()
        inserts = int(inserter.communicate(timeout=60)[0])
    print({"runs": RUNS, "inserts": inserts, "wrong_ticks": len(wrong), "conflicts": conflicts})
    assert inserts > RUNS // 5  # lines really moved under crm's feet
    assert not wrong
    ticked = [line for line in note.read_text().splitlines() if line.startswith("- [x]")]
    assert len(ticked) == RUNS
