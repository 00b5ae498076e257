"""`crm search`: which contacts mention a text, in their fields, note or interactions.

Folding case and accents on both sides means `jose` finds `José` and `MÜLLER` finds
`Müller`. The contact's own note is read from disk here (the index keeps no note texts).
"""

from __future__ import annotations

from pathlib import Path

from plaintextcrm.index import fold
from plaintextcrm.model import Contact, Index
from plaintextcrm.readfile import read_regular


def _field_values(contact: Contact) -> list[tuple[str, str]]:
    f = contact.fields
    pairs = [("name", f.name), *(("alias", a) for a in f.aliases)]
    for label, value in (("company", f.company), ("role", f.role), ("location", f.location),
                         ("met", f.met), ("url", f.url), ("linkedin", f.linkedin)):  # fmt: skip
        if value:
            pairs.append((label, value))
    pairs += [("email", e) for e in f.emails] + [("phone", p) for p in f.phones]
    pairs += [("tag", t) for t in f.tags]
    return pairs


def search_contacts(index: Index, root: Path, text: str) -> list[tuple[Contact, list[str]]]:
    """Contacts that mention `text`, each with the lines that matched (for context)."""
    wanted = fold(text)
    if not wanted:
        return []
    found = []
    for contact in index.contacts:
        matches = [f"{label}: {value}" for label, value in _field_values(contact)
                   if wanted in fold(value)]  # fmt: skip
        try:
            body = read_regular(root / contact.path).decode("utf-8-sig", errors="replace")
        except OSError:
            body = ""
        for number, line in enumerate(body.splitlines(), 1):
            if wanted in fold(line):
                matches.append(f"{contact.path}:{number}: {line.strip()}")
        own = contact.path
        for i in contact.interactions:
            if i.path != own and wanted in fold(i.text):
                matches.append(f"{i.path}:{i.line or 1}: {i.date.isoformat()} {i.text}")
        if matches:
            found.append((contact, list(dict.fromkeys(matches))))
    return found
