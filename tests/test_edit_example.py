"""Each writing command on the example vault is a one- or two-line `git diff`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import TODAY

from plaintextcrm.load import load_index

EXAMPLE = Path(__file__).resolve().parent.parent / "example-vault"
pytestmark = pytest.mark.skipif(
    not EXAMPLE.is_dir() or shutil.which("git") is None, reason="needs example-vault and git"
)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "core.quotepath=off", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "example-vault"
    shutil.copytree(EXAMPLE, root)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "start")
    return root


def numstat(repo: Path) -> dict[str, tuple[int, int]]:
    out = git(repo, "diff", "--numstat", "-z")
    rows = (line.split("\t", 2) for line in out.split("\0") if line)
    return {path: (int(added), int(deleted)) for added, deleted, path in rows}


CASES = [
    (["log", "Nicolò", "coffee in Brera"], "People/Nicolò Bianchi.md", (1, 0)),
    (["log", "nico", "pitch rehearsal", "--gave", "--date", "2026-10-05"], "People/Nicolò Bianchi.md", (1, 0)),
    (["log", "Aoife", "thanked her for the invitation", "--gave"], "People/Aoife Ní Bhriain.md", (1, 0)),
    (["log", "Priya", "intro call", "--got", "--next", "2w"], "People/Priya Raghunathan.md", (2, 0)),
    (["log", "Hiroshi", "video call", "--next", "2026-12-20"], "People/Hiroshi Tanaka.md", (2, 0)),
    (["todo", "Priya", "send the job post", "--due", "1w"], "People/Priya Raghunathan.md", (1, 0)),
    (["todo", "nico", "book the hut", "--due", "2026-12-10"], "People/Nicolò Bianchi.md", (1, 0)),
    (["todo", "Dmitri", "set up the next game", "--due", "3d"], "People/Dmitri Volkov.md", (1, 0)),
    (["done", "nico", "dolomites"], "People/Nicolò Bianchi.md", (1, 1)),
    (["done", "Pepe"], "People/José Álvarez.md", (1, 1)),
    (["snooze", "Giulia", "2027-02-01"], "People/Giulia Romano.md", (1, 1)),
    (["snooze", "Björn", "1m"], "People/Björn Andersson.md", (1, 0)),
    (["snooze", "Chiara Esposito", "3m"], "People/Chiara Esposito.md", (1, 0)),
]  # fmt: skip


@pytest.mark.parametrize(("args", "note", "lines"), CASES, ids=[" ".join(c[0][:2]) for c in CASES])
def test_command_is_a_small_diff(repo, crm, args, note, lines):
    before = load_index(repo, TODAY)
    result = crm(repo, *args)
    assert result.exit_code == 0, result.output
    assert numstat(repo) == {note: lines}
    assert sum(lines) <= 2
    after = load_index(repo, TODAY)
    assert [p for p in after.problems if p.level == "error"] == [
        p for p in before.problems if p.level == "error"
    ]
    assert len(after.contacts) == len(before.contacts)


def test_changes_read_back(repo, crm):
    crm(repo, "log", "Aoife", "thanked her", "--gave")
    crm(repo, "snooze", "Giulia", "2027-02-01")
    crm(repo, "done", "nico", "dolomites")
    index = load_index(repo, TODAY)
    by = {c.name: c for c in index.contacts}
    assert by["Aoife Ní Bhriain"].interactions[-1].text == "thanked her #gave"
    assert by["Giulia Romano"].fields.snooze.isoformat() == "2027-02-01"
    assert [t.status for t in by["Nicolò Bianchi"].tasks if "Dolomites" in t.text] == ["done"]


def test_new_adds_one_file_and_changes_nothing_else(repo, crm):
    result = crm(repo, "new", "Ingrid Berg", "--circle", "network", "--email", "ingrid@example.no")
    assert result.exit_code == 0, result.output
    assert numstat(repo) == {}
    assert git(repo, "status", "--porcelain", "-z", "--untracked-files=all") == (
        "?? People/Ingrid Berg.md\0"
    )
    index = load_index(repo, TODAY)
    assert any(c.name == "Ingrid Berg" and c.fields.circle == "network" for c in index.contacts)


def test_init_on_the_existing_vault_changes_nothing(repo, crm):
    result = crm(None, "init", str(repo))
    assert result.exit_code == 0, result.output
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
