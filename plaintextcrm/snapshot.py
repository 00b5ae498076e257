"""One walk of the vault: every note's path, size and mtime, and the one "has the vault
changed" key (docs/performance.md).

Everything on the read path that asks whether the vault changed asks a `Snapshot`: the
index cache, the finished-output memo, `crm serve` and `crm watch`. Its `key` is the
exact state (compared whole, no hash to collide): the config, the stats of the files the
config is read from, every note's (path, size, mtime_ns) and the walk's warnings. The
racy-mtime rule lives here too: a file written within the last `RACY_NS` (or up to
`AHEAD_NS` in the future) may be written again in the same mtime tick, unseen, so while
one is, the key is None and nothing is memoised on it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from plaintextcrm.config import CONFIG_NAME, Config
from plaintextcrm.model import Problem
from plaintextcrm.vault import NoteFile, list_notes, state_dir_problem

#: A file modified this recently may be modified again within the same mtime tick
#: (git's "racily clean" problem): its cache entry is not trusted on the next run.
RACY_NS = 2_000_000_000
#: An mtime up to this far ahead of the clock counts as fresh too (a file server whose
#: clock runs a little ahead). Further ahead, the time was set on purpose (`touch -d`,
#: an unpacked archive, a sync tool copying a wrong clock's time): no save of ours or an
#: editor's can land in that tick, since a save stamps the file with the time it is now.
#: Such a note is trusted like an old one; treated as fresh, it kept the whole cache cold
#: until that date.
AHEAD_NS = 60_000_000_000


def racy_window() -> tuple[int, int]:
    """(low, high): a file whose mtime (ns) lies in between is too fresh to trust by its
    mtime alone."""
    now = time.time_ns()
    return now - RACY_NS, now + AHEAD_NS


def config_files(root: Path) -> tuple[Path, ...]:
    """The files the config is read from: `crm.toml` and the Obsidian settings."""
    from plaintextcrm.obsidian import OBSIDIAN_SETTINGS

    return (root / CONFIG_NAME, *(root / rel for rel in OBSIDIAN_SETTINGS))


def file_facts(paths: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime_ns) of each of `paths` that exists."""
    out = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue
        out.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(out)


def folder_facts(folders: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    """Every file under `folders` with its size and mtime: templates that include or
    extend others are covered whichever one was edited."""
    out: list[tuple[str, int, int]] = []
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            out.extend(file_facts(Path(dirpath, name) for name in sorted(filenames)))
    return tuple(out)


@dataclass(frozen=True)
class Snapshot:
    """The vault at one moment: its notes, the walk's warnings, and whether it is racy."""

    root: Path
    config: Config
    files: tuple[NoteFile, ...]
    problems: tuple[Problem, ...]
    #: (path, size, mtime_ns) of the config's own files.
    config_facts: tuple[tuple[str, int, int], ...]
    #: The racy window this snapshot was judged by (taken once, at the walk).
    window: tuple[int, int]

    def fresh(self, mtime_ns: int) -> bool:
        """Whether a file with this mtime is too fresh to be trusted by its mtime."""
        low, high = self.window
        return low <= mtime_ns <= high

    @property
    def racy(self) -> bool:
        """Whether any note is too fresh: then `key` is None. (The config's files are
        not held to it: they are read whole on every run, so only the rare second save
        of `crm.toml` in one tick could go unseen, and a vault set up a moment ago would
        otherwise not cache at all.)"""
        return any(self.fresh(f.mtime_ns) for f in self.files)

    @cached_property
    def key(self) -> tuple[Any, ...] | None:
        """The exact state of the vault (the only vault-state key), or None while racy."""
        if self.racy:
            return None
        return (
            repr(self.config),
            self.config_facts,
            self.facts(),
            tuple((p.path, p.line, p.level, p.message) for p in self.problems),
        )

    def facts(self) -> tuple[tuple[str, int, int], ...]:
        """Every note's (path, size, mtime_ns), in path order."""
        return self._facts

    @cached_property
    def _facts(self) -> tuple[tuple[str, int, int], ...]:
        return tuple((f.rel, f.size, f.mtime_ns) for f in self.files)

    @cached_property
    def _trusted(self) -> tuple[tuple[str, int, int], ...]:
        return tuple((f.rel, f.size, -1 if self.fresh(f.mtime_ns) else f.mtime_ns)
                     for f in self.files)  # fmt: skip

    def trusted_facts(self) -> tuple[tuple[str, int, int], ...]:
        """`facts` with the mtime of each too-fresh note replaced by -1: whatever was read
        from such a note counts as changed next time (a second save in the same mtime
        tick would otherwise go unseen by a process that keeps what it read)."""
        return self._trusted


def take(root: Path, config: Config) -> Snapshot:
    """Walk the vault once (see `vault.list_notes`)."""
    files, problems = list_notes(root, config.ignore, config.template_folders)
    refused = state_dir_problem(root)
    if refused is not None:
        problems.append(refused)
    window = racy_window()
    return Snapshot(root, config, tuple(files), tuple(problems), file_facts(config_files(root)),
                    window)  # fmt: skip


def changed(old: Iterable[tuple[str, int, int]], new: Snapshot) -> tuple[list[str], list[NoteFile]]:
    """(paths of `old` deleted or changed, notes of `new` changed or added)."""
    before = {rel: (size, mtime) for rel, size, mtime in old}
    fresh = [f for f in new.files if before.get(f.rel) != (f.size, f.mtime_ns)]
    now = {f.rel for f in new.files}
    gone = [rel for rel in before if rel not in now]  # deleted, or renamed away
    gone.extend(f.rel for f in fresh if f.rel in before)
    return sorted(gone), fresh
