"""What an Obsidian vault's own settings (`.obsidian/`) tell us about its notes.

Read once when the config is loaded and carried in `Config`, so parsing stays a pure
function of a note and the config, and the parse cache notices when a setting changes.
A missing, unreadable or malformed settings file is simply no setting: Obsidian rewrites
these files itself, and a vault without them is the common case.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from plaintextcrm.dates import MONTHS

#: moment.js's default, which Obsidian uses when the daily-notes setting leaves it empty.
DEFAULT_DAILY_FORMAT = "YYYY-MM-DD"


@dataclass(frozen=True, slots=True)
class DailyNoteFormat:
    """Where daily notes live and how they are named (a moment.js format, `/` = subfolder).

    `DD-MM-YYYY` and `MM-DD-YYYY` read alike; only the vault's own setting says which one
    `03-04-2026.md` is, so a name in the configured folder is read with that format.
    """

    folder: str
    format: str

    def date_of(self, rel: str) -> date | None:
        """The day a vault-relative note path stands for; None if it is not such a note."""
        pattern = _compile(self.folder, self.format)
        if pattern is None:
            return None
        m = pattern.fullmatch(rel[:-3] if rel.lower().endswith(".md") else rel)
        return _date_from(m) if m else None


def daily_note_formats(root: Path) -> tuple[DailyNoteFormat, ...]:
    """The daily-note formats set in the core Daily notes plugin and in Periodic Notes.

    Periodic Notes keeps `daily` (up to 0.x) or one `day` per calendar set (1.x); a
    disabled one is skipped. The core plugin's file exists once its settings were touched;
    its defaults (`YYYY-MM-DD` at the vault root) are dated by name anyway.
    """
    found: list[DailyNoteFormat] = []
    core = _read_json(root / ".obsidian" / "daily-notes.json")
    if isinstance(core, dict):
        found += _formats([core])
    periodic = _read_json(root / ".obsidian" / "plugins" / "periodic-notes" / "data.json")
    if isinstance(periodic, dict):
        sections = [periodic.get("daily")]
        sets = periodic.get("calendarSets")
        if isinstance(sets, list):
            sections += [s.get("day") for s in sets if isinstance(s, dict)]
        found += _formats([s for s in sections if isinstance(s, dict) and _enabled(s)])
    return tuple(dict.fromkeys(found))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None


def _enabled(section: dict[str, Any]) -> bool:
    return section.get("enabled", True) is not False


def _formats(sections: list[dict[str, Any]]) -> list[DailyNoteFormat]:
    out = []
    for section in sections:
        fmt, folder = section.get("format"), section.get("folder")
        fmt = fmt.strip() if isinstance(fmt, str) and fmt.strip() else DEFAULT_DAILY_FORMAT
        folder = folder.strip().strip("/") if isinstance(folder, str) else ""
        if _compile(folder, fmt) is not None:  # a weekly-style format is no day
            out.append(DailyNoteFormat(folder, fmt))
    return out


# --- moment.js formats ------------------------------------------------------------------

#: moment.js tokens, longest first where one is a prefix of another; `[...]` is literal
#: text and `\x` one literal character. Any other character stands for itself.
_TOKEN = re.compile(
    r"\[([^\]]*)\]|\\(.)|YYYY|YY|MMMM|MMM|MM|Mo|M|Do|DDDD|DDD|DD|D|dddd|ddd|dd|do|d"
    r"|gggg|GGGG|gg|GG|wo|ww|w|Wo|WW|W|Qo|Q|E|e|HH|H|hh|h|kk|k|mm|m|ss|s|A|a|X|x|.",
    re.DOTALL,
)
_ORDINAL = r"(?:st|nd|rd|th)"
_WORD = r"[^\W\d_]+\.?"
#: What each token reads; the named group is how the date is rebuilt from a match.
_TOKEN_RE = {
    "YYYY": r"(?P<year>\d{4})", "YY": r"(?P<yy>\d{2})",
    "MMMM": rf"(?P<month_name>{_WORD})", "MMM": rf"(?P<mon>{_WORD})",
    "MM": r"(?P<month>\d{2})", "M": r"(?P<month>\d{1,2})", "Mo": rf"(?P<month>\d{{1,2}}){_ORDINAL}",
    "DD": r"(?P<day>\d{2})", "D": r"(?P<day>\d{1,2})", "Do": rf"(?P<day>\d{{1,2}}){_ORDINAL}",
    "DDDD": r"(?P<yday>\d{3})", "DDD": r"(?P<yday>\d{1,3})",
    "dddd": _WORD, "ddd": _WORD, "dd": _WORD, "do": rf"\d{_ORDINAL}", "d": r"\d",
    "E": r"\d", "e": r"\d", "Q": r"\d", "Qo": rf"\d{_ORDINAL}",
    "gggg": r"\d{4}", "GGGG": r"\d{4}", "gg": r"\d{2}", "GG": r"\d{2}",
    "ww": r"\d{2}", "WW": r"\d{2}", "w": r"\d{1,2}", "W": r"\d{1,2}",
    "wo": rf"\d{{1,2}}{_ORDINAL}", "Wo": rf"\d{{1,2}}{_ORDINAL}",
    "HH": r"\d{2}", "hh": r"\d{2}", "kk": r"\d{2}", "mm": r"\d{2}", "ss": r"\d{2}",
    "H": r"\d{1,2}", "h": r"\d{1,2}", "k": r"\d{1,2}", "m": r"\d{1,2}", "s": r"\d{1,2}",
    "A": r"(?:am|pm)", "a": r"(?:am|pm)", "X": r"\d+", "x": r"\d+",
}  # fmt: skip


@lru_cache(maxsize=64)
def _compile(folder: str, fmt: str) -> re.Pattern[str] | None:
    """`folder/format` as a regex over a note path without `.md`; None when the format
    cannot name a day (no year, or neither month and day nor day of the year)."""
    parts: list[str] = []
    seen: set[str] = set()
    for m in _TOKEN.finditer(fmt):
        token = m[0]
        if m[1] is not None or m[2] is not None:
            parts.append(re.escape(m[1] if m[1] is not None else m[2]))
            continue
        regex = _TOKEN_RE.get(token)
        if regex is None:
            parts.append(re.escape(token))
            continue
        group = re.match(r"\(\?P<(\w+)>", regex)
        if group and group[1] in seen:  # `YYYY/YYYY-MM-DD`: the same year both times
            regex = f"(?P={group[1]})" + regex[regex.index(")") + 1 :]
        elif group:
            seen.add(group[1])
        parts.append(regex)
    has_year = bool(seen & {"year", "yy"})
    has_day = bool(seen & {"yday"}) or (
        bool(seen & {"month", "month_name", "mon"}) and "day" in seen
    )
    if not (has_year and has_day):
        return None
    prefix = re.escape(folder) + "/" if folder else ""
    return re.compile(prefix + "".join(parts), re.IGNORECASE)


def _date_from(m: re.Match[str]) -> date | None:
    found = m.groupdict()
    try:
        if found.get("year") is not None:
            year = int(found["year"])
        else:
            yy = int(found["yy"])
            year = yy + (1900 if yy > 68 else 2000)  # moment's two-digit-year rule
        if found.get("yday") is not None:
            day = date(year, 1, 1) + timedelta(days=int(found["yday"]) - 1)
            if day.year != year:
                return None
        else:
            if found.get("month") is not None:
                month = int(found["month"])
            else:
                name = found.get("month_name") or found["mon"]
                month = MONTHS.get(name.rstrip(".").casefold(), 0)
            day = date(year, month, int(found["day"]))
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    return day
