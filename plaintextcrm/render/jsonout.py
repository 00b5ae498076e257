"""The machine-readable formatter: the same model as the text output, as JSON.

Keys named in the README and docs/ are a contract with scripts outside this project:
add keys freely, never rename or drop one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from plaintextcrm.model import Contact, Interaction, Problem, Reminder, Task
from plaintextcrm.queries import NO_CIRCLE, Stats


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def reminder_json(r: Reminder) -> dict[str, Any]:
    out: dict[str, Any] = {
        "date": r.date.isoformat(),
        "kind": r.kind,
        "contact": r.contact,
        "note": r.note,
        "title": r.title,
        "overdue_days": r.overdue_days,
    }
    if r.kind == "birthday":
        out["age"] = r.age
    elif r.kind == "date":
        out["label"] = r.label
        out["years"] = r.years
    elif r.kind == "followup":
        out["text"] = r.text
        out["line"] = r.line
    elif r.kind == "reconnect":
        out["last_contact"] = _iso(r.last_contact)
        out["cadence"] = r.cadence
    return out


def cadence_as_written(contact: Contact) -> str | None:
    """The effective cadence as the user wrote it (in the note or for the circle)."""
    return contact.cadence.raw if contact.cadence else contact.fields.cadence_raw


def contact_json(contact: Contact, today: date, next_reminder: Reminder | None) -> dict[str, Any]:
    f = contact.fields
    return {
        "name": f.name,
        "note": contact.path,
        "aliases": list(f.aliases),
        "tags": list(f.tags),
        "circle": f.circle,
        "cadence": cadence_as_written(contact),
        "birthday": f.birthday_raw,
        "emails": list(f.emails),
        "phones": list(f.phones),
        "company": f.company,
        "role": f.role,
        "location": f.location,
        "met": f.met,
        "url": f.url,
        "linkedin": f.linkedin,
        "last_contact": _iso(contact.last_contact_on(today)),
        "snooze": _iso(f.snooze),
        "gave": contact.gave,
        "got": contact.got,
        "next_reminder": reminder_json(next_reminder) if next_reminder else None,
    }


def interaction_json(i: Interaction) -> dict[str, Any]:
    return {
        "date": i.date.isoformat(),
        "text": i.text,
        "note": i.path,
        "line": i.line,
        "gave": i.gave,
        "got": i.got,
    }


def task_json(t: Task) -> dict[str, Any]:
    return {"text": t.text, "due": _iso(t.due), "status": t.status, "note": t.path, "line": t.line}


def show_json(contact: Contact, today: date, next_reminder: Reminder | None) -> dict[str, Any]:
    out = contact_json(contact, today, next_reminder)
    out["dates"] = [{"date": y.raw, "label": y.label} for y in contact.fields.dates]
    out["tasks"] = [task_json(t) for t in contact.tasks]
    out["interactions"] = [interaction_json(i) for i in reversed(contact.interactions)]
    return out


def problem_json(p: Problem) -> dict[str, Any]:
    return {"path": p.path, "line": p.line, "level": p.level, "message": p.message}


def stats_json(stats: Stats) -> dict[str, Any]:
    return {
        "contacts": stats.contacts,
        # keyed by circle as written, "" for none, sorted: the shape scripts already read
        "circles": dict(sorted(("" if c == NO_CIRCLE else c, n) for c, n in stats.circles)),
        "overdue_reconnects": len(stats.overdue),
        "overdue": [{"contact": name, "overdue_days": days} for name, days in stats.overdue],
        "interactions_per_month": dict(stats.per_month),
        "gave": stats.gave,
        "got": stats.got,
        "only_receive_from": [name for name, _ in stats.takers],
    }


def search_json(found: list[tuple[Contact, list[str]]]) -> list[dict[str, Any]]:
    return [{"name": c.name, "note": c.path, "matches": m} for c, m in found]


def dumps(value: Any) -> str:
    """Readable UTF-8 JSON; strings exact, with nothing raw that a terminal would obey
    (`terminal.json_safe`)."""
    from plaintextcrm.render.terminal import json_safe

    return json_safe(indented(value))


#: Elements per piece of a streamed JSON array.
CHUNK_ITEMS = 500


def contacts_array(rows: Iterable[tuple[Contact, Reminder | None]], today: date) -> Iterator[str]:
    """`crm list --json` in pieces (`dumps_array`)."""
    return dumps_array(contact_json(c, today, r) for c, r in rows)


def dumps_array(items: Iterable[Any]) -> Iterator[str]:
    """`dumps(list(items))` in pieces, for an array written out as it is made (`crm list
    --json` at 50k contacts is tens of megabytes): the same text, byte for byte. Each
    element is indented on its own and shifted one level (JSON strings hold no raw
    newline, so every newline is the indenter's)."""
    from plaintextcrm.render.terminal import json_safe

    piece: list[str] = []
    first = True
    for item in items:
        piece.append(("[\n  " if first else ",\n  ") + indented(item).replace("\n", "\n  "))
        first = False
        if len(piece) >= CHUNK_ITEMS:
            yield json_safe("".join(piece))
            piece = []
    piece.append("[]" if first else "\n]")
    yield json_safe("".join(piece))


def indented(value: Any) -> str:
    """`json.dumps(value, ensure_ascii=False, indent=2)`, through orjson's C encoder.

    The standard library's C encoder does not indent, so `indent=2` ran every value
    through the pure-Python encoder: 0.7 s of a 1.6 s `crm list --json` at 10k contacts.
    orjson writes the same text for what these outputs hold (strings, integers, booleans,
    None, lists, string-keyed objects; no floats); whatever it refuses (a lone surrogate,
    an integer past 64 bits, a key that is not a string) goes to `json.dumps`.
    tests/test_jsonout_fast.py checks the two agree.
    """
    try:
        import orjson

        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8")
    except (ImportError, TypeError):
        return json.dumps(value, ensure_ascii=False, indent=2)
