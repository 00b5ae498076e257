"""`crm sync` against vdirs on disk: pull, apply, push, conflicts, safety.

The other side is played by the libraries phones' servers and the pimutils tools use:
`icalendar` edits the VTODOs, `vobject` the vCards, written back into the vdir as
vdirsyncer would after a sync. The live round trip through Radicale and vdirsyncer is in
test_sync_live.py.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shlex
import shutil
import sys
from pathlib import Path

import icalendar
import pytest
import vobject
from sync_support import ANNA, BOB, SYNC_TOML, card_path, change_todo, note, settled, todos

from plaintextcrm.sync import cycle, push, state

NEXT_DAY = dt.date(2026, 11, 24)


@pytest.fixture
def synced(vault, crm):
    """A vault with [sync] and two people, synced once."""
    root = vault({"crm.toml": SYNC_TOML, "People/Anna Rossi.md": ANNA, "People/Bob.md": BOB})
    settled(root)
    result = crm(root, "sync")
    assert result.exit_code == 0, result.output
    return root


def snapshot(root: Path, skip_cache: bool = False) -> dict[str, tuple[bytes, int]]:
    """Every file under the vault: bytes and modification time (ns)."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not (skip_cache and rel.endswith(".cache")):
            out[rel] = (path.read_bytes(), path.stat().st_mtime_ns)
    return out


def reports(output: str) -> list[str]:
    return [
        line for line in output.splitlines() if line.startswith(("tasks/", "contacts/", "events/"))
    ]


# --- push --------------------------------------------------------------------------------


def test_first_sync_writes_one_item_per_follow_up_reconnect_date_and_contact(synced):
    found = todos(synced)
    assert set(found) == {
        "Anna Rossi: send the abstract",
        "Anna Rossi: call about the move",
        "Anna Rossi: book the venue",
        "Reconnect with Anna Rossi",
        "Reconnect with Bob",
    }
    dues = {}
    for summary, path in found.items():
        todo = icalendar.Calendar.from_ical(path.read_bytes()).walk("VTODO")[0]
        assert str(todo["STATUS"]) == "NEEDS-ACTION"
        assert path.name == f"{todo['UID']}.ics"
        dues[summary] = todo.decoded("DUE")
    assert dues["Anna Rossi: send the abstract"] == dt.date(2026, 11, 26)
    assert dues["Anna Rossi: book the venue"] == dt.date(2026, 12, 10)
    assert dues["Reconnect with Bob"] == dt.date(2026, 12, 1)
    (event,) = (synced / "vdir" / "events").glob("*.ics")
    birthday = icalendar.Calendar.from_ical(event.read_bytes()).walk("VEVENT")[0]
    assert str(birthday["SUMMARY"]) == "Anna Rossi's birthday"
    assert birthday["RRULE"]["FREQ"] == ["YEARLY"]
    assert "METHOD" not in icalendar.Calendar.from_ical(event.read_bytes())
    card = vobject.readOne(card_path(synced, "Anna Rossi").read_text(encoding="utf-8"))
    assert card.version.value == "3.0"
    assert card.tel.value == "+39 333 1234567"
    assert card.bday.value == "1990-03-14"
    assert card.categories.value == ["close"]  # the circle
    assert sorted(p.name for p in (synced / "vdir" / "contacts").iterdir())[0].endswith(".vcf")


def test_an_unchanged_vault_changes_no_file(synced, crm):
    before = snapshot(synced)
    result = crm(synced, "sync")
    assert result.output == "tasks: in step; events: in step; contacts: in step\n"
    assert snapshot(synced) == before  # not a byte, not an mtime, .crm/ included
    # Another day: the stamps of the items would differ, the items do not; only the
    # index cache (keyed by the day, as for every command) is rebuilt.
    result = crm(synced, "sync", today=NEXT_DAY)
    assert result.exit_code == 0, result.output
    assert snapshot(synced, skip_cache=True) == {
        k: v for k, v in before.items() if not k.endswith(".cache")
    }


def test_items_gone_from_the_notes_are_deleted_and_others_untouched(synced, crm):
    found = todos(synced)
    kept = found["Anna Rossi: call about the move"]
    kept_before = (kept.read_bytes(), kept.stat().st_mtime_ns)
    text = note(synced, "Anna Rossi").replace("- [ ] book the venue [due:: 2026-12-10]\n", "")
    (synced / "People" / "Anna Rossi.md").write_text(text, encoding="utf-8")
    result = crm(synced, "sync")
    assert result.output == "tasks: 1 deleted; events: in step; contacts: in step\n"
    assert "Anna Rossi: book the venue" not in todos(synced)
    assert (kept.read_bytes(), kept.stat().st_mtime_ns) == kept_before


# --- pull and apply ----------------------------------------------------------------------


def test_a_task_completed_there_is_ticked_in_its_note(synced, crm):
    found = todos(synced)
    change_todo(
        found["Anna Rossi: send the abstract"], done=dt.datetime(2026, 11, 24, 8, tzinfo=dt.UTC)
    )
    before = note(synced, "Anna Rossi")
    result = crm(synced, "sync", today=NEXT_DAY)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "People/Anna Rossi.md:11: - [x] send the abstract 📅 2026-11-26 ✅ 2026-11-24"
    )
    after = note(synced, "Anna Rossi")
    assert after == before.replace(
        "- [ ] send the abstract 📅 2026-11-26",
        "- [x] send the abstract 📅 2026-11-26 ✅ 2026-11-24",
    )
    assert "Anna Rossi: send the abstract" not in todos(synced)  # done: no longer a VTODO
    again = crm(synced, "sync", today=NEXT_DAY)
    assert again.output == "tasks: in step; events: in step; contacts: in step\n"


@pytest.mark.parametrize(
    ("summary", "old", "new"),
    [
        ("send the abstract", "send the abstract 📅 2026-11-26", "send the abstract 📅 2026-12-03"),
        ("call about the move", "2026-12-01 call about the move", "2026-12-03 call about the move"),
        (
            "book the venue",
            "book the venue [due:: 2026-12-10]",
            "book the venue [due:: 2026-12-03]",
        ),
    ],
)
def test_a_due_date_moved_there_moves_the_date_in_the_tasks_own_style(
    synced, crm, summary, old, new
):
    path = todos(synced)[f"Anna Rossi: {summary}"]
    change_todo(path, due=dt.date(2026, 12, 3))
    before = note(synced, "Anna Rossi")
    result = crm(synced, "sync")
    assert result.exit_code == 0, result.output
    assert note(synced, "Anna Rossi") == before.replace(old, new)
    todo = icalendar.Calendar.from_ical(path.read_bytes()).walk("VTODO")[0]  # same file, same UID
    assert todo.decoded("DUE") == dt.date(2026, 12, 3)
    assert crm(synced, "sync").output == "tasks: in step; events: in step; contacts: in step\n"


def test_a_task_cancelled_there_is_cancelled_in_its_note(synced, crm):
    change_todo(todos(synced)["Anna Rossi: book the venue"], cancelled=True)
    before = note(synced, "Anna Rossi")
    result = crm(synced, "sync")
    assert result.exit_code == 0, result.output
    assert note(synced, "Anna Rossi") == before.replace(  # as `crm cancel` writes it
        "- [ ] book the venue [due:: 2026-12-10]",
        "- [-] book the venue [due:: 2026-12-10] ❌ 2026-11-23",
    )
    assert "Anna Rossi: book the venue" not in todos(synced)


def test_a_repeating_task_ticked_there_comes_back_as_its_next_occurrence(vault, crm):
    anna = ANNA.replace(
        "- [ ] send the abstract 📅 2026-11-26",
        "- [ ] water the plants 🔁 every week 📅 2026-11-26",
    )
    root = vault({"crm.toml": SYNC_TOML, "People/Anna Rossi.md": anna})
    assert crm(root, "sync").exit_code == 0
    path = todos(root)["Anna Rossi: water the plants 🔁 every week"]
    change_todo(path, done=dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC))
    result = crm(root, "sync", today=dt.date(2026, 11, 26))
    assert result.exit_code == 0, result.output
    text = note(root, "Anna Rossi")
    assert "- [ ] water the plants 🔁 every week 📅 2026-12-03\n" in text
    assert "- [x] water the plants 🔁 every week 📅 2026-11-26 ✅ 2026-11-26\n" in text
    todo = icalendar.Calendar.from_ical(path.read_bytes()).walk("VTODO")[0]  # same UID, reopened
    assert (str(todo["STATUS"]), todo.decoded("DUE")) == ("NEEDS-ACTION", dt.date(2026, 12, 3))
    again = crm(root, "sync", today=dt.date(2026, 11, 26))
    assert again.output == "tasks: in step; events: in step; contacts: in step\n"


def test_a_reconnect_completed_there_logs_an_interaction_on_that_day(synced, crm):
    path = todos(synced)["Reconnect with Bob"]
    change_todo(path, done=dt.datetime(2026, 11, 22, 18, tzinfo=dt.UTC))
    result = crm(synced, "sync")
    assert result.exit_code == 0, result.output
    assert note(synced, "Bob") == BOB + "- 2026-11-22 reconnected\n"
    todo = icalendar.Calendar.from_ical(path.read_bytes()).walk("VTODO")[0]
    assert str(todo["STATUS"]) == "NEEDS-ACTION"  # the next reconnect, a cadence later
    assert todo.decoded("DUE") == dt.date(2026, 12, 22)


def test_a_reconnect_moved_later_there_snoozes_it(synced, crm):
    change_todo(todos(synced)["Reconnect with Bob"], due=dt.date(2026, 12, 15))
    crm(synced, "sync")
    assert note(synced, "Bob") == BOB.replace("cadence: 1m\n", "cadence: 1m\nsnooze: 2026-12-15\n")


@pytest.mark.parametrize(
    ("moved", "said"),
    [
        (dt.date(2026, 11, 20), "reconnect moved to 2026-11-20 on the other side; not applied"),
        (dt.date(2026, 11, 28), "reconnect moved earlier, to 2026-11-28, on the other side"),
    ],
)
def test_a_reconnect_moved_earlier_there_is_said(synced, crm, moved, said):
    change_todo(todos(synced)["Reconnect with Bob"], due=moved)
    result = crm(synced, "sync")
    assert note(synced, "Bob") == BOB
    (line,) = reports(result.output)
    assert said in line


def test_a_card_changed_there_adds_what_the_note_lacks_and_keeps_the_rest(synced, crm):
    path = card_path(synced, "Anna Rossi")
    card = vobject.readOne(path.read_text(encoding="utf-8"))
    card.add("tel").value = "+39 06 5550100"
    card.add("email").value = "anna.rossi@work.example"
    card.bday.value = "1990-03-15"  # the note's birthday is kept
    path.write_text(card.serialize(), encoding="utf-8")
    result = crm(synced, "sync")
    assert result.exit_code == 0, result.output
    text = note(synced, "Anna Rossi")
    assert text.startswith(
        "---\nbirthday: 1990-03-14\ncircle: close\nemail:\n  - anna@example.org\n"
        '  - anna.rossi@work.example\nphone:\n  - "+39 333 1234567"\n  - +39 06 5550100\n---\n'
    )
    assert reports(result.output) == [
        f"contacts/{path.name}: Anna Rossi: changed on the other side; kept the note's "
        "birthday '1990-03-14' (import: '1990-03-15')"
    ]
    pushed = vobject.readOne(path.read_text(encoding="utf-8"))
    assert sorted(t.value for t in pushed.tel_list) == ["+39 06 5550100", "+39 333 1234567"]
    assert pushed.bday.value == "1990-03-14"  # the note wins on the phone too


def test_a_card_change_the_note_contradicts_is_said_and_put_back(synced, crm):
    path = card_path(synced, "Anna Rossi")
    original = path.read_bytes()
    card = vobject.readOne(path.read_text(encoding="utf-8"))
    card.bday.value = "1990-03-15"
    path.write_text(card.serialize(), encoding="utf-8")
    before = note(synced, "Anna Rossi")
    result = crm(synced, "sync")
    assert note(synced, "Anna Rossi") == before
    assert reports(result.output) == [
        f"contacts/{path.name}: Anna Rossi: changed on the other side; kept the note's "
        "birthday '1990-03-14' (import: '1990-03-15')"
    ]
    assert path.read_bytes() == original


# --- conflicts: the note wins ---------------------------------------------------------------


def test_a_task_edited_in_the_note_and_completed_there_keeps_the_note(synced, crm):
    change_todo(
        todos(synced)["Anna Rossi: call about the move"],
        done=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC),
    )
    edited = note(synced, "Anna Rossi").replace("call about the move", "call about the new flat")
    (synced / "People" / "Anna Rossi.md").write_text(edited, encoding="utf-8")
    result = crm(synced, "sync")
    assert result.exit_code == 0, result.output
    assert note(synced, "Anna Rossi") == edited
    (line,) = reports(result.output)
    assert line.endswith(
        "Anna Rossi: 'call about the move' was completed on the other side, but the note "
        "changed it since the last sync (edited, moved or removed); the note wins"
    )
    assert "Anna Rossi: call about the new flat" in todos(synced)
    assert "Anna Rossi: call about the move" not in todos(synced)


def test_a_date_moved_on_both_sides_keeps_the_notes(synced, crm):
    change_todo(todos(synced)["Anna Rossi: call about the move"], due=dt.date(2026, 12, 9))
    moved = note(synced, "Anna Rossi").replace("2026-12-01 call", "2026-12-05 call")
    (synced / "People" / "Anna Rossi.md").write_text(moved, encoding="utf-8")
    result = crm(synced, "sync")
    assert note(synced, "Anna Rossi") == moved
    (line,) = reports(result.output)
    assert line.endswith(
        "'call about the move' was moved to 2026-12-09 on the other side and to 2026-12-05 "
        "in the note; the note wins"
    )
    todo = icalendar.Calendar.from_ical(
        todos(synced)["Anna Rossi: call about the move"].read_bytes()
    )
    assert todo.walk("VTODO")[0].decoded("DUE") == dt.date(2026, 12, 5)


def test_a_task_done_in_the_note_and_there_is_said_once(synced, crm):
    change_todo(
        todos(synced)["Anna Rossi: send the abstract"],
        done=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC),
    )
    done = note(synced, "Anna Rossi").replace("- [ ] send", "- [x] send")
    (synced / "People" / "Anna Rossi.md").write_text(done, encoding="utf-8")
    result = crm(synced, "sync")
    assert note(synced, "Anna Rossi") == done
    (line,) = reports(result.output)
    assert line.endswith(
        "'send the abstract' was completed on the other side; it is already done in the note"
    )
    assert crm(synced, "sync").output == "tasks: in step; events: in step; contacts: in step\n"


def test_a_title_changed_there_is_said_and_put_back(synced, crm):
    path = todos(synced)["Anna Rossi: book the venue"]
    change_todo(path, summary="Anna Rossi: book the big venue")
    before = note(synced, "Anna Rossi")
    result = crm(synced, "sync")
    assert note(synced, "Anna Rossi") == before
    (line,) = reports(result.output)
    assert "renamed 'Anna Rossi: book the big venue' on the other side; not applied" in line
    assert "Anna Rossi: book the venue" in todos(synced)


def test_an_event_changed_or_deleted_there_is_put_back(synced, crm):
    (event,) = (synced / "vdir" / "events").glob("*.ics")
    original = event.read_bytes()
    event.write_bytes(original.replace(b"SUMMARY:Anna Rossi's birthday", b"SUMMARY:party"))
    result = crm(synced, "sync")
    assert reports(result.output) == [
        f"events/{event.name}: changed on the other side; events are written from the notes, "
        "so the notes' version is put back"
    ]
    assert event.read_bytes() == original
    event.unlink()
    result = crm(synced, "sync")
    assert "was deleted on the other side; the notes still have it" in result.output
    assert event.read_bytes() == original


def test_a_task_deleted_there_is_written_again(synced, crm):
    path = todos(synced)["Anna Rossi: book the venue"]
    data = path.read_bytes()
    path.unlink()
    result = crm(synced, "sync")
    (line,) = reports(result.output)
    assert line == (
        f"tasks/{path.name}: 'Anna Rossi: book the venue' was deleted on the other side; "
        "the notes still have it, so it is written again (close or remove it in the note)"
    )
    assert path.read_bytes() == data


# --- made on the other side ------------------------------------------------------------------

NEW_TODO = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//iOS 18//EN\r\nBEGIN:VTODO\r\n"
    "UID:8C1E2A44-0B7E-4B5C-9F1D-3A1B2C3D4E5F\r\nDTSTAMP:20261123T080000Z\r\n"
    "SUMMARY:anna: bring back the book\r\nDUE;VALUE=DATE:20261204\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
)
NEW_CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:6B29FC40-CA47-1067-B31D-00DD010662DA\r\n"
    "FN:Carla Neri\r\nN:Neri;Carla;;;\r\nTEL;TYPE=CELL:+39 347 0000000\r\nEND:VCARD\r\n"
)


def test_items_made_there_are_reported_and_imported_only_when_asked(synced, crm):
    todo = synced / "vdir" / "tasks" / "8C1E2A44.ics"
    card = synced / "vdir" / "contacts" / "6B29FC40.vcf"
    todo.write_text(NEW_TODO, encoding="utf-8", newline="")
    card.write_text(NEW_CARD, encoding="utf-8", newline="")
    before = snapshot(synced / "People")
    result = crm(synced, "sync")
    assert reports(result.output) == [
        "tasks/8C1E2A44.ics: 'anna: bring back the book' was made on the other side; not"
        " imported (crm sync --import-new imports it)",
        "contacts/6B29FC40.vcf: Carla Neri was made on the other side; not imported"
        " (crm sync --import-new imports it)",
    ]
    assert snapshot(synced / "People") == before
    assert todo.exists() and card.exists()

    result = crm(synced, "sync", "--import-new")
    assert result.exit_code == 0, result.output
    assert "People/Anna Rossi.md:14: - [ ] book the venue [due:: 2026-12-10]" not in result.output
    # in the style of the note's first dated task
    assert note(synced, "Anna Rossi").endswith("- [ ] bring back the book 📅 2026-12-04\n")
    carla = note(synced, "Carla Neri")
    assert "phone: +39 347 0000000" in carla
    assert not todo.exists() and not card.exists()  # replaced by crm's own items
    assert "Anna Rossi: bring back the book" in todos(synced)
    card_path(synced, "Carla Neri")
    again = crm(synced, "sync", "--import-new")
    assert again.output == "tasks: in step; events: in step; contacts: in step\n"


def test_a_new_task_whose_title_names_nobody_is_not_imported(synced, crm):
    path = synced / "vdir" / "tasks" / "x.ics"
    path.write_text(
        NEW_TODO.replace("anna: bring", "buy milk and bring"), encoding="utf-8", newline=""
    )
    result = crm(synced, "sync", "--import-new")
    assert reports(result.output) == [
        "tasks/x.ics: 'buy milk and bring back the book' was made on the other side; not"
        " imported: its title does not start with a contact's name and `: `"
    ]
    assert path.exists()


# --- dry run, bad input, configuration ---------------------------------------------------------


def test_dry_run_prints_the_plan_and_writes_nothing(synced, crm):
    found = todos(synced)
    change_todo(
        found["Anna Rossi: send the abstract"], done=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    )
    change_todo(found["Anna Rossi: call about the move"], due=dt.date(2026, 12, 2))
    (synced / "vdir" / "contacts" / "6B29FC40.vcf").write_text(
        NEW_CARD, encoding="utf-8", newline=""
    )
    before = snapshot(synced)
    result = crm(synced, "sync", "--dry-run", "--import-new")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "would change People/Anna Rossi.md: move 'call about the move' from 2026-12-01 to 2026-12-02",
        "would change People/Anna Rossi.md: tick 'send the abstract' (completed on the other side"
        " on 2026-11-23)",
        "new        Carla Neri  → People/Carla Neri.md",
        "tasks: would write 2; events: in step; contacts: in step (dry run: nothing written)",
    ]
    assert snapshot(synced) == before


def test_unreadable_items_are_one_line_each_and_the_rest_syncs(synced, crm):
    tasks = synced / "vdir" / "tasks"
    found = todos(synced)
    (tasks / "junk.ics").write_bytes(b"BEGIN:VCALENDAR\r\nthis is not\x00 ical\r\n")
    (tasks / "huge.ics").write_bytes(b"X" * (1024 * 1024 + 1))
    change_todo(
        found["Anna Rossi: send the abstract"], done=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    )
    ours = found["Anna Rossi: book the venue"]
    good = ours.read_bytes()
    ours.write_bytes(b"\xff\xfe garbage")
    result = crm(synced, "sync")
    assert result.exit_code == 0, result.output
    lines = reports(result.output)
    assert lines[0] == "tasks/huge.ics: cannot be read (over 1024 KiB); left alone"
    assert lines[1].startswith(f"tasks/{ours.name}: not a readable VTODO (")
    assert lines[1].endswith("; the notes' version is put back")
    assert lines[2].startswith("tasks/junk.ics: made on the other side, not a readable VTODO (")
    assert len(lines) == 3
    assert ours.read_bytes() == good
    assert "- [x] send the abstract" in note(synced, "Anna Rossi")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("", "nothing to sync: add a [sync] section to crm.toml"),
        ('[sync]\ntasks = "v"\ncontacts = "./v"\n', "for more than one kind of item"),
        ("[sync]\ntasks = 3\n", "`sync.tasks` must be a string"),
        ('[sync]\ntasks = "v"\ncommand = "a \\"b"\n', "[sync] command: No closing quotation"),
    ],
)
def test_configuration_errors_are_one_line(vault, crm, toml, message):
    root = vault({"crm.toml": toml, "People/Bob.md": BOB})
    result = crm(root, "sync")
    assert result.exit_code == 1
    assert message in result.output
    assert not (root / "v").exists()


def test_the_sync_section_is_read_and_an_unknown_key_is_a_warning():
    from plaintextcrm.config import SyncConfig, parse_config

    config = parse_config(
        {"sync": {"tasks": "t", "contacts": "~/c", "command": "x y", "evnts": "e"}}
    )
    assert config.sync == SyncConfig(tasks="t", contacts="~/c", command="x y")
    assert [p.message for p in config.problems] == ["unknown config key `sync.evnts`"]
    assert parse_config({}).sync == SyncConfig()


def test_the_command_runs_before_and_after(vault, crm, tmp_path):
    log = tmp_path / "command.log"
    script = tmp_path / "fake-vdirsyncer.py"
    script.write_text(
        "import os, sys\n"
        "count = len(os.listdir('vdir/tasks')) if os.path.isdir('vdir/tasks') else 0\n"
        f"open({str(log)!r}, 'a').write(f'{{sys.argv[1]}} {{count}}\\n')\n",
        encoding="utf-8",
    )
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} sync"
    root = vault(
        {"crm.toml": SYNC_TOML + f"command = {json.dumps(command)}\n", "People/Bob.md": BOB}
    )
    result = crm(root, "sync")
    assert result.exit_code == 0, result.output
    assert log.read_text() == "sync 0\nsync 1\n"  # before (empty vdir) and after (pushed)
    crm(root, "sync", "--dry-run")
    assert log.read_text() == "sync 0\nsync 1\n"  # a dry run runs nothing


def test_a_failing_command_stops_the_sync_before_anything_is_written(vault, crm):
    command = shlex.join([sys.executable, "-c", "raise SystemExit(3)"])
    toml = SYNC_TOML + f"command = {json.dumps(command)}\n"
    root = vault({"crm.toml": toml, "People/Bob.md": BOB})
    result = crm(root, "sync")
    assert result.exit_code == 1
    assert "failed (exit 3)" in result.output
    assert [p for p in (root / "vdir").rglob("*") if p.is_file()] == []  # folders made, no item
    assert not (root / ".crm" / "sync.json").exists()
    assert note(root, "Bob") == BOB


def test_a_note_that_cannot_be_written_keeps_the_change_for_the_next_sync(synced, crm):
    found = todos(synced)
    ticked = found["Anna Rossi: send the abstract"]
    change_todo(ticked, done=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC))
    change_todo(found["Reconnect with Bob"], done=dt.datetime(2026, 11, 22, 9, tzinfo=dt.UTC))
    phone = ticked.read_bytes()
    anna = synced / "People" / "Anna Rossi.md"
    anna.chmod(0o444)
    result = crm(synced, "sync")
    assert result.exit_code == 1
    assert "crm: error: People/Anna Rossi.md: tick 'send the abstract'" in result.output
    assert "permission denied" in result.output
    assert note(synced, "Bob").endswith("- 2026-11-22 reconnected\n")  # the rest went on
    assert ticked.read_bytes() == phone  # the phone's tick is kept for the next sync
    anna.chmod(0o644)
    result = crm(synced, "sync")
    assert result.exit_code == 0, result.output
    assert "- [x] send the abstract 📅 2026-11-26 ✅ 2026-11-23" in note(synced, "Anna Rossi")
    assert not ticked.exists()


def test_one_sync_at_a_time(synced, crm):
    fd = os.open(synced / ".crm" / "sync.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = crm(synced, "sync")
    finally:
        os.close(fd)
    assert result.exit_code == 1
    assert "another crm sync is running in this vault" in result.output


def test_a_damaged_state_is_said_and_the_vdirs_compared_with_the_notes(synced, crm):
    (synced / ".crm" / "sync.json").write_text("{not json", encoding="utf-8")
    change_todo(
        todos(synced)["Anna Rossi: send the abstract"],
        done=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC),
    )
    result = crm(synced, "sync")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].startswith(".crm/sync.json could not be read (")
    assert result.output.endswith("tasks: 1 deleted; events: in step; contacts: in step\n")
    assert "- [x] send the abstract" in note(synced, "Anna Rossi")
    assert crm(synced, "sync").output == "tasks: in step; events: in step; contacts: in step\n"


# --- a sync killed half-way ------------------------------------------------------------------


class Killed(BaseException):
    """The process dying at that point (SIGKILL): nothing after it runs."""


def _phone_changes(root: Path) -> None:
    found = todos(root)
    change_todo(
        found["Anna Rossi: send the abstract"], done=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    )
    change_todo(found["Anna Rossi: call about the move"], due=dt.date(2026, 12, 4))
    change_todo(found["Reconnect with Bob"], done=dt.datetime(2026, 11, 22, 9, tzinfo=dt.UTC))
    (root / "vdir" / "contacts" / "6B29FC40.vcf").write_text(NEW_CARD, encoding="utf-8", newline="")


def _kill_after_notes(monkeypatch):
    monkeypatch.setattr(cycle, "run_push", lambda push: (_ for _ in ()).throw(Killed()))


def _kill_mid_push(monkeypatch):
    real = push.write_item
    calls = []

    def dying(*args):
        if calls:
            raise Killed()
        calls.append(args)
        real(*args)

    monkeypatch.setattr(push, "write_item", dying)


def _kill_before_state(monkeypatch):
    monkeypatch.setattr(cycle, "save_state", lambda *a: (_ for _ in ()).throw(Killed()))


@pytest.mark.parametrize("kill", [_kill_after_notes, _kill_mid_push, _kill_before_state])
def test_a_killed_sync_leaves_what_the_next_one_finishes(synced, crm, monkeypatch, tmp_path, kill):
    _phone_changes(synced)
    start = tmp_path / "start"
    shutil.copytree(synced, start)
    # What one uninterrupted sync gives...
    assert crm(synced, "sync", "--import-new").exit_code == 0
    clean = snapshot(synced, skip_cache=True)
    # ...is what a killed one and the next give, with the same notes, vdirs and state.
    shutil.rmtree(synced)
    shutil.copytree(start, synced)
    with monkeypatch.context() as patched:
        kill(patched)
        with pytest.raises(Killed):
            crm(synced, "sync", "--import-new")
    result = crm(synced, "sync", "--import-new")
    assert result.exit_code == 0, result.output
    assert "the note wins" not in result.output and "made on the other side" not in result.output
    after = snapshot(synced, skip_cache=True)
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in clean.items()}
    assert "- [x] send the abstract 📅 2026-11-26 ✅ 2026-11-23" in note(synced, "Anna Rossi")
    assert note(synced, "Bob").count("reconnected") == 1
    assert note(synced, "Anna Rossi").count("call about the move") == 1
    assert crm(synced, "sync").output == "tasks: in step; events: in step; contacts: in step\n"


def test_the_state_records_what_was_written(synced):
    table = json.loads((synced / ".crm" / state.STATE_FILE).read_text(encoding="utf-8"))
    entries = table["vdirs"]["tasks"]["entries"]
    assert len(entries) == 5
    for name, entry in entries.items():
        data = (synced / "vdir" / "tasks" / name).read_bytes()
        assert entry["sha256"] == __import__("hashlib").sha256(data).hexdigest()
    follow_up = next(e for e in entries.values() if e.get("text") == "book the venue")
    assert follow_up["note"] == "People/Anna Rossi.md" and follow_up["due"] == "2026-12-10"
