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


def test_show_gives_what_a_dated_note_says_not_its_file_name(vault, crm):
    root = vault(
        {
            "People/Anna.md": "- 2026-11-02 lunch with [[Bob|Bobby]]\n",
            "People/Bob.md": "",
            "Daily/2026-11-02.md": "Saw [[Anna]].\n",
            "Meetings/2026-09-18 Kickoff.md": "With [[Anna]].\n",
        }
    )
    lines = crm(root, "show", "Anna").output.splitlines()
    assert "  2026-11-02  lunch with Bobby  (People/Anna.md:1)" in lines
    assert "  2026-11-02  Saw Anna.  (Daily/2026-11-02.md)" in lines
    assert "  2026-09-18  Kickoff  (Meetings/2026-09-18 Kickoff.md)" in lines


@pytest.mark.parametrize(
    ("typed", "name"),
    [("soren", "Søren Lindqvist"), ("lukasz", "Łukasz Nowak"), ("ayse yilmaz", "Ayşe Yılmaz"),
     ("AYSE YILMAZ", "Ayşe Yılmaz"), ("aeron", "Æron Œdipe"), ("nicolo", "Nicolò Bianchi")],
)  # fmt: skip
def test_lookup_folds_letters_without_a_decomposition(vault, crm, typed, name):
    from plaintextcrm.index import fold

    assert fold(name).isascii()
    people = ["Søren Lindqvist", "Łukasz Nowak", "Ayşe Yılmaz", "Æron Œdipe", "Nicolò Bianchi"]
    root = vault({f"People/{p}.md": "" for p in people})
    result = crm(root, "show", typed)
    assert result.exit_code == 0 and result.output.startswith(name), result.output
