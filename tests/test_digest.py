"""The digest: what each section says, how reconnects rank, escaping, overrides, the CLI."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from conftest import TODAY

from plaintextcrm.config import load_config
from plaintextcrm.errors import CrmError
from plaintextcrm.load import load_index
from plaintextcrm.reminders import due
from plaintextcrm.render.digest import build_digest, readable, render_digest

REPO = Path(__file__).resolve().parents[1]

# TODAY is 2026-11-23. Nothing is set apart as long overdue here (tests/test_digest_glance.py
# does that): these notes test the ranking of everything that is overdue.
NOTES = {
    "crm.toml": '[digest]\nlong_overdue = "never"\n',
    "People/Ann Lee.md": (
        "---\ncircle: close\nbirthday: 1986-11-30\n---\n"
        "## Log\n"
        "- 2026-09-01: talked about her move to Lisbon #gave\n"
        "- [ ] 2026-11-20 ask how the move went\n"
        "- [ ] 2027-03-01 send the photos\n"
    ),
    # 2w cadence, last contact 20 days ago: 6 days overdue on a 14-day cadence.
    "People/Bob Stone.md": "---\ncadence: 2w\n---\n- 2026-11-03 coffee about his startup\n",
    # 1y cadence, last contact 400 days ago: 35 days overdue on a 365-day cadence.
    "People/Carol Diaz.md": "---\ncadence: 1y\n---\n- 2025-10-19 wedding in Porto\n",
    "People/Dan Roe.md": (
        "---\ndates:\n  - 2016-12-01 wedding anniversary\n---\n"
        "- 2026-10-01 he introduced me to a [[Designers|designer]] #got\n"
        "- 2026-10-15 reviewed my talk #got\n"
        "- 2026-11-20 sent me a book #got\n"
    ),
    "People/Evil.md": (
        "---\nname: \"<script>alert('x')</script>\"\ncadence: 1w\n---\n"
        "- 2026-11-01 said <b>hi</b> & <img src=x onerror=alert(1)>\n"
    ),
    "People/Eve Park.md": "---\ncompany: Acme\n---\n",
    "Daily/2026-11-21.md": "- 2026-11-21 lunch with [[Eve Park]] and [[Dan Roe|Dan]]\n",
    "People/Broken.md": "---\nbirthday: 1990-02-30\n---\n",
}


def digest_for(root: Path, today: date = TODAY, days: int = 14):
    config = load_config(root)
    index = load_index(root, today, config)
    return build_digest(index, today, days, config), index


def test_sections_say_what_is_due(vault):
    d, _ = digest_for(vault(NOTES))
    assert [(f.contact, f.text, f.overdue_days) for f in d.followups] == [
        ("Ann Lee", "ask how the move went", 3)
    ]
    assert [(o.contact, o.kind, o.detail, o.when) for o in d.occasions] == [
        ("Ann Lee", "birthday", "turns 40", "in 7 days"),
        ("Dan Roe", "date", "wedding anniversary (10 years)", "in 8 days"),
    ]
    ann = next(r for r in d.reconnects if r.contact == "Ann Lee")
    assert ann.last_topic == "talked about her move to Lisbon"  # no #gave tag
    assert ann.last_contact == date(2026, 9, 1)
    assert [t.text for t in ann.open_tasks] == ["ask how the move went", "send the photos"]
    assert [(g.contact, g.got, g.gave, g.last_got) for g in d.give_first] == [
        ("Dan Roe", 3, 0, "sent me a book")
    ]
    lunch = [a for a in d.activity if a.date == date(2026, 11, 21)]
    assert len(lunch) == 1 and lunch[0].contacts == ("Dan Roe", "Eve Park")
    assert lunch[0].text == "lunch with Eve Park and Dan"
    assert all(a.date >= d.activity_since for a in d.activity)
    assert not any(a.date < date(2026, 11, 9) for a in d.activity)
    assert d.problems.errors == 1 and d.problems.notes == 1
    assert not d.is_empty


def test_reconnects_rank_by_overdue_relative_to_cadence(vault):
    d, _ = digest_for(vault(NOTES))
    names = [r.contact for r in d.reconnects]
    # Ann: 53 days late on 1m (1.7); Evil: 15 late on 1w (2.1); Bob: 6 late on 2w (0.43);
    # Carol: 35 days late on 1y (0.1) though more days late than Bob.
    assert names == ["<script>alert('x')</script>", "Ann Lee", "Bob Stone", "Carol Diaz"]
    bob, carol = d.reconnects[2], d.reconnects[3]
    assert carol.overdue_days > bob.overdue_days and bob.score > carol.score
    assert bob.last_topic == "coffee about his startup"


def test_reconnect_not_yet_due_ranks_after_overdue(vault):
    root = vault({
        "People/Soon.md": "---\ncadence: 1w\n---\n- 2026-11-20 call\n",  # due in 4 days
        "People/Late.md": "---\ncadence: 1y\n---\n- 2025-11-20 call\n",  # 3 days late
    })  # fmt: skip
    d, _ = digest_for(root)
    assert [r.contact for r in d.reconnects] == ["Late", "Soon"]
    assert d.reconnects[1].when == "in 4 days" and d.reconnects[1].score < 0


def test_is_empty_matches_crm_due(vault):
    root = vault({"People/Quiet.md": "---\ncadence: 1m\n---\n- 2026-11-20 call #got\n"})
    d, index = digest_for(root)
    assert d.is_empty and due(index, TODAY, 14) == []
    assert d.give_first  # give-first and activity alone do not make a digest worth mailing
    assert "nothing due" in d.subject()
    d2, index2 = digest_for(root, days=30)
    assert not d2.is_empty and due(index2, TODAY, 30)


def test_subject_counts(vault):
    d, _ = digest_for(vault(NOTES))
    assert d.subject() == (
        "CRM digest 2026-11-23: 1 follow-up (1 overdue), 1 birthday, 1 date, 4 to reconnect with"
    )


def test_readable_strips_link_syntax_and_give_tags():
    assert readable("met [[People/Anna Rossi|Anna]] and [[Bo#Work]] #gave  ok") == (
        "met Anna and Bo ok"
    )
    assert readable("tagged #gavel stays") == "tagged #gavel stays"


def test_a_daily_note_titled_by_its_date_gives_the_sentence_that_names_the_person(vault):
    root = vault({
        "People/Lo.md": "---\ncadence: 1w\n---\n",
        "Daily/2026-11-10.md": "# Tuesday\n\nFive-a-side with [[Lo]].\n",
    })  # fmt: skip
    d, _ = digest_for(root)
    assert d.reconnects[0].last_topic == "Five-a-side with Lo."
    assert d.reconnects[0].cadence_text == "every 1w"
    assert [a.text for a in d.activity] == ["Five-a-side with Lo."]


def test_a_dated_note_that_says_nothing_has_no_topic_and_no_path(vault):
    root = vault({
        "People/Lo.md": "---\ncadence: 1w\n---\n",
        "Daily/2026-11-10.md": "---\npeople: ['[[Lo]]']\n---\n# Tuesday 10 November\n",
    })  # fmt: skip
    d, _ = digest_for(root)
    assert d.reconnects[0].last_contact == date(2026, 11, 10)
    assert d.reconnects[0].last_topic is None
    assert [a.text for a in d.activity] == [""]
    for fmt in ("txt", "md", "html"):
        text = render_digest(d, fmt)
        assert "Daily/2026-11-10" not in text and "noted in" not in text


def test_context_is_plain_data(vault):
    d, _ = digest_for(vault(NOTES))
    ctx = d.context()

    def walk(value):
        if isinstance(value, dict):
            for k, v in value.items():
                assert isinstance(k, str)
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        else:
            assert value is None or isinstance(value, str | int | float | bool), value

    walk(ctx)
    assert ctx["followups"][0]["date"] == "2026-11-20"
    assert ctx["today"] == "2026-11-23"


@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_every_format_has_every_section(vault, fmt):
    d, _ = digest_for(vault(NOTES))
    out = render_digest(d, fmt)
    for heading in ("follow-ups", "birthdays and dates", "reconnect", "give first",
                    "recent activity", "vault problems"):  # fmt: skip
        assert heading in out.lower(), heading
    for text in ("ask how the move went", "turns 40", "wedding anniversary (10 years)",
                 "talked about her move to Lisbon", "sent me a book", "crm check"):  # fmt: skip
        assert text in out, text
    # Reconnect order survives rendering.
    assert out.index("Ann Lee") < out.index("Bob Stone") < out.index("Carol Diaz")


def test_html_escapes_names_and_note_text(vault):
    d, _ = digest_for(vault(NOTES))
    html = render_digest(d, "html")
    assert "<script>" not in html and "<img" not in html and "<b>hi" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&amp;" in html


def test_html_is_self_contained(vault):
    d, _ = digest_for(vault(NOTES))
    html = render_digest(d, "html")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert 'name="viewport"' in html and "prefers-color-scheme: dark" in html
    assert "<table" not in html


def test_markdown_cannot_inject_html(vault):
    d, _ = digest_for(vault(NOTES))
    md = render_digest(d, "md")
    assert not re.search(r"(?<!\\)<", md)
    assert r"\<script\>" in md


def test_obsidian_links(vault):
    root = vault({**NOTES, "crm.toml": 'links = "obsidian"\nvault_name = "My Notes"\n'})
    d, _ = digest_for(root)
    html = render_digest(d, "html")
    assert 'href="obsidian://open?vault=My%20Notes&amp;file=People%2FAnn%20Lee"' in html


def test_vault_override_and_configured_dir(vault, crm):
    root = vault({
        **NOTES,
        ".crm/templates/digest.txt.j2": "from .crm: {{ followups|length }} {{ summary }}\n",
        ".crm/templates/digest.md.j2": "md from .crm\n",
    })  # fmt: skip
    out = crm(root, "digest", "--format", "txt")
    assert out.exit_code == 0
    assert out.stdout.startswith("from .crm: 1 1 follow-up (1 overdue)")
    # templates_dir in crm.toml wins over .crm/templates; other formats stay built in.
    (root / "tpl").mkdir()
    (root / "tpl" / "digest.txt.j2").write_text("from tpl {{ today }}\n", encoding="utf-8")
    (root / "crm.toml").write_text('templates_dir = "tpl"\n', encoding="utf-8")
    assert crm(root, "digest", "--format", "txt").stdout == "from tpl 2026-11-23\n"
    assert crm(root, "digest", "--format", "md").stdout == "md from .crm\n"
    assert "<!DOCTYPE html>" in crm(root, "digest", "--format", "html").stdout


def test_broken_override_is_one_line_naming_the_file(vault, crm):
    root = vault({**NOTES, ".crm/templates/digest.md.j2": "line one\n{% if %}\n"})
    out = crm(root, "digest")
    assert out.exit_code == 1
    assert out.stdout == ""
    err = out.stderr.strip().splitlines()[-1]
    assert err.startswith("crm: error: ") and "digest.md.j2:2" in err


def test_override_with_unknown_variable_is_an_error(vault, crm):
    root = vault({**NOTES, ".crm/templates/digest.md.j2": "{{ no_such_thing }}\n"})
    out = crm(root, "digest")
    assert out.exit_code == 1 and "no_such_thing" in out.stderr
    assert "digest.md.j2" in out.stderr


def test_unknown_format():
    with pytest.raises(CrmError):
        render_digest(None, "pdf")  # type: ignore[arg-type]


def test_cli_formats_and_output_file(vault, crm, tmp_path):
    root = vault(NOTES)
    md = crm(root, "digest")
    assert md.exit_code == 0 and md.stdout.startswith("# CRM digest 2026-11-23")
    assert md.stderr.strip() == "crm: 1 note has problems; run `crm check`"
    html = crm(root, "digest", "--format", "html")
    assert html.stdout.startswith("<!DOCTYPE html>") and html.stdout.rstrip().endswith("</html>")
    txt = crm(root, "digest", "--format", "txt", "--days", "3")
    assert "turns 40" not in txt.stdout and "ask how the move went" in txt.stdout
    target = tmp_path / "out" / "digest.html"
    target.parent.mkdir()
    out = crm(root, "digest", "--format", "html", "-o", str(target))
    assert out.exit_code == 0 and out.stdout == ""
    assert target.read_text(encoding="utf-8") == html.stdout
    assert [p.name for p in target.parent.iterdir()] == ["digest.html"]  # no temp file left
    assert crm(root, "digest", "--format", "pdf").exit_code == 2


def test_output_to_missing_folder_is_one_line(vault, crm, tmp_path):
    out = crm(vault(NOTES), "digest", "-o", str(tmp_path / "nope" / "d.md"))
    assert out.exit_code == 1 and out.stderr.count("\n") <= 2
    assert "crm: error: cannot write" in out.stderr


def test_quiet_if_empty(vault, crm):
    root = vault({
        "People/Quiet.md": "---\ncadence: 1m\n---\n- 2026-11-20 call\n",
        "People/Broken.md": "---\nbirthday: 1990-02-30\n---\n",
    })  # fmt: skip
    out = crm(root, "digest", "--quiet-if-empty", "--mail-to", "me@example.org")
    assert out.exit_code == 0 and out.stdout == "" and out.stderr == ""
    # Without the flag an empty digest still prints, saying nothing is due.
    loud = crm(root, "digest", "--format", "txt")
    assert "Nothing due" in loud.stdout and "run `crm check`" in loud.stderr
    # Something due: printed as usual.
    busy = crm(root, "digest", "--quiet-if-empty", "--days", "40")
    assert busy.exit_code == 0 and "Quiet" in busy.stdout


def test_mail_to_must_be_one_address(vault, crm):
    root = vault(NOTES)
    for bad in ("nobody", "a@b.org, c@d.org", "me@example.org\nBcc: x@y.org"):
        out = crm(root, "digest", "--mail-to", bad)
        assert out.exit_code == 2, bad
        assert out.stderr.startswith("crm: error: --mail-to")


def test_digest_is_lazy_and_does_not_slow_startup():
    from plaintextcrm.cli import LAZY_COMMANDS

    assert LAZY_COMMANDS["digest"] == "plaintextcrm.commands.digest:digest"


@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_example_vault_renders(crm, fmt):
    example = REPO / "example-vault"
    if not example.is_dir():
        pytest.skip("example-vault not merged yet")
    out = crm(example, "digest", "--format", fmt)
    assert out.exit_code == 0, out.stderr
    assert "CRM digest 2026-11-23" in out.stdout
    assert "Nothing due" not in out.stdout


def test_every_template_variable_is_documented(vault):
    doc = (REPO / "docs" / "digest.md").read_text(encoding="utf-8")
    d, _ = digest_for(vault(NOTES))
    ctx = d.context()
    for key in ctx:
        assert f"| `{key}` |" in doc, key
    for section in ("followups", "occasions", "reconnects", "give_first", "activity",
                    "strip", "months", "circles"):  # fmt: skip
        for key in ctx[section][0]:
            if key not in ("contact", "note", "url"):
                assert f"`{key}`" in doc, f"{section}.{key}"
    for key in ctx["followups"][0]["reach"]:
        assert f"`{key}`" in doc, f"reach.{key}"
    long = digest_for(vault({**NOTES, "crm.toml": ""}))[0].context()["long_overdue"]
    for key in long[0]:
        assert f"`{key}`" in doc, f"long_overdue.{key}"
    for key in ctx["charts"]:
        assert f'"{key}": "<svg' in doc, f"charts.{key}"


def test_the_documented_example_template_works(vault, crm):
    doc = (REPO / "docs" / "digest.md").read_text(encoding="utf-8")
    example = re.search(r"```jinja\n(.*?)```", doc, re.S)[1]
    root = vault({**NOTES, ".crm/templates/digest.txt.j2": example})
    out = crm(root, "digest", "--format", "txt")
    assert out.exit_code == 0, out.stderr
    assert out.stdout.splitlines()[:3] == [
        "1 follow-up (1 overdue), 1 birthday, 1 date, 4 to reconnect with",
        "- Ann Lee: ask how the move went (3 days overdue)",
        "- call <script>alert('x')</script>, ask about: said <b>hi</b> & <img src=x onerror=alert(1)>",
    ]


def test_long_lists_are_capped_but_counted(vault, crm):
    notes = {
        f"People/P{n:02d}.md": f"---\ncadence: 1w\nbirthday: --11-{24 + n % 5}\n---\n"
        f"- 2026-10-{n % 28 + 1:02d} call\n- [ ] 2026-11-{n % 20 + 1:02d} task {n}\n"
        for n in range(40)
    }
    d, _ = digest_for(vault({**notes, "crm.toml": NOTES["crm.toml"]}))
    assert len(d.followups) == 25 and d.more()["followups"] == 15
    assert len(d.occasions) == 25 and d.more()["occasions"] == 15
    assert len(d.reconnects) == 10 and d.more()["reconnects"] == 30
    assert (
        d.subject()
        == "CRM digest 2026-11-23: 40 follow-ups (40 overdue), 40 birthdays, 40 to reconnect with"
    )
    # The ones shown are the first in order: the oldest follow-ups, the nearest birthdays.
    assert [f.date for f in d.followups] == sorted(f.date for f in d.followups)
    assert max(f.date for f in d.followups) <= date(2026, 11, 13)
    for fmt, line in (("txt", "... and 15 more: crm due --kind followup"),
                      ("md", "- …and 15 more: `crm due --kind followup`"),
                      ("html", "…and 15 more: <code>crm due --kind followup</code>")):  # fmt: skip
        assert line in render_digest(d, fmt), fmt


def test_digest_window_defaults_to_config_days(vault, crm):
    from datetime import timedelta

    from conftest import TODAY

    soon = (TODAY + timedelta(days=20)).strftime("%m-%d")
    files = {"People/Ada.md": f"---\nbirthday: --{soon}\n---\n"}
    narrow = vault({**files, "crm.toml": ""})
    assert "Ada" not in crm(narrow, "digest", "--format", "txt").output
    (narrow / "crm.toml").write_text("[digest]\ndays = 30\n")
    assert "Ada" in crm(narrow, "digest", "--format", "txt").output
    assert "Ada" not in crm(narrow, "digest", "--format", "txt", "--days", "7").output


def test_config_digest_days_must_be_a_number(vault, crm):
    root = vault({"crm.toml": '[digest]\ndays = "often"\n'})
    result = crm(root, "digest")
    assert result.exit_code == 1 and "digest.days" in result.output


def test_html_shows_bidi_and_control_characters_instead_of_obeying_them(vault, crm):
    """A browser obeys U+202E (right-to-left override): `Eve \\u202egnp.exe` would read
    `Eve exe.png`. The HTML digest shows such characters as escapes, as the terminal does."""
    root = vault({"People/Eve.md": "---\nname: Eve \u202egnp.exe\nbirthday: 1990-11-25\n---\n"})
    html = crm(root, "digest", "--format", "html").stdout
    assert "\u202e" not in html
    assert "Eve \\u202egnp.exe" in html
