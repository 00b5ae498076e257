"""Faults while writing: a kill between write and rename, full disks, I/O errors, and
several writers at once (BAD_INPUTS 44, 45, 46; 43 and 10 are in test_writing.py)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import plaintextcrm

from .helpers import assert_clean_exit, needs, snapshot

TREE = str(Path(plaintextcrm.__file__).resolve().parent.parent)
ANNA = "---\nname: Anna Rossi\n---\n## Log\n- 2026-11-01 coffee\n"
PATH = "People/Anna Rossi.md"

#: Runs `crm` and SIGKILLs itself at the moment the writer renames its temporary file.
_KILLED_AT_RENAME = """
import os, signal, sys
import plaintextcrm.writefile as writefile
def swap_in(*args):  # the temporary file is written and fsynced; the swap is next
    os.kill(os.getpid(), signal.SIGKILL)
writefile._swap_in = swap_in
from plaintextcrm.cli import main
sys.argv = ["crm", *sys.argv[1:]]
main()
"""


def crm_process(root: Path, *args: str, code: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": TREE + os.pathsep + os.environ.get("PYTHONPATH", "")}
    argv = ["--vault", str(root), "--today", "2026-11-23", *args]
    prefix = ["-c", code] if code else ["-m", "plaintextcrm"]
    return subprocess.Popen(
        [sys.executable, *prefix, *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@needs("log", "writer")
def test_case_44_killed_between_write_and_rename(vault, crm, monkeypatch):
    root = vault({PATH: ANNA})
    before = snapshot(root)
    proc = crm_process(
        root, "log", "Anna", "killed", "--date", "2026-11-20", code=_KILLED_AT_RENAME
    )
    proc.communicate(timeout=120)
    assert proc.returncode == -9  # really killed, no cleanup ran
    # the note is intact and nothing new is in the vault: the temporary file is in
    # .crm/tmp/, which git never sees (.crm/.gitignore)
    assert snapshot(root) == before
    (leftover,) = (root / ".crm" / "tmp").iterdir()
    assert b"killed" in leftover.read_bytes()
    # the index ignores it: no second contact, no problem
    listed = crm(root, "list", "--json")
    assert_clean_exit(listed)
    assert [c["note"] for c in json.loads(listed.stdout)] == [PATH]
    check = crm(root, "check", "--json")
    assert_clean_exit(check)
    assert json.loads(check.stdout) == []
    # a write while it is fresh leaves it (a run without the lock may be writing it)...
    assert_clean_exit(crm(root, "log", "Anna", "again", "--date", "2026-11-21"))
    assert leftover.exists()
    # ...and the first write once it is stale removes it
    monkeypatch.setattr("plaintextcrm.vault.STALE_TEMP_SECONDS", 0)
    assert_clean_exit(crm(root, "log", "Anna", "third", "--date", "2026-11-22"))
    assert list((root / ".crm" / "tmp").iterdir()) == []
    final = snapshot(root)
    assert set(final) == set(before)
    assert final[PATH] == before[PATH] + b"- 2026-11-21 again\n- 2026-11-22 third\n"


def _fail_writes(monkeypatch, error: int, where: str) -> None:
    """Make writing into the vault fail the way a full or broken disk does."""
    real_write, real_replace = os.write, os.replace

    def failing_write(fd, data):
        if fd > 2:
            raise OSError(error, os.strerror(error))
        return real_write(fd, data)

    def failing_fsync(fd):
        raise OSError(error, os.strerror(error))

    def failing_replace(src, dst, *args, **kwargs):
        if str(dst).endswith(".md"):
            raise OSError(error, os.strerror(error))
        return real_replace(src, dst, *args, **kwargs)

    if where == "rename":  # the note is swapped in by an exchange, or a rename without one
        import plaintextcrm.writefile as writefile

        monkeypatch.setattr(writefile, "_exchange", failing_replace)
    target = {"write": "write", "fsync": "fsync", "rename": "replace"}[where]
    fake = {"write": failing_write, "fsync": failing_fsync, "replace": failing_replace}[target]
    monkeypatch.setattr(os, target, fake)


@needs("log", "writer")
@pytest.mark.parametrize("where", ["write", "fsync", "rename"])
@pytest.mark.parametrize(
    ("error", "reason"),
    [(errno.ENOSPC, "no space left"), (errno.EDQUOT, "no space left"), (errno.EIO, "error")],
    ids=["ENOSPC", "EDQUOT", "EIO"],
)
def test_case_45_full_disk_or_io_error_leaves_the_note_intact(
    vault, crm, monkeypatch, where, error, reason
):
    root = vault({PATH: ANNA, "People/Bruno.md": "x\n"})
    crm(root, "check")  # let the cache (if any) settle before the disk "fills"
    before = snapshot(root)
    with monkeypatch.context() as patch:
        _fail_writes(patch, error, where)
        result = crm(root, "log", "Anna", "lost?", "--date", "2026-11-20")
    assert_clean_exit(result, (1,))
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith(f"crm: error: cannot write {PATH}: ")
    assert reason in message.lower()
    assert snapshot(root) == before  # intact, and no temporary file left behind


@needs("log", "writer")
def test_case_46_concurrent_logs_on_the_same_note_keep_every_line(vault):
    root = vault({PATH: ANNA})
    runs = [crm_process(root, "log", "Anna", f"run {i}", "--date", "2026-11-20") for i in range(8)]
    for proc in runs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()
    text = (root / PATH).read_text()
    assert text.startswith(ANNA)
    assert sorted(line for line in text.splitlines() if "run " in line) == sorted(
        f"- 2026-11-20 run {i}" for i in range(8)
    )
    assert sorted(os.listdir(root / "People")) == ["Anna Rossi.md"]


@needs("new", "writer")
def test_case_45_full_disk_when_creating_a_note_leaves_nothing(vault, crm, monkeypatch):
    root = vault({PATH: ANNA})
    crm(root, "check")
    before = snapshot(root)
    with monkeypatch.context() as patch:
        _fail_writes(patch, errno.ENOSPC, "write")
        result = crm(root, "new", "Carla Verdi")
    assert_clean_exit(result, (1,))
    assert "no space left" in result.stderr.lower()
    assert snapshot(root) == before
