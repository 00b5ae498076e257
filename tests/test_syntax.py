"""The note syntax module, and the reader and the writer agreeing through it.

`plaintextcrm/syntax.py` holds the one definition of each piece of note syntax; these
tests pin each rule down, then check that the writer (`edit`) finds the lines the reader
(`parse`) reads: the same list items, tasks, dates, fences and front matter.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from plaintextcrm import syntax
from plaintextcrm.config import parse_config
from plaintextcrm.edit import (
    EditError,
    Lines,
    add_log_line,
    add_task_line,
    mark_task_done,
    one_line,
    task_style,
)
from plaintextcrm.edit import _fences as edit_fences
from plaintextcrm.edit import _front_matter as edit_front_matter
from plaintextcrm.parse import _front_matter as parse_front_matter
from plaintextcrm.parse import _Notes as parse_notes
from plaintextcrm.parse import parse_note, read_task

CONFIG = parse_config({})
PATH = "People/Anna.md"
D = date(2026, 11, 23)


def parsed(data: bytes | str):
    return parse_note(PATH, data.encode() if isinstance(data, str) else data, CONFIG)


# --- lines -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "a", "a\n", "a\r\nb", "a\rb\r\n\rc", "a\r\r\nb", "\n\n", "x\u2028y\x85z"]
)
def test_split_lines_cuts_where_line_break_does(text):
    assert syntax.split_lines(text) == syntax.LINE_BREAK.split(text)[0::2]


# --- front matter ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "kind", "span"),
    [
        (["---", "a: 1", "---", "body"], "yaml", (0, 2)),
        (["--- ", "a: 1", "...", "---"], "yaml", (0, 2)),
        (["---", "---"], "yaml", (0, 1)),
        (["---", "a: 1"], "yaml", None),  # never closed: no front matter
        (["+++", "a = 1", "---", "+++"], "toml", (0, 3)),
        (["+++", "a = 1"], "toml", None),
        (['{"a": 1}', "body"], "json", None),
        (["{{date}}", "---"], None, None),
        (["body", "---", "a: 1", "---"], None, None),
        (["", "---", "a: 1", "---"], None, None),
        ([], None, None),
    ],
)
def test_front_matter_span(lines, kind, span):
    assert syntax.front_matter_kind(lines) == kind
    assert syntax.front_matter_span(lines) == span
    assert syntax.body_start(lines) == (span[1] + 1 if span else 0)


# --- fences ----------------------------------------------------------------------------


def text_lines(lines: list[str], start: int = 0) -> list[int]:
    return [i for i, is_text, _ in syntax.scan_fences(lines, start) if is_text]


def test_fence_rule():
    assert syntax.fence_after(None, "```") == "```"
    assert syntax.fence_after("```", "```") is None
    assert syntax.fence_after("```", "````") is None  # longer closes
    assert syntax.fence_after("````", "```") == "````"  # shorter is code
    assert syntax.fence_after("```", "~~~") == "```"  # the other character is code


def test_scan_fences():
    lines = ["a", "```py", "- 2026-01-01 x", "~~~", "```", "b", "> ~~~~", "c", "~~~", "d"]
    assert text_lines(lines) == [0, 5]  # a block never closed runs to the end
    assert syntax.unclosed_fence(lines) == syntax.Fence("~~~~", 6)
    closed = [*lines, "~~~~~", "e"]
    assert syntax.unclosed_fence(closed) is None
    assert text_lines(closed) == [0, 5, 11]
    assert text_lines(closed, 5) == [5, 11]
    assert text_lines(closed, 2) == [2, 7, 11]  # from line 2, `~~~` opens and `> ~~~~` closes
    assert syntax.unclosed_fence(closed[:10], 2) == syntax.Fence("~~~", 8)


# --- list items and tasks --------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "parts"),
    [
        ("- x", ("", "-", " ", "x")),
        ("\t*\tx", ("\t", "*", "\t", "x")),
        ("  + [ ] t", ("  ", "+", " ", "[ ] t")),
        ("12. x", ("", "12.", " ", "x")),
        ("3) x", ("", "3)", " ", "x")),
        ("\u0661\u0662. x", ("", "\u0661\u0662.", " ", "x")),  # any decimal digit, as \d reads them
        ("> - x", ("> ", "-", " ", "x")),
        (" >> 1. x", (" >> ", "1.", " ", "x")),
        ("- ", ("", "-", " ", "")),
        ("-x", None),
        ("-", None),
        ("---", None),
        ("1234567890. x", None),
        ("text - x", None),
    ],
)
def test_list_item(line, parts):
    item = syntax.list_item(line)
    assert (tuple(item) if item else None) == parts
    if item:
        assert item.prefix + item.content == line
    assert bool(syntax.LIST_START.match(line)) == (parts is not None) or line == "-"


@pytest.mark.parametrize(
    ("content", "box"),
    [
        ("[ ] call", (" ", "call")),
        ("[x]done", ("x", "done")),
        ("[X] a", ("X", "a")),
        ("[-] a", ("-", "a")),
        ("[/] a", ("/", "a")),
        ("[>] a", (">", "a")),
        ("[?] a", None),
        ("[[Anna]]", None),
        ("", None),
        ("call [ ]", None),
    ],
)
def test_task_box(content, box):
    assert syntax.task_box(content) == box


@pytest.mark.parametrize(
    ("content", "groups", "rest"),
    [
        ("2026-10-02 coffee", ("2026-10-02", None, ""), "coffee"),
        ("2026-10-02: coffee", ("2026-10-02", None, ":"), "coffee"),
        ("2026-10-02 — coffee", ("2026-10-02", None, "—"), "coffee"),
        ("2026-10-02 14:30 call", ("2026-10-02", " 14:30", ""), "call"),
        ("2026-10-02T14:30+02:00 call", ("2026-10-02", "T14:30+02:00", ""), "call"),
        ("[[2026-10-02]] dinner", ("2026-10-02", None, ""), "dinner"),
        ("[[2026-10-02|Fri]] - dinner", ("2026-10-02", None, "-"), "dinner"),
        ("2026-10-02", ("2026-10-02", None, ""), ""),
        ("2026-10-02x", None, None),
        ("20261002 x", None, None),
        ("[[2026-10-02]x", None, None),
        ("x 2026-10-02", None, None),
        ("\u0662\u0660\u0662\u0666-10-02 x", None, None),  # only an ASCII digit starts one
    ],
)
def test_leading_date(content, groups, rest):
    m = syntax.leading_date(content)
    if groups is None:
        assert m is None
        return
    assert m is not None
    assert (m[2], m[3], m[4].strip()) == groups
    assert content[m.end() :] == rest


@pytest.mark.parametrize(
    ("text", "due", "words"),
    [
        ("call Anna", None, "call Anna"),
        ("2026-10-02 call Anna", "2026-10-02", "call Anna"),
        ("call Anna 📅 2026-10-02", "2026-10-02", "call Anna"),
        ("call Anna 📅️2026-10-02 ✅ 2026-10-03", "2026-10-02", "call Anna"),
        ("call Anna [due:: 2026-10-02]", "2026-10-02", "call Anna"),
        ("call Anna due:: 2026-10-02", "2026-10-02", "call Anna"),
        ("call Anna ⏳ 2026-10-02", "2026-10-02", "call Anna"),
        ("call ⏳ 2026-10-01 Anna 📅 2026-10-02", "2026-10-02", "call Anna"),
        ("2026-10-01 call 📅 2026-10-02", "2026-10-01", "call"),
        ("call ➕ 2026-09-01 🛫 2026-09-02 Anna", None, "call Anna"),
        ("x overdue:: 2026-10-02", None, "x overdue:: 2026-10-02"),
        ("x [overdue:: 2026-10-02]", None, "x [overdue:: 2026-10-02]"),
        ("x due:: soon", None, "x due:: soon"),
    ],
)
def test_due_in_task(text, due, words):
    assert syntax.due_in_task(text) == (due, words)


# --- headings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("# Title", (1, "Title")),
        ("   ###### Deep", (6, "Deep")),
        ("## Log ##", (2, "Log")),
        ("## Log#", (2, "Log#")),
        ("## C#", (2, "C#")),
        ("##\tLog", (2, "Log")),
        ("##", (2, "")),
        ("## #", (2, "")),
        ("####### seven", None),
        ("    # code", None),
        ("#tag", None),
        ("> # quoted", None),
    ],
)
def test_heading(line, found):
    assert syntax.heading(line) == found


# --- the reader and the writer agree -----------------------------------------------------

LIST_FORMS = ["- ", "* ", "+ ", "1. ", "7) ", "  - ", "\t- ", "> - ", "> > 1) ", "-\t"]


@pytest.mark.parametrize("prefix", LIST_FORMS)
def test_writer_ticks_every_task_the_reader_reads(prefix):
    """Whatever list form the reader takes a task from, `crm done` can tick it (a task in
    a quote or callout made the writer fail an assertion)."""
    data = f"# Anna\n\n{prefix}[ ] call Anna 📅 2026-12-01 ^b1\n".encode()
    [task] = parsed(data).tasks
    assert (task.status, task.due, task.text) == ("open", date(2026, 12, 1), "call Anna ^b1")
    new = mark_task_done(data, task, today=D)
    line = f"{prefix}[x] call Anna 📅 2026-12-01 ✅ 2026-11-23 ^b1"
    assert new.decode().splitlines()[-1] == line
    assert read_task(line)[0] == "done"
    assert [t.status for t in parsed(new).tasks] == ["done"]


@pytest.mark.parametrize("prefix", LIST_FORMS)
def test_writer_copies_every_list_form_the_reader_reads(prefix):
    """A log kept in a quote or a callout gets its new line there, in its own form."""
    data = f"## Log\n{prefix}2026-01-05 coffee\n{prefix}2026-02-01 lunch\n".encode()
    new = add_log_line(data, date(2026, 3, 1), "call")
    ordered = prefix.strip(" \t>")[:1].isdigit()
    expected = prefix.replace(prefix.strip(" \t>")[:1], "1", 1) if ordered else prefix
    assert new.decode().splitlines()[-1] == f"{expected}2026-03-01 call"
    assert [i.text for i in parsed(new).items] == ["coffee", "lunch", "call"]
    todo = add_task_line(data + b"- [ ] x\n", "ask", date(2026, 3, 2))
    assert [(t.text, t.due) for t in parsed(todo).tasks][-1] == ("ask", date(2026, 3, 2))


TOML = '+++\n# Log\nnote = """\n```\n"""\n+++\n# Anna\n\n## Log\n- 2026-01-01 a\n\n## Notes\n'


def test_writer_body_starts_after_toml_front_matter():
    """The reader skips a TOML front matter; the writer took its `# Log` comment for the
    log heading and its ``` for an unclosed code block."""
    assert [i.line for i in parsed(TOML).items] == [10]
    new = add_log_line(TOML.encode(), date(2026, 1, 5), "call")
    assert new.decode() == TOML.replace("- 2026-01-01 a\n", "- 2026-01-01 a\n- 2026-01-05 call\n")
    assert [i.text for i in parsed(new).items] == ["a", "call"]
    todo = add_task_line(TOML.encode(), "ask", None)
    assert todo.decode() == TOML.replace("- 2026-01-01 a\n", "- 2026-01-01 a\n- [ ] ask\n")


@pytest.mark.parametrize(
    ("title", "is_log"),
    [("## Log", True), ("## Log ##", True), ("### log:", True), ("## Log#", False)],
)
def test_writer_names_headings_as_the_reader_reads_them(title, is_log):
    """A closing run of `#`s needs a space before it, as for the reader (`## C#`)."""
    data = f"# Anna\n\n{title}\n\n## Notes\ntext\n".encode()
    new = add_log_line(data, D, "call").decode().splitlines()
    assert (new[3] == "- 2026-11-23 call") == is_log
    assert (new[-3:] == ["## Log", "", "- 2026-11-23 call"]) != is_log


@pytest.mark.parametrize(
    ("tasks", "style"),
    [
        ("- [ ] a 📅 2026-01-01", "tasks"),
        ("- [ ] a ⏳ 2026-01-01", "tasks"),  # the reader's due date; was None
        ("- [x] a ✅ 2026-01-01", "tasks"),
        ("- [ ] a [due:: 2026-01-01]", "dataview"),
        ("- [ ] a due:: 2026-01-01", "dataview"),
        ("- [ ] a due:: soon\n- [ ] 2026-01-01 b", "plain"),  # no due date read: was dataview
        ("- [ ] 2026-01-01 a", "plain"),
        ("> - [ ]\t2026-01-01 a", "plain"),
        ("- [ ] a\n- b 📅 2026-01-01", None),
    ],
)
def test_task_style_is_that_of_a_task_the_reader_dates(tasks, style):
    assert task_style(f"# Anna\n{tasks}\n".encode()) == style


def test_writer_orders_a_log_by_the_dates_the_reader_reads():
    """`2٠26-01-09` (with an Arabic-Indic zero) is a date to the reader; the writer
    ordered the newest-first log without it and put February after January."""
    data = "## Log\n- 2026-03-01 c\n- 2٠26-01-09 b\n- 2026-01-01 a\n".encode()
    assert [str(i.date) for i in parsed(data).items] == ["2026-03-01", "2026-01-09", "2026-01-01"]
    new = add_log_line(data, date(2026, 2, 1), "x").decode().splitlines()
    assert new[1:4] == ["- 2026-03-01 c", "- 2026-02-01 x", "- 2٠26-01-09 b"]


@pytest.mark.parametrize(
    "note",
    [
        "---\nemail: a@b.c\n---\n",
        "--- \nemail: a@b.c\n---\n",  # a trailing space after the opening ---
        "---\remail: a@b.c\r---\r",  # lone CRs
        '---\n"email": a@b.c\n---\n',  # a quoted key
        "---\nemail: a@b.c\n...\n# Anna\n---\nphone: 1\n",  # closed by ...
    ],
)
def test_import_merge_finds_the_front_matter_the_reader_reads(note):
    """merge.py had its own front matter locator (`---` then LF, closed by `---` only, keys
    by a regex): on these notes it missed `email:`, and the import's second address was
    reported as merged but silently not written."""
    from plaintextcrm.importers.merge import Addition, merge_edit

    new = merge_edit([Addition("emails", "x@y.z")])(note.encode())
    assert parsed(new).fields.emails == ("a@b.c", "x@y.z")
    assert parsed(new).fields.phones == ()


@pytest.mark.parametrize("style", ["plain", "tasks", "dataview"])
@pytest.mark.parametrize(
    "text",
    ["flights 📅 2026-05-03", "2026-05-03 flights", "x [due:: 2026-05-03]", "x ⏳ 2026-05-03"],
)
def test_a_follow_up_whose_text_holds_a_date_keeps_its_due_date(style, text):
    """`crm log Anna "flights 📅 2026-05-03" --next 2w` in a Tasks-style note wrote
    `- [ ] follow up: flights 📅 2026-05-03 📅 2026-12-07`, which the reader reads as due
    on May 3rd (the first `📅`). Such a text now gets its due date first."""
    new = add_task_line(b"# Anna\n", text, date(2026, 12, 7), style=style)
    [task] = parsed(new).tasks
    assert task.due == date(2026, 12, 7)
    assert new.decode().splitlines()[-1].startswith("- [ ] 2026-12-07 ")


# --- property: what the writer inserts is what the reader reads ----------------------------

FRONT = [
    ["---", "name: Anna", "---"],
    ["--- ", "tags: [person]", "..."],
    ["---", "# a comment", "note: |", "  - 2026-01-01 in a block scalar", "  ## Log", "---"],
    ["---", "---"],
    ["---", "name: never closed"],
    ["+++", "# Log", 'title = "x"', "+++"],
    ["+++", 'note = """', "```", '"""', "+++"],
    ['{"title": "json"}'],
]
DATES = ["2026-01-05", "[[2026-02-01]]", "2026-03-01 10:00", "[[2025-12-24|Wed]]", "2026-02-30"]
MARKERS = ["- ", "* ", "+ ", "1. ", "2) ", "  - ", "\t* ", "> - ", "> > 1. ", "- [ ] ", "* [x] "]
SEPARATORS = [" ", ": ", " — ", " - ", " – ", "  "]
PLAIN_LINES = [
    "", " ", "# Anna", "## Log", "## log:", "### Log", "## Log#", "# Log", "## Notes",
    "## Follow-ups", "### Tasks", "## Interactions", "```", "````", "~~~", "> ```",
    "   ```js", "    # indented code", "---", "***", "text with [[Bob]]", "| a | b |",
    "attendees:: [[Anna]]", "<!-- - 2026-01-01 comment -->", "continued line",
    "- [ ] call 📅 2026-04-01", "- [ ] x [due:: 2026-04-02]", "- [ ] x ⏳ 2026-04-03",
    "- [x] done ✅ 2026-01-01", "- [ ] x due:: soon", "- [-] 2026-01-01 dropped",
]  # fmt: skip
LINE = st.one_of(
    st.sampled_from(PLAIN_LINES),
    st.builds(
        "{}{}{}{}".format,
        st.sampled_from(MARKERS),
        st.sampled_from(DATES),
        st.sampled_from(SEPARATORS),
        st.sampled_from(["coffee", "lunch #gave", "10:00 call", "- x", "[[Bob]]", ""]),
    ),
)
TEXT_ALPHABET = st.characters(blacklist_categories=["Cs"])
WORDS = [
    "call", "Anna", "[[Bob]]", ":", "-", "—", "10:00", "2026-05-01", "[[2026-05-02]]",
    "#gave", "#got", "  ", "\t", "[ ]", "[x]", "T10:00", ",", ".", "|", "]]", "^id",
    "📅 2026-05-03", "⏳ 2026-05-04", "[due:: 2026-05-05]", "due:: 2026-05-06",
    "✅ 2026-05-07", "```", "# x", "> x", "1.", "::",
]  # fmt: skip
#: Text as a user types it, and text made of the syntax a line may hold.
TEXT = st.one_of(
    st.text(TEXT_ALPHABET, min_size=1, max_size=20),
    st.lists(
        st.sampled_from(WORDS),
        min_size=1,
        max_size=6,
    ).map(" ".join),
)
#: Task words the reader shows as written: no Tasks or Dataview date field among them.
FIELDS = ("📅", "⏳", "✅", "➕", "🛫", "due::")


@st.composite
def any_note(draw) -> bytes:
    lines = draw(st.sampled_from([[], *FRONT]))
    lines = [*lines, *draw(st.lists(LINE, max_size=14))]
    ends = draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"]))
    text = ""
    for line in lines:
        text += line + (draw(st.sampled_from(["\n", "\r\n", "\r"])) if ends == "mixed" else ends)
    if draw(st.booleans()):
        text = text.removesuffix("\n").removesuffix("\r")
    return (("\ufeff" if draw(st.booleans()) else "") + text).encode()


def inserted(before: bytes, after: bytes) -> list[str]:
    """The lines `after` adds to `before`; every line of `before` is kept, in order."""
    old = Lines.from_bytes(before).text
    new = Lines.from_bytes(after).text
    kept = iter(new)
    added = []
    for line in old:
        for candidate in kept:
            if candidate == line:
                break
            added.append(candidate)
        else:
            raise AssertionError(f"line {line!r} was lost")
    return added + list(kept)


def refused(edit, data: bytes) -> bytes | None:
    """The edit's result, or None when it refuses; a refusal for an unclosed code block
    must name a line the reader reads as body."""
    try:
        new = edit()
    except EditError as exc:
        assert exc.message and "\n" not in exc.message
        event("refused: " + re.sub(r"\d+|`+|~+", "N", exc.message.split(";")[0]))
        fence = re.match(r"line (\d+) opens a", exc.message)
        if fence:
            lines = syntax.split_lines(data.decode().removeprefix("\ufeff"))
            assert int(fence[1]) > parse_front_matter(lines, parse_notes(PATH))[1]
        return None
    event("written")
    return new


def items(note) -> Counter:
    return Counter((i.date, i.text, i.gave, i.got) for i in note.items)


def tasks(note) -> Counter:
    return Counter((t.status, t.due, t.text) for t in note.tasks)


PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
DAYS = st.dates(date(1900, 1, 1), date(2100, 12, 31))


@PROPERTY
@given(any_note(), DAYS, TEXT, st.sampled_from([(False, False), (True, False), (False, True)]))
def test_a_logged_line_is_read_as_that_interaction(data, when, text, gave_got):
    before = parsed(data)
    assume(not before.skipped)
    new = refused(lambda: add_log_line(data, when, text, gave=gave_got[0], got=gave_got[1]), data)
    if new is None:
        return
    words = one_line(text)
    words += " #gave" * (gave_got[0] and not syntax.GAVE_TAG.search(words))
    words += " #got" * (gave_got[1] and not syntax.GOT_TAG.search(words))
    tagged = (bool(syntax.GAVE_TAG.search(words)), bool(syntax.GOT_TAG.search(words)))
    after = parsed(new)
    assert items(after) - items(before) == Counter([(when, words, *tagged)]), new
    assert items(before) - items(after) == Counter()
    assert tasks(after) == tasks(before)
    [added] = [a for a in inserted(data, new) if a.strip() and a != "## Log"]
    lines = Lines.from_bytes(new).text
    assert added in [lines[i.line - 1] for i in after.items if (i.date, i.text) == (when, words)]


@PROPERTY
@given(any_note(), DAYS, TEXT, st.sampled_from(["plain", "tasks", "dataview"]))
def test_a_follow_up_is_read_as_that_task(data, due, text, style):
    before = parsed(data)
    assume(not before.skipped)
    new = refused(lambda: add_task_line(data, text, due, style=style), data)
    if new is None:
        return
    after = parsed(new)
    [added] = tasks(after) - tasks(before)
    assert tasks(before) - tasks(after) == Counter()
    assert added[:2] == ("open", due), new
    if not any(field in text for field in FIELDS):
        assert added[2] == re.sub(r"[ \t]{2,}", " ", one_line(text)), new
    assert items(after) == items(before)
    assert len([a for a in inserted(data, new) if a.strip()]) == 1


@PROPERTY
@given(any_note(), st.data())
def test_every_open_task_the_reader_reads_can_be_ticked(data, pick):
    before = parsed(data)
    open_tasks = [t for t in before.tasks if t.status == "open" and t.line]
    assume(open_tasks)
    task = pick.draw(st.sampled_from(open_tasks))
    new = mark_task_done(data, task, today=D)
    after = parsed(new)
    old_lines, new_lines = Lines.from_bytes(data), Lines.from_bytes(new)
    assert old_lines.ends == new_lines.ends
    changed = [
        i for i, (a, b) in enumerate(zip(old_lines.text, new_lines.text, strict=True)) if a != b
    ]
    assert changed == [task.line - 1]  # that line, nothing else
    [ticked] = tasks(after) - tasks(before)
    assert ticked[0] == "done" and ticked[1] == task.due
    assert tasks(before) - tasks(after) == Counter([(task.status, task.due, task.text)])


@PROPERTY
@given(any_note())
@example(b"---\nname: never closed\n***\n---\n")  # not valid YAML: both complain
def test_the_writer_finds_the_front_matter_and_body_the_reader_reads(data):
    """The writer's lines are the reader's lines; its front matter ends where the
    reader's body starts, and every line it may edit in the body is the reader's body."""
    reader_lines = syntax.split_lines(data.decode().removeprefix("\ufeff"))
    writer = Lines.from_bytes(data)
    assert writer.text == reader_lines[: len(writer.text)]
    assert not any(reader_lines[len(writer.text) :])
    problems = parse_notes(PATH)
    _, body = parse_front_matter(reader_lines, problems)
    try:
        fm = edit_front_matter(writer, create=False)
    except EditError as exc:  # refused: a front matter the reader does not read either
        assert problems.problems, exc  # (TOML, JSON, never closed, not valid YAML)
        event("refused")
    else:
        assert body == (fm.close + 1 if fm.open == 0 else 0)
        event("no front matter" if fm.open < 0 else "front matter")
    visible, _ = edit_fences(writer)
    assert not visible or visible[0] >= body
    assert syntax.body_start(writer.text) == body
