"""`crm ics`: the feed of SPEC 5, read back by Python's `icalendar` and
`recurring-ical-events` and compared with what `crm due` lists for the same days.

The helpers at the top (`FEED_VAULT`, `python_expand`, `due_expected`) are shared with
tests/test_ics_readers.py, which does the same with Mozilla's ical.js.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import icalendar
import pytest
import recurring_ical_events
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar.parser import Contentline

from plaintextcrm.config import load_config, parse_config
from plaintextcrm.load import load_index
from plaintextcrm.render.ics import (
    CALENDAR_TAIL,
    calendar_head,
    contact_events,
    escape_text,
    event_uid,
    fold,
    render_ics,
)

TODAY = date(2026, 11, 23)

#: Every kind of reminder and every awkward case the feed must get right.
FEED_VAULT: dict[str, str] = {
    "People/Anna Rossi.md": """---
birthday: 1992-02-29
dates:
  - "2015-12-05 wedding anniversary"
  - "--01-10 name day"
cadence: 1m
company: "[[Acme Corp|Acme]]"
role: CTO
email: anna@example.org
---
# Anna

## Log
- 2026-09-01: coffee, she is moving to Turin; asked about schools
- 2026-10-20 — call about the new job #gave
- 2026-12-24: Christmas dinner (a plan, not a contact)

- [ ] 2026-11-20 ask how the move went
- [ ] send the book 📅 2026-12-10
- [x] 2026-11-01 done already
- [-] 2026-11-02 cancelled
- [ ] no date, reminds nothing
""",
    "People/Bob Jones.md": """---
birthday: --12-24
circle: inner
last_contact: 2026-11-01
---
Bob.
""",
    "People/Carla.md": """---
birthday: 02-29
cadence: 2w
snooze: 2026-12-20
---
- 2026-11-01 lunch
""",
    "People/Dario.md": """---
cadence: never
---
Dario has no reminder of his own.
""",
    "Meetings/Standup.md": """# Standup
- [ ] 2026-11-30 send slides to [[Dario]] and [[Anna Rossi]]
- 2026-11-10 standup with [[Dario]]
""",
    "People/Émile.md": """---
name: "Émile, Zoë; \\"the\\" \\\\ boss"
birthday: 1980-01-15
circle: close
---
- 2026-10-01: met at the café; talked about \\N and commas, semicolons
""",
    "People/Never.md": """---
circle: network
---
Never contacted: reconnect today.
""",
    "People/Broken.md": """---
birthday: 1990-02-30
---
""",
}


def feed_bytes(root: Path, today: date = TODAY) -> bytes:
    config = load_config(root)
    return render_ics(load_index(root, today, config), today, config)


def parse(data: bytes) -> icalendar.Calendar:
    """Parse with icalendar; a value it could not read is an error, not a shrug."""
    calendar = icalendar.Calendar.from_ical(data)
    assert [c.errors for c in calendar.walk() if c.errors] == []
    return calendar


def _kind(event) -> str:
    categories = event.get("CATEGORIES")
    return str(categories.cats[0])


def python_expand(data: bytes, start: date, end: date) -> list[dict]:
    """Occurrences with start <= date < end, as recurring-ical-events sees them."""
    calendar = parse(data)
    out = []
    for event in recurring_ical_events.of(calendar).between(start, end):
        day = event["DTSTART"].dt
        assert type(day) is date, "all-day events only"
        out.append(
            {
                "date": day.isoformat(),
                "end": event["DTEND"].dt.isoformat(),
                "uid": str(event["UID"]),
                "kind": _kind(event),
                "contact": str(event["CONTACT"]),
                "summary": str(event["SUMMARY"]),
                "description": str(event["DESCRIPTION"]),
                "url": str(event["URL"]),
            }
        )
    return sorted(out, key=lambda o: (o["date"], o["uid"]))


def due_expected(crm, root: Path, today: date, days: int) -> list[tuple[str, str, str]]:
    """What `crm due --json` lists, each on the day the feed shows it (overdue: today)."""
    result = crm(root, "due", "--days", str(days), "--json", today=today)
    assert result.exit_code == 0, result.output
    return sorted(
        (max(date.fromisoformat(r["date"]), today).isoformat(), r["kind"], r["contact"])
        for r in json.loads(result.stdout)
    )


def feed_summary(occurrences: list[dict]) -> list[tuple[str, str, str]]:
    return sorted((o["date"], o["kind"], o["contact"]) for o in occurrences)


@pytest.fixture
def feed_vault(vault):
    return vault(dict(FEED_VAULT))


# --- the calendar ---------------------------------------------------------------------


def test_calendar_properties(feed_vault, crm):
    result = crm(feed_vault, "ics")
    assert result.exit_code == 0
    data = result.stdout_bytes
    cal = parse(data)
    assert cal["VERSION"] == "2.0"
    assert "plaintextcrm" in str(cal["PRODID"])
    assert cal["CALSCALE"] == "GREGORIAN"
    assert cal["METHOD"] == "PUBLISH"
    assert cal["X-WR-CALNAME"] == "plaintextcrm"
    assert cal["X-PUBLISHED-TTL"] == "PT1H"
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in data
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")
    # every line ends in CRLF and is at most 75 octets
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    assert "1 note has problems" in result.stderr  # the broken note did not stop the feed


def test_calendar_name_from_config(vault, crm):
    root = vault({"crm.toml": '[ics]\ncalendar_name = "Friends, family"\n'})
    cal = parse(crm(root, "ics").stdout_bytes)
    assert cal["NAME"].to_ical() == b"Friends\\, family"
    assert cal["X-WR-CALNAME"].to_ical() == b"Friends\\, family"  # TEXT, escaped
    assert cal.walk("VEVENT") == []


def test_every_event_is_all_day_with_exclusive_end(feed_vault):
    cal = parse(feed_bytes(feed_vault))
    events = cal.walk("VEVENT")
    assert events
    for event in events:
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        assert type(start) is date and type(end) is date
        assert end == start + timedelta(days=1)
        assert event["DTSTART"].params["VALUE"] == "DATE"
        assert event["DTSTAMP"].dt.isoformat() == "2026-11-23T00:00:00+00:00"
        assert str(event["TRANSP"]) == "TRANSPARENT"
        assert "VALARM" not in [c.name for c in event.subcomponents]


def by_summary(cal) -> dict[str, icalendar.Event]:
    return {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}


def test_birthdays_and_dates_recur_yearly(feed_vault):
    data = feed_bytes(feed_vault)
    assert data.count(b"\r\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1\r\n") == 2
    events = by_summary(parse(data))
    anna = events["Anna Rossi's birthday"]
    assert anna["DTSTART"].dt == date(1992, 2, 29)
    assert dict(anna["RRULE"]) == {"FREQ": ["YEARLY"], "BYMONTH": [2], "BYMONTHDAY": [-1]}
    carla = events["Carla's birthday"]  # year-less Feb 29 starts on a real Feb 29
    assert carla["DTSTART"].dt == date(2000, 2, 29)
    assert dict(carla["RRULE"]) == dict(anna["RRULE"])
    bob = events["Bob Jones's birthday"]
    assert bob["DTSTART"].dt == date(2000, 12, 24)
    assert bob["RRULE"].to_ical() == b"FREQ=YEARLY"
    wedding = events["Anna Rossi: wedding anniversary"]
    assert wedding["DTSTART"].dt == date(2015, 12, 5)
    assert wedding["RRULE"].to_ical() == b"FREQ=YEARLY"
    assert _kind(wedding) == "date"


def test_feb_29_falls_on_last_day_of_february(feed_vault):
    data = feed_bytes(feed_vault)
    births = [
        o["date"]
        for o in python_expand(data, date(2026, 1, 1), date(2029, 1, 1))
        if o["kind"] == "birthday" and o["contact"] == "Anna Rossi"
    ]
    assert births == ["2026-02-28", "2027-02-28", "2028-02-29"]


def test_followups_and_reconnects_on_their_date_overdue_on_today(feed_vault):
    events = [e for e in parse(feed_bytes(feed_vault)).walk("VEVENT")]
    single = sorted(
        (_kind(e), str(e["CONTACT"]), e["DTSTART"].dt.isoformat())
        for e in events
        if "RRULE" not in e
    )
    assert single == [
        ("followup", "Anna Rossi", "2026-11-23"),  # due 2026-11-20: overdue, on today
        ("followup", "Anna Rossi", "2026-11-30"),  # from the meeting note
        ("followup", "Anna Rossi", "2026-12-10"),
        ("followup", "Dario", "2026-11-30"),
        ("reconnect", "Anna Rossi", "2026-11-23"),  # 2026-10-20 + 1m: overdue
        ("reconnect", "Bob Jones", "2026-11-23"),  # 2026-11-01 + 2w: overdue
        ("reconnect", "Carla", "2026-12-20"),  # snoozed past 2026-11-15
        ("reconnect", "Never", "2026-11-23"),  # never contacted
        ("reconnect", 'Émile, Zoë; "the" \\ boss', "2026-11-23"),
    ]
    assert not any(contact == "Dario" and kind == "reconnect" for kind, contact, _ in single)


@pytest.mark.parametrize(
    ("today", "days"),
    [(TODAY, 60), (date(2027, 2, 1), 40), (date(2028, 2, 20), 20), (date(2026, 12, 20), 300)],
)
def test_feed_expands_to_what_due_lists(feed_vault, crm, today, days):
    data = crm(feed_vault, "ics", today=today).stdout_bytes
    occurrences = python_expand(data, today, today + timedelta(days=days + 1))
    expected = due_expected(crm, feed_vault, today, days)
    assert feed_summary(occurrences) == expected
    kinds = {kind for _, kind, _ in expected}
    if days >= 60:
        assert kinds == {"birthday", "date", "followup", "reconnect"}


def test_description_prepares_the_conversation(feed_vault):
    events = by_summary(parse(feed_bytes(feed_vault)))
    text = str(events["Reconnect with Anna Rossi"]["DESCRIPTION"])
    lines = text.split("\n")
    assert lines[0].startswith("Time to reconnect (cadence 1m): last contact 2026-10-20")
    assert "CTO at Acme Corp" in lines
    assert "anna@example.org" in lines
    latest = lines.index("Latest:")
    assert lines[latest + 1 : latest + 3] == [
        "- 2026-10-20: call about the new job #gave",
        "- 2026-09-01: coffee, she is moving to Turin; asked about schools",
    ]
    assert "Christmas dinner" not in text  # a plan, not the latest contact
    tasks = lines.index("Open tasks:")
    assert "- 2026-11-20: ask how the move went" in lines[tasks:]
    assert "- no date, reminds nothing" in lines[tasks:]
    assert "done already" not in text
    assert lines[-1] == "Note: People/Anna Rossi.md"
    followup = str(events["Anna Rossi: ask how the move went"]["DESCRIPTION"])
    assert followup.startswith("Follow-up due 2026-11-20 (3 days overdue): ask how")
    birthday = str(events["Anna Rossi's birthday"]["DESCRIPTION"])
    assert birthday.startswith("Birthday (born 1992): turns 35 on 2027-02-28.")


def test_categories_and_contact(feed_vault):
    events = by_summary(parse(feed_bytes(feed_vault)))
    bob = events["Bob Jones's birthday"]
    assert [str(c) for c in bob["CATEGORIES"].cats] == ["birthday", "inner"]
    assert str(bob["CONTACT"]) == "Bob Jones"
    assert [str(c) for c in events["Carla's birthday"]["CATEGORIES"].cats] == ["birthday"]


def test_escaping_round_trips(feed_vault):
    name = 'Émile, Zoë; "the" \\ boss'
    events = by_summary(parse(feed_bytes(feed_vault)))
    event = events[f"{name}'s birthday"]
    assert str(event["CONTACT"]) == name
    assert "- 2026-10-01: met at the café; talked about \\N and commas, semicolons" in str(
        event["DESCRIPTION"]
    ).split("\n")


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "a, b; c \\ d",
        "line one\nline two\r\nthree\rfour",
        "literal \\N and \\n stay",
        "zero\u200bwidth, rtl \u05e9\u05dc\u05d5\u05dd, emoji 🎂, combining e\u0301",
        "tab\tand control\x00\x1b chars",
        "é" * 200,
        "\\" * 200,
    ],
)
def test_escape_text_round_trip_through_icalendar(text):
    line = fold(f"SUMMARY:{escape_text(text)}")
    data = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u\r\n"
        f"DTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20260101\r\n{line}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    event = parse(data.encode()).walk("VEVENT")[0]
    expected = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    expected = expected.replace("\x1b", "")
    assert str(event["SUMMARY"]) == expected


@settings(deadline=None)
@given(st.text(alphabet=st.sampled_from("ab;,\\^ é€😀\u0301"), max_size=400))
def test_fold_matches_icalendar(text):
    line = f"DESCRIPTION:{text}"
    assert fold(line).encode("utf-8") == Contentline(line).to_ical()


def test_long_unicode_lines_fold_without_splitting_characters(vault):
    name = "Zoë 😀 " * 40
    root = vault({"People/Long.md": f'---\nname: "{name.strip()}"\nbirthday: --05-05\n---\n'})
    data = feed_bytes(root)
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    for line in data.split(b"\r\n"):
        line.decode("utf-8")  # no line cut inside a character
    assert str(parse(data).walk("VEVENT")[0]["CONTACT"]) == name.strip()


# --- stability ------------------------------------------------------------------------


def test_same_vault_same_day_same_bytes(feed_vault, crm):
    first = crm(feed_vault, "ics").stdout_bytes
    second = crm(feed_vault, "ics").stdout_bytes
    assert first == second
    assert first == feed_bytes(feed_vault)
    assert crm(feed_vault, "ics", today=TODAY + timedelta(days=1)).stdout_bytes != first


def uids(data: bytes) -> dict[tuple[str, str, str], str]:
    found = {}
    for event in parse(data).walk("VEVENT"):
        key = (_kind(event), str(event["CONTACT"]), str(event["SUMMARY"]))
        assert key not in found
        found[key] = str(event["UID"])
    return found


def test_uids_are_unique_and_stable_across_unrelated_edits(feed_vault):
    before = uids(feed_bytes(feed_vault))
    assert len(set(before.values())) == len(before)
    anna = feed_vault / "People/Anna Rossi.md"
    text = anna.read_text(encoding="utf-8")
    # lines added above the tasks: their line numbers change, their UIDs must not
    text = text.replace("## Log\n", "## Log\n- 2026-11-22: quick chat\n\nSome prose.\n\n")
    anna.write_text(text, encoding="utf-8")
    (feed_vault / "People/Zed.md").write_text("---\nbirthday: 1970-07-07\n---\n")
    after = uids(feed_bytes(feed_vault))
    changed = {key for key in before if before[key] != after.get(key)}
    assert changed == set()
    assert set(after) - set(before) == {("birthday", "Zed", "Zed's birthday")}
    # the reconnect moved (new last contact) but kept its UID
    assert ("reconnect", "Anna Rossi", "Reconnect with Anna Rossi") in after


def test_uid_tells_same_text_tasks_apart():
    assert event_uid("P/a.md", "followup", "P/a.md", "call", "0") != event_uid(
        "P/a.md", "followup", "P/a.md", "call", "1"
    )
    assert event_uid("P/a.md", "birthday").endswith("@plaintextcrm")


def test_duplicate_tasks_and_shared_tasks_get_distinct_uids(vault):
    root = vault(
        {
            "People/A.md": "- [ ] 2026-12-01 call\n- [ ] 2026-12-05 call\n",
            "People/B.md": "x\n",
            "Notes/Plan.md": "- [ ] 2026-12-02 dinner with [[A]] and [[B]]\n",
        }
    )
    events = parse(feed_bytes(root)).walk("VEVENT")
    followups = [e for e in events if _kind(e) == "followup"]
    assert len(followups) == 4
    assert len({str(e["UID"]) for e in followups}) == 4


# --- links ------------------------------------------------------------------------------


def test_file_url_points_at_the_note(feed_vault):
    event = by_summary(parse(feed_bytes(feed_vault)))["Anna Rossi's birthday"]
    url = urlparse(str(event["URL"]))
    assert url.scheme == "file"
    assert Path(url2pathname(url.path)) == (feed_vault / "People/Anna Rossi.md").resolve()


def test_obsidian_url(vault):
    root = vault(
        {
            "crm.toml": 'links = "obsidian"\nvault_name = "My Vault & Co"\n',
            "People/Anna Rossi.md": "---\nbirthday: 1990-01-01\n---\n",
        }
    )
    data = feed_bytes(root)
    event = parse(data).walk("VEVENT")[0]
    url = str(event["URL"])
    assert url == "obsidian://open?vault=My%20Vault%20%26%20Co&file=People%2FAnna%20Rossi"
    query = dict(p.split("=") for p in urlparse(url).query.split("&"))
    assert unquote(query["vault"]) == "My Vault & Co"
    assert unquote(query["file"]) == "People/Anna Rossi"
    (root / "crm.toml").write_text('links = "obsidian"\n')
    event = parse(feed_bytes(root)).walk("VEVENT")[0]
    assert str(event["URL"]).startswith("obsidian://open?vault=vault&file=")


# --- alarm ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alarm", "delta"),
    [("09:00", timedelta(hours=9)), ("07:30", timedelta(hours=7, minutes=30)),
     ("00:00", timedelta(0)), ("00:15", timedelta(minutes=15))],
)  # fmt: skip
def test_alarm_at_time_of_day(vault, alarm, delta):
    root = vault(
        {
            "crm.toml": f'[ics]\nalarm = "{alarm}"\n',
            "People/A.md": "---\nbirthday: 1990-01-01\n---\n- [ ] 2026-12-01 call\n",
        }
    )
    for event in parse(feed_bytes(root)).walk("VEVENT"):
        (valarm,) = event.walk("VALARM")
        assert valarm["ACTION"] == "DISPLAY"
        assert valarm["TRIGGER"].dt == delta
        assert valarm["TRIGGER"].params.get("RELATED", "START") == "START"
        assert str(valarm["DESCRIPTION"]) == str(event["SUMMARY"])


# --- -o FILE ----------------------------------------------------------------------------


def test_output_file_written_atomically_and_only_on_change(feed_vault, crm, tmp_path):
    out = tmp_path / "out" / "crm.ics"
    out.parent.mkdir()
    result = crm(feed_vault, "ics", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert out.read_bytes() == feed_bytes(feed_vault)
    os.chmod(out, 0o640)
    before = out.stat()
    assert crm(feed_vault, "ics", "-o", str(out)).exit_code == 0
    same = out.stat()
    assert (same.st_ino, same.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    crm(feed_vault, "ics", "-o", str(out), today=TODAY + timedelta(days=1))
    after = out.stat()
    assert after.st_ino != before.st_ino  # replaced by rename, not rewritten in place
    assert stat.S_IMODE(after.st_mode) == 0o640
    assert out.read_bytes() == feed_bytes(feed_vault, TODAY + timedelta(days=1))
    assert sorted(p.name for p in out.parent.iterdir()) == ["crm.ics"]


def test_output_through_a_symlink_keeps_the_link(feed_vault, crm, tmp_path):
    real = tmp_path / "www" / "crm.ics"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "crm.ics"
    link.symlink_to(real)
    assert crm(feed_vault, "ics", "-o", str(link)).exit_code == 0
    assert link.is_symlink()
    assert real.read_bytes() == feed_bytes(feed_vault)


def test_output_errors_are_one_line(feed_vault, crm, tmp_path):
    result = crm(feed_vault, "ics", "-o", str(tmp_path / "missing" / "crm.ics"))
    assert result.exit_code == 1
    # the error first; the vault's problems line, if any, after it
    assert result.stderr.splitlines()[0].startswith("crm: error: cannot write ")
    result = crm(feed_vault, "ics", "-o", str(tmp_path))
    assert result.exit_code == 1
    assert "crm: error: cannot write" in result.stderr


def test_output_into_the_vault_is_not_read_as_a_note(feed_vault, crm):
    out = feed_vault / "crm.ics"
    assert crm(feed_vault, "ics", "-o", str(out)).exit_code == 0
    assert crm(feed_vault, "ics", "-o", str(out)).exit_code == 0
    assert out.read_bytes() == feed_bytes(feed_vault)


def test_stdout_dash(feed_vault, crm):
    assert crm(feed_vault, "ics", "-o", "-").stdout_bytes == feed_bytes(feed_vault)


# --- the cacheable pieces ---------------------------------------------------------------


def test_feed_is_head_plus_contact_texts(feed_vault):
    config = load_config(feed_vault)
    index = load_index(feed_vault, TODAY, config)
    pieces = [calendar_head(config, TODAY)]
    pieces += [contact_events(c, TODAY, config, index.root) for c in index.contacts]
    pieces.append(CALENDAR_TAIL)
    assert "".join(pieces).encode() == render_ics(index, TODAY, config)
    dario = next(c for c in index.contacts if c.name == "Dario")
    text = contact_events(dario, TODAY, config, index.root)
    assert text == contact_events(dario, TODAY, config, index.root)
    assert text.count("BEGIN:VEVENT") == 1
    never_alarm = contact_events(dario, TODAY, parse_config({}), index.root)
    assert "VALARM" not in never_alarm


# --- property: the feed and `crm due` agree on any vault --------------------------------

_days = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
_yearly = st.one_of(
    _days.map(lambda d: d.isoformat()),
    _days.map(lambda d: f"--{d.month:02d}-{d.day:02d}"),
    st.sampled_from(["1992-02-29", "--02-29", "02-29", "2000-12-31", "--01-01"]),
)
_contact = st.fixed_dictionaries(
    {
        "birthday": st.none() | _yearly,
        "dates": st.lists(_yearly, max_size=2),
        "cadence": st.none() | st.sampled_from(["3d", "2w", "1m", "3m", "1y", "45"]),
        "last": st.none() | _days,
        "snooze": st.none() | _days,
        "tasks": st.lists(st.tuples(st.sampled_from(["open", "done"]), st.none() | _days),
                          max_size=3),
        "seen": st.lists(_days, max_size=3),
    }
)  # fmt: skip


def _model_contact(i: int, spec: dict):
    from plaintextcrm.dates import parse_cadence, parse_yearly
    from plaintextcrm.model import Contact, ContactFields, Interaction, Task

    path = f"People/P{i}.md"
    fields = ContactFields(
        name=f"P{i}, ; \\ ü",
        birthday=parse_yearly(spec["birthday"]) if spec["birthday"] else None,
        birthday_raw=spec["birthday"],
        dates=tuple(parse_yearly(d, f"day {n}") for n, d in enumerate(spec["dates"])),
        cadence=parse_cadence(spec["cadence"]),
        cadence_raw=spec["cadence"],
        last_contact=spec["last"],
        snooze=spec["snooze"],
    )
    tasks = tuple(
        Task(path, line + 10, status, due, f"task {line}")
        for line, (status, due) in enumerate(spec["tasks"])
    )
    interactions = tuple(Interaction(d, "talked", path, 1) for d in sorted(spec["seen"]))
    return Contact(path, fields, fields.cadence, tasks, interactions)


@settings(deadline=None, max_examples=60)
@given(
    contacts=st.lists(_contact, min_size=1, max_size=4),
    today=st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    days=st.integers(min_value=0, max_value=364),
)
def test_feed_agrees_with_due_on_any_vault(contacts, today, days):
    from plaintextcrm.model import Index
    from plaintextcrm.reminders import due

    index = Index("/vault", tuple(_model_contact(i, c) for i, c in enumerate(contacts)), ())
    data = render_ics(index, today, parse_config({}))
    occurrences = python_expand(data, today, today + timedelta(days=days + 1))
    expected = sorted(
        (max(r.date, today).isoformat(), r.kind, r.contact) for r in due(index, today, days)
    )
    assert feed_summary(occurrences) == expected


@pytest.mark.parametrize("path", ["People/Anna Rossi.md", "a/b#c?d%e&f.md", "Zoë/ø 😀.md"])
def test_file_url_quotes_like_pathlib(path, tmp_path):
    from plaintextcrm.render.ics import note_url

    root = str(tmp_path / "my vault")
    assert note_url(root, path, parse_config({})) == (Path(root) / path).as_uri()


def test_docs_name_real_config_keys():
    """docs/calendar.md tells users which crm.toml keys shape the feed; they must exist."""
    docs = (Path(__file__).parent.parent / "docs" / "calendar.md").read_text(encoding="utf-8")
    for snippet in ('[ics] alarm = "09:00"', "[ics] calendar_name", 'links = "obsidian"'):
        assert snippet in docs
    config = parse_config(
        {
            "links": "obsidian",
            "vault_name": "Notes",
            "ics": {"alarm": "09:00", "calendar_name": "People"},
        }
    )
    assert config.problems == ()
    assert (config.alarm, config.calendar_name, config.vault_name) == ("09:00", "People", "Notes")
