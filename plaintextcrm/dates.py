"""Dates as people write them: ISO days, year-less birthdays, cadences and durations.

Everything here is pure and takes `today` as an argument, so reminders can be computed for
any day (tests, cron replays, `--today`).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta

from plaintextcrm.model import Cadence, YearlyDate

#: Cadences longer than this are a typo, not a relationship rhythm (and would overflow).
MAX_CADENCE_DAYS = 100 * 366

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_YEARLESS = re.compile(r"(?:--)?(\d{2})-(\d{2})")
_CADENCE = re.compile(r"(-?\d+)\s*(d|w|m|y|days?|weeks?|months?|years?)", re.IGNORECASE)
_WORDS = {
    "daily": Cadence(1, "days", "daily"),
    "weekly": Cadence(7, "days", "weekly"),
    "biweekly": Cadence(14, "days", "biweekly"),
    "fortnightly": Cadence(14, "days", "fortnightly"),
    "monthly": Cadence(1, "months", "monthly"),
    "quarterly": Cadence(3, "months", "quarterly"),
    "yearly": Cadence(12, "months", "yearly"),
    "annually": Cadence(12, "months", "annually"),
}
#: English month and weekday names, as moment.js (Obsidian's date library) writes them by
#: default in daily-note names and headings (`# Wednesday, October 14th 2026`).
MONTHS = {
    name: number
    for number, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
         ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
         ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
         ("december", "dec")],
        start=1,
    )
    for name in names
}  # fmt: skip
#: Weekday names → `date.weekday()` numbers, Monday 0.
WEEKDAY_NUMBERS = {
    name: number
    for number, names in enumerate(
        [("monday", "mon"), ("tuesday", "tue", "tues"), ("wednesday", "wed"),
         ("thursday", "thu", "thur", "thurs"), ("friday", "fri"), ("saturday", "sat"),
         ("sunday", "sun")]
    )
    for name in names
}  # fmt: skip
WEEKDAYS = frozenset(WEEKDAY_NUMBERS)
YEARLY_FORMS = "YYYY-MM-DD, --MM-DD or MM-DD"
CADENCE_FORMS = (
    "a number of days, Nd/Nw/Nm/Ny, 'N weeks', weekly, monthly, quarterly, yearly or never"
)


class DateValueError(ValueError):
    """A value that is not in an accepted form; the message says which forms are."""


def parse_iso(text: str) -> date:
    """`YYYY-MM-DD` → date, with a message naming the problem when it is impossible."""
    m = _ISO.fullmatch(text.strip())
    if not m:
        raise DateValueError(f"invalid date {text!r}: expected YYYY-MM-DD")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise DateValueError(f"invalid date {text!r}: no such day") from None


def as_date(value: object) -> date:
    """A front matter value → date: YAML dates, datetimes (any zone) and ISO strings."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if "T" in text or " " in text:
            head = re.split(r"[T ]", text, maxsplit=1)[0]
            return parse_iso(head)
        return parse_iso(text)
    raise DateValueError(f"invalid date {value!r}: expected YYYY-MM-DD")


def parse_yearly(value: object, label: str = "") -> YearlyDate:
    """A birthday or anniversary: `YYYY-MM-DD`, `--MM-DD` or `MM-DD`.

    Year 1604 is how Apple and some phones say "no year"; it is read as no year.
    """
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        year = None if value.year == 1604 else value.year
        return YearlyDate(value.month, value.day, year, label, value.isoformat())
    if not isinstance(value, str):
        raise DateValueError(f"invalid date {value!r}: expected {YEARLY_FORMS}")
    text = value.strip()
    if _ISO.fullmatch(text):
        d = parse_iso(text)
        year = None if d.year == 1604 else d.year
        return YearlyDate(d.month, d.day, year, label, text)
    m = _YEARLESS.fullmatch(text)
    if m:
        month, day = int(m[1]), int(m[2])
        # 2000 is a leap year, so --02-29 is accepted and everything impossible is not.
        try:
            date(2000, month, day)
        except ValueError:
            raise DateValueError(f"invalid date {text!r}: no such day") from None
        return YearlyDate(month, day, None, label, text)
    raise DateValueError(f"invalid date {text!r}: expected {YEARLY_FORMS}")


def occurrence_in(yearly: YearlyDate, year: int) -> date:
    """The day `yearly` falls on in `year`; Feb 29 falls on Feb 28 in common years."""
    if yearly.month == 2 and yearly.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, yearly.month, yearly.day)


def next_occurrence(yearly: YearlyDate, today: date) -> date:
    """The first day on or after `today` that `yearly` falls on."""
    this_year = occurrence_in(yearly, today.year)
    return this_year if this_year >= today else occurrence_in(yearly, today.year + 1)


def parse_cadence(value: object) -> Cadence | None:
    """A cadence as written → Cadence, or None for `never`/`0`.

    Raises DateValueError for unreadable, negative or absurd values: a cadence that is
    silently ignored would mean a relationship silently forgotten.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise DateValueError(f"invalid cadence {value!r}: expected {CADENCE_FORMS}")
    if isinstance(value, int):
        raw = str(value)
        amount, unit = value, "d"
    elif isinstance(value, str):
        raw = value.strip()
        low = raw.lower()
        if low in ("never", "none", "0", ""):
            return None
        if low in _WORDS:
            return Cadence(_WORDS[low].amount, _WORDS[low].unit, raw)
        if low.isdigit() or (low.startswith("-") and low[1:].isdigit()):
            amount, unit = int(low), "d"
        else:
            m = _CADENCE.fullmatch(low)
            if not m:
                raise DateValueError(f"invalid cadence {raw!r}: expected {CADENCE_FORMS}")
            amount, unit = int(m[1]), m[2][0]
    else:
        raise DateValueError(f"invalid cadence {value!r}: expected {CADENCE_FORMS}")
    if amount < 0:
        raise DateValueError(f"invalid cadence {raw!r}: it cannot be negative")
    if amount == 0:
        return None
    cadence = {
        "d": Cadence(amount, "days", raw),
        "w": Cadence(amount * 7, "days", raw),
        "m": Cadence(amount, "months", raw),
        "y": Cadence(amount * 12, "months", raw),
    }[unit]
    limit = MAX_CADENCE_DAYS if cadence.unit == "days" else 100 * 12
    if cadence.amount > limit:
        raise DateValueError(f"invalid cadence {raw!r}: longer than 100 years")
    return cadence


def add_months(start: date, months: int) -> date:
    """Calendar months, clamping the day to the month's end (Jan 31 + 1m = Feb 28/29)."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def add_cadence(start: date, cadence: Cadence, *, back: bool = False) -> date:
    """`start` plus (or, `back`, minus) one cadence; months clamp to the month's end.

    Never overflows for the cadences `parse_cadence` accepts: past the calendar's ends the
    result is `date.max` (or `date.min`), a day no reminder ever reaches.
    """
    sign = -1 if back else 1
    try:
        if cadence.unit == "months":
            return add_months(start, sign * cadence.amount)
        return start + timedelta(days=sign * cadence.amount)
    except (OverflowError, ValueError):
        return date.min if back else date.max


def parse_duration(text: str) -> Cadence | None:
    """A length of time as `WHEN` writes it (`3d`, `2w`, `1m`, `1y`, `2 weeks`): the same
    units as cadences, no sign, zero allowed (`0d` is today). None when `text` is not a
    duration; DateValueError when it is one longer than 100 years."""
    raw = text.strip()
    m = _CADENCE.fullmatch(raw.lower())
    if not m or m[1].startswith("-"):
        return None
    if int(m[1]) == 0:
        return Cadence(0, "days", raw)
    try:
        cadence = parse_cadence(f"{m[1]}{m[2][0]}")
    except DateValueError:  # the one way a positive amount fails
        raise DateValueError(f"invalid duration {raw!r}: longer than 100 years") from None
    assert cadence is not None  # a positive amount is never `never`
    return Cadence(cadence.amount, cadence.unit, raw)
