"""Three-way merge of one note for git: resolve only the conflicts that provably are none.

git's line merge (`git merge-file`) stops whenever both sides changed neighbouring lines.
In a CRM note most such conflicts are not real: two interactions logged on two machines
under the same `## Log`, a task ticked on one side next to a task added on the other, a tag
added to `tags: [..]` on each side. This module reads git's own diff3 output and resolves,
conflict by conflict ("hunk"), only what these rules cover:

- body: each side only added dated list items or tasks (plus, for a section both sides
  created, the same heading and blank lines) → both sides' lines, in the section's date
  order, identical lines once; a task ticked (or cancelled) on one side and untouched on
  the other → ticked;
- front matter: items added to the same list on both sides → the union, in the list's own
  flow (`[a, b]`) or block (`- a`) style; a one-line field changed or added on one side
  only → that side's line. The resolved front matter is read back with YAML and must equal
  the key-by-key three-way merge of the three versions, or nothing in it is resolved.

Anything else (a deleted line, a field changed differently on both sides, prose, code, a
note that is not UTF-8) is left as a conflict for the caller to render as git would. A
resolved hunk must hold every line either side added: nothing is ever dropped. Lines are
compared and copied as git wrote them, endings included, so every byte outside the
resolved hunks is git's. Lines are found with the reader's own rules (`syntax`,
`parse.read_task`), so what is merged as an interaction or a task is what `crm` reads as
one.

Pure: bytes in, a `Resolution` out; running git is `gitvault`'s job.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Literal, NamedTuple

import yaml

from plaintextcrm.dates import DateValueError, parse_iso
from plaintextcrm.parse import MAX_NODES, read_task
from plaintextcrm.parse import YamlLoader as _Loader  # the index's reading of YAML
from plaintextcrm.syntax import (
    body_start,
    front_matter_kind,
    front_matter_span,
    heading,
    leading_date,
    list_item,
    scan_fences,
    split_lines,
    task_box,
)

Order = Literal["ascending", "descending", "none"]
Where = Literal["front matter", "body"]

#: The shortest conflict marker git writes.
MARKER_SIZE = 7
_MARKER_RUN = re.compile(rb"^([<|=>])\1*", re.M)
_LONE_CR = re.compile("\r(?!\n)")
_BLOCK_ITEM = re.compile(r"^[ ]*-(?:[ \t]|$)")


@dataclass(frozen=True)
class Hunk:
    """One conflict of git's merge: the lines of each side and of their common ancestor,
    each with its line ending, as git wrote them."""

    ours: tuple[str, ...]
    base: tuple[str, ...]
    theirs: tuple[str, ...]


@dataclass(frozen=True)
class Resolution:
    """git's merge with the safe hunks resolved: merged lines (`str`, ending included) and
    the conflicts left (`Hunk`), in file order."""

    pieces: tuple[str | Hunk, ...]
    resolved: int
    left: int


def marker_size(*versions: bytes) -> int:
    """A conflict marker length that no line of the versions starts with, so that git's
    markers cannot be mistaken for a line of the note (a setext `=======` underline, a
    `>>>>>>>` quote) when the merge is read back."""
    longest = max((len(m[0]) for data in versions for m in _MARKER_RUN.finditer(data)), default=0)
    return max(MARKER_SIZE, longest + 1)


def resolve(base: bytes, ours: bytes, theirs: bytes, diff3: bytes, size: int) -> Resolution | None:
    """Resolve what the rules cover in `diff3`, git's `merge-file --diff3` output of the
    three versions written with markers of `size` (see `marker_size`).

    None when nothing could be resolved: the caller keeps git's own output as it is.
    """
    try:
        texts = [data.decode("utf-8") for data in (base, ours, theirs, diff3)]
    except UnicodeDecodeError:
        return None
    if any(_LONE_CR.search(text) for text in texts):
        return None  # git and the reader would not agree on where a line ends
    pieces = parse_conflicts(texts[3], size)
    if pieces is None:
        return None
    hunks = {i: p for i, p in enumerate(pieces) if isinstance(p, Hunk)}
    ours_view, theirs_view, starts = _views(pieces)
    resolved: dict[int, list[str]] = {}
    for i, hunk in hunks.items():
        lines = _resolve_hunk(hunk, ours_view, theirs_view, starts[i])
        if lines is not None:
            resolved[i] = lines
    _check_front_matter(pieces, resolved, starts, ours_view, theirs_view, texts[:3])
    last = len(pieces) - 1
    if resolved.get(last) and not _ends_with_newline(base, ours, theirs):
        resolved[last][-1] = _bare(resolved[last][-1])  # git added the ending to show markers
    if not resolved:
        return None
    out: list[str | Hunk] = []
    for i, piece in enumerate(pieces):
        out.extend(resolved.get(i, [piece]))
    return Resolution(tuple(out), len(resolved), len(hunks) - len(resolved))


# --- git's output ------------------------------------------------------------------------


def git_lines(text: str) -> list[str]:
    """Lines as git cuts them: after each `\\n`, the ending kept (a CR stays in its line)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _bare(line: str) -> str:
    """The line without its ending (`\\r\\n` or `\\n`)."""
    if line.endswith("\r\n"):
        return line[:-2]
    return line[:-1] if line.endswith("\n") else line


def _ending(line: str) -> str:
    return line[len(_bare(line)) :]


def parse_conflicts(text: str, size: int) -> list[str | Hunk] | None:
    """git's diff3 output → merged lines and hunks; None if the markers do not nest."""
    expected = {"": "<", "ours": "|", "base": "=", "theirs": ">"}
    after = {"<": "ours", "|": "base", "=": "theirs", ">": ""}
    pieces: list[str | Hunk] = []
    parts: dict[str, list[str]] = {}
    state = ""
    for line in git_lines(text):
        mark = _marker(_bare(line), size)
        if mark is None:
            (parts[state] if state else pieces).append(line)
            continue
        if mark != expected[state]:
            return None
        if mark == ">":
            pieces.append(Hunk(tuple(parts["ours"]), tuple(parts["base"]), tuple(parts["theirs"])))
        state = after[mark]
        parts[state] = []
    return None if state else pieces


def _marker(text: str, size: int) -> str | None:
    """`<`, `|`, `=` or `>` when the line is one of git's conflict markers of `size`."""
    char = text[:1]
    if not char or char not in "<|=>" or text[:size] != char * size:
        return None
    rest = text[size:]
    if char == "=":
        return char if not rest else None
    return char if not rest or rest[0] == " " else None


def _ends_with_newline(*versions: bytes) -> bool:
    """Whether the merged note ends with a line ending, by the three-way rule: the side
    that changed it wins (an empty version ends as the others do)."""
    base, ours, theirs = (not data or data.endswith(b"\n") for data in versions)
    return theirs if ours == base else ours


# --- where a hunk is -----------------------------------------------------------------------


@dataclass(frozen=True)
class _View:
    """The merge as one side sees it (merged lines and that side of every hunk), without
    line endings: where its front matter, body and code blocks are."""

    lines: list[str]
    front_matter: tuple[int, int] | None
    body: int
    text: list[bool]  # a body line outside code: Markdown structure lives there
    in_code: list[bool]  # a code block is open after the line

    @classmethod
    def of(cls, lines: list[str]) -> _View:
        if lines:
            lines[0] = lines[0].removeprefix("\ufeff")
        start = body_start(lines)
        text, in_code = [False] * len(lines), [False] * len(lines)
        for i, is_text, fence in scan_fences(lines, start):
            text[i], in_code[i] = is_text, fence is not None
        return cls(lines, front_matter_span(lines), start, text, in_code)

    def where(self, start: int, count: int) -> Where | None:
        """What holds the lines [start, start + count): the inside of the front matter,
        the body outside code, or None (a delimiter, code, both)."""
        span = self.front_matter
        if span is not None and span[0] < start and start + count <= span[1]:
            return "front matter"
        if start < self.body or not all(self.text[start : start + count]):
            return None
        return None if start > self.body and self.in_code[start - 1] else "body"


def _views(pieces: list[str | Hunk]) -> tuple[_View, _View, dict[int, tuple[int, int]]]:
    """Both sides' views, and where each hunk starts in each."""
    ours: list[str] = []
    theirs: list[str] = []
    starts: dict[int, tuple[int, int]] = {}
    for i, piece in enumerate(pieces):
        if isinstance(piece, Hunk):
            starts[i] = (len(ours), len(theirs))
            ours.extend(_bare(line) for line in piece.ours)
            theirs.extend(_bare(line) for line in piece.theirs)
        else:
            ours.append(_bare(piece))
            theirs.append(_bare(piece))
    return _View.of(ours), _View.of(theirs), starts


def _resolve_hunk(
    hunk: Hunk, ours: _View, theirs: _View, start: tuple[int, int]
) -> list[str] | None:
    where = ours.where(start[0], len(hunk.ours))
    if where is None or theirs.where(start[1], len(hunk.theirs)) != where:
        return None
    if where == "front matter":
        return _resolve_front_matter(hunk)
    return _resolve_body(hunk, ours, start[0])


# --- each side against the base --------------------------------------------------------------


@dataclass(frozen=True)
class _Alignment:
    """One side of a hunk against its base: each base line as the side has it now, and the
    lines the side inserted before each base line (the last gap is after them all)."""

    lines: tuple[str, ...]
    gaps: tuple[tuple[str, ...], ...]


def _align(
    base: Sequence[str], side: Sequence[str], changed: Callable[[str, str], bool]
) -> _Alignment | None:
    """The side as insertions and `changed` line edits of the base; None when it deleted
    a line or changed one in another way."""
    lines = list(base)
    gaps: list[list[str]] = [[] for _ in range(len(base) + 1)]
    matcher = difflib.SequenceMatcher(None, base, side, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "delete":
            return None
        if tag == "insert":
            gaps[i1].extend(side[j1:j2])
        elif tag == "replace":  # each base line must come back, changed as allowed, in order
            j = j1
            for i in range(i1, i2):
                k = next(
                    (k for k in range(j, j2) if side[k] == base[i] or changed(base[i], side[k])),
                    None,
                )
                if k is None:
                    return None
                gaps[i].extend(side[j:k])
                lines[i] = side[k]
                j = k + 1
            gaps[i2].extend(side[j:j2])
    return _Alignment(tuple(lines), tuple(tuple(gap) for gap in gaps))


def _pick(base: str, ours: str, theirs: str) -> str | None:
    """A line changed on at most one side (or identically on both): that change."""
    if ours == theirs or theirs == base:
        return ours
    return theirs if ours == base else None


# --- body: dated list items and tasks ----------------------------------------------------------


def _ticked(old: str, new: str) -> bool:
    """`new` is the open task `old`, ticked or cancelled, and nothing else changed (a
    `✅ date` stamp aside): what `crm done` or a click in Obsidian writes."""
    if _ending(old) != _ending(new):
        return False
    before, after = read_task(_bare(old)), read_task(_bare(new))
    if before is None or after is None or before[0] != "open" or after[0] == "open":
        return False
    old_item, new_item = list_item(_bare(old)), list_item(_bare(new))
    same_place = (
        old_item is not None and new_item is not None and old_item.prefix == new_item.prefix
    )
    return same_place and before[1:] == after[1:]


class _Head(NamedTuple):
    """A dated list item or a task: the lines the body rules merge."""

    lead: str  # indentation and quote markers
    day: date | None  # an item's date, a task's due date (None without one)
    task: bool


def _head(text: str) -> _Head | None:
    item = list_item(text)
    if item is None:
        return None
    if task_box(item.content):
        task = read_task(text)
        return _Head(item.lead, task[1], True) if task else None
    dated = leading_date(item.content)
    if dated is None:
        return None
    try:
        return _Head(item.lead, parse_iso(dated[2]), False)
    except DateValueError:
        return None  # the reader ignores it: not an interaction


@dataclass(frozen=True)
class _Group:
    """A dated item or a task with the lines indented under it (sub-items, wrapped text)."""

    lines: tuple[str, ...]
    lead: str
    day: date | None


@dataclass(frozen=True)
class _Run:
    """The lines one side inserted at one place: items, then, for a section it created,
    each heading or blank line with the items after it."""

    items: tuple[_Group, ...]
    tail: tuple[tuple[str, tuple[_Group, ...]], ...]


def _run(lines: Sequence[str]) -> _Run | None:
    """The run, or None when a line is none of: a dated item or task, a line indented
    under one, a heading, a blank line."""
    items: list[_Group] = []
    tail: list[tuple[str, list[_Group]]] = []
    current = items
    for line in lines:
        text = _bare(line)
        head = _head(text)
        if head is not None:
            current.append(_Group((line,), head.lead, head.day))
        elif not text.strip() or heading(text):
            tail.append((line, []))
            current = tail[-1][1]
        elif current and _indented_under(current[-1].lead, text):
            last = current[-1]
            current[-1] = _Group((*last.lines, line), last.lead, last.day)
        else:
            return None
    return _Run(tuple(items), tuple((line, tuple(groups)) for line, groups in tail))


def _indented_under(lead: str, text: str) -> bool:
    """A line that continues an item: more indented than it (items in quotes have none)."""
    indent = len(text) - len(text.lstrip(" \t"))
    return not lead.strip() and text.startswith(lead) and indent > len(lead)


def _resolve_body(hunk: Hunk, view: _View, start: int) -> list[str] | None:
    ours = _align(hunk.base, hunk.ours, _ticked)
    theirs = _align(hunk.base, hunk.theirs, _ticked)
    if ours is None or theirs is None:
        return None
    runs = [(_run(a), _run(b)) for a, b in zip(ours.gaps, theirs.gaps, strict=True)]
    leads = {g.lead for pair in runs for run in pair if run for g in _groups(run)}
    order = _order(view, start, len(hunk.ours), min(leads)) if len(leads) == 1 else "none"
    out: list[str] = []
    for index, (mine, other) in enumerate(runs):
        lines = None if mine is None or other is None else _union(mine, other, order)
        if lines is None:
            return None
        out.extend(lines)
        if index < len(hunk.base):
            line = _pick(hunk.base[index], ours.lines[index], theirs.lines[index])
            if line is None:
                return None
            out.append(line)
    return out if _keeps_every_line(hunk, out) else None


def _groups(run: _Run) -> Iterable[_Group]:
    yield from run.items
    for _, groups in run.tail:
        yield from groups


def _order(view: _View, start: int, count: int, lead: str) -> Order:
    """The date order of the section the hunk is in (between the headings around it), read
    from its dated items at the hunk's indentation, as `crm log` reads it: oldest first
    unless they are newest first."""
    lo, hi = start, start + count
    while lo > view.body and not (view.text[lo - 1] and heading(view.lines[lo - 1])):
        lo -= 1
    while hi < len(view.lines) and not (view.text[hi] and heading(view.lines[hi])):
        hi += 1
    days = []
    for i in (*range(lo, start), *range(start + count, hi)):
        head = _head(view.lines[i]) if view.text[i] else None
        if head is not None and not head.task and head.lead == lead and head.day is not None:
            days.append(head.day)
    if all(a <= b for a, b in pairwise(days)):
        return "ascending"
    return "descending" if all(a >= b for a, b in pairwise(days)) else "none"


def _union(ours: _Run, theirs: _Run, order: Order) -> list[str] | None:
    """Both sides' insertions at one place. Their items merge in date order; a section
    both created must have the same headings and blank lines, and its items merge too."""
    lines = _merge_items(ours.items, theirs.items, order)
    if lines is None:
        return None
    if ours.tail and theirs.tail:
        if [line for line, _ in ours.tail] != [line for line, _ in theirs.tail]:
            return None
        for (line, a), (_, b) in zip(ours.tail, theirs.tail, strict=True):
            merged = _merge_items(a, b, order)
            if merged is None:
                return None
            lines += [line, *merged]
    else:
        for line, groups in ours.tail or theirs.tail:
            lines += [line, *(text for group in groups for text in group.lines)]
    return lines


def _merge_items(
    ours: Sequence[_Group], theirs: Sequence[_Group], order: Order
) -> list[str] | None:
    """Two sides' items, interleaved by date in the section's order (ours first on the
    same day, theirs after ours in an unordered section), identical items once. An item
    without a date stays after the one before it. None when they are not at one
    indentation (a sub-item on one side, a top item on the other)."""
    if len({g.lead for g in (*ours, *theirs)}) > 1:
        return None
    spare = Counter(g.lines for g in ours)
    kept = []
    for group in theirs:
        if spare[group.lines]:
            spare[group.lines] -= 1
        else:
            kept.append(group)
    a, b = _blocks(ours, order), _blocks(kept, order)
    merged: list[tuple[tuple[int, int], list[str]]] = []
    while a and b:
        merged.append(b.pop(0) if order != "none" and b[0][0] < a[0][0] else a.pop(0))
    return [line for _, lines in (*merged, *a, *b) for line in lines]


def _blocks(groups: Sequence[_Group], order: Order) -> list[tuple[tuple[int, int], list[str]]]:
    """Items cut where a dated one starts, each block with its sort key (undated first)."""
    blocks: list[tuple[tuple[int, int], list[str]]] = []
    for group in groups:
        if group.day is None and blocks:
            blocks[-1][1].extend(group.lines)
            continue
        day = group.day.toordinal() if group.day else 0
        key = (1, -day if order == "descending" else day) if group.day else (0, 0)
        blocks.append((key, list(group.lines)))
    return blocks


def _keeps_every_line(hunk: Hunk, lines: list[str]) -> bool:
    """Every line either side added is in the result: the last guard before writing."""
    base = Counter(hunk.base)
    added = (Counter(hunk.ours) - base) | (Counter(hunk.theirs) - base)
    return not added - Counter(lines)


# --- front matter ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    """A one-line `key: value` entry of the front matter, its value a scalar or `[..]`."""

    key: str
    value: yaml.Node


def _field(line: str) -> _Field | None:
    text = _bare(line)
    if not text or text[0] in " \t#-":
        return None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return None
    if not isinstance(node, yaml.MappingNode) or len(node.value) != 1:
        return None
    key, value = node.value[0]
    if not isinstance(key, yaml.ScalarNode) or value.end_mark.line != 0:
        return None
    if isinstance(value, yaml.ScalarNode) and value.style not in ("|", ">"):
        return _Field(key.value, value)
    flow = isinstance(value, yaml.SequenceNode) and value.flow_style
    if flow and all(isinstance(item, yaml.ScalarNode) for item in value.value):
        return _Field(key.value, value)
    return None


def _same_field(old: str, new: str) -> bool:
    a, b = _field(old), _field(new)
    return a is not None and b is not None and a.key == b.key and _ending(old) == _ending(new)


def _resolve_front_matter(hunk: Hunk) -> list[str] | None:
    ours = _align(hunk.base, hunk.ours, _same_field)
    theirs = _align(hunk.base, hunk.theirs, _same_field)
    if ours is None or theirs is None:
        return None
    out: list[str] = []
    for index, (a, b) in enumerate(zip(ours.gaps, theirs.gaps, strict=True)):
        lines = _front_matter_union(a, b)
        if lines is None:
            return None
        out.extend(lines)
        if index < len(hunk.base):
            base, mine, other = hunk.base[index], ours.lines[index], theirs.lines[index]
            line = _pick(base, mine, other) or _flow_union(base, mine, other)
            if line is None:
                return None
            out.append(line)
    return out


def _front_matter_union(ours: Sequence[str], theirs: Sequence[str]) -> list[str] | None:
    """Lines both sides inserted at one place of the front matter: list items (`- x`, for
    the list just above), then one-line fields; identical lines once. The order checks
    nothing: the front matter is read back afterwards (`_check_front_matter`)."""
    parts = []
    for run in (ours, theirs):
        items = [line for line in run if _BLOCK_ITEM.match(line)]
        fields = run[len(items) :]
        if list(run[: len(items)]) != items or not all(_field(line) for line in fields):
            return None
        parts.append((items, list(fields)))
    (items, fields), (more_items, more_fields) = parts
    return [*_once(items, more_items), *_once(fields, more_fields)]


def _once(first: Sequence[str], second: Sequence[str]) -> list[str]:
    """`first`, then the lines of `second` not already in it (as many times as they are)."""
    spare = Counter(first)
    out = list(first)
    for line in second:
        if spare[line]:
            spare[line] -= 1
        else:
            out.append(line)
    return out


def _flow_union(base: str, ours: str, theirs: str) -> str | None:
    """`tags: [a, b]` grown to `[a, b, c]` on one side and `[a, b, d]` on the other →
    `[a, b, c, d]`: ours' line with the items only theirs added, as theirs wrote them."""
    if len({_ending(line) for line in (base, ours, theirs)}) != 1:
        return None
    fields = [_field(line) for line in (base, ours, theirs)]
    nodes = [f.value for f in fields if f is not None and f.key == fields[0].key]  # type: ignore[union-attr]
    if len(nodes) != 3 or not all(isinstance(node, yaml.SequenceNode) for node in nodes):
        return None
    base_values, ours_values, theirs_values = ([_scalar(i) for i in n.value] for n in nodes)
    spare = Counter(base_values)
    if spare - Counter(ours_values) or spare - Counter(theirs_values):
        return None  # an item was removed: not a union
    text = _bare(theirs)
    added = []
    for item, value in zip(nodes[2].value, theirs_values, strict=True):
        if spare[value]:
            spare[value] -= 1
        elif value not in ours_values:
            added.append(text[item.start_mark.column : item.end_mark.column])
    line = _bare(ours)
    close = nodes[1].end_mark.column - 1  # the `]`
    sep = ", " if nodes[1].value and added else ""
    return line[:close].rstrip() + sep + ", ".join(added) + line[close:] + _ending(ours)


def _scalar(node: yaml.Node) -> tuple[str, str]:
    return node.tag, node.value


#: A key no version has.
_MISSING = ("missing",)


def _check_front_matter(
    pieces: list[str | Hunk],
    resolved: dict[int, list[str]],
    starts: dict[int, tuple[int, int]],
    ours: _View,
    theirs: _View,
    versions: list[str],
) -> None:
    """Keep the front matter's resolutions only if all its hunks were resolved and the
    result reads, key by key, as the three-way merge of the three versions (`_merges_to`);
    otherwise drop them all, leaving git's conflicts."""
    touched = [i for i, (a, b) in starts.items() if _touches(ours, a) or _touches(theirs, b)]
    if not touched:
        return
    if all(i in resolved for i in touched):
        result: list[str] = []
        for i, piece in enumerate(pieces):
            if isinstance(piece, Hunk):
                result.extend(_bare(line) for line in resolved.get(i, piece.ours))
            else:
                result.append(_bare(piece))
        result[:1] = [line.removeprefix("\ufeff") for line in result[:1]]
        texts = [result, ours.lines, theirs.lines, *(_note_lines(text) for text in versions)]
        readings = _read_all(texts)
        if readings is not None:
            got, seen_ours, seen_theirs, *three = readings
            keys = set().union(*readings)
            if all(_merges_to(key, got, (seen_ours, seen_theirs), three) for key in keys):
                return
    for i in touched:
        resolved.pop(i, None)


def _read_all(texts: Iterable[Sequence[str]]) -> list[Reading] | None:
    readings = []
    for lines in texts:
        reading = _front_matter(lines)
        if reading is None:
            return None
        readings.append(reading)
    return readings


def _note_lines(text: str) -> list[str]:
    return split_lines(text.removeprefix("\ufeff"))


def _touches(view: _View, start: int) -> bool:
    return view.front_matter is not None and start <= view.front_matter[1]


Reading = dict[str, object]


def _merges_to(
    key: str, result: Reading, sides: tuple[Reading, Reading], versions: Sequence[Reading]
) -> bool:
    """Whether `key` in the result is what a three-way merge gives: a key no hunk touches
    (the same on both sides of every hunk) as it is; else the value of the one side that
    changed it, or, when both added items to one list, that list with both sides' items."""
    got = result.get(key, _MISSING)
    seen = [side.get(key, _MISSING) for side in sides]
    if seen[0] == seen[1]:
        return got == seen[0]
    base, ours, theirs = (version.get(key, _MISSING) for version in versions)
    if ours == theirs or theirs == base:
        return got == ours
    if ours == base:
        return got == theirs
    lists = [v[1] for v in (base, ours, theirs, got) if isinstance(v, tuple) and v[0] == "seq"]
    if len(lists) != 4:
        return False
    b, o, t, g = (Counter(items) for items in lists)
    if b - o or b - t:
        return False
    added = Counter({value: n for value, n in (t - b).items() if value not in o})
    return g == o + added


class _TooBig(Exception):
    pass


def _front_matter(lines: Sequence[str]) -> Reading | None:
    """The front matter's keys and values (scalars as their tag and text), or None when it
    cannot be read safely: not YAML, a key given twice, too many nodes (an alias bomb)."""
    span = front_matter_span(lines)
    if span is None:
        return None if front_matter_kind(lines) else {}
    try:
        node = yaml.compose("\n".join(lines[span[0] + 1 : span[1]]), Loader=_Loader)
        if node is None:
            return {}
        if not isinstance(node, yaml.MappingNode):
            return None
        budget = [MAX_NODES]
        out: Reading = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.value in out:
                return None
            out[key.value] = _plain(value, budget)
        return out
    except (yaml.YAMLError, _TooBig, RecursionError):
        return None


def _plain(node: yaml.Node, budget: list[int]) -> object:
    """A node as comparable tuples, counting nodes (aliases count each time they expand)."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.tag, node.value)
    if isinstance(node, yaml.SequenceNode):
        return ("seq", tuple(_plain(child, budget) for child in node.value))
    pairs = node.value if isinstance(node, yaml.MappingNode) else []
    return ("map", tuple((_plain(k, budget), _plain(v, budget)) for k, v in pairs))
