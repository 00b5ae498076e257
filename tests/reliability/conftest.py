"""Fixtures for the hostile-input suite: run every read command, prove no byte changed.

Each test in this folder names the BAD_INPUTS.md case it proves (`case 14`), so
docs/reliability.md can point from a case to its test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import (
    OUTPUT_COMMANDS,
    READ_COMMANDS,
    Problem,
    ReadRun,
    assert_clean_exit,
    has_command,
    snapshot,
)


@pytest.fixture
def read_all(crm):
    """Run every read command on `root` twice (cold, then warm cache); assert no traceback,
    the same answers both times, and no byte of the vault changed.

    Returns the problems of `crm check --json`, the reminders and the contacts.
    """

    def run(root: Path, *, check_codes: tuple[int, ...] = (0, 1), today=None) -> ReadRun:
        kwargs = {"today": today} if today is not None else {}
        before = snapshot(root)
        outputs: dict[str, str] = {}
        for args in READ_COMMANDS:
            result = crm(root, *args, **kwargs)
            assert_clean_exit(result, check_codes if args[0] == "check" else (0,))
            outputs[args[0]] = result.stdout
        for args in READ_COMMANDS:  # again, from a warm cache: the same answers
            result = crm(root, *args, **kwargs)
            assert result.stdout == outputs[args[0]], f"warm-cache {args[0]} differs"
        for args in OUTPUT_COMMANDS:  # the outputs read the same hostile notes
            if has_command(args[0]):
                assert_clean_exit(crm(root, *args, **kwargs))
        assert snapshot(root) == before, "a read command changed a note"
        problems = [Problem(**p) for p in json.loads(outputs["check"])]
        return ReadRun(problems, json.loads(outputs["due"]), json.loads(outputs["list"]))

    return run
