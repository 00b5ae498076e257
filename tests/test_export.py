"""`crm export vcard|csv|json`: what phones and spreadsheets read, and the vCard round trip."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import vobject

VAULT = {
    "People/Anna Rossi.md": (
        "---\naliases: [Annina]\nbirthday: 1990-03-14\nemails: [anna@example.org, a.rossi@acme.example]\n"
        "phones: ['+39 333 1234567']\ncompany: '[[Acme, Inc.]]'\nrole: CTO; founder\n"
        "location: Turin\nurl: https://anna.example\nlinkedin: https://www.linkedin.com/in/anna\n"
        "tags: [friends, work]\ndates:\n  - 2015-06-20 anniversary\n  - --09-01 first day at Acme\n"
        "circle: close\n---\n## Log\n- 2026-11-02 coffee #got\n"
    ),
    "People/Björn.md": "---\nname: Björn \"Bear\" Andersson\nbirthday: --07-21\nphone: '0123'\n---\n",
    "People/Evil.md": (
        "---\nname: =cmd|' /C calc'!A0\ncompany: '@SUM(1+1)'\nrole: -2+3\nphone: '+44 7700 900123'\n"
        "---\n"
    ),
    "People/Leap.md": "---\nbirthday: 1992-02-29\ndates: ['--02-29 leap day']\n---\n",
    "Daily/2026-11-10.md": "Lunch with [[Anna Rossi]]\n",
}


def test_vcard_30_fields_and_yearless_birthday(vault, crm):
    root = vault(VAULT)
    result = crm(root, "export", "vcard")
    assert result.exit_code == 0, result.output
    text = result.stdout_bytes.decode("utf-8")
    cards = list(vobject.readComponents(text))
    assert len(cards) == 4
    anna = next(c for c in cards if c.fn.value == "Anna Rossi")
    assert anna.version.value == "3.0"
    assert [e.value for e in anna.email_list] == ["anna@example.org", "a.rossi@acme.example"]
    assert anna.org.value == ["Acme, Inc."]
    assert anna.title.value == "CTO; founder"
    assert anna.bday.value == "1990-03-14"
    assert anna.nickname.value == "Annina"
    assert anna.categories.value == ["friends", "work"]
    assert [u.value for u in anna.url_list] == [
        "https://anna.example",
        "https://www.linkedin.com/in/anna",
    ]
    assert anna.adr.value.city == "Turin"
    assert "BDAY;X-APPLE-OMIT-YEAR=1604:1604-07-21\r\n" in text
    assert text.count("BEGIN:VCARD\r\n") == 4
    assert "item1.X-ABLABEL:_$!<Anniversary>!$_\r\n" in text
    assert "item2.X-ABDATE;X-APPLE-OMIT-YEAR=1604:1604-09-01\r\n" in text
    bjorn = next(c for c in cards if c.fn.value.startswith("Björn"))
    assert bjorn.tel.value == "0123"
    assert "NOTE" not in result.stdout  # the note body is private prose


def test_vcard_40_yearless_birthday_and_anniversary(vault, crm):
    root = vault(VAULT)
    result = crm(root, "export", "vcard", "--version", "4.0")
    assert result.exit_code == 0, result.output
    text = result.stdout_bytes.decode("utf-8")
    assert "VERSION:4.0\r\n" in text
    assert "BDAY:--0721\r\n" in text
    assert "BDAY:19900314\r\n" in text
    assert "ANNIVERSARY:20150620\r\n" in text
    assert "X-ABDATE:--0901\r\n" in text
    assert len(list(vobject.readComponents(text))) == 4


def test_uids_are_stable(vault, crm):
    root = vault(VAULT)
    first = crm(root, "export", "vcard").stdout
    assert first == crm(root, "export", "vcard").stdout
    uids = [c.uid.value for c in vobject.readComponents(first)]
    assert len(set(uids)) == 4 and all(u.startswith("urn:uuid:") for u in uids)


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_round_trip_export_import_export(vault, crm, tmp_path, version):
    root = vault(VAULT)
    first = crm(root, "export", "vcard", "--version", version).stdout
    # Independent parse: vobject reads every card.
    assert len(list(vobject.readComponents(first))) == 4
    exported = tmp_path / "contacts.vcf"
    exported.write_text(first, encoding="utf-8", newline="")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "crm.toml").write_text("")
    imported = crm(empty, "import", "vcard", str(exported))
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.splitlines()[-1] == "4 new, 0 merged, 0 unchanged, 0 skipped"
    assert crm(empty, "check").exit_code == 0
    second = crm(empty, "export", "vcard", "--version", version).stdout
    assert second == first
    # And importing the export back into the original vault changes nothing.
    again = crm(root, "import", "vcard", str(exported))
    assert again.stdout.splitlines()[-1] == "0 new, 0 merged, 4 unchanged, 0 skipped"


def test_round_trip_of_the_fixture_cards(vault, crm, tmp_path):
    fixtures = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
    one = vault({})
    crm(one, "import", "vcard", *map(str, sorted(fixtures.glob("*/**/*.vcf"))))
    first = crm(one, "export", "vcard").stdout
    out = tmp_path / "out.vcf"
    out.write_text(first, encoding="utf-8", newline="")
    two = tmp_path / "two"
    two.mkdir()
    (two / "crm.toml").write_text("")
    crm(two, "import", "vcard", str(out))
    assert crm(two, "export", "vcard").stdout == first
    assert first.count("BEGIN:VCARD") == 11


def test_csv_neutralises_formulas(vault, crm):
    root = vault(VAULT)
    result = crm(root, "export", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    evil = next(r for r in rows if r["note"] == "People/Evil.md")
    assert evil["name"] == "'=cmd|' /C calc'!A0"
    assert evil["company"] == "'@SUM(1+1)"
    assert evil["role"] == "'-2+3"
    assert evil["phones"] == "'+44 7700 900123"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
    anna = next(r for r in rows if r["name"] == "Anna Rossi")
    assert anna["emails"] == "anna@example.org; a.rossi@acme.example"
    assert anna["company"] == "Acme, Inc."
    assert anna["last_contact"] == "2026-11-10"
    assert anna["got"] == "1"
    bjorn = next(r for r in rows if r["note"] == "People/Björn.md")
    assert bjorn["birthday"] == "'--07-21"
    assert result.stdout.startswith("name,aliases,emails,phones,")
    assert result.stdout_bytes.endswith(b"\r\n")


def test_neutralise():
    from plaintextcrm.render.export import neutralise

    for cell in ("=1", "+1", "-1", "@a", "\tx", "\rx"):
        assert neutralise(cell) == "'" + cell
    assert neutralise("Anna") == "Anna"
    assert neutralise("") == ""


def test_json_is_list_json_plus_interactions(vault, crm):
    root = vault(VAULT)
    exported = json.loads(crm(root, "export", "json").stdout)
    listed = json.loads(crm(root, "list", "--json").stdout)
    assert [c["name"] for c in exported] == [c["name"] for c in listed]
    for full, short in zip(exported, listed, strict=True):
        assert {k: full[k] for k in short} == short
    anna = next(c for c in exported if c["name"] == "Anna Rossi")
    assert [i["date"] for i in anna["interactions"]] == ["2026-11-10", "2026-11-02"]


@pytest.mark.parametrize("kind", ["vcard", "csv", "json"])
def test_output_file(vault, crm, tmp_path, kind):
    root = vault(VAULT)
    target = tmp_path / f"out.{kind}"
    result = crm(root, "export", kind, "-o", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert target.read_bytes().decode("utf-8") == crm(root, "export", kind).stdout_bytes.decode(
        "utf-8"
    )
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_output_into_a_missing_folder_is_an_error(vault, crm, tmp_path):
    root = vault(VAULT)
    result = crm(root, "export", "csv", "-o", str(tmp_path / "nope" / "x.csv"))
    assert result.exit_code == 1
    assert result.stderr.startswith("crm: error: cannot write ")


def test_empty_vault_exports(vault, crm):
    root = vault({})
    assert crm(root, "export", "vcard").stdout == ""
    assert json.loads(crm(root, "export", "json").stdout) == []
    assert crm(root, "export", "csv").stdout_bytes.count(b"\r\n") == 1
