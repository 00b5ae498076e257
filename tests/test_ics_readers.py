"""The feed in independent readers: Mozilla's ical.js (Thunderbird's parser) under node
must parse it and expand it to the same occurrences as Python's recurring-ical-events,
and both must agree with `crm due`, on the test vault and on the example vault.

`tests/js/expand.mjs` does the ical.js side; CI installs it with `npm ci --prefix tests/js`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from test_ics import FEED_VAULT, LAYOUTS, TODAY, due_expected, feed_summary, python_expand

JS_DIR = Path(__file__).parent / "js"
EXAMPLE_VAULT = Path(__file__).parent.parent / "example-vault"
NODE = shutil.which("node")

needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")

#: What both readers must agree on for every occurrence.
COMPARED = ("date", "end", "uid", "kind", "contacts", "summary", "description", "url")


def js_expand(data: bytes, start: date, end: date) -> list[dict]:
    """Occurrences with start <= date < end, as ical.js sees them."""
    assert NODE is not None
    if not (JS_DIR / "node_modules" / "ical.js").is_dir():
        pytest.fail("ical.js is not installed: run `npm ci --prefix tests/js`")
    result = subprocess.run(
        [NODE, str(JS_DIR / "expand.mjs"), start.isoformat(), end.isoformat()],
        input=data,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return json.loads(result.stdout)


def compared(occurrences: list[dict]) -> list[tuple]:
    return sorted(
        tuple(tuple(o[key]) if isinstance(o[key], list) else o[key] for key in COMPARED)
        for o in occurrences
    )


def both_readers(data: bytes, start: date, end: date) -> list[dict]:
    """Expand with both readers, assert they agree, return the occurrences."""
    in_python = python_expand(data, start, end)
    in_js = js_expand(data, start, end)
    assert compared(in_js) == compared(in_python)
    return in_python


@needs_node
@pytest.mark.parametrize("layout", ["collapse", "each"])
@pytest.mark.parametrize(
    ("today", "days"),
    [(TODAY, 60), (date(2027, 2, 1), 40), (date(2028, 2, 20), 20), (date(2026, 12, 20), 300)],
)
def test_icaljs_expands_like_recurring_ical_events_and_due(vault, crm, today, days, layout):
    root = vault({**FEED_VAULT, "crm.toml": LAYOUTS[layout]})
    data = crm(root, "ics", today=today).stdout_bytes
    occurrences = both_readers(data, today, today + timedelta(days=days + 1))
    assert feed_summary(occurrences) == due_expected(crm, root, today, days)


@needs_node
def test_icaljs_reads_escapes_unicode_and_alarms(vault, crm):
    name = 'Émile, Zoë; "the" \\ boss 😀 שלום'
    root = vault(
        {
            "crm.toml": '[ics]\noverdue = "each"\n[ics.alarm]\nbirthday = ["-3d 09:00", "08:30"]\nfollowup = "08:30"\nreconnect = "08:30"\n',
            "People/Émile.md": (
                f"---\nname: {json.dumps(name, ensure_ascii=False)}\nbirthday: --02-29\ncadence: 1w\n---\n"
                "- 2026-11-01: long line " + "with, commas; and \\N " * 30 + "\n"
                "- [ ] 2026-11-01 ask\\about; it, please\n"
            ),
        }
    )
    data = crm(root, "ics").stdout_bytes
    occurrences = js_expand(data, date(2026, 11, 1), date(2029, 3, 2))
    assert {c for o in occurrences for c in o["contacts"]} == {name}
    alarms = {o["kind"]: o["alarms"] for o in occurrences}
    assert alarms == {"birthday": ["-P2DT15H", "PT8H30M"], "followup": ["PT8H30M"],
                      "reconnect": ["PT8H30M"]}  # fmt: skip
    births = [o["date"] for o in occurrences if o["kind"] == "birthday"]
    assert births == ["2027-02-28", "2028-02-29", "2029-02-28"]
    followup = next(o for o in occurrences if o["kind"] == "followup")
    assert followup["summary"] == f"overdue 3w · {name}: ask\\about; it, please"
    assert followup["date"] == TODAY.isoformat()
    assert "with, commas; and \\N " in followup["description"]
    both_readers(data, date(2026, 11, 1), date(2029, 3, 2))


@needs_node
def test_icaljs_accepts_an_empty_feed(vault, crm):
    data = crm(vault({}), "ics").stdout_bytes
    assert js_expand(data, TODAY, TODAY + timedelta(days=30)) == []


@needs_node
def test_example_vault_feed_matches_due_in_both_readers(crm):
    """The shipped example vault, 60 days from 2026-11-23, in both readers and `crm due`."""
    assert EXAMPLE_VAULT.is_dir(), "example-vault/ is missing"
    days = 60
    data = crm(EXAMPLE_VAULT, "ics").stdout_bytes
    occurrences = both_readers(data, TODAY, TODAY + timedelta(days=days + 1))
    expected = due_expected(crm, EXAMPLE_VAULT, TODAY, days)
    assert feed_summary(occurrences) == expected
    assert {kind for _, kind, _ in expected} == {"birthday", "date", "followup", "reconnect"}
