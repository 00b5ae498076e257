"""Import never merges a different person (issue 15 item 5): an email or phone shared
with a contact of another name is a conflict — a separate note, said in one line — and
every merge line names both sides and the key it matched on."""

from __future__ import annotations

import json
from pathlib import Path

from plaintextcrm.importers.merge import names_agree

MARCO = "---\nphone: '+39 02 1234567'\nemail: casa@rossi.it\ncompany: Acme\n---\n"


def card(name: str, *lines: str) -> str:
    body = "\r\n".join(lines)
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\n{body}\r\nEND:VCARD\r\n"


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".crm" not in p.parts
    }


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "in.vcf"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_shared_landline_with_another_name_creates_a_separate_person(vault, crm, tmp_path):
    root = vault({"People/Marco Rossi.md": MARCO})
    marco = (root / "People/Marco Rossi.md").read_bytes()
    vcf = write(tmp_path, card("Anna Rossi", "TEL:+39 02 1234567", "BDAY:1990-05-01",
                               "EMAIL:anna@example.org", "ORG:Other"))  # fmt: skip
    dry = crm(root, "import", "vcard", vcf, "--dry-run")
    assert dry.exit_code == 0, dry.output
    line = (
        "conflict   Anna Rossi (import) shares phone +39 02 1234567 with Marco Rossi "
        "(People/Marco Rossi.md) but not a name: "
    )
    assert line + "would create People/Anna Rossi.md" in dry.stdout.splitlines()
    assert dry.stdout.splitlines()[-1] == (
        "1 new, 0 merged, 0 unchanged, 0 skipped, 1 conflict (dry run: nothing written)"
    )
    result = crm(root, "import", "vcard", vcf)
    assert result.exit_code == 0, result.output
    assert line + "created People/Anna Rossi.md" in result.stdout.splitlines()
    assert (root / "People/Marco Rossi.md").read_bytes() == marco  # nothing of Anna in it
    anna = (root / "People/Anna Rossi.md").read_text()
    assert "anna@example.org" in anna and "1990-05-01" in anna and "Other" in anna
    # Idempotent: the separate person is found again by name and phone; no third note.
    before = snapshot(root)
    again = crm(root, "import", "vcard", vcf, "-n")
    assert "unchanged  Anna Rossi in People/Anna Rossi.md (matched by email" in again.stdout
    assert again.stdout.splitlines()[-1].startswith("0 new, 0 merged, 1 unchanged, 0 skipped (")
    assert crm(root, "import", "vcard", vcf).exit_code == 0
    assert snapshot(root) == before


def test_a_shared_office_email_is_a_conflict_too(vault, crm, tmp_path):
    root = vault({"People/Marco Rossi.md": MARCO})
    vcf = write(tmp_path, card("Giulia Neri", "EMAIL:CASA@rossi.it"))
    result = crm(root, "import", "vcard", vcf)
    assert "Giulia Neri (import) shares email CASA@rossi.it with Marco Rossi" in result.stdout
    assert (root / "People/Giulia Neri.md").is_file()


def test_on_conflict_skip_skips_and_says_why(vault, crm, tmp_path):
    root = vault({"People/Marco Rossi.md": MARCO})
    before = snapshot(root)
    vcf = write(tmp_path, card("Anna Rossi", "TEL:+39 02 1234567"))
    result = crm(root, "import", "vcard", vcf, "--on-conflict", "skip")
    assert result.exit_code == 0, result.output
    assert (
        "conflict   Anna Rossi (import) shares phone +39 02 1234567 with Marco Rossi "
        "(People/Marco Rossi.md) but not a name: skipped (--on-conflict skip)"
    ) in result.stdout
    assert snapshot(root) == before


def test_merge_lines_name_both_sides_and_the_key(vault, crm, tmp_path):
    root = vault({
        "People/Marco Rossi.md": MARCO,
        "People/Anna.md": "---\nname: Anna Bianchi\nemail: anna@example.org\n---\n",
    })  # fmt: skip
    vcf = write(tmp_path, card("Anna Rossi", "EMAIL:anna@example.org", "TEL:+39 333 1234567")
                + card("M. Rossi", "TEL:+39 02 1234567", "TITLE:CEO"))  # fmt: skip
    result = crm(root, "import", "vcard", vcf)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        "merge      Anna Rossi into Anna Bianchi, People/Anna.md "
        "(matched by email anna@example.org): +phone +39 333 1234567"
    ) in lines
    assert (
        "merge      M. Rossi into Marco Rossi, People/Marco Rossi.md "
        "(matched by phone +39 02 1234567): +role CEO"
    ) in lines
    js = json.loads(crm(root, "import", "vcard", vcf, "--json", "-n").stdout)
    assert {"name": "Anna Rossi", "by": "email anna@example.org"} in js["unchanged"][0]["matched"]


def test_same_file_twice_with_a_household_number_makes_two_notes_once(vault, crm, tmp_path):
    root = vault({})
    vcf = write(tmp_path, card("Marco Rossi", "TEL:+39 02 1234567")
                + card("Anna Rossi", "TEL:+39 02 1234567"))  # fmt: skip
    first = crm(root, "import", "vcard", vcf)
    assert first.stdout.splitlines()[-1] == "2 new, 0 merged, 0 unchanged, 0 skipped, 1 conflict"
    before = snapshot(root)
    second = crm(root, "import", "vcard", vcf)
    assert second.stdout.splitlines()[-1] == "0 new, 0 merged, 2 unchanged, 0 skipped"
    assert snapshot(root) == before
    assert sorted(p.name for p in (root / "People").iterdir()) == [
        "Anna Rossi.md", "Marco Rossi.md",
    ]  # fmt: skip


def test_names_agree_rules():
    assert names_agree(["Nicolò Bianchi"], ["nicolo bianchi"])  # accents and case
    assert names_agree(["Anna"], ["Anna Rossi"])  # one name inside the other
    assert names_agree(["Rossi Anna"], ["Anna Rossi"])
    assert names_agree(["Anna Rossi"], ["Anna Bianchi"])  # the same given name
    assert names_agree(["A. Rossi"], ["Anna Rossi"])  # initial and surname
    assert names_agree(["Nico", "Nicolò Bianchi"], ["Nicolò Bianchi"])  # an alias
    assert not names_agree(["Anna Rossi"], ["Marco Rossi"])  # a household
    assert not names_agree(["Reception"], ["Marco Rossi"])
    assert not names_agree(["B. Rossi"], ["Anna Rossi"])
