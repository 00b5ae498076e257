"""The readers on the fixture files of ../shared/fixtures and on hand-made edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from plaintextcrm.errors import CrmError
from plaintextcrm.importers.google import parse_google, read_google
from plaintextcrm.importers.linkedin import connected_on, parse_linkedin, read_linkedin
from plaintextcrm.importers.record import yearly
from plaintextcrm.importers.vcard import parse_vcards, read_vcards

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
VCARDS = sorted((FIXTURES / "real" / "vcard").glob("*.vcf")) + sorted(
    (FIXTURES / "made").glob("*.vcf")
)


def by_name(result):
    return {r.name: r for r in result.records}


def test_fixtures_are_there():
    assert len(VCARDS) == 9, "CI must have ../shared/fixtures beside the checkout"


@pytest.mark.parametrize("path", VCARDS, ids=lambda p: p.name)
def test_every_card_is_imported_or_reported(path):
    text = path.read_text(encoding="utf-8")
    cards = text.upper().count("BEGIN:VCARD")
    result = read_vcards(path)
    assert len(result.records) + len(result.skipped) == cards
    for skip in result.skipped:
        assert skip.reason and skip.origin.startswith(path.name + ":")


def test_android_21_quoted_printable_charset_and_soft_breaks():
    result = read_vcards(FIXTURES / "made" / "android-export-21.vcf")
    people = by_name(result)
    assert set(people) == {"Amélie Lefèvre", "Anna Rossi"}
    amelie = people["Amélie Lefèvre"]
    assert amelie.company == "Café des Arts"
    assert amelie.phones == ("+33 6 12 34 56 78", "01 23 45 67 89")
    assert amelie.emails == ("amelie.lefevre@example.fr",)
    assert amelie.birthday == "1985-06-04"
    # The soft line break joins "Tour=" and "de France" with nothing between (RFC 2045).
    assert amelie.note.startswith("Met at the Lyon meetup. Loves cycling; ask about the Tour")
    assert amelie.note.endswith("de France trip.")
    assert "=" not in amelie.note
    assert people["Anna Rossi"].phones == ("+39 333 1234567",)
    (skip,) = result.skipped
    assert skip.origin == "android-export-21.vcf:20"
    assert "no name" in skip.reason and "+39 340 000 1111" in skip.reason


def test_apple_30_groups_yearless_birthday_folding_and_company_card():
    result = read_vcards(FIXTURES / "made" / "apple-contacts-30.vcf")
    people = by_name(result)
    chiara = people["Chiara Esposito"]
    assert chiara.emails == ("chiara@example.it", "c.esposito@studiorossi.example")
    assert chiara.company == "Studio Rossi"
    assert chiara.role == "Art director"
    assert chiara.birthday == "--07-21"
    assert (
        chiara.note
        == "Sister of Marco. Likes jazz, hates mornings.\nAsk about the exhibition in May."
    )
    assert chiara.linkedin == "https://www.linkedin.com/in/chiara-esposito-example"
    assert chiara.address == "Via Roma 12, 80100 Napoli, Italia"
    assert chiara.tags == ("friends", "design")
    assert people["Chidi Okafor"].birthday == "1979-03-08"
    (skip,) = result.skipped
    assert skip.name == "Acme Srl" and "company" in skip.reason


def test_khard_multiple_values():
    (mark,) = read_vcards(FIXTURES / "real" / "vcard" / "khard-multiple-values.vcf").records
    assert mark.name == "Dr. Mark Schröder II"  # FN wins over N
    assert mark.emails == ("mark@example.com", "mark@example.org")
    assert len(mark.phones) == 4
    assert mark.company == "Company1"
    assert mark.role == "Manager"
    assert mark.birthday == "1992-12-21"  # basic format 19921221
    assert mark.tags == ("cat1", "cat2", "cät3", "one-more")
    assert mark.aliases == ("nicknames", "several")
    assert mark.urls == ("http://example.com", "https://example.org")
    assert mark.note == "multi-line\nnote\n\nsingle line note"
    assert mark.address == "Riverlane 1, 99A99 A City, Region, Country"


def test_text_birthday_is_kept_in_the_note_with_a_notice():
    result = read_vcards(FIXTURES / "real" / "vcard" / "khard-text-bday.vcf")
    (card,) = result.records
    assert card.birthday is None
    assert "circa 1800" in card.note
    assert any("circa 1800" in n for n in result.notices)


def test_photo_is_ignored_and_korean_fn_only_works():
    (photo,) = read_vcards(FIXTURES / "real" / "vcard" / "khard-photo-v3.vcf").records
    assert photo.name == "with photo v3"
    assert "base64" in photo.note and "iVBOR" not in photo.note
    (korean,) = read_vcards(FIXTURES / "real" / "vcard" / "khard-korean.vcf").records
    assert korean.name == "최유림"


def card(*lines: str, version: str = "3.0") -> bytes:
    return (
        "\r\n".join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD"]) + "\r\n"
    ).encode()


def test_name_from_n_when_there_is_no_fn():
    (r,) = parse_vcards(card("N:Rossi;Anna;Maria;;"), "x.vcf").records
    assert r.name == "Anna Maria Rossi"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("BDAY:--0721", "--07-21"),
        ("BDAY:--07-21", "--07-21"),
        ("BDAY;X-APPLE-OMIT-YEAR=1604:1604-07-21", "--07-21"),
        ("BDAY:1604-07-21", "--07-21"),
        ("BDAY:19850604", "1985-06-04"),
        ("BDAY:1985-06-04T00:00:00Z", "1985-06-04"),
        ("BDAY:--0229", "--02-29"),
        ("BDAY:1990-02-30", None),
    ],
)
def test_birthdays(line, expected):
    (r,) = parse_vcards(card("FN:A B", line, version="4.0"), "x.vcf").records
    assert r.birthday == expected


def test_anniversary_and_apple_dates():
    data = card(
        "FN:A B",
        "ANNIVERSARY:20100612",
        "item1.X-ABDATE;X-APPLE-OMIT-YEAR=1604:1604-03-01",
        "item1.X-ABLabel:_$!<Anniversary>!$_",
        "item2.X-ABDATE:2001-09-09",
        "item2.X-ABLabel:first day at work",
        "item3.X-ABDATE:2002-02-02",
    )
    (r,) = parse_vcards(data, "x.vcf").records
    assert r.dates == (
        "2010-06-12 anniversary",
        "--03-01 anniversary",
        "2001-09-09 first day at work",
        "2002-02-02",
    )


def test_qp_latin1_charset_and_multiline():
    data = (
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Jos=E9\r\n"
        b"NOTE;ENCODING=QUOTED-PRINTABLE:one=0D=0Atwo, three=\r\n four\r\n"
        b"PHOTO;ENCODING=BASE64;JPEG:/9j/4AAQ\r\n AAAA\r\n\r\nEND:VCARD\r\n"
    )
    (r,) = parse_vcards(data, "x.vcf").records
    assert r.name == "José"
    assert r.note == "one\ntwo, three four"


def test_a_broken_card_is_reported_and_the_next_one_imports():
    data = (
        card("FN:Good One")
        + b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nthis is not a line\r\nEND:VCARD\r\n"
        + card("FN:Also Good")
    )
    result = parse_vcards(data, "x.vcf")
    names = [r.name for r in result.records]
    assert "Good One" in names and "Also Good" in names
    assert len(result.records) + len(result.skipped) == 3


def test_not_a_vcard_file():
    result = parse_vcards(b"hello", "x.vcf")
    assert not result.records
    assert "BEGIN:VCARD" in result.skipped[0].reason


def test_control_characters_and_newlines_in_names_are_flattened():
    (r,) = parse_vcards(card("FN:Anna\\nRossi\x07"), "x.vcf").records
    assert r.name == "Anna Rossi"


# --- LinkedIn ----------------------------------------------------------------------


def test_linkedin_connections():
    result = read_linkedin(FIXTURES / "made" / "linkedin-Connections.csv")
    people = by_name(result)
    assert set(people) == {"Anna Rossi", "Chidi Okafor", "Zoë Müller-Lüdenscheidt", "Marco Verdi"}
    anna = people["Anna Rossi"]
    assert anna.emails == ("anna.rossi@example.it",)
    assert anna.company == "Acme Corp" and anna.role == "CTO"
    assert anna.met == "2024-03-14"
    assert anna.linkedin == "https://www.linkedin.com/in/anna-rossi-example"
    assert anna.tags == ("linkedin",)
    assert people["Chidi Okafor"].company == "Okafor & Partners, Ltd."
    assert people["Zoë Müller-Lüdenscheidt"].role == "Head of Design, Europe"
    assert people["Marco Verdi"].company is None  # the formula is dropped
    assert any("formula" in n for n in result.notices)
    (skip,) = result.skipped
    assert skip.origin == "linkedin-Connections.csv:8" and "no name" in skip.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [("14 Mar 2024", "2024-03-14"), ("2 Nov 2026", "2026-11-02"), ("2024-03-14", "2024-03-14"),
     ("31 Feb 2024", None), ("soon", None)],
)  # fmt: skip
def test_connected_on(text, expected):
    got = connected_on(text)
    assert (got.isoformat() if got else None) == expected


def test_linkedin_without_header_is_an_error():
    with pytest.raises(CrmError, match=r"c.csv: .*Connections.csv"):
        parse_linkedin("a,b\n1,2\n", "c.csv")
    with pytest.raises(CrmError, match="Google"):
        parse_google("First Name,Last Name,Connected On\n", "g.csv")


# --- Google ------------------------------------------------------------------------


def test_google_contacts():
    result = read_google(FIXTURES / "made" / "google-contacts.csv")
    people = by_name(result)
    assert set(people) == {"Anna Rossi", "Nicolò Bianchi", "Ingrid Solberg"}
    anna = people["Anna Rossi"]
    assert anna.aliases == ("Annina",)
    assert anna.emails == ("anna.rossi@example.it", "anna@example.org")
    assert anna.company == "Acme Corp" and anna.role == "CTO"
    assert anna.birthday == "1988-11-30"
    assert anna.note == "Met at the design systems meetup.\nBack pain; ask in December."
    assert anna.tags == ("Work", "google")
    nicolo = people["Nicolò Bianchi"]
    assert nicolo.phones == ("+39 348 765 4321", "+39 02 555 0000")
    assert nicolo.birthday == "--12-03"
    assert nicolo.address == "Via Po 3, 10123 Torino"
    assert nicolo.tags == ("Friends", "google")
    assert people["Ingrid Solberg"].urls == ("https://example.no/ingrid",)
    assert not result.skipped


def test_google_row_without_name_and_formula():
    text = "First Name,Last Name,E-mail 1 - Label,E-mail 1 - Value,Organization Name\n,,,x@y.z,\nA,B,,a@b.c,=1+2\n"
    result = parse_google(text, "g.csv")
    (r,) = result.records
    assert r.company is None and r.emails == ("a@b.c",)
    assert result.skipped[0].origin == "g.csv:2" and "x@y.z" in result.skipped[0].reason


def test_yearly_forms():
    assert yearly("--1203") == "--12-03"
    assert yearly("2000-02-29") == "2000-02-29"
    assert yearly("2001-02-29") is None
    assert yearly("--13-01") is None


def test_google_older_export_columns():
    text = (
        "Name,Given Name,Family Name,Group Membership,E-mail 1 - Type,E-mail 1 - Value,"
        "Phone 1 - Type,Phone 1 - Value,Organization 1 - Name,Organization 1 - Title\n"
        "Anna Rossi,Anna,Rossi,* myContacts ::: Family,* Home,anna@x.it,Mobile,333 1234567,Acme,CTO\n"
    )
    (r,) = parse_google(text, "old.csv").records
    assert r.name == "Anna Rossi" and r.emails == ("anna@x.it",) and r.phones == ("333 1234567",)
    assert r.company == "Acme" and r.role == "CTO" and r.tags == ("Family", "google")


def test_a_card_cut_short_is_still_tried():
    data = card("FN:Whole") + b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut Short\r\nEMAIL:c@x"
    assert [r.name for r in parse_vcards(data, "x.vcf").records] == ["Whole", "Cut Short"]
