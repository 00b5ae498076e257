"""Issue 15 item 8: the CSV export is safe in every spreadsheet locale.

Where the list separator is `;` (most of Europe), a spreadsheet cuts a row at every `;`,
quotes or not, so a cell `a@b.org; =HYPERLINK(...)` became a formula cell of its own.
Every piece a spreadsheet could cut a cell into must start as text.
"""

from __future__ import annotations

import csv
import io

import pytest

from plaintextcrm.render.export import neutralise

from .helpers import assert_clean_exit

TRIGGERS = ("=", "+", "-", "@")
EVIL = '=HYPERLINK("http://evil","x")'


@pytest.fixture
def exported(vault, crm):
    root = vault(
        {
            "People/Mallory.md": (
                "---\nname: Mallory\n"
                f"aliases: [Mal, '{EVIL}', ' @SUM(1+1)']\n"
                "company: 'ACME; =cmd|'' /C calc''!A0'\n"
                "role: 'boss,+1+2'\n"
                'location: "Rome;\\t-2+3"\n'
                "phones: ['+39 333 1234567', '+39 06 1234567']\n"
                "tags: [x, '-y']\n---\n"
            ),
        }
    )
    result = crm(root, "export", "csv")
    assert_clean_exit(result)
    return result.stdout_bytes.decode("utf-8-sig")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_no_piece_of_any_cell_starts_a_formula_in_any_locale(exported, delimiter):
    rows = list(csv.reader(io.StringIO(exported), delimiter=delimiter))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells
    for cell in cells:
        assert not cell.strip().startswith(TRIGGERS), (delimiter, cell)
        # a spreadsheet that ignores the quotes cuts at `;` whatever the delimiter
        for piece in cell.split(";"):
            assert not piece.strip().startswith(TRIGGERS), (delimiter, cell)


def test_the_text_is_kept_readable(exported):
    (header, row) = list(csv.reader(io.StringIO(exported)))
    cells = dict(zip(header, row, strict=True))
    assert cells["aliases"] == f"Mal; '{EVIL}; '@SUM(1+1)"
    assert cells["phones"] == "'+39 333 1234567; '+39 06 1234567"
    assert cells["company"] == "ACME; '=cmd|' /C calc'!A0"
    assert cells["role"] == "boss,'+1+2" and cells["tags"] == "x; '-y"


def test_neutralise_cases():
    assert neutralise("a; =1+1") == "a; '=1+1"
    assert neutralise("=x") == "'=x"
    assert neutralise("  =x") == "  '=x"
    assert neutralise("Smith, -Jr") == "Smith, '-Jr"
    assert neutralise("a\n@cmd") == "a\n'@cmd"
    assert neutralise("x - y; a@b.org") == "x - y; a@b.org"  # no formula at a piece start
