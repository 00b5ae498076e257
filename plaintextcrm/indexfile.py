"""`.crm/index.cache`: a built index, stored so that one changed note costs one note.

The file is one of the cache store's framed files (cache.py), read with
`cache.open_frames`: checked once, then each frame read from disk when it is needed.
After a header of small frames, the contacts come in pages of PAGE, so a reader loads
and decodes only the contacts it uses (`model.StoredContacts`):

0. the vault state it was built from: (config key, every note's facts, day)
1. each note's own problems
2. the names' problems (`index.name_problems`)
3. the index's header: root, problems, note count, skipped notes, contact count
4. the contacts' paths and `last_contact` fields, in index order
5. every contact's reminders on the stored day, those up to SOON_DAYS ahead only
6. every contact's reminders on the stored day, all of them
7. … `index.Touches` (which contacts each note adds to), in BUCKETS frames by note path
7 + BUCKETS. … the link resolver's tables, in BUCKETS frames by key
7 + 2 BUCKETS. … the contacts, PAGE to a frame, each as `cache.encode_contact` gives it
last. every contact's `cache.contact_key`, 16 bytes each (the feed's events are kept by it)

After one note changed, `crm due` reads frames 0–5, one bucket of touches and one of
each resolver table per link, and the page of each contact the note touches; it merges
the new reminders of those contacts with the stored ones of everyone else.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from plaintextcrm import cache
from plaintextcrm.errors import CacheChanged
from plaintextcrm.lazyseq import LazySequence
from plaintextcrm.model import Index, Problem, StoredContacts

#: Contacts per frame: few enough that a page is quick to load for one contact, many
#: enough that a 50k-contact index has under a thousand frames to find.
PAGE = 64
#: Frames a note → contacts or name → contact table is spread over, by its key's CRC: a
#: lookup loads one of them.
BUCKETS = 64
#: How far ahead the short reminder table reaches: `crm due --days N` up to it reads that
#: table only.
SOON_DAYS = 62
_TOUCHES = 7
_RESOLVER = _TOUCHES + BUCKETS
#: Frames before the first page of contacts.
_HEAD = _RESOLVER + BUCKETS
_ERRORS = (TypeError, ValueError, IndexError, KeyError, OverflowError, EOFError, CacheChanged)


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
    touches: Mapping[str, tuple[str, ...]] | None = field(default=None, compare=False, repr=False)


def read(state: Path, stamp: bytes) -> Built | None:
    """The index `state/index.cache` holds (any day, any vault state), or None."""
    from plaintextcrm.index import Resolver

    frames = cache.open_frames(state, cache.INDEX_FILE, stamp)
    if frames is None or len(frames) < _HEAD:
        return None
    try:
        config, facts, day = frames[0]
        problems = {path: tuple(Problem(*p) for p in ps) for path, ps in frames[1]}
        stored = frames[2]
        names = None if stored is None else tuple(Problem(*p) for p in stored)
        root, index_problems, notes, skipped, count = frames[3]
        paths, last = frames[4]
        if not (len(frames) - _HEAD - 1 == -(-count // PAGE) and count == len(paths)):
            return None
        when = date.fromordinal(day)
        keys = frames[-1]
        if not (isinstance(keys, bytes) and len(keys) == 16 * count):
            return None
        contacts = StoredContacts(
            paths, _Pages(frames, count), cache.decode_contact, last,
            (when, _reminder_tables(frames, when, count), cache.decode_reminder),
            lambda i: keys[16 * i : 16 * i + 16],
        )  # fmt: skip
        index = Index(root, contacts, tuple(Problem(*p) for p in index_problems), notes, skipped)
        touches = _Buckets(frames, _TOUCHES, None)
        resolver = Resolver.from_tables(
            lambda: tuple(_Buckets(frames, _RESOLVER, column) for column in range(4))
        )
        return Built(config, facts, when, index, problems, names, resolver, touches)
    except _ERRORS:
        return None


def _reminder_tables(
    frames: Sequence[Any], day: date, count: int
) -> Callable[[date | None], Sequence[Any]]:
    """The stored reminders table for a window ending `until` (None: no end): the short
    one while it covers the window, each loaded once."""
    loaded: dict[int, Sequence[Any]] = {}

    def table(until: date | None) -> Sequence[Any]:
        number = 5 if until is not None and (until - day).days <= SOON_DAYS else 6
        if number not in loaded:
            found = frames[number]
            if len(found) != count:
                raise ValueError("index cache: a reminders table of the wrong length")
            loaded[number] = found
        return loaded[number]

    return table


def _bucket(key: str) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % BUCKETS


def _bucketed(tables: Sequence[Mapping[str, Any]]) -> Iterator[tuple[dict[str, Any], ...]]:
    """BUCKETS frames holding `tables` (side by side, each key in its CRC's bucket)."""
    buckets: list[tuple[dict[str, Any], ...]] = [tuple({} for _ in tables) for _ in range(BUCKETS)]
    for column, table in enumerate(tables):
        for key, value in table.items():
            buckets[_bucket(key)][column][key] = value
    yield from buckets


class _Buckets(Mapping[str, Any]):
    """One table of BUCKETS frames (`_bucketed`), read as a mapping: a lookup loads one
    frame; iterating loads them all."""

    def __init__(self, frames: Sequence[Any], first: int, column: int | None) -> None:
        self._frames = frames
        self._first = first
        self._column = column or 0
        self._loaded: dict[int, dict[str, Any]] = {}

    def _part(self, number: int) -> dict[str, Any]:
        part = self._loaded.get(number)
        if part is None:
            part = self._loaded[number] = self._frames[self._first + number][self._column]
            if not isinstance(part, dict):
                raise ValueError("index cache: a bucket of the wrong shape")
        return part

    def __getitem__(self, key: str) -> Any:
        return self._part(_bucket(key))[key]

    def __iter__(self) -> Iterator[str]:
        for number in range(BUCKETS):
            yield from self._part(number)

    def __len__(self) -> int:
        return sum(len(self._part(number)) for number in range(BUCKETS))


class _Pages(LazySequence[Any]):
    """Contact `i`'s encoded tuple, from its page. Only the last page read is kept: a pass
    over every contact reads each page once and holds one at a time, and a contact that
    is used is kept decoded by `StoredContacts`."""

    def __init__(self, frames: Sequence[Any], count: int) -> None:
        self._frames = frames
        self._count = count
        self._last: tuple[int, tuple[Any, ...]] = (-1, ())

    def __len__(self) -> int:
        return self._count

    def item(self, i: int) -> Any:
        number = i // PAGE
        if self._last[0] != number:
            page = self._frames[_HEAD + number]
            if len(page) != min(PAGE, self._count - number * PAGE):
                raise ValueError("index cache: a page of the wrong length")
            self._last = (number, page)
        return self._last[1][i % PAGE]


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
    soon, table = [], []
    cutoff = (day + timedelta(days=SOON_DAYS)).toordinal()
    for i in range(len(contacts)):
        kept = stored.stored_reminders(i, day) if stored is not None else None
        if kept is None:
            contact = stored.peek(i) if stored is not None else contacts[i]
            kept = tuple(map(cache.encode_reminder, contact_reminders(contact, day)))
        table.append(kept)
        soon.append(tuple(r for r in kept if r[0] <= cutoff))
    yield tuple(soon)
    yield tuple(table)
    del soon, table
    touches = built.touches if built.touches is not None else note_touches(contacts)
    yield from _bucketed([{note: paths for note, paths in touches.items() if paths}])
    resolver = built.resolver or Resolver(list(map(contact_defines, contacts)))
    yield from _bucketed(resolver.tables())
    keys = []
    for start in range(0, len(contacts), PAGE):
        page = []
        for i in range(start, min(start + PAGE, len(contacts))):
            kept = stored.frame(i) if stored is not None else None
            encoded = kept if kept is not None else cache.encode_contact(contacts[i])
            key = stored.stored_key(i) if stored is not None else None
            keys.append(key or cache.contact_key(encoded))
            page.append(encoded)
        yield tuple(page)
    yield b"".join(keys)
