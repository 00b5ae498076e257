"""docs/editing.md shows real output: run its examples in order and compare."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "editing.md"
pytestmark = pytest.mark.skipif(
    not (REPO / "example-vault").is_dir() or shutil.which("git") is None,
    reason="needs example-vault and git",
)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "core.quotepath=off", "-c", "user.name=t", "-c", "user.email=t@e.org", *args],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def transcript_steps(text: str) -> list[tuple[str, list[str]]]:
    """Each `$ command` in the page's plain code blocks with the lines shown under it
    (a block tagged `sh` or `markdown` is an illustration, not a transcript)."""
    steps: list[tuple[str, list[str]]] = []
    blocks = re.findall(r"^```(\S*)\n(.*?)^```", text, re.S | re.M)
    for block in [body for language, body in blocks if not language]:  # `sh`, `markdown`: not run
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
    for _, shown in steps:
        while shown and not shown[-1]:
            shown.pop()
    return steps


def test_every_example_is_real_output(tmp_path, crm):
    root = tmp_path / "example-vault"
    shutil.copytree(REPO / "example-vault", root)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    checked = 0
    for command, shown in transcript_steps(DOC.read_text(encoding="utf-8")):
        argv = shlex.split(command)
        if argv[0] == "crm" and argv[1] != "init":
            result = crm(root, *argv[1:])
            out = [line for line in result.output.splitlines() if "run `crm check`" not in line]
            assert out == shown, command
            checked += 1
        elif argv[:2] == ["git", "diff"]:
            diff = git(root, "diff", "-U1").splitlines()
            body = [
                line for line in diff if not re.match(r"(diff --git|index |--- |\+\+\+ )", line)
            ]
            assert [line.rstrip() for line in body] == shown, command
            git(root, "commit", "-qam", "step")
            checked += 1
        elif argv[0] == "cat":
            assert (root / argv[1]).read_text(encoding="utf-8").splitlines() == shown
            checked += 1
    assert checked >= 18
