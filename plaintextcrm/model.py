"""The frozen model every other module shares.

Data flows one way: files → `parse` → `ParsedNote` → `index` → `Index` (contacts with
their interactions resolved across the vault) → `reminders` → renderers. Everything here is
a frozen dataclass so that a parsed note can be cached, compared and shared between
threads without anyone mutating it behind another's back.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from plaintextcrm.lazyseq import LazySequence

Level = Literal["error", "warning"]
TaskStatus = Literal["open", "done", "cancelled"]
ReminderKind = Literal["followup", "birthday", "date", "reconnect"]

#: The order of kinds on the same day: what you promised first, then the day's
#: occasions, then the gentle nudges.
KIND_ORDER: dict[str, int] = {"followup": 0, "birthday": 1, "date": 2, "reconnect": 3}


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in one file; `crm check` lists them, other commands count them."""

    path: str
    line: int | None
    level: Level
    message: str

    def sort_key(self) -> tuple[str, int, str, str]:
        return (self.path, self.line or 0, self.level, self.message)

    def format(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.level}: {self.message}"


@dataclass(frozen=True, slots=True)
class YearlyDate:
    """A date that comes back every year: a birthday or an anniversary.

    `year` is None when the user did not write one (`--03-14`); it is kept when known so
    that reminders can say "turns 40" or "10 years".
    """

    month: int
    day: int
    year: int | None
    label: str
    raw: str


@dataclass(frozen=True, slots=True)
class Cadence:
    """A keep-in-touch interval as the user wrote it, and in units for date arithmetic."""

    amount: int
    unit: Literal["days", "months"]
    raw: str


@dataclass(frozen=True, slots=True)
class Task:
    """A checkbox list item; an open one with a due date is a follow-up."""

    path: str
    line: int
    status: TaskStatus
    due: date | None
    text: str
    links: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DatedItem:
    """A list item that starts with a date, before its links are resolved to contacts."""

    line: int
    date: date
    text: str
    links: tuple[str, ...]
    gave: bool
    got: bool


@dataclass(frozen=True, slots=True)
class Mention:
    """Someone a dated note (a daily or meeting note) was with, before links are resolved.

    `target` is a link target, or the note's folder (`People/Anna Rossi/2026-10-14.md`
    is about Anna without naming her); `text` is what the note says happened, chosen in
    `parse` where the note's words are, so every output shows the same words.
    """

    target: str
    text: str


@dataclass(frozen=True, slots=True)
class Interaction:
    """A moment you were in touch with a contact, wherever in the vault it was written."""

    date: date
    text: str
    path: str
    line: int | None
    gave: bool = False
    got: bool = False


@dataclass(frozen=True, slots=True)
class ContactFields:
    """The front matter of a contact note, validated and normalised.

    Raw strings (`birthday_raw`, `cadence_raw`) are kept because outputs show what the user
    wrote, not our reading of it.
    """

    name: str
    aliases: tuple[str, ...] = ()
    birthday: YearlyDate | None = None
    birthday_raw: str | None = None
    dates: tuple[YearlyDate, ...] = ()
    cadence: Cadence | None = None
    cadence_raw: str | None = None
    circle: str | None = None
    last_contact: date | None = None
    snooze: date | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    company: str | None = None
    role: str | None = None
    location: str | None = None
    met: str | None = None
    url: str | None = None
    linkedin: str | None = None
    tags: tuple[str, ...] = ()
    #: When the person entered the vault: a never-contacted reconnect counts from it.
    created: date | None = None
    #: A follow-up kept in a field (`follow_up: "2026-12-01 ask about the move"`), with
    #: the line of its key so outputs can point at it like at a task.
    follow_up: date | None = None
    follow_up_text: str = ""
    follow_up_line: int | None = None
    #: `uid` (a vCard-sync plugin's `UID`): the exported card's identity, which no
    #: rename changes (render/export.py `contact_uid`).
    uid: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedNote:
    """Everything the index needs from one file, computed from that file alone.

    Being independent of every other file is what makes it cacheable by (size, mtime).
    """

    path: str
    stem: str
    is_contact: bool
    fields: ContactFields | None
    note_date: date | None
    links: tuple[str, ...]
    items: tuple[DatedItem, ...]
    tasks: tuple[Task, ...]
    problems: tuple[Problem, ...]
    skipped: bool = False
    #: Why a note that looks like a contact is not one (for `crm check` when a vault
    #: has no contacts at all); None for a contact or an unremarkable note.
    near_miss: str | None = None
    #: Only a dated non-contact note has these: an interaction with each, on `note_date`.
    mentions: tuple[Mention, ...] = ()


@dataclass(frozen=True, slots=True)
class Contact:
    """A person, with everything the vault says about them resolved."""

    path: str
    fields: ContactFields
    cadence: Cadence | None
    tasks: tuple[Task, ...]
    interactions: tuple[Interaction, ...]

    @property
    def name(self) -> str:
        return self.fields.name

    def last_contact_on(self, today: date) -> date | None:
        """Last contact as of `today`: interactions dated after it are plans, not contact."""
        dates = [i.date for i in self.interactions if i.date <= today]
        if self.fields.last_contact and self.fields.last_contact <= today:
            dates.append(self.fields.last_contact)
        return max(dates, default=None)

    @property
    def gave(self) -> int:
        return sum(1 for i in self.interactions if i.gave)

    @property
    def got(self) -> int:
        return sum(1 for i in self.interactions if i.got)

    @property
    def open_tasks(self) -> tuple[Task, ...]:
        return tuple(t for t in self.tasks if t.status == "open")


class StoredContacts(LazySequence[Contact]):
    """An index's contacts as `.crm/index.cache` holds them (indexfile.py): each one's
    stored form (`frames[i]`, read from disk when asked), decoded on first use.

    It compares equal to the tuple of the same contacts. What it keeps beside the frames
    is what an everyday command needs of *every* contact without decoding them all:
    their paths, their `last_contact` (the index's future-date warning) and each one's
    reminders for the day it was stored (`reminders[1](until)` gives a table that holds at
    least those up to `until`, or all of them for None). A `replaced` copy swaps in the
    contacts an edit rebuilt; their stored reminders are not used again.
    """

    __slots__ = (
        "_decode", "_decoded", "_frames", "_fresh", "_keys", "_last", "_reminders", "paths"
    )  # fmt: skip

    def __init__(
        self,
        paths: tuple[str, ...],
        frames: Sequence[Any],
        decode: Callable[[Any], Contact],
        last_contact: tuple[int | None, ...],
        reminders: tuple[date, Callable[[date | None], Sequence[Any]], Callable[[Any], Reminder]]
        | None = None,
        keys: Callable[[int], bytes] | None = None,
    ) -> None:
        if not len(paths) == len(frames) == len(last_contact):
            raise ValueError("stored contacts: columns of different lengths")
        self.paths = paths
        self._frames = frames
        self._decode = decode
        self._decoded: list[Contact | None] = [None] * len(paths)
        self._last = last_contact
        self._reminders = reminders
        self._keys = keys
        self._fresh: frozenset[int] = frozenset()

    def __len__(self) -> int:
        return len(self.paths)

    def item(self, i: int) -> Contact:
        found = self._decoded[i]
        if found is None:
            found = self._decoded[i] = self._decode(self._frames[i])
        return found

    def __iter__(self) -> Iterator[Contact]:
        return (self.item(i) for i in range(len(self)))

    def peek(self, i: int) -> Contact:
        """Contact `i`, decoded without keeping it (a pass over every contact, such as
        writing the index anew, then holds one at a time)."""
        found = self._decoded[i]
        return found if found is not None else self._decode(self._frames[i])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"StoredContacts({len(self)} contacts)"

    def frame(self, i: int) -> Any | None:
        """Contact `i`'s stored form, or None when an edit replaced it (encode it anew)."""
        return None if i in self._fresh else self._frames[i]

    def stored_key(self, i: int) -> bytes | None:
        """A key that only contact `i`'s stored data has (outcache.py keys its feed events
        by it), without decoding it; None for a contact an edit rebuilt."""
        return None if self._keys is None or i in self._fresh else self._keys(i)

    def token(self, i: int) -> tuple[Any, Any]:
        """(what identifies contact `i` for as long as `anchor` lives, anchor): the
        stored frames and the position while no edit rebuilt it (no decoding), else the
        contact object itself. `crm watch` keeps each contact's feed events by it."""
        if i in self._fresh:
            contact = self[i]
            return id(contact), contact
        return ("stored", id(self._frames), i), self._frames

    def last_contact(self, i: int) -> date | None:
        """Contact `i`'s `last_contact` field, without decoding it."""
        if i in self._fresh:
            return self[i].fields.last_contact
        day = self._last[i]
        return None if day is None else date.fromordinal(day)

    def kept_reminders(
        self, i: int, today: date, until: date | None = None, kinds: Container[str] | None = None
    ) -> list[Reminder] | None:
        """Contact `i`'s reminders on `today` as stored, or None (another day, or a contact
        an edit rebuilt): then they are computed from the contact. With `until` and
        `kinds`, only those on or before `until` of these kinds (the others are not even
        decoded)."""
        if self._reminders is None or i in self._fresh:
            return None
        day, table, decode = self._reminders
        if day != today:
            return None
        last = until.toordinal() if until is not None else None
        return [
            decode(r)
            for r in table(until)[i]
            if (last is None or r[0] <= last) and (kinds is None or r[1] in kinds)
        ]

    def window(
        self, today: date, until: date, kinds: Container[str]
    ) -> tuple[list[Reminder], list[int]] | None:
        """`kept_reminders` of every contact at once: the stored reminders up to `until`
        of these kinds of all contacts no edit rebuilt, and the positions of those it
        did (to compute); None when the stored day is not `today`."""
        if self._reminders is None or self._reminders[0] != today:
            return None
        _, table, decode = self._reminders
        last, fresh = until.toordinal(), self._fresh
        rows = table(until)
        found = [
            decode(r)
            for i, row in enumerate(rows)
            if i not in fresh
            for r in row
            if r[0] <= last and r[1] in kinds
        ]
        return found, sorted(fresh)

    def stored_reminders(self, i: int, today: date) -> Any | None:
        """Contact `i`'s reminders on `today` in their stored form, or None (as above)."""
        if self._reminders is None or i in self._fresh or self._reminders[0] != today:
            return None
        return self._reminders[1](None)[i]

    def replaced(self, new: dict[int, Contact]) -> StoredContacts:
        """A copy with the contacts at these positions replaced (an update's result)."""
        out = StoredContacts(
            self.paths, self._frames, self._decode, self._last, self._reminders, self._keys
        )
        out._decoded = list(self._decoded)
        for i, contact in new.items():
            if contact.path != self.paths[i]:
                raise ValueError("stored contacts: a replacement at another path")
            out._decoded[i] = contact
        out._fresh = self._fresh | new.keys()
        return out


@dataclass(frozen=True, slots=True)
class Index:
    """The whole vault, read: contacts sorted by name, and every problem found."""

    root: str
    #: A tuple, or `StoredContacts` when read from the cache (decoded as used).
    contacts: Sequence[Contact]
    problems: tuple[Problem, ...]
    notes: int = 0
    skipped_notes: tuple[str, ...] = field(default=())

    def problem_notes(self) -> int:
        """How many files have at least one error (for the one-line stderr summary; a
        warning is for `crm check`, not for every command)."""
        return len({p.path for p in self.problems if p.level == "error"})

    def health(self) -> tuple[int, int, int]:
        """(notes with problems, contacts, notes): what the one stderr line of a reading
        command is made from; plain ints, so a cached output can keep it."""
        return (self.problem_notes(), len(self.contacts), self.notes)


@dataclass(frozen=True, slots=True)
class Reminder:
    """One thing to do on one day, ready for any renderer."""

    date: date
    kind: ReminderKind
    contact: str
    note: str
    title: str
    overdue_days: int
    text: str = ""
    line: int | None = None
    age: int | None = None
    label: str | None = None
    years: int | None = None
    last_contact: datetime.date | None = None
    cadence: str | None = None
    key: str = ""

    def sort_key(self) -> tuple[datetime.date, int, str, str]:
        return (self.date, KIND_ORDER[self.kind], self.contact.casefold(), self.text)
