"""`edit.move_task_due`: a follow-up moved to another day changes only its date, written
where and how the task already writes it (what `crm sync` does when a reminder's due date
is moved on the phone)."""

from __future__ import annotations

from datetime import date

import pytest

from plaintextcrm.config import Config
from plaintextcrm.edit import EditError, move_task_due
from plaintextcrm.model import Task
from plaintextcrm.parse import parse_note

NEW = date(2026, 12, 3)


def only_task(data: bytes) -> Task:
    (task,) = [t for t in parse_note("People/Anna.md", data, Config()).tasks if t.status == "open"]
    return task


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("- [ ] send it 📅 2026-11-26", "- [ ] send it 📅 2026-12-03"),
        (
            "- [ ] send it 📅 2026-11-26 ✅ 2026-11-20 ^abc-1",
            "- [ ] send it 📅 2026-12-03 ✅ 2026-11-20 ^abc-1",
        ),
        ("- [ ] 2026-11-26 send it", "- [ ] 2026-12-03 send it"),
        ("* [ ] [[2026-11-26]]: send it", "* [ ] [[2026-12-03]]: send it"),
        ("- [ ] 2026-11-26 10:00 send it", "- [ ] 2026-12-03 10:00 send it"),
        ("- [ ] send it [due:: 2026-11-26]", "- [ ] send it [due:: 2026-12-03]"),
        ("- [ ] send it due:: 2026-11-26", "- [ ] send it due:: 2026-12-03"),
        ("- [ ] send it ⏳ 2026-11-26", "- [ ] send it ⏳ 2026-12-03"),
        ("> 1. [/] send it 📅 2026-11-26", "> 1. [/] send it 📅 2026-12-03"),
        # a leading date is the due date the reader takes; the later 📅 is left alone
        ("- [ ] 2026-11-26 send it 📅 2026-11-29", "- [ ] 2026-12-03 send it 📅 2026-11-29"),
    ],
)
def test_only_the_date_the_reader_reads_changes(before, after):
    data = f"---\nname: Anna\n---\n## Log\n- 2026-10-02 coffee\n{before}\nlast line".encode()
    moved = move_task_due(data, only_task(data), NEW)
    assert moved == data.replace(before.encode(), after.encode())
    assert only_task(moved).due == NEW


def test_bom_crlf_and_a_missing_final_newline_are_kept():
    data = "\ufeff---\r\nname: Anna\r\n---\r\n- [ ] call 📅 2026-11-26".encode()
    assert move_task_due(data, only_task(data), NEW) == data.replace(b"2026-11-26", b"2026-12-03")


def test_the_task_is_found_by_what_it_says_when_lines_moved_above_it():
    data = b"- [ ] call 2026 plan\n- [ ] 2026-11-26 call\n"
    task = only_task(b"- [ ] 2026-11-26 call\n")  # as indexed before a line was added above
    assert move_task_due(data, task, NEW) == b"- [ ] call 2026 plan\n- [ ] 2026-12-03 call\n"


def test_a_task_note_moves_its_due_key():
    data = b"---\ntitle: Send the deck\nDeadline: 2026-11-26  # firm\nstatus: open\n---\nBody\n"
    task = Task("Tasks/deck.md", 3, "open", date(2026, 11, 26), "Send the deck")
    assert move_task_due(data, task, NEW) == data.replace(b"2026-11-26", b"2026-12-03")


@pytest.mark.parametrize(
    ("data", "task", "message"),
    [
        (
            b"- [x] 2026-11-26 call\n",
            Task("a.md", 1, "open", date(2026, 11, 26), "call"),
            "no longer open",
        ),
        (
            b"- [ ] 2026-11-26 call\n",
            Task("a.md", 1, "open", date(2026, 11, 27), "call"),
            "no longer open",
        ),
        (b"- [ ] call\n", Task("a.md", 1, "open", None, "call"), "no due date to move"),
    ],
)
def test_what_cannot_be_moved_is_refused(data, task, message):
    with pytest.raises(EditError, match=message):
        move_task_due(data, task, NEW)
