"""Note syntax: how a line of a Markdown note says what it is, each rule defined once.

The reader (`parse`), the writer (`edit`) and the importers (`importers/merge`, through
the writer) find lines, the front matter, code fences, list items, task boxes, dates,
due-date fields and headings through this module only. So what `crm log` and `crm todo`
write is by construction what `crm due` reads, and the writer never chooses a place by a
rule the reader does not share: a `## Log` heading inside front matter or a fenced block,
a list item the reader sees but the writer would not.

Syntax only: no policy (which notes are contacts, which headings receive a log, what a
status means), no I/O, no problems reported. The patterns are compiled once. The reader's
body scan runs on every line of every note, so it uses the patterns directly, with the
cheap guards documented next to them; the small functions here are for every other caller
and say what the patterns' groups mean.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Literal, NamedTuple

# --- lines ---------------------------------------------------------------------------

#: What ends a line: CRLF, LF, or a lone CR (old Mac files, some sync tools). The writer
#: splits with it (keeping each line's own ending); `split_lines` gives the same lines.
LINE_BREAK = re.compile(r"(\r\n|\n|\r)")


def split_lines(text: str) -> list[str]:
    """A note's lines without their endings, as `LINE_BREAK` cuts them, so that a line
    number means the same line to the reader and the writer. A final line ending gives a
    last empty line (the writer drops it; numbering is unaffected)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


# --- front matter ----------------------------------------------------------------------

FrontMatterKind = Literal["yaml", "toml", "json"]


def front_matter_kind(lines: Sequence[str]) -> FrontMatterKind | None:
    """What the first line opens: YAML (`---`), TOML (`+++`, Hugo), JSON (`{`), or None.

    Only YAML is read or edited; the others are named so the reader can say it ignores
    them and the writer can refuse to touch them. `{{` is a template placeholder, not JSON.
    """
    first = lines[0].rstrip() if lines else ""
    if first == "---":
        return "yaml"
    if first == "+++":
        return "toml"
    if first.startswith("{") and not first.startswith("{{"):
        return "json"
    return None


def front_matter_span(lines: Sequence[str]) -> tuple[int, int] | None:
    """(opening line, closing line) of the front matter, or None when there is none.

    The one rule: `---` alone on the first line (trailing spaces allowed), closed by the
    next line that is `---` or `...`; TOML's `+++` only by `+++`. A front matter that is
    never closed is no front matter (the reader reads the note as body and warns; the
    writer refuses to edit it). JSON front matter has no span: it is read as body.
    """
    kind = front_matter_kind(lines)
    if kind is None or kind == "json":
        return None
    closing = ("---", "...") if kind == "yaml" else ("+++",)
    for index in range(1, len(lines)):
        if lines[index].rstrip() in closing:
            return 0, index
    return None


def body_start(lines: Sequence[str]) -> int:
    """The index of the body's first line: after the front matter, or 0."""
    span = front_matter_span(lines)
    return span[1] + 1 if span else 0


# --- fenced code -----------------------------------------------------------------------

#: A fence line's run of three or more backticks or tildes, also inside a quote or a
#: callout (`> ```). Nothing in a fenced block is a list item, a task, a heading or a link.
FENCE = re.compile(r"^[ \t]*(?:>[ \t]*)*(`{3,}|~{3,})")


def fence_after(fence: str | None, marker: str) -> str | None:
    """The fence open after a fence line whose run is `marker`, given the one open before.

    The one fence rule: outside code, any fence line opens a block; inside, only a run of
    the same character at least as long closes it (a shorter run or the other character
    is code). A block never closed runs to the end of the note.
    """
    if fence is None:
        return marker
    if marker[0] == fence[0] and len(marker) >= len(fence):
        return None
    return fence


class Fence(NamedTuple):
    """An open fenced block: its opening run and the index of the line that opened it."""

    marker: str
    line: int


def scan_fences(lines: Sequence[str], start: int = 0) -> Iterator[tuple[int, bool, Fence | None]]:
    """For each line from `start`: (index, is_text, fence open after the line).

    `is_text` is False for fence lines and for lines inside a fenced block: only text
    lines hold Markdown structure. The reader's hot loop applies `fence_after` inline.
    """
    fence: Fence | None = None
    for index in range(start, len(lines)):
        m = FENCE.match(lines[index])
        if m is None:
            yield index, fence is None, fence
            continue
        after = fence_after(fence.marker if fence else None, m[1])
        if after is None:
            fence = None
        elif fence is None:
            fence = Fence(after, index)
        yield index, False, fence


def unclosed_fence(lines: Sequence[str], start: int = 0) -> Fence | None:
    """The fenced block still open at the end of the note, if any."""
    last: Fence | None = None
    for _, _, after in scan_fences(lines, start):
        last = after
    return last


# --- list items and tasks --------------------------------------------------------------

#: A list item, also inside a quote or callout (`> - x`): group 1 its content, after the
#: indentation, quote markers, marker (`-`, `*`, `+`, `1.`, `1)`) and the space after it.
#: A marker needs a space or tab after it: `-x` and `---` are not items. The reader's body
#: scan matches every line with this, so it captures only what that scan needs;
#: `list_item` cuts the prefix into its parts for the writer.
LIST_ITEM = re.compile(r"^[ \t]*(?:>[ \t]*)*(?:[-*+]|\d{1,9}[.)])[ \t]+(.*)$")
#: A line that starts a list item, even an empty one (`-` alone): not a page-level field.
LIST_START = re.compile(r"^[ \t]*(?:>[ \t]*)*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")


class ListItem(NamedTuple):
    """A list item line cut into its parts; `prefix` is everything before the content."""

    lead: str  # indentation and quote markers
    marker: str  # `-`, `*`, `+`, `1.`, `1)`
    gap: str  # the spaces or tabs after the marker
    content: str

    @property
    def prefix(self) -> str:
        return self.lead + self.marker + self.gap


def list_item(line: str) -> ListItem | None:
    """`  > 1. text` → ListItem("  > ", "1.", " ", "text"); None when not a list item."""
    m = LIST_ITEM.match(line)
    if m is None:
        return None
    prefix = line[: m.start(1)]
    head = prefix.rstrip(" \t")  # the indentation and quote markers, then the marker
    start = len(head) - 1  # a bullet is one character; an ordered marker's digits precede it
    if head[start] in ".)":
        while head[start - 1].isdecimal():  # `LIST_ITEM` put 1 to 9 digits there
            start -= 1
    return ListItem(head[:start], head[start:], prefix[len(head) :], m[1])


#: A task box at the start of a list item's content: group 1 the mark (` ` open, `x`/`X`
#: done, `-` cancelled, `/` in progress, `>` forwarded), group 2 the rest. `[x]done`
#: with no space is still a task, as Obsidian shows it.
TASK = re.compile(r"^\[([ xX\-/>])\][ \t]*(.*)$")


def task_box(content: str) -> tuple[str, str] | None:
    """A list item's content `[x] text` → (`x`, `text`); None when it has no task box."""
    m = TASK.match(content) if content[:1] == "[" else None
    return (m[1], m[2]) if m else None


# --- dates ---------------------------------------------------------------------------

#: A dated list item's (or heading's) prefix: groups 1 `[[`, 2 the date, 3 the time,
#: 4 the separator. `2026-10-02`, `2026-10-02 14:30`, `[[2026-10-02]]`,
#: `[[2026-10-02|Fri]]`, then `:`, `-`, `—`, `–` or only spaces before the text.
LEADING_DATE = re.compile(
    r"^(\[\[)?(\d{4}-\d{2}-\d{2})((?:T|[ ])\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"(?(1)(?:\|[^\]]*)?\]\])(?=$|[\s:\-—–,.])([ \t]*[:\-—–]?[ \t]*)"
)
#: A dated line starts with `[` or an ASCII digit. The reader's hot loop tests this before
#: trying `LEADING_DATE`; `leading_date` applies the same test, so both agree.
DATE_START = "[0123456789"
#: Text that, written after a date and one space, `LEADING_DATE` would read as the date's
#: time (`10:00`) or as its separator (`: x`, `- x`): the writer puts `: ` between them.
NEEDS_SEPARATOR = re.compile(r"[:\-—–]|\d{2}:\d{2}")


def leading_date(content: str) -> re.Match[str] | None:
    """The `LEADING_DATE` match at the start of `content`; the text is after `.end()`."""
    return LEADING_DATE.match(content) if content[:1] in DATE_START else None


#: Obsidian Tasks' due date `📅 2026-10-02` (group 1 the date).
TASKS_DUE = re.compile(r"📅\ufe0f?[ \t]*(\d{4}-\d{2}-\d{2})")
#: Obsidian Tasks' scheduled date `⏳ 2026-10-02`: the due date of a task that has no `📅`.
TASKS_SCHEDULED = re.compile(r"⏳\ufe0f?[ \t]*(\d{4}-\d{2}-\d{2})")
#: Dataview's due field, `[due:: 2026-10-02]` (group 1) or bare `due:: 2026-10-02` (group 2).
DATAVIEW_DUE = re.compile(
    r"\[due::[ \t]*(\d{4}-\d{2}-\d{2})[ \t]*\]|(?<![\w\[])due::[ \t]*(\d{4}-\d{2}-\d{2})"
)
#: Obsidian Tasks' other dates (done, created, scheduled, start): not the task's words.
DONE_MARK = re.compile(r"[✅➕⏳🛫]\ufe0f?[ \t]*\d{4}-\d{2}-\d{2}")
_SPACES = re.compile(r"[ \t]{2,}")


def due_in_task(text: str) -> tuple[str | None, str]:
    """A task's due date as written (`YYYY-MM-DD`, not checked) and its words without it.

    `text` follows the task box. The due date is, first found: a leading date
    (`2026-10-02 call Anna`), Tasks' `📅`, Dataview's `[due:: ]` or `due::`, Tasks' `⏳`.
    Every such field and Tasks' other dates are cut from the words.
    """
    due: str | None = None
    leading = leading_date(text)
    if leading:
        due = leading[2]
        text = text[leading.end() :]
    for pattern in (TASKS_DUE, DATAVIEW_DUE, TASKS_SCHEDULED):
        m = pattern.search(text)
        if m:
            due = due or next(g for g in m.groups() if g)
            text = pattern.sub("", text)
    text = DONE_MARK.sub("", text)
    return due, _SPACES.sub(" ", text).strip()


#: An Obsidian block id at the end of a line (` ^abc-123`): it names the line, it is not
#: part of what it says; a stamp added to a line goes before it.
#: (A match starts only at the first blank of a run, so a line of spaces costs linear time.)
BLOCK_ID = re.compile(r"(?<![ \t])[ \t]+\^[A-Za-z0-9\-]+[ \t]*$")

#: Obsidian Tasks' fields as the plugin reads them when it changes a task: only at the end
#: of the line, after the description, in any order, each anchored at the end and cut off
#: in turn (its `DefaultTaskSerializer`). Group 1 is the value; a field name may repeat
#: (tags). The order is the plugin's order of trying.
_DATE_VALUE = r"\ufe0f?[ \t]*(\d{4}-\d{2}-\d{2})$"
TASKS_TAIL_FIELDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("priority", r"(🔺|⏫|🔼|🔽|⏬)\ufe0f?$"),
        ("done", "✅" + _DATE_VALUE),
        ("cancelled", "❌" + _DATE_VALUE),
        ("due", "(?:📅|📆|🗓)" + _DATE_VALUE),
        ("scheduled", "(?:⏳|⌛)" + _DATE_VALUE),
        ("start", "🛫" + _DATE_VALUE),
        ("created", "➕" + _DATE_VALUE),
        ("recurrence", r"🔁\ufe0f?[ \t]*([a-zA-Z0-9, !]+)$"),
        ("on_completion", r"🏁\ufe0f?[ \t]*([a-zA-Z]+)$"),
        ("tag", r"(?:^|\s)(#[^ !@#$%^&*(),.?\":{}|<>]+)$"),
        ("id", r"🆔\ufe0f?[ \t]*([a-zA-Z0-9\-_]+)$"),
        # the plugin's `id( *, *id *)*`, written so that spaces cannot be split two ways
        ("depends_on", r"⛔\ufe0f?[ \t]*([a-zA-Z0-9\-_]+(?: *, *[a-zA-Z0-9\-_]+)* *)$"),
    )
)


class TasksField(NamedTuple):
    """One Tasks field at the end of a task: its name, value, and where both are in the
    text (`start`..`end` the whole field from its symbol, `value_start`..`end` the value)."""

    name: str
    value: str
    start: int
    value_start: int
    end: int


def tasks_tail(text: str) -> tuple[list[TasksField], int]:
    """The Tasks fields at the end of `text` (what follows a task box), last first, and
    where the description ends. A trailing `^block-id` is not a field and is skipped, as
    the plugin skips it; a field followed by words is part of the description.

    Each field is looked for in the last `_TAIL_WINDOW` characters before the fields
    already cut, so a hostile 100,000-character line costs linear time; a field longer
    than that (no real one is) is read as description.
    """
    block = BLOCK_ID.search(text)
    end = _blank_before(text, block.start() if block else len(text))
    fields: list[TasksField] = []
    for _ in range(20):  # the plugin's bound; each run cuts at least one field or stops
        found = False
        for name, pattern in TASKS_TAIL_FIELDS:
            m = pattern.search(text, max(0, end - _TAIL_WINDOW), end)
            if m is None:
                continue
            start = m.start(1) if name == "tag" else m.start()
            fields.append(TasksField(name, m[1], start, m.start(1), m.end(1)))
            end = _blank_before(text, start)
            found = True
        if not found:
            break
    return fields, end


_TAIL_WINDOW = 1000


def _blank_before(text: str, index: int) -> int:
    """`index` moved back over the whitespace before it (what `text[:index].rstrip()`
    keeps, without copying the line)."""
    while index > 0 and text[index - 1].isspace():
        index -= 1
    return index


# --- headings, quotes ------------------------------------------------------------------

#: An ATX heading's opening `#`s (group 1; the level is their number). The rest of the
#: line is its text, cut by `heading_text` without a regex (a hostile line of spaces
#: costs linear time).
HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)")


def heading_text(line: str) -> str:
    """`## Call with Anna ##` → `Call with Anna`: a closing run of `#`s is not text, but
    only after a space (`## C#` is about C#), as CommonMark reads it."""
    text = line.strip().lstrip("#").strip()
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        text = bare.rstrip()
    return text


def heading(line: str) -> tuple[int, str] | None:
    """`## Log` → (2, `Log`); None when the line is not an ATX heading."""
    m = HEADING.match(line) if "#" in line[:4] else None
    return (len(m[1]), heading_text(line)) if m else None


#: A quote's `>` markers (`> > text`): not the words.
QUOTE = re.compile(r"^[ \t]*(?:>[ \t]*)+")
#: An Obsidian callout's marker (`[!note]- Title`, after the quote markers).
CALLOUT = re.compile(r"^\[![\w-]*\][+-]?[ \t]*")

# --- links and tags ------------------------------------------------------------------

#: `[[Target]]`, `![[Embed]]`, `[[Target#Heading]]`, `[[Target^block]]`, `[[Target|shown]]`:
#: group 1 `!` for an embed, group 2 the target, group 3 the `#heading` or `^block`, group 4
#: the words shown instead of the target (None without a `|`).
WIKILINK = re.compile(
    r"(!?)\[\[([^\[\]|#^]*)((?:#[^\[\]|]*)?(?:\^[^\[\]|]*)?)(?:\|([^\[\]]*))?\]\]"
)
#: A Markdown link `[text](target)` (not an image): group 1 a `<target with spaces>`,
#: group 2 a plain target. Link text and target never span a bracket: each match attempt
#: stops at the next `[`, so a line of 100,000 `[` costs linear time, not quadratic.
MDLINK = re.compile(r"(?<!!)\[[^\[\]]*\]\((?:<([^<>\n]*)>|([^()\[\]<>\s]*))\)")
#: The give-and-get tags of a log line, `#gave` and `#got`, as whole tags.
GAVE_TAG = re.compile(r"(?<![\w#])#gave\b", re.IGNORECASE)
GOT_TAG = re.compile(r"(?<![\w#])#got\b", re.IGNORECASE)

# --- inline fields -------------------------------------------------------------------

#: A page-level inline field: `key:: value` or `key::value` on its own line (Dataview,
#: Logseq page properties), the key optionally in bold as Dataview allows: group 1 the
#: key, group 2 the value. A key is at most four words, so a sentence that mentions
#: `std::vector` is not a field.
INLINE_FIELD = re.compile(
    r"^(?:\*\*|__)?([^\W_][\w\-./]{0,40}(?:[ \t]+[\w\-./]{1,40}){0,3})(?:\*\*|__)?"
    r"[ \t]*::(?!:)[ \t]*(.*?)[ \t]*$"
)
#: A line that is an inline field, listed or not (`- attendees:: [[Anna]]`): data, not a
#: sentence.
FIELD_LINE = re.compile(r"^[ \t]*(?:[-*+][ \t]+)?[\w][\w \t-]{0,63}::")
