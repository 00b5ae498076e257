"""Unit tests of the pure edit functions: exactly the intended lines change."""

from __future__ import annotations

import difflib
from datetime import date

import pytest
import yaml

from plaintextcrm.config import Config
from plaintextcrm.edit import (
    EditError,
    Lines,
    add_front_matter_list_item,
    add_log_line,
    add_task_line,
    mark_task_done,
    set_front_matter_value,
    set_snooze,
    task_style,
    yaml_value,
)
from plaintextcrm.model import Task
from plaintextcrm.parse import parse_note

D = date(2026, 11, 23)


def changed(before: bytes, after: bytes) -> list[str]:
    """The lines a unified diff marks as removed or added."""
    diff = difflib.unified_diff(
        before.decode().splitlines(keepends=True), after.decode().splitlines(keepends=True), n=0
    )
    return [d for d in diff if d[:1] in "+-" and not d.startswith(("+++", "---"))]


def fields(data: bytes):
    note = parse_note("People/Anna.md", data, Config())
    assert not [p for p in note.problems if p.level == "error"], note.problems
    return note.fields


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"a",
        b"a\n",
        b"a\r\nb\r\n",
        b"\xef\xbb\xbf---\r\nx: 1\r\n---\r\nbody",
        b"a\rb\r",
        b"\n\n",
    ],
)
def test_lines_round_trip(data):
    assert Lines.from_bytes(data).to_bytes() == data


def test_not_utf8_is_refused():
    with pytest.raises(EditError, match="not UTF-8"):
        set_snooze(b"---\nname: \xe9\n---\n", D)


@pytest.mark.parametrize(
    "text",
    ["close", "0123", "yes", "12:34:56", "[[Acme]]", "a #b", "# x", " x", "x: y", "'q'", '"q"',
     "null", "~", "Nicolò", "+39 333 1234567", "a\\b", "😀", "- a", "{a}", "!x", "&a", "*a", "|",
     ">", "%x", "@x", "`x", "x\u2028y", "\ufeffx", "a\tb", "?", "? x", "2026-01-01", "1.5", "0x1F"],
)  # fmt: skip
def test_yaml_value_reads_back(text):
    node = yaml.compose(f"k: {yaml_value(text)}\n", Loader=yaml.SafeLoader)
    assert node.value[0][1].value == text


def test_set_value_replaces_only_the_value_keeping_comment_and_quotes():
    before = b'---\nname: "Anna"  # her\nsnooze: 2026-01-01   # after trip\nkey: 1\n---\nbody\n'
    after = set_snooze(before, date(2026, 12, 1))
    assert changed(before, after) == [
        "-snooze: 2026-01-01   # after trip\n",
        "+snooze: 2026-12-01   # after trip\n",
    ]
    assert fields(after).snooze == date(2026, 12, 1)


def test_set_value_fills_an_empty_key_and_adds_a_missing_one():
    before = b"---\nsnooze:\nname: Anna\n---\n"
    after = set_snooze(before, date(2026, 12, 1))
    assert after == b"---\nsnooze: 2026-12-01\nname: Anna\n---\n"
    after = set_front_matter_value(before, "company", "[[Acme]]")
    assert after == b'---\nsnooze:\nname: Anna\ncompany: "[[Acme]]"\n---\n'
    assert fields(after).company == "Acme"


def test_set_value_without_front_matter_creates_one_and_keeps_bom_crlf():
    before = b"\xef\xbb\xbf# Anna\r\nbody"
    after = set_snooze(before, date(2026, 12, 1))
    assert after == b"\xef\xbb\xbf---\r\nsnooze: 2026-12-01\r\n---\r\n# Anna\r\nbody"
    assert fields(after).snooze == date(2026, 12, 1)


def test_set_value_no_overwrite_keeps_user_value():
    before = b"---\nphone: 0123\nemail:\n---\n"
    assert set_front_matter_value(before, "phone", "999", overwrite=False) == before
    after = set_front_matter_value(before, "email", "a@b.c", overwrite=False)
    assert after == b"---\nphone: 0123\nemail: a@b.c\n---\n"


def test_set_value_same_value_is_no_change():
    before = b"---\nsnooze: 2026-12-01\n---\n"
    assert set_snooze(before, date(2026, 12, 1)) == before


def test_set_value_indented_front_matter_keys():
    before = b"---\n  name: Anna\n---\n"
    after = set_snooze(before, date(2026, 12, 1))
    assert after == b"---\n  name: Anna\n  snooze: 2026-12-01\n---\n"


@pytest.mark.parametrize(
    ("before", "message"),
    [
        (b"---\n{name: Anna}\n---\n", "one `{...}` mapping"),
        (b"---\nname: [\n---\n", "not valid YAML"),
        (b"---\nname: Anna\nbody without close\n", "never closed"),
        (b"+++\nname = 'x'\n+++\n", "only YAML"),
        (b"---\n- a\n- b\n---\n", "not a mapping"),
        (b"---\nsnooze: |\n  2026-01-01\n---\n", "spans several lines"),
        (b"---\nsnooze:\n  - 2026-01-01\n---\n", "spans several lines"),
    ],
)
def test_set_value_refuses_what_it_cannot_edit_surgically(before, message):
    with pytest.raises(EditError, match=message):
        set_snooze(before, date(2026, 12, 1))


def test_set_value_refuses_control_characters_and_empty():
    with pytest.raises(EditError):
        set_front_matter_value(b"", "company", "a\x07b")
    with pytest.raises(EditError):
        set_front_matter_value(b"", "company", "   ")


def test_duplicate_key_edits_the_one_readers_see():
    before = b"---\nsnooze: 2026-01-01\nsnooze: 2026-02-01\n---\n"
    after = set_snooze(before, date(2026, 12, 1))
    assert after == b"---\nsnooze: 2026-01-01\nsnooze: 2026-12-01\n---\n"


def test_list_item_appended_to_block_list_in_its_indentation():
    before = b"---\ntags:\n- person\n- friend   # c\nname: Anna\n---\n"
    after = add_front_matter_list_item(before, "tags", "climbing")
    assert changed(before, after) == ["+- climbing\n"]
    assert fields(after).tags == ("person", "friend", "climbing")


def test_list_item_new_key_uses_the_notes_list_indentation():
    before = b"---\naliases:\n    - Annie\n---\n"
    after = add_front_matter_list_item(before, "emails", "a@b.c")
    assert after == b"---\naliases:\n    - Annie\nemails:\n    - a@b.c\n---\n"
    assert fields(after).emails == ("a@b.c",)


def test_list_item_flow_list_and_empty_flow_list():
    assert add_front_matter_list_item(b"---\ntags: [a, b] # x\n---\n", "tags", "c") == (
        b"---\ntags: [a, b, c] # x\n---\n"
    )
    assert add_front_matter_list_item(b"---\ntags: []\n---\n", "tags", "c") == (
        b"---\ntags: [c]\n---\n"
    )


def test_list_item_scalar_becomes_a_list_and_null_is_filled():
    before = b"---\nemail: a@b.c # work\nphones: ~\n---\n"
    after = add_front_matter_list_item(before, "email", "x@y.z")
    assert after == b"---\nemail: # work\n  - a@b.c\n  - x@y.z\nphones: ~\n---\n"
    after = add_front_matter_list_item(after, "phones", "0123")
    assert after.endswith(b'phones:\n  - "0123"\n---\n')
    assert fields(after).emails == ("a@b.c", "x@y.z")
    assert fields(after).phones == ("0123",)


def test_list_item_already_present_is_no_change():
    for before in (b"---\ntags: [a]\n---\n", b"---\ntags:\n  - a\n---\n", b"---\ntags: a\n---\n"):
        assert add_front_matter_list_item(before, "tags", "a") == before


def test_list_item_refuses_mapping_and_multiline_flow():
    with pytest.raises(EditError, match="mapping"):
        add_front_matter_list_item(b"---\ntags:\n  a: 1\n---\n", "tags", "b")
    with pytest.raises(EditError, match="several lines"):
        add_front_matter_list_item(b"---\ntags: [a,\n  b]\n---\n", "tags", "c")


LOG = b"""---
name: Anna
---
# Anna

## Log

- 2026-01-10 coffee
- 2026-03-02 lunch
  - sub point

## Notes
text
"""


def test_log_line_in_date_order_oldest_first():
    after = add_log_line(LOG, date(2026, 2, 1), "call")
    assert changed(LOG, after) == ["+- 2026-02-01 call\n"]
    after = add_log_line(LOG, date(2026, 11, 23), "walk", gave=True)
    lines = after.decode().splitlines()
    assert lines[lines.index("  - sub point") + 1] == "- 2026-11-23 walk #gave"
    assert add_log_line(LOG, date(2025, 1, 1), "first").decode().splitlines()[7] == (
        "- 2025-01-01 first"
    )
    note = parse_note("People/Anna.md", after, Config())
    assert [(i.date, i.text, i.gave) for i in note.items][-1] == (
        date(2026, 11, 23),
        "walk #gave",
        True,
    )


def test_log_line_newest_first_and_style_copied():
    before = b"## Log\n* [[2026-03-02]] \xe2\x80\x94 lunch\n* [[2026-01-10]] \xe2\x80\x94 coffee\n"
    after = add_log_line(before, date(2026, 2, 1), "call", got=True)
    assert after.decode().splitlines() == [
        "## Log",
        "* [[2026-03-02]] — lunch",
        "* [[2026-02-01]] — call #got",
        "* [[2026-01-10]] — coffee",
    ]
    after = add_log_line(before, date(2026, 5, 1), "new")
    assert after.decode().splitlines()[1] == "* [[2026-05-01]] — new"


def test_log_heading_missing_is_created_at_end_keeping_missing_newline():
    after = add_log_line(b"# Anna\nno newline", D, "met")
    assert after == b"# Anna\nno newline\n\n## Log\n\n- 2026-11-23 met"
    after = add_log_line(b"", D, "met")
    assert after == b"## Log\n\n- 2026-11-23 met\n"


def test_log_ignores_headings_in_code_blocks_and_keeps_crlf():
    before = b"```\n## Log\n```\r\n## Log\r\n- 2026-01-01 a\r\n"
    after = add_log_line(before, D, "b")
    assert after == before + b"- 2026-11-23 b\r\n"


def test_log_text_hashtags_not_doubled_and_newlines_flattened():
    after = add_log_line(b"## Log\n", D, "gift #gave\nsecond line", gave=True)
    assert after == b"## Log\n- 2026-11-23 gift #gave second line\n"


def test_task_line_styles_and_placement():
    after = add_task_line(LOG, "send deck", date(2026, 12, 1))
    assert changed(LOG, after) == ["+- [ ] 2026-12-01 send deck\n"]
    lines = after.decode().splitlines()
    assert lines[lines.index("  - sub point") + 1] == "- [ ] 2026-12-01 send deck"
    tasks = b"## Log\n- 2026-01-01 a\n\n## Tasks\n- [ ] x \xf0\x9f\x93\x85 2026-12-01\n\n## End\n"
    assert task_style(tasks) == "tasks"
    after = add_task_line(tasks, "y", date(2026, 12, 5), style="tasks")
    assert changed(tasks, after) == ["+- [ ] y 📅 2026-12-05\n"]
    after = add_task_line(b"text", "y", date(2026, 12, 5), style="dataview")
    assert after == b"text\n- [ ] y [due:: 2026-12-05]"
    note = parse_note("People/A.md", after, Config())
    assert note.tasks[0].due == date(2026, 12, 5)


def _task(line: int, text: str, due: date | None = None) -> Task:
    return Task("People/A.md", line, "open", due, text)


def test_mark_task_done_plain_and_tasks_style():
    before = b"- [ ] 2026-12-01 call\n- [ ] x \xf0\x9f\x93\x85 2026-12-01 ^abc\n"
    after = mark_task_done(before, _task(1, "call", date(2026, 12, 1)), today=D)
    assert changed(before, after) == ["-- [ ] 2026-12-01 call\n", "+- [x] 2026-12-01 call\n"]
    after = mark_task_done(before, _task(2, "x ^abc", date(2026, 12, 1)), today=D)
    assert after.decode().splitlines()[1] == "- [x] x 📅 2026-12-01 ✅ 2026-11-23 ^abc"
    note = parse_note("People/A.md", after, Config())
    assert [t.status for t in note.tasks] == ["open", "done"]


def test_mark_task_done_finds_the_task_by_what_it_says_not_its_line():
    before = b"new first line\n- [ ] call\n"
    assert mark_task_done(before, _task(1, "call"), today=D) == b"new first line\n- [x] call\n"
    # Line 2 once held "call Ben"; a line inserted above shifted it: never tick the neighbour.
    shifted = b"- [ ] call Anna\ninserted\n- [ ] call Ben\n"
    after = mark_task_done(shifted, _task(2, "call Ben"), today=D)
    assert after == b"- [ ] call Anna\ninserted\n- [x] call Ben\n"
    with pytest.raises(EditError, match="no longer open"):
        mark_task_done(before, _task(2, "call Anna"), today=D)
    with pytest.raises(EditError, match="no longer open"):
        mark_task_done(b"- [x] call\n", _task(1, "call"), today=D)
