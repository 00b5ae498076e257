"""Issue 15 item 8: the tool's own state (`.crm/`) and files never leave the vault or show
up in `git status`, and the cache's warm path survives a note with a future mtime."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TODAY

from .helpers import assert_clean_exit, snapshot

ANNA = "---\nname: Anna Rossi\ncadence: 1w\n---\n## Log\n- 2026-11-01 coffee\n"
PATH = "People/Anna Rossi.md"
REPO = Path(__file__).resolve().parents[2]


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): (b"<link>" if p.is_symlink() else p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_symlink() or p.is_file()
    }


# --- `.crm` as a symlink -------------------------------------------------------------


@pytest.fixture
def linked(vault, tmp_path):
    """A vault whose `.crm` is a symlink to a folder outside it (a cloned repository can
    carry one), and that outside folder."""
    root = vault({PATH: ANNA})
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / ".crm").symlink_to(outside, target_is_directory=True)
    return root, outside


READS = [
    ("check", "--json"),
    ("due", "--json"),
    ("list",),
    ("show", "Anna"),
    ("stats",),
    ("search", "coffee"),
    ("ics",),
    ("digest", "--format", "txt"),
    ("export", "json"),
]


def test_a_symlinked_state_folder_is_never_written_through(linked, crm):
    root, outside = linked
    for args in READS:
        for _ in range(2):  # a second run would read a cache made by the first
            result = crm(root, *args)
            assert_clean_exit(result, (0, 1) if args[0] == "check" else (0,))
    # writing commands: the note is written, nothing else
    assert_clean_exit(crm(root, "log", "Anna", "tea", "--date", "2026-11-20"))
    assert_clean_exit(crm(root, "new", "Bruno Neri"))
    assert _tree(outside) == {}, "crm wrote through the .crm symlink"
    assert (root / ".crm").is_symlink()
    assert "- 2026-11-20 tea" in (root / PATH).read_text()


def test_a_symlinked_state_folder_is_a_check_warning_and_commands_still_work(linked, crm):
    root, _ = linked
    check = crm(root, "check", "--json")
    assert_clean_exit(check)
    (problem,) = json.loads(check.stdout)
    assert problem["path"] == ".crm" and problem["level"] == "warning"
    assert "symbolic link" in problem["message"]
    due = crm(root, "due", "--json", "--days", "30")
    assert_clean_exit(due)
    assert json.loads(due.stdout)  # the reminders are there, from a cold read


def test_serve_refuses_a_symlinked_state_folder_with_one_line(linked):
    root, outside = linked
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "plaintextcrm", "--vault", str(root), "serve", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crm: error: cannot keep the feed token")
    assert "symbolic link" in lines[0]
    assert _tree(outside) == {}


def test_a_state_folder_that_is_a_file_is_refused_too(vault, crm):
    root = vault({PATH: ANNA, ".crm": "not a folder\n"})
    assert_clean_exit(crm(root, "due"))
    assert_clean_exit(crm(root, "log", "Anna", "tea", "--date", "2026-11-20"))
    assert (root / ".crm").read_text() == "not a folder\n"


def test_gitignore_is_never_written_through_a_symlink(vault, crm, tmp_path):
    root = vault({PATH: ANNA})
    (root / ".crm").mkdir()
    target = tmp_path / "elsewhere" / "autostart.desktop"
    target.parent.mkdir()
    (root / ".crm" / ".gitignore").symlink_to(target)  # dangling: would be created
    assert_clean_exit(crm(root, "due"))
    assert_clean_exit(crm(root, "log", "Anna", "tea", "--date", "2026-11-20"))
    assert not target.exists()


# --- a note with a future mtime -------------------------------------------------------


def _set_mtimes(root: Path, seconds_from_now: float, only: str | None = None) -> None:
    when = time.time() + seconds_from_now
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and ".crm" not in path.parts and only in (None, rel):
            os.utime(path, (when, when))


def test_a_future_mtime_does_not_keep_the_cache_cold(vault, crm, monkeypatch):
    from plaintextcrm import load
    from plaintextcrm.config import load_config

    root = vault({PATH: ANNA, "People/Bo.md": "---\ncadence: 2w\n---\n"})
    _set_mtimes(root, -3600)
    _set_mtimes(root, 4 * 365 * 86400, only=PATH)  # `touch -d 2030-...`, a wrong clock
    first = crm(root, "due", "--json", "--days", "30")
    assert_clean_exit(first)
    calls: list[int] = []
    real = load.Session.index
    monkeypatch.setattr(load.Session, "index", lambda self: calls.append(1) or real(self))
    assert crm(root, "due", "--json", "--days", "30").stdout == first.stdout
    assert calls == []  # the warm path: the finished answer, no index built
    monkeypatch.undo()
    session = load.Session(root, load_config(root), TODAY)
    session.index()
    assert session.parsed_count == 0  # and no note parsed again
    # an editor's save still shows: it stamps the note with the time it is now
    (root / PATH).write_text(ANNA.replace("coffee", "tea"), encoding="utf-8")
    _set_mtimes(root, -60, only=PATH)
    assert "tea" in crm(root, "show", "Anna", "--json").stdout


def test_an_mtime_a_few_seconds_ahead_is_still_treated_as_fresh(vault):
    from plaintextcrm import load
    from plaintextcrm.config import load_config

    root = vault({PATH: ANNA})
    _set_mtimes(root, 10)  # a file server whose clock runs ahead: maybe mid-save
    for _ in range(2):
        session = load.Session(root, load_config(root), TODAY)
        session.index()
        assert session.parsed_count == 1
        assert session.vault_state() is None


def test_the_feed_server_memoises_a_vault_with_a_future_mtime(vault):
    from plaintextcrm.live.serve import vault_stamp

    root = vault({PATH: ANNA})
    _set_mtimes(root, -3600)
    _set_mtimes(root, 365 * 86400, only=PATH)
    assert vault_stamp(root) is not None
    assert vault_stamp(root) == vault_stamp(root)


# --- the writer's temporary files -------------------------------------------------------

#: Runs `crm` and SIGKILLs itself once the writer's temporary file is written.
_KILLED_AT_SWAP = """
import os, signal, sys
import plaintextcrm.writefile as writefile
def swap_in(*args):
    os.kill(os.getpid(), signal.SIGKILL)
writefile._swap_in = swap_in
from plaintextcrm.cli import main
sys.argv = ["crm", *sys.argv[1:]]
main()
"""


def _killed_log(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = ["--vault", str(root), "--today", "2026-11-23", "log", "Anna", "killed"]
    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_AT_SWAP, *argv], env=env, capture_output=True, timeout=120
    )
    assert proc.returncode == -9, proc.stderr.decode()


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(not shutil.which("git"), reason="needs git")
def test_a_killed_write_leaves_nothing_git_status_shows(vault, crm):
    root = vault({PATH: ANNA})
    crm(root, "check")  # .crm/ exists, as after any first run
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "vault")
    _killed_log(root)
    assert _git(root, "status", "--porcelain", "--untracked-files=all") == ""
    (leftover,) = (root / ".crm" / "tmp").iterdir()
    assert leftover.name.startswith(".Anna Rossi.md.crm-")


def test_without_a_usable_state_folder_temps_are_dot_files_any_command_cleans(
    vault, crm, monkeypatch
):
    root = vault({PATH: ANNA, ".crm": "a file, not a folder\n"})
    _killed_log(root)
    (leftover,) = (p for p in (root / "People").iterdir() if p.name != "Anna Rossi.md")
    assert leftover.name.startswith(".Anna Rossi.md.crm-") and leftover.name.endswith(".tmp")
    assert_clean_exit(crm(root, "list"))
    assert leftover.exists()  # fresh: it could be a write in progress
    monkeypatch.setattr("plaintextcrm.vault.STALE_TEMP_SECONDS", 0)
    assert_clean_exit(crm(root, "list"))  # a reading command, scanning the folder
    assert not leftover.exists()
    assert (root / PATH).read_text() == ANNA


def test_a_bind_mount_that_refuses_the_rename_falls_back_to_a_dot_file(vault, crm, monkeypatch):
    import errno

    import plaintextcrm.writefile as writefile

    real_exchange, real_link = writefile._exchange, os.link
    used: list[str] = []

    def exchange(a, b):
        used.append(Path(a).parent.name)
        if Path(a).parent.name == "tmp":
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        return real_exchange(a, b)

    def link(src, dst, *args, **kwargs):
        if Path(src).parent.name == "tmp":
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(writefile, "_exchange", exchange)
    monkeypatch.setattr(os, "link", link)
    root = vault({PATH: ANNA})
    before = snapshot(root)
    assert_clean_exit(crm(root, "log", "Anna", "tea", "--date", "2026-11-20"))
    assert used == ["tmp", "People"]
    assert_clean_exit(crm(root, "new", "Bruno Neri"))
    after = snapshot(root)
    assert set(after) == set(before) | {"People/Bruno Neri.md"}  # no temp file left
    assert after[PATH] == before[PATH] + b"- 2026-11-20 tea\n"


def test_the_scanner_knows_the_writers_temp_names():
    from plaintextcrm.vault import CRM_TEMP, is_editor_temp
    from plaintextcrm.writefile import temp_name

    name = temp_name("Anna Rossi.md")
    assert CRM_TEMP.match(name) and is_editor_temp(name)
    assert not CRM_TEMP.match(".Anna Rossi.md.swp") and not CRM_TEMP.match("notes.tmp")
