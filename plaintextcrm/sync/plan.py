"""Comparing a vdir with the state and the notes: what changed on the other side (pull),
and which files to write and delete so the vdir says what the notes say (push). Pure.

A file is judged by its bytes:
- the bytes crm last wrote there (its state entry), or the bytes the notes give now: in
  step, nothing to pull;
- other bytes, for an item crm knows: changed on the other side, compared with the entry
  (or, when the state lost it, with the item as the notes give it now);
- crm never wrote it: made on the other side, unless it carries crm's UID (a file of a
  sync killed before saving its state; if the notes no longer have it, push removes it);
- gone, with an entry: deleted on the other side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from plaintextcrm.sync.items import Item, digest, same_item
from plaintextcrm.sync.read import written_by_crm
from plaintextcrm.sync.state import Entry
from plaintextcrm.sync.vdir import Listing

#: The vdirs `[sync]` names, and the extension of their items.
VDIR_KINDS = {"tasks": ".ics", "events": ".ics", "contacts": ".vcf"}


@dataclass(frozen=True)
class Vdir:
    """One configured vdir: which kind of items, and where."""

    kind: str
    folder: Path

    @property
    def ext(self) -> str:
        return VDIR_KINDS[self.kind]

    def shown(self, name: str) -> str:
        return f"{self.kind}/{name}"


@dataclass(frozen=True)
class Changed:
    """A file crm knows, changed on the other side. `base` is what crm last wrote there;
    `current` is the item as the notes give it now (None: the notes no longer have it)."""

    name: str
    data: bytes
    base: Entry
    current: Item | None


@dataclass(frozen=True)
class Created:
    """A file made on the other side."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Deleted:
    """A file crm wrote that is gone; `current` as in `Changed`."""

    name: str
    base: Entry
    current: Item | None


@dataclass(frozen=True)
class Pulled:
    """Every file of one vdir that is not in step, sorted by kind of change."""

    changed: tuple[Changed, ...] = ()
    created: tuple[Created, ...] = ()
    deleted: tuple[Deleted, ...] = ()
    #: crm's own files the state does not list and the notes no longer have.
    orphans: tuple[str, ...] = ()


def pull(
    vdir: Vdir, listing: Listing, entries: dict[str, Entry], rendered: dict[str, Item]
) -> Pulled:
    """What the other side did to this vdir since crm last wrote it."""
    changed: list[Changed] = []
    created: list[Created] = []
    deleted: list[Deleted] = []
    orphans: list[str] = []
    for name in sorted(listing.items.keys() | entries.keys()):
        if name in listing.unreadable:
            continue  # reported by the caller, never touched
        data = listing.items.get(name)
        entry = entries.get(name)
        item = rendered.get(name)
        if data is None:
            if entry is not None and item is not None:
                deleted.append(Deleted(name, entry, item))
            continue
        if (entry is not None and digest(data) == entry.sha256) or (
            item is not None and same_item(data, item.data)
        ):
            continue
        if entry is not None:
            changed.append(Changed(name, data, entry, item))
        elif item is not None:  # the state lost it: compare with the notes as they are
            changed.append(Changed(name, data, Entry.of(item, item.data), item))
        elif written_by_crm(data, vdir.ext):
            orphans.append(name)
        else:
            created.append(Created(name, data))
    return Pulled(tuple(changed), tuple(created), tuple(deleted), tuple(orphans))


@dataclass(frozen=True)
class Push:
    """The writes and deletes that make one vdir say what the notes say, and its state
    once they are done. Each write and delete carries the bytes the file held when read
    (`None`: absent), so a file changed meanwhile is left alone."""

    vdir: Vdir
    writes: tuple[tuple[str, bytes, bytes | None], ...]
    deletes: tuple[tuple[str, bytes], ...]
    entries: dict[str, Entry]
    #: The entries before this push: what a failed write or delete leaves in the state.
    before: dict[str, Entry]


def plan_push(
    vdir: Vdir,
    listing: Listing,
    before: dict[str, Entry],
    rendered: dict[str, Item],
    remove: frozenset[str] = frozenset(),
    hold: frozenset[str] = frozenset(),
) -> Push:
    """Write every item whose file does not already say it (a file that differs only by
    its stamp is kept), delete crm's files the notes no longer have, and those in
    `remove` (items of the other side that an import made crm's own). Files in `hold`
    (a change the notes could not take this time) and unreadable ones are left as they
    are, with their old entries, so the next sync sees them as changed again."""
    writes: list[tuple[str, bytes, bytes | None]] = []
    entries = {n: before[n] for n in hold | listing.unreadable.keys() if n in before}
    for name, item in sorted(rendered.items()):
        if name in hold or name in listing.unreadable:
            continue
        current = listing.items.get(name)
        if current is not None and same_item(current, item.data):
            entries[name] = Entry.of(item, current)
        else:
            writes.append((name, item.data, current))
            entries[name] = Entry.of(item, item.data)
    deletes = [
        (name, listing.items[name])
        for name in sorted((before.keys() | remove) - rendered.keys() - hold)
        if name in listing.items
    ]
    return Push(vdir, tuple(writes), tuple(deletes), entries, before)
