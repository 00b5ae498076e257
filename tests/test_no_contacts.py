"""Saying what it cannot read: a vault with notes but no contacts, and check's reasons."""

import json

import pytest

NO_PEOPLE = {
    "CRM/Contacts/Big deal.md": "---\ntype: crm-deal\n---\n",
    "CRM/Contacts/2026-03-01 call.md": "Call with the team.\n",
    "Notes/Bob.md": "---\nbirthday: 1990-01-01\nlast_contated: 2026-01-01\n---\n",
    "Notes/Ideas.md": "---\nstatus: draft\n---\nSome ideas.\n",
    "Daily/2026-11-20.md": "Lunch with [[Bob]].\n",
}

HINT = (
    "crm: no contacts among 5 notes: put people in People/, Contacts/, Persons/, or give them"
    " `type: person` or a #person tag; `crm check` shows the notes that came closest\n"
)


@pytest.mark.parametrize(
    "args",
    [("due",), ("due", "--json"), ("list",), ("stats",), ("ics",), ("digest",), ("search", "x")],
)
def test_reading_commands_say_it_in_one_line(vault, crm, args):
    root = vault(NO_PEOPLE)
    for _ in range(2):  # the second run answers from the output cache: same line
        result = crm(root, *args)
        assert result.exit_code == (1 if args[0] == "search" else 0), result.output
        assert result.stderr == HINT


def test_check_names_the_closest_notes_and_why(vault, crm):
    root = vault(NO_PEOPLE)
    result = crm(root, "check")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "CRM/Contacts/2026-03-01 call.md: warning: not a contact: in contact folder"
        " `CRM/Contacts` but its file name starts with a date (a dated note)",
        "CRM/Contacts/Big deal.md: warning: not a contact: in contact folder `CRM/Contacts`"
        " but `type: crm-deal`",
        "Notes/Bob.md: warning: not a contact: has `birthday` but is in no contact folder"
        " (People/, Contacts/, Persons/) and has no `type: person` or `#person` tag",
    ]
    assert result.stderr.endswith(HINT)  # after the summary: the last word
    as_json = json.loads(crm(root, "check", "--json").stdout)
    assert [p["path"] for p in as_json] == [
        "CRM/Contacts/2026-03-01 call.md",
        "CRM/Contacts/Big deal.md",
        "Notes/Bob.md",
    ]


def test_typos_of_field_names_are_named_in_contacts(vault, crm):
    root = vault(
        {
            "People/Bob.md": "---\nlast_contated: 2026-01-01\nstatus: active\nrating: 4\n---\n",
            "Notes/x.md": "---\ntpye: person\nlast_contated: 2026-01-01\n---\n",
        }
    )
    result = crm(root, "check")
    assert result.stdout.splitlines() == [
        "Notes/x.md:2: warning: unknown key `tpye`; did you mean `type`?",
        "People/Bob.md:2: warning: unknown key `last_contated`; did you mean `last_contacted`?",
    ]


def test_empty_vault_and_vault_with_contacts_say_nothing(vault, crm):
    empty = vault({})
    assert crm(empty, "due").stderr == ""
    root = vault({**NO_PEOPLE, "People/Anna.md": "---\nbirthday: 1990-03-14\n---\n"})
    result = crm(root, "check")
    assert (result.exit_code, result.stdout) == (0, "")
    assert crm(root, "due").stderr == ""
