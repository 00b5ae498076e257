"""`WHEN`: dates as people type them on the command line, for every date option.

One grammar behind `--due`, `--date`, `--next`, `snooze WHEN` and `--today`, so what one
option accepts every other accepts too (docs/dates.md has the grammar with examples):

- `2026-12-01`; `today`, `tomorrow`, `yesterday`;
- durations from today: `3d`, `2w`, `1m`, `1y`, `+2w`, `in 2 weeks`, `in a month`, and
  back: `-3d`, `3 days ago`, `2 weeks ago` (the units are the cadences' units,
  `dates.parse_duration`; months clamp to the month's end);
- weekdays: `next friday` is the first Friday after today (never today), `last monday`
  the last Monday before today (never today), `this friday` today when it is a Friday,
  else the next one; a bare `friday` is `next friday`, or `last friday` with
  `prefer="past"`;
- month and day: `dec 1`, `1 December`, `December 1st`, `1st of dec`, with a year
  `1 dec 2027`, `December 1, 2027`; without a year the next such day on or after today,
  or with `prefer="past"` the last one on or before today (`--date` of a log).

Why no date library: both candidates were measured (docs/dates.md, bench/when_import.py).
dateparser's first parse costs about 0.1 s, the whole start-up budget; parsedatetime is
cheap but reads `next friday` as the Friday of next week, `1m` as a minute, and
`1 dec 27` as December 27, and has no "most recent" reading for a log's date. The
grammar above is small, total and fast, and tests compare it with dateparser where the
two agree on the convention.

Pure: `today` is an argument, as everywhere in crm, so `--today` replays work.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

from plaintextcrm.dates import (
    MONTHS,
    WEEKDAY_NUMBERS,
    DateValueError,
    add_cadence,
    parse_duration,
    parse_iso,
)

Prefer = Literal["future", "past"]

#: The accepted forms, for error messages: short enough for one line.
WHEN_FORMS = (
    "YYYY-MM-DD, today, tomorrow, yesterday, 3d, +2w, in 2 weeks, 3 days ago, "
    "friday, next friday, last monday, dec 1, 1 December or 1 dec 2027"
)

_ISO = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
#: `+2w`, `-3d`, `in 2 weeks`, `3 days ago`, `2 weeks from now`: a sign or word, a number
#: (digits or a word), a unit (checked by `dates.parse_duration`).
_DURATION = re.compile(
    r"(?P<sign>[+-]|in )?[ ]?(?P<n>\d+|[a-z]+) ?(?P<unit>[a-z]+)(?P<tail> ago| from now)?"
)
_WEEKDAY = re.compile(r"(?:(?P<which>next|last|this) )?(?P<day>[a-z]+)\.?")
_DAY = r"(?P<{}>\d{{1,2}})(?:st|nd|rd|th)?"
_MONTH = r"(?P<{}>[a-z]+)\.?"
#: `1 dec`, `1st of December`, `dec 1`, `December 1st`, each with an optional 4-digit year.
_MONTH_DAY = re.compile(
    rf"(?:{_DAY.format('d1')} (?:of )?{_MONTH.format('m1')}"
    rf"|{_MONTH.format('m2')} {_DAY.format('d2')})"
    r"(?: (?P<year>\d{4}))?"
)


def parse_when(text: str, today: date, *, prefer: Prefer = "future") -> date:
    """The day `text` names, seen from `today`.

    `prefer` settles the two forms that name a day without saying which side of today it
    is on: a bare weekday (`friday`) and a month-day without a year (`dec 1`). "future"
    for what is planned (`--due`, `--next`, `snooze`), "past" for what happened
    (`--date` of a log). Raises DateValueError naming the accepted forms.
    """
    raw = text.strip()
    if _ISO.fullmatch(raw):
        return parse_iso(raw)
    words = " ".join(raw.lower().replace(",", " ").split())
    if words in ("today", "now"):
        return today
    if words == "tomorrow":
        return _shift(today, 1)
    if words == "yesterday":
        return _shift(today, -1)
    for reader in (_duration, _weekday, _month_day):
        try:
            found = reader(words, today, prefer)
        except _Impossible as exc:
            raise DateValueError(f"invalid date {raw!r}: {exc}") from None
        if found is not None:
            return found
    raise DateValueError(f"invalid date {raw!r}: expected {WHEN_FORMS}")


class _Impossible(Exception):
    """A value in an accepted form that names no day; the message says why."""


def _shift(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def _duration(words: str, today: date, prefer: Prefer) -> date | None:
    m = _DURATION.fullmatch(words)
    if m is None:
        return None
    sign, tail = m["sign"], m["tail"]
    if sign and tail:  # `in 3 days ago`, `+3d from now`
        return None
    number = m["n"]
    amount = int(number) if number.isdigit() else _NUMBER_WORDS.get(number)
    if amount is None:
        return None
    try:
        cadence = parse_duration(f"{amount} {m['unit']}")
    except DateValueError:  # the one way a duration in the right form fails
        raise _Impossible("more than 100 years away") from None
    if cadence is None:
        return None
    return add_cadence(today, cadence, back=sign == "-" or tail == " ago")


def _weekday(words: str, today: date, prefer: Prefer) -> date | None:
    m = _WEEKDAY.fullmatch(words)
    if m is None or m["day"] not in WEEKDAY_NUMBERS:
        return None
    ahead = (WEEKDAY_NUMBERS[m["day"]] - today.weekday()) % 7  # 0..6 days to come
    which = m["which"] or ("last" if prefer == "past" else "next")
    if which == "this":
        return _shift(today, ahead)
    if which == "next":
        return _shift(today, ahead or 7)
    return _shift(today, -((7 - ahead) % 7 or 7))


def _month_day(words: str, today: date, prefer: Prefer) -> date | None:
    m = _MONTH_DAY.fullmatch(words)
    if m is None:
        return None
    month = MONTHS.get(m["m1"] or m["m2"])
    if month is None:
        return None
    day = int(m["d1"] or m["d2"])
    if m["year"]:
        try:
            return date(int(m["year"]), month, day)
        except ValueError:
            raise _Impossible("no such day") from None
    try:
        date(2000, month, day)  # a leap year: only impossible days fail
    except ValueError:
        raise _Impossible("no such day") from None
    step = -1 if prefer == "past" else 1
    year = today.year
    for _ in range(9):  # Feb 29 exists at least once in any 9 consecutive years
        try:
            found = date(year, month, day)
        except ValueError:
            found = None
        if found is not None and (found >= today if step > 0 else found <= today):
            return found
        year += step
        if not 1 <= year <= 9999:
            break
    raise _Impossible("beyond the calendar")


def when_grammar_help() -> str:
    """The grammar in one paragraph, for the epilog of every command with a date option."""
    return (
        "WHEN is a date as you would say it: 2026-12-01; today, tomorrow, yesterday; "
        "a duration from today, 3d, 2w, 1m, 1y, +2w, in 2 weeks, or back, -3d, 3 days ago; "
        "a weekday, friday, next friday (the first Friday after today), last monday, "
        "this friday (today if it is Friday); or a month and day, dec 1, 1 December, "
        "1 dec 2027 (without a year: the next one, or for a log's --date the last one). "
        "Names are English, any case. See docs/dates.md."
    )
