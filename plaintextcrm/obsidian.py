"""What a vault's Obsidian settings (`.obsidian/`) say about its notes.

Obsidian keeps its settings as JSON under `.obsidian/`. The tool reads only what the user
already told Obsidian: which folders hold templates (never notes) and how daily notes are
named. They are read once when the config is loaded and carried in `Config`, so parsing
stays a pure function of a note and the config, and the parse cache notices when a
setting changes. A missing, unreadable or malformed file is the same as no setting: these
are hints, and a broken plugin setting must never stop a command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from plaintextcrm.dates import MONTHS
from plaintextcrm.readfile import read_regular

#: Where the core Templates plugin and the Templater plugin keep their folder setting.
_TEMPLATE_SETTINGS = (
    (".obsidian/templates.json", "folder"),
    (".obsidian/plugins/templater-obsidian/data.json", "templates_folder"),
)
#: The settings files read here (vault-relative), for whoever caches what they decide.
OBSIDIAN_SETTINGS = (
    *(rel for rel, _ in _TEMPLATE_SETTINGS),
    ".obsidian/daily-notes.json",
    ".obsidian/plugins/periodic-notes/data.json",
)


def _settings(path: Path) -> dict[str, Any]:
    """A settings file as a dict; {} when it is missing or not a JSON object."""
    try:
        raw = read_regular(path)
    except OSError:  # missing, unreadable, or a FIFO / device: never waited on
        return {}  # the usual case: json is not even imported
    import json

    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def vault_folder(value: Any) -> str | None:
    """A folder setting as a vault-relative path with `/` (`./Templates/` → `Templates`);
    None for an empty value, the vault root itself, or a path that leaves the vault."""
    if not isinstance(value, str):
        return None
    parts = [p for p in value.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def template_folders(root: Path) -> tuple[str, ...]:
    """The template folders set in Obsidian's Templates and Templater settings."""
    found: list[str] = []
    for rel, key in _TEMPLATE_SETTINGS:
        folder = vault_folder(_settings(root / rel).get(key))
        if folder and folder not in found:
            found.append(folder)
    return tuple(found)


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
    core = _settings(root / ".obsidian" / "daily-notes.json")
    if core:
        found += _formats([core])
    periodic = _settings(root / ".obsidian" / "plugins" / "periodic-notes" / "data.json")
    if periodic:
        sections = [periodic.get("daily")]
        sets = periodic.get("calendarSets")
        if isinstance(sets, list):
            sections += [s.get("day") for s in sets if isinstance(s, dict)]
        found += _formats([s for s in sections if isinstance(s, dict) and _enabled(s)])
    return tuple(dict.fromkeys(found))


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
