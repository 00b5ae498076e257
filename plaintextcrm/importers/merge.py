"""Deciding what an import does to the vault (`plan_import`, pure) and doing it
(`apply_plan`, through the one safe writer).

Matching: a record is the contact that shares an email address with it; failing that, a
phone number (compared in E.164 form, numbers without a country code read in
`default_region`); failing that, the exact name or alias. An email or phone only counts
when the names agree too (`names_agree`): a household landline, a switchboard or a shared
office address is not a person, so a card that shares one with a differently named
contact is a `Conflict` — a separate note by default, or skipped with
`on_conflict="skip"`. Records also match each other,
so a person who appears twice in one file, or in two files of one import, becomes one
note. A merge only adds what the note lacks — a missing email, phone, tag, birthday,
company — and never replaces a value the user wrote; a note that already has everything
is left byte for byte alone, which is what makes importing the same file twice a no-op.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plaintextcrm.dates import DateValueError, parse_yearly
from plaintextcrm.errors import CrmError
from plaintextcrm.importers.record import (
    FRONT_MATTER_BUDGET,
    MAX_NOTE,
    MAX_VALUES,
    ImportRecord,
    Skipped,
    unique,
    yaml_cost,
)
from plaintextcrm.index import fold, link_key
from plaintextcrm.model import Contact, ContactFields, Index

#: Front matter keys that hold one value, in the order a new note lists them.
SCALAR_KEYS = ("birthday", "company", "role", "location", "url", "linkedin", "met")
#: Front matter keys that hold lists.
LIST_KEYS = ("aliases", "emails", "phones", "dates", "tags")
#: Where a list lands in an existing note: the key the note already uses wins.
KEY_CHOICES = {"emails": ("email", "emails"), "phones": ("phone", "phones")}
#: One email or phone is written `email: x`; several, as the list `emails:`.
SINGULAR = {
    "emails": "email", "phones": "phone", "aliases": "alias", "dates": "date", "tags": "tag",
}  # fmt: skip


@dataclass(frozen=True)
class Addition:
    """One value a merge adds to an existing note's front matter."""

    key: str
    value: str

    @property
    def is_list(self) -> bool:
        return self.key in LIST_KEYS

    def describe(self) -> str:
        return f"+{SINGULAR.get(self.key, self.key)} {self.value}"


@dataclass(frozen=True)
class NewContact:
    """A note to create: vault-relative path, front matter values, body text."""

    path: str
    name: str
    fields: tuple[tuple[str, str | tuple[str, ...]], ...]
    body: str
    origins: tuple[str, ...]

    def field_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.fields}


@dataclass(frozen=True)
class Merge:
    """Values to add to an existing note, and values kept although the import differs.
    `matched`: (the record's name, how it matched: `email a@x`, `phone +39…`, `name`)."""

    path: str
    name: str
    additions: tuple[Addition, ...]
    kept: tuple[str, ...]
    origins: tuple[str, ...]
    matched: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Unchanged:
    """A contact the import adds nothing to; `kept` as in `Merge` (values it differs on)."""

    path: str
    name: str
    origins: tuple[str, ...]
    matched: tuple[tuple[str, str], ...] = ()
    kept: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conflict:
    """A record that shares an email or phone with a contact of another name: `created` is
    the separate note made for it, or None when it was skipped."""

    name: str
    origin: str
    key: str  # "email" or "phone"
    value: str
    other_name: str
    other_path: str
    created: str | None

    def describe(self, dry_run: bool = False) -> str:
        head = (
            f"{self.name} (import) shares {self.key} {self.value} with {self.other_name} "
            f"({self.other_path}) but not a name"
        )
        if self.created is None:
            return f"{head}: skipped (--on-conflict skip)"
        return f"{head}: {'would create' if dry_run else 'created'} {self.created}"


@dataclass(frozen=True)
class Plan:
    """Everything an import would do, in the order the records came."""

    new: tuple[NewContact, ...] = ()
    merged: tuple[Merge, ...] = ()
    unchanged: tuple[Unchanged, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    notices: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()

    def summary(self) -> str:
        text = (
            f"{len(self.new)} new, {len(self.merged)} merged, {len(self.unchanged)} unchanged, "
            f"{len(self.skipped)} skipped"
        )
        if self.conflicts:
            n = len(self.conflicts)
            text += f", {n} conflict{'s' if n != 1 else ''}"
        return text

    @property
    def writes(self) -> int:
        return len(self.new) + len(self.merged)


# --- matching keys ---------------------------------------------------------------------


def email_key(address: str) -> str:
    return address.strip().casefold()


def phone_key(number: str, region: str | None) -> str:
    """E.164 when `phonenumbers` can read the number; else its digits (and a leading +),
    so that two spellings of one number still meet."""
    from plaintextcrm.phones import dialable

    dialed, known = dialable(number, region)
    return dialed if known else "digits:" + dialed


def name_key(name: str) -> str:
    return " ".join(link_key(name).split())


def name_tokens(name: str) -> tuple[str, ...]:
    """The words of a name, case- and accent-folded: `Nicolò De Luca` → nicolo, de, luca."""
    return tuple(re.findall(r"[^\W_]+", fold(name)))


def _same_name(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two names of one person: all the words of one are in the other (`Anna` and `Anna
    Rossi`, `Rossi Anna`), or the same given name (`Anna Rossi`, married `Anna Bianchi`),
    or an initial and the surname (`A. Rossi`). Sharing only the family name does not
    count: that is a household."""
    if not a or not b:
        return False
    if set(a) <= set(b) or set(b) <= set(a):
        return True
    if a[0] == b[0]:
        return True
    initial = (len(a[0]) == 1 and b[0].startswith(a[0])) or (
        len(b[0]) == 1 and a[0].startswith(b[0])
    )
    return initial and len(a) > 1 and len(b) > 1 and a[-1] == b[-1]


def names_agree(ours: Iterable[str], theirs: Iterable[str]) -> bool:
    """Whether any name or alias of one side is a name of the other (see `_same_name`)."""
    a = {name_tokens(n) for n in ours if n}
    b = {name_tokens(n) for n in theirs if n}
    if a & b:
        return True
    return any(_same_name(x, y) for x in a for y in b)


def _date_key(entry: str) -> tuple[int, int, str] | None:
    head, _, label = entry.strip().partition(" ")
    try:
        y = parse_yearly(head, label.strip())
    except DateValueError:
        return None
    return (y.month, y.day, y.label.casefold())


# --- planning --------------------------------------------------------------------------


@dataclass(eq=False)  # identity: two people with the same values are still two people
class _Target:
    """A contact as the plan sees it: what it has now, plus what the plan adds."""

    name: str
    path: str
    existing: bool
    scalars: dict[str, str | None] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    list_keys: dict[str, set] = field(default_factory=lambda: defaultdict(set))
    additions: list[Addition] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra_urls: list[str] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # name, file name, aliases
    matched: list[tuple[str, str]] = field(default_factory=list)
    spent: int = 0  # front matter bytes of its values (see FRONT_MATTER_BUDGET)
    dropped: int = 0  # values left out to stay within those bounds


@dataclass
class _Match:
    target: _Target | None = None
    how: str = ""
    problem: str | None = None
    conflict: tuple[str, str, _Target] | None = None  # key, value, the other contact


class _Planner:
    def __init__(self, index: Index, region: str | None, folder: str, taken: Iterable[str],
                 filename: Callable[[str], str]) -> None:  # fmt: skip
        self.region = region
        self.folder = folder.strip("/")
        self.filename = filename
        self.taken = {p.casefold() for p in taken} | {c.path.casefold() for c in index.contacts}
        self.targets: list[_Target] = []
        self.by_email: dict[str, list[_Target]] = defaultdict(list)
        self.by_phone: dict[str, list[_Target]] = defaultdict(list)
        self.by_name: dict[str, list[_Target]] = defaultdict(list)
        for contact in index.contacts:
            self._add_existing(contact)

    # keys that say "these are the same value" for each list
    def _key(self, key: str, value: str) -> Any:
        if key == "emails":
            return email_key(value)
        if key == "phones":
            return phone_key(value, self.region)
        if key == "dates":
            return _date_key(value) or value.casefold()
        if key == "aliases":
            return name_key(value)
        return value.lstrip("#").casefold()

    def _register(self, target: _Target, key: str, value: str) -> None:
        k = self._key(key, value)
        target.spent += yaml_cost(value)
        target.list_keys[key].add(k)
        target.lists[key].append(value)
        table = {"emails": self.by_email, "phones": self.by_phone, "aliases": self.by_name}.get(key)
        if table is not None and target not in table[k]:
            table[k].append(target)
        if key == "aliases":
            target.names.append(value)

    def _add_existing(self, contact: Contact) -> None:
        f: ContactFields = contact.fields
        stem = contact.path.rsplit("/", 1)[-1][:-3]
        target = _Target(name=f.name, path=contact.path, existing=True, names=[f.name, stem])
        target.scalars = {
            "birthday": f.birthday_raw or (f.birthday.raw if f.birthday else None),
            "company": f.company, "role": f.role, "location": f.location, "url": f.url,
            "linkedin": f.linkedin, "met": f.met,
        }  # fmt: skip
        target.spent = sum(yaml_cost(v) for v in target.scalars.values() if v)
        for value in f.emails:
            self._register(target, "emails", value)
        for value in f.phones:
            self._register(target, "phones", value)
        for value in f.tags:
            self._register(target, "tags", value)
        for y in f.dates:
            target.list_keys["dates"].add((y.month, y.day, y.label.casefold()))
        for value in f.aliases:
            self._register(target, "aliases", value)
        for value in {name_key(f.name), name_key(stem)}:
            if target not in self.by_name[value]:
                self.by_name[value].append(target)
        self.targets.append(target)

    def match(self, record: ImportRecord) -> _Match:
        """The one target this record is, how it matched, or why it cannot be decided.

        An email or phone in common only counts when the names agree; one shared with a
        contact of another name is remembered as the conflict, and the next key (then the
        name) is tried."""
        ours = [record.name, *record.aliases]
        conflict: tuple[str, str, _Target] | None = None
        tables = (
            ("email", self.by_email, [(email_key(e), e) for e in record.emails]),
            ("phone", self.by_phone, [(phone_key(p, self.region), p) for p in record.phones]),
        )
        for what, table, keys in tables:
            found: dict[_Target, str] = {}
            for k, value in keys:
                for target in table.get(k, ()):
                    found.setdefault(target, value)
            agreeing = [t for t in found if names_agree(ours, t.names)]
            if len(agreeing) == 1:
                return _Match(agreeing[0], f"{what} {found[agreeing[0]]}")
            if len(agreeing) > 1:
                names = ", ".join(f"{t.name} ({t.path})" for t in agreeing)
                return _Match(problem=f"its {what} matches several contacts: {names}")
            if found and conflict is None:
                other = next(iter(found))
                conflict = (what, found[other], other)
        by_name = self.by_name.get(name_key(record.name), ())
        if len(by_name) == 1:
            target = by_name[0]
            stem = target.path.rsplit("/", 1)[-1].removesuffix(".md")
            exact = name_key(record.name) in {name_key(target.name), name_key(stem)}
            return _Match(target, "name" if exact else "alias", conflict=conflict)
        if len(by_name) > 1:
            names = ", ".join(f"{t.name} ({t.path})" for t in by_name)
            return _Match(problem=f"its name matches several contacts: {names}")
        return _Match(conflict=conflict)

    def new_target(self, record: ImportRecord) -> _Target:
        stem = self.filename(record.name)
        path = f"{self.folder}/{stem}.md" if self.folder else f"{stem}.md"
        number = 2
        while path.casefold() in self.taken:
            path = f"{self.folder}/{stem} {number}.md" if self.folder else f"{stem} {number}.md"
            number += 1
        self.taken.add(path.casefold())
        target = _Target(name=record.name, path=path, existing=False, names=[record.name])
        target.scalars = dict.fromkeys(SCALAR_KEYS)
        self.by_name[name_key(record.name)].append(target)
        self.targets.append(target)
        return target

    def merge(self, target: _Target, record: ImportRecord) -> None:
        target.origins.append(record.origin)
        lists = {
            "emails": record.emails,
            "phones": record.phones,
            "aliases": tuple(a for a in record.aliases if self._alias_free(a, target)),
            "dates": record.dates,
            "tags": record.tags,
        }
        for key in LIST_KEYS:
            for value in lists[key]:
                if self._key(key, value) in target.list_keys[key]:
                    continue
                if not self._afford(target, value, key):
                    continue
                self._register(target, key, value)
                if target.existing:
                    target.additions.append(Addition(key, value))
        urls = list(record.urls)
        scalars = {
            "birthday": record.birthday, "company": record.company, "role": record.role,
            "location": record.address, "url": urls[0] if urls else None,
            "linkedin": record.linkedin, "met": record.met,
        }  # fmt: skip
        for key in SCALAR_KEYS:
            scalar = scalars[key]
            if not scalar:
                continue
            have = target.scalars.get(key)
            if have is None:
                if not self._afford(target, scalar):
                    continue
                target.spent += yaml_cost(scalar)
                target.scalars[key] = scalar
                if target.existing:
                    target.additions.append(Addition(key, scalar))
            elif have.strip().casefold() != scalar.strip().casefold() and target.existing:
                target.kept.append(f"{key} {have!r} (import: {scalar!r})")
            elif have != scalar and key == "url" and not target.existing:
                target.extra_urls.append(scalar)
        if not target.existing:  # the body: bounded however many cards make this person
            room = MAX_VALUES - len(target.extra_urls)
            target.extra_urls.extend(u for u in urls[1:room] if u not in target.extra_urls)
            size = sum(map(len, target.notes))
            if record.note and record.note not in target.notes and size < 4 * MAX_NOTE:
                target.notes.append(record.note)

    def _afford(self, target: _Target, value: str, key: str | None = None) -> bool:
        """Whether an import may still add `value` to `target`: a list that holds
        MAX_VALUES values, or a note whose values take FRONT_MATTER_BUDGET bytes, gets no
        more (so the note stays readable however many cards merge into it, and the next
        import of the same file adds nothing either); counts what it refuses."""
        cost = yaml_cost(value)
        full = key is not None and len(target.list_keys[key]) >= MAX_VALUES
        if full or target.spent + cost > FRONT_MATTER_BUDGET:
            target.dropped += 1
            return False
        return True

    def _alias_free(self, alias: str, target: _Target) -> bool:
        """An alias that another contact already answers to would make lookups ambiguous."""
        key = name_key(alias)
        if key == name_key(target.name):
            return False
        return all(t is target for t in self.by_name.get(key, ()))


def plan_import(
    index: Index,
    records: Iterable[ImportRecord],
    region: str | None = None,
    *,
    folder: str = "People",
    taken: Iterable[str] = (),
    filename: Callable[[str], str] | None = None,
    skipped: Iterable[Skipped] = (),
    notices: Iterable[str] = (),
    created: str | None = None,
    on_conflict: str = "create",
) -> Plan:
    """What importing `records` into the vault of `index` would do. Pure: reads nothing,
    writes nothing. `taken` lists vault-relative paths that exist but are not contacts,
    so a new note never lands on them; `filename` turns a name into a safe file stem.
    `created` (the import's day) is written into each new note: a never-contacted
    person's cadence counts from it, so an import does not make everyone due today.
    `on_conflict`: "create" (a separate note) or "skip" for a record that shares an email
    or phone with a contact of another name."""
    planner = _Planner(index, region, folder, taken, filename or _default_filename)
    skips = list(skipped)
    touched: dict[int, _Target] = {}
    conflicts: list[Conflict] = []
    for record in records:
        found = planner.match(record)
        if found.problem:
            skips.append(Skipped(record.origin, found.problem, record.name))
            continue
        target = found.target
        if target is None:
            if found.conflict and on_conflict == "skip":
                key, value, other = found.conflict
                conflicts.append(
                    Conflict(record.name, record.origin, key, value, other.name, other.path, None)
                )
                continue
            try:
                target = planner.new_target(record)
            except CrmError as exc:
                skips.append(Skipped(record.origin, exc.message, record.name))
                continue
            if found.conflict:
                key, value, other = found.conflict
                conflicts.append(
                    Conflict(
                        record.name, record.origin, key, value, other.name, other.path, target.path
                    )
                )
        elif target.existing:
            target.matched.append((record.name, found.how))
        planner.merge(target, record)
        touched.setdefault(id(target), target)
    new, merged, unchanged = [], [], []
    extra: list[str] = []
    for target in touched.values():
        if target.dropped:
            extra.append(
                f"{target.path}: {target.dropped:,} values not added (an import fills a note "
                f"up to {MAX_VALUES} of one kind and {FRONT_MATTER_BUDGET // 1024} KiB of values)"
            )
        origins = tuple(unique(target.origins, key=str))
        if not target.existing:
            new.append(_new_contact(target, origins, typed=not planner.folder, created=created))
        elif target.additions:
            merged.append(
                Merge(
                    target.path,
                    target.name,
                    tuple(target.additions),
                    tuple(target.kept),
                    origins,
                    tuple(dict.fromkeys(target.matched)),
                )
            )
        else:
            matched = tuple(dict.fromkeys(target.matched))
            kept = tuple(target.kept)
            unchanged.append(Unchanged(target.path, target.name, origins, matched, kept))
    return Plan(
        tuple(new),
        tuple(merged),
        tuple(unchanged),
        tuple(skips),
        (*notices, *extra),
        tuple(conflicts),
    )


def _new_contact(
    target: _Target, origins: tuple[str, ...], typed: bool, created: str | None = None
) -> NewContact:
    """`typed`: no contact folder is configured, so `type: person` is what makes the new
    note a contact (and what lets the next import find it again)."""
    fields: list[tuple[str, str | tuple[str, ...]]] = [("type", "person")] if typed else []
    for key in ("aliases", "birthday", "dates", "emails", "phones", "company", "role",
                "location", "url", "linkedin", "met", "tags"):  # fmt: skip
        if key in LIST_KEYS:
            values = tuple(target.lists.get(key, ()))
            if len(values) == 1 and key in KEY_CHOICES:
                fields.append((SINGULAR[key], values[0]))
            elif values:
                fields.append((key, values))
        elif target.scalars.get(key):
            fields.append((key, str(target.scalars[key])))
        if key == "met" and created:
            fields.append(("created", created))
    body_parts = list(target.notes)
    if target.extra_urls:
        body_parts.append("\n".join(f"- {u}" for u in unique(target.extra_urls, key=str)))
    return NewContact(target.path, target.name, tuple(fields), "\n\n".join(body_parts), origins)


def _default_filename(name: str) -> str:
    """A stand-in for the writer's `safe_filename` in pure planning tests."""
    stem = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', " ", name)
    stem = " ".join(stem.split()).strip(" .")
    return stem[:120] or "Unnamed"


# --- applying --------------------------------------------------------------------------


def _target_key(keys: set[str], key: str) -> str:
    """The note's own key for field `key`: `email`/`emails` as crm writes them, else any
    key the reader takes for that field (`Phone Number`, `E-mail`, `TEL[CELL]`), so a
    value joins the list the note already has instead of starting a second key."""
    choices = KEY_CHOICES.get(key) or (("alias", "aliases") if key == "aliases" else (key,))
    for choice in choices:
        if choice in keys:
            return choice
    from plaintextcrm.fields import is_typed, normalise, table

    fields = table()
    for written in sorted(keys):
        if not is_typed(written) and fields.get(normalise(written)) == key:
            return written
    return key


def merge_edit(additions: Iterable[Addition]) -> Callable[[bytes], bytes]:
    """The edit (note bytes → note bytes) that adds `additions`; decided on the bytes it
    is given, so a re-applied edit after a concurrent change still picks the right key."""
    additions = tuple(additions)
    counts: dict[str, int] = defaultdict(int)
    for addition in additions:
        counts[addition.key] += 1

    def edit(data: bytes) -> bytes:
        from plaintextcrm.edit import (
            add_front_matter_list_item,
            front_matter_keys,
            set_front_matter_value,
        )

        for addition in additions:
            keys = front_matter_keys(data)  # where the writer finds them, as the reader does
            key = _target_key(keys, addition.key)
            single = addition.key in KEY_CHOICES and counts[addition.key] == 1
            if single and key not in keys:
                data = set_front_matter_value(
                    data, SINGULAR[addition.key], addition.value, overwrite=False
                )
            elif addition.is_list:
                data = add_front_matter_list_item(
                    data, _target_key(keys, addition.key), addition.value
                )
            else:
                data = set_front_matter_value(data, addition.key, addition.value, overwrite=False)
        return data

    return edit


def note_text(new: NewContact, template_dirs: Iterable[Path] = ()) -> str:
    """The new note's text from the person template; `name` is written only when the file
    name cannot say it (characters a file name may not hold, or a `Name 2.md`)."""
    from plaintextcrm.render.person import render_person

    fields = new.field_dict()
    stem = new.path.rsplit("/", 1)[-1][:-3]
    if stem != new.name:
        fields = {"name": new.name, **fields}
    return render_person(new.name, fields, new.body or None, list(template_dirs))


def _within_limit(edit: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    """`edit`, refused when it would grow the front matter past what the reader accepts
    (the values would be written and then never read)."""
    from plaintextcrm.parse import MAX_FRONT_MATTER

    def guarded(data: bytes) -> bytes:
        out = edit(data)
        if len(out) > MAX_FRONT_MATTER:
            end = out.find(b"\n---", 3)
            if end < 0 or end > MAX_FRONT_MATTER:
                raise CrmError(
                    f"the front matter would grow past {MAX_FRONT_MATTER // 1024} KiB, which "
                    "crm no longer reads; nothing added"
                )
        return out

    return guarded


def apply_plan(
    root: Path,
    plan: Plan,
    *,
    template_dirs: Iterable[Path] = (),
    progress: Callable[[int], Any] | None = None,
) -> list[tuple[str, str]]:
    """Write the plan: create new notes, add to merged ones. A note that cannot be written
    (read-only, changed meanwhile, a front matter style the writer will not touch) is
    reported as (path, reason) and the rest of the import goes on."""
    from plaintextcrm.writefile import create_note, write_note

    template_dirs = list(template_dirs)
    failures: list[tuple[str, str]] = []
    for new in plan.new:
        try:
            create_note(root, new.path, note_text(new, template_dirs).encode("utf-8"))
        except CrmError as exc:
            failures.append((new.path, exc.message))
        if progress:
            progress(1)
    for merge in plan.merged:
        try:
            write_note(root / merge.path, _within_limit(merge_edit(merge.additions)), vault=root)
        except CrmError as exc:
            failures.append((merge.path, exc.message))
        if progress:
            progress(1)
    return failures
