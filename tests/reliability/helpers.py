"""Helpers for the hostile-input suite: snapshots of a vault's bytes and clean exits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

#: The read commands every hostile vault must survive (each one reads the whole vault).
READ_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("check", "--json"),
    ("due", "--json", "--days", "400"),
    ("list", "--json"),
    ("stats", "--json"),
    ("search", "a"),
)
#: Outputs built from the same notes (run when their branch is merged).
OUTPUT_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("ics",),
    ("digest", "--format", "html", "--days", "60"),
    ("digest", "--format", "txt"),
    ("export", "json"),
    ("export", "csv"),
    ("export", "vcard"),
)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the vault (but the tool's own `.crm/` state) and its bytes."""
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel == ".crm" or rel.startswith(".crm/") or path.is_symlink() or not path.is_file():
            continue
        files[rel] = path.read_bytes()
    return files


def assert_clean_exit(result, allowed: tuple[int, ...] = (0,)) -> None:
    """The command finished with an expected code and no traceback reached the user."""
    text = result.output
    assert "Traceback" not in text, text
    assert "internal error" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in allowed, (result.exit_code, text)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    level: str
    message: str


@dataclass(frozen=True)
class ReadRun:
    """What every read command said about one vault."""

    problems: list[Problem]
    due: list[dict]
    contacts: list[dict]

    def names(self) -> list[str]:
        return [c["name"] for c in self.contacts]

    def about(self, path: str) -> list[Problem]:
        return [p for p in self.problems if p.path == path]


def has_command(name: str) -> bool:
    """Whether `crm NAME` exists yet (other branches add the writing and output commands)."""
    from plaintextcrm.cli import LAZY_COMMANDS, cli

    return name in cli.commands or name in LAZY_COMMANDS


def needs(command: str, branch: str) -> pytest.MarkDecorator:
    """Expected to fail only while `crm COMMAND` (from `branch`) is not merged."""
    return pytest.mark.xfail(
        not has_command(command), reason=f"needs {branch} (crm {command})", strict=False
    )
