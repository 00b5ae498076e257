"""The contacts as other programs read them: vCard for phones, CSV for spreadsheets, JSON
for scripts. Pure: Index in, text out; the command decides where it goes.

vCard output is what `crm import vcard` reads back to the same notes, so export → import
into an empty vault → export gives the same cards (the round trip is tested). Year-less
birthdays are written the way phones read them: vCard 4.0 `BDAY:--MMDD`; vCard 3.0 the
Apple form `BDAY;X-APPLE-OMIT-YEAR=1604:1604-MM-DD`, which iOS, macOS and Android's
importers understand. The note body is private prose and is not exported.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date
from typing import Any

from plaintextcrm.index import link_key
from plaintextcrm.model import Contact, Index, YearlyDate

PRODID = "-//plaintextcrm//NONSGML plaintextcrm//EN"
VCARD_VERSIONS = ("3.0", "4.0")
#: Spreadsheets run a cell that starts with one of these as a formula (OWASP's list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Where a spreadsheet may cut a cell in two: in locales whose list separator is `;`
#: (most of Europe) the file is read with `;` between cells, and `a; =cmd` becomes a cell
#: `=cmd`; a tab-separated import cuts at tabs. Our lists are joined with `; ` too.
CELL_BREAKS = re.compile(r"(^\s+|[;,\t\r\n]\s*)([=+\-@])")
CSV_COLUMNS = (
    "name", "aliases", "emails", "phones", "company", "role", "birthday", "dates",
    "location", "url", "linkedin", "met", "tags", "circle", "cadence", "last_contact",
    "gave", "got", "note",
)  # fmt: skip


def contact_uid(contact: Contact) -> str:
    """The card's UID, the same on every export so a phone updates its card instead of
    adding a copy each time the export is imported (docs/import.md, "Exporting").

    The note's `uid` when it has one, as written: a vCard-sync plugin's `UID`, or one you
    add to pin a card; nothing about the file changes it. Else a UUID derived from the
    contact's name (case- and accent-insensitively), never from the path: moving the note
    to another folder keeps it, and so does renaming the file of a note that says
    `name:`. Renaming a note without `name:` renames the person, and gives a new card.
    """
    if contact.fields.uid:
        return contact.fields.uid
    return "urn:uuid:" + str(
        uuid.uuid5(uuid.NAMESPACE_URL, "plaintextcrm:" + link_key(contact.name))
    )


def _vcard_date(d: YearlyDate, version: str) -> tuple[str, bool]:
    """(value, omit-year flag) for BDAY/ANNIVERSARY/X-ABDATE in this vCard version."""
    if d.year is None:
        if version == "4.0":
            return f"--{d.month:02d}{d.day:02d}", False
        return f"1604-{d.month:02d}-{d.day:02d}", True
    if version == "4.0":
        return f"{d.year:04d}{d.month:02d}{d.day:02d}", False
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}", False


def name_parts(name: str) -> dict[str, str]:
    """The vCard `N` parts of a display name, which phones sort and search by:
    `Marco De Luca` → family `De Luca`, given `Marco`; particles stay with the family
    name (`van Beethoven`, `von der Leyen`, `Ní Bhriain`, `Mac Giolla Phádraig`, `Ó Sé`),
    titles and suffixes go to `prefix` and `suffix` (`Dr.`, `Jr.`), `Rossi, Anna` is read
    family first. `nameparser` does the reading; a single word is a given name."""
    from nameparser import HumanName

    parsed = HumanName(name)
    parts = {
        "family": parsed.last,
        "given": parsed.first,
        "additional": parsed.middle,
        "prefix": parsed.title,
        "suffix": parsed.suffix,
    }
    if not any(parts.values()):  # nothing nameparser recognises as a name part
        parts["given"] = name
    return parts


def vcard(contact: Contact, version: str = "3.0") -> str:
    """One contact as one vCard (CRLF lines, folded, escaped by vobject)."""
    import vobject

    f = contact.fields
    card = vobject.vCard()
    card.add("version").value = version
    card.add("prodid").value = PRODID
    card.add("uid").value = contact_uid(contact)
    card.add("fn").value = f.name
    card.add("n").value = vobject.vcard.Name(**name_parts(f.name))
    for alias in f.aliases:
        card.add("nickname").value = alias
    for email in f.emails:
        card.add("email").value = email
    for phone in f.phones:
        card.add("tel").value = phone
    if f.company:
        card.add("org").value = [f.company]
    if f.role:
        card.add("title").value = f.role
    if f.birthday:
        value, omit = _vcard_date(f.birthday, version)
        bday = card.add("bday")
        bday.value = value
        if omit:
            bday.params["X-APPLE-OMIT-YEAR"] = ["1604"]
    group = 0
    anniversary_done = False
    for d in f.dates:
        value, omit = _vcard_date(d, version)
        if version == "4.0" and d.label.casefold() == "anniversary" and not anniversary_done:
            card.add("anniversary").value = value
            anniversary_done = True
            continue
        group += 1
        prop = card.add("x-abdate")
        prop.group = f"item{group}"
        prop.value = value
        if omit:
            prop.params["X-APPLE-OMIT-YEAR"] = ["1604"]
        if d.label:
            label = card.add("x-ablabel")
            label.group = f"item{group}"
            label.value = "_$!<Anniversary>!$_" if d.label.casefold() == "anniversary" else d.label
    if f.location:
        card.add("adr").value = vobject.vcard.Address(city=f.location)
    for url in (f.url, f.linkedin):
        if url:
            card.add("url").value = url
    if f.tags:
        card.add("categories").value = list(f.tags)
    return card.serialize()


def vcards(index: Index, version: str = "3.0") -> str:
    """Every contact, one card each, in the index's order (by name)."""
    return "".join(vcard(contact, version) for contact in index.contacts)


def neutralise(cell: str) -> str:
    """A cell a spreadsheet shows as text instead of running it (CSV injection): a `'`
    before a formula character at its start (after spaces too, which some programs
    trim), and at the start of every piece a spreadsheet could cut it into (after `;`,
    `,`, a tab or a line break, whatever the locale's separator), so
    `x@y.org; =HYPERLINK(...)` stays text in every locale."""
    if cell.startswith(FORMULA_TRIGGERS):
        cell = "'" + cell
    return CELL_BREAKS.sub(r"\1'\2", cell)


def _csv_row(contact: Contact, today: date, raw: bool) -> dict[str, str]:
    f = contact.fields
    last = contact.last_contact_on(today)
    values: dict[str, Any] = {
        "name": f.name,
        "aliases": "; ".join(f.aliases),
        "emails": "; ".join(f.emails),
        "phones": "; ".join(f.phones),
        "company": f.company,
        "role": f.role,
        "birthday": f.birthday_raw or (f.birthday.raw if f.birthday else ""),
        "dates": "; ".join(f"{d.raw} {d.label}".strip() for d in f.dates),
        "location": f.location,
        "url": f.url,
        "linkedin": f.linkedin,
        "met": f.met,
        "tags": "; ".join(f.tags),
        "circle": f.circle,
        "cadence": contact.cadence.raw if contact.cadence else f.cadence_raw,
        "last_contact": last.isoformat() if last else "",
        "gave": contact.gave,
        "got": contact.got,
        "note": contact.path,
    }
    cells = {k: "" if v is None else str(v) for k, v in values.items()}
    return cells if raw else {k: neutralise(v) for k, v in cells.items()}


def contacts_csv(index: Index, today: date, raw: bool = False) -> str:
    """A header and one row per contact; CRLF rows as RFC 4180 and Excel expect.

    Cells a spreadsheet would run as a formula are neutralised (`neutralise`), which
    shows as a `'` before `+39 ...` in programs that do not hide it; `raw` writes every
    value as it is, for scripts and address-book imports that never evaluate a cell."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for contact in index.contacts:
        writer.writerow(_csv_row(contact, today, raw))
    return out.getvalue()


def contacts_json(index: Index, today: date) -> str:
    """What `crm list --json` gives for each contact, plus dates, tasks and interactions
    (newest first), the same objects `crm show --json` prints."""
    from plaintextcrm.reminders import next_reminder_by_contact
    from plaintextcrm.render.jsonout import dumps, show_json

    upcoming = next_reminder_by_contact(index, today)
    return dumps([show_json(c, today, upcoming.get(c.path)) for c in index.contacts]) + "\n"
