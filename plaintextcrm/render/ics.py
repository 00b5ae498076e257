"""The iCalendar feed (docs/calendar.md), written as text, one contact at a time.

Why text and not `icalendar.Event` objects: a 10k-note vault has ~15k events, and building
and serialising component objects costs seconds on every run. Here each contact's events
are one deterministic string (`contact_events`), so a cache can keep it per contact and
the feed is `calendar_head` + the contacts' strings + `CALENDAR_TAIL`. Folding follows
icalendar's `foldline` rules, faster; the test suite parses every feed back with `icalendar`,
`recurring-ical-events` and Mozilla's `ical.js`.

Rules the readers rely on:
- all-day events (`VALUE=DATE`) with an exclusive `DTEND` the next day, no time zones;
- birthdays and dates recur yearly from their first year; Feb 29 recurs on the last day of
  February (`BYMONTH=2;BYMONTHDAY=-1`), which is the day `crm due` reminds on;
- follow-ups and reconnects are single events on their date, an overdue one on today;
- `DTSTAMP` is today at midnight UTC, never the clock, so one vault on one day gives the
  same bytes, and `UID`s hash the note path, the kind and what identifies the reminder
  (not line numbers), so editing another part of the note keeps them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from plaintextcrm import __version__
from plaintextcrm.config import Config
from plaintextcrm.dates import next_occurrence, occurrence_in
from plaintextcrm.model import Contact, Index, Interaction, Reminder, Task, YearlyDate
from plaintextcrm.reminders import (
    birthday_reminder,
    date_reminder,
    followup_reminder,
    followups,
    reconnect_reminder,
)
from plaintextcrm.wikilinks import display_text

CRLF = "\r\n"
CALENDAR_TAIL = "END:VCALENDAR\r\n"
PRODID = f"-//plaintextcrm//plaintextcrm {__version__}//EN"

#: How much context an event's DESCRIPTION carries: enough to prepare a call, short
#: enough for a phone's event view.
LATEST_INTERACTIONS = 3
OPEN_TASKS = 5
MAX_ITEM_CHARS = 300

#: A year-less date needs some first year; 2000 is a leap year, so `--02-29` starts on a
#: real Feb 29 and every other year-less date on a real day too.
YEARLESS_START = 2000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINE = re.compile(r"\r\n|\r|\n")


# --- low-level text -------------------------------------------------------------------


def escape_text(text: str) -> str:
    r"""A TEXT value (RFC 5545 3.3.11): `\`, `;`, `,` and line breaks escaped.

    Not icalendar's `escape_char`: that one turns a literal `\N` typed in a note into a
    line break. Control characters other than tab are not allowed in a content line, so
    they are dropped.
    """
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    if text.isprintable():  # the common case: no line break, no control character
        return text
    return _NEWLINE.sub("\\\\n", _CONTROL.sub("", text))


def content_line(name: str, value: str) -> str:
    """`NAME:value` folded at 75 octets, with its CRLF; `value` must be escaped already."""
    line = f"{name}:{value}"
    if len(line) > 18 and len(line.encode("utf-8")) > 75:  # 18 chars fit even at 4 bytes
        return fold(line) + CRLF
    return line + CRLF


def fold(line: str) -> str:
    """Fold one content line into pieces of at most 74 octets (RFC 5545 3.1).

    Exactly what icalendar's `foldline` gives (never inside a UTF-8 sequence, never
    right after a backslash, which some clients mis-read; the tests compare the two), but
    by slicing bytes instead of a loop per character: on a big vault that loop was most
    of the feed's build time.
    """
    data = line.encode("utf-8")
    pieces: list[bytes] = []
    pos, size = 0, len(data)
    while size - pos > 74:
        cut = pos + 74
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back to the start
            cut -= 1
        if data[cut - 1] in b"\\^" and cut - 1 > pos:  # keep an escape with its char
            cut -= 1
        pieces.append(data[pos:cut])
        pos = cut
    pieces.append(data[pos:])
    return b"\r\n ".join(pieces).decode("utf-8")


def _ical_date(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _short(text: str) -> str:
    """One line of note text as a reader sees it: links as their words, at most so long."""
    text = " ".join(display_text(text).split())
    return text if len(text) <= MAX_ITEM_CHARS else text[: MAX_ITEM_CHARS - 1] + "…"


# --- identity and links ---------------------------------------------------------------


def event_uid(contact_path: str, kind: str, *identity: str) -> str:
    """A UID that is the same on every run for the same reminder.

    It hashes the contact's note path, the kind and what tells two reminders of that
    kind apart (the anniversary's label, the task's note and text), never a line number,
    so adding a log line above a task does not make calendars see a new event.
    """
    key = "\x1f".join((contact_path, kind, *identity))
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"{kind}-{digest}@plaintextcrm"


def note_url(root: str, path: str, config: Config) -> str:
    """Where the event links to: the note in Obsidian, or the file itself."""
    prefix = _url_prefix(root, config.links, config.vault_name)
    if config.links == "obsidian":
        target = path[:-3] if path.lower().endswith(".md") else path
        return prefix + quote(target, safe="")
    return prefix + quote(path)


@lru_cache(maxsize=8)
def _url_prefix(root: str, links: str, vault_name: str | None) -> str:
    """The part of every note's URL that depends only on the vault (pathlib is slow)."""
    if links == "obsidian":
        return f"obsidian://open?vault={quote(vault_name or Path(root).name, safe='')}&file="
    uri = Path(root).absolute().as_uri()
    return uri if uri.endswith("/") else uri + "/"


# --- the calendar ---------------------------------------------------------------------


def calendar_head(config: Config, today: date) -> str:
    """`BEGIN:VCALENDAR` and the calendar's properties, up to the first event.

    `today` is accepted so that the head and the events are cached under the same key;
    nothing in the head depends on it now.
    """
    del today
    name = escape_text(config.calendar_name)
    return "".join(
        (
            "BEGIN:VCALENDAR\r\n",
            "VERSION:2.0\r\n",
            content_line("PRODID", escape_text(PRODID)),
            "CALSCALE:GREGORIAN\r\n",
            "METHOD:PUBLISH\r\n",
            content_line("X-WR-CALNAME", name),
            content_line("NAME", name),
            content_line("X-WR-CALDESC", "Reminders from plaintextcrm"),
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n",
            "X-PUBLISHED-TTL:PT1H\r\n",
        )
    )


def render_ics(index: Index, today: date, config: Config) -> bytes:
    """The whole feed as bytes: the same vault on the same day gives the same bytes."""
    parts = [calendar_head(config, today)]
    parts.extend(contact_events(contact, today, config, index.root) for contact in index.contacts)
    parts.append(CALENDAR_TAIL)
    return "".join(parts).encode("utf-8")


def contact_events(contact: Contact, today: date, config: Config, root: str) -> str:
    """Every VEVENT of one contact, as text; a pure function of its arguments.

    Order: birthday, dates (as written), follow-ups (by note and line), reconnect, so the
    feed is sorted by contact (the index's order) and then by this.
    """
    context = _context(contact, today, config, note_url(root, contact.path, config))
    return "".join(_events(context))


@dataclass(frozen=True)
class _Context:
    """What every event of one contact shares, computed once per contact."""

    contact: Contact
    today: date
    stamp: str
    categories_tail: str
    description_tail: str
    alarm: str | None
    url_line: str
    contact_line: str


def _context(contact: Contact, today: date, config: Config, url: str) -> _Context:
    circle = contact.fields.circle
    return _Context(
        contact=contact,
        today=today,
        stamp=f"DTSTAMP:{_ical_date(today)}T000000Z\r\n",
        categories_tail=f",{escape_text(circle)}" if circle else "",
        description_tail=_description_tail(contact, today),
        alarm=_alarm_trigger(config.alarm),
        url_line=content_line("URL;VALUE=URI", url),
        contact_line=content_line("CONTACT", escape_text(contact.name)),
    )


def _events(ctx: _Context) -> Iterator[str]:
    contact, today = ctx.contact, ctx.today
    fields = contact.fields
    if fields.birthday:
        reminder = birthday_reminder(contact, fields.birthday, today)
        yield _yearly_event(
            ctx,
            reminder,
            fields.birthday,
            uid=event_uid(contact.path, "birthday"),
            summary=f"{contact.name}'s birthday",
            headline=_birthday_headline(fields.birthday, reminder),
        )
    seen: dict[str, int] = {}
    for i, yearly in enumerate(fields.dates):
        reminder = date_reminder(contact, yearly, i, today)
        label = yearly.label or "anniversary"
        nth = seen.get(label, 0)
        seen[label] = nth + 1
        yield _yearly_event(
            ctx,
            reminder,
            yearly,
            uid=event_uid(contact.path, "date", label, str(nth)),
            summary=f"{contact.name}: {label}",
            headline=_date_headline(yearly, reminder, label),
        )
    tasks_seen: dict[tuple[str, str], int] = {}
    for task in followups(contact):
        identity = (task.path, task.text)
        nth = tasks_seen.get(identity, 0)
        tasks_seen[identity] = nth + 1
        reminder = followup_reminder(contact, task, today)
        yield _single_event(
            ctx,
            reminder,
            uid=event_uid(contact.path, "followup", task.path, task.text, str(nth)),
            headline=_followup_headline(task, reminder, contact.path),
        )
    reconnect = reconnect_reminder(contact, today)
    if reconnect is not None:
        yield _single_event(
            ctx,
            reconnect,
            uid=event_uid(contact.path, "reconnect"),
            headline=_reconnect_headline(reconnect),
        )


def _first_occurrence(yearly: YearlyDate, today: date) -> date:
    """The recurrence's DTSTART: the date itself when it has a year, else a leap year.

    Never after the next occurrence `crm due` reports, so a date typed with a future year
    still shows on the day `crm due` names.
    """
    year = yearly.year if yearly.year is not None else YEARLESS_START
    year = min(year, next_occurrence(yearly, today).year)
    return occurrence_in(yearly, year)


def _yearly_event(
    ctx: _Context, reminder: Reminder, yearly: YearlyDate, uid: str, summary: str, headline: str
) -> str:
    start = _first_occurrence(yearly, ctx.today)
    rule = "FREQ=YEARLY"
    if yearly.month == 2 and yearly.day == 29:
        rule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"
    return _event(ctx, reminder, uid, summary, headline, start, rule)


def _single_event(ctx: _Context, reminder: Reminder, uid: str, headline: str) -> str:
    start = max(reminder.date, ctx.today)
    return _event(ctx, reminder, uid, reminder.title, headline, start, None)


def _event(
    ctx: _Context,
    reminder: Reminder,
    uid: str,
    summary: str,
    headline: str,
    start: date,
    rule: str | None,
) -> str:
    if start >= date.max:  # no exclusive end can be written; only a typo gets here
        return ""
    summary_text = escape_text(summary)
    lines = [
        "BEGIN:VEVENT\r\n",
        content_line("UID", uid),
        ctx.stamp,
        f"DTSTART;VALUE=DATE:{_ical_date(start)}\r\n",
        f"DTEND;VALUE=DATE:{_ical_date(start + timedelta(days=1))}\r\n",
    ]
    if rule:
        lines.append(f"RRULE:{rule}\r\n")
    lines += [
        content_line("SUMMARY", summary_text),
        content_line("DESCRIPTION", escape_text(headline) + ctx.description_tail),
        ctx.contact_line,
        f"CATEGORIES:{reminder.kind}{ctx.categories_tail}\r\n",
        ctx.url_line,
        "TRANSP:TRANSPARENT\r\n",
    ]
    if ctx.alarm:
        lines += [
            "BEGIN:VALARM\r\n",
            "ACTION:DISPLAY\r\n",
            content_line("DESCRIPTION", summary_text),
            f"TRIGGER;RELATED=START:{ctx.alarm}\r\n",
            "END:VALARM\r\n",
        ]
    lines.append("END:VEVENT\r\n")
    return "".join(lines)


def _alarm_trigger(alarm: str | None) -> str | None:
    """Config `09:30` → `PT9H30M`: the offset from the all-day event's midnight."""
    if not alarm:
        return None
    hours, minutes = (int(part) for part in alarm.split(":"))
    if not hours and not minutes:
        return "PT0S"
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")


# --- what the description says ----------------------------------------------------------


def _birthday_headline(yearly: YearlyDate, reminder: Reminder) -> str:
    when = reminder.date.isoformat()
    if yearly.year is not None and reminder.age is not None:
        return f"Birthday (born {yearly.year}): turns {reminder.age} on {when}."
    return f"Birthday: next on {when}."


def _date_headline(yearly: YearlyDate, reminder: Reminder, label: str) -> str:
    when = reminder.date.isoformat()
    if yearly.year is not None and reminder.years is not None:
        return f"{label.capitalize()} (since {yearly.year}): {reminder.years} years on {when}."
    return f"{label.capitalize()}: next on {when}."


def _followup_headline(task: Task, reminder: Reminder, contact_path: str) -> str:
    due = reminder.date.isoformat()
    late = reminder.overdue_days
    status = f" ({late} day{'s' if late != 1 else ''} overdue)" if late else ""
    where = "" if task.path == contact_path else f" (in {task.path})"
    return f"Follow-up due {due}{status}: {_short(task.text) or 'follow up'}{where}"


def _reconnect_headline(reminder: Reminder) -> str:
    cadence = f" (cadence {reminder.cadence})" if reminder.cadence else ""
    if reminder.last_contact is None:
        return f"Time to get in touch{cadence}: no contact recorded yet."
    late = reminder.overdue_days
    status = f", {late} day{'s' if late != 1 else ''} overdue" if late else ""
    return f"Time to reconnect{cadence}: last contact {reminder.last_contact.isoformat()}{status}."


def _interaction_line(interaction: Interaction) -> str:
    """`- date: what was said`, in the words the index chose (just the date when the note
    says nothing more)."""
    text = _short(interaction.text)
    day = interaction.date.isoformat()
    return f"- {day}: {text}" if text else f"- {day}"


def _description_tail(contact: Contact, today: date) -> str:
    r"""The part of DESCRIPTION every event of a contact shares, escaped, starting `\n`.

    Who they are (role, company, where), how to reach them, what you last talked about
    and what you still owe them: what you want to read before you call.
    """
    fields = contact.fields
    lines: list[str] = [""]
    who = ", ".join(
        display_text(part)
        for part in (
            " at ".join(p for p in (fields.role, fields.company) if p),
            fields.location or "",
        )
        if part
    )
    if who:
        lines.append(who)
    reach = [*fields.emails[:2], *fields.phones[:2]]
    if reach:
        lines.append(" · ".join(reach))
    past = [i for i in contact.interactions if i.date <= today]
    if past:
        lines.append("")
        lines.append("Latest:")
        for interaction in reversed(past[-LATEST_INTERACTIONS:]):
            lines.append(_interaction_line(interaction))
    open_tasks = contact.open_tasks
    if open_tasks:
        lines.append("")
        lines.append("Open tasks:")
        for task in open_tasks[:OPEN_TASKS]:
            due = f"{task.due.isoformat()}: " if task.due else ""
            lines.append(f"- {due}{_short(task.text)}")
        if len(open_tasks) > OPEN_TASKS:
            lines.append(f"- … and {len(open_tasks) - OPEN_TASKS} more")
    lines.append("")
    lines.append(f"Note: {contact.path}")
    return escape_text("\n".join(lines))
