"""The reminder engine: (Index, today, window) → the sorted list docs/notes.md describes.

Pure: no I/O, no clock. The calendar feed uses the same functions with no window, so the
feed and `crm due` can never disagree about a date.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from plaintextcrm.dates import DateValueError, add_cadence, as_date, next_occurrence
from plaintextcrm.model import Contact, Index, Reminder, StoredContacts, Task, YearlyDate
from plaintextcrm.wikilinks import display_text

KINDS = ("followup", "birthday", "date", "reconnect")


def _overdue(day: date, today: date) -> int:
    return max(0, (today - day).days)


def birthday_reminder(contact: Contact, yearly: YearlyDate, today: date) -> Reminder:
    day = next_occurrence(yearly, today)
    # A birth year after the occurrence (a typo, or a due date) gives no age, not a negative one.
    age = day.year - yearly.year if yearly.year and day.year >= yearly.year else None
    title = f"{contact.name}'s birthday" + (f" (turns {age})" if age is not None else "")
    return Reminder(
        date=day,
        kind="birthday",
        contact=contact.name,
        note=contact.path,
        title=title,
        overdue_days=0,
        age=age,
        key=f"birthday:{contact.path}",
    )


def date_reminder(contact: Contact, yearly: YearlyDate, index: int, today: date) -> Reminder:
    day = next_occurrence(yearly, today)
    years = day.year - yearly.year if yearly.year and day.year >= yearly.year else None
    label = yearly.label or "anniversary"
    title = f"{contact.name}: {label}" + (f" ({years} years)" if years is not None else "")
    return Reminder(
        date=day,
        kind="date",
        contact=contact.name,
        note=contact.path,
        title=title,
        overdue_days=0,
        label=yearly.label,
        years=years,
        text=label,
        key=f"date:{contact.path}:{index}:{yearly.raw}:{yearly.label}",
    )


def followup_reminder(contact: Contact, task: Task, today: date) -> Reminder:
    assert task.due is not None
    return Reminder(
        date=task.due,
        kind="followup",
        contact=contact.name,
        note=task.path,
        title=f"{contact.name}: {display_text(task.text)}"
        if task.text
        else f"Follow up with {contact.name}",
        overdue_days=_overdue(task.due, today),
        text=task.text,
        line=task.line,
        key=f"followup:{task.path}:{task.line}:{contact.path}",
    )


def followups(contact: Contact) -> Iterator[Task]:
    """Every dated open follow-up of a contact: its open tasks with a due date (in any
    note), then the one kept in a `follow_up` field, as a task on that key's line. The one
    list `crm due`, the feed and the digest all read."""
    for task in contact.tasks:
        if task.status == "open" and task.due is not None:
            yield task
    f = contact.fields
    if f.follow_up is not None:
        yield Task(contact.path, f.follow_up_line or 1, "open", f.follow_up, f.follow_up_text)


def _start(contact: Contact) -> date | None:
    """Where a never-contacted cadence counts from: the later of `created` and `met`
    (when `met` is a date), so a person added or imported today is not overdue today."""
    met = contact.fields.met
    try:
        met_day = as_date(met) if met else None
    except DateValueError:
        met_day = None
    return max((d for d in (contact.fields.created, met_day) if d), default=None)


def _reconnect_day(contact: Contact, last: date | None, today: date) -> date:
    assert contact.cadence is not None
    start = last or _start(contact)
    day = add_cadence(start, contact.cadence) if start else today
    if contact.fields.snooze and contact.fields.snooze > day:
        day = contact.fields.snooze
    return day


def reconnect_reminder(contact: Contact, today: date) -> Reminder | None:
    if contact.cadence is None:
        return None
    last = contact.last_contact_on(today)  # once: it walks every interaction
    day = _reconnect_day(contact, last, today)
    return Reminder(
        date=day,
        kind="reconnect",
        contact=contact.name,
        note=contact.path,
        title=f"Reconnect with {contact.name}",
        overdue_days=_overdue(day, today),
        last_contact=last,
        cadence=contact.cadence.raw if contact.cadence else None,
        key=f"reconnect:{contact.path}",
    )


def _contact_reminders(contact: Contact, today: date) -> Iterator[Reminder]:
    if contact.fields.birthday:
        yield birthday_reminder(contact, contact.fields.birthday, today)
    for i, yearly in enumerate(contact.fields.dates):
        yield date_reminder(contact, yearly, i, today)
    for task in followups(contact):
        yield followup_reminder(contact, task, today)
    reconnect = reconnect_reminder(contact, today)
    if reconnect:
        yield reconnect


def contact_reminders(contact: Contact, today: date) -> list[Reminder]:
    """One contact's reminders, each at its next date: what the index cache keeps per
    contact for the day it was written (indexfile.py)."""
    return list(_contact_reminders(contact, today))


@dataclass
class Kept:
    """Each contact's reminders for one day, kept in memory across rebuilds by `crm
    watch`: its updated index shares every contact an edit did not touch (the very same
    object), so identity tells "unchanged" and only the rebuilt contacts are computed."""

    day: date | None = None
    by_contact: dict[int, tuple[Contact, list[Reminder]]] = field(default_factory=dict)

    def reminders(
        self, contacts: Iterable[Contact], today: date
    ) -> Iterator[tuple[str, list[Reminder]]]:
        """`_by_contact` for `contacts`, keeping what it computed for the next call."""
        old = self.by_contact if self.day == today else {}
        now: dict[int, tuple[Contact, list[Reminder]]] = {}
        for contact in contacts:
            hit = old.get(id(contact))
            mine = (
                hit[1]
                if hit is not None and hit[0] is contact
                else contact_reminders(contact, today)
            )
            now[id(contact)] = (contact, mine)
            yield contact.path, mine
        self.day, self.by_contact = today, now


def _by_contact(
    index: Index,
    today: date,
    until: date | None = None,
    kinds: Container[str] | None = None,
    kept: Kept | None = None,
) -> Iterator[tuple[str, Iterable[Reminder]]]:
    """(contact path, its reminders) for every contact; from the cache where it kept
    them for today, so an unchanged contact is not even decoded, or from `kept`. `until`
    and `kinds` may leave out others (what the cache gives is already filtered; the caller
    filters the rest)."""
    contacts = index.contacts
    if kept is not None:
        yield from kept.reminders(contacts, today)
    elif isinstance(contacts, StoredContacts):
        for i, path in enumerate(contacts.paths):
            stored = contacts.kept_reminders(i, today, until, kinds)
            yield path, stored if stored is not None else _contact_reminders(contacts[i], today)
    else:
        for contact in contacts:
            yield contact.path, _contact_reminders(contact, today)


def all_reminders(index: Index, today: date) -> Iterator[Reminder]:
    """Every reminder of every contact, each at its next date, with no window."""
    for _, reminders in _by_contact(index, today):
        yield from reminders


def due(
    index: Index,
    today: date,
    days: int = 14,
    kinds: Iterable[str] | None = None,
    kept: Kept | None = None,
) -> list[Reminder]:
    """The reminders in the window [.., today + days], overdue ones included, sorted
    (`kept`: see `Kept`)."""
    wanted = set(kinds) if kinds else set(KINDS)
    horizon = today + timedelta(days=days)
    contacts = index.contacts
    stored = (
        contacts.window(today, horizon, wanted) if isinstance(contacts, StoredContacts) else None
    )
    if stored is not None:  # the cache's reminders and the rebuilt ones' (not `kept`'s)
        found, todo = stored
        found.extend(r for i in todo for r in _contact_reminders(contacts[i], today)
                     if r.kind in wanted and r.date <= horizon)  # fmt: skip
        return sorted(found, key=Reminder.sort_key)
    found = [
        r
        for _, reminders in _by_contact(index, today, horizon, wanted, kept)
        for r in reminders
        if r.kind in wanted and r.date <= horizon
    ]
    return sorted(found, key=Reminder.sort_key)


def feed_reminders(index: Index, today: date) -> list[Reminder]:
    """Every reminder, sorted, for outputs that show the future too (the calendar feed)."""
    return sorted(all_reminders(index, today), key=Reminder.sort_key)


def next_reminder_by_contact(index: Index, today: date) -> dict[str, Reminder]:
    """Each contact's first upcoming (or overdue) reminder, keyed by the contact's note."""
    first: dict[str, Reminder] = {}
    for path, reminders in _by_contact(index, today):
        mine = list(reminders)
        if mine:
            first[path] = min(mine, key=Reminder.sort_key)
    return first
