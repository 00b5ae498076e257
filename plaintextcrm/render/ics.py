"""The iCalendar feed (docs/calendar.md), written as text, one contact at a time.

Why text and not `icalendar.Event` objects: a 10k-note vault has ~15k events, and building
and serialising component objects costs seconds on every run. Here each contact's share
of the feed is one deterministic value (`contact_part`), so a cache can keep it per
contact and the feed is `calendar_head` + the contacts' events + the shared events +
`CALENDAR_TAIL`. Folding follows icalendar's `foldline` rules, faster; the test suite
parses every feed back with `icalendar`, `recurring-ical-events` and Mozilla's `ical.js`.

Rules the readers rely on:
- all-day events (`VALUE=DATE`) with an exclusive `DTEND` the next day, no time zones;
- birthdays and dates recur yearly from the year before the feed's; Feb 29 recurs on the
  last day of February (`BYMONTH=2;BYMONTHDAY=-1`), which is the day `crm due` reminds
  on; their words hold no age, which would be true in one year only;
- follow-ups and reconnects are single events on their date, an overdue one on today,
  titled `overdue 3w · ...`; with `[ics] overdue = "collapse"` (the default) each kind's
  overdue ones share one event on today, and with `reconnects = "collapse"` a day's
  reconnects share one (`Reconnect: Ayşe, Björn +10`), with one `CONTACT` per reminder;
- `DTSTAMP` is today at midnight UTC, never the clock, so one vault on one day gives the
  same bytes, and `UID`s hash the note path, the kind and what identifies the reminder
  (not line numbers or dates), so editing another part of the note keeps them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from plaintextcrm import __version__
from plaintextcrm.config import REMINDER_KINDS, Alarm, Config
from plaintextcrm.dates import next_occurrence, occurrence_in
from plaintextcrm.model import KIND_ORDER, Contact, Index, Interaction, Reminder, Task, YearlyDate
from plaintextcrm.reminders import (
    birthday_reminder,
    date_reminder,
    followup_reminder,
    followups,
    reconnect_reminder,
)
from plaintextcrm.render.text import cadence_phrase
from plaintextcrm.wikilinks import display_text

CRLF = "\r\n"
CALENDAR_TAIL = "END:VCALENDAR\r\n"
PRODID = f"-//plaintextcrm//plaintextcrm {__version__}//EN"

#: How much context an event's DESCRIPTION carries: enough to prepare a call, short
#: enough for a phone's event view.
LATEST_INTERACTIONS = 3
OPEN_TASKS = 5
MAX_ITEM_CHARS = 300

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

#: Each kind's own feed: its file name under `crm serve` and its words in a calendar name.
KIND_FEEDS = {
    "birthday": "birthdays",
    "date": "dates",
    "followup": "followups",
    "reconnect": "reconnects",
}
_PLURAL = {"followup": "follow-ups", "reconnect": "reconnects"}
#: A folded event lists at most this many reminders in its description (all of them
#: stay in its CONTACT lines); a calendar's event view is not the place for a thousand.
MAX_FOLDED_LINES = 40
#: A folded event's title names this many people before "+N".
TITLE_NAMES = 2


def feed_config(config: Config, kinds: Iterable[str] = ()) -> Config:
    """The config of a feed of only `kinds` (`crm ics --kind`, `/<token>/birthdays.ics`):
    those kinds, and a calendar name that says so. No kinds: the feed `[ics]` describes."""
    wanted = set(kinds)
    if not wanted:
        return config
    ordered = tuple(kind for kind in REMINDER_KINDS if kind in wanted)
    if ordered == config.feed_kinds:
        return config
    label = ", ".join(KIND_FEEDS[kind] for kind in ordered)
    return replace(config, feed_kinds=ordered, calendar_name=f"{config.calendar_name} · {label}")


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


#: A reminder that shares one event with others of its kind: (group, kind, day as an
#: ordinal, days overdue, contact name, its line in the shared description, the URL line
#: of its note, its own event). Plain values, so the output cache can keep them.
Folded = tuple[str, str, int, int, str, str, str, str]
#: One contact's share of the feed: its own events, and the reminders folded elsewhere.
ContactPart = tuple[str, tuple[Folded, ...]]


def render_ics(index: Index, today: date, config: Config) -> bytes:
    """The whole feed as bytes: the same vault on the same day gives the same bytes."""
    parts = [contact_part(contact, today, config, index.root) for contact in index.contacts]
    return assemble(parts, today, config)


def assemble(parts: Iterable[ContactPart], today: date, config: Config) -> bytes:
    """The head, every contact's own events (in the index's order), the shared events
    (by day, then kind), the tail."""
    return b"".join(assemble_chunks(parts, today, config))


#: Contacts' parts per chunk of a streamed feed: a few hundred kilobytes.
CHUNK_CONTACTS = 500


def assemble_chunks(parts: Iterable[ContactPart], today: date, config: Config) -> Iterator[bytes]:
    """`assemble` in pieces, for a feed written out as it is made (a 50k-note feed is
    tens of megabytes: never held whole, nor twice as text and bytes)."""
    texts = [calendar_head(config, today)]
    folded: list[Folded] = []
    for text, items in parts:
        texts.append(text)
        folded.extend(items)
        if len(texts) >= CHUNK_CONTACTS:
            yield "".join(texts).encode("utf-8")
            texts = []
    texts.extend(shared_events(folded, today, config))
    texts.append(CALENDAR_TAIL)
    yield "".join(texts).encode("utf-8")


def contact_part(contact: Contact, today: date, config: Config, root: str) -> ContactPart:
    """One contact's events as text, and the reminders that fold into shared events; a
    pure function of its arguments.

    Order: birthday, dates (as written), follow-ups (by note and line), reconnect, so the
    feed is sorted by contact (the index's order) and then by this.
    """
    context = _context(contact, today, config, note_url(root, contact.path, config))
    own: list[str] = []
    folded: list[Folded] = []
    for reminder, event, line in _events(context):
        group = _group(reminder, config)
        if group is None:
            own.append(event)
        else:
            day = max(reminder.date, today).toordinal()
            folded.append(
                (group, reminder.kind, day, reminder.overdue_days, contact.name, line,
                 context.url_line, event)
            )  # fmt: skip
    return "".join(own), tuple(folded)


def _group(reminder: Reminder, config: Config) -> str | None:
    """Which shared event a reminder folds into: "overdue" (each kind's overdue ones, on
    today), "day" (a day's reconnects), or None: an event of its own."""
    if reminder.overdue_days > 0:
        return "overdue" if config.feed_overdue == "collapse" else None
    if reminder.kind == "reconnect" and config.feed_reconnects == "collapse":
        return "day"
    return None


@dataclass(frozen=True)
class _Context:
    """What every event of one contact shares, computed once per contact."""

    contact: Contact
    today: date
    config: Config
    stamp: str
    categories_tail: str
    description_tail: str
    url_line: str
    contact_line: str


def _context(contact: Contact, today: date, config: Config, url: str) -> _Context:
    circle = contact.fields.circle
    return _Context(
        contact=contact,
        today=today,
        config=config,
        stamp=_stamp(today),
        categories_tail=f",{escape_text(circle)}" if circle else "",
        description_tail=_description_tail(contact, today),
        url_line=content_line("URL;VALUE=URI", url),
        contact_line=content_line("CONTACT", escape_text(contact.name)),
    )


def _stamp(today: date) -> str:
    return f"DTSTAMP:{_ical_date(today)}T000000Z\r\n"


def _events(ctx: _Context) -> Iterator[tuple[Reminder, str, str]]:
    """(reminder, its own event, its line in a shared event) for each reminder of a kind
    the feed carries."""
    contact, today = ctx.contact, ctx.today
    fields = contact.fields
    kinds = ctx.config.feed_kinds
    if fields.birthday and "birthday" in kinds:
        reminder = birthday_reminder(contact, fields.birthday, today)
        event = _yearly_event(
            ctx,
            reminder,
            fields.birthday,
            uid=event_uid(contact.path, "birthday"),
            summary=f"{contact.name}'s birthday",
            headline=_birthday_headline(fields.birthday),
        )
        yield reminder, event, ""
    seen: dict[str, int] = {}
    for i, yearly in enumerate(fields.dates if "date" in kinds else ()):
        reminder = date_reminder(contact, yearly, i, today)
        label = yearly.label or "anniversary"
        nth = seen.get(label, 0)
        seen[label] = nth + 1
        event = _yearly_event(
            ctx,
            reminder,
            yearly,
            uid=event_uid(contact.path, "date", label, str(nth)),
            summary=f"{contact.name}: {label}",
            headline=_date_headline(yearly, label),
        )
        yield reminder, event, ""
    tasks_seen: dict[tuple[str, str], int] = {}
    for task in followups(contact) if "followup" in kinds else ():
        identity = (task.path, task.text)
        nth = tasks_seen.get(identity, 0)
        tasks_seen[identity] = nth + 1
        reminder = followup_reminder(contact, task, today)
        event = _single_event(
            ctx,
            reminder,
            uid=event_uid(contact.path, "followup", task.path, task.text, str(nth)),
            headline=_followup_headline(task, reminder, contact.path),
        )
        text = _short(task.text) or "follow up"
        yield reminder, event, f"{contact.name}: {text} (due {reminder.date.isoformat()})"
    reconnect = reconnect_reminder(contact, today) if "reconnect" in kinds else None
    if reconnect is not None:
        event = _single_event(
            ctx,
            reconnect,
            uid=event_uid(contact.path, "reconnect"),
            headline=_reconnect_headline(reconnect),
        )
        last = reconnect.last_contact
        since = f"last contact {last.isoformat()}" if last else "no contact recorded yet"
        yield reconnect, event, f"{contact.name}: {cadence_phrase(reconnect.cadence)}, {since}"


def _first_occurrence(yearly: YearlyDate, today: date) -> date:
    """The recurrence's DTSTART: its day in the year before the feed's, so calendars
    expand a year or two rather than a century (and the weeks just past show it too).

    Never before the year written (a baby's first birthday is not in the year before
    it was born), and never after the next occurrence `crm due` reports, so a date typed
    with a future year still shows on the day `crm due` names.
    """
    year = max(1, today.year - 1, yearly.year or 1)
    year = min(year, next_occurrence(yearly, today).year)
    return occurrence_in(yearly, year)


def _yearly_event(
    ctx: _Context, reminder: Reminder, yearly: YearlyDate, uid: str, summary: str, headline: str
) -> str:
    start = _first_occurrence(yearly, ctx.today)
    rule = "FREQ=YEARLY"
    if yearly.month == 2 and yearly.day == 29:
        rule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"
    return _contact_event(ctx, reminder, uid, summary, headline, start, rule)


def _single_event(ctx: _Context, reminder: Reminder, uid: str, headline: str) -> str:
    start = max(reminder.date, ctx.today)
    summary = reminder.title
    if reminder.overdue_days:
        summary = f"overdue {overdue_age(reminder.overdue_days)} · {summary}"
    return _contact_event(ctx, reminder, uid, summary, headline, start, None)


def _contact_event(
    ctx: _Context,
    reminder: Reminder,
    uid: str,
    summary: str,
    headline: str,
    start: date,
    rule: str | None,
) -> str:
    overdue = ",overdue" if reminder.overdue_days else ""
    return _vevent(
        uid=uid,
        stamp=ctx.stamp,
        start=start,
        rule=rule,
        summary=summary,
        description=escape_text(headline) + ctx.description_tail,
        contact_lines=ctx.contact_line,
        categories=f"{reminder.kind}{overdue}{ctx.categories_tail}",
        url_line=ctx.url_line,
        triggers=alarm_triggers(ctx.config.alarms_for(reminder.kind)),
    )


def _vevent(
    *,
    uid: str,
    stamp: str,
    start: date,
    rule: str | None,
    summary: str,
    description: str,
    contact_lines: str,
    categories: str,
    url_line: str,
    triggers: tuple[str, ...],
) -> str:
    """One all-day VEVENT; `description` is escaped already, `summary` is not."""
    if start >= date.max:  # no exclusive end can be written; only a typo gets here
        return ""
    summary_text = escape_text(summary)
    lines = [
        "BEGIN:VEVENT\r\n",
        content_line("UID", uid),
        stamp,
        f"DTSTART;VALUE=DATE:{_ical_date(start)}\r\n",
        f"DTEND;VALUE=DATE:{_ical_date(start + timedelta(days=1))}\r\n",
    ]
    if rule:
        lines.append(f"RRULE:{rule}\r\n")
    lines += [
        content_line("SUMMARY", summary_text),
        content_line("DESCRIPTION", description),
        contact_lines,
        f"CATEGORIES:{categories}\r\n",
        url_line,
        "TRANSP:TRANSPARENT\r\n",
    ]
    alarm_text = content_line("DESCRIPTION", summary_text) if triggers else ""
    for trigger in triggers:
        lines += [
            "BEGIN:VALARM\r\n",
            "ACTION:DISPLAY\r\n",
            alarm_text,
            f"TRIGGER;RELATED=START:{trigger}\r\n",
            "END:VALARM\r\n",
        ]
    lines.append("END:VEVENT\r\n")
    return "".join(lines)


@lru_cache(maxsize=32)
def alarm_triggers(alarms: tuple[Alarm, ...]) -> tuple[str, ...]:
    """Alerts as `TRIGGER` durations from the all-day event's midnight (RFC 5545 3.3.6):
    `09:00` → `PT9H`, `-3d 09:00` → `-P2DT15H` (three days before, at nine)."""
    return tuple(_duration(alarm.days * 1440 + alarm.minute) for alarm in alarms)


def _duration(minutes: int) -> str:
    if minutes == 0:
        return "PT0S"
    sign = "-" if minutes < 0 else ""
    days, rest = divmod(abs(minutes), 1440)
    hours, mins = divmod(rest, 60)
    clock = (f"{hours}H" if hours else "") + (f"{mins}M" if mins else "")
    return f"{sign}P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")


def overdue_age(days: int) -> str:
    """How long overdue, short enough for a title: `5d`, `3w`, `8mo`, `1y`."""
    if days < 14:
        return f"{days}d"
    if days < 61:
        return f"{days // 7}w"
    if days < 365:
        return f"{days * 12 // 365}mo"
    return f"{days // 365}y"


# --- shared events ----------------------------------------------------------------------


def shared_events(folded: Iterable[Folded], today: date, config: Config) -> list[str]:
    """The events several reminders share: each kind's overdue ones (on today), and each
    day's reconnects. A group of one is that reminder's own event."""
    groups: dict[tuple[int, str, str], list[Folded]] = {}
    for item in folded:
        groups.setdefault((item[2], item[1], item[0]), []).append(item)
    out = []
    for key in sorted(groups, key=lambda k: (k[0], KIND_ORDER[k[1]], k[2])):
        day, kind, group = key
        items = sorted(groups[key], key=lambda f: (-f[3], f[4].casefold(), f[4], f[5], f[6]))
        if len(items) == 1:
            out.append(items[0][7])
        else:
            out.append(_shared_event(group, kind, date.fromordinal(day), items, today, config))
    return out


def _shared_event(
    group: str, kind: str, day: date, items: list[Folded], today: date, config: Config
) -> str:
    names = list(dict.fromkeys(item[4] for item in items))
    count = len(items)
    if group == "overdue":
        summary = f"overdue · {count} {_PLURAL[kind]}: {title_names(names)}"
        uid = event_uid("", kind, "overdue")
        head = (
            f"{count} follow-ups are overdue, longest first:"
            if kind == "followup"
            else f"{count} people are past their reconnect date, longest first:"
        )
        lines = [f"- {overdue_age(item[3])} · {item[5]}" for item in items]
        hint = (
            "Tick a task (crm done NAME) and it leaves this list."
            if kind == "followup"
            else "Log a contact (crm log NAME ...) and they leave this list."
        )
    else:
        summary = f"Reconnect: {title_names(names)}"
        uid = event_uid("", kind, "day", day.isoformat())
        head = f"Time to reconnect with {count} people:"
        lines = [f"- {item[5]}" for item in items]
        hint = "Log a contact (crm log NAME ...) and they leave this list."
    if len(lines) > MAX_FOLDED_LINES:
        more = len(lines) - MAX_FOLDED_LINES
        lines = [*lines[:MAX_FOLDED_LINES], f"- … and {more} more: crm due --kind {kind}"]
    description = "\n".join([head, *lines, "", hint])
    return _vevent(
        uid=uid,
        stamp=_stamp(today),
        start=day,
        rule=None,
        summary=summary,
        description=escape_text(description),
        contact_lines="".join(content_line("CONTACT", escape_text(item[4])) for item in items),
        categories=f"{kind},overdue" if group == "overdue" else kind,
        url_line=items[0][6],  # the first one's note: where to start
        triggers=alarm_triggers(config.alarms_for(kind)),
    )


def title_names(names: list[str]) -> str:
    """`Ayşe, Björn +10`: first names, as a calendar's narrow title has room for; a full
    name where two of the people shown share a first name."""
    shown = names if len(names) <= TITLE_NAMES + 1 else names[:TITLE_NAMES]
    firsts = [name.split()[0] if name.split() else name for name in shown]
    words = [
        first if firsts.count(first) == 1 else " ".join(name.split())
        for first, name in zip(firsts, shown, strict=True)
    ]
    rest = len(names) - len(shown)
    return ", ".join(words) + (f" +{rest}" if rest else "")


# --- what the description says ----------------------------------------------------------


def _birthday_headline(yearly: YearlyDate) -> str:
    """What a yearly event says in every year it recurs in: no age, which would be right
    in one year only."""
    return f"Birthday (born {yearly.year})." if yearly.year is not None else "Birthday."


def _date_headline(yearly: YearlyDate, label: str) -> str:
    since = f" (since {yearly.year})" if yearly.year is not None else ""
    return f"{label[:1].upper()}{label[1:]}{since}."


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
