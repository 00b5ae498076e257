"""Files → Index: list the vault, read and parse what changed, resolve across notes.

The one place that touches the disk on the read path, so that everything after it is a
pure function of the notes' bytes. A note that vanishes between listing and reading (a
sync tool at work) is skipped without a word.

Speed (docs/performance.md): one walk of the vault gives every note's size and
mtime. Notes whose size and mtime match the cache are not read at all; the rest are read
and parsed (in a few processes when there are many). When nothing at all changed, a
command's finished output is reused from the cache and the index is never built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plaintextcrm import cache
from plaintextcrm.config import Config, load_config
from plaintextcrm.model import Index, ParsedNote, Problem
from plaintextcrm.pool import parse_files
from plaintextcrm.snapshot import Snapshot, changed, take
from plaintextcrm.vault import NoteFile, ensure_state_dir

if TYPE_CHECKING:  # indexfile is imported when the index is needed: not on the warm path
    from plaintextcrm.indexfile import Built

#: More changed notes than this share of the vault: build from the per-note cache instead
#: of updating the stored index note by note.
INCREMENTAL_SHARE = 0.1
#: An index updated for at most this many changed notes (on the day it was stored) is not
#: written back: the next run reads those few notes again (a millisecond each) rather
#: than this one rewriting the whole `index.cache` for them; past it, it is stored.
UNSTORED_CHANGES = 32


@dataclass
class Session:
    """One snapshot of one vault for one day: the index and cached results, read lazily.

    `snapshot` is taken here unless given (`crm serve` takes one per request); `previous`
    is an index built earlier by this process (`crm watch`, `crm serve` keep it in
    memory), updated for the notes that changed instead of read from `.crm/`.
    """

    root: Path
    config: Config
    today: date
    use_cache: bool = True
    snapshot: Snapshot | None = None
    previous: Built | None = None
    #: Notes parsed (not taken from the cache) by this session: what the tests count.
    parsed_count: int = 0
    #: How the index was made: "cache", "updated", "built" (for tests and the bench).
    how: str = ""
    built: Built | None = None
    _snap: Snapshot = field(init=False, repr=False)
    _state: Path | None = None
    _stamp: bytes = b""
    _index: Index | None = None
    _read: dict[str, Any] = field(default_factory=dict, repr=False)
    _worth_storing: bool = False

    def __post_init__(self) -> None:
        self._snap = self.snapshot or take(self.root, self.config)
        self._stamp = cache.stamp(self.config.fingerprint())

    # -- the state folder ------------------------------------------------------------

    def state(self) -> Path | None:
        """`<vault>/.crm/`, created if possible; None when the cache is off or unwritable."""
        if not self.use_cache:
            return None
        if self._state is None:
            try:
                self._state = ensure_state_dir(self.root)
            except OSError:
                self.use_cache = False
                return None
        return self._state

    def vault_state(self) -> tuple[Any, ...] | None:
        """The snapshot's key: the exact state of the vault, None while a note is racy."""
        return self._snap.key

    def memo(self) -> cache.Memo:
        """The one memo of finished outputs, for this vault state and day."""
        state = self.state()
        vault = self._snap.key if state is not None else None
        stamp = cache.output_stamp(self.config.fingerprint()) if state is not None else b""
        return cache.Memo(state, vault, self.today, stamp)

    # -- the index -------------------------------------------------------------------

    def index(self) -> Index:
        """The built index: reused whole from `index.cache` when nothing changed, updated
        for the notes that changed when no contact's names did, else built from the
        parsed notes (parsing only what changed)."""
        if self._index is None:
            with cache.no_gc():
                previous = self.previous or self._stored()
                if (
                    previous is not None
                    and (previous.config, previous.facts, previous.day)
                    == (self._config_key(), self._snap.trusted_facts(), self.today)
                    and self._snap.key is not None
                ):
                    self.how = "cache"
                    self.built = previous
                else:
                    self.built = self._updated(previous) or self._build()
                    if self.how == "built" or self._worth_storing:
                        self._store()
            self._index = self.built.index
        return self._index

    def _config_key(self) -> tuple[Any, ...]:
        return (repr(self.config), self._snap.config_facts)

    def _stored(self) -> Built | None:
        """The index `.crm/index.cache` holds (any day, any vault state), or None."""
        from plaintextcrm import indexfile

        state = self.state()
        return None if state is None else indexfile.read(state, self._stamp)

    def _store(self) -> None:
        """Write the built index, when the vault is not racy and there is a `.crm/`, and
        go on with what was written: it holds today's reminders of every contact, so what
        follows decodes no contact it does not use, and the contacts built in memory can
        go."""
        from plaintextcrm import indexfile

        state = self.state()
        built, fresh = self.built, self._snap.key is not None
        if (
            state is not None
            and built is not None
            and fresh
            and indexfile.write(state, self._stamp, built)
        ):
            self.built = indexfile.read(state, self._stamp) or built

    def _updated(self, previous: Built | None) -> Built | None:
        """`previous` updated for the notes that changed since (index.update_index), or
        None when it cannot be: another config, too many changes, a note that could not
        be read, or a contact's names changed."""
        from plaintextcrm.index import update_index

        if previous is None or previous.config != self._config_key():
            return None
        if previous.index.notes != len(previous.facts):
            return None  # a note was unreadable then: its count is not in the index
        gone, fresh = changed(previous.facts, self._snap)
        changes = len(set(gone) | {f.rel for f in fresh})
        self._worth_storing = changes > UNSTORED_CHANGES or previous.day != self.today
        if len(gone) + len(fresh) > max(50, INCREMENTAL_SHARE * len(self._snap.files)):
            return None
        parsed = self._parse(fresh, keep=True)
        if not all(isinstance(r, tuple) for r in parsed):
            return None  # vanished or unreadable since the walk: the full build says so
        notes = [note for _, note in parsed]
        result = update_index(
            previous.index, previous.note_problems, previous.names, set(gone), notes,
            self.config, self.today, self._snap.problems, previous.resolver, previous.touches,
        )  # fmt: skip
        if result is None:
            return None
        self.how = "updated"
        return self._built(result)

    def _build(self) -> Built:
        from plaintextcrm import index as indexing  # unicodedata: not on the warm path

        parsed, problems = self._parsed_notes()
        # `consume`: each parsed note is let go of as the index takes what it gives
        result = indexing.build(str(self.root), parsed, self.config, self.today, problems, True)
        del parsed
        self.how = "built"
        return self._built(result)

    def _built(self, result: Any) -> Built:
        """An `index.Update` as the `Built` of this vault state and day."""
        from plaintextcrm.indexfile import Built

        return Built(
            self._config_key(), self._snap.trusted_facts(), self.today, result.index,
            result.note_problems, result.names, result.resolver, result.touches,
        )  # fmt: skip

    def _parsed_notes(self) -> tuple[list[ParsedNote], list[Problem]]:
        state = self.state()
        old = read_parsed(state, self._stamp) if state is not None else {}
        snap = self._snap
        problems = list(snap.problems)
        entries: dict[str, tuple[int, int, Any, bool]] = {}
        slots: list[ParsedNote | None] = []
        todo: list[tuple[int, NoteFile]] = []
        for f in snap.files:
            hit = old.get(f.rel)
            if hit is not None:
                try:
                    size, mtime_ns, blob, racy = hit
                    if size == f.size and mtime_ns == f.mtime_ns and not racy:
                        slots.append(cache.load_note(blob))
                        entries[f.rel] = hit
                        continue
                except (TypeError, ValueError, IndexError, OverflowError, EOFError):
                    pass  # an entry of the wrong shape: parse the note again
            todo.append((len(slots), f))
            slots.append(None)
        if todo:
            fresh = self._parse([f for _, f in todo])
            for (slot, f), result in zip(todo, fresh, strict=True):
                if isinstance(result, Problem):
                    problems.append(result)
                    continue
                if result is None:
                    continue  # vanished since the walk
                blob, note = result
                slots[slot] = note
                entries[f.rel] = (f.size, f.mtime_ns, blob, snap.fresh(f.mtime_ns))
        if state is not None and (todo or len(entries) != len(old)):
            write_parsed(state, self._stamp, entries)
        return [n for n in slots if n is not None], problems

    def _parse(self, files: list[NoteFile], keep: bool = False) -> list[Any]:
        """`pool.parse_files`, once per note per session: an update that gives up (`keep`)
        hands what it read to the full build, which takes it and lets it go."""
        known = self._read
        todo = [f for f in files if f.rel not in known]
        fresh = iter(parse_files(todo, self.config) if todo else [])
        self.parsed_count += len(todo)
        out = [known.pop(f.rel) if f.rel in known else next(fresh) for f in files]
        if keep:
            known.update((f.rel, r) for f, r in zip(files, out, strict=True))
        return out

    # -- finished results ------------------------------------------------------------

    def cached(
        self, key: Iterable[Any], compute: Callable[[], Any]
    ) -> tuple[Any, tuple[int, int, int] | None]:
        """`compute()`'s value, reused while the vault, config and today are unchanged
        (in `output-<key[0]>.cache`, the command's name).

        Returns (value, health): None when `compute` ran (it read the index itself), else
        the `Index.health()` the index had when the value was stored. The value
        must be marshal-able (a str, say) and a pure function of the index, today and
        `key`.
        """
        ran = False

        def run() -> tuple[tuple[int, int, int], Any]:
            nonlocal ran
            ran = True
            value = compute()
            return self.index().health(), value

        key = tuple(key)
        name = key[0] if key and isinstance(key[0], str) and key[0].isalpha() else "results"
        health, value = self.memo().get_or_compute(name, key, run)
        return value, None if ran else health

    def streamed(
        self,
        key: tuple[Any, ...],
        pieces: Callable[[], Iterable[Any]],
        emit: Callable[[Any], object],
    ) -> tuple[int, int, int] | None:
        """`cached` for an output written out in pieces (`cache.Memo.stream`): each piece
        of `pieces()` (a pure function of the index, today and `key`) goes to `emit` as
        it is made, or, while nothing changed, as it is read back. Returns the health as
        `cached` does."""
        ran = False

        def produce() -> tuple[tuple[int, int, int], Iterable[Any]]:
            nonlocal ran
            ran = True
            made = pieces()
            return self.index().health(), made

        health = self.memo().stream(key[0], key, produce, emit)
        return None if ran else health


def read_parsed(state: Path, stamp: bytes) -> dict[str, tuple[int, int, bytes, bool]]:
    """`parsed.cache` as {path: (size, mtime_ns, entry, too fresh)}; {} when unusable."""
    objects = cache.read(state, cache.PARSED_FILE, stamp)
    if objects is None:
        return {}
    entries = {}
    try:
        for chunk in objects:
            for obj in chunk:
                if isinstance(obj, tuple) and len(obj) == 5:  # else: skip, parse that note
                    entries[obj[0]] = obj[1:]
    except (TypeError, ValueError, EOFError):
        return {}
    return entries


def write_parsed(state: Path, stamp: bytes, entries: dict[str, tuple[Any, ...]]) -> bool:
    """Replace `parsed.cache`, one note's entry at a time."""
    items = [(k, *v) for k, v in entries.items()]
    return cache.write(state, cache.PARSED_FILE, stamp, cache.chunks(items))


def load_index(
    root: Path, today: date, config: Config | None = None, use_cache: bool = True
) -> Index:
    """Read the whole vault at `root` as of `today` (from the cache where it is valid)."""
    config = config or load_config(root)
    return Session(root, config, today, use_cache=use_cache).index()
