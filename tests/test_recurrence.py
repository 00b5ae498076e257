"""Obsidian Tasks' recurring tasks: the rules (plaintextcrm/recurrence.py), the next
occurrence written by `crm done` (plaintextcrm/edit.py), and docs/editing.md's example.

The cases come from the plugin's documentation ("Recurring Tasks") and its tests
(`tests/Task/Recurrence.test.ts`), and the rule texts from rrule.js's own parser tests,
checked against python-dateutil reading the RRULE those tests expect.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given
from hypothesis import strategies as st

from plaintextcrm.config import Config
from plaintextcrm.dates import add_months
from plaintextcrm.edit import Finished, mark_task_done, tick_task
from plaintextcrm.parse import parse_note, read_task
from plaintextcrm.recurrence import (
    NoNextOccurrence,
    Occurrence,
    TasksSettings,
    next_occurrence,
    parse_rule,
    read_tasks_settings,
)
from plaintextcrm.syntax import tasks_tail

REPO = Path(__file__).resolve().parent.parent
D = date
LATER = date(2030, 1, 1)
TODAY = date(2026, 11, 23)


def next_due(rule: str, due: date, done_on: date = LATER) -> date | None:
    parsed = parse_rule(rule)
    assert parsed is not None, rule
    return next_occurrence(parsed, Occurrence(due=due), done_on=done_on).due


# --- the rules, as the plugin documents them -----------------------------------------------


@pytest.mark.parametrize(
    ("rule", "due", "expected"),
    [
        # "Basic Example": the next Sunday after 25 April 2021 is 2 May.
        ("every Sunday", D(2021, 4, 25), D(2021, 5, 2)),
        # "every month on the last: reliable and safe"
        ("every month on the last", D(2022, 1, 31), D(2022, 2, 28)),
        ("every month on the last", D(2022, 2, 28), D(2022, 3, 31)),
        ("every month on the last", D(2022, 4, 30), D(2022, 5, 31)),
        # "every month: if next calculated date does not exist, move new due date earlier"
        ("every month", D(2021, 10, 31), D(2021, 11, 30)),
        ("every month", D(2021, 11, 30), D(2021, 12, 30)),
        ("every month", D(2022, 1, 30), D(2022, 2, 28)),
        ("every month", D(2022, 2, 28), D(2022, 3, 28)),
        # "every month on the 31st: skips months with fewer than 31 days"
        ("every month on the 31st", D(2022, 1, 31), D(2022, 3, 31)),
        ("every month on the 31st", D(2022, 3, 31), D(2022, 5, 31)),
        ("every month on the 31st", D(2022, 5, 31), D(2022, 7, 31)),
        # "Next recurrence is on non-existent date"
        ("every 3 months", D(2022, 1, 31), D(2022, 4, 30)),
        ("every 3 months", D(2022, 4, 30), D(2022, 7, 30)),
        # Recurrence.test.ts
        ("every 2 months", D(2023, 12, 31), D(2024, 2, 29)),
        ("every 2 years", D(2024, 2, 29), D(2026, 2, 28)),
        ("every 11 months", D(2020, 3, 31), D(2021, 2, 28)),
        ("every 13 months", D(2020, 1, 31), D(2021, 2, 28)),
        # "Examples": every one of the documented rules
        ("every 3 days", D(2026, 11, 23), D(2026, 11, 26)),
        ("every weekday", D(2026, 11, 27), D(2026, 11, 30)),  # Friday → Monday
        ("every weekday", D(2026, 11, 23), D(2026, 11, 24)),
        ("every week on Sunday", D(2026, 11, 22), D(2026, 11, 29)),
        ("every week on Tuesday, Friday", D(2026, 11, 24), D(2026, 11, 27)),
        ("every week on Tuesday, Friday", D(2026, 11, 27), D(2026, 12, 1)),
        ("every 2 weeks", D(2026, 11, 23), D(2026, 12, 7)),
        ("every 3 weeks on Friday", D(2026, 11, 27), D(2026, 12, 18)),
        ("every 2 months", D(2026, 11, 23), D(2027, 1, 23)),
        ("every month on the 1st", D(2026, 11, 1), D(2026, 12, 1)),
        ("every month on the last Friday", D(2026, 11, 27), D(2026, 12, 25)),
        ("every month on the 2nd last Friday", D(2026, 11, 20), D(2026, 12, 18)),
        ("every 6 months on the 2nd Wednesday", D(2026, 1, 14), D(2026, 7, 8)),
        ("every January on the 15th", D(2026, 1, 15), D(2027, 1, 15)),
        ("every February on the last", D(2026, 2, 28), D(2027, 2, 28)),
        ("every February on the last", D(2027, 2, 28), D(2028, 2, 29)),
        ("every April and December on the 1st and 24th", D(2026, 4, 1), D(2026, 4, 24)),
        ("every April and December on the 1st and 24th", D(2026, 4, 24), D(2026, 12, 1)),
        ("every April and December on the 1st and 24th", D(2026, 12, 24), D(2027, 4, 1)),
        ("every year", D(2026, 3, 1), D(2027, 3, 1)),
        ("every week on Monday, Wednesday", D(2026, 11, 23), D(2026, 11, 25)),
        # rrule.js reads what it can and ignores the rest, as the plugin does
        ("Every Week", D(2026, 11, 23), D(2026, 11, 30)),
        ("every week on mon", D(2026, 11, 23), D(2026, 11, 30)),
    ],
)
def test_documented_rules(rule, due, expected):
    assert next_due(rule, due) == expected


# rrule.js's parser tests (test/nlp.test.ts): each text with the RRULE it must read as.
RRULE_TEXTS = [
    ("Every day", "RRULE:FREQ=DAILY"),
    ("Every day at 10, 12 and 17", "RRULE:FREQ=DAILY;BYHOUR=10,12,17"),
    ("Every week on Sunday at 10, 12 and 17", "RRULE:FREQ=WEEKLY;BYDAY=SU;BYHOUR=10,12,17"),
    ("Every week", "RRULE:FREQ=WEEKLY"),
    ("Every hour", "RRULE:FREQ=HOURLY"),
    ("Every 4 hours", "RRULE:INTERVAL=4;FREQ=HOURLY"),
    ("Every week on Tuesday", "RRULE:FREQ=WEEKLY;BYDAY=TU"),
    ("Every week on Monday, Wednesday", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE"),
    ("Every weekday", "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
    ("Every 2 weeks", "RRULE:INTERVAL=2;FREQ=WEEKLY"),
    ("Every month", "RRULE:FREQ=MONTHLY"),
    ("Every 6 months", "RRULE:INTERVAL=6;FREQ=MONTHLY"),
    ("Every year", "RRULE:FREQ=YEARLY"),
    ("Every year on the 1st Friday", "RRULE:FREQ=YEARLY;BYDAY=+1FR"),
    ("Every year on the 13th Friday", "RRULE:FREQ=YEARLY;BYDAY=+13FR"),
    ("Every month on the 4th", "RRULE:FREQ=MONTHLY;BYMONTHDAY=4"),
    ("Every month on the 4th last", "RRULE:FREQ=MONTHLY;BYMONTHDAY=-4"),
    ("Every month on the 3rd Tuesday", "RRULE:FREQ=MONTHLY;BYDAY=+3TU"),
    ("Every month on the 3rd last Tuesday", "RRULE:FREQ=MONTHLY;BYDAY=-3TU"),
    ("Every month on the last Monday", "RRULE:FREQ=MONTHLY;BYDAY=-1MO"),
    ("Every month on the 2nd last Friday", "RRULE:FREQ=MONTHLY;BYDAY=-2FR"),
]


@pytest.mark.parametrize(("text", "rrule"), RRULE_TEXTS)
def test_rule_words_read_as_rrule_js_reads_them(text, rrule):
    """Twelve completions in a row give the days dateutil lists for the expected RRULE."""
    start = D(2026, 1, 5)
    expected: list[date] = []
    for found in rrulestr(rrule, dtstart=datetime.combine(start, time.min)).xafter(
        datetime.combine(start, time.max)
    ):
        if found.date() not in expected:
            expected.append(found.date())
        if len(expected) == 12:
            break
    got, due = [], start
    for _ in range(12):
        due = next_due(text, due)
        got.append(due)
    assert got == expected


@pytest.mark.parametrize(
    "rule", ["every blursday", "each week", "every", "every two weeks", "weekly", "every 2"]
)
def test_rules_the_plugin_does_not_read(rule):
    assert parse_rule(rule) is None


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("every week for 20 times", "cannot repeat a task a number of times or until a date"),
        ("every week until January", "cannot repeat a task a number of times or until a date"),
        ("every month on the 40th", "the rule gives no date after this one"),
    ],
)
def test_rules_without_a_next_occurrence(rule, reason):
    parsed = parse_rule(rule)
    assert parsed is not None
    with pytest.raises(NoNextOccurrence, match=reason):
        next_occurrence(parsed, Occurrence(due=D(2026, 1, 5)), done_on=D(2026, 1, 5))


def test_every_date_keeps_its_distance_to_the_due_date():
    """ "Priority of Dates": Mow the lawn, scheduled two days before it is due."""
    rule = parse_rule("every 2 weeks")
    assert rule is not None
    dates = Occurrence(due=D(2021, 10, 30), scheduled=D(2021, 10, 28), start=D(2021, 10, 20))
    assert next_occurrence(rule, dates, done_on=D(2021, 10, 30)) == Occurrence(
        due=D(2021, 11, 13), scheduled=D(2021, 11, 11), start=D(2021, 11, 3)
    )


def test_when_done_counts_from_the_completion_day():
    """ "sweep the floors": a week after completion, not after the missed date."""
    late = Occurrence(scheduled=D(2021, 2, 6))
    plain, done = parse_rule("every week"), parse_rule("every week when done")
    assert plain is not None and done is not None and done.when_done
    assert next_occurrence(plain, late, done_on=D(2022, 2, 13)).scheduled == D(2021, 2, 13)
    assert next_occurrence(done, late, done_on=D(2022, 2, 13)).scheduled == D(2022, 2, 20)
    ten = parse_rule("every 10 days when done")
    assert ten is not None
    assert next_occurrence(ten, Occurrence(due=D(2026, 1, 1)), done_on=D(2026, 1, 5)).due == D(
        2026, 1, 15
    )


def test_reference_date_priority_and_the_remove_scheduled_setting():
    rule = parse_rule("every month")
    assert rule is not None
    dates = Occurrence(start=D(2022, 1, 1), scheduled=D(2022, 1, 4), due=D(2022, 1, 10))
    drop = TasksSettings(remove_scheduled_date=True)
    assert next_occurrence(rule, dates, done_on=D(2022, 1, 10), settings=drop) == Occurrence(
        start=D(2022, 2, 1), scheduled=None, due=D(2022, 2, 10)
    )
    only_scheduled = Occurrence(scheduled=D(2022, 1, 4))
    assert next_occurrence(
        rule, only_scheduled, done_on=D(2022, 1, 10), settings=drop
    ).scheduled == D(2022, 2, 4)
    # with the setting, a `when done` task without a due date counts from its start date
    three = parse_rule("every 3 days when done")
    assert three is not None
    no_due = Occurrence(start=D(2022, 1, 1), scheduled=D(2022, 1, 4))
    assert next_occurrence(three, no_due, done_on=D(2022, 1, 10), settings=drop) == Occurrence(
        start=D(2022, 1, 13)
    )


def test_invalid_dates_as_the_plugin_treats_them():
    rule = parse_rule("every day")
    assert rule is not None
    with pytest.raises(NoNextOccurrence, match="due date is not a real day"):
        next_occurrence(rule, Occurrence(invalid=frozenset({"due"})), done_on=D(2022, 2, 27))
    lower = Occurrence(due=D(2022, 2, 27), invalid=frozenset({"scheduled"}))
    assert next_occurrence(rule, lower, done_on=D(2022, 2, 27)) == Occurrence(
        due=D(2022, 2, 28), scheduled=D(2022, 2, 28)
    )


def test_a_task_without_dates_repeats_without_dates():
    rule = parse_rule("every week")
    assert rule is not None
    assert next_occurrence(rule, Occurrence(), done_on=D(2026, 1, 1)) == Occurrence()


days = st.dates(min_value=D(1950, 1, 1), max_value=D(2150, 12, 31))


@given(days, st.integers(1, 60), st.sampled_from(["day", "week"]))
def test_days_and_weeks_are_exact(due, n, unit):
    step = n if unit == "day" else 7 * n
    assert next_due(f"every {n} {unit}s", due) == due + timedelta(days=step)


@given(days, st.integers(1, 30))
def test_months_clamp_to_the_month_end_like_add_months(due, n):
    """The plugin's day-by-day correction of rrule amounts to clamping to the month end."""
    assert next_due(f"every {n} months", due) == add_months(due, n)
    assert next_due(f"every {n} months when done", D(1900, 1, 1), done_on=due) == add_months(due, n)


@given(days, st.integers(1, 5))
def test_years_clamp_feb_29(due, n):
    assert next_due(f"every {n} years", due) == add_months(due, 12 * n)


@given(days, st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True))
def test_weekly_on_days_is_the_next_such_day(due, weekdays):
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    rule = "every week on " + ", ".join(names[d] for d in weekdays)
    found = next_due(rule, due)
    assert found is not None and found.weekday() in weekdays
    assert 1 <= (found - due).days <= 7
    assert all(
        (due + timedelta(days=k)).weekday() not in weekdays for k in range(1, (found - due).days)
    )


# --- the fields at the end of a task line ---------------------------------------------------


def test_tasks_tail_reads_fields_from_the_end_only():
    text = " call 🔁 every week (maybe) 📅 2026-01-01 #home ⏫ 🔁 every day ⏳ 2026-01-02 ^b1"
    fields, end = tasks_tail(text)
    assert [(f.name, f.value) for f in fields] == [
        ("scheduled", "2026-01-02"),
        ("recurrence", "every day"),
        ("priority", "⏫"),
        ("tag", "#home"),
        ("due", "2026-01-01"),
    ]
    assert text[:end] == " call 🔁 every week (maybe)"
    for f in fields:
        assert text[f.value_start : f.end] == f.value


# --- what `crm done` writes -----------------------------------------------------------------


def task_at(data: bytes, line: int):
    note = parse_note("People/Anna Rossi.md", data, Config())
    return next(t for t in note.tasks if t.line == line)


def tick(before: bytes, line: int, today: date = TODAY, **kw) -> Finished:
    return tick_task(before, task_at(before, line), today=today, **kw)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (  # the docs' basic example; the rule is copied as written
            "- [ ] take out the trash 🔁 every Sunday 📅 2021-04-25\n",
            "- [ ] take out the trash 🔁 every Sunday 📅 2021-05-02\n"
            "- [x] take out the trash 🔁 every Sunday 📅 2021-04-25 ✅ 2026-11-23\n",
        ),
        (  # the block id stays on the completed task; ids and dependencies do not repeat
            "x\n  - [ ] water 🔁 every week 🆔 w1 ⛔ a2,b3 ⏳ 2026-11-21 📅 2026-11-22 ^blk\n",
            "x\n  - [ ] water 🔁 every week ⏳ 2026-11-28 📅 2026-11-29\n"
            "  - [x] water 🔁 every week 🆔 w1 ⛔ a2,b3 ⏳ 2026-11-21 📅 2026-11-22 ✅ 2026-11-23 ^blk\n",
        ),
        (  # a quoted list, CRLF, a missing final newline, an in-progress box
            "> * [/] pay rent 🔁 every month on the 1st 🛫 2026-11-25 📅 2026-12-01\r\n> end",
            "> * [ ] pay rent 🔁 every month on the 1st 🛫 2026-12-26 📅 2027-01-01\r\n"
            "> * [x] pay rent 🔁 every month on the 1st 🛫 2026-11-25 📅 2026-12-01 ✅ 2026-11-23\r\n"
            "> end",
        ),
        (  # crm's own style: the leading date is the due date, and moves
            "- [ ] 2026-11-20 call mum 🔁 every week when done\n",
            "- [ ] 2026-11-30 call mum 🔁 every week when done\n"
            "- [x] 2026-11-20 call mum 🔁 every week when done ✅ 2026-11-23\n",
        ),
        (  # a created date is dropped, as with the plugin's default settings
            "- [ ] review 🔁 every 2 weeks ➕ 2026-01-01 📅 2026-11-23 #work\n",
            "- [ ] review 🔁 every 2 weeks 📅 2026-12-07 #work\n"
            "- [x] review 🔁 every 2 weeks ➕ 2026-01-01 📅 2026-11-23 #work ✅ 2026-11-23\n",
        ),
    ],
)
def test_next_occurrence_goes_above(before, after):
    done = tick(before.encode(), 1 if not before.startswith("x") else 2)
    assert done.data.decode() == after
    assert done.warning is None
    lines = after.replace("\r\n", "\n").split("\n")
    assert done.next_line is not None and done.line == done.next_line + 1
    assert read_task(lines[done.next_line - 1])[0] == "open"
    assert read_task(lines[done.line - 1])[0] == "done"


def test_plugin_settings_next_line_below_and_created_date():
    before = b"- [ ] review \xf0\x9f\x94\x81 every week \xf0\x9f\x93\x85 2026-11-23\n  - sub\n"
    settings = TasksSettings(next_on_line_below=True, set_created_date=True)
    done = tick(before, 1, tasks=settings)
    assert done.data.decode() == (
        "- [x] review 🔁 every week 📅 2026-11-23 ✅ 2026-11-23\n"
        "- [ ] review 🔁 every week ➕ 2026-11-23 📅 2026-11-30\n"
        "  - sub\n"
    )
    assert (done.line, done.next_line) == (1, 2)


@pytest.mark.parametrize(
    ("line", "warning"),
    [
        (
            "- [ ] call 🔁 every blursday 📅 2026-11-20",
            "`🔁 every blursday` is not a recurrence rule Obsidian Tasks reads;"
            " the task is done, with no next occurrence",
        ),
        (
            "- [ ] call 🔁 every week for 3 times 📅 2026-11-20",
            "`🔁 every week for 3 times`: Obsidian Tasks cannot repeat a task a number of times"
            " or until a date; the task is done, with no next occurrence",
        ),
        (
            "- [ ] call 🔁 every day ⏳ 2026-11-20 📅 2026-02-30",
            "`🔁 every day`: its due date is not a real day; the task is done, with no next occurrence",
        ),
    ],
)
def test_a_rule_without_next_occurrence_ticks_and_warns(line, warning):
    before = f"# Tasks\n{line}\n".encode()
    task = next(t for t in parse_note("A.md", before, Config()).tasks)
    done = tick_task(before, task, today=D(2026, 11, 23))
    assert done.data.decode() == f"# Tasks\n{line.replace('[ ]', '[x]')} ✅ 2026-11-23\n"
    assert (done.line, done.next_line, done.warning) == (2, None, warning)


def test_mark_task_done_repeats_too_and_plain_tasks_are_unchanged():
    before = "- [ ] call 🔁 every day 📅 2026-11-23\n- [ ] plain\n".encode()
    assert (
        mark_task_done(before, task_at(before, 1), today=D(2026, 11, 23))
        == (
            "- [ ] call 🔁 every day 📅 2026-11-24\n"
            "- [x] call 🔁 every day 📅 2026-11-23 ✅ 2026-11-23\n- [ ] plain\n"
        ).encode()
    )
    plain = tick(before, 2)
    assert plain == Finished(
        "- [ ] call 🔁 every day 📅 2026-11-23\n- [x] plain ✅ 2026-11-23\n".encode(), 2
    )


def test_settings_are_read_from_the_plugin_data(tmp_path: Path):
    assert read_tasks_settings(tmp_path) == TasksSettings()
    folder = tmp_path / ".obsidian" / "plugins" / "obsidian-tasks-plugin"
    folder.mkdir(parents=True)
    (folder / "data.json").write_text("{broken")
    assert read_tasks_settings(tmp_path) == TasksSettings()
    data = {
        "recurrenceOnNextLine": True, "setCreatedDate": True, "setDoneDate": True,
        "removeScheduledDateOnRecurrence": False, "globalFilter": "",
    }  # fmt: skip
    (folder / "data.json").write_text(json.dumps(data))
    assert read_tasks_settings(tmp_path) == TasksSettings(
        next_on_line_below=True, set_created_date=True, remove_scheduled_date=False
    )


# --- through the command line, and the documented example ---------------------------------


def crm(vault: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plaintextcrm", "--vault", str(vault), *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_crm_done_on_a_weekly_task_writes_the_next_one(tmp_path: Path):
    vault = tmp_path / "vault"
    (vault / "People").mkdir(parents=True)
    (vault / "crm.toml").write_text("")
    note = vault / "People" / "Anna Rossi.md"
    note.write_bytes(
        "---\nname: Anna Rossi\n---\n## Tasks\n"
        "- [ ] call her 🔁 every week 📅 2026-11-20\n- [ ] lend the book\n".encode()
    )
    run = crm(vault, "--today", "2026-11-23", "done", "anna", "call")
    assert run.returncode == 0, run.stderr
    assert (
        note.read_bytes()
        == (
            "---\nname: Anna Rossi\n---\n## Tasks\n"
            "- [ ] call her 🔁 every week 📅 2026-11-27\n"
            "- [x] call her 🔁 every week 📅 2026-11-20 ✅ 2026-11-23\n"
            "- [ ] lend the book\n"
        ).encode()
    )
    due = crm(vault, "--today", "2026-11-23", "due", "--json")
    assert due.returncode == 0, due.stderr
    follow_ups = [r for r in json.loads(due.stdout) if r["kind"] == "followup"]
    assert [(r["date"], r["line"]) for r in follow_ups] == [("2026-11-27", 5)]
    again = crm(vault, "--today", "2026-11-27", "done", "anna", "call")
    assert again.returncode == 0, again.stderr
    assert "📅 2026-12-04\n- [x] call her 🔁 every week 📅 2026-11-27 ✅ 2026-11-27\n" in (
        note.read_text()
    )


def test_docs_example_is_what_crm_done_writes(tmp_path: Path):
    """docs/editing.md shows a note before and after `crm done`: run it."""
    doc = (REPO / "docs" / "editing.md").read_text(encoding="utf-8")
    section = doc.split("### Recurring tasks", 1)[1].split("\n## `crm", 1)[0]
    command = re.search(r"^\$ (crm .*)$", section, re.M)
    blocks = re.findall(r"```markdown\n(.*?)```", section, re.S)
    assert command and len(blocks) == 2
    vault = tmp_path / "vault"
    (vault / "People").mkdir(parents=True)
    (vault / "crm.toml").write_text("")
    note = vault / "People" / "Anna Rossi.md"
    note.write_text(blocks[0], encoding="utf-8")
    run = crm(vault, *command[1].split()[1:])
    assert run.returncode == 0, run.stderr
    assert note.read_text(encoding="utf-8") == blocks[1]


def test_hostile_task_lines():
    """Long runs of blanks, dependencies spaced out and 100,000 characters of fields: read
    as the plugin reads them, without the backtracking that would never finish."""
    spaced = " x ⛔ a" + "     ,     a" * 40 + "     !"
    assert tasks_tail(spaced) == ([], len(spaced))
    deps = " x ⛔ a , b ,c"
    assert [(f.name, f.value) for f in tasks_tail(deps)[0]] == [("depends_on", "a , b ,c")]
    blanks = " x" + " " * 100_000 + "^a" + " " * 100_000
    assert tasks_tail(blanks) == ([], 2)
    long_line = "- [ ] " + "call 🔁 every week; " * 6_000 + "🔁 every day 📅 2026-11-23"
    done = tick(long_line.encode(), 1)
    assert done.data.decode().split("\n")[0].endswith("🔁 every day 📅 2026-11-24")
