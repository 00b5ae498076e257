"""Keys and fields as other tools write them: normalised keys, synonyms, `[fields]`,
page-level inline fields, vCard keys, `follow_up` and `created`."""

from datetime import date

import pytest

from plaintextcrm.config import parse_config
from plaintextcrm.fields import normalise, suggest
from plaintextcrm.parse import page_fields, parse_note

CONFIG = parse_config({})


def parse(text: str, path: str = "People/Anna Rossi.md", config=CONFIG):
    return parse_note(path, text.encode("utf-8"), config)


def messages(note) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.level, p.message) for p in note.problems]


@pytest.mark.parametrize(
    ("key", "normal"),
    [
        ("Birthday", "birthday"),
        ("Phone Number", "phone_number"),
        ("last-contacted", "last_contacted"),
        ("Last  Contact", "last_contact"),
        ("EMAIL[HOME]", "email"),
        ("ADR[HOME].LOCALITY", "adr.locality"),
        ("N.GN", "n.gn"),
        ("fileClass", "fileclass"),
        ("**Born**", "born"),
    ],
)
def test_keys_are_normalised(key, normal):
    assert normalise(key) == normal


@pytest.mark.parametrize(
    ("front", "field", "expected"),
    [
        ("Birthday: 1990-03-14", "birthday_raw", "1990-03-14"),
        ("date of birth: 1990-03-14", "birthday_raw", "1990-03-14"),
        ("DOB: 1990-03-14", "birthday_raw", "1990-03-14"),
        ("prm_birthday: --03-14", "birthday_raw", "--03-14"),
        ("Phone Number: '0123'", "phones", ("0123",)),
        ("mobile: '+39 333'\ntel: '+39 02'", "phones", ("+39 333", "+39 02")),
        ("E-Mail: a@b.org", "emails", ("a@b.org",)),
        ("last contacted: 2026-10-01", "last_contact", date(2026, 10, 1)),
        ("Last Interaction: 2026-10-01", "last_contact", date(2026, 10, 1)),
        ("frequency: 2w", "cadence_raw", "2w"),
        ("tier: close", "circle", "close"),
        ("organization: '[[Acme]]'", "company", "Acme"),
        ("organizations: ['[[Acme]]', Beta]", "company", "Acme"),
        ("job title: CTO", "role", "CTO"),
        ("city: Turin", "location", "Turin"),
        ("website: https://a.example", "url", "https://a.example"),
        ("nickname: Annie", "aliases", ("Annie",)),
        ("Full Name: Anna Maria Rossi", "name", "Anna Maria Rossi"),
        ("date created: 2026-01-05T10:00", "created", date(2026, 1, 5)),
        ("created: 2026-01-05 10:32", "created", date(2026, 1, 5)),
        ("added: 2026-01-05", "created", date(2026, 1, 5)),
    ],
)
def test_synonyms_and_spellings(front, field, expected):
    note = parse(f"---\n{front}\n---\n")
    assert not note.problems
    assert getattr(note.fields, field) == expected


def test_title_that_repeats_the_name_is_not_a_role():
    assert parse("---\ntitle: Anna Rossi\n---\n").fields.role is None
    assert parse("---\ntitle: Designer\n---\n").fields.role == "Designer"
    # a page title next to a role is not a second, different role
    both = parse("---\ntitle: Anna at Acme\nrole: CTO\n---\n")
    assert both.fields.role == "CTO" and not both.problems


def test_anniversary_is_a_yearly_date():
    [anniversary] = parse("---\nanniversary: 2015-06-20\n---\n").fields.dates
    assert (anniversary.month, anniversary.day, anniversary.label) == (6, 20, "anniversary")


def test_config_fields_add_synonyms():
    config = parse_config({"fields": {"birthday": ["Geburtstag"], "email": ["courriel"]}})
    note = parse("---\ngeburtstag: 1990-03-14\nCourriel: a@b.org\n---\n", config=config)
    assert note.fields.birthday.year == 1990 and note.fields.emails == ("a@b.org",)
    assert not note.problems
    unknown = parse_config({"fields": {"birthdate_x": ["x"]}})
    assert [p.message for p in unknown.problems] == ["unknown config key `fields.birthdate_x`"]


def test_wrong_values_are_errors_under_any_synonym():
    assert messages(parse("---\nbday: 1990-02-30\n---\n")) == [
        (2, "error", "`bday`: invalid date '1990-02-30': no such day")
    ]
    assert messages(parse("---\nFrequency: often\n---\n"))[0][:2] == (2, "error")
    assert messages(parse("birthday:: 1990-02-30\n"))[0][:2] == (1, "error")


def test_case_only_repeats_are_silent_and_different_values_warn():
    same = parse("---\nBirthday: 1990-03-14\nbirthday: 1990-03-14\n---\n")
    assert not same.problems
    differ = parse("---\nbirthday: 1990-03-14\nbday: 1991-03-14\n---\n")
    assert differ.fields.birthday.year == 1990
    assert messages(differ) == [
        (
            3,
            "warning",
            "`bday` gives `birthday` a second, different value; `birthday` (line 2) is used",
        )
    ]
    # the field's own key wins over a synonym, whatever the order
    assert parse("---\nbday: 1991-03-14\nbirthday: 1990-03-14\n---\n").fields.birthday.year == 1990


INLINE = """---
name: Anna Rossi
birthday: 1990-03-14
---
Birthday:: 1991-01-01
Phone Number:: +39 333 1234567
company::[[Acme]]
**Met**:: PyCon 2019
tags:: person, friends
- email:: not-a-page-field@example.org
  Role:: indented, not a page field
> quote:: no
```
cadence:: 1d
```
Some longer prose that mentions std::vector in it.
"""


def test_inline_fields_and_front_matter_winning():
    note = parse(INLINE)
    f = note.fields
    assert f.phones == ("+39 333 1234567",) and f.company == "Acme" and f.met == "PyCon 2019"
    assert f.tags == ("person", "friends")
    assert f.emails == () and f.cadence is None and f.role is None
    assert f.birthday.year == 1990  # front matter wins
    assert messages(note) == [
        (
            5,
            "warning",
            "`Birthday` gives `birthday` a second, different value; `birthday` (line 3) is used",
        )
    ]


def test_page_fields_give_key_value_and_line():
    lines = INLINE.split("\n")
    found = [(f.key, f.value, f.line) for f in page_fields(lines, 4)]
    assert found == [
        ("birthday", "1991-01-01", 5),
        ("phone_number", "+39 333 1234567", 6),
        ("company", "[[Acme]]", 7),
        ("met", "PyCon 2019", 8),
        ("tags", "person, friends", 9),
    ]


def test_logseq_page_is_a_contact_from_its_properties():
    note = parse(
        "type:: [[person]]\nalias:: Annie, A. R.\nbirthday:: 1990-03-14\n\n- met at PyCon\n",
        "pages/Anna Rossi.md",
    )
    assert note.is_contact and note.fields.aliases == ("Annie", "A. R.")


VCF = """---
N.FN: Volkova
N.GN: Anya
PHOTO: https://example.org/avatar.jpg
"EMAIL[HOME]": anya@home.example
"EMAIL[WORK]": anya@work.example
"TEL[CELL]": "+74951234567"
BDAY: 1991-01-05
ANNIVERSARY: 2015-06-20
"URL[HOME]": https://anya.example
"URL[WORK]": https://work.example/anya
ORG: FrostTech
ROLE: Engineer
"ADR[HOME].STREET": 15 Ice Lane
"ADR[HOME].LOCALITY": Moscow
CATEGORIES: Art, Machine Learning
VERSION: "4.0"
UID: urn:uuid:0197
---
#### Notes
"""


def test_vcard_keys_of_contact_sync_plugins():
    note = parse(VCF, "Contacts/Anya Volkova.md")
    f = note.fields
    assert note.is_contact and not note.problems
    assert f.name == "Anya Volkova"
    assert f.emails == ("anya@home.example", "anya@work.example")
    assert f.phones == ("+74951234567",)
    assert (f.birthday.month, f.birthday.day, f.birthday.year) == (1, 5, 1991)
    assert [d.label for d in f.dates] == ["anniversary"]
    assert f.url == "https://anya.example" and f.company == "FrostTech" and f.role == "Engineer"
    assert f.location == "Moscow"
    assert f.tags == ("Art", "Machine-Learning")


def test_vcard_fn_wins_over_n_parts():
    note = parse("---\nFN: Dr. Anya Volkova\nN.GN: Anya\nN.FN: Volkova\n---\n", "Contacts/a.md")
    assert note.fields.name == "Dr. Anya Volkova"


@pytest.mark.parametrize(
    ("front", "due", "text"),
    [
        ("follow_up: 2026-12-01", date(2026, 12, 1), ""),
        ("follow_up: 2026-12-01 ask about the move", date(2026, 12, 1), "ask about the move"),
        (
            "Next Follow-up: 2026-12-01\nnext_action: send the deck",
            date(2026, 12, 1),
            "send the deck",
        ),
        ("remind_on: 2026-12-01T09:00\nnext step: call", date(2026, 12, 1), "call"),
    ],
)
def test_follow_up_field(front, due, text):
    note = parse(f"---\nname: A\n{front}\n---\n")
    f = note.fields
    assert not note.problems
    assert (f.follow_up, f.follow_up_text, f.follow_up_line) == (due, text, 3)


def test_follow_up_field_errors():
    assert messages(parse("---\nfollow_up: soon\n---\n")) == [
        (2, "error", "`follow_up`: invalid date 'soon': expected YYYY-MM-DD or 'YYYY-MM-DD text'")
    ]
    assert messages(parse("---\nfollowup: 2026-02-30 x\n---\n")) == [
        (2, "error", "`followup`: invalid date '2026-02-30': no such day")
    ]


@pytest.mark.parametrize(
    ("key", "guess"),
    [
        ("last_contated", "last_contacted"),
        ("Brithday", "birthday"),
        ("emial", "email"),
        ("phnoe_number", "phone_number"),
        ("cadance", "cadence"),
    ],
)
def test_near_misses_are_suggested(key, guess):
    assert suggest(normalise(key)) == guess


@pytest.mark.parametrize(
    "key",
    ["status", "rating", "related", "source", "project", "email2", "phone_2", "updated",
     "modified", "cssclasses", "publish", "summary", "author", "people", "topic", "up"],
)  # fmt: skip
def test_ordinary_keys_are_never_suggested(key):
    assert suggest(normalise(key)) is None


def test_check_is_silent_on_ordinary_keys():
    note = parse("---\nstatus: active\nrating: 5\nrelated: '[[Bob]]'\nmodified: 2026-01-01\n---\n")
    assert not note.problems
