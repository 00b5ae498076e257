"""What the vdirs should hold, from the notes: one file per item, bytes fixed by the notes.

Deterministic: the same notes on the same day give the same bytes and the same file
names, so an unchanged item is never rewritten and never re-uploaded. Identity comes from
the UIDs the feed and the vCard export already use (a hash of the note path and what
tells the item apart, never a line number), so a moved due date or a new log line keeps
an item's UID and its file.

- tasks: a VTODO per open follow-up (due on its date) and per reconnect. A reconnect that
  has no date to count from (never contacted, no `created`, no `met`) is due "today" on
  every day; it gets no DUE rather than a new file every morning.
- events: the feed's birthday and date VEVENTs (`render.ics.contact_events`), one a file.
- contacts: the vCard 3.0 of `render.export.vcard`, the circle added to the categories.

The `DTSTAMP` of a VTODO or VEVENT says when it was written; `same_item` does not count
it, so a new day alone never rewrites a file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from plaintextcrm.config import Config
from plaintextcrm.model import Contact, Index, Task
from plaintextcrm.reminders import followup_reminder, followups, reconnect_reminder
from plaintextcrm.render.ics import CALENDAR_TAIL, content_line, escape_text, event_uid, note_url

ItemKind = Literal["followup", "reconnect", "event", "contact"]

#: No version in it: an upgrade of crm alone must not rewrite (and re-upload) every item.
PRODID = "-//plaintextcrm//sync//EN"
#: The suffix of every UID crm writes into an `.ics` item (`render.ics.event_uid`).
UID_SUFFIX = "@plaintextcrm"
_STAMP = re.compile(rb"^DTSTAMP[:;][^\r\n]*\r?\n", re.MULTILINE)
_EVENT = re.compile(r"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", re.DOTALL)
_UID = re.compile(r"^UID:(.*)\r$", re.MULTILINE)


@dataclass(frozen=True)
class Item:
    """One file crm keeps in a vdir: its name and bytes, and what it stands for in the
    notes, so a change made to it elsewhere can be applied to the right line."""

    name: str
    data: bytes
    kind: ItemKind
    contact: Contact
    task: Task | None = None  # a follow-up, as the index read it
    due: date | None = None  # a VTODO's DUE
    summary: str = ""
    in_field: bool = False  # the follow-up is a `follow_up:` key, not a task line

    @property
    def sha256(self) -> str:
        return digest(self.data)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def same_item(a: bytes, b: bytes) -> bool:
    """Whether two versions of an item say the same: equal but for their `DTSTAMP`."""
    return a == b or _STAMP.sub(b"", a) == _STAMP.sub(b"", b)


def _ical_day(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _calendar(component: str) -> bytes:
    """One calendar object resource: a VCALENDAR around one component, no METHOD (CalDAV
    servers refuse a METHOD in a stored object, RFC 4791 4.1)."""
    head = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{content_line('PRODID', escape_text(PRODID))}"
    return (head + component + CALENDAR_TAIL).encode("utf-8")


# --- tasks ---------------------------------------------------------------------------


def task_items(index: Index, today: date, config: Config) -> dict[str, Item]:
    """A VTODO per open follow-up and per reconnect, by file name."""
    items: dict[str, Item] = {}
    for contact in index.contacts:
        url = content_line("URL;VALUE=URI", note_url(index.root, contact.path, config))
        seen: dict[tuple[str, str], int] = {}
        for task in followups(contact):
            nth = seen.get((task.path, task.text), 0)
            seen[(task.path, task.text)] = nth + 1
            uid = event_uid(contact.path, "todo", task.path, task.text, str(nth))
            summary = followup_reminder(contact, task, today).title
            in_field = not any(t is task for t in contact.tasks)
            body = _todo(uid, today, summary, task.due, f"Follow-up in {task.path}", url)
            items[uid + ".ics"] = Item(
                uid + ".ics", body, "followup", contact, task, task.due, summary, in_field
            )
        reconnect = reconnect_reminder(contact, today)
        if reconnect is not None:
            uid = event_uid(contact.path, "reconnect-todo")
            due = None if _floating(contact, today) else reconnect.date
            last = reconnect.last_contact
            said = f"Last contact {last.isoformat()}" if last else "No contact recorded yet"
            about = f"{said}; cadence {reconnect.cadence}. Note: {contact.path}"
            body = _todo(uid, today, reconnect.title, due, about, url)
            items[uid + ".ics"] = Item(uid + ".ics", body, "reconnect", contact, None, due,
                                       reconnect.title)  # fmt: skip
    return items


def _floating(contact: Contact, today: date) -> bool:
    """A reconnect due on whatever day it is asked (nothing to count from)."""
    first = reconnect_reminder(contact, today)
    later = reconnect_reminder(contact, today + timedelta(days=1))
    return (
        first is not None
        and later is not None
        and first.date == today
        and later.date == today + timedelta(days=1)
    )


def _todo(uid: str, today: date, summary: str, due: date | None, about: str, url: str) -> bytes:
    lines = [
        "BEGIN:VTODO\r\n",
        content_line("UID", uid),
        f"DTSTAMP:{_ical_day(today)}T000000Z\r\n",
        content_line("SUMMARY", escape_text(summary)),
    ]
    if due is not None:
        lines.append(f"DUE;VALUE=DATE:{_ical_day(due)}\r\n")
    lines += [
        "STATUS:NEEDS-ACTION\r\n",
        content_line("DESCRIPTION", escape_text(about)),
        url,
        "END:VTODO\r\n",
    ]
    return _calendar("".join(lines))


# --- events --------------------------------------------------------------------------


def event_items(index: Index, today: date, config: Config) -> dict[str, Item]:
    """The feed's birthday and date events, one file each: the feed's renderer on the
    contact without its tasks and cadence, which are the tasks vdir's business."""
    from plaintextcrm.render.ics import contact_part

    items: dict[str, Item] = {}
    for contact in index.contacts:
        if not contact.fields.birthday and not contact.fields.dates:
            continue
        dated_only = dataclasses.replace(
            contact,
            tasks=(),
            cadence=None,
            fields=dataclasses.replace(contact.fields, follow_up=None),
        )
        text, _ = contact_part(dated_only, today, config, index.root)  # yearly: never folded
        for event in _EVENT.findall(text):
            uid = _UID.search(event)
            if uid is None:  # pragma: no cover - every event the feed writes has one
                continue
            name = uid[1] + ".ics"
            items[name] = Item(name, _calendar(event), "event", contact)
    return items


# --- contacts --------------------------------------------------------------------------


def contact_items(index: Index) -> dict[str, Item]:
    """A vCard 3.0 per contact (`render.export.vcard`), named by its UID's UUID; the
    circle is one more category, so the phone can group people by it."""
    from plaintextcrm.render.export import contact_uid, vcard

    items: dict[str, Item] = {}
    for contact in index.contacts:
        f = contact.fields
        tags = f.tags
        if f.circle and f.circle.casefold() not in {t.casefold() for t in tags}:
            tags = (*tags, f.circle)
        shown = dataclasses.replace(contact, fields=dataclasses.replace(f, tags=tags))
        name = contact_uid(contact).removeprefix("urn:uuid:") + ".vcf"
        if name in items:  # two contacts of one name: `crm check` reports it
            continue
        data = vcard(shown, "3.0").encode("utf-8")
        items[name] = Item(name, data, "contact", contact)
    return items
