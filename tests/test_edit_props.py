"""Property tests of the writer: over generated notes with BOMs, CRLF, comments, odd front
matter and no final newline, every edit changes exactly the intended lines, keeps every
other byte, and the parser reads the change back."""

from __future__ import annotations

from collections import Counter
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plaintextcrm.config import Config
from plaintextcrm.edit import (
    EditError,
    Lines,
    add_front_matter_list_item,
    add_log_line,
    add_task_line,
    mark_task_done,
    move_task_due,
    one_line,
    set_front_matter_value,
    set_snooze,
)
from plaintextcrm.parse import parse_note

CONFIG = Config()
PATH = "People/Anna.md"

FRONT_MATTER = {
    "name": ["name: Anna", 'name: "Anna Rossi"  # full', "name: 'Zoë'"],
    "#": ["# a comment", "#", "   # indented comment"],
    "aliases": ["aliases: [Annie, 'A. R.']", "aliases:\n  - Annie\n  - Nan", "aliases: Annie"],
    "tags": ["tags:\n- person\n- x", "tags: [person]", "tags: person", "tags:"],
    "birthday": ["birthday: 1990-02-14", "birthday: '--03-04'"],
    "phone": ["phone: 0123", "phone: '+39 333'", 'phone: "12:34"'],
    "cadence": ["cadence: 2w  # every two weeks", "cadence: monthly"],
    "snooze": ["snooze: 2026-01-01", "snooze:", "snooze: ~  # none", 'snooze: "2026-02-02"'],
    "company": ['company: "[[Acme]]"', "company: Acme # work"],
    "email": ["email: a@b.c # work", "email:\n    - a@b.c", "email: []"],
    "note": ["note: |\n  multi\n  line", "note: >-\n  folded\n  text"],
    "x_map": ["x_map: {a: 1}", "x_map:\n  a: 1\n  b: [2]"],
    "dates": ["dates:\n  - date: --06-21\n    label: gig", 'dates: ["09-12 name day"]'],
}
BODY = [
    "# Title", "", "", "text with [[Link]] and Ünïcödé 😀", "## Log", "## Log", "## Notes",
    "- 2026-01-05 a", "- 2026-03-01: b #gave", "* [[2026-02-02]] c", "- 2025-12-24 — d",
    "- [ ] 2026-12-01 task one", "- [ ] t two 📅 2026-12-02", "- [x] done", "- [ ] undated",
    "```", "~~~", "  - sub item", "- plain item", "> quote", "---", "1. 2026-01-01 ordered",
    "  continuation", "\tTabbed", "#tag", "### Deeper", "## Follow-ups", "- [-] 2026-01-01 x",
]  # fmt: skip


@st.composite
def notes(draw) -> bytes:
    keys = draw(st.lists(st.sampled_from(sorted(FRONT_MATTER)), unique=True, max_size=8))
    fm_lines: list[str] = []
    for key in keys:
        fm_lines.extend(draw(st.sampled_from(FRONT_MATTER[key])).split("\n"))
    body = draw(st.lists(st.sampled_from(BODY), max_size=14))
    if body and (body[0].rstrip() in ("---", "+++") or body[0].startswith("{")):
        body.insert(0, "Intro")
    has_fm = draw(st.booleans())
    lines = (["---", *fm_lines, draw(st.sampled_from(["---", "..."]))] if has_fm else []) + body
    style = draw(st.sampled_from(["\n", "\r\n", "mixed"]))
    ends = [draw(st.sampled_from(["\n", "\r\n"])) if style == "mixed" else style for _ in lines]
    if lines and not draw(st.booleans()):
        ends[-1] = ""
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    bom = "\ufeff" if draw(st.booleans()) else ""
    return (bom + text).encode("utf-8")


when_days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30
).filter(lambda t: t.strip() and not t.strip().startswith(("[", "#")))


def check_only(before: bytes, after: bytes, inserted: int, replaced: int) -> list[int]:
    """At most `inserted` lines were added (in one block) and at most `replaced` lines had
    their text replaced; every other line keeps its text and its own line ending, and the
    new lines use the note's line ending. Returns the indices of the new and changed lines."""
    old, new = Lines.from_bytes(before), Lines.from_bytes(after)
    assert old.bom == new.bom
    count = len(new.text) - len(old.text)
    assert 0 <= count <= inserted, count
    last = len(old.text) - 1
    newline = Counter(e for e in old.ends if e).most_common(1)
    for j in range(len(new.text) - count + 1):
        text = new.text[:j] + new.text[j + count :]
        ends = new.ends[:j] + new.ends[j + count :]
        differ = [i for i in range(len(old.text)) if old.text[i] != text[i]]
        if len(differ) > replaced:
            continue
        if not all(
            old.ends[i] == ends[i] or (i == last and old.ends[i] == "") for i in range(len(ends))
        ):
            continue
        block = list(range(j, j + count))
        if newline and not all(new.ends[k] in (newline[0][0], "") for k in block):
            continue
        return block + [i if i < j else i + count for i in differ]
    raise AssertionError(f"not a clean edit:\n{before!r}\n{after!r}")


def parsed(data: bytes):
    return parse_note(PATH, data, CONFIG)


def same_fields_except(before: bytes, after: bytes, *names: str) -> None:
    a, b = parsed(before).fields, parsed(after).fields
    if a is None or b is None:
        return
    for name in a.__dataclass_fields__:
        if name not in names:
            assert getattr(a, name) == getattr(b, name), name


def body_items(data: bytes) -> Counter:
    note = parsed(data)
    return Counter(
        [("item", i.date, i.text) for i in note.items]
        + [("task", t.status, t.due, t.text) for t in note.tasks]
    )


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(notes(), when_days)
def test_snooze_changes_one_line_and_reads_back(data, day):
    try:
        after = set_snooze(data, day)
    except EditError:
        # refused only when the front matter cannot be edited line by line
        assert parsed(data).problems or b"note:" in data or b"snooze" in data or b"..." in data
        return
    created = not Lines.from_bytes(data).text or Lines.from_bytes(data).text[0].rstrip() != "---"
    check_only(data, after, inserted=3 if created else 1, replaced=1)
    assert parsed(after).fields.snooze == day
    same_fields_except(data, after, "snooze")
    assert body_items(data) == body_items(after)


@SETTINGS
@given(notes(), st.sampled_from(["company", "role", "location"]), texts, st.booleans())
def test_set_value_reads_back_exactly(data, key, value, overwrite):
    try:
        after = set_front_matter_value(data, key, value, overwrite=overwrite)
    except EditError:
        return
    check_only(data, after, inserted=3, replaced=1)
    got = getattr(parsed(after).fields, key)
    if after != data:
        expected = value.strip()
        if key == "company" and expected.startswith("[["):
            return
        assert got == expected
    same_fields_except(data, after, key)
    assert body_items(data) == body_items(after)


@SETTINGS
@given(notes(), st.sampled_from(["tags", "aliases", "email"]), texts)
def test_list_item_adds_the_value_and_keeps_the_rest(data, key, value):
    value = " ".join(value.split())
    try:
        after = add_front_matter_list_item(data, key, value)
    except EditError:
        return
    check_only(data, after, inserted=4, replaced=1)
    attr = {"tags": "tags", "aliases": "aliases", "email": "emails"}[key]
    values = getattr(parsed(after).fields, attr)
    if key == "tags":
        value = value.lstrip("#")
        assert not value.strip() or any(v == value.strip() or v in value for v in values)
    else:
        assert value in values
    same_fields_except(data, after, attr)
    assert body_items(data) == body_items(after)


@SETTINGS
@given(notes(), when_days, texts, st.booleans(), st.booleans())
def test_log_line_adds_one_interaction(data, day, text, gave, got):
    try:
        after = add_log_line(data, day, text, gave=gave, got=got)
    except EditError as exc:
        assert "code block" in exc.message or "UTF-8" in exc.message
        return
    added = check_only(data, after, inserted=4, replaced=0)
    new_items = body_items(after) - body_items(data)
    assert body_items(data) - body_items(after) == Counter()
    [(kind, when, written)] = list(new_items)
    assert (kind, when) == ("item", day)
    assert written.startswith(one_line(text)[:5].strip())
    note = parsed(after)
    item = next(i for i in note.items if i.date == day and i.text == written)
    assert item.line - 1 in added and item.gave >= gave and item.got >= got
    same_fields_except(data, after)


@SETTINGS
@given(notes(), when_days, texts, st.sampled_from(["plain", "tasks", "dataview"]))
def test_task_line_adds_one_open_task(data, day, text, style):
    try:
        after = add_task_line(data, text, day, style=style)
    except EditError as exc:
        assert "code block" in exc.message
        return
    check_only(data, after, inserted=1, replaced=0)
    new = body_items(after) - body_items(data)
    assert body_items(data) - body_items(after) == Counter()
    [(kind, status, due, _)] = list(new)
    assert (kind, status, due) == ("task", "open", day)
    same_fields_except(data, after)


@SETTINGS
@given(notes(), st.data(), st.booleans())
def test_done_ticks_exactly_that_task(data, pick, stamp):
    note = parsed(data)
    open_tasks = [t for t in note.tasks if t.status == "open"]
    if not open_tasks:
        return
    task = pick.draw(st.sampled_from(open_tasks))
    after = mark_task_done(data, task, today=date(2026, 11, 23), stamp=stamp)
    check_only(data, after, inserted=0, replaced=1)
    done = {t.line: t for t in parsed(after).tasks}
    assert done[task.line].status == "done" and done[task.line].text == task.text
    before_status = {t.line: t.status for t in note.tasks if t.line != task.line}
    assert {k: v.status for k, v in done.items() if k != task.line} == before_status
    same_fields_except(data, after)


@SETTINGS
@given(notes(), st.data(), when_days)
def test_move_changes_only_that_tasks_date(data, pick, day):
    note = parsed(data)
    dated = [t for t in note.tasks if t.status == "open" and t.due is not None]
    if not dated:
        return
    task = pick.draw(st.sampled_from(dated))
    after = move_task_due(data, task, day)
    if day == task.due:
        assert after == data
        return
    assert check_only(data, after, inserted=0, replaced=1) == [task.line - 1]
    moved = {t.line: t for t in parsed(after).tasks}
    assert (moved[task.line].status, moved[task.line].due, moved[task.line].text) == (
        "open", day, task.text,
    )  # fmt: skip
    others = {t.line: (t.status, t.due, t.text) for t in note.tasks if t.line != task.line}
    assert {k: (t.status, t.due, t.text) for k, t in moved.items() if k != task.line} == others
    same_fields_except(data, after)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_lines_round_trip_any_utf8(data):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return
    assert Lines.from_bytes(data).to_bytes() == data
