"""One `crm sync`: pull, apply, push, in the order that survives being killed.

The order of writes is the design: the notes first (each through the one writer), then
the vdir files (each atomically), then the state. Killed after the notes, the next sync
pulls the same changes again and finds them applied (every rule is idempotent); killed
after some vdir files, it finds them in step with the notes (a file that says what the
notes say is never a change), or recognises crm's own files by their UID. The command
(`[sync] command`, vdirsyncer) runs before and after, outside this module's writes, and
one sync at a time runs in a vault (`sync_lock`).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from plaintextcrm.config import Config
from plaintextcrm.edit import TaskStyle
from plaintextcrm.errors import CrmError
from plaintextcrm.importers.merge import Plan
from plaintextcrm.importers.record import ImportRecord
from plaintextcrm.model import Index
from plaintextcrm.recurrence import TasksSettings
from plaintextcrm.sync.apply import Decisions, NoteEdit, Rules, decide
from plaintextcrm.sync.items import Item, contact_items, event_items, task_items
from plaintextcrm.sync.plan import VDIR_KINDS, Push, Vdir, plan_push, pull
from plaintextcrm.sync.push import run_push
from plaintextcrm.sync.state import VdirState, entries_for, load_state, save_state
from plaintextcrm.sync.vdir import Listing, read_vdir


def configured_vdirs(root: Path, config: Config) -> list[Vdir]:
    """The vdirs of `[sync]`, as folders (relative to the vault, or absolute, `~` allowed);
    none, or two kinds in one folder, is an error: each kind owns its folder's items."""
    vdirs: list[Vdir] = []
    for kind in VDIR_KINDS:
        value = getattr(config.sync, kind)
        if value:
            vdirs.append(Vdir(kind, (root / Path(value).expanduser()).resolve()))
    if not vdirs:
        raise CrmError(
            "nothing to sync: add a [sync] section to crm.toml with tasks, events or contacts"
            " folders (see docs/sync.md)"
        )
    folders = [v.folder for v in vdirs]
    for vdir in vdirs:
        if folders.count(vdir.folder) > 1:
            raise CrmError(
                f"crm.toml: [sync] names {vdir.folder} for more than one kind of item;"
                " give tasks, events and contacts a folder each"
            )
    return vdirs


def make_folders(vdirs: list[Vdir]) -> None:
    """Create the vdir folders, so vdirsyncer (run before the first push) finds them."""
    for vdir in vdirs:
        try:
            vdir.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CrmError(f"cannot make the vdir {vdir.folder}: {exc.strerror}") from None


def command_argv(command: str | None) -> list[str]:
    """`[sync] command` split like a shell line (no shell ever runs it); [] for none."""
    try:
        return shlex.split(command or "")
    except ValueError as exc:
        raise CrmError(f"crm.toml: [sync] command: {exc}") from None


def run_command(argv: list[str], root: Path) -> None:
    """Run the command in the vault; a failure is one line (exit 1)."""
    shown = shlex.join(argv)
    try:
        done = subprocess.run(argv, cwd=root, check=False)
    except OSError as exc:
        raise CrmError(f"cannot run `{shown}`: {exc.strerror}") from None
    if done.returncode != 0:
        raise CrmError(f"`{shown}` failed (exit {done.returncode})")


@contextlib.contextmanager
def sync_lock(state_dir: Path) -> Iterator[None]:
    """One `crm sync` at a time in a vault (cron and a hand-run one): the second stops."""
    import fcntl

    fd = os.open(state_dir / "sync.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CrmError("another crm sync is running in this vault; try again later") from None
        yield
    finally:
        os.close(fd)


def render(vdir: Vdir, index: Index, today: date, config: Config) -> dict[str, Item]:
    """What `vdir` should hold, from the notes."""
    if vdir.kind == "tasks":
        return task_items(index, today, config)
    if vdir.kind == "events":
        return event_items(index, today, config)
    return contact_items(index)


@dataclass(frozen=True)
class Options:
    """How this sync runs, and the vault's ways it needs (from the command layer)."""

    dry_run: bool
    import_new: bool
    stamp: bool | None
    tasks: TasksSettings
    style: TaskStyle
    #: A safe file stem for a new contact's note, and the files already in a folder.
    filename: Callable[[str], str]
    taken: Callable[[str], list[str]]


@dataclass(frozen=True)
class Outcome:
    """What a sync did (or, dry, would do), for the command to print."""

    #: Notes changed: (path, bytes before, bytes after).
    notes: tuple[tuple[str, bytes, bytes], ...] = ()
    #: The note edits, in words (what a dry run prints).
    planned: tuple[str, ...] = ()
    reports: tuple[str, ...] = ()
    imported: Plan | None = None
    #: Per vdir: (kind, files written, files deleted).
    pushed: tuple[tuple[str, int, int], ...] = ()
    failures: tuple[str, ...] = ()
    health: tuple[int, int, int] = (0, 0, 0)


@dataclass
class _Vdirs:
    """Each vdir as read at the start, with its state entries and the pull's results."""

    vdir: Vdir
    listing: Listing
    #: What the notes gave at the start; rendered again only if a sync changed them.
    rendered: dict[str, Item]
    decisions: Decisions = field(default_factory=Decisions)
    #: Files that are crm's though the state may not list them (it was lost, or a sync
    #: was killed before saving it): the items of the notes as read, and orphans.
    ours: frozenset[str] = frozenset()


def sync(root: Path, config: Config, today: date, options: Options, state_dir: Path) -> Outcome:
    """Pull, apply, push; `state_dir` is the vault's `.crm/` (locked by the caller)."""
    from plaintextcrm.load import Session

    states, problem = load_state(state_dir)
    reports = [problem] if problem else []
    index = Session(root, config, today).index()
    rules = Rules(index, today, options.stamp, options.tasks, options.style,
                  config.default_region, options.import_new)  # fmt: skip
    vdirs: list[_Vdirs] = []
    for vdir in configured_vdirs(root, config):
        listing = read_vdir(vdir.folder, vdir.ext)
        rendered = render(vdir, index, today, config)
        pulled = pull(vdir, listing, entries_for(states, vdir.kind, vdir.folder), rendered)
        reports += [
            f"{vdir.shown(n)}: cannot be read ({why}); left alone"
            for n, why in sorted(listing.unreadable.items())
        ]
        ours = frozenset(pulled.orphans) | rendered.keys()  # deleted if the notes drop them
        one = _Vdirs(vdir, listing, rendered, decide(vdir, pulled, rules), ours)
        reports += one.decisions.reports
        vdirs.append(one)
    edits = [e for one in vdirs for e in one.decisions.edits]
    cards = [c for one in vdirs for c in one.decisions.cards]
    imported = _plan_cards(index, cards, config, today, options) if cards else None
    if options.dry_run:
        pushes = [_push(one, states) for one in vdirs]
        return Outcome(
            planned=tuple(f"{e.path}: {e.says}" for e in edits),
            reports=tuple(reports),
            imported=imported,
            pushed=tuple((p.vdir.kind, len(p.writes), len(p.deletes)) for p in pushes),
            health=index.health(),
        )
    notes, failures, replaced, held = _write_notes(root, edits)
    if imported is not None:
        import_failures = _import_cards(root, config, imported)
        failures += import_failures
        if not import_failures:
            replaced |= {("contacts", name) for name, _ in cards}
    if notes or (imported is not None and imported.writes):
        index = Session(root, config, today).index()  # the notes as they are now
        for one in vdirs:
            one.rendered = render(one.vdir, index, today, config)
    pushed: list[tuple[str, int, int]] = []
    new_states: dict[str, VdirState] = {}
    for one in vdirs:
        kind = one.vdir.kind
        gone = one.ours | {name for k, name in replaced if k == kind}
        hold = frozenset(name for k, name in held if k == kind)
        result = run_push(_push(one, states, gone, hold))
        pushed.append((one.vdir.kind, result.written, result.deleted))
        failures += result.failures
        new_states[one.vdir.kind] = result.state
    if new_states != states:  # the same state is the same bytes: not even serialised
        save_state(state_dir, new_states)
    return Outcome(
        notes=tuple(notes),
        reports=tuple(reports),
        imported=imported,
        pushed=tuple(pushed),
        failures=tuple(failures),
        health=rules.index.health(),
    )


def _push(
    one: _Vdirs,
    states: dict[str, VdirState],
    remove: frozenset[str] = frozenset(),
    hold: frozenset[str] = frozenset(),
) -> Push:
    entries = entries_for(states, one.vdir.kind, one.vdir.folder)
    return plan_push(one.vdir, one.listing, entries, one.rendered, remove, hold)


def _write_notes(
    root: Path, edits: list[NoteEdit]
) -> tuple[list[tuple[str, bytes, bytes]], list[str], set[tuple[str, str]], set[tuple[str, str]]]:
    """Each edit through the one writer; one that cannot be made is said and the rest go
    on. Also, by (vdir kind, file name): the files of the other side that an import made
    crm's own (to delete), and those whose change could not be written (to leave alone)."""
    from plaintextcrm.writefile import write_note

    changed: list[tuple[str, bytes, bytes]] = []
    failures: list[str] = []
    replaced: set[tuple[str, str]] = set()
    held: set[tuple[str, str]] = set()
    for edit in edits:
        seen: dict[str, bytes] = {}

        def recording(data: bytes, edit: NoteEdit = edit, seen: dict[str, bytes] = seen) -> bytes:
            new = edit.edit(data)
            seen["old"], seen["new"] = data, new
            return new

        try:
            result = write_note(root / edit.path, recording, vault=root)
        except CrmError as exc:
            failures.append(f"{edit.path}: {edit.says}: {exc.message}")
            held.add((edit.vdir, edit.source))
            continue
        if result.changed:
            changed.append((edit.path, seen["old"], seen["new"]))
        if edit.imported:
            replaced.add((edit.vdir, edit.source))
    return changed, failures, replaced - held, held


def _plan_cards(
    index: Index,
    cards: list[tuple[str, ImportRecord]],
    config: Config,
    today: date,
    options: Options,
) -> Plan:
    """Cards made on the other side, planned as `crm import vcard` plans a file."""
    from plaintextcrm.importers.merge import plan_import

    folder = config.contact_folders[0] if config.contact_folders else ""
    return plan_import(
        index,
        [record for _, record in cards],
        (config.default_region or "").upper() or None,
        folder=folder,
        taken=options.taken(folder),
        filename=options.filename,
        created=today.isoformat(),
    )


def _import_cards(root: Path, config: Config, plan: Plan) -> list[str]:
    from plaintextcrm.importers.merge import apply_plan
    from plaintextcrm.templating import vault_template_dirs

    dirs = vault_template_dirs(root, config.templates_dir)
    return [f"{path}: {why}" for path, why in apply_plan(root, plan, template_dirs=dirs)]
