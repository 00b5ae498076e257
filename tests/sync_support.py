"""The other side of `crm sync` in tests: a small vault, and what a phone does to the
items of its vdirs, written with the libraries servers and the pimutils tools use
(`icalendar` for VTODOs, `vobject` for vCards)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import icalendar
import vobject

SYNC_TOML = """\
[sync]
tasks = "vdir/tasks"
events = "vdir/events"
contacts = "vdir/contacts"
"""

ANNA = """\
---
birthday: 1990-03-14
circle: close
email: anna@example.org
phone: "+39 333 1234567"
---
# Anna Rossi

## Log
- 2026-10-02 coffee; she is moving to Turin
- [ ] send the abstract 📅 2026-11-26
- [ ] 2026-12-01 call about the move
- [ ] book the venue [due:: 2026-12-10]
"""

BOB = """\
---
cadence: 1m
---
## Log
- 2026-11-01 lunch
"""


def settled(root: Path) -> None:
    """Notes written a while ago, as in a vault in use: the cache keeps a note it read
    within the last instant as "too fresh" and reads it again next time, which would
    rewrite `.crm/parsed.cache` on the second run for a reason that is not the sync's."""
    for path in root.rglob("*.md"):
        os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))


def note(root: Path, name: str) -> str:
    return (root / "People" / f"{name}.md").read_text(encoding="utf-8")


def todos(root: Path) -> dict[str, Path]:
    """The tasks vdir by SUMMARY, read with icalendar."""
    found = {}
    for path in sorted((root / "vdir" / "tasks").glob("*.ics")):
        todo = icalendar.Calendar.from_ical(path.read_bytes()).walk("VTODO")[0]
        found[str(todo["SUMMARY"])] = path
    return found


def change_todo(
    path: Path,
    *,
    done: dt.datetime | None = None,
    due: dt.date | None = None,
    summary: str | None = None,
    cancelled: bool = False,
) -> None:
    """What a phone does to a reminder, as the server hands it back to vdirsyncer."""
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    todo = calendar.walk("VTODO")[0]
    if cancelled:
        todo["STATUS"] = "CANCELLED"
    if done is not None:
        todo["STATUS"] = "COMPLETED"
        todo.add("COMPLETED", done)
        todo.add("PERCENT-COMPLETE", 100)
    if due is not None:
        del todo["DUE"]
        todo.add("DUE", due)
    if summary is not None:
        todo["SUMMARY"] = summary
    todo["DTSTAMP"] = icalendar.vDatetime(dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC))
    path.write_bytes(calendar.to_ical())


def card_path(root: Path, name: str) -> Path:
    for path in (root / "vdir" / "contacts").glob("*.vcf"):
        if vobject.readOne(path.read_text(encoding="utf-8")).fn.value == name:
            return path
    raise AssertionError(f"no card for {name}")
