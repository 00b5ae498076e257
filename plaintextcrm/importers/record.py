"""The common shape every importer produces, whatever the export looked like.

A record holds only what plaintextcrm stores: front matter values as the note will carry
them (birthdays already in `YYYY-MM-DD` or `--MM-DD` form, dates as `"YYYY-MM-DD label"`)
and free text for the note body. Readers clean values here once, so the planner never
sees a control character, a formula or a folded line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: Characters that would break a one-line front matter value or a file name.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


@dataclass(frozen=True)
class ImportRecord:
    """One person as another address book described them.

    `origin` says where in which file the record came from (`contacts.vcf:12`), so that
    every message about it can point the user to the card or row.
    """

    name: str
    origin: str
    source: str
    aliases: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    company: str | None = None
    role: str | None = None
    birthday: str | None = None
    dates: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    linkedin: str | None = None
    address: str | None = None
    tags: tuple[str, ...] = ()
    note: str | None = None
    met: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A card or row that was not imported, and why (the user must be able to act on it)."""

    origin: str
    reason: str
    name: str | None = None


@dataclass(frozen=True)
class ImportResult:
    """What a reader made of one file: the records, what it skipped, and smaller notices
    (a birthday it could not read, a formula it dropped) about records it did import."""

    records: tuple[ImportRecord, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    notices: tuple[str, ...] = field(default=())

    def __add__(self, other: ImportResult) -> ImportResult:
        return ImportResult(
            self.records + other.records,
            self.skipped + other.skipped,
            self.notices + other.notices,
        )


def clean_line(value: object) -> str:
    """One line of text: no control characters, whitespace collapsed. Unicode is kept as
    written (not normalised): matching folds it, and the card's text is the user's."""
    if value is None:
        return ""
    text = str(value)
    text = _CONTROL.sub(" ", text.replace("\r", " ").replace("\n", " ").replace("\t", " "))
    return " ".join(text.split())


def clean_text(value: object) -> str:
    """Multi-line text for the note body: line breaks kept, other control characters gone,
    no trailing spaces and no runs of blank lines."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text.replace("\t", "    "))
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def clean_tag(value: object) -> str:
    """A label as a tag Obsidian accepts: no spaces, no leading `#`, no commas."""
    text = clean_line(value).lstrip("#").strip()
    return re.sub(r"[\s,]+", "-", text).strip("-")


def unique(values: list[str] | tuple[str, ...], key=str.casefold) -> tuple[str, ...]:
    """Non-empty values in first-seen order, without repeats under `key`."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        if not value:
            continue
        k = key(value)
        if k not in seen:
            seen.add(k)
            out.append(value)
    return tuple(out)


def is_linkedin(url: str) -> bool:
    return bool(re.match(r"^(https?://)?([\w-]+\.)?linkedin\.com/", url, re.IGNORECASE))


_YMD = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T ].*)?$")
_MD = re.compile(r"^--(\d{2})-?(\d{2})$")


def yearly(text: str, omit_year: bool = False) -> str | None:
    """A birthday as an export wrote it → `YYYY-MM-DD` or `--MM-DD`, or None if unreadable.

    Accepts ISO basic and extended forms, a time after the date, vCard 4.0's `--MMDD`, and
    the 1604 year that Apple and Android write for "no year".
    """
    value = text.strip()
    m = _YMD.match(value)
    if m:
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        if omit_year or year == 1604:
            return _month_day(month, day)
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return None
    m = _MD.match(value)
    if m:
        return _month_day(int(m[1]), int(m[2]))
    return None


def _month_day(month: int, day: int) -> str | None:
    try:
        date(2000, month, day)  # a leap year: --02-29 is a real birthday
    except ValueError:
        return None
    return f"--{month:02d}-{day:02d}"


# --- bounds ----------------------------------------------------------------------------
# A hostile or broken export (12,000 emails on one card, a 20 MB NOTE) must neither hang
# the import nor write a front matter larger than the reader accepts (MAX_FRONT_MATTER):
# every value an import writes has to be read back.

#: At most this many values of one kind (emails, phones, urls, aliases, dates, tags) per
#: card; the rest are reported in one line.
MAX_VALUES = 50
#: One value longer than this is cut (a name, a company) or dropped (an email, a phone).
MAX_VALUE = 1000
#: The free text of one card (its NOTE) is cut at this many characters.
MAX_NOTE = 64 * 1024
#: A card larger than this (before its photo is dropped) is refused.
MAX_CARD_BYTES = 32 * 1024 * 1024
#: What one import may add to one note's front matter, counted as YAML writes it. Far
#: under parse.MAX_FRONT_MATTER (256 KiB), so a note stays readable after any import.
FRONT_MATTER_BUDGET = 64 * 1024

_LISTS = ("emails", "phones", "urls", "aliases", "dates", "tags")
_SCALARS = ("company", "role", "birthday", "linkedin", "address", "met")


def yaml_cost(value: str) -> int:
    """Bytes `value` takes in front matter: quoted and escaped as the writer does it, plus
    the `  - ` and line end around it."""
    from plaintextcrm.edit import yaml_value

    return len(yaml_value(value).encode("utf-8", "surrogatepass")) + 8


def bound_record(record: ImportRecord) -> tuple[ImportRecord, list[str]]:
    """`record` within the bounds above, and one notice line for what was cut."""
    from dataclasses import replace

    cut: list[str] = []
    changes: dict[str, Any] = {}
    name = record.name
    if len(name) > MAX_VALUE:
        name = changes["name"] = name[: MAX_VALUE - 1] + "…"
        cut.append(f"the name cut to {MAX_VALUE:,} characters")
    for key in _SCALARS:
        value = getattr(record, key)
        if value and len(value) > MAX_VALUE:
            changes[key] = None if key in ("birthday", "met") else value[: MAX_VALUE - 1] + "…"
            cut.append(f"{key} cut to {MAX_VALUE:,} characters")
    budget = (
        FRONT_MATTER_BUDGET
        - yaml_cost(name)
        - sum(yaml_cost(str(v)) for k in _SCALARS if (v := changes.get(k, getattr(record, k))))
    )
    for key in _LISTS:
        values = getattr(record, key)
        long = [v for v in values if len(v) > MAX_VALUE]
        if long:
            values = tuple(v for v in values if len(v) <= MAX_VALUE)
            cut.append(f"{len(long):,} {key} longer than {MAX_VALUE:,} characters dropped")
        if len(values) > MAX_VALUES:
            cut.append(f"kept the first {MAX_VALUES} of {len(values):,} {key}")
            values = values[:MAX_VALUES]
        kept: list[str] = []
        for value in values:
            cost = yaml_cost(value)
            if cost > budget:
                cut.append(f"{len(values) - len(kept):,} {key} over the front matter budget")
                break
            budget -= cost
            kept.append(value)
        if len(kept) != len(getattr(record, key)):
            changes[key] = tuple(kept)
    if record.note and len(record.note) > MAX_NOTE:
        changes["note"] = record.note[:MAX_NOTE].rstrip() + "\n\n[…]"
        cut.append(f"the note cut from {len(record.note):,} to {MAX_NOTE:,} characters")
    if not cut:
        return record, []
    who = record.name if len(record.name) <= 80 else record.name[:79] + "…"
    return replace(record, **changes), [f"{record.origin}: {who}: " + "; ".join(cut)]


def bounded(result: ImportResult) -> ImportResult:
    """Every record of `result` within bounds (see `bound_record`)."""
    records: list[ImportRecord] = []
    notices = list(result.notices)
    for record in result.records:
        record, cut = bound_record(record)
        records.append(record)
        notices.extend(cut)
    return ImportResult(tuple(records), result.skipped, tuple(notices))
