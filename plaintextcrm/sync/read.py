"""Reading what the other side wrote into a vdir: a VTODO's state, a vCard's values.

Items come from phones and servers crm does not control, so every reader here is the
well-kept library for the format (icalendar for VTODOs, the vCard importer that
`crm import vcard` uses), and anything they cannot read is one `Unreadable` with why,
never a traceback: the item is reported and the notes are left as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from plaintextcrm.errors import CrmError
from plaintextcrm.importers.record import ImportRecord
from plaintextcrm.sync.items import UID_SUFFIX

_UNFOLD = re.compile(rb"\r?\n[ \t]")
_UID_LINE = re.compile(rb"^UID[;:](?:[^\r\n]*:)?([^\r\n]*)$", re.MULTILINE)
_PRODID_LINE = re.compile(rb"^PRODID[;:](?:[^\r\n]*:)?([^\r\n]*)$", re.MULTILINE)


class Unreadable(CrmError):
    """An item crm cannot read; said in one line, the item left alone."""


@dataclass(frozen=True)
class Todo:
    """What a VTODO says that the notes can take: done or not (and when), its due date,
    its title."""

    uid: str
    summary: str
    due: date | None
    done: bool
    cancelled: bool
    completed: date | None


def _day(value: object) -> date | None:
    """A DATE or DATE-TIME as the local day it falls on (a phone that ticks at 00:30
    local time ticks on that day, whatever the UTC date)."""
    if isinstance(value, datetime):
        return (value.astimezone() if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    return None


def read_todo(data: bytes) -> Todo:
    """The one VTODO of an item (its master, when a phone added overrides)."""
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(data)
        todos = [c for c in calendar.walk("VTODO") if "RECURRENCE-ID" not in c]
        if not todos:
            raise Unreadable("no VTODO in it")
        todo = todos[0]
        status = str(todo.get("STATUS", "")).upper()
        completed = _day(todo.decoded("COMPLETED")) if "COMPLETED" in todo else None
        due = _day(todo.decoded("DUE")) if "DUE" in todo else None
        return Todo(
            uid=str(todo.get("UID", "")),
            summary=" ".join(str(todo.get("SUMMARY", "")).split()),
            due=due,
            done=status == "COMPLETED" or (not status and completed is not None),
            cancelled=status == "CANCELLED",
            completed=completed,
        )
    except Unreadable:
        raise
    except Exception as exc:  # a hostile or broken item: any parser error is one line
        raise Unreadable(f"not a readable VTODO ({type(exc).__name__}: {exc})") from None


def read_card(data: bytes, display: str) -> ImportRecord:
    """The one person of a `.vcf` item, read as `crm import vcard` reads it."""
    from plaintextcrm.importers.record import bounded
    from plaintextcrm.importers.vcard import parse_vcards

    result = bounded(parse_vcards(data, display))
    if len(result.records) != 1:
        why = result.skipped[0].reason if result.skipped else "not one person"
        raise Unreadable(f"not a readable vCard: {why}")
    return result.records[0]


def written_by_crm(data: bytes, ext: str) -> bool:
    """Whether crm made this item (its UID, or for a card its PRODID, is crm's), so a
    file of crm's that the state does not list (a sync killed before saving it) is never
    taken for an item made on the other side."""
    unfolded = _UNFOLD.sub(b"", data)
    if ext == ".ics":
        uid = _UID_LINE.search(unfolded)
        return uid is not None and uid[1].strip().endswith(UID_SUFFIX.encode())
    from plaintextcrm.render.export import PRODID

    prodid = _PRODID_LINE.search(unfolded)
    return prodid is not None and prodid[1].strip() == PRODID.encode()
