"""`crm init` in a folder that already has notes: detect, record, summarise."""

import json
import tomllib

from tests.conftest import write_vault

VCF_NOTE = """---
N.FN: {family}
N.GN: {given}
"EMAIL[HOME]": {given}@example.org
"TEL[CELL]": "+39 340 000 0000"
BDAY: 1991-01-0{day}
VERSION: "4.0"
---
#### Notes
"""


def test_init_reports_contacts_birthdays_templates_and_dated_notes(tmp_path, crm):
    root = write_vault(
        tmp_path / "vault",
        {
            **{
                f"Contacts/{g} {f}.md": VCF_NOTE.format(given=g, family=f, day=i + 1)
                for i, (g, f) in enumerate(
                    [("Anya", "Volkova"), ("Bao", "Nguyen"), ("Ethan", "Hunt")]
                )
            },
            "Contacts/Snip & Sip AB.md": "---\nKIND: org\nFN: Snip & Sip AB\n---\n",
            "CRM/Kim Lee.md": "---\ntype: crm-contact\nBirthday: 1980-05-05\nPhone Number: '1'\n---\n",
            ".obsidian/templates.json": json.dumps({"folder": "Setup/Blueprints"}),
            "Setup/Blueprints/Contact.md": "---\ntype: person\n---\n",
            "Templates/Person.md": "---\ntype: person\n---\n",
            "Daily/2026-11-20.md": "Called [[Bao Nguyen]].\n",
            "Daily/2026-11-21.md": "",
        },
    )
    result = crm(None, "init", str(root))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"Vault ready in {root} (created crm.toml, .crm/)",
        "4 contacts in Contacts/ and CRM/, vCard keys; 4 birthdays;"
        " templates in Setup/Blueprints/, Templates/ skipped; dated notes in Daily/",
    ]
    assert not (root / "People").exists()  # an existing vault gets no empty People/
    text = (root / "crm.toml").read_text()
    assert "#   7 notes, 4 contacts in Contacts/ (3), CRM/ (1)" in text
    assert "#   contacts by their type: crm-contact (1)" in text
    assert "BDAY → birthday (3)" in text and "N.GN → name (3)" in text
    assert "#   templates, never read as notes: Setup/Blueprints/, Templates/" in text
    assert "#   dated notes (daily notes, meetings): Daily/ (2)" in text
    config = tomllib.loads(text)  # still valid TOML, and it reads without a warning
    assert config["contacts"]["folders"] == ["People", "Contacts", "Persons"]
    check = crm(root, "check")
    assert (check.exit_code, check.stdout) == (0, "")
    again = crm(None, "init", str(root))
    assert again.stdout.splitlines()[-1] == result.stdout.splitlines()[-1]
    assert "already exists; kept as it is" in again.stdout


def test_init_in_a_vault_without_people_says_what_would_make_one(tmp_path, crm):
    root = write_vault(tmp_path / "vault", {"Notes/a.md": "hello\n", "Notes/b.md": ""})
    result = crm(None, "init", str(root))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "no contacts among 2 notes"
    assert "no contacts among 2 notes: put people in People/" in result.stderr
    assert "# No note was read as a contact." in (root / "crm.toml").read_text()


def test_init_in_an_empty_folder_is_unchanged(tmp_path, crm):
    root = tmp_path / "new"
    result = crm(None, "init", str(root))
    assert result.stdout == f"Vault ready in {root} (created crm.toml, People/, .crm/)\n"
    assert (root / "crm.toml").read_text().startswith("# plaintextcrm configuration. Every key")


def test_init_does_not_call_plain_lowercase_keys_vcard(tmp_path, crm):
    """kepano's template writes `org:` and `created:`; no contact-sync plugin was there."""
    root = write_vault(
        tmp_path / "vault",
        {
            "References/Steph Ango.md": '---\ncategories:\n  - "[[People]]"\norg:\n  - "[[Obsidian]]"\n---\n',
            "Daily/2026-11-20.md": "Called [[Steph Ango]].\n",
        },
    )
    result = crm(None, "init", str(root))
    assert result.stdout.splitlines()[-1] == (
        "1 contact in References/, keys like `org`; 0 birthdays; dated notes in Daily/"
    )
    assert "vCard" not in (root / "crm.toml").read_text()
