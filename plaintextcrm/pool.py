"""Reading and parsing notes, in a few processes when there are many and real cores.

The one place for the parse pool and its rules: below `POOL_THRESHOLD` notes, or with
one usable core, or `CRM_JOBS=1`, or in a process that already runs threads (`crm
watch`'s observer, `crm serve`'s handlers: a fork copies locks another thread may hold,
and the child can deadlock), notes are parsed here, one after another.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from plaintextcrm import cache
from plaintextcrm.config import Config
from plaintextcrm.model import Problem
from plaintextcrm.readfile import NotRegularFile, read_regular
from plaintextcrm.vault import NoteFile

#: Below this many notes to parse, a process pool costs more than it saves.
POOL_THRESHOLD = 2000


def read_parse(rel: str, path: Path, config: Config) -> Any:
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
            r = read_parse(rel, Path(path), config)
            out.append(r[0] if isinstance(r, tuple) else r)
    return out


def parse_files(files: list[NoteFile], config: Config) -> list[Any]:
    """`read_parse` of each of `files`, in parallel when there are many and several cores."""
    workers = workers_available()
    if len(files) < POOL_THRESHOLD or workers < 2:
        return [read_parse(f.rel, f.path, config) for f in files]
    try:
        return _parse_parallel(files, config, workers)
    except (OSError, ImportError, RuntimeError):  # no fork, no semaphores: do it here
        return [read_parse(f.rel, f.path, config) for f in files]


def workers_available() -> int:
    """Processes for a cold parse: the cores we may use, or `CRM_JOBS` (1: no pool).

    Virtual machines sometimes show cores they cannot run at once; there the pool only
    adds its overhead, and `CRM_JOBS=1` turns it off. A process that already runs threads
    never forks a pool (see the module's docstring).
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
        out = [read_parse(f.rel, f.path, config) for f in files[:share]]
        for fut in futures:
            for r in fut.result():
                if isinstance(r, bytes):
                    out.append((r, cache.load_note(r)))
                else:
                    out.append(r)
    return out
