"""Property: the writer's edits are exact on arbitrary notes (SPEC 9, BAD_INPUTS 3, 4, 47).

For any note, an edit either refuses (a CrmError with a message, nothing written) or
changes exactly the lines it is about: every other line keeps its bytes, including its
line ending; a last line without a newline only gains one. The parser then sees the
edit: one more interaction, one more follow-up, the new snooze date.
"""

from __future__ import annotations

import difflib
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from plaintextcrm.config import parse_config
from plaintextcrm.errors import CrmError
from plaintextcrm.parse import parse_note

from .helpers import has_command
from .test_properties import body_line, front_matter

pytestmark = pytest.mark.xfail(not has_command("log"), reason="needs writer", strict=False)

CONFIG = parse_config({})
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PATH = "People/Prop Person.md"
BOM = b"\xef\xbb\xbf"

safe_text = st.text(
    st.characters(blacklist_categories=["Cc", "Cs", "Zl", "Zp"]), min_size=1, max_size=30
).filter(lambda t: t.strip() and t == t.strip() and t[0] not in ":-—–")  # a leading
# separator after the date is read as the separator (`- 2026-11-02: text`), by design


@st.composite
def notes(draw) -> bytes:
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    lines: list[str] = []
    if draw(st.booleans()):
        lines += ["---", *draw(front_matter).splitlines(), "---"]
    lines += draw(st.lists(body_line, max_size=12))
    lines = [part for line in lines for part in line.replace("\r", "\n").split("\n")]
    text = eol.join(lines)
    if draw(st.booleans()):
        text += eol
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + text).encode("utf-8", "surrogatepass")


def exact_diff(old: bytes, new: bytes) -> list[bytes]:
    """The added lines; fails if any other line changed (bar a newline at the very end)."""
    old, new = unbom(old, new)
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    added: list[bytes] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        removed = a[i1:i2]
        if removed:
            # only the last line may change, and only by gaining its line ending
            assert removed == [a[-1]] and i2 == len(a) and not a[-1].endswith(b"\n"), (
                removed,
                b[j1:j2],
            )
            assert b[j1].startswith(a[-1]) and b[j1][len(a[-1]) :] in (b"\n", b"\r\n")
            added += b[j1 + 1 : j2]
        else:
            added += b[j1:j2]
    return added


def unbom(old: bytes, new: bytes) -> tuple[bytes, bytes]:
    """The BOM stays first, where it was: compare the notes without it."""
    assert old.startswith(BOM) == new.startswith(BOM)
    return old.removeprefix(BOM), new.removeprefix(BOM)


def parsed(data: bytes):
    return parse_note(PATH, data, CONFIG)


def refused_or(edit):
    try:
        return edit()
    except CrmError as exc:
        assert exc.message.strip() and "\n" not in exc.message
        return None


@SETTINGS
@given(notes(), st.dates(date(1900, 1, 1), date(2100, 12, 31)), safe_text)
def test_log_line_is_exact(data, when, text):
    from plaintextcrm.edit import add_log_line

    before = parsed(data)
    assume(not before.skipped)
    new = refused_or(lambda: add_log_line(data, when, text))
    if new is None:
        return
    added = exact_diff(data, new)
    [line] = [a for a in added if when.isoformat().encode() in a]
    assert text.encode() in line
    assert all(a == line or a.strip() in (b"", b"## Log") for a in added), added
    after = parsed(new)
    old_items = [(i.date, i.text) for i in before.items]
    new_items = [(i.date, i.text) for i in after.items]
    assert len(new_items) == len(old_items) + 1, (data, new)
    assert sorted([*old_items, (when, text)]) == sorted(new_items)


@SETTINGS
@given(notes(), st.dates(date(1900, 1, 1), date(2100, 12, 31)), safe_text)
def test_task_line_is_exact(data, due, text):
    from plaintextcrm.edit import add_task_line

    before = parsed(data)
    assume(not before.skipped)
    new = refused_or(lambda: add_task_line(data, text, due))
    if new is None:
        return
    added = [a for a in exact_diff(data, new) if a.strip()]
    assert len(added) == 1 and b"[ ]" in added[0] and due.isoformat().encode() in added[0]
    after = parsed(new)
    assert len(after.tasks) == len(before.tasks) + 1
    assert (due, "open") in {(t.due, t.status) for t in after.tasks}


@SETTINGS
@given(notes(), st.dates(date(1900, 1, 1), date(2100, 12, 31)))
def test_snooze_is_exact(data, until):
    from plaintextcrm.edit import set_snooze

    before = parsed(data)
    assume(not before.skipped)
    new = refused_or(lambda: set_snooze(data, until))
    if new is None:
        return
    a, b = (x.splitlines(keepends=True) for x in unbom(data, new))
    changed = [
        (a[i1:i2], b[j1:j2])
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
        if tag != "equal"
    ]
    removed = [line for r, _ in changed for line in r]
    added = [line for _, ad in changed for line in ad]
    allowed = (b"snooze:", b"---")
    assert all(line.startswith(allowed) or not line.strip() for line in added), changed
    assert all(line.startswith(allowed) or line == a[-1] for line in removed), changed
    after = parsed(new)
    if after.fields is not None:
        assert after.fields.snooze == until, (data, new)
