"""All parsed notes → the Index: contacts with every interaction and task resolved.

This is the only place that looks across files: it turns `[[Anna Rossi]]` in a daily note
into an interaction with the contact whose file, `name` or alias is "Anna Rossi", and it
reports names that two contacts claim (a link or lookup must never silently pick one).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from plaintextcrm import lookalike
from plaintextcrm.config import Config
from plaintextcrm.model import Contact, Index, Interaction, ParsedNote, Problem, Task


def link_key(text: str) -> str:
    """How link targets compare: Unicode-normalised (macOS writes NFD) and case-folded."""
    if text.isascii():  # NFC leaves ASCII as it is
        return text.strip().casefold()
    return unicodedata.normalize("NFC", text).strip().casefold()


#: Letters that Unicode does not decompose into a base letter and an accent, spelled the
#: way a keyboard without them would: `soren` finds Søren, `lukasz` Łukasz, `yilmaz` Yılmaz.
_UNDECOMPOSABLE = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"}
)


def fold(text: str) -> str:
    """Case- and accent-insensitive form, for lookup and search (`nicolo` finds `Nicolò`)."""
    if text.isascii():  # NFKD leaves ASCII as it is and it has no combining marks
        return " ".join(text.casefold().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.translate(_UNDECOMPOSABLE).split())


class _Resolver:
    """Link target → contact paths, trying the most specific reading first."""

    def __init__(self, contacts: list[ParsedNote]) -> None:
        self.by_path: dict[str, str] = {}
        self.by_stem: dict[str, set[str]] = defaultdict(set)
        self.by_name: dict[str, set[str]] = defaultdict(set)
        self.by_folded: dict[str, set[str]] = defaultdict(set)
        self._resolved: dict[str, str | None] = {}  # each distinct target resolved once
        for note in contacts:
            assert note.fields is not None
            self.by_path[link_key(note.path[:-3])] = note.path
            self.by_stem[link_key(note.stem)].add(note.path)
            for name in (note.fields.name, *note.fields.aliases):
                self.by_name[link_key(name)].add(note.path)
            for name in (note.stem, note.fields.name, *note.fields.aliases):
                self.by_folded[fold(name)].add(note.path)

    def resolve(self, target: str) -> str | None:
        try:
            return self._resolved[target]
        except KeyError:
            found = self._resolved[target] = self._resolve(target)
            return found

    def _resolve(self, target: str) -> str | None:
        key = link_key(target)
        if key in self.by_path:
            return self.by_path[key]
        last = key.rsplit("/", 1)[-1]
        for table, k in ((self.by_stem, last), (self.by_name, last), (self.by_folded, fold(last))):
            found = table.get(k)
            if found:
                return next(iter(found)) if len(found) == 1 else None
        return None

    def resolve_all(self, targets: Iterable[str]) -> list[str]:
        if not targets:
            return []
        return list(dict.fromkeys(p for p in map(self.resolve, targets) if p))


def _mentioned(resolver: _Resolver, note: ParsedNote) -> list[tuple[str, str]]:
    """Each contact a dated note is with, once, with the text of its first mention."""
    found: dict[str, str] = {}
    for mention in note.mentions:
        path = resolver.resolve(mention.target)
        if path is not None:
            found.setdefault(path, mention.text)
    return list(found.items())


def _duplicate_names(contacts: list[ParsedNote]) -> list[Problem]:
    """Two contacts with the same name or alias: an error in both files."""
    owners: dict[str, dict[str, str]] = defaultdict(dict)
    for note in contacts:
        assert note.fields is not None
        for name in (note.fields.name, *note.fields.aliases):
            owners[link_key(name)].setdefault(note.path, name)
    problems = []
    for paths in owners.values():
        if len(paths) < 2:
            continue
        for path, name in paths.items():
            others = ", ".join(p for p in paths if p != path)
            problems.append(
                Problem(path, None, "error", f"name or alias `{name}` is also used by {others}")
            )
    return problems


def _lookalike_names(contacts: list[ParsedNote]) -> list[Problem]:
    """Names that print like another name (lookalike.py): a warning for a name with
    invisible characters, for two contacts whose names look the same (in both files), and
    for a word that mixes Latin with Cyrillic, Greek or Armenian letters.

    Every warning involves a name that is not plain ASCII (`Ian`/`lan` is typography), so
    the work is done for those few names; an ASCII name only has its skeleton looked up.
    """
    problems: list[Problem] = []
    foreign: list[tuple[str, str]] = []
    plain: list[tuple[str, str]] = []
    for note in contacts:
        assert note.fields is not None
        for name in dict.fromkeys((note.fields.name, *note.fields.aliases)):
            (plain if name.isascii() else foreign).append((note.path, name))
    if not foreign:
        return problems
    groups: dict[str, dict[tuple[str, str], str]] = defaultdict(dict)
    for path, name in foreign:
        hidden = lookalike.invisible_characters(name)
        if hidden:
            problems.append(
                Problem(
                    path, None, "warning",
                    f"name or alias `{name}` holds invisible characters"
                    f" ({lookalike.describe(hidden)}); it prints as"
                    f" `{lookalike.printed_as(name)}`",
                )
            )  # fmt: skip
        groups[lookalike.skeleton(name)].setdefault((path, link_key(name)), name)
    for path, name in plain:
        group = groups.get(lookalike.skeleton(name))
        if group is not None:
            group.setdefault((path, link_key(name)), name)
    paired: set[tuple[str, str]] = set()
    for group in groups.values():
        if len({path for path, _ in group}) < 2 or len({key for _, key in group}) < 2:
            continue  # one note, or one name in several notes (a duplicate, reported as such)
        for (path, key), name in group.items():
            others = [
                (other_path, other)
                for (other_path, other_key), other in group.items()
                if other_path != path and other_key != key  # the same name: a duplicate
                and not (name.isascii() and other.isascii())  # `Ian`/`lan`: typography
            ]  # fmt: skip
            if not others:
                continue
            paired.add((path, name))
            like = ", ".join(f"`{other}` ({other_path})" for other_path, other in others)
            odd = lookalike.lookalike_letters(name) + lookalike.invisible_characters(name)
            why = f"; look-alike letters: {lookalike.describe(odd)}" if odd else ""
            problems.append(
                Problem(path, None, "warning", f"name or alias `{name}` looks like {like}{why}")
            )
    for path, name in foreign:
        word = lookalike.mixed_script_word(name)
        if word is None or (path, name) in paired:
            continue
        letters = lookalike.describe(lookalike.lookalike_letters(word))
        problems.append(
            Problem(
                path, None, "warning",
                f"name or alias `{name}` mixes scripts in `{word}` ({letters});"
                f" it prints as `{lookalike.printed_as(name)}`",
            )
        )  # fmt: skip
    return problems


#: How many near-miss notes `crm check` names in a vault without contacts.
NEAR_MISSES = 20


def _near_misses(parsed: list[ParsedNote]) -> list[Problem]:
    """In a vault with no contacts, the notes that came closest and why they are not
    contacts: those in a contact folder first, then the rest by path."""
    close = sorted(
        ((n.path, n.near_miss) for n in parsed if n.near_miss and not n.skipped),
        key=lambda pair: ("in contact folder" not in pair[1], pair[0]),
    )
    out = [Problem(path, None, "warning", why) for path, why in close[:NEAR_MISSES]]
    if len(close) > NEAR_MISSES:
        more = f"and {len(close) - NEAR_MISSES} more notes like these"
        out.append(Problem(close[NEAR_MISSES][0], None, "warning", more))
    return out


def build_index(
    root: str,
    parsed: list[ParsedNote],
    config: Config,
    today: date,
    extra_problems: Iterable[Problem] = (),
) -> Index:
    """Resolve links and gather interactions and follow-ups for every contact."""
    contacts = [n for n in parsed if n.is_contact and not n.skipped and n.fields is not None]
    resolver = _Resolver(contacts)
    interactions: dict[str, list[Interaction]] = defaultdict(list)
    tasks: dict[str, list[Task]] = defaultdict(list)

    for note in parsed:
        if note.skipped:
            continue
        touched: set[tuple[str, date]] = set()
        # `touched` only matters for a dated note (its date counts once per person)
        track = bool(note.mentions)
        own = [note.path] if note.is_contact else []
        for item in note.items:
            if item.links:  # most log lines link no one: skip resolving
                who = resolver.resolve_all(item.links)
                if note.is_contact and note.path not in who:
                    who.insert(0, note.path)
            else:
                who = own
            for path in who:
                interactions[path].append(
                    Interaction(item.date, item.text, note.path, item.line, item.gave, item.got)
                )
                if track:
                    touched.add((path, item.date))
        for task in note.tasks:
            owners = [note.path] if note.is_contact else resolver.resolve_all(task.links)
            for path in owners:
                tasks[path].append(task)
        if note.mentions and note.note_date is not None:
            day = note.note_date
            for path, text in _mentioned(resolver, note):
                if (path, day) not in touched:  # a dated item that day already says it
                    interactions[path].append(Interaction(day, text, note.path, None))

    problems: list[Problem] = list(extra_problems)
    problems.extend(config.problems)
    problems.extend(_duplicate_names(contacts))
    problems.extend(_lookalike_names(contacts))
    if not contacts:
        problems.extend(_near_misses(parsed))
    result: list[Contact] = []
    for note in contacts:
        fields = note.fields
        assert fields is not None
        problems.extend(note.problems)
        if fields.last_contact and fields.last_contact > today:
            problems.append(Problem(note.path, None, "warning", "`last_contact` is in the future"))
        cadence = fields.cadence
        if cadence is None and fields.cadence_raw is None:
            if fields.circle and config.has_circle(fields.circle):
                cadence = config.circle_cadence(fields.circle)
            else:
                cadence = config.default_cadence
        result.append(
            Contact(
                path=note.path,
                fields=fields,
                cadence=cadence,
                tasks=tuple(sorted(tasks[note.path], key=lambda t: (t.path, t.line))),
                interactions=tuple(
                    sorted(interactions[note.path], key=lambda i: (i.date, i.path, i.line or 0))
                ),
            )
        )
    for note in parsed:
        if not (note.is_contact and note.fields is not None and not note.skipped):
            problems.extend(note.problems)
    result.sort(key=lambda c: (fold(c.name), c.path))
    return Index(
        root=root,
        contacts=tuple(result),
        problems=tuple(sorted(set(problems), key=Problem.sort_key)),
        notes=len(parsed),
        skipped_notes=tuple(n.path for n in parsed if n.skipped),
    )
