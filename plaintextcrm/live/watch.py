"""`crm watch`: keep the feed and digest files in step with the vault while it is edited.

Editors save in odd ways (temp file + rename, delete + create, vim's `4913` probe and `~`
backups) and `git pull` changes a thousand files at once, so events are only a hint that
something changed: they are filtered (our own outputs, `.crm/`, hidden folders, editor temp
files are not changes), coalesced by a `Debouncer` (one rebuild after a quiet period), and
each rebuild walks the vault once (a `Snapshot`) and updates the index it keeps in
memory for the notes whose size or mtime changed (`load.Session` with `previous`). An
output is rewritten only when its bytes differ, atomically.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from plaintextcrm.errors import CacheChanged, CrmError
from plaintextcrm.live.outputs import render_output, write_if_changed
from plaintextcrm.vault import STATE_DIR, is_editor_temp

#: Editors save in a few steps within milliseconds (a temporary file and a rename, a
#: backup first); a tenth of a second of quiet covers them and a `git pull` of many files
#: (its events keep coming), without making an edit wait to show in the feed.
QUIET_SECONDS = 0.1
MAX_WAIT_SECONDS = 3.0
# Events that can mean a file's content or presence changed; "opened" and
# "closed_no_write" are what our own reading of the vault produces, and must not count.
CHANGE_EVENTS = frozenset({"created", "deleted", "modified", "moved", "closed", "attrib"})


@dataclass(frozen=True)
class Target:
    """One output file: what to render into it, and how to name it in the log."""

    kind: str
    path: Path
    shown: str


@dataclass(frozen=True)
class Rebuild:
    """What one rebuild did, for the log line."""

    notes: int
    reminders: int
    problem_notes: int
    written: tuple[Target, ...]
    failed: tuple[str, ...]
    seconds: float
    #: The index with what updating it needs, kept for the next rebuild.
    built: Any = field(default=None, repr=False, compare=False)

    def log_line(self, when: datetime) -> str:
        if self.written:
            outcome = "wrote " + ", ".join(t.shown for t in self.written)
        else:
            outcome = "outputs unchanged"
        line = (
            f"{when:%H:%M:%S} rebuilt in {self.seconds:.2f}s: {self.notes} notes,"
            f" {self.reminders} reminders; {outcome}"
        )
        if self.problem_notes:
            line += f"; {self.problem_notes} notes have problems (run `crm check`)"
        return line


class ChangeFilter:
    """Decides whether a path reported by the observer is a change to the vault's content."""

    def __init__(self, root: Path, outputs: list[Path]) -> None:
        self.root = root
        self.outputs = {p.resolve() for p in outputs}

    def relevant(self, path: str, is_directory: bool) -> bool:
        candidate = Path(path)
        try:
            parts = candidate.relative_to(self.root).parts
        except ValueError:
            return False
        if not parts or candidate in self.outputs:
            return False
        if parts[0] == STATE_DIR:
            # Only the digest template overrides in .crm/templates/ matter; the cache,
            # the token and our own temp files do not.
            return len(parts) > 1 and parts[1] == "templates"
        if any(part.startswith(".") for part in parts[:-1]):
            return False  # .git/, .obsidian/, .trash/
        name = parts[-1]
        if is_editor_temp(name):
            return False
        if is_directory:
            return True  # a folder of notes created, renamed or removed
        lower = name.lower()
        return lower.endswith((".md", ".j2")) or (len(parts) == 1 and name == "crm.toml")


class Debouncer:
    """Turns a burst of pokes into one "go": after `quiet` seconds without a poke, or
    `max_wait` after the first one, so a never-ending stream still rebuilds now and then."""

    def __init__(
        self,
        quiet: float = QUIET_SECONDS,
        max_wait: float = MAX_WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet = quiet
        self.max_wait = max_wait
        self.clock = clock
        self._cond = threading.Condition()  # an RLock: safe to poke/stop from a signal handler
        self._first: float | None = None
        self._last = 0.0
        self.stopped = False

    def poke(self) -> None:
        with self._cond:
            now = self.clock()
            if self._first is None:
                self._first = now
            self._last = now
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self.stopped = True
            self._cond.notify_all()

    def wait(self, timeout: float) -> bool:
        """True when a batch of changes has settled; False on timeout or stop."""
        deadline = self.clock() + timeout
        with self._cond:
            while not self.stopped:
                now = self.clock()
                wait_for = deadline - now
                if self._first is not None:
                    ready_at = min(self._last + self.quiet, self._first + self.max_wait)
                    if now >= ready_at:
                        self._first = None
                        return True
                    wait_for = min(wait_for, ready_at - now)
                if wait_for <= 0:
                    return False
                self._cond.wait(wait_for)
            return False


def rebuild(
    root: Path,
    today: date,
    targets: list[Target],
    days: int | None,
    render: Callable[..., bytes] = render_output,
    previous: Any = None,
    kept: Any = None,
) -> Rebuild:
    """Read the vault once and rewrite each target whose bytes changed; `previous` (a
    `indexfile.Built` from the last rebuild) is updated for the notes that changed, and `kept`
    (a `reminders.Kept`) spares the log line's count recomputing unchanged contacts."""
    from plaintextcrm.config import load_config
    from plaintextcrm.load import Session
    from plaintextcrm.reminders import due

    started = time.monotonic()
    config = load_config(root)
    session = Session(root, config, today, previous=previous)
    index = session.index()
    written: list[Target] = []
    failed: list[str] = []
    for target in targets:
        try:
            data = render(target.kind, index, root, today, config, days)
            if write_if_changed(target.path, data):
                written.append(target)
        except Exception as exc:  # one broken output must not stop the others, or the watch
            failed.append(f"{target.shown}: {_describe(exc)}")
    return Rebuild(
        notes=index.notes,
        reminders=len(
            due(index, today, days if days is not None else config.digest_days, None, kept)
        ),
        problem_notes=index.problem_notes(),
        written=tuple(written),
        failed=tuple(failed),
        seconds=time.monotonic() - started,
        built=session.built,
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, CrmError):
        return exc.message
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"internal error: {type(exc).__name__}: {exc}"


class Watcher:
    """The watch loop: observer thread → filter → debouncer → rebuild in the caller's thread."""

    def __init__(
        self,
        root: Path,
        targets: list[Target],
        today: Callable[[], date],
        days: int | None = None,
        *,
        log: TextIO | None = None,
        render: Callable[..., bytes] = render_output,
        quiet: float = QUIET_SECONDS,
        max_wait: float = MAX_WAIT_SECONDS,
        polling: bool = False,
    ) -> None:
        self.root = root
        self.targets = targets
        self.today = today
        self.days = days
        self.log = log or sys.stderr
        self.render = render
        self.polling = polling
        self.filter = ChangeFilter(root, [t.path for t in targets])
        self.debouncer = Debouncer(quiet, max_wait)
        self.rebuilds = 0
        self._built: Any = None
        self._kept: Any = None

    def stop(self) -> None:
        """Ask the loop to finish; safe from a signal handler."""
        self.debouncer.stop()

    def on_event(self, event: Any) -> None:
        """Observer callback (its own thread): poke the debouncer for a relevant change."""
        if event.event_type not in CHANGE_EVENTS:
            return
        if event.event_type == "modified" and event.is_directory:
            return  # a folder's mtime moves whenever a file in it does, our outputs included
        paths = [event.src_path, getattr(event, "dest_path", "")]
        if any(p and self.filter.relevant(str(p), event.is_directory) for p in paths):
            self.debouncer.poke()

    def _say(self, line: str) -> None:
        from plaintextcrm.render.terminal import visible

        self.log.write(visible(line) + "\n")  # one write: a whole line, even from threads
        self.log.flush()

    def rebuild_once(self, today: date) -> None:
        from plaintextcrm.reminders import Kept

        if self._kept is None:
            self._kept = Kept()
        try:
            result = rebuild(
                self.root, today, self.targets, self.days, self.render, self._built, self._kept
            )
        except (CrmError, OSError) as exc:
            if isinstance(exc, CacheChanged):
                self._built = None  # read from `.crm/` again at the next change
            message = exc.message if isinstance(exc, CrmError) else f"cannot read the vault: {exc}"
            self._say(f"crm: error: {message} (outputs kept; waiting for the next change)")
            return
        self.rebuilds += 1
        self._built = result.built
        self._say(result.log_line(datetime.now()))
        for failure in result.failed:
            self._say(f"crm: error: {failure} (previous file kept)")

    def _start_observer(self) -> Any:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                watcher.on_event(event)

        observer = PollingObserver(timeout=1) if self.polling else Observer()
        try:
            observer.schedule(Handler(), str(self.root), recursive=True)
            observer.start()
        except OSError as exc:
            if self.polling:
                raise CrmError(f"cannot watch {self.root}: {exc.strerror}") from None
            self._say(f"crm: cannot use inotify ({exc.strerror}); polling every second instead")
            observer = PollingObserver(timeout=1)
            observer.schedule(Handler(), str(self.root), recursive=True)
            observer.start()
        return observer

    def run(self) -> None:
        """Build once, then rebuild after each settled batch of changes (and at midnight)
        until `stop()`."""
        observer = self._start_observer()
        try:
            current = self.today()
            self.rebuild_once(current)
            while not self.debouncer.stopped:
                changed = self.debouncer.wait(timeout=30.0)
                if self.debouncer.stopped:
                    break
                today = self.today()
                if changed or today != current:
                    current = today
                    self.rebuild_once(today)
        finally:
            observer.stop()
            observer.join(timeout=5)
