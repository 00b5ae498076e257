"""docs/git.md stays true: its example merges as shown, and `crm git-setup` says what the
page says it says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from plaintextcrm.cli import cli
from plaintextcrm.gitvault import driver_command

DOC = (Path(__file__).resolve().parents[1] / "docs" / "git.md").read_text(encoding="utf-8")


def block_after(label: str, fence: str = "markdown") -> str:
    found = re.search(rf"^{re.escape(label)}\n\n```{fence}\n(.*?)```$", DOC, re.M | re.S)
    assert found, label
    return found[1]


def test_the_example_merges_as_shown(tmp_path):
    paths = []
    for name, label in (("O", "Base:"), ("A", "Laptop:"), ("B", "Desktop:")):
        (tmp_path / name).write_text(block_after(label), encoding="utf-8")
        paths.append(str(tmp_path / name))
    result = CliRunner().invoke(cli, ["merge-driver", *paths, "People/Anna Rossi.md"])
    assert result.exit_code == 0, result.output
    merged = (tmp_path / "A").read_text(encoding="utf-8")
    assert merged == block_after("After `git pull` on the laptop, with no conflict:")


def test_git_setup_prints_what_the_page_shows(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "crm.toml").write_text("")
    result = CliRunner().invoke(cli, ["--vault", str(tmp_path), "git-setup"])
    assert result.exit_code == 0, result.output
    shown = block_after(
        "In the vault, once it is a git repository (`git init`, or a clone):", "text"
    )
    expected = shown.split("\n", 1)[1].split("\n$ git add", 1)[0]  # between the two commands
    command = driver_command(sys.executable)
    assert result.output.rstrip("\n") == expected.replace(
        "/usr/bin/python3 -m plaintextcrm merge-driver --marker-size %L %O %A %B %P", command
    )
