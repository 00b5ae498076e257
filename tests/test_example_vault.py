"""The shipped example vault: a golden `crm due --json`, and exactly its deliberate problems.

The example vault is what a new user runs first and what the docs quote, so it must show
every feature on any day it is run, and its only problems are the ones in
`Broken examples/`. Every test works on a copy in tmp_path (the cache writes `.crm/`).

Regenerate the golden file after an intended change to the vault or to the reminders:

    python3 tests/test_example_vault.py --regen
    # or: CRM_REGEN_GOLDEN=1 python3 -m pytest tests/test_example_vault.py

then read `git diff tests/golden/` like a user before committing it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "example-vault"
GOLDEN = REPO / "tests" / "golden" / "due-2026-11-23.json"
GOLDEN_TODAY = "2026-11-23"
PROBLEM_LINE = "crm: 6 notes have problems; run `crm check`"

#: (path, line, level, a piece of the message): everything `crm check` must report.
DELIBERATE_PROBLEMS = [
    ("Broken examples/Bad YAML.md", 4, "error", "front matter is not valid YAML"),
    ("Broken examples/Duplicate alias.md", None, "error", "`Kiki` is also used by People/Chiara Esposito.md"),
    ("Broken examples/Impossible birthday.md", 4, "error", "`birthday`: invalid date '1990-02-30'"),
    ("Broken examples/Impossible log date.md", 9, "warning", "impossible date 2026-04-31"),
    ("Broken examples/Latin-1 note.md", 3, "error", "not UTF-8"),
    ("Broken examples/Unknown circle.md", 4, "warning", "unknown circle `besties`"),
    ("Broken examples/Unreadable cadence.md", 4, "error", "invalid cadence 'often'"),
    # A clash has two sides: the real contact is told too, or it could not know why
    # `[[Kiki]]` stopped resolving.
    ("People/Chiara Esposito.md", None, "error", "`Kiki` is also used by Broken examples/Duplicate alias.md"),
]  # fmt: skip


def _run(vault: Path, today: str, *args: str):
    from click.testing import CliRunner

    from plaintextcrm.cli import cli

    argv = ["--vault", str(vault), "--today", today, *args]
    return CliRunner().invoke(cli, argv, catch_exceptions=False)


def _golden_due(vault: Path) -> list[dict]:
    result = _run(vault, GOLDEN_TODAY, "due", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _write_golden(data: list[dict]) -> None:
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    GOLDEN.write_text(text, encoding="utf-8")


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A private copy of the example vault (commands may write `.crm/` into it)."""
    copy = tmp_path / "example-vault"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".crm"))
    return copy


def test_due_json_matches_the_golden_file(example):
    got = _golden_due(example)
    if os.environ.get("CRM_REGEN_GOLDEN"):
        _write_golden(got)
    assert got == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_check_reports_exactly_the_deliberate_problems(example):
    result = _run(example, GOLDEN_TODAY, "check", "--json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert len(problems) == len(DELIBERATE_PROBLEMS), json.dumps(problems, indent=1)
    for found, (path, line, level, message) in zip(problems, DELIBERATE_PROBLEMS, strict=True):
        assert (found["path"], found["line"], found["level"]) == (path, line, level), found
        assert message in found["message"], found
    text = _run(example, GOLDEN_TODAY, "check")
    assert text.exit_code == 1
    lines = text.stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{path}:{line}" if line else path for path, line, _, _ in DELIBERATE_PROBLEMS
    ]
    assert "6 errors, 2 warnings" in text.stderr


def test_no_problem_outside_broken_examples_except_the_clash(example):
    paths = {path for path, *_ in DELIBERATE_PROBLEMS}
    assert {p for p in paths if not p.startswith("Broken examples/")} == {
        "People/Chiara Esposito.md"
    }


def _read_commands() -> list[tuple[str, ...]]:
    """Every command that only reads the vault, including output commands once merged."""
    from plaintextcrm.cli import LAZY_COMMANDS

    commands: list[tuple[str, ...]] = [
        ("due",), ("due", "--json"), ("due", "--days", "60", "--kind", "birthday"),
        ("list",), ("list", "--json"), ("list", "--circle", "inner"),
        ("list", "--tag", "people"), ("list", "--company", "acme"),
        ("show", "nicolo"), ("show", "Zoe", "--json"), ("show", "田中 博"),
        ("search", "lisbon"), ("search", "--json", "zine"), ("stats",), ("stats", "--json"),
    ]  # fmt: skip
    if "ics" in LAZY_COMMANDS:
        commands.append(("ics",))
    if "digest" in LAZY_COMMANDS:
        commands += [("digest", "--format", f) for f in ("md", "html", "txt")]
    if "export" in LAZY_COMMANDS:
        commands += [("export", f) for f in ("json", "csv", "vcard")]
    return commands


@pytest.mark.parametrize("args", _read_commands(), ids=" ".join)
def test_every_read_command_works_and_warns_once(example, args):
    result = _run(example, GOLDEN_TODAY, *args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()
    assert result.stderr.splitlines() == [PROBLEM_LINE]


def test_show_works_for_every_contact_by_name(example):
    listed = json.loads(_run(example, GOLDEN_TODAY, "list", "--json").stdout)
    assert len(listed) >= 22
    for contact in listed:
        shown = _run(example, GOLDEN_TODAY, "show", contact["name"], "--json")
        assert shown.exit_code == 0, (contact["name"], shown.output)
        assert json.loads(shown.stdout)["note"] == contact["note"]


def test_ambiguous_alias_is_refused_with_both_candidates(example):
    result = _run(example, GOLDEN_TODAY, "show", "Kiki")
    assert result.exit_code == 2
    assert "Chiara Bruno" in result.stderr and "Chiara Esposito" in result.stderr


@pytest.mark.parametrize(
    "today", ["2026-11-23", "2027-06-01", "2028-02-29", "2030-01-01", "2040-12-31"]
)
def test_overdue_followups_and_reconnects_on_any_day(example, today):
    result = _run(example, today, "due", "--json")
    assert result.exit_code == 0
    overdue = [r for r in json.loads(result.stdout) if r["overdue_days"] > 0]
    assert sum(r["kind"] == "followup" for r in overdue) >= 3
    assert sum(r["kind"] == "reconnect" for r in overdue) >= 3


def test_birthdays_and_dates_spread_through_the_year(example):
    result = _run(example, "2027-01-01", "due", "--days", "364", "--kind", "birthday",
                  "--kind", "date", "--json")  # fmt: skip
    yearly = json.loads(result.stdout)
    months = {r["date"][5:7] for r in yearly}
    assert len(months) >= 8, months
    pepe = next(r for r in yearly if r["contact"] == "José Álvarez")
    assert (pepe["date"], pepe["age"]) == ("2027-02-28", 35)  # Feb 29 in a common year
    zoe = next(r for r in yearly if r["contact"] == "Zoë Martin")
    assert zoe["age"] is None  # --07-02 has no year


def _doc_block(command: str) -> list[str]:
    """The lines docs/notes.md shows under `$ crm --vault example-vault ... <command>`."""
    text = (REPO / "docs" / "notes.md").read_text(encoding="utf-8")
    head = text.index(f"$ crm --vault example-vault {command}\n")
    block = text[head:].split("\n```", 1)[0]
    return block.splitlines()[1:]


def test_docs_show_what_the_commands_print(example):
    """docs/notes.md quotes the example vault; a change to either must update the other."""
    check = _run(example, GOLDEN_TODAY, "check")
    assert _doc_block("check") == check.stdout.splitlines()
    due = _run(example, GOLDEN_TODAY, "due")
    shown = [line for line in _doc_block(f"--today {GOLDEN_TODAY} due") if line != "..."]
    assert set(shown) <= set(due.stdout.splitlines())
    assert shown[:2] == due.stdout.splitlines()[:2]
    assert due.stderr.splitlines() == [PROBLEM_LINE]


if __name__ == "__main__":
    # Through pytest, with this checkout first on the path: an editable install of another
    # checkout must not write the golden file.
    import subprocess

    if "--regen" not in sys.argv[1:]:
        sys.exit(f"usage: python3 {Path(__file__).name} --regen")
    env = {**os.environ, "CRM_REGEN_GOLDEN": "1", "PYTHONPATH": str(REPO)}
    test = f"{Path(__file__).resolve()}::test_due_json_matches_the_golden_file"
    sys.exit(subprocess.run([sys.executable, "-m", "pytest", "-q", test], env=env).returncode)
