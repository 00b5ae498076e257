"""NAME → one contact: exact name, file name or alias, then a unique prefix.

Folding case and accents means `nicolo` finds `Nicolò` from a US keyboard. When a name is
ambiguous we list the candidates and stop (exit 2): a writing command must never guess
whose note to edit.
"""

from __future__ import annotations

import difflib
import unicodedata

from plaintextcrm.errors import Ambiguous, NotFound, UsageError
from plaintextcrm.index import fold
from plaintextcrm.model import Contact, Index


def _keys(contact: Contact) -> set[str]:
    stem = contact.path.rsplit("/", 1)[-1][:-3]
    return {fold(k) for k in (contact.name, stem, *contact.fields.aliases) if k.strip()}


def validate_name(name: str) -> str:
    """Refuse names that cannot be a person: empty, or with control characters."""
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise UsageError("invalid name: it contains control characters")
    if not name.strip():
        raise UsageError("invalid name: it is empty")
    return name


def find_contact(index: Index, name: str) -> Contact:
    """The one contact `name` designates, or a NotFound/Ambiguous error saying why."""
    wanted = fold(validate_name(name))
    exact = [c for c in index.contacts if wanted in _keys(c)]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise _ambiguous(name, exact)
    prefixed = [c for c in index.contacts if any(k.startswith(wanted) for k in _keys(c))]
    if len(prefixed) == 1:
        return prefixed[0]
    if len(prefixed) > 1:
        raise _ambiguous(name, prefixed)
    names = {fold(c.name): c.name for c in index.contacts}
    close = difflib.get_close_matches(wanted, list(names), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(names[c] for c in close)}?" if close else ""
    raise NotFound(f"no contact named {name!r}{hint}")


def _ambiguous(name: str, contacts: list[Contact]) -> Ambiguous:
    candidates = [f"{c.name} ({c.path})" for c in contacts]
    return Ambiguous(f"{name!r} matches several contacts: {'; '.join(candidates)}", candidates)
