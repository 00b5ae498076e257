"""Finished outputs kept in `<vault>/.crm/`, so `crm ics` and `crm digest` are quick when
little or nothing changed (docs/outcache.md).

Two layers, both plain speed-ups: the output is byte for byte what the renderers give.

- **Whole outputs** (`output-<name>.cache`): the finished bytes of a command for one
  exact state of the vault (every note's path, size and mtime and the config, as
  `Session.vault_state` gives it), one day, the renderer's code and the command's own key
  (digest format, days, template files). A repeated `crm ics` prints the stored feed
  without building the index at all.
- **Per-contact events** (`ics-events.cache`): each contact's share of the feed (its
  VEVENT text and the reminders that fold into shared events), keyed by a hash
  of everything `contact_part` reads (the contact's data as the index cache encodes it;
  today, the vault root and the config for the whole file). After one note changed, the
  feed re-renders the contacts whose data changed and copies the rest.

Each file is written whole to a temporary file and renamed (`cache.write`), with the
index cache's stamp (format, package version, Python, model shape, config) plus this
module's own format and the renderer sources' sizes and mtimes. A file that is missing,
stale, truncated, corrupt or not ours is ignored and replaced, never an error; when
`.crm/` cannot be written (a read-only vault) nothing is cached and everything works.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from plaintextcrm import cache
from plaintextcrm.config import Config
from plaintextcrm.model import Index
from plaintextcrm.readfile import read_regular

#: Bump when what these files hold changes shape.
FORMAT = 2
EVENTS_FILE = "ics-events.cache"
#: Digest formats and `--days` values kept side by side for one vault state.
MEMO_ENTRIES = 8

#: Sources whose code decides the outputs' bytes: an edited checkout must not be served
#: yesterday's rendering under the same package version.
_RENDER_MODULES = (
    "render/ics.py",
    "render/digest.py",
    "render/text.py",
    "render/charts.py",
    "render/reach.py",
    "render/terminal.py",
    "reminders.py",
    "dates.py",
    "wikilinks.py",
    "model.py",
    "outcache.py",
)

_CACHE_ERRORS = (TypeError, ValueError, IndexError, KeyError, OverflowError, EOFError)


def read_one(state: Path, name: str, expect: bytes) -> Any | None:
    """The object `cache.write(state, name, expect, [obj])` stored, or None.

    The same checks as `cache.read_one` (magic, stamp, CRC), but `marshal.loads` on the
    bytes: `marshal.load` on a stream reads each small object through a method call,
    which made reading a 24 MB feed with its 10k-entry vault state take 0.2 s.
    """
    try:
        data = read_regular(state / name)
    except OSError:
        return None
    head = cache.MAGIC + len(expect).to_bytes(4, "big") + expect
    if not data.startswith(head) or len(data) < len(head) + 4:
        return None
    body = memoryview(data)[len(head) : -4]
    if zlib.crc32(body) != int.from_bytes(data[-4:], "big"):
        return None
    try:
        return marshal.loads(body)
    except _CACHE_ERRORS:
        return None


def code_stamp() -> tuple[Any, ...]:
    """Size and mtime of every renderer source (cheap: a few `stat` calls)."""
    package = Path(__file__).parent
    out: list[Any] = [FORMAT]
    for rel in _RENDER_MODULES:
        try:
            st = os.stat(package / rel)
            out.append((rel, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((rel, None))
    return tuple(out)


def stamp(config: Config) -> bytes:
    """What an output cache file must have been written by to be trusted."""
    return cache.stamp(config.fingerprint()) + b"\n" + repr(code_stamp()).encode("utf-8")


def files_stamp(folders: Iterable[Path]) -> tuple[Any, ...]:
    """Every file under `folders` with its size and mtime: templates that include or
    extend others are covered whichever one was edited."""
    out: list[Any] = []
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                out.append((path, st.st_size, st.st_mtime_ns))
    return tuple(out)


# ---------------------------------------------------------------- whole outputs


@dataclass(frozen=True)
class Memo:
    """Where and under what vault state finished outputs are kept; `state` None = off."""

    state: Path | None
    vault: tuple[Any, ...] | None
    today: date
    stamp: bytes

    def get_or_compute(self, name: str, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """`compute()`'s value (marshal-able), stored in `output-<name>.cache` for this
        vault state, day and `key`; on a later call with all of them unchanged, the stored
        value without calling `compute`."""
        if self.state is None or self.vault is None:
            return compute()
        file = f"output-{name}.cache"
        head = (self.vault, self.today.toordinal())
        memo: dict[str, Any] = {}
        payload = read_one(self.state, file, self.stamp)
        if (
            isinstance(payload, tuple)
            and len(payload) == 2
            and payload[0] == head
            and isinstance(payload[1], dict)
        ):
            memo = payload[1]
        k = repr(key)
        if k in memo:
            return memo[k]
        value = compute()
        if len(memo) >= MEMO_ENTRIES:
            memo.clear()
        memo[k] = value
        cache.write(self.state, file, self.stamp, [(head, memo)])
        return value


def memo_for(session: Any) -> Memo:
    """The Memo of a `load.Session`: off when the vault has no usable `.crm/`, or a note
    is so fresh that its next edit could keep the same mtime (`vault_state` is None)."""
    state = session.state()
    vault = session.vault_state() if state is not None else None
    return Memo(state, vault, session.today, stamp(session.config) if state else b"")


# ---------------------------------------------------------------- per-contact ics events


def contact_keys(index: Index) -> list[bytes]:
    """One 16-byte hash per contact (in index order) of all the data the contact's events
    are rendered from: the same tuples the index cache stores for it."""
    objects = cache.encode_index(index)
    next(objects)  # the header: root, problems, counts
    blake2b, dumps = hashlib.blake2b, marshal.dumps
    keys = []
    for obj in objects:  # one tuple per contact, or lists of them (chunks)
        for one in obj if isinstance(obj, list) else (obj,):
            keys.append(blake2b(dumps(one), digest_size=16).digest())
    return keys


def ics_feed(index: Index, today: date, config: Config, state: Path | None) -> bytes:
    """`render_ics(index, today, config)`, byte for byte, re-rendering only the contacts
    whose share of the feed is not in `state/ics-events*.cache` (every one when `state` is
    None). Each feed (all kinds, or one kind's) keeps its own file, so a server answering
    both never throws one away for the other."""
    from plaintextcrm.render.ics import assemble, contact_part, render_ics

    if state is None:
        return render_ics(index, today, config)
    stamp_ = stamp(config)
    context = (today.toordinal(), index.root, repr(config))
    file = events_file(config.feed_kinds)
    old: dict[bytes, Any] = {}
    payload = read_one(state, file, stamp_)
    if (
        isinstance(payload, tuple)
        and len(payload) == 2
        and payload[0] == context
        and isinstance(payload[1], dict)
    ):
        old = payload[1]
    try:
        keys = contact_keys(index)
    except _CACHE_ERRORS:  # a model the codec cannot encode: no per-contact cache
        return render_ics(index, today, config)
    new: dict[bytes, Any] = {}
    parts = []
    missed = 0
    for contact, key in zip(index.contacts, keys, strict=True):
        part = old.get(key)
        if not (isinstance(part, tuple) and len(part) == 2 and isinstance(part[0], str)):
            part = contact_part(contact, today, config, index.root)
            missed += 1
        new[key] = part
        parts.append(part)
    if missed or len(new) != len(old):
        cache.write(state, file, stamp_, [(context, new)])
    return assemble(parts, today, config)


def events_file(kinds: tuple[str, ...]) -> str:
    """`ics-events.cache` for the feed of every kind, `ics-events-birthday.cache`..."""
    from plaintextcrm.config import REMINDER_KINDS

    return EVENTS_FILE if kinds == REMINDER_KINDS else f"ics-events-{'-'.join(kinds)}.cache"
