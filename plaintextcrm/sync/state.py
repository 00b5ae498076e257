"""What crm last wrote to each vdir file, kept in `.crm/sync.json`.

A file whose bytes differ from its entry was changed on the other side; an entry keeps
what the item stood for (the task's note, words and due date; a card's text), which is
the base a change there is compared with. The state is written last in a sync, after the
notes and the vdir files, and only when it changed (`write_if_changed`: atomic, mtime kept
otherwise).

Losing it loses little: a file crm would write anyway is recognised by its bytes, and a
changed one is compared with the notes as they are. A damaged or foreign state is said in
one line and treated as empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

from plaintextcrm.dates import DateValueError, parse_iso
from plaintextcrm.readfile import read_regular
from plaintextcrm.sync.items import Item

STATE_FILE = "sync.json"
#: Bumped when the entries change meaning; an older state is read as empty.
FORMAT = 1


@dataclass(frozen=True)
class Entry:
    """One vdir file as crm last wrote it: its digest, and the item it stood for."""

    sha256: str
    kind: str
    contact: str
    note: str | None = None
    text: str | None = None
    due: date | None = None
    summary: str = ""
    in_field: bool = False
    card: str | None = None  # a vCard's text, the base of what changed there

    @classmethod
    def of(cls, item: Item, data: bytes) -> Entry:
        """The entry for `item` whose file now holds `data` (its bytes, or a version
        that differs only in its stamp and was left in place)."""
        from plaintextcrm.sync.items import digest

        return cls(
            sha256=digest(data),
            kind=item.kind,
            contact=item.contact.path,
            note=item.task.path if item.task else None,
            text=item.task.text if item.task else None,
            due=item.due,
            summary=item.summary,
            in_field=item.in_field,
            card=data.decode("utf-8", "replace") if item.kind == "contact" else None,
        )

    def to_json(self) -> dict[str, Any]:
        """The fields that say something (no `None`, empty or false ones), dates as ISO."""
        out = {k: getattr(self, k) for k in _FIELDS if getattr(self, k) not in (None, "", False)}
        if self.due is not None:
            out["due"] = self.due.isoformat()
        return out

    @classmethod
    def from_json(cls, value: Any) -> Entry:
        if not isinstance(value, dict) or not isinstance(value.get("sha256"), str):
            raise ValueError("an entry without a digest")
        known = {k: value[k] for k in cls.__dataclass_fields__ if k in value}
        for key in ("kind", "contact", "note", "text", "summary", "card"):
            if key in known and not isinstance(known[key], str):
                raise ValueError(f"`{key}` is not text")
        if "due" in known:
            known["due"] = parse_iso(known["due"])
        known["in_field"] = known.get("in_field") is True
        return cls(**known)


_FIELDS = tuple(f.name for f in fields(Entry))


@dataclass(frozen=True)
class VdirState:
    """The entries of one vdir, and the folder they are about: a vdir moved to another
    folder starts afresh rather than comparing that folder with another's entries."""

    folder: str
    entries: dict[str, Entry] = field(default_factory=dict)


def entries_for(states: dict[str, VdirState], kind: str, folder: Path) -> dict[str, Entry]:
    known = states.get(kind)
    return dict(known.entries) if known is not None and known.folder == str(folder) else {}


def load_state(state_dir: Path) -> tuple[dict[str, VdirState], str | None]:
    """The state by vdir kind (`tasks`, `events`, `contacts`), and a problem to report
    when the file was there but could not be used."""
    path = state_dir / STATE_FILE
    try:
        table = json.loads(read_regular(path).decode("utf-8"))
        if not isinstance(table, dict) or table.get("format") != FORMAT:
            raise ValueError("another format")
        vdirs = table["vdirs"]
        if not isinstance(vdirs, dict):
            raise ValueError("no vdirs")
        states: dict[str, VdirState] = {}
        for kind, value in vdirs.items():
            folder, entries = value["folder"], value["entries"]
            if not isinstance(folder, str) or not isinstance(entries, dict):
                raise ValueError("a vdir without a folder")
            states[kind] = VdirState(
                folder, {str(n): Entry.from_json(e) for n, e in entries.items()}
            )
        return states, None
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError, KeyError, TypeError, DateValueError) as exc:
        return {}, (
            f"{state_dir.name}/{STATE_FILE} could not be read ({exc}); every vdir is compared"
            " with the notes as they are now"
        )


def save_state(state_dir: Path, states: dict[str, VdirState]) -> bool:
    """Write the state (sorted, so the same state is the same bytes); True if it changed."""
    from plaintextcrm.writefile import write_if_changed

    table = {
        "format": FORMAT,
        "vdirs": {
            kind: {
                "folder": state.folder,
                "entries": {name: e.to_json() for name, e in sorted(state.entries.items())},
            }
            for kind, state in sorted(states.items())
        },
    }
    text = json.dumps(table, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"
    return write_if_changed(state_dir / STATE_FILE, text.encode("utf-8"))
