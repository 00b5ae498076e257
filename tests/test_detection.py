"""Which notes are contacts, which are not, and templates that are never notes."""

import json

import pytest

from plaintextcrm.config import load_config, parse_config
from plaintextcrm.load import load_index
from plaintextcrm.parse import parse_note
from tests.conftest import TODAY

CONFIG = parse_config({})


def parse(text: str, path: str, config=CONFIG):
    return parse_note(path, text.encode("utf-8"), config)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("People/x.md", ""),
        ("people/x.md", ""),
        ("Notes/CRM/Contacts/x.md", ""),
        ("Persons/x.md", ""),
        ("x.md", "---\ntype: person\n---\n"),
        ("x.md", "---\nType: Contact\n---\n"),
        ("x.md", "---\ncategory: individual\n---\n"),
        ("x.md", "---\ntype: crm-contact\n---\n"),
        ("x.md", "---\ntype: crm/person\n---\n"),
        ("x.md", "---\ntype: prm:person\n---\n"),
        ("x.md", "---\nkind: people\n---\n"),
        ("x.md", "---\nfileClass: Person\n---\n"),
        ("x.md", "---\nclass: contacts\n---\n"),
        ("x.md", '---\ncategories:\n  - "[[People]]"\n---\n'),
        ("x.md", "---\ntags: [people/friends]\n---\n"),
        ("x.md", "---\ntags: '#Contact'\n---\n"),
        ("x.md", "tags:: #person, friends\n"),
        ("x.md", "type:: [[person]]\n"),
        ("x.md", "Met at the conference. #person\n"),
        ("x.md", "# Bob\n\n#people/work #design\n"),
        ("Contacts/x.md", "---\nKIND: individual\n---\n"),
        ("Contacts/x.md", "---\nCATEGORIES: Art, Robotics\n---\n"),
    ],
)
def test_contacts(path, text):
    assert parse(text, path).is_contact


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("x.md", ""),
        ("x.md", "---\ntags: [peoplewatching]\n---\n"),
        ("People/Acme.md", "---\ntype: company\n---\n"),
        ("People/Acme.md", "---\ncategories: ['[[Companies]]']\n---\n"),
        ("Contacts/Snip.md", "---\nKIND: org\nFN: Snip & Sip\n---\n"),
        ("x.md", "---\ntype: meeting\ntags: [person]\n---\n"),
        ("People/2026-10-14.md", ""),
        ("People/2026-10-14 call with Anna.md", "---\ntype: person\n---\n"),
        ("x.md", "Code: `#person` and\n```\n#person\n```\n"),
        ("x.md", "Issue #personal and #people-watching and a#person\n"),
        ("x.md", "- tags:: person\n"),
        ("x.md", "```\ntype:: person\n```\n"),
    ],
)
def test_not_contacts(path, text):
    assert not parse(text, path).is_contact


def test_config_adds_folders_and_type_words():
    config = parse_config({"contacts": {"folders": ["CRM/Leute"], "types": ["Friend"]}})
    assert parse("", "Vault/CRM/Leute/x.md", config).is_contact
    assert not parse("", "People/x.md", config).is_contact  # the list replaces the default
    assert parse("---\ntype: friend\n---\n", "x.md", config).is_contact
    assert not parse("---\ntype: friend\n---\n", "x.md").is_contact


@pytest.mark.parametrize(
    ("path", "text", "why"),
    [
        (
            "CRM/Contacts/Deal.md",
            "---\ntype: crm-deal\n---\n",
            "not a contact: in contact folder `CRM/Contacts` but `type: crm-deal`",
        ),
        (
            "Contacts/2026-01-01 call.md",
            "",
            "not a contact: in contact folder `Contacts` but its file name starts with a date"
            " (a dated note)",
        ),
        (
            "Notes/Bob.md",
            "---\nbirthday: 1990-01-01\nemail: b@example.org\n---\n",
            "not a contact: has `birthday`, `email` but is in no contact folder (People/,"
            " Contacts/, Persons/) and has no `type: person` or `#person` tag",
        ),
    ],
)
def test_near_misses_say_why(path, text, why):
    note = parse(text, path)
    assert not note.is_contact and note.near_miss == why


def test_unremarkable_notes_are_no_near_miss():
    assert parse("---\ntype: meeting\n---\n", "Meetings/x.md").near_miss is None
    assert parse("Lunch with [[Anna]]\n", "Daily/2026-10-14.md").near_miss is None


@pytest.mark.parametrize(
    "text",
    [
        "---\ndate: {{date}}\nname: '{{title}}'\n---\n",
        "---\ncreated: <% tp.date.now('YYYY-MM-DD') %>\n---\n",
        "---\ntype: person\nbirthday: '{{date:YYYY-MM-DD}}'\n---\n",
        "---\ntype: person\ncompany: '{{VALUE:company}}'\n---\n",
    ],
)
def test_notes_with_unrendered_placeholders_are_templates(text):
    note = parse(text, "People/Person template.md")
    assert not note.is_contact and not note.problems and not note.near_miss


def test_template_names_and_prose_braces():
    assert not parse("", "People/{{title}}.md").is_contact
    hostile = parse("---\nname: 'Eve {{ 7*7 }}'\n---\n", "People/Eve.md")
    assert hostile.is_contact and hostile.fields.name == "Eve {{ 7*7 }}"


def test_template_folders_are_never_read(vault):
    root = vault(
        {
            "People/Anna.md": "---\nbirthday: 1990-03-14\n---\n",
            "People/Templates/Person.md": "---\nbirthday: 1990-01-01\n---\n",
            "_templates/person.md": "---\ntype: person\n---\n",
            "Meta/TEMPLATES/contact.md": "---\ntype: person\n---\n",
            "Setup/Blueprints/Person.md": "---\ntype: person\n---\n",
            "Setup/Stencils/Contact.md": "---\ntype: person\n---\n",
            ".obsidian/templates.json": json.dumps({"folder": "Setup/Blueprints"}),
            ".obsidian/plugins/templater-obsidian/data.json": json.dumps(
                {"templates_folder": "./Setup/Stencils/"}
            ),
        }
    )
    config = load_config(root)
    assert config.template_folders == ("Setup/Blueprints", "Setup/Stencils")
    index = load_index(root, TODAY, config)
    assert [c.path for c in index.contacts] == ["People/Anna.md"]
    assert index.notes == 1


def test_broken_obsidian_settings_are_no_setting(vault):
    root = vault(
        {
            ".obsidian/templates.json": "{not json",
            ".obsidian/plugins/templater-obsidian/data.json": json.dumps(["x"]),
        }
    )
    assert load_config(root).template_folders == ()
    escape = vault({".obsidian/templates.json": json.dumps({"folder": "../elsewhere"})})
    assert load_config(escape).template_folders == ()


def test_default_ignore_is_none_and_config_still_ignores(vault):
    assert parse_config({}).ignore == ()
    root = vault(
        {"crm.toml": 'ignore = ["Archive/**"]\n', "Archive/People/x.md": "", "People/y.md": ""}
    )
    assert [c.path for c in load_index(root, TODAY).contacts] == ["People/y.md"]
