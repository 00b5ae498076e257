"""Surgical edits of a note's bytes: insert or replace only the lines an edit is about.

Every writing command goes through these pure functions (bytes in, bytes out) and then
through `writefile.write_note`, which makes the write atomic and conflict-checked. Nothing
here re-serializes a note: the BOM, line endings (CRLF, LF, even a lone CR), comments, key
order, quoting and the presence or absence of a final newline are kept byte for byte, so
`git diff` shows exactly the intended lines (docs/editing.md).

Front matter edits are located with PyYAML's node marks and checked afterwards by reading
the new front matter back: a value that would not read back as written, or any other key
that would read differently, stops the edit instead of damaging the note. Styles that
cannot be edited line by line (a flow mapping, a multi-line value where one line is
expected, an unclosed front matter) are refused with a message saying why
(docs/reliability.md, case 47).
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import yaml

from plaintextcrm.dates import DateValueError, as_date, parse_iso
from plaintextcrm.errors import CrmError
from plaintextcrm.fields import normalise
from plaintextcrm.model import Task
from plaintextcrm.parse import DUE_KEYS, read_task
from plaintextcrm.parse import YamlLoader as _Loader  # the index's reading of YAML
from plaintextcrm.recurrence import (
    NoNextOccurrence,
    Occurrence,
    TasksSettings,
    next_occurrence,
    parse_rule,
)
from plaintextcrm.syntax import (
    BLOCK_ID,
    DATAVIEW_DUE,
    GAVE_TAG,
    GOT_TAG,
    LINE_BREAK,
    NEEDS_SEPARATOR,
    TASKS_DUE,
    TASKS_SCHEDULED,
    TasksField,
    body_start,
    due_in_task,
    front_matter_kind,
    front_matter_span,
    heading,
    leading_date,
    list_item,
    scan_fences,
    task_box,
    tasks_tail,
    unclosed_fence,
)

TaskStyle = Literal["plain", "tasks", "dataview"]

#: Headings whose section receives `crm log` lines (the first one found wins).
LOG_HEADINGS = ("log", "interactions", "interaction log")
#: Headings whose section receives follow-up tasks.
TASK_HEADINGS = (
    "follow-ups", "follow ups", "followups", "follow-up", "tasks", "todo", "to do", "to-do",
    "next steps", "next",
)  # fmt: skip

#: What YAML reads as a line break or refuses outright inside a scalar; always escaped.
_YAML_UNSAFE = re.compile(
    "[^\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]"
)
_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": "\\0"}
_STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class EditError(CrmError):
    """The note cannot be edited safely as asked; it is left untouched (exit 1)."""


# --- the note as lines ----------------------------------------------------------------


@dataclass
class Lines:
    """A note split into lines, each with its own line ending, so joining is lossless.

    Lines are cut by `syntax.LINE_BREAK`, as the reader cuts them (CRLF, LF and a lone CR
    each end a line), so a `Task.line` from the index points at `lines[line - 1]` here.
    """

    bom: bool
    text: list[str]
    ends: list[str]

    @classmethod
    def from_bytes(cls, data: bytes) -> Lines:
        try:
            decoded = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise EditError(f"the note is not UTF-8 text (line {line}); not edited") from None
        bom = decoded.startswith("\ufeff")
        if bom:
            decoded = decoded[1:]
        parts = LINE_BREAK.split(decoded)
        text = parts[0::2]
        ends = [*parts[1::2], ""]
        if text and text[-1] == "" and ends[-1] == "":
            text.pop()
            ends.pop()
        return cls(bom, text, ends)

    def to_bytes(self) -> bytes:
        body = "".join(t + e for t, e in zip(self.text, self.ends, strict=True))
        return (("\ufeff" if self.bom else "") + body).encode("utf-8")

    @property
    def newline(self) -> str:
        """The note's own line ending: the most common one, LF for a one-line note."""
        counts: dict[str, int] = {}
        for end in self.ends:
            if end:
                counts[end] = counts.get(end, 0) + 1
        return max(counts, key=lambda e: counts[e]) if counts else "\n"

    def insert(self, index: int, new_lines: list[str]) -> None:
        """Insert lines before `index`; an insert at the end keeps a missing final newline."""
        if not new_lines:
            return
        newline = self.newline
        if index >= len(self.text):
            index = len(self.text)
            missing_final = bool(self.text) and self.ends[-1] == ""
            if self.text and missing_final:
                self.ends[-1] = newline
            ends = [newline] * len(new_lines)
            if missing_final:
                ends[-1] = ""
        else:
            ends = [newline] * len(new_lines)
        self.text[index:index] = new_lines
        self.ends[index:index] = ends


def one_line(text: str, what: str = "text") -> str:
    """User text for a single line: line breaks and tabs become spaces; other control
    characters are refused, because they would change what the line means."""
    flat = " ".join(re.split(r"[\r\n\t\u2028\u2029\x85]+", text)).strip()
    if any(unicodedata.category(c) == "Cc" for c in flat):
        raise EditError(f"the {what} contains control characters")
    if not flat:
        raise EditError(f"the {what} is empty")
    return flat


# --- YAML values -----------------------------------------------------------------------


def yaml_value(text: str) -> str:
    """`text` as a one-line YAML scalar that reads back as exactly `text`.

    Plain when YAML reads it back unchanged as a string (or as an ISO date, which is how
    people write dates), double-quoted otherwise: `0123`, `yes`, `12:34`, `[[Acme]]`,
    `# x`, leading or trailing spaces, and anything with control characters.
    """
    if _ISO_DAY.fullmatch(text) or _plain_ok(text):
        return text
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif _YAML_UNSAFE.match(char):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
            if code > 0xFFFF:
                out[-1] = f"\\U{code:08x}"
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _plain_ok(text: str) -> bool:
    if not text or text != text.strip() or _YAML_UNSAFE.search(text) or "\t" in text:
        return False
    try:
        node = yaml.compose(f"k: {text}\n", Loader=_Loader)
    except yaml.YAMLError:
        return False
    if not isinstance(node, yaml.MappingNode) or len(node.value) != 1:
        return False
    value = node.value[0][1]
    return (
        isinstance(value, yaml.ScalarNode)
        and not value.style
        and value.tag == _STR_TAG
        and value.value == text
    )


def _read(node: yaml.Node) -> Any:
    """A node → plain Python with every scalar kept as text (as parse.py reads it)."""
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _NULL_TAG else node.value
    if isinstance(node, yaml.SequenceNode):
        return [_read(child) for child in node.value]
    if isinstance(node, yaml.MappingNode):
        return [(_read(k), _read(v)) for k, v in node.value]
    return None  # pragma: no cover


# --- front matter ----------------------------------------------------------------------


@dataclass
class _FrontMatter:
    """Where the front matter is (line indices in `Lines`) and its composed root node."""

    open: int  # the `---` line
    close: int  # the closing `---` or `...` line
    root: yaml.MappingNode | None  # None when the front matter is empty

    def line(self, mark: yaml.Mark) -> int:
        return self.open + 1 + mark.line

    def find(self, key: str) -> tuple[yaml.ScalarNode, yaml.Node] | None:
        """The last `key:` entry (the one readers see when a key is duplicated)."""
        found = None
        if self.root is not None:
            for k, v in self.root.value:
                if isinstance(k, yaml.ScalarNode) and k.value == key:
                    found = (k, v)
        return found


def _front_matter(lines: Lines, create: bool) -> _FrontMatter:
    """The front matter where the reader finds it (`syntax.front_matter_span`)."""
    kind = front_matter_kind(lines.text)
    if kind != "yaml":
        if kind is not None:
            raise EditError("only YAML front matter can be edited; this note has another kind")
        if not create:
            return _FrontMatter(-1, -1, None)
        lines.insert(0, ["---", "---"])
        return _FrontMatter(0, 1, None)
    span = front_matter_span(lines.text)
    if span is None:
        raise EditError("the front matter is never closed (no closing `---`); fix it first")
    close = span[1]
    source = "\n".join(lines.text[1:close])
    try:
        root = yaml.compose(source, Loader=_Loader) if source.strip() else None
    except yaml.YAMLError:
        raise EditError(
            "the front matter is not valid YAML; fix it first (see `crm check`)"
        ) from None
    if root is None:
        return _FrontMatter(0, close, None)
    if not isinstance(root, yaml.MappingNode):
        raise EditError("the front matter is not a mapping of keys to values; not edited")
    if root.flow_style:
        raise EditError(
            "the front matter is one `{...}` mapping; edit it by hand or use one key a line"
        )
    return _FrontMatter(0, close, root)


def _key_indent(fm: _FrontMatter) -> str:
    if fm.root is None or not fm.root.value:
        return ""
    return " " * fm.root.value[0][0].start_mark.column


def _checked(
    before: Lines, after: Lines, key: str, expect: Callable[[Any], bool], what: str
) -> bytes:
    """Read both front matters back: `key` must satisfy `expect`, every other key unchanged."""
    old = _front_matter(before, create=False)
    new = _front_matter(after, create=False)
    old_values = [(k, v) for k, v in _read(old.root) if k != key] if old.root else []
    new_all = _read(new.root) if new.root else []
    new_values = [(k, v) for k, v in new_all if k != key]
    found = [v for k, v in new_all if k == key]
    if old_values != new_values or not found or not expect(found[-1]):
        raise EditError(f"cannot set `{key}` to {what} without rewriting other lines; not edited")
    return after.to_bytes()


def set_front_matter_value(data: bytes, key: str, value: str, *, overwrite: bool = True) -> bytes:
    """Set a one-line front matter `key: value`; add the key (or a front matter) if missing.

    With `overwrite=False` an existing non-empty value is kept (import merge: never
    overwrite what the user wrote) and `data` is returned unchanged. A value that spans
    several lines (a list, a block scalar) is refused rather than rewritten.
    """
    value = one_line(value, f"value of `{key}`")
    rendered = yaml_value(value)
    lines = Lines.from_bytes(data)
    before = Lines(lines.bom, list(lines.text), list(lines.ends))
    fm = _front_matter(lines, create=True)
    entry = fm.find(key)
    if entry is None:
        lines.insert(fm.close, [f"{_key_indent(fm)}{_key_text(key)}: {rendered}"])
    else:
        key_node, node = entry
        empty = isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG
        if not empty and not overwrite:
            return data
        if not isinstance(node, yaml.ScalarNode) or node.end_mark.line != key_node.start_mark.line:
            raise EditError(f"`{key}` spans several lines here; edit it by hand")
        if isinstance(node, yaml.ScalarNode) and node.value == value and not empty:
            return data
        index = fm.line(node.start_mark)
        line = lines.text[index]
        start, end = node.start_mark.column, node.end_mark.column
        head = line[:start]
        if not head.endswith((" ", "\t")):
            head += " "
        lines.text[index] = head + rendered + line[end:]
    return _checked(before, lines, key, lambda v: v == value, repr(value))


def _key_text(key: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", key):
        raise EditError(f"cannot write the front matter key {key!r}")
    return key


def _sequence_indent(fm: _FrontMatter, lines: Lines) -> str:
    """How this note indents block-list items under their key (`  - ` by default)."""
    if fm.root is not None:
        for k, v in fm.root.value:
            if isinstance(v, yaml.SequenceNode) and not v.flow_style and v.value:
                return " " * (v.start_mark.column - k.start_mark.column)
    return "  "


def add_front_matter_list_item(data: bytes, key: str, value: str) -> bytes:
    """Append `value` to the list `key` (created if missing); unchanged if already there.

    A block list gets one more `- value` line in its own indentation; a one-line `[a, b]`
    list gets `, value` before its `]`; a single value becomes a block list of two.
    """
    value = one_line(value, f"value of `{key}`")
    rendered = yaml_value(value)
    lines = Lines.from_bytes(data)
    before = Lines(lines.bom, list(lines.text), list(lines.ends))
    fm = _front_matter(lines, create=True)
    entry = fm.find(key)
    indent = _key_indent(fm)
    if entry is None:
        item_indent = indent + _sequence_indent(fm, lines)
        lines.insert(fm.close, [f"{indent}{_key_text(key)}:", f"{item_indent}- {rendered}"])
        return _checked(before, lines, key, lambda v: v == [value], repr(value))
    key_node, node = entry
    key_line = fm.line(key_node.start_mark)
    key_indent = " " * key_node.start_mark.column
    old = _read(node)
    if isinstance(node, yaml.SequenceNode):
        if value in old:
            return data
        if node.flow_style:
            if node.start_mark.line != node.end_mark.line:
                raise EditError(f"`{key}` is a `[...]` list over several lines; edit it by hand")
            index = fm.line(node.end_mark)
            line = lines.text[index]
            close = node.end_mark.column - 1
            sep = ", " if node.value else ""
            lines.text[index] = line[:close].rstrip() + sep + rendered + line[close:]
        elif not node.value:  # pragma: no cover - an empty block list cannot be written
            raise EditError(f"`{key}` is empty in a way that cannot be extended")
        else:
            last = node.value[-1]
            end_line = fm.line(last.end_mark)
            if last.end_mark.column == 0 and end_line > fm.line(last.start_mark):
                end_line -= 1
            dash = " " * node.start_mark.column
            lines.insert(end_line + 1, [f"{dash}- {rendered}"])
    elif isinstance(node, yaml.ScalarNode):
        if (
            node.start_mark.line != node.end_mark.line
            or node.start_mark.line != key_node.start_mark.line
        ):
            raise EditError(f"`{key}` spans several lines here; edit it by hand")
        line = lines.text[key_line]
        rest = line[node.end_mark.column :]
        item_indent = key_indent + _sequence_indent(fm, lines)
        items = (
            []
            if node.tag == _NULL_TAG
            else [f"{item_indent}- {line[node.start_mark.column : node.end_mark.column]}"]
        )
        if old == value:
            return data
        comment = rest.strip()
        head = line[: node.start_mark.column].rstrip()
        lines.text[key_line] = head + (f" {comment}" if comment else "")
        lines.insert(key_line + 1, [*items, f"{item_indent}- {rendered}"])
    else:
        raise EditError(f"`{key}` is a mapping, not a list; edit it by hand")
    expected = ([] if old is None else old if isinstance(old, list) else [old]) + [value]
    return _checked(before, lines, key, lambda v: v == expected, repr(value))


def front_matter_keys(data: bytes) -> set[str]:
    """The top-level keys of the note's YAML front matter, as the edits here look them up
    (`email`, not a normalised `Email`); empty when it has none or one they cannot edit."""
    try:
        fm = _front_matter(Lines.from_bytes(data), create=False)
    except EditError:
        return set()
    if fm.root is None:
        return set()
    return {k.value for k, _ in fm.root.value if isinstance(k, yaml.ScalarNode)}


def set_snooze(data: bytes, until: date) -> bytes:
    """`snooze: YYYY-MM-DD` in the front matter: no reconnect reminder before that day."""
    return set_front_matter_value(data, "snooze", until.isoformat(), overwrite=True)


# --- body: sections, interactions, tasks ----------------------------------------------


@dataclass(frozen=True)
class _Item:
    """A list item in the body: its line, indentation, everything before its content
    (indentation, quote markers, list marker and space: copied by a new line) and what
    follows."""

    index: int
    indent: int
    marker: str
    content: str
    end: int  # the index after its last continuation line


def _fences(lines: Lines) -> tuple[list[int], list[bool]]:
    """Body lines outside fenced code blocks (where Markdown structure lives), and for
    each insertion point 0..n whether a line inserted there would be outside a fence."""
    visible = []
    outside = [True] * (len(lines.text) + 1)
    for i, is_text, fence in scan_fences(lines.text, body_start(lines.text)):
        if is_text:
            visible.append(i)
        outside[i + 1] = fence is None
    return visible, outside


def _visible(lines: Lines) -> list[int]:
    return _fences(lines)[0]


def _append_point(lines: Lines) -> int:
    """The end of the note, unless it ends inside an unclosed code block."""
    if not _fences(lines)[1][-1]:
        raise EditError("the note ends inside an unclosed ``` code block; close it first")
    return len(lines.text)


def _refuse_open_fence(lines: Lines) -> None:
    """A note that ends inside a never-closed code fence: whatever we add would be code,
    invisible to the index, so the user must close the fence first."""
    fence = unclosed_fence(lines.text, body_start(lines.text))
    if fence is not None:
        raise EditError(
            f"line {fence.line + 1} opens a {fence.marker} code block that is never closed;"
            " close it first, then run the command again"
        )


def _width(indent: str) -> int:
    return len(indent.expandtabs(4))


def _items(lines: Lines, visible: list[int], start: int, stop: int) -> list[_Item]:
    """List items between `start` and `stop`, each with the lines that continue it."""
    shown = [i for i in visible if start <= i < stop]
    found = []
    for pos, i in enumerate(shown):
        item = list_item(lines.text[i])
        if item is None:
            continue
        indent = _width(item.lead)
        end = i + 1
        for j in range(pos + 1, len(shown)):  # continuation lines: consecutive, indented
            text = lines.text[shown[j]]
            if shown[j] != end or not text.strip():
                break
            if _width(text[: len(text) - len(text.lstrip())]) <= indent:
                break
            end += 1
        found.append(_Item(i, indent, item.prefix, item.content, end))
    return found


def _section(lines: Lines, names: tuple[str, ...]) -> tuple[int, int, int] | None:
    """(heading line, first line after it, end) of the first heading named in `names`;
    its name is the heading's text as the reader reads it (`syntax.heading`)."""
    visible = _visible(lines)
    for pos, i in enumerate(visible):
        found = heading(lines.text[i])
        if found is None or found[1].casefold().rstrip(":") not in names:
            continue
        level = found[0]
        end = len(lines.text)
        for j in visible[pos + 1 :]:
            other = heading(lines.text[j])
            if other is not None and other[0] <= level:
                end = j
                break
        return i, i + 1, end
    return None


def _last_content(lines: Lines, start: int, stop: int) -> int:
    """Just after the last non-blank line in [start, stop) outside code blocks, or `start`."""
    outside = _fences(lines)[1]
    for i in range(stop - 1, start - 1, -1):
        if lines.text[i].strip() and outside[i + 1]:
            return i + 1
    return start


def _dated(item: _Item) -> tuple[date, re.Match[str]] | None:
    """The item's date, when the reader reads it as a dated item (an interaction)."""
    if task_box(item.content):
        return None
    m = leading_date(item.content)
    if not m:
        return None
    try:
        return parse_iso(m[2]), m
    except DateValueError:
        return None


def add_log_line(
    data: bytes, when: date, text: str, *, gave: bool = False, got: bool = False
) -> bytes:
    """Add `- YYYY-MM-DD text` under the note's `## Log` heading (added at the end if missing).

    The new line copies the style of the section's dated items (list marker, `[[date]]`,
    the separator after the date) and keeps their order: oldest-first logs get it after the
    last item on or before `when`, newest-first logs before the first such item.
    """
    text = one_line(text)
    if gave and not GAVE_TAG.search(text):
        text += " #gave"
    if got and not GOT_TAG.search(text):
        text += " #got"
    lines = Lines.from_bytes(data)
    _refuse_open_fence(lines)
    section = _section(lines, LOG_HEADINGS)
    if section is None:
        tail = [] if not lines.text or not lines.text[-1].strip() else [""]
        lines.insert(_append_point(lines), [*tail, "## Log", "", _log_line([], when, text)])
        return lines.to_bytes()
    _, start, stop = section
    items = _items(lines, _visible(lines), start, stop)
    top = min((it.indent for it in items), default=0)
    dated = [(it, d) for it in items if it.indent == top and (d := _dated(it))]
    line = _log_line(dated, when, text)
    lines.insert(_log_position(lines, items, dated, when, start, stop), [line])
    return lines.to_bytes()


def _log_line(dated: list[tuple[_Item, tuple[date, re.Match[str]]]], when: date, text: str) -> str:
    """The new line in the style most of the section's dated items use."""
    if not dated:
        return f"- {when.isoformat()}{': ' if NEEDS_SEPARATOR.match(text) else ' '}{text}"

    def most(values: list[str]) -> str:
        return Counter(values).most_common(1)[0][0]

    linked = most(["y" if m[1] else "" for _, (_, m) in dated])
    day = f"[[{when.isoformat()}]]" if linked else when.isoformat()
    sep = {"": " ", ":": ": "}.get(most([m[4].strip() for _, (_, m) in dated]))
    sep = sep or f" {most([m[4].strip() for _, (_, m) in dated])} "  # ` — `, ` - `
    marker = most([item.marker for item, _ in dated])
    if re.match(r"[ \t>]*\d", marker):  # an ordered list: let Markdown number it
        marker = re.sub(r"\d+", "1", marker, count=1)
    if sep == " " and NEEDS_SEPARATOR.match(text):
        sep = ": "
    return f"{marker}{day}{sep}{text}"


def _log_position(
    lines: Lines,
    items: list[_Item],
    dated: list[tuple[_Item, tuple[date, re.Match[str]]]],
    when: date,
    start: int,
    stop: int,
) -> int:
    if not dated:
        return items[-1].end if items else _last_content(lines, start, stop)
    days = [d for _, (d, _) in dated]
    ascending = all(a <= b for a, b in itertools.pairwise(days))
    descending = all(a >= b for a, b in itertools.pairwise(days))
    if descending and not ascending:
        for item, (day, _) in dated:
            if day <= when:
                return item.index
        return dated[-1][0].end
    if ascending:
        earlier = [item for item, (day, _) in dated if day <= when]
        return earlier[-1].end if earlier else dated[0][0].index
    return dated[-1][0].end


def task_style(data: bytes) -> TaskStyle | None:
    """The due-date style this note's tasks already use, or None when it has no dated task.

    A task is dated when the reader reads a due date from it (`syntax.due_in_task`): Tasks'
    `📅` or `⏳` (or a `✅` stamp) is the Tasks style, Dataview's `due::` the Dataview one.
    """
    lines = Lines.from_bytes(data)
    for i in _visible(lines):
        item = list_item(lines.text[i])
        box = task_box(item.content) if item else None
        if box is None:
            continue
        rest = box[1]
        if TASKS_DUE.search(rest) or TASKS_SCHEDULED.search(rest) or "✅" in rest:
            return "tasks"
        if DATAVIEW_DUE.search(rest):
            return "dataview"
        if leading_date(rest):
            return "plain"
    return None


def add_task_line(data: bytes, text: str, due: date | None, *, style: TaskStyle = "plain") -> bytes:
    """Add an open follow-up task `- [ ] ...` with its due date in `style`.

    Where: the end of a `## Follow-ups`/`## Tasks` section if the note has one; else after
    the note's last task; else into the `## Log` section (at its end, or its top when the
    log is newest-first); else at the end of the note.

    When the text holds a date the reader would take for the due date (`📅 2026-05-01`,
    `due:: ...`, a leading date), the due date is written first, where the reader looks
    first, whatever the style: a `📅` appended after the text's own would be ignored.
    """
    text = one_line(text)
    if due is not None and style != "plain" and due_in_task(text)[0] is not None:
        style = "plain"
    if due is None:
        task = f"[ ] {text}"
    elif style == "tasks":
        task = f"[ ] {text} 📅 {due.isoformat()}"
    elif style == "dataview":
        task = f"[ ] {text} [due:: {due.isoformat()}]"
    else:
        sep = ": " if NEEDS_SEPARATOR.match(text) else " "
        task = f"[ ] {due.isoformat()}{sep}{text}"
    lines = Lines.from_bytes(data)
    _refuse_open_fence(lines)
    visible = _visible(lines)
    marker = "- "
    section = _section(lines, TASK_HEADINGS)
    if section is not None:
        _, start, stop = section
        items = _items(lines, visible, start, stop)
        tasks = [it for it in items if task_box(it.content)]
        if tasks:
            marker = tasks[-1].marker
        position = items[-1].end if items else _last_content(lines, start, stop)
        lines.insert(position, [marker + task])
        return lines.to_bytes()
    all_items = _items(lines, visible, 0, len(lines.text))
    tasks = [it for it in all_items if task_box(it.content)]
    if tasks:
        lines.insert(tasks[-1].end, [tasks[-1].marker + task])
        return lines.to_bytes()
    log = _section(lines, LOG_HEADINGS)
    if log is not None:
        _, start, stop = log
        items = _items(lines, visible, start, stop)
        top = min((it.indent for it in items), default=0)
        dated = [(it, d) for it in items if it.indent == top and (d := _dated(it))]
        days = [d for _, (d, _) in dated]
        newest_first = (
            len(days) > 1
            and all(a >= b for a, b in itertools.pairwise(days))
            and days[0] != days[-1]
        )
        if dated:
            marker = re.sub(r"\d+", "1", dated[0][0].marker, count=1)
        if newest_first:
            position = dated[0][0].index
        else:
            position = items[-1].end if items else _last_content(lines, start, stop)
        lines.insert(position, [marker + task])
        return lines.to_bytes()
    lines.insert(_append_point(lines), [marker + task])
    return lines.to_bytes()


@dataclass(frozen=True)
class Finished:
    """What completing a task wrote: the note's new bytes, the completed task's line and
    the next occurrence's line (1-based, in the new bytes; None when there is none), and a
    warning for the user when the task has a `🔁` rule that gives no next occurrence."""

    data: bytes
    line: int | None = None
    next_line: int | None = None
    warning: str | None = None


def mark_task_done(
    data: bytes,
    task: Task,
    *,
    today: date,
    stamp: bool | None = None,
    tasks: TasksSettings = TasksSettings(),  # noqa: B008 - frozen, shared safely
) -> bytes:
    """Tick the open task `task`; the new bytes of `tick_task`, which says more."""
    return tick_task(data, task, today=today, stamp=stamp, tasks=tasks).data


def tick_task(
    data: bytes,
    task: Task,
    *,
    today: date,
    stamp: bool | None = None,
    tasks: TasksSettings = TasksSettings(),  # noqa: B008 - frozen, shared safely
) -> Finished:
    """Tick the open task `task` (as the index read it): `[ ]` → `[x]`.

    The task is found by what it says (status, due date, text), never by its indexed line
    number alone: an editor or a sync may have inserted lines above it since the index was
    read, and the line number would then point at a neighbour. Of several identical tasks,
    the one nearest its indexed line is ticked (they say the same thing). `stamp` appends
    Obsidian Tasks' `✅ today` (before a trailing `^block-id`); None: when the note already
    uses that style (`📅` or `🔁` on the line, `✅` in the note).

    A task with an Obsidian Tasks rule (`🔁 every week`) repeats as the plugin repeats it:
    the next occurrence, with its dates moved (`_next_task`), goes on the line above the
    completed one, or below with the plugin's `recurrenceOnNextLine` setting (`tasks`). A
    rule that gives no next occurrence still ticks the task, and says why in `warning`.
    """
    return _close_task_line(data, task, "x", "✅", today=today, stamp=stamp, tasks=tasks)


def _close_task_line(
    data: bytes,
    task: Task,
    mark: str,
    emoji: str,
    *,
    today: date,
    stamp: bool | None,
    tasks: TasksSettings | None,
) -> Finished:
    """Give the open task `task` the status `mark` (and `emoji today` when stamped); with
    `tasks` (the Tasks plugin's settings), a `🔁` task also gets its next occurrence."""
    lines = Lines.from_bytes(data)
    index = _open_task(lines, task)
    line = lines.text[index]
    item = list_item(line)
    assert item is not None  # read_task found a task box on it
    box = len(item.prefix)
    new = line[:box] + f"[{mark}]" + line[box + 3 :]
    if stamp is None:
        stamp = (
            "📅" in line
            or "🔁" in line
            or "✅" in "".join(lines.text)
            or task_style(data) == "tasks"
        )
    if stamp:
        stamped = f" {emoji} {today.isoformat()}"
        block = BLOCK_ID.search(new)
        trailing = new[len(new.rstrip()) :]
        if block:
            new = new[: block.start()] + stamped + new[block.start() :]
        else:
            new = new.rstrip() + stamped + trailing
    lines.text[index] = new
    if tasks is None:
        return Finished(lines.to_bytes(), index + 1)
    following, warning = _next_task(line[box + 3 :], today, tasks)
    if following is None:
        if warning:
            warning += "; the task is done, with no next occurrence"
        return Finished(lines.to_bytes(), index + 1, None, warning)
    next_index = index + 1 if tasks.next_on_line_below else index
    lines.insert(next_index, [line[:box] + "[ ]" + following])
    done_index = index if tasks.next_on_line_below else index + 1
    return Finished(lines.to_bytes(), done_index + 1, next_index + 1, None)


def _next_task(text: str, today: date, tasks: TasksSettings) -> tuple[str | None, str | None]:
    """The text after the box of a recurring task's next occurrence, or a warning.

    As the plugin writes it: its due, scheduled and start dates moved by the rule (the
    scheduled one dropped with `removeScheduledDateOnRecurrence`), no done or cancelled
    date, no `🆔` id or `⛔` dependency, no `^block-id`, and a created date `➕ today` only
    with the plugin's `setCreatedDate`. Everything else, the rule as written included, is
    copied. A leading date (`2026-11-23 water the plants 🔁 every week`), which crm reads
    as the due date when there is no `📅`, moves as the due date.
    """
    fields, _ = tasks_tail(text)
    named = {f.name: f for f in fields}  # fields come last first: the leftmost one wins
    rule_field = named.get("recurrence")
    if rule_field is None:
        return None, None
    rule = parse_rule(rule_field.value)
    shown = f"`🔁 {rule_field.value.strip()}`"
    if rule is None:
        return None, f"{shown} is not a recurrence rule Obsidian Tasks reads"
    spans = {name: (f.value_start, f.end) for name, f in named.items() if name in _MOVED}
    body = len(text) - len(text.lstrip(" \t"))
    lead = leading_date(text[body:]) if "due" not in spans else None
    if lead:
        spans["due"] = (body + lead.start(2), body + lead.end(2))
    values = {name: day for name, (a, b) in spans.items() if (day := _day_of(text[a:b]))}
    dates = Occurrence(
        due=values.get("due"),
        scheduled=values.get("scheduled"),
        start=values.get("start"),
        invalid=frozenset(spans.keys() - values.keys()),
    )
    try:
        moved = next_occurrence(rule, dates, done_on=today, settings=tasks)
    except NoNextOccurrence as exc:
        return None, f"{shown}: {exc}"
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in `text`
    for f in fields:
        if f.name in _MOVED:
            edits.append(_date_edit(text, f, getattr(moved, f.name)))
        elif f.name == "created":
            edits.append(_date_edit(text, f, today if tasks.set_created_date else None))
        elif f.name in ("done", "cancelled", "id", "depends_on"):
            edits.append(_date_edit(text, f, None))
    if lead and moved.due:
        edits.append((*spans["due"], moved.due.isoformat()))
    if tasks.set_created_date and "created" not in named:
        edits.append((rule_field.end, rule_field.end, f" ➕ {today.isoformat()}"))
    block = BLOCK_ID.search(text)
    if block:
        edits.append((block.start(), len(text.rstrip()), ""))
    for a, b, replacement in sorted(edits, reverse=True):
        text = text[:a] + replacement + text[b:]
    return text, None


#: The dates a recurrence moves, by their names in `syntax.TASKS_TAIL_FIELDS`.
_MOVED = ("due", "scheduled", "start")


def _date_edit(text: str, field: TasksField, day: date | None) -> tuple[int, int, str]:
    """An edit that gives a field the value `day`, or, None, removes it (and the spaces
    before it)."""
    if day is not None:
        return field.value_start, field.end, day.isoformat()
    return len(text[: field.start].rstrip(" \t")), field.end, ""


def _open_task(lines: Lines, task: Task) -> int:
    """The index of the line that says `task` (open, same due date, same words), the one
    nearest its indexed line when several say it: never the line number alone, which an
    editor or a sync may have shifted since the index was read."""
    wanted = ("open", task.due, task.text)
    found = [i for i in _visible(lines) if read_task(lines.text[i]) == wanted]
    if not found:
        raise EditError(f"the task {task.text!r} is no longer open in the note; not edited")
    return min(found, key=lambda i: abs(i + 1 - task.line))


def _due_span(content: str) -> tuple[int, int] | None:
    """Where, in a task's text after its box, the date the reader takes for its due date
    is written: the same order as `syntax.due_in_task` (a leading date, then Tasks' `📅`,
    Dataview's `due::`, Tasks' `⏳`), so the date moved is the date `crm due` reads."""
    leading = leading_date(content)
    if leading:
        return leading.span(2)
    for pattern in (TASKS_DUE, DATAVIEW_DUE, TASKS_SCHEDULED):
        m = pattern.search(content)
        if m:
            group = next(g for g in range(1, (m.re.groups or 0) + 1) if m[g])
            return m.span(group)
    return None


def move_task_due(data: bytes, task: Task, due: date) -> bytes:
    """Move the open task `task` to `due`, changing only the date on its line, in the
    style the task writes it (`📅 2026-12-01`, a leading `2026-12-01`, `[due:: ...]`).

    A follow-up that is a task note gets its front matter due-date key changed instead.
    The new line must read back as the same open task on the new day, or nothing is
    written. A task without a due date is refused: where to write one is a choice the
    user makes (`crm todo` writes new tasks).
    """
    lines = Lines.from_bytes(data)
    try:
        index = _open_task(lines, task)
    except EditError:
        if task.due is None or not is_task_note(data, task.due):
            raise
        key = _due_key(lines, task.due)
        assert key is not None  # is_task_note found it
        return set_front_matter_value(data, key, due.isoformat())
    line = lines.text[index]
    item = list_item(line)
    box = task_box(item.content) if item else None
    assert item is not None and box is not None  # read_task found a task box on it
    rest = len(line) - len(box[1])  # where the text after the box starts
    span = _due_span(box[1])
    if span is None:
        raise EditError(f"the task {task.text!r} has no due date to move; not edited")
    new = line[: rest + span[0]] + due.isoformat() + line[rest + span[1] :]
    if read_task(new) != ("open", due, task.text):
        raise EditError(f"cannot move {task.text!r} to {due.isoformat()} by its date alone")
    lines.text[index] = new
    return lines.to_bytes()


# --- task notes ------------------------------------------------------------------------


def finish_task(
    data: bytes,
    task: Task,
    *,
    today: date,
    stamp: bool | None = None,
    tasks: TasksSettings = TasksSettings(),  # noqa: B008 - frozen, shared safely
    cancel: bool = False,
) -> Finished:
    """Mark `task` done (or cancelled): its checkbox line (`tick_task`: a `🔁` task
    repeats when done), or, when the follow-up is a task note (a note whose front matter
    has a due date), that note's `status: done` (or `cancelled`)."""
    try:
        if cancel:
            # `[-]` and `❌ today`: Obsidian Tasks' cancelled status; it never repeats
            return _close_task_line(data, task, "-", "❌", today=today, stamp=stamp, tasks=None)
        return tick_task(data, task, today=today, stamp=stamp, tasks=tasks)
    except EditError:
        if task.due is None or not is_task_note(data, task.due):
            raise
    return Finished(close_task_note(data, "cancelled" if cancel else "done"))


def is_task_note(data: bytes, due: date) -> bool:
    """Whether the note's front matter has a due-date key (`due`, `deadline`...) on `due`:
    the follow-up is then the whole note (a task note), not a checkbox line."""
    return _due_key(Lines.from_bytes(data), due) is not None


def _due_key(lines: Lines, due: date | None) -> str | None:
    try:
        fm = _front_matter(lines, create=False)
    except EditError:
        return None
    if fm.root is None:
        return None
    for key, value in fm.root.value:
        if not isinstance(key, yaml.ScalarNode) or normalise(key.value) not in DUE_KEYS:
            continue
        if due is None or (isinstance(value, yaml.ScalarNode) and _day_of(value.value) == due):
            return key.value
    return None


def _day_of(text: str) -> date | None:
    try:
        return as_date(text)
    except DateValueError:
        return None


def close_task_note(data: bytes, status: str = "done") -> bytes:
    """Mark a task note done (or cancelled): `status: done`, under the key as the note
    spells it (`Status:`), added when the note has none. Only that line changes."""
    lines = Lines.from_bytes(data)
    if _due_key(lines, None) is None:
        raise EditError("the task note no longer has a due date; not edited")
    fm = _front_matter(lines, create=False)
    assert fm.root is not None
    keys = [k.value for k, _ in fm.root.value if isinstance(k, yaml.ScalarNode)]
    key = next((k for k in reversed(keys) if normalise(k) == "status"), "status")
    return set_front_matter_value(data, key, status)


def changed_lines(rel: str, old: bytes, new: bytes) -> list[str]:
    """`path:line: text` for each line added or changed from `old` to `new` (blank ones
    left out): what the writing commands print, so the user sees what `git diff` will."""
    before, after = Lines.from_bytes(old).text, Lines.from_bytes(new).text
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag in ("insert", "replace"):
            out.extend(f"{rel}:{j + 1}: {after[j]}" for j in range(j1, j2) if after[j].strip())
    return out
