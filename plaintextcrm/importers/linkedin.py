"""LinkedIn's Connections.csv ("Get a copy of your data") → ImportRecords.

The file starts with a few lines of notes before the header; `Connected On` is written
`14 Mar 2024` in English whatever the account's language, and becomes `met`. Emails are
present only for members who allow it. Every imported person is tagged `linkedin`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from plaintextcrm.importers.csvfile import is_formula, read_text, table
from plaintextcrm.importers.record import (
    ImportRecord,
    ImportResult,
    Skipped,
    clean_line,
    unique,
)

SOURCE = "linkedin"
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
)}  # fmt: skip


def connected_on(text: str) -> date | None:
    """`14 Mar 2024` (and the ISO or US forms older exports used) → date."""
    value = text.strip()
    m = re.fullmatch(r"(\d{1,2})[ -]([A-Za-z]{3})[A-Za-z]*[ -](\d{4})", value)
    if m and m[2].lower() in _MONTHS:
        try:
            return date(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
        except ValueError:
            return None
    for form in ("%Y-%m-%d", "%m/%d/%y", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, form).date()
        except ValueError:
            continue
    return None


def read_linkedin(path: Path, display: str | None = None) -> ImportResult:
    display = display or path.name
    return parse_linkedin(read_text(path), display)


def parse_linkedin(text: str, display: str) -> ImportResult:
    found = table(
        text,
        lambda f: {"First Name", "Last Name", "Connected On"} <= set(f),
        f"{display}: no `First Name,Last Name,...,Connected On` header: "
        "is this LinkedIn's Connections.csv?",
    )
    records: list[ImportRecord] = []
    skipped: list[Skipped] = []
    notices: list[str] = []
    for line, row in found:
        origin = f"{display}:{line}"

        def cell(column: str, row: dict[str, str] = row, origin: str = origin) -> str:
            value = clean_line(row.get(column, ""))
            if value and is_formula(value):
                notices.append(f"{origin}: dropped {column} {value!r}: it is a spreadsheet formula")
                return ""
            return value

        name = clean_line(f"{cell('First Name')} {cell('Last Name')}")
        url = cell("URL")
        if not name:
            hint = f" ({url})" if url else ""
            skipped.append(Skipped(origin, f"no name: the member hides it{hint}"))
            continue
        met = connected_on(cell("Connected On"))
        if cell("Connected On") and met is None:
            notices.append(f"{origin}: {name}: cannot read Connected On {cell('Connected On')!r}")
        email = cell("Email Address")
        records.append(
            ImportRecord(
                name=name,
                origin=origin,
                source=SOURCE,
                emails=unique([email] if "@" in email else []),
                company=cell("Company") or None,
                role=cell("Position") or None,
                linkedin=url or None,
                tags=(SOURCE,),
                met=met.isoformat() if met else None,
            )
        )
    return ImportResult(tuple(records), tuple(skipped), tuple(notices))
