"""Human-readable text from note text: link syntax becomes what a reader sees."""

from __future__ import annotations

import pytest

from plaintextcrm.render.text import cadence_phrase
from plaintextcrm.wikilinks import display_text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("send [[Matteo Ricci]] the deck", "send Matteo Ricci the deck"),
        ("send [[Aoife Ní Bhriain|Aoife]] the abstract", "send Aoife the abstract"),
        ("see [[Chiara Esposito#Log]]", "see Chiara Esposito"),
        ("call [[People/Marco De Luca]]", "call Marco De Luca"),
        ("read [[People/Anna.md|]] notes", "read Anna notes"),
        ("the [deck](Decks/Q3.md) for [[#Heading]]", "the deck for Heading"),
        ("no links at all", "no links at all"),
        ("a [single] bracket", "a [single] bracket"),
    ],
)
def test_display_text(raw, shown):
    assert display_text(raw) == shown


@pytest.mark.parametrize(
    ("raw", "phrase"),
    [("2w", "every 2w"), ("90", "every 90 days"), ("quarterly", "quarterly"),
     ("Biweekly", "Biweekly"), ("6 weeks", "every 6 weeks"), (None, "no cadence")],
)  # fmt: skip
def test_cadence_phrase(raw, phrase):
    assert cadence_phrase(raw) == phrase


def test_followup_title_and_due_line_show_link_text(vault, crm):
    root = vault(
        {
            "People/Matteo Ricci.md": "---\ncadence: never\n---\n",
            "Meetings/2026-09-18 Kickoff.md": "- [ ] 2026-10-01 send [[Matteo Ricci|Matteo]] the sheet\n",
        }
    )
    out = crm(root, "due", "--json")
    import json

    (item,) = json.loads(out.output)
    assert item["title"] == "Matteo Ricci: send Matteo the sheet"
    assert item["text"] == "send [[Matteo Ricci|Matteo]] the sheet"  # as written, for scripts
    assert "send Matteo the sheet (53 days overdue)" in crm(root, "due").output
