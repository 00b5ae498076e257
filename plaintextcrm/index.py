"""All parsed notes → the Index: contacts with every interaction and task resolved.

This is the only place that looks across files: it turns `[[Anna Rossi]]` in a daily note
into an interaction with the contact whose file, `name` or alias is "Anna Rossi", and it
reports names that two contacts claim (a link or lookup must never silently pick one).
"""

from __future__ import annotations

import unicodedata
from collections import ChainMap, defaultdict
from collections.abc import (
    Callable,
    Collection,
    Iterable,
    Mapping,
    MutableMapping,
    Sequence,
)
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from plaintextcrm import lookalike
from plaintextcrm.config import Config
from plaintextcrm.model import (
    Contact,
    ContactFields,
    Index,
    Interaction,
    ParsedNote,
    Problem,
    StoredContacts,
    Task,
)


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


#: What a contact note defines for link resolution: (path, stem, (name, *aliases)).
Definition = tuple[str, str, tuple[str, ...]]


def note_stem(path: str) -> str:
    """A note's file name without `.md`, as links spell it (NFC, as parse.py keeps it)."""
    return unicodedata.normalize("NFC", path.rsplit("/", 1)[-1][:-3])


def defines(note: ParsedNote) -> Definition | None:
    """The names a note gives a contact, or None for a note that is not an indexed contact.
    Only these decide how every link in the vault resolves."""
    if not note.is_contact or note.skipped or note.fields is None:
        return None
    return (note.path, note.stem, (note.fields.name, *note.fields.aliases))


def contact_defines(contact: Contact) -> Definition:
    """`defines` of the note a built contact came from."""
    return (contact.path, note_stem(contact.path), (contact.fields.name, *contact.fields.aliases))


class Resolver:
    """Link target → contact paths, trying the most specific reading first."""

    def __init__(self, defs: Iterable[Definition], stored: Callable[[], Any] | None = None) -> None:
        self.by_path: dict[str, str] = {}
        self.by_stem: Mapping[str, Collection[str]] = {}
        self.by_name: Mapping[str, Collection[str]] = {}
        self.by_folded: Mapping[str, Collection[str]] = {}
        self._resolved: dict[str, str | None] = {}  # each distinct target resolved once
        self._defs: Iterable[Definition] | None = defs
        self._stored = stored

    @classmethod
    def from_tables(cls, load: Callable[[], Any]) -> Resolver:
        """A resolver whose tables `load()` gives as `tables()` returned them (read from
        the index cache only when the first link is resolved)."""
        return cls((), load)

    def _tables(self) -> None:
        """Fill the tables on the first link resolved: an update whose notes link no one
        never folds every contact's names."""
        defs, self._defs = self._defs, None
        if self._stored is not None:
            # as stored: tuples where a built resolver has sets (only read, never added to)
            self.by_path, self.by_stem, self.by_name, self.by_folded = self._stored()
            self._stored = None
            return
        by_stem: dict[str, set[str]] = defaultdict(set)
        by_name: dict[str, set[str]] = defaultdict(set)
        by_folded: dict[str, set[str]] = defaultdict(set)
        for path, stem, names in defs or ():
            self.by_path[link_key(path[:-3])] = path
            by_stem[link_key(stem)].add(path)
            for name in names:
                by_name[link_key(name)].add(path)
            for name in (stem, *names):
                by_folded[fold(name)].add(path)
        self.by_stem, self.by_name, self.by_folded = by_stem, by_name, by_folded

    def tables(self) -> tuple[dict[str, Any], ...]:
        """The tables as plain dicts of str and tuples (marshal-able), for the cache."""
        if self._defs is not None or self._stored is not None:
            self._tables()
        return (
            self.by_path,
            *({k: tuple(sorted(v)) for k, v in table.items()}
              for table in (self.by_stem, self.by_name, self.by_folded)),
        )  # fmt: skip

    def resolve(self, target: str) -> str | None:
        try:
            return self._resolved[target]
        except KeyError:
            found = self._resolved[target] = self._resolve(target)
            return found

    def _resolve(self, target: str) -> str | None:
        if self._defs is not None or self._stored is not None:
            self._tables()
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


def _mentioned(resolver: Resolver, note: ParsedNote) -> list[tuple[str, str]]:
    """Each contact a dated note is with, once, with the text of its first mention."""
    found: dict[str, str] = {}
    for mention in note.mentions:
        path = resolver.resolve(mention.target)
        if path is not None:
            found.setdefault(path, mention.text)
    return list(found.items())


def _duplicate_names(contacts: list[Contact]) -> list[Problem]:
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


def _lookalike_names(contacts: list[Contact]) -> list[Problem]:
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


def _near_misses(found: Iterable[tuple[str, str]]) -> list[Problem]:
    """In a vault with no contacts, the notes that came closest (path, why not) and why
    they are not contacts: those in a contact folder first, then the rest by path."""
    close = sorted(found, key=lambda pair: ("in contact folder" not in pair[1], pair[0]))
    out = [Problem(path, None, "warning", why) for path, why in close[:NEAR_MISSES]]
    if len(close) > NEAR_MISSES:
        more = f"and {len(close) - NEAR_MISSES} more notes like these"
        out.append(Problem(close[NEAR_MISSES][0], None, "warning", more))
    return out


Contributions = tuple[tuple[tuple[str, Interaction], ...], tuple[tuple[str, Task], ...]]


def contributions(note: ParsedNote, resolver: Resolver) -> Contributions:
    """What one note adds to the contacts it is about: (contact path, interaction) and
    (contact path, task) pairs. A pure function of the note and the names contacts
    define, which is what lets an edit recompute only the contacts it touches."""
    if note.skipped:
        return (), ()
    interactions: list[tuple[str, Interaction]] = []
    tasks: list[tuple[str, Task]] = []
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
            interactions.append(
                (path, Interaction(item.date, item.text, note.path, item.line, item.gave, item.got))
            )
            if track:
                touched.add((path, item.date))
    for task in note.tasks:
        owners = [note.path] if note.is_contact else resolver.resolve_all(task.links)
        tasks.extend((path, task) for path in owners)
    if note.mentions and note.note_date is not None:
        day = note.note_date
        for path, text in _mentioned(resolver, note):
            if (path, day) not in touched:  # a dated item that day already says it
                interactions.append((path, Interaction(day, text, note.path, None)))
    return tuple(interactions), tuple(tasks)


def _interaction_order(i: Interaction) -> tuple[date, str, int]:
    return (i.date, i.path, i.line or 0)


def _task_order(t: Task) -> tuple[str, int]:
    return (t.path, t.line)


def _contact(
    path: str,
    fields: ContactFields,
    config: Config,
    interactions: Iterable[Interaction],
    tasks: Iterable[Task],
) -> Contact:
    """A contact from its fields and everything that mentions it (any order: the sort
    keys are unique, so the result does not depend on which note was read first)."""
    cadence = fields.cadence
    if cadence is None and fields.cadence_raw is None:
        if fields.circle and config.has_circle(fields.circle):
            cadence = config.circle_cadence(fields.circle)
        else:
            cadence = config.default_cadence
    return Contact(
        path=path,
        fields=fields,
        cadence=cadence,
        tasks=tuple(sorted(tasks, key=_task_order)),
        interactions=tuple(sorted(interactions, key=_interaction_order)),
    )


def name_problems(contacts: Iterable[Contact]) -> tuple[Problem, ...]:
    """Names two contacts claim, or that look alike: a function of the contacts' names
    alone, so an update that changes no name keeps them."""
    by_path = sorted(contacts, key=lambda c: c.path)  # the order their messages name them
    return (*_duplicate_names(by_path), *_lookalike_names(by_path))


def _future_last_contact(contacts: Sequence[Contact], today: date) -> list[str]:
    """The contacts whose `last_contact` is after today (read without decoding them all
    when they come from the cache)."""
    if isinstance(contacts, StoredContacts):
        found = ((p, contacts.last_contact(i)) for i, p in enumerate(contacts.paths))
        return [p for p, last in found if last and last > today]
    return [c.path for c in contacts if c.fields.last_contact and c.fields.last_contact > today]


def _problems(
    extra: Iterable[Problem],
    config: Config,
    contacts: Sequence[Contact],
    names: Iterable[Problem],
    note_problems: Iterable[Problem],
    today: date,
    near_misses: Iterable[Problem] = (),
) -> tuple[Problem, ...]:
    """Every problem of the index, sorted: the walk's and the config's, the names'
    (`name_problems`), each note's own, and a future `last_contact`."""
    problems: list[Problem] = list(extra)
    problems.extend(config.problems)
    problems.extend(names)
    problems.extend(near_misses)
    problems.extend(note_problems)
    future = "`last_contact` is in the future"
    problems.extend(
        Problem(p, None, "warning", future) for p in _future_last_contact(contacts, today)
    )
    return tuple(sorted(set(problems), key=Problem.sort_key))


def note_problems(parsed: Iterable[ParsedNote]) -> dict[str, tuple[Problem, ...]]:
    """Each note's own problems, by path (notes without any left out)."""
    return {n.path: n.problems for n in parsed if n.problems}


@dataclass(frozen=True)
class Update:
    """An index after `update_index`, with what the next update needs."""

    index: Index
    #: Each note's own problems, by path.
    note_problems: dict[str, tuple[Problem, ...]]
    #: `name_problems` of its contacts (unchanged by an update, so computed once).
    names: tuple[Problem, ...]
    #: Link resolution for its contacts' names (unchanged too: kept by watch and serve).
    resolver: Resolver
    #: Each note's path → the contacts it adds interactions or tasks to (`Touches`).
    touches: Touches


#: Note path → the paths of the contacts whose interactions or tasks it gives: what an
#: edit of that note must rebuild besides the contacts its new version names. A note
#: that gives none may be missing or map to ().
Touches = Mapping[str, tuple[str, ...]]
#: Updates layered over one table before it is flattened (`crm watch` updates forever).
_LAYERS = 16


def note_touches(contacts: Iterable[Contact]) -> dict[str, tuple[str, ...]]:
    """`Touches` read off built contacts (an index from before they were kept)."""
    found: defaultdict[str, dict[str, None]] = defaultdict(dict)
    for contact in contacts:
        for note in (*(i.path for i in contact.interactions), *(t.path for t in contact.tasks)):
            found[note][contact.path] = None
    return {note: tuple(paths) for note, paths in found.items()}


def _touched_by(contribution: Contributions) -> tuple[str, ...]:
    seen, todo = contribution
    return tuple(dict.fromkeys([*(p for p, _ in seen), *(p for p, _ in todo)]))


def build_index(
    root: str,
    parsed: list[ParsedNote],
    config: Config,
    today: date,
    extra_problems: Iterable[Problem] = (),
) -> Index:
    """Resolve links and gather interactions and follow-ups for every contact."""
    return build(root, parsed, config, today, extra_problems).index


def build(
    root: str,
    parsed: list[ParsedNote],
    config: Config,
    today: date,
    extra_problems: Iterable[Problem] = (),
    consume: bool = False,
) -> Update:
    """`build_index`, with what `update_index` needs next (an `Update`). With `consume`,
    each note is let go of (its slot in `parsed` set to None) once what it gives is
    taken: a large vault's parsed notes and its index are then never in memory whole
    at once."""
    defs = {d[0]: d for n in parsed if (d := defines(n)) is not None}
    resolver = Resolver(list(defs.values()))
    interactions: dict[str, list[Interaction]] = defaultdict(list)
    tasks: dict[str, list[Task]] = defaultdict(list)
    touches: dict[str, tuple[str, ...]] = {}
    fields: dict[str, ContactFields] = {}
    own: dict[str, tuple[Problem, ...]] = {}
    near: list[tuple[str, str]] = []
    skipped: list[str] = []
    count = len(parsed)
    for slot, note in enumerate(parsed):
        if note.path in defs and note.fields is not None:
            fields[note.path] = note.fields
        if note.problems:
            own[note.path] = note.problems
        if note.skipped:
            skipped.append(note.path)
        elif note.near_miss:
            near.append((note.path, note.near_miss))
        seen, todo = given = contributions(note, resolver)
        if seen or todo:
            touches[note.path] = _touched_by(given)
        for path, interaction in seen:
            interactions[path].append(interaction)
        for path, task in todo:
            tasks[path].append(task)
        if consume:
            cast(list[ParsedNote | None], parsed)[slot] = None
    result = [
        _contact(path, f, config, interactions.pop(path, ()), tasks.pop(path, ()))
        for path, f in fields.items()
    ]
    result.sort(key=lambda c: (fold(c.name), c.path))
    names = name_problems(result)
    every = [p for ps in own.values() for p in ps]
    index = Index(
        root=root,
        contacts=tuple(result),
        problems=_problems(
            extra_problems,
            config,
            result,
            names,
            every,
            today,
            _near_misses(near) if not fields else (),
        ),
        notes=count,
        skipped_notes=tuple(skipped),
    )
    return Update(index, own, names, resolver, touches)


def update_index(
    old: Index,
    old_problems: dict[str, tuple[Problem, ...]],
    old_names: tuple[Problem, ...] | None,
    gone: set[str],
    fresh: list[ParsedNote],
    config: Config,
    today: date,
    extra_problems: Iterable[Problem] = (),
    resolver: Resolver | None = None,
    touches: Touches | None = None,
) -> Update | None:
    """`old` (built by `build_index` with `old_problems` as its notes' own problems and
    `old_names` its `name_problems`, None if not known yet; `resolver` the one an earlier
    update returned, if kept) after the notes at `gone`
    were deleted or changed and the notes `fresh` (their new versions, and new notes)
    were read; None when the edit changes what a contact is called (a new, deleted or
    renamed contact, a changed name or alias): then links may resolve differently
    anywhere, and the caller builds the index from scratch.

    Only the contacts the old and new versions of these notes touch are built again;
    every other contact is the old object, unchanged, and so are the names' problems.
    """
    if not old.contacts:
        return None  # near misses depend on every note
    stored = old.contacts if isinstance(old.contacts, StoredContacts) else None
    paths = stored.paths if stored is not None else tuple(c.path for c in old.contacts)
    position = {path: i for i, path in enumerate(paths)}
    new_defs = {d[0]: d for n in fresh if (d := defines(n)) is not None}
    for path in gone | new_defs.keys():
        i = position.get(path)
        was = old.contacts[i] if i is not None else None
        if (was and contact_defines(was)) != new_defs.get(path):
            return None
    if resolver is None:
        resolver = Resolver(list(map(contact_defines, old.contacts)))
    old_touches = note_touches(old.contacts) if touches is None else touches
    if isinstance(old_touches, ChainMap) and len(old_touches.maps) > _LAYERS:
        old_touches = dict(old_touches)
    changed_touches: dict[str, tuple[str, ...]] = dict.fromkeys(gone, ())
    added: defaultdict[str, tuple[list[Interaction], list[Task]]] = defaultdict(lambda: ([], []))
    touched: set[str] = set()
    for path in gone:  # the contacts an old version of these notes touched
        touched.update(old_touches.get(path, ()))
    for note in fresh:
        note_seen, note_todo = given = contributions(note, resolver)
        changed_touches[note.path] = _touched_by(given)
        for path, interaction in note_seen:
            added[path][0].append(interaction)
        for path, task in note_todo:
            added[path][1].append(task)
    fields = {n.path: n.fields for n in fresh if n.path in new_defs}
    touched |= set(added) | set(fields)
    rebuilt: dict[int, Contact] = {}
    for path in touched:
        seen, todo = added.get(path, ([], []))
        at = position[path]
        was = old.contacts[at]
        rebuilt[at] = _contact(
            path,
            fields.get(path) or was.fields,
            config,
            [*(i for i in was.interactions if i.path not in gone), *seen],
            [*(t for t in was.tasks if t.path not in gone), *todo],
        )
    result: Sequence[Contact]  # names unchanged: order unchanged
    if stored is not None:
        result = stored.replaced(rebuilt)
    else:
        result = tuple(rebuilt.get(i, c) for i, c in enumerate(old.contacts))
    problems = {p: v for p, v in old_problems.items() if p not in gone}
    problems.update(note_problems(fresh))
    new_paths = {n.path for n in fresh}
    removed = gone - new_paths
    skipped = (set(old.skipped_notes) - gone) | {n.path for n in fresh if n.skipped}
    own = [p for v in problems.values() for p in v]
    names = name_problems(old.contacts) if old_names is None else old_names
    index = Index(
        root=old.root,
        contacts=result,
        problems=_problems(extra_problems, config, result, names, own, today),
        notes=old.notes - len(removed) + len(new_paths - gone),
        skipped_notes=tuple(sorted(skipped)),
    )
    # only read through: the stored table (`indexfile._Buckets`) is a read-only mapping
    under = old_touches.maps if isinstance(old_touches, ChainMap) else [old_touches]
    layered = ChainMap(changed_touches, *cast(list[MutableMapping[str, tuple[str, ...]]], under))
    return Update(index, problems, names, resolver, layered)
