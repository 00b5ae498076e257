"""Google Contacts' "Export → Google CSV" → ImportRecords.

Several values share one cell separated by ` ::: ` (two phones with the same label);
numbered column families (`E-mail 1 - Value`, `Phone 2 - Value`, ...) run as high as the
export needs. `Labels` (older exports: `Group Membership`) become tags, without Google's
system labels (`* myContacts`, `* starred`). Every imported person is tagged `google`.
"""

from __future__ import annotations

import re
from pathlib import Path

from plaintextcrm.importers.csvfile import is_formula, read_text, table
from plaintextcrm.importers.record import (
    ImportRecord,
    ImportResult,
    Skipped,
    clean_line,
    clean_tag,
    clean_text,
    is_linkedin,
    unique,
    yearly,
)

SOURCE = "google"
_SEP = " ::: "


def read_google(path: Path, display: str | None = None) -> ImportResult:
    display = display or path.name
    return parse_google(read_text(path), display)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(_SEP) if v.strip()] if value else []


def _family(row: dict[str, str], prefix: str, suffix: str) -> list[tuple[str, str]]:
    """(label, value) for every `<prefix> N - <suffix>` column, in N order, cells split."""
    pattern = re.compile(rf"^{re.escape(prefix)} (\d+) - {re.escape(suffix)}$")
    numbered = sorted((int(m[1]), column) for column in row if (m := pattern.match(column)))
    out: list[tuple[str, str]] = []
    for number, column in numbered:
        label = row.get(f"{prefix} {number} - Label") or row.get(f"{prefix} {number} - Type") or ""
        out.extend((label.strip(), value) for value in _split(row[column]))
    return out


def parse_google(text: str, display: str) -> ImportResult:
    found = table(
        text,
        lambda f: (
            ("First Name" in f or "Given Name" in f or "Name" in f)
            and any(c.startswith(("E-mail", "Phone")) for c in f)
        ),
        f"{display}: no Google Contacts header (`First Name`, `E-mail 1 - Value`, ...): "
        "is this a Google CSV export?",
    )
    records: list[ImportRecord] = []
    skipped: list[Skipped] = []
    notices: list[str] = []
    for line, raw in found:
        origin = f"{display}:{line}"
        row: dict[str, str] = {}
        for column, value in raw.items():
            if value and is_formula(value):
                notices.append(
                    f"{origin}: dropped {column} {value.strip()!r}: a spreadsheet formula"
                )
                value = ""
            row[column] = value

        def get(*columns: str, row: dict[str, str] = row) -> str:
            for column in columns:
                value = clean_line(row.get(column, ""))
                if value:
                    return value
            return ""

        name = get("Name") or clean_line(
            " ".join(
                get(c)
                for c in (
                    "Name Prefix",
                    "First Name",
                    "Given Name",
                    "Middle Name",
                    "Additional Name",
                    "Last Name",
                    "Family Name",
                    "Name Suffix",
                )
            )
        )
        name = name or get("File As")
        emails = unique([v for _, v in _family(row, "E-mail", "Value") if "@" in v])
        phones = unique(
            [clean_line(v) for _, v in _family(row, "Phone", "Value")],
            key=lambda p: re.sub(r"[^\d+]", "", p),
        )
        company = get("Organization Name", "Organization 1 - Name") or None
        if not name:
            hint = ", ".join(filter(None, [company or "", *emails, *phones]))
            skipped.append(Skipped(origin, "no name" + (f" (only {hint})" if hint else "")))
            continue
        note_parts = [clean_text(row.get("Notes", ""))]
        birthday = None
        raw_birthday = get("Birthday")
        if raw_birthday:
            birthday = yearly(raw_birthday)
            if birthday is None:
                notices.append(
                    f"{origin}: {name}: birthday {raw_birthday!r} is not a date; kept in the note"
                )
                note_parts.append(f"Birthday: {raw_birthday}")
        dates: list[str] = []
        for label, value in _family(row, "Event", "Value"):
            when = yearly(value)
            label = clean_line(label.lstrip("* ")).lower() or "date"
            if when:
                dates.append(f"{when} {label}")
            else:
                note_parts.append(f"{label.capitalize()}: {clean_line(value)}")
        urls: list[str] = []
        linkedin = None
        for _, value in _family(row, "Website", "Value"):
            value = clean_line(value)
            if is_linkedin(value) and not linkedin:
                linkedin = value
            else:
                urls.append(value)
        addresses = [
            ", ".join(p.strip() for p in clean_text(v).split("\n") if p.strip())
            for _, v in _family(row, "Address", "Formatted")
        ]
        labels = _split(get("Labels", "Group Membership"))
        tags = [clean_tag(t) for t in labels if not t.startswith("*")]
        aliases = [a for a in _split(get("Nickname")) if a.casefold() != name.casefold()]
        records.append(
            ImportRecord(
                name=name,
                origin=origin,
                source=SOURCE,
                aliases=unique([clean_line(a) for a in aliases]),
                emails=emails,
                phones=phones,
                company=company,
                role=get("Organization Title", "Organization 1 - Title") or None,
                birthday=birthday,
                dates=unique(dates),
                urls=unique(urls),
                linkedin=linkedin,
                address=next((a for a in addresses if a), None),
                tags=unique([*tags, SOURCE]),
                note="\n\n".join(p for p in note_parts if p) or None,
            )
        )
    return ImportResult(tuple(records), tuple(skipped), tuple(notices))
