"""Obsidian Tasks' recurring tasks: the `🔁 every ...` rule and the next occurrence's dates.

The Tasks plugin reads a rule with rrule.js's English parser (`RRule.parseText`) and
computes the next date with rrule.js, a port of python-dateutil's `rrule`. So the rule's
words are read here by a port of that parser (same tokens, same grammar, same leniency:
words after a complete rule are ignored, as the plugin ignores them), and the dates by
dateutil's `rrule` itself, with the plugin's own corrections on top. What the plugin
documents (docs/editing.md, "Recurring tasks"):

- `every N days|weeks|months|years`, `every weekday`, `every week on Monday, Wednesday`,
  `every month on the 1st|last|last Friday|2nd last Friday`, `every January on the 15th`,
  `every April and December on the 1st and 24th`, `every year`; `when done` at the end;
- the next date is the first occurrence after the reference date: the due date, else the
  scheduled date, else the start date (start before scheduled when the plugin is set to
  drop the scheduled date); with `when done`, after the completion day;
- every date of the task moves so it keeps its distance to the reference date;
- `every N months` (or years) from a day the target month lacks moves back to that
  month's last day (Jan 31 + 1 month = Feb 28), while a rule naming the day
  (`every month on the 31st`) skips months without it, as RFC 5545 says;
- `for N times` and `until DATE` are not supported by the plugin; neither are they here.

Pure and total: `parse_rule` returns None for what the plugin would not read, and
`next_occurrence` returns None when there is no next date, never raising on a rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

#: Where Obsidian keeps the Tasks plugin and its settings, under the vault.
TASKS_PLUGIN_DIR = Path(".obsidian") / "plugins" / "obsidian-tasks-plugin"

# --- the rule's words: a port of rrule.js's `parseText` (src/nlp/parsetext.ts) ----------

#: rrule.js's English tokens, in its order: the longest match wins, the first on a tie.
_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("SKIP", r"[ \r\n\t]+|\.$"),
        ("number", r"[1-9][0-9]*"),
        ("numberAsText", r"(one|two|three)"),
        ("every", r"every"),
        ("day(s)", r"days?"),
        ("weekday(s)", r"weekdays?"),
        ("week(s)", r"weeks?"),
        ("hour(s)", r"hours?"),
        ("minute(s)", r"minutes?"),
        ("month(s)", r"months?"),
        ("year(s)", r"years?"),
        ("on", r"(on|in)"),
        ("at", r"(at)"),
        ("the", r"the"),
        ("first", r"first"),
        ("second", r"second"),
        ("third", r"third"),
        ("nth", r"([1-9][0-9]*)(\.|th|nd|rd|st)"),
        ("last", r"last"),
        ("for", r"for"),
        ("time(s)", r"times?"),
        ("until", r"(un)?til"),
        ("monday", r"mo(n(day)?)?"),
        ("tuesday", r"tu(e(s(day)?)?)?"),
        ("wednesday", r"we(d(n(esday)?)?)?"),
        ("thursday", r"th(u(r(sday)?)?)?"),
        ("friday", r"fr(i(day)?)?"),
        ("saturday", r"sa(t(urday)?)?"),
        ("sunday", r"su(n(day)?)?"),
        ("january", r"jan(uary)?"),
        ("february", r"feb(ruary)?"),
        ("march", r"mar(ch)?"),
        ("april", r"apr(il)?"),
        ("may", r"may"),
        ("june", r"june?"),
        ("july", r"july?"),
        ("august", r"aug(ust)?"),
        ("september", r"sep(t(ember)?)?"),
        ("october", r"oct(ober)?"),
        ("november", r"nov(ember)?"),
        ("december", r"dec(ember)?"),
        ("comma", r"(,\s*|(and|or)\s*)+"),
    )
)
_WEEKDAY_TOKENS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_TOKENS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY = 0, 1, 2, 3, 4, 5  # dateutil's numbers
#: What the plugin takes for a rule: these characters, then ` when done` (any case).
_RULE = re.compile(r"([a-zA-Z0-9, !]+?)( when done)?", re.IGNORECASE)


class _NotARule(Exception):
    """rrule.js's parser would throw: the plugin then has no recurrence."""


@dataclass(frozen=True)
class Rule:
    """A recurrence rule as rrule.js reads it: the options of an RFC 5545 RRULE."""

    text: str  # as written, `when done` included
    freq: int
    interval: int = 1
    byweekday: tuple[tuple[int, int | None], ...] = ()  # (Monday 0.., nth or None)
    bymonthday: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    byweekno: tuple[int, ...] = ()
    byhour: tuple[int, ...] = ()
    count: int | None = None  # `for N times`: the plugin cannot honour it
    until: bool = False  # `until DATE`: nor this
    when_done: bool = False


@dataclass
class _Options:
    freq: int | None = None
    interval: int = 1
    byweekday: list[tuple[int, int | None]] = field(default_factory=list)
    bymonthday: list[int] = field(default_factory=list)
    bymonth: list[int] = field(default_factory=list)
    byweekno: list[int] = field(default_factory=list)
    byhour: list[int] = field(default_factory=list)
    count: int | None = None
    until: bool = False


class _Tokens:
    """rrule.js's `Parser`: one token ahead, `symbol` its name, `value` its match."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.done = False
        self.symbol: str | None = None
        self.value: re.Match[str] | None = None

    def next(self) -> bool:
        self.symbol, self.value = None, None
        while True:
            if self.done:
                return False
            best: re.Match[str] | None = None
            name = ""
            for token, pattern in _TOKENS:
                m = pattern.match(self.text)
                if m and (best is None or len(m[0]) > len(best[0])):
                    best, name = m, token
            if best is None:  # nothing more it can read: the rest is ignored
                self.done = True
                return False
            self.text = self.text[len(best[0]) :]
            if self.text == "":
                self.done = True
            if name != "SKIP":
                break
        self.symbol, self.value = name, best
        return True

    def finished(self) -> bool:
        return self.done and self.symbol is None

    def accept(self, name: str) -> re.Match[str] | None:
        if self.symbol != name:
            return None
        value = self.value
        self.next()
        return value

    def expect(self, name: str) -> None:
        if not self.accept(name):
            raise _NotARule(f"expected {name}")


def parse_rule(text: str) -> Rule | None:
    """A `🔁` rule's words → Rule, or None when the Tasks plugin would not read them."""
    m = _RULE.fullmatch(text.strip())
    if m is None:
        return None
    try:
        options = _parse(m[1].strip())
    except _NotARule:
        return None
    if options is None or options.freq is None:
        return None
    return Rule(
        text=text.strip(),
        freq=options.freq,
        interval=options.interval,
        byweekday=tuple(options.byweekday),
        bymonthday=tuple(options.bymonthday),
        bymonth=tuple(options.bymonth),
        byweekno=tuple(options.byweekno),
        byhour=tuple(options.byhour),
        count=options.count,
        until=options.until,
        when_done=m[2] is not None,
    )


def _parse(text: str) -> _Options | None:
    """rrule.js's `parseText` and its nested S, ON, AT, MDAYs, F, step for step."""
    t = _Tokens(text)
    o = _Options()
    if not t.next():
        return None

    def weekday() -> int | None:
        return _WEEKDAY_TOKENS.index(t.symbol) if t.symbol in _WEEKDAY_TOKENS else None

    def month() -> int | None:
        return _MONTH_TOKENS.index(t.symbol) + 1 if t.symbol in _MONTH_TOKENS else None

    def nth() -> int | None:
        symbol = t.symbol
        if symbol == "last":
            t.next()
            return -1
        if symbol == "first":
            t.next()
            return 1
        if symbol in ("second", "third"):
            n = 2 if symbol == "second" else 3
            t.next()
            return -n if t.accept("last") else n
        if symbol == "nth":
            assert t.value is not None
            n = int(t.value[1])
            if n > 366:
                raise _NotARule(f"nth out of range: {n}")
            t.next()
            return -n if t.accept("last") else n
        return None

    def numbers(what: str) -> list[int]:
        """`N`, `N, N and N`: each number required."""
        found = []
        while True:
            n = t.accept("number")
            if not n:
                raise _NotARule(f"expected {what}")
            found.append(int(n[0]))
            if not t.accept("comma"):
                return found

    def listed(decode: Callable[[], int | None], what: str) -> list[int]:
        """After a first weekday or month: `, Friday`, `and December`..., each required."""
        found = []
        while t.accept("comma"):
            if t.finished():
                raise _NotARule("unexpected end")
            value = decode()
            if value is None:
                raise _NotARule(f"expected {what}")
            found.append(value)
            t.next()
        return found

    def at() -> None:
        if not t.accept("at"):
            return
        while True:
            o.byhour = numbers("an hour")
            if not (t.accept("comma") or t.accept("at")):
                return

    def on() -> None:
        found_on = t.accept("on")
        found_the = t.accept("the")
        if not (found_on or found_the):
            return
        while True:
            n = nth()
            wkd = weekday()
            m = month()
            if n:
                if wkd is not None:
                    t.next()
                    o.byweekday.append((wkd, n))
                else:
                    o.bymonthday.append(n)
                    t.accept("day(s)")
            elif wkd is not None:
                t.next()
                o.byweekday.append((wkd, None))
            elif t.symbol == "weekday(s)":
                t.next()
                if not o.byweekday:
                    o.byweekday = [(d, None) for d in range(5)]
            elif t.symbol == "week(s)":
                t.next()
                o.byweekno = numbers("a week number")
            elif m is not None:
                t.next()
                o.bymonth.append(m)
            else:
                return
            if not (t.accept("comma") or t.accept("the") or t.accept("on")):
                return

    def monthdays() -> None:
        t.accept("on")
        t.accept("the")
        n = nth()
        if not n:
            return
        o.bymonthday = [n]
        t.next()
        while t.accept("comma"):
            n = nth()
            if not n:
                raise _NotARule("expected a day of the month")
            o.bymonthday.append(n)
            t.next()

    def end() -> None:
        if t.symbol == "until":
            o.until = True
        elif t.accept("for"):
            number = t.value[0] if t.value is not None else ""
            t.expect("number")
            o.count = int(number)

    t.expect("every")
    number = t.accept("number")
    if number:
        o.interval = int(number[0])
    if t.finished():
        raise _NotARule("unexpected end")
    symbol = t.symbol
    if symbol == "day(s)":
        o.freq = DAILY
        if t.next():
            at()
            end()
    elif symbol == "weekday(s)":
        o.freq = WEEKLY
        o.byweekday = [(d, None) for d in range(5)]
        t.next()
        at()
        end()
    elif symbol in ("week(s)", "hour(s)", "minute(s)", "month(s)", "year(s)"):
        o.freq = {"week(s)": WEEKLY, "hour(s)": HOURLY, "minute(s)": MINUTELY,
                  "month(s)": MONTHLY, "year(s)": YEARLY}[symbol]  # fmt: skip
        if t.next():
            on()
            if symbol == "week(s)":
                at()
            end()
    elif symbol in _WEEKDAY_TOKENS:
        o.freq = WEEKLY
        o.byweekday = [(_WEEKDAY_TOKENS.index(symbol), None)]
        if not t.next():
            return o
        o.byweekday += [(d, None) for d in listed(weekday, "a weekday")]
        at()
        monthdays()
        end()
    elif symbol in _MONTH_TOKENS:
        o.freq = YEARLY
        o.bymonth = [_MONTH_TOKENS.index(symbol) + 1]
        if not t.next():
            return o
        o.bymonth += listed(month, "a month")
        on()
        end()
    else:
        raise _NotARule("unknown symbol")
    return o


# --- the next occurrence ---------------------------------------------------------------


@dataclass(frozen=True)
class TasksSettings:
    """The Tasks plugin's settings that change what completing a recurring task writes;
    the defaults are the plugin's."""

    next_on_line_below: bool = False  # `recurrenceOnNextLine`: the new task goes above
    set_created_date: bool = False  # `setCreatedDate`: the new task gets `➕ today`
    remove_scheduled_date: bool = False  # `removeScheduledDateOnRecurrence`


def read_tasks_settings(vault: Path) -> TasksSettings:
    """The settings the plugin saved in the vault (`data.json`); its defaults when there is
    no plugin or the file is unreadable: the plugin falls back to them alike."""
    try:
        raw: Any = json.loads((vault / TASKS_PLUGIN_DIR / "data.json").read_text("utf-8"))
    except (OSError, ValueError):
        return TasksSettings()
    if not isinstance(raw, dict):
        return TasksSettings()
    return TasksSettings(
        next_on_line_below=raw.get("recurrenceOnNextLine") is True,
        set_created_date=raw.get("setCreatedDate") is True,
        remove_scheduled_date=raw.get("removeScheduledDateOnRecurrence") is True,
    )


@dataclass(frozen=True)
class Occurrence:
    """A recurring task's dates. A date written on the task that is no real day
    (`📅 2026-02-30`) is named in `invalid`: it still counts as there, as for the plugin."""

    due: date | None = None
    scheduled: date | None = None
    start: date | None = None
    invalid: frozenset[str] = frozenset()  # of "due", "scheduled", "start"


class NoNextOccurrence(ValueError):
    """Why a rule gives no next occurrence; the message is for the user."""


def next_occurrence(
    rule: Rule, dates: Occurrence, *, done_on: date, settings: TasksSettings = TasksSettings()
) -> Occurrence:
    """The dates of the task that follows, as the plugin computes them on completion.

    Raises NoNextOccurrence with a reason the caller can show when there is none.
    """
    if rule.count is not None or rule.until:
        raise NoNextOccurrence(
            "Obsidian Tasks cannot repeat a task a number of times or until a date"
        )
    order = ["due", "scheduled", "start"]
    if settings.remove_scheduled_date:
        order = ["due", "start", "scheduled"]
    present = [name for name in order if getattr(dates, name) or name in dates.invalid]
    reference_name = present[0] if present else None
    if reference_name in dates.invalid:
        raise NoNextOccurrence(f"its {reference_name} date is not a real day")
    reference: date | None = getattr(dates, reference_name) if reference_name else None
    base = done_on if rule.when_done or reference is None else reference
    try:
        following = _next_after(rule, base)
    except (ValueError, OverflowError):
        following = None
    if following is None:
        raise NoNextOccurrence("the rule gives no date after this one")
    if reference is None:
        return Occurrence()

    def moved(name: str) -> date | None:
        old: date | None = getattr(dates, name)
        if name in dates.invalid:  # the plugin gives it the new reference date
            return following
        if old is None:
            return None
        return following + (old - reference)

    drop_scheduled = settings.remove_scheduled_date and (
        dates.due is not None or dates.start is not None
    )
    return Occurrence(
        due=moved("due"),
        scheduled=None if drop_scheduled else moved("scheduled"),
        start=moved("start"),
    )


def _next_after(rule: Rule, day: date) -> date | None:
    """The first occurrence after `day`, dateutil's rrule started on `day`, corrected as
    the plugin corrects rrule (`Recurrence.nextAfter`): a plain `every N months|years`
    that would skip past N months (Jan 31 → Mar 31) starts one day earlier until it does
    not, which lands on the month's last day."""
    if any(not -31 <= d <= 31 for d in rule.bymonthday):
        return None  # no month has a 40th day; dateutil would search to the year 9999
    after = day
    found = _rrule_after(rule, after)
    if found is None:
        return None
    if _clamps_months(rule) or _clamps_years(rule):
        for _ in range(366):
            months = (found.year - after.year) * 12 + found.month - after.month
            if _clamps_months(rule) and months <= rule.interval:
                break
            if _clamps_years(rule) and found.year - after.year <= rule.interval:
                break
            after -= timedelta(days=1)
            found = _rrule_after(rule, after)
            if found is None:
                return None
        else:
            return None  # the plugin would loop for ever; there is no sensible next date
    return found


def _clamps_months(rule: Rule) -> bool:
    """Whether the plugin corrects month skips: a monthly rule whose text (as rrule.js
    writes it) says "every N months" without an " on ..." part."""
    named_months = bool(rule.bymonth) and rule.interval == 1  # written "every January"
    return rule.freq == MONTHLY and not named_months and not rule.bymonthday and not rule.byweekday


def _clamps_years(rule: Rule) -> bool:
    """Whether the plugin corrects year skips: a yearly rule written "every N years"."""
    return rule.freq == YEARLY and not (rule.bymonth and rule.interval == 1)


def _rrule_after(rule: Rule, day: date) -> date | None:
    from dateutil import rrule as du  # only when a recurring task is completed

    weekdays = (du.MO, du.TU, du.WE, du.TH, du.FR, du.SA, du.SU)
    recurrence = du.rrule(
        rule.freq,
        dtstart=datetime.combine(day, time.min),
        interval=rule.interval,
        wkst=du.MO,
        byweekday=[weekdays[d](n) if n else weekdays[d] for d, n in rule.byweekday] or None,
        bymonthday=list(rule.bymonthday) or None,
        bymonth=list(rule.bymonth) or None,
        byweekno=list(rule.byweekno) or None,
        byhour=list(rule.byhour) or None,
    )
    found = recurrence.after(datetime.combine(day, time.max))
    return found.date() if found is not None else None


def vault_task_style(root: Path) -> str:
    """`tasks` when the vault has the Obsidian Tasks plugin installed, else `plain`: the
    style a new task takes in a note that has none yet."""
    return "tasks" if (root / TASKS_PLUGIN_DIR).is_dir() else "plain"
