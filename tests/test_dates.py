from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaintextcrm.dates import (
    DateValueError,
    add_cadence,
    add_months,
    as_date,
    next_occurrence,
    parse_cadence,
    parse_duration,
    parse_yearly,
)
from plaintextcrm.model import Cadence


@pytest.mark.parametrize(
    ("text", "month", "day", "year"),
    [
        ("1990-03-14", 3, 14, 1990),
        ("--03-14", 3, 14, None),
        ("03-14", 3, 14, None),
        ("--02-29", 2, 29, None),
        ("1992-02-29", 2, 29, 1992),
        ("1604-07-21", 7, 21, None),  # Apple's "no year"
    ],
)
def test_yearly_forms(text, month, day, year):
    y = parse_yearly(text)
    assert (y.month, y.day, y.year, y.raw) == (month, day, year, text)


@pytest.mark.parametrize("text", ["1990-02-30", "14/03", "March 14", "1990", "--13-01", "02-30"])
def test_yearly_rejects(text):
    with pytest.raises(DateValueError):
        parse_yearly(text)


def test_feb_29_falls_on_feb_28_in_common_years():
    leap = parse_yearly("--02-29")
    assert next_occurrence(leap, date(2026, 1, 1)) == date(2026, 2, 28)
    assert next_occurrence(leap, date(2027, 3, 1)) == date(2028, 2, 29)
    assert next_occurrence(leap, date(2028, 2, 29)) == date(2028, 2, 29)


def test_next_occurrence_today_and_passed():
    y = parse_yearly("1980-11-23")
    assert next_occurrence(y, date(2026, 11, 23)) == date(2026, 11, 23)
    assert next_occurrence(y, date(2026, 11, 24)) == date(2027, 11, 23)


@pytest.mark.parametrize(
    ("raw", "amount", "unit"),
    [
        ("30", 30, "days"),
        ("10d", 10, "days"),
        ("2w", 14, "days"),
        ("3m", 3, "months"),
        ("1y", 12, "months"),
        ("2 weeks", 14, "days"),
        ("1 month", 1, "months"),
        ("3 months", 3, "months"),
        ("weekly", 7, "days"),
        ("biweekly", 14, "days"),
        ("monthly", 1, "months"),
        ("quarterly", 3, "months"),
        ("yearly", 12, "months"),
        ("annually", 12, "months"),
    ],
)
def test_cadence_forms(raw, amount, unit):
    assert parse_cadence(raw) == Cadence(amount, unit, raw)


@pytest.mark.parametrize("raw", ["never", "0", 0, None])
def test_cadence_none(raw):
    assert parse_cadence(raw) is None


@pytest.mark.parametrize("raw", ["often", "-3d", "10000y", "3x", True])
def test_cadence_rejects(raw):
    with pytest.raises(DateValueError):
        parse_cadence(raw)


def test_months_clamp_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 3, 31), 1) == date(2026, 4, 30)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert add_cadence(date(2026, 8, 31), Cadence(3, "months", "quarterly")) == date(2026, 11, 30)
    assert add_cadence(date(2024, 2, 29), Cadence(12, "months", "1y")) == date(2025, 2, 28)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)), st.integers(0, 1200))
def test_add_months_properties(start, months):
    end = add_months(start, months)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    assert end.day == start.day or end.day < start.day


def test_as_date():
    assert as_date("2026-11-02T10:00:00+01:00") == date(2026, 11, 2)


@pytest.mark.parametrize(
    ("raw", "amount", "unit"),
    [("3d", 3, "days"), ("2 weeks", 14, "days"), ("1m", 1, "months"), ("1y", 12, "months"),
     ("0d", 0, "days")],
)  # fmt: skip
def test_duration_forms(raw, amount, unit):
    assert parse_duration(raw) == Cadence(amount, unit, raw)


@pytest.mark.parametrize("raw", ["-3d", "weekly", "3", "3x", "never"])
def test_duration_is_none_for_what_is_no_duration(raw):
    assert parse_duration(raw) is None


def test_cadence_back_and_past_the_calendar():
    assert add_cadence(date(2026, 3, 31), Cadence(1, "months", "1m"), back=True) == date(
        2026, 2, 28
    )
    assert add_cadence(date(2026, 1, 8), Cadence(14, "days", "2w"), back=True) == date(2025, 12, 25)
    assert add_cadence(date(1, 1, 5), Cadence(7, "days", "1w"), back=True) == date.min
    assert add_cadence(date(9999, 12, 1), Cadence(1, "months", "1m")) == date.max
