"""Links across notes: interactions from daily notes, aliases, accents, duplicates."""

import unicodedata
from datetime import date

from plaintextcrm.load import load_index
from tests.conftest import TODAY


def contact(index, name):
    return next(c for c in index.contacts if c.name == name)


def test_interactions_from_everywhere(vault):
    root = vault(
        {
            "People/Anna Rossi.md": "---\naliases: [Annie]\n---\n- 2026-10-01 coffee #gave\n",
            "People/Nicolò Bianchi.md": "---\nname: Nicolò Bianchi\n---\n",
            "Daily/2026-10-14.md": "Lunch with [[Annie|Anna]] and [[Nicolò Bianchi#Work]].\n",
            "Meetings/review.md": "---\ndate: 2026-09-03\n---\n[[People/Anna Rossi]]\n",
            "Projects/x.md": "- 2026-08-01 intro [[Anna Rossi]] to [[nicolò bianchi]] #got\n"
            "- 2026-12-24 plan: dinner with [[Anna Rossi]]\n",
            "Daily/2026-10-15.md": "- 2026-10-15 call with [[Anna Rossi]]\n",
        }
    )
    index = load_index(root, TODAY)
    anna = contact(index, "Anna Rossi")
    got = [(i.date.isoformat(), i.text, i.path) for i in anna.interactions]
    assert got == [
        ("2026-08-01", "intro [[Anna Rossi]] to [[nicolò bianchi]] #got", "Projects/x.md"),
        ("2026-09-03", "review", "Meetings/review.md"),
        ("2026-10-01", "coffee #gave", "People/Anna Rossi.md"),
        ("2026-10-14", "Lunch with Anna and Nicolò Bianchi.", "Daily/2026-10-14.md"),
        ("2026-10-15", "call with [[Anna Rossi]]", "Daily/2026-10-15.md"),
        ("2026-12-24", "plan: dinner with [[Anna Rossi]]", "Projects/x.md"),
    ]
    # a plan after today is not a contact
    assert anna.last_contact_on(TODAY) == date(2026, 10, 15)
    assert (anna.gave, anna.got) == (1, 1)
    nicolo = contact(index, "Nicolò Bianchi")
    assert [i.date.isoformat() for i in nicolo.interactions] == ["2026-08-01", "2026-10-14"]
    assert not index.problems


def test_nfd_file_names_and_links(vault):
    nfd = unicodedata.normalize("NFD", "Zoë Müller")
    root = vault(
        {
            f"People/{nfd}.md": "",
            "Daily/2026-10-01.md": "[[Zoë Müller]]\n",  # NFC link to an NFD file name
            "Daily/2026-10-02.md": f"[[{nfd}]]\n",
        }
    )
    zoe = load_index(root, TODAY).contacts[0]
    assert zoe.name == "Zoë Müller"
    assert [i.date.day for i in zoe.interactions] == [1, 2]


def test_tasks_in_other_notes_follow_the_link(vault):
    root = vault(
        {
            "People/Anna.md": "- [ ] 2026-12-01 send the book\n",
            "Meetings/2026-11-02 sync.md": "- [ ] 2026-11-30 ask [[Anna]] for the slides\n",
        }
    )
    anna = load_index(root, TODAY).contacts[0]
    assert [(t.path, t.text) for t in anna.tasks] == [
        ("Meetings/2026-11-02 sync.md", "ask [[Anna]] for the slides"),
        ("People/Anna.md", "send the book"),
    ]


def test_duplicate_names_are_errors_and_links_do_not_guess(vault):
    root = vault(
        {
            "People/Anna Rossi.md": "",
            "People/Anna B.md": "---\naliases: [Anna Rossi]\n---\n",
            "Daily/2026-10-01.md": "- 2026-10-01 met [[Anna]]\n",
        }
    )
    index = load_index(root, TODAY)
    errors = sorted((p.path, p.message) for p in index.problems)
    assert errors == [
        ("People/Anna B.md", "name or alias `Anna Rossi` is also used by People/Anna Rossi.md"),
        ("People/Anna Rossi.md", "name or alias `Anna Rossi` is also used by People/Anna B.md"),
    ]


def test_circle_and_default_cadence(vault):
    root = vault(
        {
            "crm.toml": '[contacts]\ndefault_cadence = "6m"\n[circles]\ninner = "1w"\n',
            "People/A.md": "---\ncircle: inner\n---\n",
            "People/B.md": "",
            "People/C.md": "---\ncircle: inner\ncadence: never\n---\n",
            "People/D.md": "---\ncircle: nope\n---\n",
        }
    )
    cadences = {c.name: c.cadence and c.cadence.raw for c in load_index(root, TODAY).contacts}
    assert cadences == {"A": "1w", "B": "6m", "C": None, "D": "6m"}


def test_walk_skips_hidden_ignored_temp_and_outside_links(vault, tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text("---\ntype: person\n---\n")
    root = vault(
        {
            "People/A.md": "",
            ".obsidian/x.md": "",
            ".trash/People/B.md": "",
            "templates/person.md": "---\ntype: person\n---\n",
            "People/.#A.md": "",
            "People/A.md~": "",
            "People/.A.md.swp": "",
            "People/.syncthing.A.md.tmp": "",
            "People/.A.md.icloud": "",
        }
    )
    (root / "People" / "Outside.md").symlink_to(outside)
    (root / "People" / "loop").symlink_to(root / "People")
    (root / "People" / "Alias.md").symlink_to(root / "People" / "A.md")
    index = load_index(root, TODAY)
    assert [c.path for c in index.contacts] == ["People/A.md", "People/Alias.md"]
    warnings = {(p.path, p.message) for p in index.problems}
    assert ("People/Outside.md", "symlink leaves the vault; skipped") in warnings
    assert ("People/loop", "symlink loop; skipped") in warnings


def test_a_dated_note_is_one_interaction_per_person_in_the_words_that_name_them(vault):
    root = vault(
        {
            "People/Anna Rossi.md": "---\naliases: [Annie]\n---\n",
            "People/Bo.md": "",
            "Daily/2026-10-14.md": (
                "---\npeople: ['[[Bo]]']\n---\nCoffee with [[Annie]] in the morning.\n"
                "Later [[Anna Rossi]] called back.\n- 2026-10-14 lunch with [[Bo]]\n"
                "- [ ] 2026-10-20 send [[Cy]] the notes\n"
            ),
            "Daily/2026-10-15.md": "A quiet day.\n",  # the folder `Daily` names no one
        }
    )
    index = load_index(root, TODAY)
    anna, bo = contact(index, "Anna Rossi"), contact(index, "Bo")
    assert [(i.text, i.line) for i in anna.interactions] == [
        ("Coffee with Annie in the morning.", None)
    ]
    assert [(i.text, i.line) for i in bo.interactions] == [("lunch with [[Bo]]", 6)]
