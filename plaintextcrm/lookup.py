"""NAME → one contact, words → (name, text), MATCH → one task.

Folding case and accents means `nicolo` finds `Nicolò` from a US keyboard. The order is
the most specific first: the exact name, file name or alias; then a unique prefix of one;
then a unique word of a name (`bianchi` finds Nicolò Bianchi). When a name is ambiguous we
list the candidates and stop (exit 2): a writing command must never guess whose note to
edit, nor which of their tasks to tick.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from plaintextcrm.errors import Ambiguous, NotFound, UsageError
from plaintextcrm.index import fold
from plaintextcrm.model import Contact, Index, Task


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
    found = _candidates(index, name)
    if len(found) == 1:
        return found[0]
    if found:
        raise _ambiguous(name, found)
    names = {fold(c.name): c.name for c in index.contacts}
    close = difflib.get_close_matches(fold(name), list(names), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(names[c] for c in close)}?" if close else ""
    raise NotFound(f"no contact named {name!r}{hint}")


def _candidates(index: Index, name: str) -> list[Contact]:
    """The contacts of the most specific rule that matches any: exact, prefix, word."""
    wanted = fold(validate_name(name))
    keyed = [(c, _keys(c)) for c in index.contacts]
    exact = [c for c, keys in keyed if wanted in keys]
    if exact:
        return exact
    prefixed = [c for c, keys in keyed if any(k.startswith(wanted) for k in keys)]
    if prefixed:
        return prefixed
    # A surname or any later word of a name: `bianchi`, `de luca`, `bian`.
    return [c for c, keys in keyed if any(f" {wanted}" in k for k in keys)]


def _ambiguous(name: str, contacts: list[Contact]) -> Ambiguous:
    candidates = [f"{c.name} ({c.path})" for c in contacts]
    return Ambiguous(f"{name!r} matches several contacts: {'; '.join(candidates)}", candidates)


@dataclass(frozen=True)
class Addressed:
    """A command line's words split into who (one or more contacts) and the rest."""

    contacts: tuple[Contact, ...]
    rest: str


def split_name(index: Index, words: Sequence[str], *, min_rest: int = 1) -> Addressed:
    """`Anna Rossi coffee in Rome` → (Anna Rossi, "coffee in Rome"), as people type.

    A word with a space inside was quoted, so it is a name as it stands. Otherwise every
    run of leading words that names a contact is a reading; one person read from every run
    that names anyone is the answer (the longest such run is the name), and two different
    people (contacts "Anna" and "Anna Rossi") make the words ambiguous: exit 2, asking to
    quote the name. Several people are separated by commas (`anna, bjorn coffee`, or
    `"Anna Rossi, Björn"`). `min_rest` is how many words the text needs (0: optional).
    """
    words = list(words)
    names: list[Contact] = []
    i, more = 0, True
    while more:
        if i >= len(words) or not words[i].strip():
            if names:
                raise UsageError("a comma with no name after it")
            raise UsageError("invalid name: it is empty" if words else "missing NAME")
        found, i, more = _next_names(index, words, i, min_rest)
        names.extend(found)
    if len({c.path for c in names}) < len(names):
        raise UsageError("the same person is named twice")
    return Addressed(tuple(names), " ".join(words[i:]))


def _next_names(
    index: Index, words: list[str], i: int, min_rest: int
) -> tuple[list[Contact], int, bool]:
    """The contact(s) named from `words[i]` on, the index after them, and whether a
    trailing comma says another name follows."""
    word = words[i].strip()
    more = word.endswith(",")
    if "," in word.rstrip(","):  # "Anna Rossi, Björn" quoted as one word
        parts = [p.strip() for p in word.rstrip(",").split(",")]
        if not all(parts):
            raise UsageError(f"an empty name in {word!r}")
        return [find_contact(index, p) for p in parts], i + 1, more
    if " " in word:  # quoted: the name exactly as typed
        return [find_contact(index, word.rstrip(","))], i + 1, more
    readings: dict[str, tuple[Contact, int]] = {}
    first_ambiguity: Ambiguous | None = None
    last = max(i + 1, len(words) - min_rest)
    for end in range(i + 1, last + 1):
        run = words[i:end]
        if " " in run[-1].strip() or any(w.rstrip().endswith(",") for w in run[:-1]):
            break  # a quoted word or a comma ends the name
        try:
            contact = find_contact(index, " ".join(w.strip().rstrip(",") for w in run))
        except Ambiguous as exc:
            first_ambiguity = first_ambiguity or exc
            continue
        except NotFound:
            continue
        readings[contact.path] = (contact, end)
    if len(readings) > 1:
        people = [c for c, _ in readings.values()]
        raise Ambiguous(
            "the words could name "
            + " or ".join(c.name for c in people)
            + "; put the name in quotes",
            [f"{c.name} ({c.path})" for c in people],
        )
    if readings:
        contact, end = next(iter(readings.values()))
        return [contact], end, words[end - 1].rstrip().endswith(",")
    if first_ambiguity is not None:
        raise first_ambiguity
    return [find_contact(index, word.rstrip(","))], i + 1, more  # NotFound, with hints


def pick_task(contact: Contact, match: str | None) -> Task:
    """The one open task of `contact` that `match` designates (or the only one).

    Several candidates are an `Ambiguous` error listing them (exit 2); none, a `NotFound`
    listing the open ones: ticking or cancelling the wrong task is worse than asking.
    """
    tasks = [t for t in contact.tasks if t.status == "open"]
    if not tasks:
        raise NotFound(f"{contact.name} has no open tasks")
    chosen = tasks
    if match:
        wanted = fold(match)
        chosen = [t for t in tasks if wanted in fold(t.text)]
        if not chosen:
            listed = "; ".join(task_label(t) for t in tasks)
            raise NotFound(f"no open task of {contact.name} matches {match!r}; open: {listed}")
    if len(chosen) > 1:
        candidates = [task_label(t) for t in chosen]
        raise Ambiguous(
            f"{contact.name} has {len(chosen)} open tasks"
            + (f" matching {match!r}" if match else "")
            + f"; say which: {'; '.join(candidates)}",
            candidates,
        )
    return chosen[0]


def task_label(task: Task) -> str:
    """`2026-12-01 send the deck (People/Anna.md:12)`: a task as a candidate list shows it."""
    due = f"{task.due.isoformat()} " if task.due else ""
    return f"{due}{task.text} ({task.path}:{task.line})"


def name_clash(index: Index, name: str, aliases: Sequence[str]) -> Contact | None:
    """The contact that already answers to `name` or one of `aliases`, if any: `crm new`
    refuses to make a second note for the same person."""
    wanted = {fold(name), *(fold(a) for a in aliases)}
    return next((c for c in index.contacts if wanted & _keys(c)), None)
