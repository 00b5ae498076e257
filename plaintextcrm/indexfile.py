"""`.crm/index.cache`: a built index, stored so that one changed note costs one note.

The file is one of the cache store's framed files (cache.py). After a header of small
frames, every contact has a frame of its own, so a reader decodes only the contacts it
uses (`model.StoredContacts`):

0. the vault state it was built from: (config key, every note's facts, day)
1. each note's own problems
2. the names' problems (`index.name_problems`)
3. the index's header: root, problems, note count, skipped notes, contact count
4. the contacts' paths and `last_contact` fields, in index order
5. `index.Touches`: which contacts each note adds to (what an edit must rebuild)
6. the link resolver's tables (decoded only when a changed note links someone)
7. every contact's reminders on the stored day (`crm due` that day decodes no contact)
8. … one frame per contact

After one note changed, `crm due` reads frames 0–5 and 7, decodes the few contacts the
note touches, and merges their new reminders with the stored ones of everyone else.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from plaintextcrm import cache
from plaintextcrm.model import Index, Problem, StoredContacts

#: Frames before the first contact's.
_HEAD = 8
_ERRORS = (TypeError, ValueError, IndexError, KeyError, OverflowError, EOFError)


@dataclass(frozen=True)
class Built:
    """A built index with what updating it needs: the vault state it was built from (its
    config and every note's facts) and each note's own problems."""

    config: tuple[Any, ...]
    facts: tuple[tuple[str, int, int], ...]
    day: date
    index: Index
    note_problems: dict[str, tuple[Problem, ...]]
    #: The index's `index.name_problems`, once an update needed them.
    names: tuple[Problem, ...] | None = None
    #: Its link resolver (`index.Resolver`), once built or read.
    resolver: Any = field(default=None, compare=False, repr=False)
    #: Its `index.Touches`, when known (else an update reads them off the contacts).
    touches: dict[str, tuple[str, ...]] | None = field(default=None, compare=False, repr=False)


def read(state: Path, stamp: bytes) -> Built | None:
    """The index `state/index.cache` holds (any day, any vault state), or None."""
    from plaintextcrm.index import Resolver

    frames = cache.frames(state, cache.INDEX_FILE, stamp)
    if frames is None or len(frames) < _HEAD:
        return None
    try:
        config, facts, day = marshal.loads(frames[0])
        problems = {path: tuple(Problem(*p) for p in ps) for path, ps in marshal.loads(frames[1])}
        stored = marshal.loads(frames[2])
        names = None if stored is None else tuple(Problem(*p) for p in stored)
        root, index_problems, notes, skipped, count = marshal.loads(frames[3])
        paths, last = marshal.loads(frames[4])
        touches = dict(marshal.loads(frames[5]))
        when, table = marshal.loads(frames[7])
        if not len(frames) - _HEAD == count == len(table):
            return None
        contacts = StoredContacts(
            paths, frames[_HEAD:], cache.load_contact, last,
            (date.fromordinal(when), table, cache.decode_reminder),
        )  # fmt: skip
        index = Index(root, contacts, tuple(Problem(*p) for p in index_problems), notes, skipped)
        resolver = Resolver.from_tables(lambda: marshal.loads(frames[6]))
        return Built(
            config, facts, date.fromordinal(day), index, problems, names, resolver, touches
        )
    except _ERRORS:
        return None


def write(state: Path, stamp: bytes, built: Built) -> bool:
    """Store `built`, copying the frames of contacts read from the cache and unchanged."""
    return cache.write(state, cache.INDEX_FILE, stamp, _frames(built))


def _frames(built: Built) -> Iterator[Any]:
    from plaintextcrm.index import Resolver, contact_defines, note_touches
    from plaintextcrm.reminders import contact_reminders

    index, day = built.index, built.day
    contacts = index.contacts
    stored = contacts if isinstance(contacts, StoredContacts) else None
    yield (built.config, built.facts, day.toordinal())
    yield tuple((path, tuple(map(cache.encode_problem, ps)))
                for path, ps in built.note_problems.items())  # fmt: skip
    yield None if built.names is None else tuple(map(cache.encode_problem, built.names))
    yield (
        index.root, tuple(map(cache.encode_problem, index.problems)), index.notes,
        index.skipped_notes, len(contacts),
    )  # fmt: skip
    if stored is not None:
        last = tuple(
            d.toordinal() if (d := stored.last_contact(i)) else None for i in range(len(stored))
        )
        yield (stored.paths, last)
    else:
        yield (
            tuple(c.path for c in contacts),
            tuple(c.fields.last_contact.toordinal() if c.fields.last_contact else None
                  for c in contacts),
        )  # fmt: skip
    touches = built.touches if built.touches is not None else note_touches(contacts)
    yield tuple(touches.items())
    resolver = built.resolver or Resolver(list(map(contact_defines, contacts)))
    yield resolver.tables()
    table = []
    for i in range(len(contacts)):
        kept = stored.stored_reminders(i, day) if stored is not None else None
        if kept is None:
            kept = tuple(map(cache.encode_reminder, contact_reminders(contacts[i], day)))
        table.append(kept)
    yield (day.toordinal(), tuple(table))
    del table
    for i in range(len(contacts)):
        frame = stored.frame(i) if stored is not None else None
        yield cache.Frame(frame) if frame is not None else cache.encode_contact(contacts[i])
