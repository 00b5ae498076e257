"""The feed re-rendered only where it changed (docs/outcache.md): a plain speed-up, the
output is byte for byte what `render_ics` gives. (Whole finished outputs are kept by the
one memo, `cache.Memo`, keyed by the vault snapshot's key.)

- **Per-contact events** (`ics-events.cache`): each contact's share of the feed (its
  VEVENT text and the reminders that fold into shared events), keyed by a hash
  of everything `contact_part` reads (the contact's data as the index cache encodes it;
  today, the vault root and the config for the whole file). After one note changed, the
  feed re-renders the contacts whose data changed and copies the rest.

Each file is written whole to a temporary file and renamed (`cache.write`), with the
finished-output stamp (format, package version, Python, model shape, config, the renderer
sources' sizes and mtimes) plus this module's own format. A file that is missing,
stale, truncated, corrupt or not ours is ignored and replaced, never an error; when
`.crm/` cannot be written (a read-only vault) nothing is cached and everything works.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from plaintextcrm import cache
from plaintextcrm.config import Config
from plaintextcrm.errors import CacheChanged
from plaintextcrm.model import Contact, Index, StoredContacts

#: Bump when what these files hold changes shape.
FORMAT = 3
EVENTS_FILE = "ics-events.cache"
_CACHE_ERRORS = (TypeError, ValueError, IndexError, KeyError, OverflowError, EOFError)


def stamp(config: Config) -> bytes:
    """What an events file must have been written by to be trusted: the finished-output
    stamp (`cache.output_stamp`) and this module's format."""
    return cache.output_stamp(config.fingerprint()) + f"\nevents {FORMAT}".encode()


# ---------------------------------------------------------------- per-contact ics events


def contact_keys(index: Index) -> list[bytes]:
    """One 16-byte hash per contact (in index order) of all the data the contact's events
    are rendered from: `cache.contact_key` of the tuple the index cache stores for it. A
    contact still as `index.cache` stored it has it stored (`StoredContacts.stored_key`)
    and is not decoded."""
    key_of, encode = cache.contact_key, cache.encode_contact
    contacts = index.contacts
    stored = contacts if isinstance(contacts, StoredContacts) else None
    keys = []
    for i in range(len(contacts)):
        key = stored.stored_key(i) if stored is not None else None
        if key is None:
            key = key_of(encode(contacts[i]))
        keys.append(key)
    return keys


def _token(contacts: Sequence[Contact], i: int) -> tuple[Any, Any]:
    """What identifies contact `i` across `crm watch` rebuilds (`StoredContacts.token`;
    for a built index, the contact object)."""
    if isinstance(contacts, StoredContacts):
        return contacts.token(i)
    contact = contacts[i]
    return id(contact), contact


@dataclass
class KeptParts:
    """Each contact's share of one feed, kept in memory by `crm watch` and `crm serve`.

    Their index is updated, not rebuilt: every contact an edit did not touch is the very
    same `Contact` object as before, or still the same stored contact of the same
    `index.cache` (`StoredContacts.token`), so identity tells "unchanged" without
    decoding, encoding and hashing every contact or reading the events file. Each part
    is kept with what its identity is made of (so the object, and its id, stay alive)
    and for one context (day, vault, config).
    """

    context: tuple[Any, ...] | None = None
    parts: dict[Any, tuple[Any, Any]] = field(default_factory=dict)


def ics_feed(
    index: Index, today: date, config: Config, state: Path | None, kept: KeptParts | None = None
) -> bytes:
    """`render_ics(index, today, config)`, byte for byte, re-rendering only the contacts
    whose share of the feed is not in `kept` (same object) or in `state/ics-events*.cache`
    (same hash); every one when both are missing. Each feed (all kinds, or one kind's)
    keeps its own file, so a server answering both never throws one away for the other."""
    return b"".join(ics_chunks(index, today, config, state, kept))


def ics_chunks(
    index: Index, today: date, config: Config, state: Path | None, kept: KeptParts | None = None
) -> Iterator[bytes]:
    """`ics_feed` in pieces (`render.ics.assemble_chunks`), for writing it out as it is
    made."""
    from plaintextcrm.render.ics import assemble_chunks

    return assemble_chunks(_parts(index, today, config, state, kept), today, config)


def _parts(
    index: Index, today: date, config: Config, state: Path | None, kept: KeptParts | None
) -> list[Any]:
    """Every contact's part of the feed, from `kept` or `state` where they have it."""
    from plaintextcrm.render.ics import contact_part

    context = (today.toordinal(), index.root, repr(config))
    contacts = index.contacts
    if kept is not None and kept.context == context and kept.parts:
        parts = []
        now: dict[Any, tuple[Any, Any]] = {}
        for i in range(len(contacts)):
            token, anchor = _token(contacts, i)
            hit = kept.parts.get(token)
            if hit is not None and hit[0] is anchor:
                part = hit[1]
            else:
                part = contact_part(contacts[i], today, config, index.root)
            now[token] = (anchor, part)
            parts.append(part)
        kept.parts = now
        return parts
    stored = None if state is None else _stored_parts(index, today, config, state, context)
    parts = stored or [contact_part(c, today, config, index.root) for c in contacts]
    if kept is not None:
        kept.context = context
        kept.parts = {}
        for i, part in enumerate(parts):
            token, anchor = _token(contacts, i)
            kept.parts[token] = (anchor, part)
    return parts


def _stored_parts(
    index: Index, today: date, config: Config, state: Path, context: tuple[Any, ...]
) -> list[Any] | None:
    """Each contact's part, from `state`'s events file where its hash is there (the file
    is rewritten when any was missing); None when the codec cannot encode the model."""
    from plaintextcrm.render.ics import contact_part

    stamp_ = stamp(config)
    file = events_file(config.feed_kinds)
    old = _read_events(state, file, stamp_, context)
    try:
        keys = contact_keys(index)
    except _CACHE_ERRORS:  # a model the codec cannot encode: no per-contact cache
        return None
    new: dict[bytes, Any] = {}
    parts = []
    missed = 0
    for i, key in enumerate(keys):
        part = old.get(key)
        if not (isinstance(part, tuple) and len(part) == 2 and isinstance(part[0], str)):
            part = contact_part(index.contacts[i], today, config, index.root)  # decoded here
            missed += 1
        new[key] = part
        parts.append(part)
    if missed or len(new) != len(old):
        cache.write(state, file, stamp_, [context, *cache.chunks(list(new.items()))])
    return parts


def _read_events(state: Path, file: str, stamp_: bytes, context: Any) -> dict[bytes, Any]:
    """The stored parts by key, read a chunk at a time (a 50k-contact feed's parts are
    100 MB: never held twice); {} when the file is missing, stale or damaged."""
    frames = cache.open_frames(state, file, stamp_)
    old: dict[bytes, Any] = {}
    try:
        if frames is None or not len(frames) or frames[0] != context:
            return {}
        for i in range(1, len(frames)):
            old.update(frames[i])
    except (*_CACHE_ERRORS, CacheChanged):
        return {}
    return old


def events_file(kinds: tuple[str, ...]) -> str:
    """`ics-events.cache` for the feed of every kind, `ics-events-birthday.cache`..."""
    from plaintextcrm.config import REMINDER_KINDS

    return EVENTS_FILE if kinds == REMINDER_KINDS else f"ics-events-{'-'.join(kinds)}.cache"
