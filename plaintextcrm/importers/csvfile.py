"""Reading the CSV files address books export: encoding, preamble lines, formulas.

Shared by the LinkedIn and Google readers, which differ only in their columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

from plaintextcrm.errors import CrmError

#: Cells that spreadsheets run as formulas. An address book never needs one, and one in
#: an export is either a mistake or an attack, so the importers drop such values.
FORMULA_START = ("=",)


def read_text(path: Path) -> str:
    """The file as text: UTF-8 with or without BOM, else Windows-1252 (Excel's "CSV")."""
    from plaintextcrm.readfile import read_regular

    try:
        data = read_regular(path)  # a FIFO typed by mistake must not hang the import
    except OSError as exc:
        raise CrmError(f"cannot read {path}: {exc.strerror}") from None
    if b"\x00" in data[:4096]:
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise CrmError(f"{path}: not a text CSV file") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def rows(
    text: str, is_header: Callable[[list[str]], bool]
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]] | None:
    """(header, (line number, row as column → value)) after the first line that
    `is_header` accepts; None when there is no such line.

    Line numbers are the file's physical lines, so a message can point into the file even
    when a quoted cell spans several lines.
    """
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream)
    header: list[str] | None = None
    for fields in reader:
        if is_header([f.strip() for f in fields]):
            header = [f.strip() for f in fields]
            break
    if header is None:
        return None
    names = header

    def generate() -> Iterator[tuple[int, dict[str, str]]]:
        while True:
            line = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            if not any(f.strip() for f in fields):
                continue
            yield (
                line,
                {name: (fields[i] if i < len(fields) else "") for i, name in enumerate(names)},
            )

    return header, generate()


def table(
    text: str, is_header: Callable[[list[str]], bool], missing: str
) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows after the header `is_header` accepts; CrmError(`missing`) when there is no
    such header (the file is not the export the user named)."""
    found = rows(text, is_header)
    if found is None:
        raise CrmError(missing)
    return found[1]


def is_formula(value: str) -> bool:
    return value.lstrip().startswith(FORMULA_START)
