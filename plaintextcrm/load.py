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

import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from plaintextcrm import cache
from plaintextcrm.config import CONFIG_NAME, Config, load_config
from plaintextcrm.model import Index, ParsedNote, Problem
from plaintextcrm.readfile import NotRegularFile, read_regular
from plaintextcrm.vault import NoteFile, ensure_state_dir, list_notes, state_dir_problem

#: Below this many notes to parse, a process pool costs more than it saves.
POOL_THRESHOLD = 2000


@dataclass
class Session:
    """One scan of one vault for one day: the index and cached results, read lazily."""

    root: Path
    config: Config
    today: date
    use_cache: bool = True
    files: list[NoteFile] = field(default_factory=list)
    walk_problems: list[Problem] = field(default_factory=list)
    #: Notes parsed (not taken from the cache) by this session: what the tests count.
    parsed_count: int = 0
    _state: Path | None = None
    _stamp: bytes = b""
    _vault_state: tuple[Any, ...] | None = None
    _index: Index | None = None

    def __post_init__(self) -> None:
        self.files, self.walk_problems = list_notes(
            self.root, self.config.ignore, self.config.template_folders
        )
        refused = state_dir_problem(self.root)
        if refused is not None:
            self.walk_problems.append(refused)
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
        """The exact state of the vault: every note's path, size and mtime, and the config.

        Results are cached against this whole tuple (compared exactly, no hash to
        collide). None while a note is so fresh that a second write in the same mtime
        tick could go unseen; results are then not cached.
        """
        if self._vault_state is None:
            low, high = cache.racy_window()
            if any(low <= f.mtime_ns <= high for f in self.files):
                return None
            try:
                st = (self.root / CONFIG_NAME).stat()
                toml = (st.st_size, st.st_mtime_ns)
            except OSError:
                toml = None
            self._vault_state = (
                repr(self.config),
                toml,
                tuple((f.rel, f.size, f.mtime_ns) for f in self.files),
                repr(self.walk_problems),
            )
        return self._vault_state

    # -- the index -------------------------------------------------------------------

    def index(self) -> Index:
        """The built index: reused whole from `index.cache` when nothing changed, else
        built from the parsed notes (parsing only what changed)."""
        if self._index is None:
            with cache.no_gc():
                self._index = self._cached_index() or self._build_index()
        return self._index

    def _index_key(self) -> tuple[Any, ...] | None:
        state = self.state()
        vault = self.vault_state() if state is not None else None
        return None if vault is None else (vault, self.today.toordinal())

    def _cached_index(self) -> Index | None:
        key = self._index_key()
        if key is None or self._state is None:
            return None
        objects = cache.read(self._state, cache.INDEX_FILE, self._stamp)
        if objects is None:
            return None
        try:
            if next(objects, None) != key:
                return None  # checked before decoding anything else
            return cache.decode_index(objects)
        except (TypeError, ValueError, IndexError, OverflowError, EOFError, StopIteration):
            return None

    def _build_index(self) -> Index:
        from plaintextcrm.index import build_index  # unicodedata: not on the warm path

        parsed, problems = self._parsed_notes()
        index = build_index(str(self.root), parsed, self.config, self.today, problems)
        del parsed  # before encoding the index: the peak memory of a large vault is here
        key = self._index_key()
        if key is not None and self._state is not None:
            objects = itertools.chain([key], cache.encode_index(index))
            cache.write(self._state, cache.INDEX_FILE, self._stamp, objects)
        return index

    def _parsed_notes(self) -> tuple[list[ParsedNote], list[Problem]]:
        state = self.state()
        old = read_parsed(state, self._stamp) if state is not None else {}
        low, high = cache.racy_window()
        problems = list(self.walk_problems)
        entries: dict[str, tuple[int, int, Any, bool]] = {}
        slots: list[ParsedNote | None] = []
        todo: list[tuple[int, NoteFile]] = []
        for f in self.files:
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
            fresh = _parse_files([f for _, f in todo], self.config)
            self.parsed_count += len(todo)
            for (slot, f), result in zip(todo, fresh, strict=True):
                if isinstance(result, Problem):
                    problems.append(result)
                    continue
                if result is None:
                    continue  # vanished since the walk
                blob, note = result
                slots[slot] = note
                entries[f.rel] = (f.size, f.mtime_ns, blob, low <= f.mtime_ns <= high)
        if state is not None and (todo or len(entries) != len(old)):
            write_parsed(state, self._stamp, entries)
        return [n for n in slots if n is not None], problems

    # -- finished results ------------------------------------------------------------

    def cached(
        self, key: Iterable[Any], compute: Callable[[], Any]
    ) -> tuple[Any, tuple[int, int, int] | None]:
        """`compute()`'s value, reused while the vault, config and today are unchanged.

        Returns (value, health): None when `compute` ran (it read the index itself), else
        the `Index.health()` the index had when the value was stored. The value
        must be marshal-able (a str, say) and a pure function of the index, today and
        `key`.
        """
        state = self.state()
        vault = self.vault_state() if state is not None else None
        if state is None or vault is None:
            return compute(), None
        memo: dict[str, Any] = {}
        payload = cache.read_one(state, cache.RESULTS_FILE, self._stamp)
        if (
            isinstance(payload, tuple)
            and len(payload) == 3
            and payload[0] == vault
            and payload[1] == self.today.toordinal()
            and isinstance(payload[2], dict)
        ):
            memo = payload[2]
        k = repr(tuple(key))
        hit = memo.get(k)
        if isinstance(hit, tuple) and len(hit) == 2:
            return hit[1], hit[0]
        value = compute()
        memo[k] = (self.index().health(), value)
        payload = (vault, self.today.toordinal(), memo)
        cache.write(state, cache.RESULTS_FILE, self._stamp, [payload])
        return value, None


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


def _chunks(entries: dict[str, tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    items = [(k, *v) for k, v in entries.items()]
    for start in range(0, len(items), cache.CHUNK):
        yield items[start : start + cache.CHUNK]


def write_parsed(state: Path, stamp: bytes, entries: dict[str, tuple[Any, ...]]) -> bool:
    """Replace `parsed.cache`, one note's entry at a time."""
    return cache.write(state, cache.PARSED_FILE, stamp, _chunks(entries))


def _read_parse(rel: str, path: Path, config: Config) -> Any:
    """One note → (cache entry, ParsedNote); a Problem when unreadable; None when gone."""
    from plaintextcrm.parse import parse_note

    try:
        data = read_regular(path)
    except (FileNotFoundError, NotRegularFile):
        return None  # gone, or swapped for a FIFO since the listing (which skips those)
    except OSError as exc:
        return Problem(rel, None, "error", f"cannot read: {exc.strerror}")
    note = parse_note(rel, data, config)
    return cache.dump_note(note), note


def _parse_chunk(job: tuple[list[tuple[str, str]], Config]) -> list[Any]:
    """Worker side of the pool: only cache entries (bytes) travel back, cheap to pickle."""
    files, config = job
    out: list[Any] = []
    with cache.no_gc():
        for rel, path in files:
            r = _read_parse(rel, Path(path), config)
            out.append(r[0] if isinstance(r, tuple) else r)
    return out


def _parse_files(files: list[NoteFile], config: Config) -> list[Any]:
    """Read and parse `files`, in parallel when there are many and several cores."""
    workers = _workers()
    if len(files) < POOL_THRESHOLD or workers < 2:
        return [_read_parse(f.rel, f.path, config) for f in files]
    try:
        return _parse_parallel(files, config, workers)
    except (OSError, ImportError, RuntimeError):  # no fork, no semaphores: do it here
        return [_read_parse(f.rel, f.path, config) for f in files]


def _workers() -> int:
    """Processes for a cold parse: the cores we may use, or `CRM_JOBS` (1: no pool).

    Virtual machines sometimes show cores they cannot run at once; there the pool only
    adds its overhead, and `CRM_JOBS=1` turns it off. A process that already runs threads
    (`crm watch`'s observer, `crm serve`'s handlers) never forks a pool: a fork copies
    locks another thread may hold, and the child can deadlock.
    """
    import threading

    if threading.active_count() > 1:
        return 1
    try:
        return max(1, int(os.environ["CRM_JOBS"]))
    except (KeyError, ValueError):
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return min(cores, 8)


def _parse_parallel(files: list[NoteFile], config: Config, workers: int) -> list[Any]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    # This process parses the first share itself while the workers parse the rest.
    share = -(-len(files) // workers)
    chunks = [
        [(f.rel, f.abspath) for f in files[i : i + share]] for i in range(0, len(files), share)
    ]
    with ProcessPoolExecutor(max_workers=len(chunks) - 1, mp_context=ctx) as pool:
        futures = [pool.submit(_parse_chunk, (chunk, config)) for chunk in chunks[1:]]
        out = [_read_parse(f.rel, f.path, config) for f in files[:share]]
        for fut in futures:
            for r in fut.result():
                if isinstance(r, bytes):
                    out.append((r, cache.load_note(r)))
                else:
                    out.append(r)
    return out


def load_index(
    root: Path, today: date, config: Config | None = None, use_cache: bool = True
) -> Index:
    """Read the whole vault at `root` as of `today` (from the cache where it is valid)."""
    config = config or load_config(root)
    return Session(root, config, today, use_cache=use_cache).index()
