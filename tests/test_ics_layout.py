"""What a person subscribed to the feed sees: a handful of events a day, each saying what
it is; overdue reminders sharing an event; a day's reconnects in one; feeds of one kind;
yearly events that start near the feed's year with the UIDs they always had."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from test_ics import (
    FEED_VAULT,
    TODAY,
    _kind,
    contacts_of,
    due_expected,
    feed_bytes,
    feed_summary,
    parse,
    python_expand,
)

from plaintextcrm.render.ics import overdue_age, title_names

EXAMPLE_VAULT = Path(__file__).parent.parent / "example-vault"
#: The day the closing note of issue 12 quotes the example vault's feed for.
EXAMPLE_DAY = date(2026, 12, 1)


def events_on(data: bytes, day: date) -> list[dict]:
    return [o for o in python_expand(data, day, day + timedelta(days=1))]


def test_the_example_vault_shows_a_handful_of_events_today(crm):
    """26 reminders are overdue in the example vault on 2026-12-01; the feed shows them
    in two events, beside the day's own, and each title says what it is."""
    data = crm(EXAMPLE_VAULT, "ics", today=EXAMPLE_DAY).stdout_bytes
    today = events_on(data, EXAMPLE_DAY)
    assert sorted(o["summary"] for o in today) == [
        "Chiara Esposito: wedding anniversary",
        "overdue · 17 reconnects: Kwame, Ayşe +15",
        "overdue · 9 follow-ups: Zoë, Nicolò +7",
    ]
    due = due_expected(crm, EXAMPLE_VAULT, EXAMPLE_DAY, 0)
    assert len(due) == 27  # every one of them is still there, as a CONTACT
    assert feed_summary(today) == due
    follow = next(o for o in today if "follow-ups" in o["summary"])
    lines = follow["description"].split("\n")
    assert lines[0] == "9 follow-ups are overdue, longest first:"
    assert lines[1] == '- 1y · Zoë Martin: lend her "The Overstory" (due 2025-06-30)'
    assert "- 3d · José Álvarez: send the Lisbon contacts (due 2026-11-28)" in lines
    assert follow["url"].endswith("file=People%2FZo%C3%AB%20Martin")  # where to start


def test_each_layout_puts_every_overdue_reminder_on_today_titled_overdue(vault, crm):
    root = vault({**FEED_VAULT, "crm.toml": '[ics]\noverdue = "each"\nreconnects = "each"\n'})
    today = events_on(crm(root, "ics").stdout_bytes, TODAY)
    overdue = sorted(o["summary"] for o in today if "overdue" in o["summary"])
    assert overdue == [
        "overdue 3d · Anna Rossi: ask how the move went",
        "overdue 3d · Reconnect with Anna Rossi",
        'overdue 3w · Reconnect with Émile, Zoë; "the" \\ boss',  # due 2026-11-01
        "overdue 8d · Reconnect with Bob Jones",  # due 2026-11-15
    ]
    assert "Reconnect with Never" in [o["summary"] for o in today]  # due today: not late


def test_a_days_reconnects_share_one_event(vault, crm):
    last = "2026-11-16"  # + 2w: all due 2026-11-30, a week ahead
    notes = {
        f"People/{name}.md": f"---\ncadence: 2w\nlast_contact: {last}\n---\n"
        for name in ("Ayşe Yılmaz", "Björn Andersson", "Carla", "Dario Rossi", "Dario Bianchi")
    }
    root = vault({**notes, "People/Solo.md": "---\ncadence: 3w\nlast_contact: 2026-11-16\n---\n"})
    data = crm(root, "ics").stdout_bytes
    day = date(2026, 11, 30)
    (shared,) = events_on(data, day)
    assert shared["summary"] == "Reconnect: Ayşe, Björn +3"
    assert shared["kind"] == "reconnect"
    assert sorted(shared["contacts"]) == sorted(n[7:-3] for n in notes)
    assert shared["description"].split("\n")[:2] == [
        "Time to reconnect with 5 people:",
        "- Ayşe Yılmaz: every 2w, last contact 2026-11-16",
    ]
    (solo,) = events_on(data, date(2026, 12, 7))  # alone on its day: its own event
    assert solo["summary"] == "Reconnect with Solo" and solo["contacts"] == ["Solo"]
    each = vault({"crm.toml": '[ics]\nreconnects = "each"\n'})
    assert len(events_on(crm(each, "ics").stdout_bytes, day)) == 5


def test_title_names():
    assert title_names(["Ayşe Yılmaz"]) == "Ayşe"
    assert title_names(["Ayşe Yılmaz", "Björn A", "Carla"]) == "Ayşe, Björn, Carla"
    assert title_names(["Ayşe Yılmaz", "Björn A", "Carla", "D"]) == "Ayşe, Björn +2"
    # Two Darios shown: their full names, so the title never hides who is meant.
    assert title_names(["Dario Rossi", "Dario  Bianchi", "Carla"]) == (
        "Dario Rossi, Dario Bianchi, Carla"
    )
    assert title_names(["  ", "Zoë"]) == "  , Zoë"  # a blank name does not crash


@pytest.mark.parametrize(
    ("days", "text"),
    [(1, "1d"), (13, "13d"), (14, "2w"), (60, "8w"), (61, "2mo"), (364, "11mo"), (365, "1y"),
     (800, "2y")],
)  # fmt: skip
def test_overdue_age(days, text):
    assert overdue_age(days) == text


def test_the_shared_overdue_event_keeps_its_uid_from_day_to_day(vault, crm):
    root = vault(dict(FEED_VAULT))

    def shared_uids(day: date) -> dict[str, str]:
        return {
            _kind(e): str(e["UID"])
            for e in parse(crm(root, "ics", today=day).stdout_bytes).walk("VEVENT")
            if str(e["SUMMARY"]).startswith("overdue · ")
        }

    first, later = shared_uids(TODAY), shared_uids(TODAY + timedelta(days=3))
    assert set(first) == {"reconnect"} and first == {k: v for k, v in later.items() if k in first}


# --- kinds ------------------------------------------------------------------------------


def test_kinds_choose_what_the_feed_carries(vault, crm):
    root = vault({**FEED_VAULT, "crm.toml": '[ics]\nkinds = ["date", "birthday"]\n'})
    data = crm(root, "ics").stdout_bytes
    cal = parse(data)
    assert {_kind(e) for e in cal.walk("VEVENT")} == {"birthday", "date"}
    assert str(cal["X-WR-CALNAME"]) == "plaintextcrm"
    expected = [r for r in due_expected(crm, root, TODAY, 90) if r[1] in ("birthday", "date")]
    assert feed_summary(python_expand(data, TODAY, TODAY + timedelta(days=91))) == expected


@pytest.mark.parametrize("kind", ["birthday", "date", "followup", "reconnect"])
def test_ics_kind_gives_the_feed_of_one_kind(feed_vault_plain, crm, kind):
    data = crm(feed_vault_plain, "ics", "--kind", kind).stdout_bytes
    cal = parse(data)
    assert {_kind(e) for e in cal.walk("VEVENT")} == {kind}
    names = {"birthday": "birthdays", "date": "dates", "followup": "followups",
             "reconnect": "reconnects"}  # fmt: skip
    assert str(cal["X-WR-CALNAME"]) == f"plaintextcrm · {names[kind]}"
    expected = [r for r in due_expected(crm, feed_vault_plain, TODAY, 60) if r[1] == kind]
    assert feed_summary(python_expand(data, TODAY, TODAY + timedelta(days=61))) == expected
    # The same bytes on a second run (from the output cache) and after the full feed ran.
    crm(feed_vault_plain, "ics")
    assert crm(feed_vault_plain, "ics", "--kind", kind).stdout_bytes == data


def test_ics_kind_rejects_an_unknown_kind(feed_vault_plain, crm):
    result = crm(feed_vault_plain, "ics", "--kind", "party")
    assert result.exit_code == 2 and "party" in result.stderr


@pytest.fixture
def feed_vault_plain(vault):
    return vault(dict(FEED_VAULT))


# --- yearly events ----------------------------------------------------------------------


def _old_uid(path: str, kind: str, *identity: str) -> str:
    """The UID rule every earlier feed used, written out independently."""
    key = "\x1f".join((path, kind, *identity))
    return f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:32]}@plaintextcrm"


def test_yearly_events_start_near_the_feeds_year_with_their_old_uids(vault, crm):
    root = vault(
        {
            "People/Ada Lovelace.md": "---\nbirthday: 1815-12-10\n---\n",
            "People/Baby.md": "---\nbirthday: 2026-03-01\n---\n",  # born this year
            "People/Typo.md": "---\nbirthday: 2031-12-24\n---\n",  # a year ahead
            "People/Wed.md": "---\ndates: ['1990-06-01 wedding anniversary']\n---\n",
        }
    )
    data = crm(root, "ics").stdout_bytes
    starts = {
        ", ".join(contacts_of(e)): (e["DTSTART"].dt, str(e["UID"]))
        for e in parse(data).walk("VEVENT")
    }
    assert starts == {
        "Ada Lovelace": (date(2025, 12, 10), _old_uid("People/Ada Lovelace.md", "birthday")),
        "Baby": (date(2026, 3, 1), _old_uid("People/Baby.md", "birthday")),
        "Typo": (date(2026, 12, 24), _old_uid("People/Typo.md", "birthday")),
        "Wed": (
            date(2025, 6, 1),
            _old_uid("People/Wed.md", "date", "wedding anniversary", "0"),
        ),
    }
    assert b"DTSTART;VALUE=DATE:1815" not in data
    assert not re.search(rb"turns \d|\d+ years", data)  # no frozen age anywhere
    expanded = python_expand(data, date(2026, 1, 1), date(2028, 1, 1))
    ada = [o["date"] for o in expanded if o["contacts"] == ["Ada Lovelace"]]
    assert ada == ["2026-12-10", "2027-12-10"]


def test_same_vault_same_day_same_bytes_in_every_layout(vault, crm):
    for toml in ("", '[ics]\noverdue = "each"\n', '[ics]\nreconnects = "each"\n'):
        root = vault({**FEED_VAULT, "crm.toml": toml})
        first = crm(root, "ics").stdout_bytes
        assert crm(root, "ics").stdout_bytes == first == feed_bytes(root)
