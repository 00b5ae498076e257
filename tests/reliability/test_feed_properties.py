"""Property: the feed of an arbitrary vault parses in Python icalendar (SPEC 5, BAD_INPUTS 50).

Names, aliases and lines come from anywhere in Unicode (commas, semicolons, backslashes,
newlines, emoji, right-to-left marks), dates from the whole calendar; the feed must stay
valid: CRLF lines of at most 75 octets, one VEVENT per reminder with a unique UID, and
the summary naming the person.
"""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plaintextcrm.config import parse_config
from plaintextcrm.index import build_index
from plaintextcrm.parse import parse_note
from plaintextcrm.reminders import feed_reminders

from .helpers import has_command

pytestmark = pytest.mark.xfail(not has_command("ics"), reason="needs ics", strict=False)

CONFIGS = [parse_config({}), parse_config({"links": "obsidian", "vault_name": "My Vault; x,y"})]

hostile = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=60
) | st.sampled_from(["a,b;c\\d", "line\nbreak", "\r\n", "😀" * 40, "\u202eRTL", "x" * 300, ":;,\\"])
days = st.dates(date(1900, 1, 1), date(2100, 12, 31))


def quoted(text: str) -> str:
    """A YAML double-quoted scalar holding `text` exactly."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    for c in {c for c in out if ord(c) < 32 or c in "\x7f\x85\u2028\u2029\ufeff"}:
        out = out.replace(c, f"\\u{ord(c):04x}")
    return f'"{out}"'


@st.composite
def contact_note(draw, number: int) -> tuple[str, bytes]:
    name = draw(hostile.filter(lambda t: t.strip()))
    front = [f"name: {quoted(name)}"]
    if draw(st.booleans()):
        front.append(f"aliases: [{quoted(draw(hostile))}]")
    if draw(st.booleans()):
        born = draw(days)
        front.append(
            f"birthday: {draw(st.sampled_from([born.isoformat(), born.strftime('--%m-%d')]))}"
        )
    if draw(st.booleans()):
        front.append(f"dates: [{quoted(draw(days).isoformat() + ' ' + draw(hostile))}]")
    front.append(f"cadence: {draw(st.sampled_from(['1w', '3m', '1y', 'never', '0', '100y']))}")
    one_line = hostile.map(lambda t: " ".join(t.split()))
    body = [f"- {draw(days).isoformat()} {line}" for line in draw(st.lists(one_line, max_size=4))]
    body += [f"- [ ] {draw(days).isoformat()} {t}" for t in draw(st.lists(one_line, max_size=3))]
    text = "---\n" + "\n".join(front) + "\n---\n" + "\n".join(body) + "\n"
    return f"People/p{number}.md", text.encode("utf-8", "surrogatepass")


vaults = st.integers(0, 5).flatmap(lambda n: st.tuples(*[contact_note(i) for i in range(n)]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vaults, st.dates(date(1950, 1, 1), date(2090, 12, 31)), st.sampled_from(CONFIGS))
def test_feed_of_an_arbitrary_vault_parses_in_icalendar(notes, today, config):
    import icalendar

    from plaintextcrm.render.ics import render_ics

    parsed = [parse_note(rel, data, config) for rel, data in notes]
    index = build_index("/vault", parsed, config, today)
    feed = render_ics(index, today, config)
    assert feed.endswith(b"\r\n")
    lines = feed.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 and b"\n" not in line and b"\r" not in line for line in lines)
    calendar = icalendar.Calendar.from_ical(feed)
    events = list(calendar.walk("VEVENT"))
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    # One CONTACT per reminder: an event of its own has one, a shared one one per reminder.
    contacts = [c for e in events for c in _contacts(e)]
    assert len(contacts) == len(feed_reminders(index, today))
    names = {printable(c.name) for c in index.contacts}
    for event in events:
        assert event.decoded("DTSTART")
        summary = printable(str(event["SUMMARY"]))
        # a shared event's title names people by their first word
        firsts = {printable(c.name.split()[0]) for c in index.contacts if c.name.split()}
        shown = names if len(_contacts(event)) == 1 else firsts
        assert any(name in summary for name in shown), summary


def _contacts(event) -> list:
    found = event.get("CONTACT")
    return found if isinstance(found, list) else [found]


def printable(text: str) -> str:
    """Text as iCalendar can carry it: no control characters, whitespace collapsed."""
    return " ".join("".join(c for c in text if unicodedata.category(c) != "Cc").split())
