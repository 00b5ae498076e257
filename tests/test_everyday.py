"""The everyday command line, through the real `crm` entry point, as people type it.

Each test runs the installed console script in a subprocess (as a shell would), on a
vault built in tmp_path; colour and the pager are tried on a real pseudo-terminal.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
from datetime import date
from pathlib import Path

import pytest
from conftest import write_vault
from wcwidth import wcswidth

TODAY = "2026-11-23"
CRM = shutil.which("crm") or ""
ANSI = re.compile(r"\x1b\[[0-9;]*m")

PEOPLE = {
    "crm.toml": '[circles]\ninner = "2w"\nclose = "1m"\nouter = "1y"\n',
    "People/Anna Rossi.md": (
        "---\ncircle: close\nemail: anna@example.org\nphone: +39 333 1234567\n---\n"
        "## Log\n\n- 2026-09-01 coffee\n"
    ),
    "People/Nicolò Bianchi.md": (
        "---\ncircle: inner\n---\n- [ ] 2026-11-01 ask how the half marathon went\n"
        "- [ ] send him the hiking route\n"
    ),
    "People/田中 博.md": "---\ncircle: outer\nbirthday: 1980-11-24\n---\n",
    "People/Björn Andersson.md": "---\ntags: [chess]\n---\n",
}


def run(vault: Path | None, *args: str, env: dict[str, str] | None = None, cwd=None):
    """`crm --vault VAULT ARGS` in a subprocess, today fixed; stdout and stderr apart."""
    argv = [CRM] if CRM else [sys.executable, "-m", "plaintextcrm"]
    if vault is not None:
        argv += ["--vault", str(vault)]
    full_env = {**os.environ, "CRM_TODAY": TODAY, **(env or {})}
    full_env.pop("NO_COLOR", None) if env is None or "NO_COLOR" not in env else None
    return subprocess.run(
        [*argv, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=60
    )


@pytest.fixture
def people(tmp_path: Path) -> Path:
    return write_vault(tmp_path / "vault", PEOPLE)


def note(root: Path, name: str) -> str:
    return (root / "People" / f"{name}.md").read_text(encoding="utf-8")


# --- conventions ---------------------------------------------------------------------------


@pytest.mark.parametrize("args", [(), ("import",), ("export",)])
def test_bare_crm_and_bare_groups_print_help_and_exit_0(args):
    result = run(None, *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: crm") and "Commands:" in result.stdout
    assert result.stderr == ""


def test_every_command_has_dash_h_an_example_and_the_grammar_where_it_takes_one():
    listed = run(None, "-h").stdout
    commands = re.findall(r"^  ([a-z-]+)  ", listed.split("Commands:")[1], re.M)
    assert {"due", "show", "log", "todo", "done", "cancel", "edit", "snooze"} <= set(commands)
    for command in commands:
        text = run(None, command, "-h").stdout
        assert text.startswith(f"Usage: crm {command}"), command
        if command not in ("import", "export"):
            assert "Examples:" in text and f"crm {command}" in text.split("Examples:")[1]
    for command in ("log", "todo", "snooze"):
        text = " ".join(run(None, command, "--help").stdout.split())
        assert "next friday" in text and "in 2 weeks" in text and "dec 1" in text, command


def test_names_take_several_words_unquoted_and_surnames_find_people(people):
    shown = run(people, "show", "Anna", "Rossi")
    assert shown.returncode == 0 and shown.stdout.startswith("Anna Rossi\n")
    assert run(people, "show", "bianchi").stdout.startswith("Nicolò Bianchi\n")
    assert run(people, "show", "andersson").stdout.startswith("Björn Andersson\n")
    missing = run(people, "show", "Rossini")
    assert missing.returncode == 1 and "no contact named 'Rossini'" in missing.stderr


def test_log_splits_the_name_from_the_text(people):
    result = run(people, "log", "Anna", "coffee", "in", "Rome")
    assert result.returncode == 0, result.stderr
    assert "- 2026-11-23 coffee in Rome\n" in note(people, "Anna Rossi")
    result = run(people, "log", "anna", "rossi", "lunch", "in", "Milan")
    assert "- 2026-11-23 lunch in Milan\n" in note(people, "Anna Rossi")


def test_words_that_could_name_two_people_ask_for_quotes(tmp_path):
    root = write_vault(tmp_path / "v", {
        "crm.toml": "", "People/Anna.md": "---\n---\n", "People/Anna Rossi.md": "---\n---\n",
    })  # fmt: skip
    before = note(root, "Anna")
    result = run(root, "log", "Anna", "Rossi", "dinner")
    assert result.returncode == 2
    assert "could name" in result.stderr and "quote" in result.stderr
    assert note(root, "Anna") == before
    quoted = run(root, "log", "Anna Rossi", "dinner")
    assert quoted.returncode == 0 and "- 2026-11-23 dinner" in note(root, "Anna Rossi")


def test_log_for_several_people_at_once(people):
    result = run(people, "log", "anna,", "nicolo", "lunch", "at", "the", "meetup")
    assert result.returncode == 0, result.stderr
    assert "- 2026-11-23 lunch at the meetup" in note(people, "Anna Rossi")
    assert "- 2026-11-23 lunch at the meetup" in note(people, "Nicolò Bianchi")
    result = run(people, "log", "Anna Rossi, Björn", "chess night")
    assert result.returncode == 0, result.stderr
    assert "chess night" in note(people, "Björn Andersson")


def test_log_next_with_its_own_text(people):
    result = run(
        people, "log", "anna", "lent", "her", "a", "book", "--gave",
        "--next", "next friday", "--next-text", "ask how she liked it",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = note(people, "Anna Rossi")
    assert "- 2026-11-23 lent her a book #gave" in text
    assert "- [ ] 2026-11-27 ask how she liked it" in text  # 2026-11-23 is a Monday


def test_global_options_after_the_command(people):
    before = run(people, "due", "--days", "3", "--json")
    after = run(None, "due", "--days", "3", "--json", "--vault", str(people), "--today", TODAY)
    assert after.returncode == 0 and after.stdout == before.stdout
    later = run(None, "due", "--vault", str(people), "--today", "2026-11-24", "--json")
    assert '"overdue_days": 0' in later.stdout and "田中 博" in later.stdout


@pytest.mark.parametrize("kind", ["follow-up", "followups", "follow-ups", "FOLLOWUP"])
def test_kinds_as_printed_and_plural(people, kind):
    result = run(people, "due", "--kind", kind, "--json")
    assert result.returncode == 0, result.stderr
    assert '"kind": "followup"' in result.stdout and '"birthday"' not in result.stdout
    assert '"kind": "birthday"' in run(people, "due", "--kind", "birthdays", "--json").stdout


def test_todo_without_due_done_and_cancel(people):
    assert run(people, "todo", "bjorn", "return", "the", "book").returncode == 0
    assert "- [ ] return the book\n" in note(people, "Björn Andersson")
    ambiguous = run(people, "done", "nicolo")
    assert ambiguous.returncode == 2 and "say which" in ambiguous.stderr
    assert run(people, "done", "nicolo", "marathon").returncode == 0
    assert "- [x] 2026-11-01 ask how the half marathon went" in note(people, "Nicolò Bianchi")
    cancelled = run(people, "cancel", "nicolo", "bianchi")
    assert cancelled.returncode == 0, cancelled.stderr
    assert "- [-] send him the hiking route" in note(people, "Nicolò Bianchi")
    shown = run(people, "show", "nicolo", "--json").stdout
    assert '"status": "cancelled"' in shown


def test_warnings_for_odd_dates_and_snoozes_still_write(people):
    past = run(people, "todo", "anna", "call", "--due", "yesterday")
    assert past.returncode == 0 and past.stderr.startswith("crm: warning: 2026-11-22")
    assert "- [ ] 2026-11-22 call" in note(people, "Anna Rossi")
    future = run(people, "log", "anna", "dinner", "--date", "tomorrow")
    assert future.returncode == 0 and "in the future" in future.stderr
    snooze = run(people, "snooze", "bjorn", "in", "2", "weeks")
    assert snooze.returncode == 0 and "no cadence" in snooze.stderr
    assert "snooze: 2026-12-07" in note(people, "Björn Andersson")
    assert len(snooze.stderr.splitlines()) == 1


def test_edit_opens_the_note_in_the_editor(people, tmp_path):
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "%s\\n" "$1" > "$(dirname "$0")/opened"\n')
    editor.chmod(0o755)
    result = run(people, "edit", "田中", env={"EDITOR": str(editor), "VISUAL": ""})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "opened").read_text().strip().endswith("People/田中 博.md")


# --- a wrong vault -------------------------------------------------------------------------


def test_a_folder_with_no_contact_is_not_a_vault_and_stays_untouched(tmp_path):
    wrong = write_vault(tmp_path / "Documents", {"todo.md": "- buy milk\n"})
    for args in (("due",), ("new", "Anna"), ("digest",)):
        result = run(wrong, *args)
        assert result.returncode == 1, args
        assert result.stderr.startswith("crm: error: not a vault: ")
        assert "crm init" in result.stderr and len(result.stderr.splitlines()) == 1
    assert sorted(p.name for p in wrong.iterdir()) == ["todo.md"]  # no .crm/, no People/
    typo = run(tmp_path / "Documnets", "due")
    assert typo.returncode == 1 and "does not exist" in typo.stderr


def test_a_plain_folder_of_people_is_a_vault(tmp_path):
    root = write_vault(tmp_path / "notes", {"People/Ada.md": "---\nbirthday: 1815-12-10\n---\n"})
    result = run(root, "due", "--days", "30")
    assert result.returncode == 0 and "Ada" in result.stdout
    assert (root / ".crm").is_dir()  # a vault now: the cache starts


# --- the problems line ---------------------------------------------------------------------


def test_the_problems_line_counts_errors_comes_last_and_once_a_day(people):
    (people / "People/Broken.md").write_text("---\nname: [\n---\n")
    (people / "People/Odd.md").write_text("---\ncircle: nowhere\n---\n")  # a warning only
    first = run(people, "show", "nobody")
    assert first.returncode == 1
    assert first.stderr.splitlines() == [
        "crm: error: no contact named 'nobody'",
        "crm: 1 note has problems; run `crm check`",
    ]
    again = run(people, "show", "nobody")
    assert again.stderr.splitlines() == ["crm: error: no contact named 'nobody'"]
    assert run(people, "due", "--today", "2026-11-24").stderr.startswith("crm: 1 note has")
    (people / "crm.toml").write_text("[terminal]\nproblems = false\n")
    assert run(people, "due", "--today", "2026-11-25").stderr == ""


# --- terminal output -----------------------------------------------------------------------


def tty(vault: Path, *args: str, rows: int = 40, env: dict[str, str] | None = None) -> str:
    """Run crm with its stdout on a pseudo-terminal `rows` tall; what the terminal got."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, 120, 0, 0))
    argv = [CRM] if CRM else [sys.executable, "-m", "plaintextcrm"]
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PAGER", "LESS")}
    full_env.update({"CRM_TODAY": TODAY, "TERM": "xterm", **(env or {})})
    proc = subprocess.run(
        [*argv, "--vault", str(vault), *args], stdin=slave, stdout=slave,
        stderr=subprocess.PIPE, env=full_env, timeout=60,
    )  # fmt: skip
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.returncode == 0, proc.stderr
    return out.decode("utf-8").replace("\r\n", "\n")


def test_colour_on_a_terminal_and_the_ways_to_turn_it_off(people):
    coloured = tty(people, "due", "--days", "3")
    overdue = next(line for line in coloured.splitlines() if "marathon" in line)
    assert overdue.startswith("\x1b[31m2026-11-01\x1b[0m")  # overdue: red
    tomorrow = next(line for line in coloured.splitlines() if "turns 46" in line)
    assert "\x1b[35mbirthday\x1b[0m" in tomorrow  # the kind's colour
    assert ANSI.search(tty(people, "due", env={"NO_COLOR": "1"})) is None
    assert ANSI.search(tty(people, "due", "--color", "never")) is None
    assert ANSI.search(tty(people, "due", "--color", "always", env={"NO_COLOR": "1"}))
    piped = run(people, "due", "--days", "3")
    assert ANSI.search(piped.stdout) is None  # not a terminal: plain
    assert ANSI.search(run(people, "due", "--color", "always").stdout)


def test_long_output_goes_through_the_pager_on_a_terminal(people, tmp_path):
    copy = tmp_path / "paged"
    pager = {"PAGER": f"tee {copy}"}
    tty(people, "list", rows=4, env=pager)
    assert "Anna Rossi" in copy.read_text()
    copy.unlink()
    tty(people, "list", rows=40, env=pager)  # fits on the screen: no pager
    assert not copy.exists()
    (people / "crm.toml").write_text("[terminal]\npager = false\n")
    tty(people, "list", rows=4, env=pager)
    assert not copy.exists()


def test_columns_line_up_by_display_width(people):
    lines = run(people, "due", "--days", "3").stdout.splitlines()
    starts = []
    for line in lines:
        name_end = re.search(r"(田中 博|Nicolò Bianchi|Anna Rossi)\s+", line).end()
        starts.append(wcswidth(line[:name_end]))
    assert len(lines) >= 2 and len(set(starts)) == 1, lines
    table = run(people, "list").stdout.splitlines()
    assert table[0].split() == ["NAME", "CIRCLE", "LAST", "CONTACT", "NEXT", "EMAIL", "PHONE"]
    circle_col = {wcswidth(line[: line.index(c)]) for line, c in zip(
        table[1:], ["close", "-", "inner", "outer"], strict=True)}  # fmt: skip
    assert len(circle_col) == 1, table
    assert "anna@example.org" in table[1] and "+39 333 1234567" in table[1]


def test_list_sorts(people):
    def names(*args):
        return [
            line.split("  ")[0].strip()
            for line in run(people, "list", *args).stdout.splitlines()[1:]
        ]

    assert names() == ["Anna Rossi", "Björn Andersson", "Nicolò Bianchi", "田中 博"]
    assert names("--sort", "circle") == [
        "Nicolò Bianchi",
        "Anna Rossi",
        "田中 博",
        "Björn Andersson",
    ]
    # Anna's reconnect was due 2026-10-01, Nicolò's follow-up 2026-11-01; 田中's birthday
    # is tomorrow, Björn has no reminder: last
    assert names("--sort", "next") == ["Anna Rossi", "Nicolò Bianchi", "田中 博", "Björn Andersson"]
    assert names("--sort", "last")[-1] == "Anna Rossi"  # the only one ever contacted


def test_search_exits_1_when_nothing_matches(people):
    assert run(people, "search", "marathon").returncode == 0
    nothing = run(people, "search", "giraffe")
    assert nothing.returncode == 1 and "No contact mentions 'giraffe'" in nothing.stdout


def test_stats_circles_in_tier_order_naming_the_overdue(people):
    text = run(people, "stats").stdout
    block = text.split("By circle:\n")[1].split("\n\n")[0].split()
    assert block[0::2] == ["inner", "close", "outer", "(none)"]
    overdue = text.split("Overdue reconnects: ")[1]
    assert overdue.startswith("1\n  Anna Rossi (53 days overdue)\n")


# --- shell completion ----------------------------------------------------------------------


def test_shell_completion_scripts_and_contact_names(people):
    for shell in ("bash", "zsh", "fish"):
        script = run(None, env={"_CRM_COMPLETE": f"{shell}_source"})
        assert script.returncode == 0 and "_CRM_COMPLETE" in script.stdout, shell
    words = run(
        None,
        env={"_CRM_COMPLETE": "bash_complete", "COMP_WORDS": f"crm --vault {people} show an",
             "COMP_CWORD": "4"},
    )  # fmt: skip
    assert "Anna Rossi" in words.stdout
    kinds = run(None, env={"_CRM_COMPLETE": "bash_complete", "COMP_WORDS": "crm due --kind bi",
                           "COMP_CWORD": "3"})  # fmt: skip
    assert "birthday" in kinds.stdout


@pytest.mark.parametrize(
    "argv", [["--today", "2026-12-24", "watch"], ["watch", "--today", "2026-12-24"]]
)
def test_today_before_or_after_the_command_fixes_the_day_of_watch(people, monkeypatch, argv):
    """`crm watch --today D` keeps D all night long, as `crm --today D watch` does; without
    it the watcher moves on to the new day at midnight."""
    from click.testing import CliRunner

    from plaintextcrm.cli import cli
    from plaintextcrm.commands import live

    sources = []

    def record_then_stop(app):
        sources.append(real(app))
        raise SystemExit(0)

    real = live._today_source
    monkeypatch.setattr(live, "_today_source", record_then_stop)
    ics = str(people / "crm.ics")
    CliRunner().invoke(cli, ["--vault", str(people), *argv, "--ics", ics], env={"CRM_TODAY": ""})
    CliRunner().invoke(cli, ["--vault", str(people), "watch", "--ics", ics], env={"CRM_TODAY": ""})
    assert sources[0]().isoformat() == "2026-12-24"
    assert sources[1] == date.today  # not given (an empty CRM_TODAY is not a day)


def test_dates_of_several_words_need_no_quotes(people):
    """The shell splits `--due next friday` into three words; crm reads the longest run
    after a date option that is one WHEN, and leaves the rest to the text."""
    assert (
        run(people, "todo", "anna", "send", "the", "deck", "--due", "next", "friday").returncode
        == 0
    )
    assert run(people, "todo", "anna", "call", "--due", "in", "2", "weeks").returncode == 0
    assert run(people, "todo", "anna", "book", "--due", "2w", "flights").returncode == 0
    assert run(people, "log", "anna", "dinner", "--date", "nov", "20", "at", "hers").returncode == 0
    text = note(people, "Anna Rossi")
    assert "- [ ] 2026-11-27 send the deck\n" in text
    assert "- [ ] 2026-12-07 call\n" in text
    assert "- [ ] 2026-12-07 book flights\n" in text  # `2w flights` is no date: text
    assert "- 2026-11-20 dinner at hers\n" in text


def test_join_when_words_stops_at_options_and_at_double_dash():
    from plaintextcrm.cli import join_when_words

    assert join_when_words(["todo", "a", "--due", "next", "friday", "--json"]) == [
        "todo", "a", "--due", "next friday", "--json",
    ]  # fmt: skip
    assert join_when_words(["log", "a", "--", "--due", "next", "friday"]) == [
        "log", "a", "--", "--due", "next", "friday",
    ]  # fmt: skip
    assert join_when_words(["--today", "2026-11-23", "due"]) == ["--today", "2026-11-23", "due"]
