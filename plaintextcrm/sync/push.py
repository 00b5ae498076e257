"""Carrying out a push: the vdir files written and deleted, and the state that results.

A write or a delete that finds the file changed since the pull (vdirsyncer ran in
between) is skipped and said; the file's old entry stays in the state, so the next sync
sees that change as made on the other side and nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from plaintextcrm.errors import CrmError
from plaintextcrm.sync.plan import Push
from plaintextcrm.sync.state import Entry, VdirState
from plaintextcrm.sync.vdir import delete_item, write_item


@dataclass(frozen=True)
class Pushed:
    """What a push did to one vdir, and the vdir's state now."""

    written: int
    deleted: int
    failures: tuple[str, ...]
    state: VdirState


def run_push(push: Push) -> Pushed:
    folder = push.vdir.folder
    entries: dict[str, Entry] = dict(push.entries)
    failures: list[str] = []
    written = deleted = 0
    for name, data, expected in push.writes:
        try:
            write_item(folder, name, data, expected)
            written += 1
        except CrmError as exc:
            failures.append(exc.message)
            _restore(entries, push.before, name)
    for name, expected in push.deletes:
        try:
            delete_item(folder, name, expected)
            deleted += 1
        except CrmError as exc:
            failures.append(exc.message)
            _restore(entries, push.before, name)
    return Pushed(written, deleted, tuple(failures), VdirState(str(folder), entries))


def _restore(entries: dict[str, Entry], before: dict[str, Entry], name: str) -> None:
    """The state of a file left as it was: its old entry, or none."""
    if name in before:
        entries[name] = before[name]
    else:
        entries.pop(name, None)
