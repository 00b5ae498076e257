"""`WHEN`: the date grammar of every date option (plaintextcrm/when.py, docs/dates.md)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import click
import dateparser
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from plaintextcrm.cli import When, WhenType
from plaintextcrm.dates import DateValueError, add_months
from plaintextcrm.when import WHEN_FORMS, parse_when, when_grammar_help

MONDAY = date(2026, 11, 23)
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
todays = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


@pytest.mark.parametrize(
    ("text", "future", "past"),
    [
        ("2026-12-01", "2026-12-01", "2026-12-01"),
        ("today", "2026-11-23", "2026-11-23"),
        ("Tomorrow", "2026-11-24", "2026-11-24"),
        ("yesterday", "2026-11-22", "2026-11-22"),
        ("3d", "2026-11-26", "2026-11-26"),
        ("+2w", "2026-12-07", "2026-12-07"),
        ("-3d", "2026-11-20", "2026-11-20"),
        ("1m", "2026-12-23", "2026-12-23"),
        ("1y", "2027-11-23", "2027-11-23"),
        ("in 2 weeks", "2026-12-07", "2026-12-07"),
        ("in a month", "2026-12-23", "2026-12-23"),
        ("3 days ago", "2026-11-20", "2026-11-20"),
        ("2 weeks ago", "2026-11-09", "2026-11-09"),
        ("two weeks from now", "2026-12-07", "2026-12-07"),
        ("friday", "2026-11-27", "2026-11-20"),
        ("Fri", "2026-11-27", "2026-11-20"),
        ("next friday", "2026-11-27", "2026-11-27"),
        ("next monday", "2026-11-30", "2026-11-30"),  # never today
        ("last monday", "2026-11-16", "2026-11-16"),  # never today
        ("this monday", "2026-11-23", "2026-11-23"),  # today, it is Monday
        ("this friday", "2026-11-27", "2026-11-27"),
        ("dec 1", "2026-12-01", "2025-12-01"),
        ("1 December", "2026-12-01", "2025-12-01"),
        ("December 1st", "2026-12-01", "2025-12-01"),
        ("1st of dec", "2026-12-01", "2025-12-01"),
        ("Sept. 3", "2027-09-03", "2026-09-03"),
        ("nov 23", "2026-11-23", "2026-11-23"),  # today counts on both sides
        ("1 dec 2027", "2027-12-01", "2027-12-01"),
        ("December 1, 2027", "2027-12-01", "2027-12-01"),
        ("feb 29", "2028-02-29", "2024-02-29"),  # the nearest year that has it
        ("  NEXT   Friday ", "2026-11-27", "2026-11-27"),
    ],
)
def test_forms(text, future, past):
    assert parse_when(text, MONDAY).isoformat() == future
    assert parse_when(text, MONDAY, prefer="past").isoformat() == past


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("blah", f"invalid date 'blah': expected {WHEN_FORMS}"),
        ("", f"invalid date '': expected {WHEN_FORMS}"),
        ("3", f"invalid date '3': expected {WHEN_FORMS}"),
        ("next", f"invalid date 'next': expected {WHEN_FORMS}"),
        ("1 dec 27", f"invalid date '1 dec 27': expected {WHEN_FORMS}"),  # years have 4 digits
        ("in 3 days ago", f"invalid date 'in 3 days ago': expected {WHEN_FORMS}"),
        ("next dec 1", f"invalid date 'next dec 1': expected {WHEN_FORMS}"),
        ("feb 30", "invalid date 'feb 30': no such day"),
        ("29 feb 2027", "invalid date '29 feb 2027': no such day"),
        ("2026-02-30", "invalid date '2026-02-30': no such day"),
        ("10000y", "invalid date '10000y': more than 100 years away"),
        ("Feb 30", "invalid date 'Feb 30': no such day"),
    ],
)
def test_refusals_say_why(text, message):
    with pytest.raises(DateValueError) as caught:
        parse_when(text, MONDAY)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


@given(todays, todays)
def test_iso_round_trip(day, today):
    assert parse_when(day.isoformat(), today) == day


@given(todays, st.integers(0, 2000), st.sampled_from(["{n}d", "+{n}d", "in {n} days", "{n} days"]))
def test_days_ahead_are_timedelta(today, n, form):
    assert parse_when(form.format(n=n), today) == today + timedelta(days=n)


@given(todays, st.integers(0, 200), st.sampled_from(["-{n}w", "{n} weeks ago", "{n}w ago"]))
def test_weeks_back_are_timedelta(today, n, form):
    assert parse_when(form.format(n=n), today) == today - timedelta(weeks=n)


@given(todays, st.integers(0, 60), st.sampled_from(["{n}m", "in {n} months", "{n}y"]))
def test_months_and_years_are_calendar_months(today, n, form):
    months = n * 12 if form.endswith("y") else n
    assert parse_when(form.format(n=n), today) == add_months(today, months)


@given(todays, st.integers(0, 6))
def test_weekdays(today, index):
    name = DAYS[index]
    ahead = (parse_when(f"next {name}", today) - today).days
    back = (today - parse_when(f"last {name}", today)).days
    this = (parse_when(f"this {name}", today) - today).days
    assert 1 <= ahead <= 7 and 1 <= back <= 7 and 0 <= this <= 6
    for found in (today + timedelta(ahead), today - timedelta(back), today + timedelta(this)):
        assert found.weekday() == index
    assert parse_when(name, today) == parse_when(f"next {name}", today)
    assert parse_when(name, today, prefer="past") == parse_when(f"last {name}", today)
    assert parse_when(name[:3], today) == parse_when(name, today)


@given(todays, st.dates(min_value=date(2001, 1, 1), max_value=date(2001, 12, 31)))
def test_month_day_within_a_year(today, day):
    text = day.strftime("%b %d").lower()
    ahead = parse_when(text, today)
    back = parse_when(text, today, prefer="past")
    assert (ahead.month, ahead.day) == (back.month, back.day) == (day.month, day.day)
    assert 0 <= (ahead - today).days < 366
    assert 0 <= (today - back).days < 366
    assert parse_when(day.strftime("%d %B"), today) == ahead


YEARLESS = ("dec 1", "1 december", "june 30")


FORMS = [
    "today", "tomorrow", "yesterday", "in 3 days", "in 2 weeks", "3 days ago", "2 weeks ago",
    "in 1 month", "2 months ago", "friday", "next friday", "last monday", "this sunday",
    "1 dec 2027", *YEARLESS,
]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)),
    st.sampled_from(FORMS),
    st.sampled_from(["future", "past"]),
)
def test_agrees_with_dateparser(today, text, prefer):
    """dateparser, an independent reader, names the same day. One documented difference:
    a month-day that is today is today for crm; dateparser may move it a year."""
    ours = parse_when(text, today, prefer=prefer)
    base = datetime(today.year, today.month, today.day, 12)
    theirs = dateparser.parse(
        text, languages=["en"], settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": prefer}
    )
    assert theirs is not None
    if text in YEARLESS and ours == today:
        assert (theirs.month, theirs.day) == (today.month, today.day)
    else:
        assert ours == theirs.date()


@click.command()
@click.option("--due", type=WhenType())
@click.option("--date", "day", type=WhenType(prefer="past"))
def _show(due: When | None, day: When | None) -> None:
    for value in (due, day):
        if value is not None:
            click.echo(value.on(MONDAY).isoformat())


def test_param_type_places_the_value_later():
    result = CliRunner().invoke(_show, ["--due", "friday", "--date", "friday"])
    assert result.exit_code == 0, result.output
    assert result.output == "2026-11-27\n2026-11-20\n"


def test_param_type_refuses_with_the_forms():
    result = CliRunner().invoke(_show, ["--due", "someday"])
    assert result.exit_code == 2
    assert (
        f"Invalid value for '--due': invalid date 'someday': expected {WHEN_FORMS}" in result.output
    )


def test_param_type_completes_words():
    items = WhenType().shell_complete(click.Context(_show), _show.params[0], "ne")
    assert [item.value for item in items] == ["next monday", "next friday"]


def test_grammar_help_is_one_paragraph_naming_every_form():
    text = when_grammar_help()
    assert "\n" not in text
    for form in ("2026-12-01", "tomorrow", "yesterday", "+2w", "in 2 weeks", "3 days ago",
                 "next friday", "last monday", "dec 1", "1 December", "1 dec 2027"):  # fmt: skip
        assert form in text
    for example in ("next friday", "in 2 weeks", "3 days ago", "dec 1", "1 dec 2027"):
        parse_when(example, MONDAY)


def test_todo_due_next_friday_through_the_cli(tmp_path: Path):
    """The writing commands read WHEN with this grammar (through `cli.WhenType`)."""
    vault = tmp_path / "v"
    (vault / "People").mkdir(parents=True)
    (vault / "crm.toml").write_text("")
    note = vault / "People" / "Anna Rossi.md"
    note.write_bytes(b"---\nname: Anna Rossi\n---\n")
    run = subprocess.run(
        [sys.executable, "-m", "plaintextcrm", "--vault", str(vault), "--today", "2026-11-23",
         "todo", "anna", "send the photos", "--due", "next friday"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert note.read_bytes() == b"---\nname: Anna Rossi\n---\n- [ ] 2026-11-27 send the photos\n"
