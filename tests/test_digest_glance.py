"""The digest as a person uses it: something to glance at (a strip of the next 14 days,
interactions per month, each circle's health), something to tap (call, text, mail),
long overdue items below the day's, the format from `-o`, and the same facts in words in
the text and Markdown digests."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import TODAY

from plaintextcrm.config import load_config
from plaintextcrm.load import load_index
from plaintextcrm.render.charts import sparkline
from plaintextcrm.render.digest import build_digest, duration_words, render_digest, topic

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "example-vault"

# TODAY is 2026-11-23.
NOTES = {
    "crm.toml": '[circles]\nclose = "1m"\nwork = "3m"\n',
    # 500 days overdue: long overdue, below the day's.
    "People/Zoë Martin.md": (
        "---\ncircle: close\nemail: zoe@example.net\n---\n"
        "- 2026-11-01 talked about Piranesi\n- [ ] 2025-07-11 lend her the book\n"
    ),
    # 3 days overdue: today's business.
    "People/Anna Rossi.md": (
        "---\ncircle: close\nphone: '+39 333 123 4567'\nemail: anna@example.org\n"
        "birthday: 1990-11-30\n---\n- 2026-10-20 coffee\n- [ ] 2026-11-20 ask how the move went\n"
    ),
    # A reconnect 200 days late: long overdue too.
    "People/Kwame.md": "---\ncircle: work\nlast_contact: 2026-02-06\nphone: '0039 02 555 0101'\n---\n",
    "People/Bob.md": "---\ncircle: work\n---\n- 2026-11-20 lunch\n- 2026-10-05 call\n- 2026-09-05 call\n",
}


def digest_for(root: Path, today: date = TODAY, days: int = 14):
    config = load_config(root)
    return build_digest(load_index(root, today, config), today, days, config)


# --- long overdue -----------------------------------------------------------------------


def test_long_overdue_items_go_below_the_days(vault):
    d = digest_for(vault(NOTES))
    assert [(f.contact, f.overdue_days) for f in d.followups] == [("Anna Rossi", 3)]
    assert [(x.kind, x.contact, x.overdue_days) for x in d.long_overdue] == [
        ("followup", "Zoë Martin", 500),
        ("reconnect", "Kwame", 201),
    ]
    assert d.long_overdue[1].text == "reconnect (every 3m, last contact 2026-02-06)"
    assert "Kwame" not in [r.contact for r in d.reconnects]
    assert d.long_overdue_after == "1 month"
    # The counts and the subject still tell the whole number.
    assert d.totals.followups == 2 and d.totals.long_overdue == 2
    assert d.subject().startswith("CRM digest 2026-11-23: 2 follow-ups (2 overdue)")
    assert d.more()["followups"] == 0 and d.more()["long_overdue"] == 0
    for fmt, heading, reconnect in (
        ("html", ">Long overdue <", 'id="reconnect"'), ("md", "## Long overdue", "## Reconnect"),
        ("txt", "LONG OVERDUE (by more than 1 month", "RECONNECT ("),
    ):  # fmt: skip
        out = render_digest(d, fmt)
        # below the day's: the 500-day task comes after today's follow-up and reconnects
        assert out.index("ask how the move went") < out.index(reconnect), fmt
        assert out.index(reconnect) < out.index(heading) < out.rindex("lend her the book"), fmt


@pytest.mark.parametrize(
    ("setting", "long"), [('"6w"', ["Zoë Martin", "Kwame"]), ('"1y"', ["Zoë Martin"]),
                          ('"never"', []), ("0", [])],
)  # fmt: skip
def test_long_overdue_age_is_configurable(vault, setting, long):
    toml = NOTES["crm.toml"] + f"[digest]\nlong_overdue = {setting}\n"
    root = vault({**NOTES, "crm.toml": toml})
    d = digest_for(root)
    assert [x.contact for x in d.long_overdue] == long
    assert len(d.followups) + len(d.long_overdue) + len(d.reconnects) >= 3


def test_bad_long_overdue_is_one_clear_error(vault, crm):
    result = crm(vault({**NOTES, "crm.toml": '[digest]\nlong_overdue = "often"\n'}), "digest")
    assert result.exit_code == 1 and "`digest.long_overdue`" in result.stderr


def test_only_long_overdue_is_not_an_empty_digest(vault, crm):
    root = vault(
        {"People/Zoë.md": "---\ncadence: never\n---\n- [ ] 2025-07-11 lend her the book\n"}
    )
    d = digest_for(root)
    assert not d.is_empty and [x.contact for x in d.long_overdue] == ["Zoë"]
    assert "lend her the book" in crm(root, "digest", "--quiet-if-empty").stdout


def test_duration_words():
    from plaintextcrm.dates import parse_cadence

    words = {raw: duration_words(parse_cadence(raw)) for raw in ("1m", "6w", "45", "1y", "18m")}
    assert words == {"1m": "1 month", "6w": "6 weeks", "45": "45 days", "1y": "1 year",
                     "18m": "18 months"}  # fmt: skip


# --- links to reach each person ---------------------------------------------------------


def test_call_text_and_mail_links_on_each_person(vault):
    d = digest_for(vault(NOTES))
    anna = d.followups[0].reach
    assert (anna.tel, anna.sms, anna.mailto) == (
        "tel:+393331234567", "sms:+393331234567", "mailto:anna@example.org",
    )  # fmt: skip
    kwame = d.long_overdue[1].reach
    assert kwame.tel == "tel:+39025550101" and kwame.mailto is None  # 0039 is +39
    html = render_digest(d, "html")
    assert '<a class="act" href="tel:+393331234567"' in html
    assert '<a class="act" href="sms:+393331234567"' in html
    assert '<a class="act" href="mailto:anna@example.org"' in html
    assert '<a class="act" href="mailto:zoe@example.net"' in html
    md = render_digest(d, "md")
    assert "**Anna Rossi** ([call](tel:+393331234567) · [text](sms:+393331234567) · " in md
    txt = render_digest(d, "txt")
    assert "      call or text +39 333 123 4567 · mail anna@example.org" in txt


def test_links_are_built_from_the_values_not_obeyed(vault):
    root = vault(
        {
            "People/Eve.md": (
                "---\ncadence: 1w\nphone: 'javascript:alert(1)'\n"
                "email: ['x\"><script>@evil', 'eve+news@example.org?subject=hi&body=x']\n---\n"
            )
        }
    )
    d = digest_for(root)
    (eve,) = d.reconnects
    assert eve.reach.tel == "tel:1"  # digits only
    assert eve.reach.mailto == "mailto:eve+news@example.org%3Fsubject%3Dhi%26body%3Dx"
    html = render_digest(d, "html")
    assert 'href="javascript' not in html and "<script>" not in html
    assert 'href="mailto:eve+news@example.org%3Fsubject%3Dhi%26body%3Dx"' in html


# --- charts -----------------------------------------------------------------------------


def test_the_charts_draw_what_the_vault_says(vault, crm):
    root = vault(NOTES)
    d = digest_for(root)
    stats = json.loads(crm(root, "stats", "--json").stdout)["interactions_per_month"]
    assert [(m.month, m.count) for m in d.months] == list(stats.items())
    assert [m.name for m in d.months][-2:] == ["Oct", "Nov"]
    circles = {c.circle: (c.contacts, c.on_track, c.overdue) for c in d.circles}
    # Anna is 3 days late on 1m, Zoë on track; Kwame late, Bob on track.
    assert circles == {"close": (2, 1, 1), "work": (2, 1, 1)}
    assert [c.circle for c in d.circles] == ["close", "work"]  # crm.toml's order
    assert [
        (s.label, [(i.kind, i.contact) for i in s.reminders]) for s in d.strip if s.reminders
    ] == [
        ("Mon 30", [("birthday", "Anna Rossi")]),
        ("Tue 1", [("reconnect", "Zoë Martin")]),  # 2026-11-01 + 1m
    ]
    assert len(d.strip) == 14 and d.strip[0].today and d.strip[0].date == TODAY
    charts = d.context()["charts"]
    assert set(charts) == {"months", "circles", "strip"}
    for svg in charts.values():
        assert svg.startswith('<svg class="chart ') and svg.endswith("</svg>")
        assert "<script" not in svg and "href" not in svg and "url(" not in svg
    # each chart's numbers are in its title, for screen readers and tooltips
    assert "Nov 2" in charts["months"] and "close 1 on track, 1 overdue" in charts["circles"]
    assert charts["strip"].count("<circle ") == 2


def test_chart_text_is_escaped(vault):
    root = vault(
        {
            "crm.toml": '[circles]\n"<script>alert(1)</script>" = "1w"\n',
            "People/A.md": '---\ncircle: "<script>alert(1)</script>"\n---\n',
        }
    )
    html = render_digest(digest_for(root), "html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1" in html


def test_sparkline():
    assert sparkline([0, 1, 2, 4, 8]) == "▁▃▄▅█"  # any month with one is above an empty one
    assert sparkline([1, 100]) == "▂█"
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([]) == ""
    assert sparkline([3, 0, 3]) == "█▁█"


def test_text_and_markdown_say_the_charts_in_words(vault):
    d = digest_for(vault(NOTES))
    for fmt in ("md", "txt"):
        out = render_digest(d, fmt)
        assert "Interactions per month, Dec to Nov: " in out, fmt
        assert sparkline([m.count for m in d.months]) in out
        assert "Oct 2 · Nov 2 (so far)" in out
        assert re.search(r"close:? +1 of 2 overdue", out), fmt
        assert re.search(r"Mon 30:? +Anna Rossi \(birthday\)", out), fmt


# --- the format from -o -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "start"),
    [("d.html", "<!DOCTYPE html>"), ("d.HTM", "<!DOCTYPE html>"), ("d.md", "# CRM digest"),
     ("d.markdown", "# CRM digest"), ("d.txt", "CRM digest 2026"), ("d.out", "# CRM digest")],
)  # fmt: skip
def test_the_format_follows_the_output_files_extension(vault, crm, tmp_path, name, start):
    root = vault(NOTES)
    target = tmp_path / name
    assert crm(root, "digest", "-o", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith(start)


def test_format_wins_over_the_extension(vault, crm, tmp_path):
    root = vault(NOTES)
    target = tmp_path / "digest.html"
    assert crm(root, "digest", "--format", "txt", "-o", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("CRM digest 2026-11-23")
    assert crm(root, "digest", "-o", "-").stdout.startswith("# CRM digest")


# --- the "Last time" lines use the interaction's words ----------------------------------


def _last_time_lines(text: str) -> list[str]:
    return re.findall(r"Last time \(\d{4}-\d\d-\d\d\): (.*)", text)


def test_last_time_lines_on_the_example_vault(crm):
    out = crm(EXAMPLE, "digest", "--format", "txt", today=date(2026, 12, 1)).stdout
    lines = _last_time_lines(out)
    assert "Lunch in Brera with Nico and Chiara." in lines  # a daily note's sentence
    assert "Acme pilot kickoff" in lines  # a meeting note's title
    assert not [line for line in lines if "noted in" in line or ".md" in line]


def test_last_time_lines_on_a_daily_notes_vault(crm, tmp_path):
    """Periodic Notes with `DD.MM.YYYY` daily notes: the line that names the person."""
    root = tmp_path / "vault"
    shutil.copytree(REPO / "tests/fixtures/conventions/periodic-notes/vault", root)
    (root / "crm.toml").write_text('[contacts]\ndefault_cadence = "1w"\n', encoding="utf-8")
    out = crm(root, "digest", "--format", "txt", today=date(2026, 12, 10)).stdout
    assert sorted(_last_time_lines(out)) == [
        "Walked along the Spree with Priya Shah; she is training for the Berlin marathon.",
        "call with Tom Becker: his daughter Mila was born on Tuesday",
    ]
    config = load_config(root)
    index = load_index(root, date(2026, 12, 10), config)
    tom = next(c for c in index.contacts if c.name == "Tom Becker")
    assert topic(tom.interactions[-1]) in _last_time_lines(out)


# --- determinism ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "md", "txt"])
def test_same_vault_same_day_same_digest(vault, crm, fmt):
    root = vault(NOTES)
    first = crm(root, "digest", "--format", fmt).stdout
    assert crm(root, "digest", "--format", fmt).stdout == first
    rendered = render_digest(digest_for(root), fmt)
    assert first == (rendered if rendered.endswith("\n") else rendered + "\n")
