"""docs/reliability.md stays true: every case 1-52 has a row, and every test it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

HERE = Path(__file__).parent
DOC = HERE.parents[1] / "docs" / "reliability.md"
CASES = 52


def _tests_in(module: str) -> set[str]:
    tree = ast.parse((HERE / module).read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def test_every_case_has_a_row_with_tests_that_exist():
    rows = [
        line
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if re.match(r"\| \d+ \|", line)
    ]
    cells = [re.split(r"(?<!\\)\|", line) for line in rows]  # `\|` is a pipe inside a cell
    numbers = [int(row[1]) for row in cells]
    assert numbers == list(range(1, CASES + 1))
    for row in cells:
        assert len(row) == 6, row  # | # | case | what it does | proved by |
        named = re.findall(r"`(test_\w+\.py)::(test_\w+)`", row[4])
        assert named, row
        for module, test in named:
            assert test in _tests_in(module), f"{module}::{test} in the table does not exist"


def test_every_case_test_is_in_the_table():
    doc = DOC.read_text(encoding="utf-8")
    for module in sorted(p.name for p in HERE.glob("test_*.py")):
        for test in _tests_in(module):
            if re.match(r"test_case_\d+", test):
                assert f"`{module}::{test}`" in doc, (
                    f"{module}::{test} is missing from docs/reliability.md"
                )
                number = int(test.split("_")[2])
                row = next(line for line in doc.splitlines() if line.startswith(f"| {number} |"))
                assert test in row, f"{test} is not in the row of case {number}"


def test_every_test_the_page_names_exists():
    """Beyond the case table: each `file.py::test` named anywhere on the page exists."""
    doc = DOC.read_text(encoding="utf-8")
    for module, test in re.findall(r"`(test_\w+\.py)::(test_\w+)`", doc):
        if (HERE / module).exists():
            assert test in _tests_in(module), f"{module}::{test} on the page does not exist"
