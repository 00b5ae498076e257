"""Exports people import: vCard `N` as phones sort by it (particles, Irish and Italian
surnames), a `UID` that survives moving and renaming the note, and `crm export csv --raw`
for programs that never run a cell."""

from __future__ import annotations

import csv
import io

import pytest
import vobject

from plaintextcrm.render.export import name_parts


def cards(crm, root) -> dict[str, vobject.base.Component]:
    result = crm(root, "export", "vcard")
    assert result.exit_code == 0, result.output
    return {c.fn.value: c for c in vobject.readComponents(result.stdout)}


@pytest.mark.parametrize(
    ("name", "family", "given", "extra"),
    [
        ("Marco De Luca", "De Luca", "Marco", {}),
        ("Gianni Di Stefano", "Di Stefano", "Gianni", {}),
        ("Ludwig van Beethoven", "van Beethoven", "Ludwig", {}),
        ("Ursula von der Leyen", "von der Leyen", "Ursula", {}),
        ("Maria de la Cruz", "de la Cruz", "Maria", {}),
        ("Aoife Ní Bhriain", "Ní Bhriain", "Aoife", {}),
        ("Niamh Mac Giolla Phádraig", "Mac Giolla Phádraig", "Niamh", {}),
        ("Pádraig Ó Sé", "Ó Sé", "Pádraig", {}),
        ("Seán O'Brien", "O'Brien", "Seán", {}),
        ("Donal MacCarthy", "MacCarthy", "Donal", {}),
        ("Jean-Luc Picard", "Picard", "Jean-Luc", {}),
        ("Dr. Anna Rossi", "Rossi", "Anna", {"prefix": "Dr."}),
        ("John Smith Jr.", "Smith", "John", {"suffix": "Jr."}),
        ("Rossi, Anna", "Rossi", "Anna", {}),
        ("Anna Maria Rossi", "Rossi", "Anna", {"additional": "Maria"}),
        ("Priya", "", "Priya", {}),
    ],
)
def test_n_keeps_particles_with_the_family_name(vault, crm, name, family, given, extra):
    root = vault({"People/P.md": f'---\nname: "{name}"\n---\n'})
    (card,) = cards(crm, root).values()
    n = card.n.value  # read back by vobject, an independent vCard parser
    assert (n.family, n.given) == (family, given)
    for part in ("additional", "prefix", "suffix"):
        assert getattr(n, part) == extra.get(part, ""), part
    assert card.fn.value == name  # the display name is never changed


@pytest.mark.parametrize("name", ["…", '"Bear"', "(work)", "&"])
def test_a_name_with_no_part_nameparser_knows_is_the_given_name(name):
    """A phone shows N when FN is missing; an empty N would show nothing at all."""
    assert name_parts(name) == {"family": "", "given": name, "additional": "", "prefix": "",
                                "suffix": ""}  # fmt: skip


def test_uid_survives_moving_the_note_and_renaming_a_named_one(vault, crm):
    root = vault(
        {
            "People/Marco.md": "---\nname: Marco De Luca\n---\n",
            "People/Anna.md": "---\nUID: 4b7f2c1e-anna@phone\n---\n",  # a vCard-sync plugin's
            "People/Zoë.md": "---\nemail: zoe@example.net\n---\n",
        }
    )
    before = {name: card.uid.value for name, card in cards(crm, root).items()}
    assert before["Anna"] == "4b7f2c1e-anna@phone"
    (root / "Friends").mkdir()
    (root / "People/Marco.md").rename(root / "Friends/Marco De Luca.md")  # moved and renamed
    (root / "People/Anna.md").rename(root / "People/Anna Rossi.md")  # renamed: a new name
    (root / "Friends/Marco De Luca.md").write_text(
        "---\nname: Marco De Luca\ntype: person\n---\n", encoding="utf-8"
    )
    after = {name: card.uid.value for name, card in cards(crm, root).items()}
    assert after["Marco De Luca"] == before["Marco De Luca"]
    assert after["Anna Rossi"] == before["Anna"]  # its uid, whatever the file is called
    assert after["Zoë"] == before["Zoë"]
    # Without `name:` or `uid:`, the file's name is the person's: a new name, a new card.
    (root / "People/Zoë.md").rename(root / "People/Zoë Martin.md")
    assert cards(crm, root)["Zoë Martin"].uid.value != before["Zoë"]


def test_uid_is_not_a_did_you_mean(vault, crm):
    root = vault({"People/Anna.md": "---\nuid: 4b7f\n---\n"})
    assert crm(root, "check").exit_code == 0
    assert "uid" not in crm(root, "check").output


def test_csv_raw_writes_values_as_they_are(vault, crm):
    root = vault(
        {
            "People/Anna.md": "---\nphones: ['+39 333 1234567', '+39 06 5555']\nbirthday: --07-21\n---\n",
            "People/Evil.md": "---\nname: =cmd|' /C calc'!A0\ncompany: '@SUM(1+1)'\n---\n",
        }
    )
    guarded = {r["note"]: r for r in csv.DictReader(io.StringIO(crm(root, "export", "csv").stdout))}
    raw_out = crm(root, "export", "csv", "--raw")
    assert raw_out.exit_code == 0
    raw = {r["note"]: r for r in csv.DictReader(io.StringIO(raw_out.stdout))}
    assert raw["People/Anna.md"]["phones"] == "+39 333 1234567; +39 06 5555"
    assert raw["People/Anna.md"]["birthday"] == "--07-21"
    assert raw["People/Evil.md"]["name"] == "=cmd|' /C calc'!A0"  # as written: --raw is raw
    assert guarded["People/Anna.md"]["phones"] == "'+39 333 1234567; '+39 06 5555"
    assert guarded["People/Evil.md"]["company"] == "'@SUM(1+1)"
    assert set(raw) == set(guarded) and list(raw["People/Anna.md"]) == list(
        guarded["People/Anna.md"]
    )


def test_csv_raw_is_documented(crm):
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "import.md").read_text(encoding="utf-8")
    assert "crm export csv --raw" in docs
    assert "--raw" in crm(None, "export", "csv", "--help").output
