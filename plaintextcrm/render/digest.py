"""The digest (docs/digest.md): what to do about your people this week, as Markdown, HTML or text.

Two steps, so that each can be tested and replaced on its own:

- `build_digest` is pure: (Index, today, days, config) → a frozen `Digest` holding every
  section already decided, ranked and worded. No I/O, no clock.
- `render_digest` turns a Digest into text through a Jinja2 template (`digest.md.j2`,
  `digest.html.j2`, `digest.txt.j2`), looked up in the vault's override folders first.

Templates see plain data only (dicts, lists, strings, ints; dates as ISO strings), so a
user can write their own template without knowing our classes. docs/digest.md lists the
variables.
"""

from __future__ import annotations

import datetime
import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from plaintextcrm.config import Config
from plaintextcrm.dates import add_cadence
from plaintextcrm.errors import CrmError
from plaintextcrm.model import KIND_ORDER, Cadence, Contact, Index, Interaction, Reminder
from plaintextcrm.queries import interactions_per_month
from plaintextcrm.reminders import due
from plaintextcrm.render import charts
from plaintextcrm.render.reach import NOWHERE, Reach, reach
from plaintextcrm.render.terminal import visible
from plaintextcrm.render.text import cadence_phrase, when
from plaintextcrm.wikilinks import display_text
from plaintextcrm.words import plural

Format = Literal["md", "html", "txt"]
FORMATS: tuple[Format, ...] = ("md", "html", "txt")
#: The format a file name asks for (`crm digest -o digest.html`, `crm watch --digest`).
FORMAT_BY_SUFFIX: dict[str, Format] = {
    ".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".txt": "txt",
}  # fmt: skip

#: Every section is capped, so a digest stays a short read and a mail stays under the size
#: where clients clip it (Gmail: 102 kB); the rest is one `crm due` away, and the counts
#: (and the subject) always tell the whole number. Follow-ups and occasions get the most
#: room: they are promises and days that will not come back.
FOLLOWUP_LIMIT = 25
OCCASION_LIMIT = 25
RECONNECT_LIMIT = 10
GIVE_FIRST_LIMIT = 5
ACTIVITY_LIMIT = 15
LONG_OVERDUE_LIMIT = 15
#: The strip of days ahead: two weeks, whatever the window.
STRIP_DAYS = 14
#: Recent activity looks back this many days at least (the window itself looks ahead).
MIN_ACTIVITY_DAYS = 7

_GIVE_TAGS = re.compile(r"(?<![\w#])#(?:gave|got)\b", re.IGNORECASE)


@dataclass(frozen=True)
class TaskItem:
    """An open task, shown under a reconnect so you know what you promised to ask."""

    due: date | None
    text: str
    note: str
    line: int


@dataclass(frozen=True)
class FollowupItem:
    contact: str
    note: str
    url: str | None
    line: int | None
    date: date
    when: str
    overdue_days: int
    text: str
    reach: Reach


@dataclass(frozen=True)
class OccasionItem:
    """A birthday or another yearly date in the window."""

    contact: str
    note: str
    url: str | None
    date: date
    when: str
    kind: Literal["birthday", "date"]
    title: str
    detail: str
    age: int | None
    label: str | None
    years: int | None
    reach: Reach


@dataclass(frozen=True)
class ReconnectItem:
    """Someone to get back in touch with, and what to talk about."""

    contact: str
    note: str
    url: str | None
    date: date
    when: str
    overdue_days: int
    cadence: str | None
    cadence_text: str
    score: float
    last_contact: datetime.date | None
    days_since: int | None
    last_topic: str | None
    last_topic_date: datetime.date | None
    open_tasks: tuple[TaskItem, ...]
    reach: Reach


@dataclass(frozen=True)
class GiveFirstItem:
    """Someone who gave you more than you gave them: an intro or a favour would be welcome."""

    contact: str
    note: str
    url: str | None
    gave: int
    got: int
    last_got: str | None
    last_got_date: date | None
    reach: Reach


@dataclass(frozen=True)
class LongOverdueItem:
    """A follow-up or reconnect overdue for longer than `[digest] long_overdue`: still
    listed, but below the day's, so it stops leading every morning's first screen."""

    kind: Literal["followup", "reconnect"]
    contact: str
    note: str
    url: str | None
    date: date
    when: str
    overdue_days: int
    text: str
    reach: Reach


@dataclass(frozen=True)
class ActivityItem:
    """One interaction line, with every contact it was with."""

    date: date
    when: str
    contacts: tuple[str, ...]
    text: str
    note: str
    line: int | None
    gave: bool
    got: bool


@dataclass(frozen=True)
class MonthCount:
    """Distinct interactions in one month (`2026-11`, `Nov`)."""

    month: str
    name: str
    count: int


@dataclass(frozen=True)
class CircleHealth:
    """The contacts of one circle that have a cadence: on track or overdue."""

    circle: str
    contacts: int
    on_track: int
    overdue: int


@dataclass(frozen=True)
class StripItem:
    kind: str
    contact: str


@dataclass(frozen=True)
class StripDay:
    """One day of the two weeks ahead and what falls on it."""

    date: date
    weekday: str
    label: str
    today: bool
    reminders: tuple[StripItem, ...]


@dataclass(frozen=True)
class ProblemSummary:
    count: int
    errors: int
    warnings: int
    notes: int


@dataclass(frozen=True)
class Totals:
    """Whole counts, before the lists are capped: what the subject and `counts` report."""

    followups: int
    overdue_followups: int
    birthdays: int
    dates: int
    reconnects: int
    give_first: int
    activity: int
    problems: int
    long_overdue: int
    long_overdue_followups: int


@dataclass(frozen=True)
class Digest:
    """Every section of the digest for one day, decided and ranked; templates only lay it out."""

    today: date
    days: int
    horizon: date
    activity_since: date
    contacts: int
    totals: Totals
    followups: tuple[FollowupItem, ...]
    occasions: tuple[OccasionItem, ...]
    reconnects: tuple[ReconnectItem, ...]
    give_first: tuple[GiveFirstItem, ...]
    activity: tuple[ActivityItem, ...]
    problems: ProblemSummary
    long_overdue: tuple[LongOverdueItem, ...] = ()
    #: `[digest] long_overdue` as words ("1 month"); None: nothing is set apart.
    long_overdue_after: str | None = None
    months: tuple[MonthCount, ...] = ()
    circles: tuple[CircleHealth, ...] = ()
    strip: tuple[StripDay, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing due: exactly when `crm due --days N` would list nothing.

        Give-first ideas, recent activity and vault problems do not make a digest worth a
        mail on their own; they ride along when something is due.
        """
        return not (self.followups or self.occasions or self.reconnects or self.long_overdue)

    def counts(self) -> dict[str, int]:
        return _plain(self.totals)

    def more(self) -> dict[str, int]:
        """How many items each capped list leaves out."""
        t = self.totals
        long_reconnects = t.long_overdue - t.long_overdue_followups
        return {
            "followups": t.followups - t.long_overdue_followups - len(self.followups),
            "occasions": t.birthdays + t.dates - len(self.occasions),
            "reconnects": t.reconnects - long_reconnects - len(self.reconnects),
            "give_first": t.give_first - len(self.give_first),
            "activity": t.activity - len(self.activity),
            "long_overdue": t.long_overdue - len(self.long_overdue),
        }

    def subject(self) -> str:
        """A mail subject that says what is waiting without opening the mail."""
        return f"CRM digest {self.today.isoformat()}: {self.summary()}"

    def summary(self) -> str:
        """`2 follow-ups (1 overdue), 1 birthday, 3 to reconnect with`, or `nothing due`."""
        c = self.counts()
        parts = []
        if c["followups"]:
            part = plural(c["followups"], "follow-up")
            if c["overdue_followups"]:
                part += f" ({c['overdue_followups']} overdue)"
            parts.append(part)
        if c["birthdays"]:
            parts.append(plural(c["birthdays"], "birthday"))
        if c["dates"]:
            parts.append(plural(c["dates"], "date"))
        if c["reconnects"]:
            parts.append(f"{c['reconnects']} to reconnect with")
        return ", ".join(parts) if parts else "nothing due"

    def context(self) -> dict[str, Any]:
        """The template variables: plain data only (see docs/digest.md)."""
        more = self.more()
        return {
            "today": self.today.isoformat(),
            "today_long": _long_date(self.today),
            "days": self.days,
            "horizon": self.horizon.isoformat(),
            "activity_since": self.activity_since.isoformat(),
            "contacts": self.contacts,
            "subject": self.subject(),
            "summary": self.summary(),
            "is_empty": self.is_empty,
            "counts": self.counts(),
            "followups": _plain(self.followups),
            "followups_more": more["followups"],
            "occasions": _plain(self.occasions),
            "occasions_more": more["occasions"],
            "reconnects": _plain(self.reconnects),
            "reconnects_more": more["reconnects"],
            "give_first": _plain(self.give_first),
            "give_first_more": more["give_first"],
            "activity": _plain(self.activity),
            "activity_more": more["activity"],
            "long_overdue": _plain(self.long_overdue),
            "long_overdue_more": more["long_overdue"],
            "long_overdue_after": self.long_overdue_after,
            "problems": _plain(self.problems),
            "months": _plain(self.months),
            "months_total": sum(m.count for m in self.months),
            "months_words": " · ".join(f"{m.name} {m.count}" for m in self.months)
            + (" (so far)" if self.months else ""),
            "sparkline": charts.sparkline([m.count for m in self.months]),
            "circles": _plain(self.circles),
            "strip": _plain(self.strip),
            "charts": self.charts(),
        }

    def charts(self) -> dict[str, str]:
        """The three charts as inline SVG (empty when there is nothing to draw)."""
        months = [(m.name, m.count) for m in self.months]
        strip = [
            (d.weekday[:1], str(d.date.day), d.today, [i.kind for i in d.reminders])
            for d in self.strip
        ]
        circles = [(c.circle, c.on_track, c.overdue) for c in self.circles]
        return {
            "months": charts.month_bars(months, _months_words(self.months)) if months else "",
            "circles": charts.circle_bars(circles, _circles_words(self.circles)) if circles else "",
            "strip": charts.day_strip(strip, _strip_words(self.strip)) if strip else "",
        }


def _months_words(months: Sequence[MonthCount]) -> str:
    return "Interactions per month: " + ", ".join(f"{m.name} {m.count}" for m in months)


def _circles_words(circles: Sequence[CircleHealth]) -> str:
    return "On track and overdue per circle: " + "; ".join(
        f"{c.circle} {c.on_track} on track, {c.overdue} overdue" for c in circles
    )


def _strip_words(strip: Sequence[StripDay]) -> str:
    busy = [f"{d.label}: {len(d.reminders)}" for d in strip if d.reminders]
    return "The next 14 days: " + ("; ".join(busy) if busy else "nothing due")


# Not strftime's names: they follow the locale, and cron's locale is a guess.
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip


def _long_date(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def _plain(value: Any) -> Any:
    """Dataclasses → dicts, tuples → lists, dates → ISO strings: what a template author expects."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 2)
    return value


def format_for(file: str | None) -> Format | None:
    """The format a file name asks for by its extension (`digest.html` → html), or None
    (no file, stdout, or an extension that is not one of ours)."""
    if not file or file == "-":
        return None
    return FORMAT_BY_SUFFIX.get(Path(file).suffix.lower())


def readable(text: str) -> str:
    """Note text as a reader wants it: `[[Anna Rossi|Anna]]` → `Anna`, no #gave/#got tags."""
    return " ".join(_GIVE_TAGS.sub("", display_text(text)).split())


def topic(interaction: Interaction) -> str | None:
    """What an interaction was about, in the words the index chose; None when the note
    says nothing more than its date."""
    return readable(interaction.text) or None


def _ago(day: date, today: date) -> str:
    delta = (today - day).days
    return "today" if delta == 0 else "yesterday" if delta == 1 else f"{delta} days ago"


def note_url(config: Config, root: str, note: str) -> str | None:
    """An `obsidian://` link to the note when the vault is an Obsidian vault, else None.

    `file://` links are left out on purpose: in a mail they point at nothing.
    """
    if config.links != "obsidian":
        return None
    vault = config.vault_name or Path(root).name
    return _obsidian_url(quote(vault, safe=""), note)


def _obsidian_url(quoted_vault: str, note: str) -> str:
    target = note[:-3] if note.endswith(".md") else note
    return f"obsidian://open?vault={quoted_vault}&file={quote(target, safe='')}"


def _cadence_days(contact: Contact, last: date | None) -> int:
    """The length of one cadence in days, measured from the last contact when known."""
    cadence = contact.cadence
    assert cadence is not None
    start = last or date(2000, 1, 1)
    return max(1, (add_cadence(start, cadence) - start).days)


def _occasion(r: Reminder, today: date, url: str | None, to: Reach) -> OccasionItem:
    if r.kind == "birthday":
        detail = f"turns {r.age}" if r.age is not None else "birthday"
    else:
        detail = (r.label or "anniversary") + (f" ({r.years} years)" if r.years is not None else "")
    return OccasionItem(
        contact=r.contact,
        note=r.note,
        url=url,
        date=r.date,
        when=when(r.date, today),
        kind=r.kind,  # type: ignore[arg-type]
        title=r.title,
        detail=detail,
        age=r.age,
        label=r.label,
        years=r.years,
        reach=to,
    )


def reconnect_score(r: Reminder, contact: Contact, today: date) -> float:
    """How overdue relative to the cadence: 10 days late on a 2-week cadence matters more
    than 10 days late on a yearly one. Not yet due (still in the window) is negative."""
    return (today - r.date).days / _cadence_days(contact, r.last_contact)


def _reconnect(
    r: Reminder, contact: Contact, today: date, score: float, url: str | None, to: Reach
) -> ReconnectItem:
    last = contact.last_contact_on(today)
    past = [i for i in contact.interactions if i.date <= today]
    latest = max(past, key=lambda i: i.date, default=None)
    return ReconnectItem(
        contact=contact.name,
        note=contact.path,
        url=url,
        date=r.date,
        when=when(r.date, today),
        overdue_days=r.overdue_days,
        cadence=r.cadence,
        cadence_text=cadence_phrase(r.cadence),
        score=score,
        last_contact=last,
        days_since=(today - last).days if last else None,
        last_topic=topic(latest) if latest else None,
        last_topic_date=latest.date if latest else None,
        open_tasks=tuple(
            TaskItem(t.due, readable(t.text), t.path, t.line)
            for t in sorted(contact.open_tasks, key=lambda t: (t.due or date.max, t.path, t.line))
        ),
        reach=to,
    )


def _give_first(
    contacts: Iterable[Contact], today: date, url, to, limit: int
) -> tuple[list[GiveFirstItem], int]:
    """The `limit` people most in your debt, worded, and how many there are in all.

    Ranked first and worded after, so a large vault words five people, not thousands.
    """
    ranked = []
    for contact in contacts:
        gave, got_count = contact.gave, contact.got
        if got_count <= gave:
            continue
        got = [i for i in contact.interactions if i.got and i.date <= today]
        latest = max(got, key=lambda i: i.date, default=None)
        # Most in your debt first; among equals, whoever gave to you most recently.
        last = (latest.date if latest else date.min).toordinal()
        ranked.append(((gave - got_count, -last, contact.name.casefold()), contact, latest))
    top = heapq.nsmallest(limit, ranked, key=lambda x: x[0])
    items = [
        GiveFirstItem(
            contact=contact.name,
            note=contact.path,
            url=url(contact.path),
            gave=contact.gave,
            got=contact.got,
            last_got=topic(latest) if latest else None,
            last_got_date=latest.date if latest else None,
            reach=to(contact.path),
        )
        for _, contact, latest in top
    ]
    return items, len(ranked)


def _activity(contacts: Sequence[Contact], today: date, since: date) -> list[ActivityItem]:
    """Interactions in [since, today], one entry per line even when it names several people."""
    seen: dict[tuple[str, int | None, date, str], tuple[Interaction, list[str]]] = {}
    for contact in contacts:
        for i in contact.interactions:
            if since <= i.date <= today:
                key = (i.path, i.line, i.date, i.text)
                seen.setdefault(key, (i, []))[1].append(contact.name)
    items = [
        ActivityItem(
            date=i.date,
            when=_ago(i.date, today),
            contacts=tuple(sorted(names, key=str.casefold)),
            text=topic(i) or "",
            note=i.path,
            line=i.line,
            gave=i.gave,
            got=i.got,
        )
        for i, names in seen.values()
    ]
    items.sort(key=lambda a: (-a.date.toordinal(), a.note, a.line or 0))
    return items


def build_digest(index: Index, today: date, days: int, config: Config) -> Digest:
    """Everything the digest says for `today` and a window of `days` days. Pure."""
    by_path = {c.path: c for c in index.contacts}
    by_name = {c.name: c for c in index.contacts}
    vault = quote(config.vault_name or Path(index.root).name, safe="")
    reaches: dict[str, Reach] = {}

    def url(note: str) -> str | None:
        return _obsidian_url(vault, note) if config.links == "obsidian" else None

    def to(note: str) -> Reach:
        """How to reach the contact of `note`, worked out once per contact shown."""
        if note not in reaches:
            contact = by_path.get(note)
            reaches[note] = reach(contact, config.default_region) if contact else NOWHERE
        return reaches[note]

    horizon = today + timedelta(days=days)
    ahead = due(index, today, max(days, STRIP_DAYS - 1))
    reminders = [r for r in ahead if r.date <= horizon]
    late = _long_overdue_test(today, config.long_overdue)
    long_overdue = [r for r in reminders if late(r)]
    long_keys = {r.key for r in long_overdue}
    followups = [r for r in reminders if r.kind == "followup"]
    recent_followups = [r for r in followups if r.key not in long_keys]
    occasions = [r for r in reminders if r.kind in ("birthday", "date")]
    # Rank every reconnect, then build the full item (last topic, open tasks) only for the
    # ones shown: in a big vault hundreds may be due.
    ranked = sorted(
        (
            (reconnect_score(r, by_path[r.note], today), r)
            for r in reminders
            if r.kind == "reconnect" and r.note in by_path
        ),
        key=lambda sr: (-sr[0], -sr[1].overdue_days, sr[1].contact.casefold()),
    )
    recent_reconnects = [(score, r) for score, r in ranked if r.key not in long_keys]
    give_first, give_first_count = _give_first(index.contacts, today, url, to, GIVE_FIRST_LIMIT)
    since = today - timedelta(days=max(days, MIN_ACTIVITY_DAYS))
    activity = _activity(index.contacts, today, since)
    errors = sum(1 for p in index.problems if p.level == "error")
    return Digest(
        today=today,
        days=days,
        horizon=horizon,
        activity_since=since,
        contacts=len(index.contacts),
        totals=Totals(
            followups=len(followups),
            overdue_followups=sum(1 for r in followups if r.overdue_days > 0),
            birthdays=sum(1 for r in occasions if r.kind == "birthday"),
            dates=sum(1 for r in occasions if r.kind == "date"),
            reconnects=len(ranked),
            give_first=give_first_count,
            activity=len(activity),
            problems=len(index.problems),
            long_overdue=sum(1 for r in long_overdue if r.kind != "reconnect" or r.note in by_path),
            long_overdue_followups=sum(1 for r in long_overdue if r.kind == "followup"),
        ),
        followups=tuple(
            FollowupItem(
                contact=r.contact,
                note=r.note,
                url=url(r.note),
                line=r.line,
                date=r.date,
                when=when(r.date, today),
                overdue_days=r.overdue_days,
                text=readable(r.text) or "follow up",
                reach=to(_contact_note(r, by_name)),
            )
            for r in recent_followups[:FOLLOWUP_LIMIT]
        ),
        occasions=tuple(
            _occasion(r, today, url(r.note), to(r.note)) for r in occasions[:OCCASION_LIMIT]
        ),
        reconnects=tuple(
            _reconnect(r, by_path[r.note], today, score, url(r.note), to(r.note))
            for score, r in recent_reconnects[:RECONNECT_LIMIT]
        ),
        give_first=tuple(give_first),
        activity=tuple(activity[:ACTIVITY_LIMIT]),
        problems=ProblemSummary(
            count=len(index.problems),
            errors=errors,
            warnings=len(index.problems) - errors,
            notes=index.problem_notes(),
        ),
        long_overdue=tuple(
            _long_overdue_item(r, by_path, by_name, today, url, to)
            for r in long_overdue[:LONG_OVERDUE_LIMIT]
            if r.kind != "reconnect" or r.note in by_path
        ),
        long_overdue_after=duration_words(config.long_overdue) if config.long_overdue else None,
        months=tuple(
            MonthCount(month, _MONTHS[int(month[5:]) - 1][:3], count)
            for month, count in interactions_per_month(index, today)
        ),
        circles=_circle_health(index.contacts, reminders, config),
        strip=_strip(ahead, today),
    )


def _contact_note(r: Reminder, by_name: dict[str, Contact]) -> str:
    """The contact note of a reminder: a follow-up's `note` is where the task is written
    (a meeting note, say), and its key ends with the contact's path."""
    if r.kind != "followup":
        return r.note
    contact = by_name.get(r.contact)
    if contact is not None and r.key.endswith(":" + contact.path):
        return contact.path
    return r.note


def _long_overdue_test(today: date, after: Cadence | None):
    """Whether a reminder is overdue by more than `after` (never, when None)."""

    def late(r: Reminder) -> bool:
        return (
            after is not None
            and r.overdue_days > 0
            and r.kind in ("followup", "reconnect")
            and add_cadence(r.date, after) < today
        )

    return late


def _long_overdue_item(
    r: Reminder, by_path: dict[str, Contact], by_name: dict[str, Contact], today: date, url, to
) -> LongOverdueItem:
    if r.kind == "followup":
        text = readable(r.text) or "follow up"
        note = _contact_note(r, by_name)
    else:
        last = by_path[r.note].last_contact_on(today)
        since = f"last contact {last.isoformat()}" if last else "never contacted"
        text = f"reconnect ({cadence_phrase(r.cadence)}, {since})"
        note = r.note
    return LongOverdueItem(
        kind=r.kind,  # type: ignore[arg-type]
        contact=r.contact,
        note=r.note,
        url=url(r.note),
        date=r.date,
        when=when(r.date, today),
        overdue_days=r.overdue_days,
        text=text,
        reach=to(note),
    )


def duration_words(cadence: Cadence) -> str:
    """`1m` → "1 month", `6w` → "6 weeks", `45` → "45 days", `1y` → "1 year"."""
    n = cadence.amount
    if cadence.unit == "months":
        return plural(n // 12, "year") if n % 12 == 0 else plural(n, "month")
    return plural(n // 7, "week") if n % 7 == 0 else plural(n, "day")


def _circle_health(
    contacts: Sequence[Contact], reminders: Iterable[Reminder], config: Config
) -> tuple[CircleHealth, ...]:
    """Per circle, the contacts with a cadence and how many of them are overdue: the
    circles of crm.toml in its order, then others by name, then those with no circle."""
    overdue = {r.note for r in reminders if r.kind == "reconnect" and r.overdue_days > 0}
    counts: dict[str, list[int]] = {}
    for contact in contacts:
        if contact.cadence is None:
            continue
        row = counts.setdefault(contact.fields.circle or "", [0, 0])
        row[1 if contact.path in overdue else 0] += 1
    order = [name for name, _ in config.circles]
    names = sorted(
        counts,
        key=lambda n: (n == "", n not in order, order.index(n) if n in order else 0, n.casefold()),
    )
    return tuple(
        CircleHealth(name or "no circle", sum(counts[name]), *counts[name]) for name in names
    )


def _strip(reminders: Iterable[Reminder], today: date) -> tuple[StripDay, ...]:
    """The next STRIP_DAYS days and the reminders on each (overdue ones are not on it:
    they have their own lists)."""
    days: dict[date, list[StripItem]] = {today + timedelta(days=i): [] for i in range(STRIP_DAYS)}
    for r in sorted(reminders, key=lambda r: (r.date, KIND_ORDER[r.kind], r.contact.casefold())):
        if r.date in days:
            days[r.date].append(StripItem(r.kind, r.contact))
    return tuple(
        StripDay(
            date=day,
            weekday=_WEEKDAYS[day.weekday()][:3],
            label=f"{_WEEKDAYS[day.weekday()][:3]} {day.day}",
            today=day == today,
            reminders=tuple(items),
        )
        for day, items in days.items()
    )


_MD_SPECIAL = re.compile(r"([<>\\`])")


def markdown_escape(value: object) -> str:
    """Keep note text from turning into HTML when the Markdown digest is rendered.

    Only what could inject markup or break a line is escaped; `**bold**` written in a note
    stays bold, because the note's author meant it.
    """
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def render_digest(digest: Digest, fmt: str, template_dirs: Iterable[Path] = ()) -> str:
    """The digest through `digest.<fmt>.j2`, from the first folder of `template_dirs` that has
    it, else the built-in one, in Jinja2's sandbox (`templating.environment`). A broken or
    hostile user template is a one-line error naming it."""
    import jinja2
    from jinja2.sandbox import SecurityError

    from plaintextcrm.templating import environment

    if fmt not in FORMATS:
        raise CrmError(f"unknown digest format {fmt!r}: expected one of {', '.join(FORMATS)}")
    env = environment(list(template_dirs), html=fmt == "html")
    env.filters["md"] = markdown_escape
    name = f"digest.{fmt}.j2"
    try:
        template = env.get_template(name)
        text = template.render(digest.context())
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise CrmError(f"{where}:{exc.lineno}: template error: {exc.message}") from None
    except SecurityError as exc:
        where, why = _template_file(env, name), str(exc).rstrip(".")
        raise CrmError(
            f"{where}: template refused: {why} (a template lays out the digest's data;"
            " it cannot reach Python objects or run anything)"
        ) from None
    except jinja2.TemplateError as exc:
        where = _template_file(env, name)
        raise CrmError(f"{where}: template error: {exc}") from None
    # Markdown and text are read in a terminal or a mail: shown, never obeyed (HTML is
    # escaped by the template instead).
    return text if fmt == "html" else visible(text)


def _template_file(env: Any, name: str) -> str:
    try:
        _source, filename, _uptodate = env.loader.get_source(env, name)
        return filename or name
    except Exception:
        return name
