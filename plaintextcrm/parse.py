"""One note's bytes → a ParsedNote and its problems, never an exception.

The front matter is composed with PyYAML's C parser but never *constructed*: we walk the
node tree ourselves. That one decision removes a family of bugs users hit with naive
loaders — `1990-02-30` raising ValueError, `phone: 0123` becoming 83, `12:34:56` becoming
45296, `!!python/object` tags, alias bombs that expand to gigabytes — because every scalar
stays the text the user typed, and we count nodes as we walk.

The result depends on this file and the config alone, so it can be cached per file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple
from urllib.parse import unquote

import yaml

from plaintextcrm import fields as keys
from plaintextcrm import yamlfast
from plaintextcrm.config import Config
from plaintextcrm.dates import (
    MONTHS,
    WEEKDAYS,
    DateValueError,
    as_date,
    parse_cadence,
    parse_iso,
    parse_yearly,
)
from plaintextcrm.model import (
    ContactFields,
    DatedItem,
    Level,
    Mention,
    ParsedNote,
    Problem,
    Task,
    TaskStatus,
    YearlyDate,
)
from plaintextcrm.syntax import (
    CALLOUT,
    DATE_START,
    FENCE,
    FIELD_LINE,
    GAVE_TAG,
    GOT_TAG,
    HEADING,
    INLINE_FIELD,
    LEADING_DATE,
    LIST_ITEM,
    LIST_START,
    MDLINK,
    QUOTE,
    TASK,
    WIKILINK,
    due_in_task,
    fence_after,
    front_matter_kind,
    front_matter_span,
    heading_text,
    leading_date,
    list_item,
    split_lines,
    task_box,
)
from plaintextcrm.wikilinks import display_text

try:  # libyaml's parser: the same readings, several times faster
    from yaml import CSafeLoader as YamlLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as YamlLoader  # type: ignore[assignment]
#: The one YAML loader of the project: what a note's front matter means is decided once,
#: so the editor (edit.py) and the merge driver (gitmerge.py) read it as the index does.
_Loader = YamlLoader

#: Front matter larger than this is not metadata; refusing it keeps memory bounded.
MAX_FRONT_MATTER = 256 * 1024
#: Nodes walked in one front matter, counting every alias expansion.
MAX_NODES = 20_000

_NULL_TAG = "tag:yaml.org,2002:null"
#: The tags of YAML's core and its common types; anything else (`!!python/object`) is refused.
_SAFE_TAGS = frozenset(
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "binary",
              "set", "omap", "pairs", "merge", "value")
) | {"!", "?"}  # fmt: skip

_DATE_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})")
#: An unrendered template placeholder: `{{date}}`, `{{date:YYYY-MM-DD}}`, `{{VALUE}}`,
#: `<% tp.date.now() %>`. A name must follow `{{`, so `{{ 7*7 }}` in prose is text.
_PLACEHOLDER = re.compile(r"\{\{[ \t]*[A-Za-z_]\w*(?:[ \t]*[:.|][^{}\n]*)?[ \t]*\}\}|<%.*?%>")
#: A body hashtag that makes a note a contact: `#person`, `#People`, `#people/friends`.
_PERSON_HASHTAG = re.compile(
    r"(?<![\w#&/`])#(?:person|people|contact)(?:/[\w\-/]*)?(?![\w\-/])", re.IGNORECASE
)
#: A leading date and the text after it, for `follow_up: 2026-12-01 ask about the move`.
_DATED_TEXT = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?)?(?:\s+(.*))?", re.S)
#: A date anywhere in a file name: `2022-10-10_0937`, `Meeting - 2024-06-18 2100`, and
#: Logseq's journal names `2026_10_14`.
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})([-_.])(\d{2})\2(\d{2})(?!\d)")
#: A time of day right after that date (`_0937`, ` 2100`, `T09.37`): no words for a reader.
_NAME_TIME = re.compile(r"[ _T-]?\d{2}[:.h]?\d{2}(?:[:.]?\d{2})?(?!\d)")
#: Where a sentence ends: `.`, `!`, `?` or `…`, closing quotes or brackets, then a space.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)]*\s+")
#: Words that say no more than the date or the names next to them (`# Monday, October
#: 14th 2026`, `Daily note 2026-10-14`, `[[Anna]] and [[Bo]]`): a title or a sentence made
#: only of these says nothing about what happened.
_FILLER_WORDS = MONTHS.keys() | WEEKDAYS | {
    "st", "nd", "rd", "th", "of", "the", "on", "at", "am", "pm", "week", "w", "kw", "q",
    "day", "daily", "note", "notes", "journal", "log", "diary", "entry", "today",
    "and", "with", "or", "cc",
}  # fmt: skip
#: The longest interaction text taken from a note's prose; a sentence is rarely longer.
MAX_TEXT = 200
#: Front matter that makes a non-contact note a task note (after key normalisation).
DUE_KEYS = ("due", "due_date", "deadline")
#: `status` values of a task note that is no longer open.
_FINISHED: dict[str, TaskStatus] = {
    **dict.fromkeys(("done", "complete", "completed", "closed", "resolved", "archived"), "done"),
    **dict.fromkeys(("cancelled", "canceled"), "cancelled"),
}
_CONFLICT = re.compile(
    r"^(?P<base>.+?)(?: \((?:conflict|conflicted copy|[^()]*'s conflicted copy)[^()]*\)"
    r"|\.sync-conflict-\d{8}-\d{6}-\w+)$",
    re.IGNORECASE,
)


@dataclass
class _Notes:
    """Problems collected while parsing one file."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, line: int | None, level: Level, message: str) -> None:
        self.problems.append(Problem(self.path, line, level, message))


class _TooBig(Exception):
    pass


class _BadTag(Exception):
    def __init__(self, node: yaml.Node) -> None:
        super().__init__(node.tag)
        self.node = node


def parse_note(rel: str, data: bytes, config: Config) -> ParsedNote:
    """Parse one note. `rel` is its vault-relative path with `/`."""
    notes = _Notes(rel)
    stem = unicodedata.normalize("NFC", rel.rsplit("/", 1)[-1][:-3])
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        notes.add(line, "error", "binary file (contains NUL bytes); skipped")
        return _skipped(rel, stem, notes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        notes.add(line, "error", f"not UTF-8 text (byte 0x{data[exc.start]:02x}); skipped")
        return _skipped(rel, stem, notes)
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = split_lines(text)

    meta, body_start = _front_matter(lines, notes)
    if meta.template or (("{{" in stem or "<%" in stem) and _PLACEHOLDER.search(stem)):
        return ParsedNote(rel, stem, False, None, None, (), (), (), ())  # never a note
    conflict = _CONFLICT.match(stem)
    if conflict:
        base = conflict["base"]
        notes.add(None, "warning", f"looks like a sync conflict copy of `{base}.md`")

    inline = page_fields(lines, body_start) if "::" in text else []
    found = _Keys.read(meta, inline, config)
    is_contact, near_miss = _classify(rel, stem, found, lines, body_start, text, config)
    fields = _contact_fields(found, stem, config, notes) if is_contact else None
    _suggest_keys(found, is_contact, config, notes)
    page = meta.with_inline(inline)
    note_date, name_text = (None, stem) if is_contact else _note_date(rel, stem, page, config)
    body = _scan_body(lines, body_start, rel, notes, is_contact, note_date is not None)
    fm_links = _front_matter_links(meta)
    links = tuple(dict.fromkeys((*fm_links, *body.links)))
    task_note = None if is_contact else _task_note(rel, page, body, stem, links, notes)
    mentions: tuple[Mention, ...] = ()
    if note_date is not None and task_note is None:
        mentions = _mentions(rel, page, lines, body, fm_links, name_text)
    return ParsedNote(
        path=rel,
        stem=stem,
        is_contact=is_contact,
        fields=fields,
        note_date=note_date,
        links=links,
        items=tuple(body.items),
        tasks=(*body.tasks, task_note) if task_note else tuple(body.tasks),
        problems=tuple(notes.problems),
        near_miss=near_miss,
        mentions=mentions,
    )


def key_report(data: bytes, config: Config) -> tuple[list[tuple[str, str]], list[str]]:
    """What a note's keys mean, for `crm init`'s report on an existing vault: (key as
    written, field) for each key that gives a field, and the values of its type-like
    keys (`type: crm-contact` → `crm-contact`). Problems are not reported here."""
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    lines = split_lines(text)
    meta, start = _front_matter(lines, _Notes(""))
    found = _Keys.read(meta, page_fields(lines, start) if "::" in text else [], config)
    spellings = [(e.key, name) for name, entries in found.fields.items() for e in entries]
    return spellings, [w for _, w in found.type_words()]


def _skipped(rel: str, stem: str, notes: _Notes) -> ParsedNote:
    return ParsedNote(rel, stem, False, None, None, (), (), (), tuple(notes.problems), True)


def _key_for(meta: _Meta, names: tuple[str, ...]) -> str | None:
    """The front matter key, as written, of the first of `names` the note has.

    The one lookup the body rules use for the keys they read (`due`, `status`, `title`,
    `date`...), so that it can become the general key normalisation in one place.
    """
    written = {keys.normalise(key): key for key in reversed(meta.values)}
    return next((written[n] for n in names if n in written), None)


# --- front matter -------------------------------------------------------------------


@dataclass
class _Meta:
    """Front matter values as plain Python (str/list/dict/None) plus each key's line."""

    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    #: It holds unrendered placeholders (`{{date}}`): a template, never a note.
    template: bool = False

    def line(self, key: str) -> int | None:
        return self.lines.get(key)

    def with_inline(self, inline: list[InlineField]) -> _Meta:
        """The page's fields: front matter, plus its inline `key:: value` lines for the
        keys front matter does not give (front matter wins), so a meeting note's
        `summary::` or a task note's `due::` reads like its front matter twin."""
        if not inline:
            return self
        given = {keys.normalise(k) for k in self.values}
        values, lines = dict(self.values), dict(self.lines)
        for f in inline:
            if f.key not in given:
                given.add(f.key)
                values[f.raw_key], lines[f.raw_key] = f.value, f.line
        return _Meta(values, lines, self.template)


def _front_matter(lines: list[str], notes: _Notes) -> tuple[_Meta, int]:
    """Find and read the front matter; returns it and the 0-based index of the body."""
    kind = front_matter_kind(lines)
    if kind is None:
        return _Meta(), 0
    span = front_matter_span(lines)
    if kind != "yaml":
        notes.add(1, "warning", "only YAML front matter is read; this one is ignored")
        return _Meta(), span[1] + 1 if span else 0
    if span is None:
        notes.add(1, "warning", "front matter is never closed (no closing `---`); read as body")
        return _Meta(), 0
    end = span[1]
    source = "\n".join(lines[1:end])
    if len(source.encode("utf-8", "surrogatepass")) > MAX_FRONT_MATTER:
        notes.add(1, "error", "front matter is larger than 256 KiB; ignored")
        return _Meta(), end + 1
    if ("{{" in source or "<%" in source) and _PLACEHOLDER.search(source):
        return _Meta(template=True), end + 1
    return _read_yaml(source, notes), end + 1


def _read_yaml(source: str, notes: _Notes) -> _Meta:
    meta = _Meta()
    if not source.strip():
        return meta
    fast = yamlfast.read(source)  # the plain shape most notes have, without composing
    if fast is not None:
        return _Meta(*fast)
    try:
        root = yaml.compose(source, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else 1
        what = exc.problem or exc.context or "syntax error"
        notes.add(line, "error", f"front matter is not valid YAML: {what}")
        return meta
    except yaml.YAMLError as exc:
        notes.add(1, "error", f"front matter is not valid YAML: {exc}")
        return meta
    if root is None:
        return meta
    if not isinstance(root, yaml.MappingNode):
        notes.add(2, "warning", "front matter is not a mapping of keys to values; ignored")
        return meta
    budget = [MAX_NODES]
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 2
        if not isinstance(key_node, yaml.ScalarNode):
            notes.add(line, "warning", "a front matter key that is not text; ignored")
            continue
        key = key_node.value
        if key in meta.values:
            notes.add(line, "warning", f"duplicate key `{key}` (the last one wins)")
        try:
            meta.values[key] = _plain(value_node, budget)
        except _TooBig:
            notes.add(line, "error", f"`{key}` is too large or expands aliases too deeply; ignored")
            return _Meta()
        except _BadTag as exc:
            bad_line = exc.node.start_mark.line + 2
            notes.add(bad_line, "error", f"unsupported YAML tag `{exc.node.tag}` in `{key}`")
            continue
        meta.lines[key] = line
    return meta


def _plain(node: yaml.Node, budget: list[int]) -> Any:
    """A node → str/list/dict/None, keeping every scalar as the text the user typed."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig
    if node.tag not in _SAFE_TAGS:
        raise _BadTag(node)
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _NULL_TAG else node.value
    if isinstance(node, yaml.SequenceNode):
        return [_plain(child, budget) for child in node.value]
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for k, v in node.value:
            key = _plain(k, budget)
            out[str(key)] = _plain(v, budget)
        return out
    raise _BadTag(node)  # pragma: no cover - PyYAML has only these three node kinds


def _strip_link(value: str) -> str:
    """`[[Folder/Acme|ACME]]` → `Acme`, for values that may be wikilinks."""
    m = re.fullmatch(r"\s*\[\[([^\]|#]*)(?:#[^\]|]*)?(?:\|[^\]]*)?\]\]\s*", value)
    if m:
        return m[1].rsplit("/", 1)[-1].strip()
    return value.strip()


def _words(value: Any) -> list[str]:
    """A string or list of strings as lower-case words, wikilinks reduced to their target."""
    items = value if isinstance(value, list) else [value]
    return [_strip_link(v).lower() for v in items if isinstance(v, str)]


def _tag_list(value: Any) -> list[str]:
    """Tags as a list (YAML list, or a string separated by commas or spaces), without `#`."""
    if isinstance(value, str):
        raw = re.split(r"[,\s]+", value)
    elif isinstance(value, list):
        raw = [v for v in value if isinstance(v, str)]
    else:
        raw = []
    return [t.strip().lstrip("#") for t in raw if t and t.strip().lstrip("#")]


def _note_date(rel: str, stem: str, meta: _Meta, config: Config) -> tuple[date | None, str]:
    """A non-contact note's date, and what its file name says besides that date.

    The vault's daily-note format comes first: only it knows whether `03-04-2026` is
    March or April. Then a date anywhere in the file name, then front matter `date`.
    """
    for daily in config.daily_notes:
        day = daily.date_of(rel)
        if day is not None:
            return day, ""  # the whole name is the date
    if any(c.isdigit() for c in stem):
        for m in _NAME_DATE.finditer(stem):
            try:
                day = date(int(m[1]), int(m[3]), int(m[4]))
            except ValueError:
                continue
            rest = stem[m.end() :]
            time = _NAME_TIME.match(rest)
            rest = rest[time.end() :] if time else rest
            return day, _tidy(stem[: m.start()] + " " + rest)
    key = _key_for(meta, ("date",))
    value = meta.values.get(key) if key else None
    if isinstance(value, str):
        try:
            return as_date(value), stem
        except DateValueError:
            pass
    return None, stem


def _tidy(text: str) -> str:
    """A file name's words without the separators left around a removed date."""
    return " ".join(text.split()).strip(" -–—_:,.;|")


def _front_matter_links(meta: _Meta) -> list[str]:
    found: list[str] = []
    field_of = keys.table().get

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.extend(_links_in(value))
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    for key, value in meta.values.items():
        # A company, a note type or a tag names what the note is, not who was there;
        # `Company:` and `Tags:` as Obsidian Properties write them included.
        norm = keys.normalise(key)
        if norm not in keys.TYPE_KEYS and field_of(norm) not in ("company", "tags"):
            walk(value)
    return found


# --- keys: front matter and page-level inline fields, normalised -------------------


@dataclass(frozen=True, slots=True)
class InlineField:
    """A page-level `key:: value` line: its normalised key, the key and value as written,
    and its 1-based line (so a body scanner can tell these lines apart)."""

    key: str
    value: str
    line: int
    raw_key: str


def page_fields(lines: list[str], start: int) -> list[InlineField]:
    """The `key:: value` lines of a body (from index `start`), outside fenced code and
    list items (`- key:: value` belongs to the list item, not the page).

    Callers skip notes without `::` altogether; here only lines holding `::` and fence
    markers are looked at.
    """
    found: list[InlineField] = []
    fence: str | None = None
    for index in range(start, len(lines)):
        line = lines[index]
        if ("`" in line or "~" in line) and (m := FENCE.match(line)):
            fence = fence_after(fence, m[1])
            continue
        if fence is not None or "::" not in line or LIST_START.match(line):
            continue
        m = INLINE_FIELD.match(line)
        if m and m[2]:
            raw_key = m[1].strip()
            found.append(InlineField(keys.normalise(raw_key), m[2], index + 1, raw_key))
    return found


class _Entry(NamedTuple):
    """One key of one note: as written, its value, its line, and whether it was inline.
    (A named tuple: immutable like the model's dataclasses, and made for every key of
    every note, where a frozen dataclass's slower construction shows.)"""

    key: str
    value: Any
    line: int | None
    inline: bool = False


_NONE: list[_Entry] = []  # shared, never mutated: the answer for an absent field


@dataclass
class _Keys:
    """A note's keys sorted by what they mean: a field, a note type, or nothing known."""

    fields: dict[str, list[_Entry]] = field(default_factory=dict)
    types: list[_Entry] = field(default_factory=list)
    unknown: list[tuple[str, _Entry]] = field(default_factory=list)

    @classmethod
    def read(cls, meta: _Meta, inline: list[InlineField], config: Config) -> _Keys:
        """Front matter first, then inline fields: the front matter wins a conflict."""
        found = cls()
        field_of = keys.table(config.field_synonyms).get
        lines, normalise = meta.lines, keys.normalise
        entries = [(normalise(k), _Entry(k, v, lines.get(k))) for k, v in meta.values.items()]
        entries += [(f.key, _Entry(f.raw_key, f.value, f.line, True)) for f in inline]
        fields = found.fields
        for norm, entry in entries:
            if norm == "categories" and keys.is_vcard_categories(entry.key):
                name = "tags"
            elif norm in keys.TYPE_KEYS:
                found.types.append(entry)
                continue
            else:
                known = field_of(norm)
                if known is None:
                    found.unknown.append((norm, entry))
                    continue
                name = known
            if entry.value not in (None, "", []):  # an empty key gives no value
                fields.setdefault(name, []).append(entry)
        return found

    def values(self, name: str) -> list[_Entry]:
        """The entries giving field `name` (empty values were never kept)."""
        return self.fields.get(name, _NONE)

    def tags(self) -> list[str]:
        """Tags from `tags`, vCard `CATEGORIES` and inline `tags::`, without `#`."""
        out: list[str] = []
        for entry in self.values("tags"):
            if keys.is_vcard_categories(entry.key) and isinstance(entry.value, str):
                # a vCard list is split on commas only: `Machine Learning, Art`
                out += [re.sub(r"\s+", "-", c.strip()) for c in entry.value.split(",")]
            else:
                out += _tag_list(entry.value)
        return [t for t in out if t]

    def type_words(self) -> list[tuple[str, str]]:
        """(key as written, word) for every value of a type-like key."""
        out = []
        for entry in self.types:
            value = entry.value
            if entry.inline and isinstance(value, str):
                value = value.split(",")
            out += [(entry.key, w) for w in _words(value) if w]
        return out


#: Fields whose presence says "this note is about a person" (for near-miss reports).
_PERSON_FIELDS = ("birthday", "last_contact", "cadence", "circle", "follow_up", "emails",
                  "phones")  # fmt: skip


def _contact_folder(rel: str, folders: tuple[str, ...]) -> str | None:
    """The contact folder (as it is spelled in `rel`) that `rel` lies under, at any depth
    and in any case; None when it lies under none."""
    parents = rel.split("/")[:-1]
    folded = [p.casefold() for p in parents]
    for folder in folders:
        parts = [p.casefold() for p in folder.strip("/").split("/") if p]
        if not parts:
            continue
        for i in range(len(folded) - len(parts) + 1):
            if folded[i : i + len(parts)] == parts:
                return "/".join(parents[: i + len(parts)])
    return None


def _body_hashtag(lines: list[str], start: int) -> str | None:
    """A `#person`/`#people`/`#contact` tag in the body outside code, or None."""
    body = "\n".join(lines[start:])
    if "#" not in body:
        return None
    for m in _PERSON_HASHTAG.finditer(body):
        number = body.count("\n", 0, m.start())
        line_start = body.rfind("\n", 0, m.start()) + 1
        if body.count("`", line_start, m.start()) % 2:
            continue  # inside an inline code span
        fence: str | None = None
        for line in lines[start : start + number]:
            f = FENCE.match(line)
            if f:
                fence = fence_after(fence, f[1])
        if fence is None:
            return m[0]
    return None


def _classify(
    rel: str,
    stem: str,
    found: _Keys,
    lines: list[str],
    body_start: int,
    text: str,
    config: Config,
) -> tuple[bool, str | None]:
    """Whether the note is a contact, and when it is not but looks like one, why not.

    A contact folder, a person word in a type-like key, or a person tag makes a contact;
    a type-like key with other values (`type: company`, vCard `KIND: org`) or a file name
    that starts with a date (a dated note) unmakes it.
    """
    folder = _contact_folder(rel, config.contact_folders)
    words = found.type_words() if found.types else []
    person = config.contact_types
    typed = next((f"`{k}: {w}`" for k, w in words if keys.person_word(w, person)), None)
    other = next((f"`{k}: {w}`" for k, w in words), None) if words and not typed else None
    dated = stem[:1].isdigit() and _DATE_PREFIX.match(stem) is not None
    if (typed or folder) and not (other or dated):
        return True, None  # the common case: no need to look at tags
    tag = next((f"#{t}" for t in found.tags() if keys.person_tag(t)), None)
    if other or dated:
        why = f"in contact folder `{folder}`" if folder else None
        why = why or (f"tagged `{tag}`" if tag else None)
        why = why or next((f"has `{e.key}`" for f in _PERSON_FIELDS for e in found.values(f)), None)
        if why is None:
            return False, None
        reason = other or "its file name starts with a date (a dated note)"
        return False, f"not a contact: {why} but {reason}"
    if tag:
        return True, None
    if "#" in text and _body_hashtag(lines, body_start):
        return True, None
    having = [e.key for f in _PERSON_FIELDS for e in found.values(f)]
    if having:
        listed = ", ".join(f"`{k}`" for k in having[:3])
        folders = ", ".join(f"{f}/" for f in config.contact_folders)
        return False, (
            f"not a contact: has {listed} but is in no contact folder ({folders}) and has no"
            " `type: person` or `#person` tag"
        )
    return False, None


def _suggest_keys(found: _Keys, is_contact: bool, config: Config, notes: _Notes) -> None:
    """`last_contated:` is almost certainly `last_contacted` with a typo: say so. In a
    note that is not a contact only typos of the keys that make one (`tpye`) matter."""
    for norm, entry in found.unknown:
        guess = keys.suggest(norm, config.field_synonyms)
        if guess and (is_contact or guess in keys.TYPE_KEYS or guess == "tags"):
            notes.add(entry.line, "warning", f"unknown key `{entry.key}`; did you mean `{guess}`?")


# --- contact fields -----------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    """Two values of one field that say the same thing (`1990-03-14` twice)."""
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip()
    return a == b


def _contact_fields(found: _Keys, stem: str, config: Config, notes: _Notes) -> ContactFields:
    """The fields of a contact note from whichever keys the note uses for them."""

    def pick(name: str, skip: Callable[[_Entry], bool] | None = None) -> _Entry | None:
        """The one entry for a single-valued field: front matter before inline, the
        field's own key before a synonym; a second, different value is a warning."""
        entries = found.values(name)
        if skip is not None:
            entries = [e for e in entries if not skip(e)]
        if len(entries) < 2:  # the common case: one key gives it, or none
            return entries[0] if entries else None
        chosen = min(entries, key=lambda e: (e.inline, keys.normalise(e.key) != name))
        for other in entries:
            if other is chosen or _same(other.value, chosen.value):
                continue
            if keys.is_typed(other.key) and keys.is_typed(chosen.key):
                continue  # URL[HOME] and URL[WORK]: two of a kind, the first is shown
            where = f" (line {chosen.line})" if chosen.line else ""
            notes.add(
                other.line,
                "warning",
                f"`{other.key}` gives `{name}` a second, different value; "
                f"`{chosen.key}`{where} is used",
            )
        return chosen

    present = found.fields  # most fields are absent: test that before any call

    def text(name: str, skip: Callable[[_Entry], bool] | None = None) -> str | None:
        if name not in present:
            return None
        entry = pick(name, skip)
        if entry is None:
            return None
        value = entry.value
        if isinstance(value, list) and name in ("company", "url"):  # a list: the first
            value = next((v for v in value if isinstance(v, str) and v.strip()), None)
        if isinstance(value, str):
            return value.strip() or None
        notes.add(entry.line, "warning", f"`{entry.key}` should be text; ignored")
        return None

    def strings(name: str) -> tuple[str, ...]:
        if name not in present:
            return ()
        out: list[str] = []
        for entry in found.values(name):
            value = entry.value
            if entry.inline and isinstance(value, str):
                value = value.split(",")
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str):
                    if item.strip():
                        out.append(item.strip())
                elif item is not None:
                    notes.add(
                        entry.line, "warning", f"`{entry.key}` should be text or a list of text"
                    )
        return tuple(dict.fromkeys(out))

    def day(name: str) -> date | None:
        if name not in present:
            return None
        entry = pick(name)
        if entry is None:
            return None
        try:
            return as_date(entry.value)
        except DateValueError as exc:
            notes.add(entry.line, "error", f"`{entry.key}`: {exc}")
            return None

    name = text("name") or _vcard_name(found) or stem
    birthday: YearlyDate | None = None
    birthday_raw = None
    entry = pick("birthday")
    if entry is not None:
        birthday_raw = entry.value if isinstance(entry.value, str) else None
        try:
            birthday = parse_yearly(entry.value)
        except DateValueError as exc:
            notes.add(entry.line, "error", f"`{entry.key}`: {exc}")
    cadence = None
    cadence_raw = None
    entry = pick("cadence")
    if entry is not None:
        if isinstance(entry.value, str):
            cadence_raw = entry.value
            try:
                cadence = parse_cadence(entry.value)
            except DateValueError as exc:
                notes.add(entry.line, "error", f"`{entry.key}`: {exc}")
        else:
            notes.add(entry.line, "error", f"`{entry.key}` should be text such as 2w or 3m")
    circle = text("circle")
    if circle and not config.has_circle(circle):
        line = pick("circle").line  # type: ignore[union-attr]
        notes.add(line, "warning", f"unknown circle `{circle}` (not in crm.toml [circles])")
    company = text("company")
    dates = tuple(
        y for e in found.values("dates") for y in _yearly_dates(e.value, e.line, notes, e.key)
    )
    entry = pick("anniversary")
    if entry is not None:
        try:
            dates += (parse_yearly(entry.value, "anniversary"),)
        except DateValueError as exc:
            notes.add(entry.line, "error", f"`{entry.key}`: {exc}")
    follow_up, follow_up_text, follow_up_line = _follow_up(pick("follow_up"), notes)
    if follow_up is not None and not follow_up_text:
        follow_up_text = text("follow_up_text") or ""
    return ContactFields(
        name=name,
        aliases=strings("aliases"),
        birthday=birthday,
        birthday_raw=birthday_raw,
        dates=dates,
        cadence=cadence,
        cadence_raw=cadence_raw,
        circle=circle,
        last_contact=day("last_contact"),
        snooze=day("snooze"),
        emails=strings("emails"),
        phones=strings("phones"),
        company=_strip_link(company) if company else None,
        role=_role(found, name, stem, text),
        location=text("location"),
        met=text("met"),
        url=text("url"),
        linkedin=text("linkedin"),
        tags=tuple(dict.fromkeys(found.tags())),
        created=day("created"),
        follow_up=follow_up,
        follow_up_text=follow_up_text,
        follow_up_line=follow_up_line,
        uid=text("uid"),
    )


def _vcard_name(found: _Keys) -> str | None:
    """`N.GN` `N.MN` `N.FN` (given, middle, family) joined, for notes without `FN`."""
    parts = []
    for part in ("given_name", "middle_name", "family_name"):
        entries = found.values(part)
        if entries and isinstance(entries[0].value, str):
            parts.append(entries[0].value.strip())
    return " ".join(p for p in parts if p) or None


def _role(found: _Keys, name: str, stem: str, text: Callable[..., str | None]) -> str | None:
    """The job title. `title` is a weak synonym: many notes carry a page title there, so
    it is read only when no other role key is given and it does not repeat the name."""
    entries = found.values("role")
    if any(keys.normalise(e.key) != "title" for e in entries):
        return text("role", skip=lambda e: keys.normalise(e.key) == "title")
    same = (name.casefold(), stem.casefold())
    return text(
        "role",
        skip=lambda e: isinstance(e.value, str) and e.value.strip().casefold() in same,
    )


def _follow_up(entry: _Entry | None, notes: _Notes) -> tuple[date | None, str, int | None]:
    """`follow_up: 2026-12-01` or `follow_up: "2026-12-01 ask about the move"`."""
    if entry is None:
        return None, "", None
    value = entry.value
    m = _DATED_TEXT.fullmatch(value.strip()) if isinstance(value, str) else None
    if m is None:
        shown = value if isinstance(value, str) else repr(value)
        notes.add(
            entry.line,
            "error",
            f"`{entry.key}`: invalid date {shown!r}: expected YYYY-MM-DD or 'YYYY-MM-DD text'",
        )
        return None, "", None
    try:
        due = parse_iso(m[1])
    except DateValueError as exc:
        notes.add(entry.line, "error", f"`{entry.key}`: {exc}")
        return None, "", None
    return due, (m[2] or "").strip(), entry.line


def _yearly_dates(
    value: Any, line: int | None, notes: _Notes, key: str = "dates"
) -> tuple[YearlyDate, ...]:
    """`dates:` entries: "YYYY-MM-DD label" strings or {date, label} mappings."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out: list[YearlyDate] = []
    for item in items:
        try:
            if isinstance(item, dict):
                when, label = item.get("date"), item.get("label") or item.get("name") or ""
                if not isinstance(when, str):
                    raise DateValueError("a `dates` entry needs a `date`")
                out.append(parse_yearly(when, str(label).strip()))
            elif isinstance(item, str):
                head, _, label = item.strip().partition(" ")
                out.append(parse_yearly(head, label.strip()))
            else:
                raise DateValueError(f"cannot read {item!r} as a date")
        except DateValueError as exc:
            notes.add(line, "error", f"`{key}`: {exc}")
    return tuple(out)


# --- body ---------------------------------------------------------------------------


def _links_in(text: str) -> list[str]:
    """Link targets in a line: `[[Name]]`, `[[Folder/Name|x]]`, `[x](People/Name%20X.md)`."""
    if "[" not in text:
        return []
    found = []
    for m in WIKILINK.finditer(text):
        target = m[2].strip()
        if m[1] and "." in target.rsplit("/", 1)[-1] and not target.lower().endswith(".md"):
            continue  # an embedded image or PDF, not a person
        if target:
            found.append(target)
    for m in MDLINK.finditer(text):
        target = (m[1] if m[1] is not None else m[2]).split("#", 1)[0]
        if target.lower().endswith(".md") and "://" not in target:
            found.append(unquote(target))
    return [t[:-3] if t.lower().endswith(".md") else t for t in found]


_NO_LINKS: list[str] = []  # shared and never mutated: most lines link nobody


@dataclass
class _Body:
    """What one pass over a note's body found."""

    start: int  #: index of the body's first line (after the front matter)
    items: list[DatedItem] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    #: Link targets outside task lines: a task's links are the task's, not an interaction.
    links: list[str] = field(default_factory=list)
    #: The first heading's text if it is a level-1 heading, the title a note gives itself
    #: (a first `## Attendees` is a section's label: ""); None when there is no heading.
    heading: str | None = None
    #: Link target → index of the first line (not a task) that names it; dated notes only.
    mentioned_at: dict[str, int] = field(default_factory=dict)


@dataclass
class _DatedHeading:
    """A contact note's `## 2022-02-15` waiting for its section's first line as its text."""

    line: int
    date: date
    links: list[str]


def _scan_body(
    lines: list[str], start: int, rel: str, notes: _Notes, is_contact: bool, dated: bool
) -> _Body:
    """One pass over the body, outside fenced code: dated list items (and, in a contact
    note, dated headings), tasks, links, and where a dated note names each person.

    Kept to a few cheap tests per line: it runs on every line of every note of the vault.
    """
    body = _Body(start)
    if _nothing_to_find(lines, start):
        body.heading = _first_heading(lines, start)
        return body
    items, tasks, links = body.items, body.tasks, body.links
    mentioned = body.mentioned_at if dated else None
    waiting: _DatedHeading | None = None
    fence: str | None = None
    for index in range(start, len(lines)):
        line = lines[index]
        # The `in` tests are cheap and skip a regular expression on most lines.
        fence_match = FENCE.match(line) if "`" in line or "~" in line else None
        if fence_match:  # a fence line is code too, whether it opens or closes
            fence = fence_after(fence, fence_match[1])
            continue
        if fence is not None:
            continue
        line_links = _links_in(line) if "[" in line else _NO_LINKS
        number = index + 1
        m = LIST_ITEM.match(line)
        content = m[1] if m else None
        if content is not None and content[:1] == "[":
            task = TASK.match(content)
            if task:  # its links are the task's: planning to call is not talking
                tasks.append(_task(task[1], task[2], rel, number, line_links, notes))
                continue
        if line_links:
            links.extend(line_links)
            if mentioned is not None:
                for target in line_links:
                    mentioned.setdefault(target, index)
        if content is None:
            if "#" in line[:4] and HEADING.match(line):
                text = heading_text(line)
                if body.heading is None:
                    body.heading = text if line.lstrip(" ")[1:2] != "#" else ""
                if waiting is not None:
                    items.append(_dated_item(waiting.line, waiting.date, "", waiting.links))
                    waiting = None
                if is_contact:
                    waiting = _dated_heading(text, number, line_links, items, notes)
            elif waiting is not None and line.strip():
                _end_section(waiting, line.strip(), line_links, items)
                waiting = None
            continue
        leading = LEADING_DATE.match(content) if content[:1] in DATE_START else None
        if waiting is not None:  # the section's first line; a dated item speaks for itself
            if leading is None:
                _end_section(waiting, content, line_links, items)
            waiting = None
        if leading is None:
            continue
        # The hot path of a log: inline, not through `_leading_date`/`_dated_item`.
        try:
            when = parse_iso(leading[2])
        except DateValueError:
            notes.add(number, "warning", f"impossible date {leading[2]}; line ignored")
            continue
        rest = content[leading.end() :].strip()
        gave, got = bool(GAVE_TAG.search(rest)), bool(GOT_TAG.search(rest))
        items.append(DatedItem(number, when, rest, tuple(line_links), gave, got))
    if waiting is not None:
        items.append(_dated_item(waiting.line, waiting.date, "", waiting.links))
    return body


#: What every ISO date holds (every dated item, dated heading and impossible-date warning
#: has one): a search that starts at a literal `-` is several times faster than one for
#: the whole date.
_ISO_DATE = re.compile(r"-\d\d-\d\d")


def _nothing_to_find(lines: list[str], start: int) -> bool:
    """Whether a body holds no `[` (no link, task or `[[date]]`) and no ISO date: then
    no line of it can be an item, a task or a link, only a heading (two scans in C
    instead of a few tests per line: most notes of a large vault are such prose)."""
    body = "\n".join(lines[start:])
    return "[" not in body and _ISO_DATE.search(body) is None


def _first_heading(lines: list[str], start: int) -> str | None:
    """`_Body.heading` of a body with nothing else to find: the first heading outside
    fenced code, as `_scan_body` reads it."""
    fence: str | None = None
    for line in lines[start:]:
        if "`" in line or "~" in line:
            fence_match = FENCE.match(line)
            if fence_match:
                fence = fence_after(fence, fence_match[1])
                continue
        if fence is None and "#" in line[:4] and HEADING.match(line):
            return heading_text(line) if line.lstrip(" ")[1:2] != "#" else ""
    return None


def _leading_date(content: str, number: int, notes: _Notes) -> tuple[date, str] | None:
    """`2026-10-02: coffee` → (the date, `coffee`); an impossible date is a warning."""
    dated = leading_date(content)
    if not dated:
        return None
    try:
        when = parse_iso(dated[2])
    except DateValueError:
        notes.add(number, "warning", f"impossible date {dated[2]}; line ignored")
        return None
    return when, content[dated.end() :].strip()


def _dated_item(line: int, when: date, text: str, links: list[str]) -> DatedItem:
    return DatedItem(
        line=line,
        date=when,
        text=text,
        links=tuple(links),
        gave=bool(GAVE_TAG.search(text)),
        got=bool(GOT_TAG.search(text)),
    )


def _dated_heading(
    text: str, number: int, links: list[str], items: list[DatedItem], notes: _Notes
) -> _DatedHeading | None:
    """`## 2022-02-15 coffee` is an interaction now; `## 2022-02-15` alone waits for the
    first line of its section to say what happened."""
    dated = _leading_date(text, number, notes) if text[:1] in "[0123456789" else None
    if dated is None:
        return None
    when, rest = dated
    if rest:
        items.append(_dated_item(number, when, rest, links))
        return None
    return _DatedHeading(number, when, links)


def _end_section(
    waiting: _DatedHeading, text: str, links: list[str], items: list[DatedItem]
) -> None:
    """A dated heading's section begins with `text`: that is what happened that day."""
    items.append(_dated_item(waiting.line, waiting.date, text, [*waiting.links, *links]))


def read_task(line: str) -> tuple[TaskStatus, date | None, str] | None:
    """What a body line says as a task (status, due date, text), or None when it is none.

    The writer finds a task again by this rather than by its line number, which shifts
    whenever a line is inserted above it."""
    item = list_item(line)
    box = task_box(item.content) if item else None
    if box is None:
        return None
    task = _task(*box, "", 0, [], _Notes(""))
    return task.status, task.due, task.text


_STATUS: dict[str, TaskStatus] = {" ": "open", "/": "open", ">": "open", "x": "done", "X": "done"}


def _task(mark: str, content: str, rel: str, number: int, links: list[str], notes: _Notes) -> Task:
    """A checkbox item; its due date may lead the text or be a Tasks/Dataview field.

    Obsidian Tasks' `⏳` scheduled date is the day to act when there is no due date.
    """
    status: TaskStatus = _STATUS.get(mark, "cancelled")
    due_text, text = due_in_task(content)
    due = None
    if due_text:
        try:
            due = parse_iso(due_text)
        except DateValueError:
            if status == "open":
                notes.add(number, "warning", f"impossible date {due_text}; task has no due date")
    return Task(rel, number, status, due, text, tuple(links))


# --- task notes and dated notes ---------------------------------------------------------


def _task_note(
    rel: str, meta: _Meta, body: _Body, stem: str, links: tuple[str, ...], notes: _Notes
) -> Task | None:
    """A note that is itself a task (`due:` and maybe `status:` in front matter): one
    follow-up, on its due date, for everyone it links; its text is the note's title."""
    key = _key_for(meta, DUE_KEYS)
    value = meta.values.get(key) if key else None
    if key is None or value in (None, ""):
        return None
    try:
        due = as_date(value)
    except DateValueError:
        notes.add(meta.line(key), "warning", f"`{key}`: {value!r} is not a date; no follow-up")
        return None
    status_key = _key_for(meta, ("status",))
    status = meta.values.get(status_key) if status_key else None
    done = _FINISHED.get(status.strip().casefold()) if isinstance(status, str) else None
    title = _field_text(meta, ("title",)) or (_tidy_text(body.heading) if body.heading else "")
    return Task(rel, meta.line(key) or 1, done or "open", due, title or stem, links)


def _mentions(
    rel: str,
    meta: _Meta,
    lines: list[str],
    body: _Body,
    front_links: list[str],
    name_text: str,
) -> tuple[Mention, ...]:
    """Whom a dated note was with, each with the words for what happened.

    In this order: the note's `summary`, `title` or `description`; its title heading
    (a first `#` heading); the list item or sentence that names the person; what the file
    name says besides its date and time. A title that only restates the date (`# Monday,
    October 14th 2026`) says nothing. When all are silent, the note's first sentence:
    never a bare file name.
    """
    headline = _field_text(meta, ("summary", "title", "description"))
    if not headline and body.heading and _says_something(body.heading):
        headline = _tidy_text(body.heading)
    fallback: str | None = headline or (name_text if _says_something(name_text) else None)
    prose = _Prose(lines, body.start)

    def note_text() -> str:
        nonlocal fallback
        if fallback is None:  # computed only when some person needs it
            fallback = prose.first()
        return fallback

    texts: dict[str, str] = {}
    for target, index in body.mentioned_at.items():
        texts[target] = headline or prose.naming(index, target) or note_text()
    for target in front_links:
        texts.setdefault(target, note_text())
    folder = rel.rpartition("/")[0]
    if folder:  # `People/Anna Rossi/2026-10-14.md` is about Anna, named or not
        texts.setdefault(folder, note_text())
    return tuple(Mention(target, text) for target, text in texts.items())


def _field_text(meta: _Meta, names: tuple[str, ...]) -> str:
    """The first of `names` in the front matter that holds words, as shown text."""
    for name in names:
        key = _key_for(meta, (name,))
        value = meta.values.get(key) if key else None
        if isinstance(value, str) and _says_something(value):
            return _tidy_text(value)
    return ""


def _says_something(text: str) -> bool:
    """Whether text has a word besides a date's (`Monday`, `Oct`, `14th`, `Daily note`)."""
    return any(w not in _FILLER_WORDS for w in re.findall(r"[^\W\d_]+", text.casefold()))


def _says_more_than_links(text: str) -> bool:
    """`- [[Anna Rossi]]` in a list of attendees names her but says nothing of the day."""
    if "[" in text:
        text = MDLINK.sub(" ", WIKILINK.sub(" ", text))
    return _says_something(text)


def _tidy_text(text: str) -> str:
    """Note text as a reader sees it: links as their shown words, one line, not too long."""
    text = " ".join(display_text(text).split())
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1].rsplit(" ", 1)[0] + "…"
    return text


def _is_prose(line: str) -> bool:
    """A line of a paragraph: not blank, not a heading, list item, fence or inline field."""
    bare = line.strip().lstrip(">").strip()
    return bool(bare) and not (
        HEADING.match(bare)
        or LIST_ITEM.match(line)
        or FENCE.match(line)
        or FIELD_LINE.match(line)
        or bare.startswith(("---", "|"))
    )


class _Prose:
    """A dated note's lines cut into list items, headings and sentences, each once.

    A line naming many people (a hostile one, thousands) or a long paragraph costs one
    cut, not one per person: paragraphs are found in one pass, and each piece's link
    targets are indexed.
    """

    def __init__(self, lines: list[str], start: int) -> None:
        self.lines = lines
        self.start = start
        self._cut: dict[int, tuple[list[str], dict[str, str]]] = {}
        self._paragraph_at: dict[int, int] | None = None  # prose line → its paragraph's first

    def naming(self, index: int, target: str) -> str:
        """The item, heading or sentence of line `index` that links `target`, as shown
        text; "" when it is only names (`- [[Anna Rossi]]` in a list of attendees)."""
        return self._pieces(index)[1].get(target, "")

    def first(self) -> str:
        """The body's first list item (not a task) or sentence that says something."""
        seen: set[int] = set()
        for index in range(self.start, min(len(self.lines), self.start + 200)):
            line = self.lines[index]
            if FENCE.match(line):
                return ""  # code says nothing about a conversation; and this stays cheap
            if "#" in line[:4] and HEADING.match(line):
                continue  # a section's label (the title heading was tried first)
            key = self._key(index)
            if key in seen:
                continue  # a paragraph's sentences were all tried
            seen.add(key)
            said = next((text for text in self._pieces(index)[0] if text), "")
            if said:
                return said
        return ""

    def _key(self, index: int) -> int:
        if self._paragraph_at is None:
            self._paragraph_at = {}
            first = None
            for i in range(self.start, len(self.lines)):
                if _is_prose(self.lines[i]):
                    first = i if first is None else first
                    self._paragraph_at[i] = first
                else:
                    first = None
        return self._paragraph_at.get(index, index)

    def _pieces(self, index: int) -> tuple[list[str], dict[str, str]]:
        """Line `index`'s item, heading or paragraph sentences as shown text, in order,
        and each link target → the text of the first piece that links it."""
        key = self._key(index)
        found = self._cut.get(key)
        if found is None:
            texts: list[str] = []
            by_target: dict[str, str] = {}
            for raw in self._raw(key):
                text = _tidy_text(raw) if _says_more_than_links(raw) else ""
                texts.append(text)
                for target in _links_in(raw):
                    if not by_target.get(target):  # the first piece that says something
                        by_target[target] = text
            found = self._cut[key] = (texts, by_target)
        return found

    def _raw(self, index: int) -> list[str]:
        line = self.lines[index]
        item = LIST_ITEM.match(line)
        if item:
            content = item[1]
            if TASK.match(content) or FIELD_LINE.match(line):
                return []
            dated = leading_date(content)
            return [content[dated.end() :] if dated else content]
        if "#" in line[:4] and HEADING.match(line):
            return [heading_text(line)]
        if not _is_prose(line):
            return []
        end = index + 1
        while end < len(self.lines) and _is_prose(self.lines[end]):
            end += 1
        paragraph = [QUOTE.sub("", text).strip() for text in self.lines[index:end]]
        titles: list[str] = []
        callout = CALLOUT.match(paragraph[0])
        if callout:  # a callout's title is a line of its own
            titles = [paragraph.pop(0)[callout.end() :]]
        return [t for t in titles if t] + _sentences(" ".join(paragraph))


def _sentences(paragraph: str) -> list[str]:
    """A paragraph cut after `.`, `!`, `?`, but never inside a link (`[[Dr. Who]]`).

    Bracket depth is counted as the scan goes, so the cut is linear in the paragraph.
    """
    out: list[str] = []
    begin = scanned = depth = 0
    for end in _SENTENCE_END.finditer(paragraph):
        segment = paragraph[scanned : end.start()]
        depth = max(0, depth + segment.count("[") - segment.count("]"))
        scanned = end.start()
        if depth:
            continue
        out.append(paragraph[begin : end.end()].strip())
        begin = end.end()
    out.append(paragraph[begin:].strip())
    return [s for s in out if s]
