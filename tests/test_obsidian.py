"""What a vault's `.obsidian/` settings say: daily-note formats (core plugin, Periodic Notes)."""

import json
from datetime import date

import pytest

from plaintextcrm.config import load_config
from plaintextcrm.obsidian import DailyNoteFormat, daily_note_formats


def settings(root, files: dict[str, object]):
    for rel, value in files.items():
        path = root / ".obsidian" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return root


def test_no_obsidian_folder_no_formats(tmp_path):
    assert daily_note_formats(tmp_path) == ()


def test_core_daily_notes_and_periodic_notes_both_versions(tmp_path):
    root = settings(
        tmp_path,
        {
            "daily-notes.json": {"folder": "/Daily/", "format": "DD-MM-YYYY", "template": "T"},
            "plugins/periodic-notes/data.json": {
                "daily": {"enabled": True, "folder": "Journal", "format": "YYYY/MM/DD"},
                "weekly": {"enabled": True, "folder": "Weeks", "format": "gggg-[W]ww"},
                "calendarSets": [
                    {
                        "id": "Work",
                        "day": {"enabled": True, "folder": "Work", "format": "D MMM YYYY"},
                    },
                    {"id": "Off", "day": {"enabled": False, "folder": "Off", "format": "YYYY"}},
                ],
            },
        },
    )
    assert daily_note_formats(root) == (
        DailyNoteFormat("Daily", "DD-MM-YYYY"),
        DailyNoteFormat("Journal", "YYYY/MM/DD"),
        DailyNoteFormat("Work", "D MMM YYYY"),
    )
    assert load_config(root).daily_notes == daily_note_formats(root)


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b"\xff\xfe{", b"[" * 100_000, b'{"daily": "x", "calendarSets": [3]}'],
)
def test_broken_settings_are_no_settings(tmp_path, content):
    path = tmp_path / ".obsidian" / "plugins" / "periodic-notes" / "data.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    if not content.startswith(b"{"):
        (tmp_path / ".obsidian" / "daily-notes.json").write_bytes(content)
    assert daily_note_formats(tmp_path) == ()


def test_wrong_types_in_settings_fall_back_to_the_defaults(tmp_path):
    root = settings(tmp_path, {"daily-notes.json": {"format": 5, "folder": ["x"]}})
    assert daily_note_formats(root) == (DailyNoteFormat("", "YYYY-MM-DD"),)


def test_empty_core_settings_are_obsidians_defaults(tmp_path):
    root = settings(tmp_path, {"daily-notes.json": {"folder": "", "format": ""}})
    assert daily_note_formats(root) == (DailyNoteFormat("", "YYYY-MM-DD"),)


@pytest.mark.parametrize(
    ("folder", "fmt", "path", "expected"),
    [
        ("Daily", "DD-MM-YYYY", "Daily/14-10-2026.md", date(2026, 10, 14)),
        ("Daily", "MM-DD-YYYY", "Daily/10-14-2026.md", date(2026, 10, 14)),
        ("Daily", "DD-MM-YYYY", "Other/14-10-2026.md", None),
        ("Daily", "DD-MM-YYYY", "Daily/31-02-2026.md", None),
        ("", "YYYYMMDD", "20261014.md", date(2026, 10, 14)),
        ("", "dddd, MMMM Do YYYY", "Wednesday, October 14th 2026.md", date(2026, 10, 14)),
        ("J", "ddd D MMM YY", "J/Wed 4 Sept 26.md", date(2026, 9, 4)),
        ("J", "YYYY/MM-MMMM/YYYY-MM-DD", "J/2026/10-October/2026-10-14.md", date(2026, 10, 14)),
        ("J", "YYYY/MM/YYYY-MM-DD", "J/2025/10/2026-10-14.md", None),  # years disagree
        ("J", "[Journal] YYYY-MM-DD", "J/Journal 2026-10-14.md", date(2026, 10, 14)),
        ("J", "YYYY-MM-DD [at] HHmm", "J/2026-10-14 at 0937.md", date(2026, 10, 14)),
        ("J", "D.M.YY", "J/4.9.69.md", date(1969, 9, 4)),  # moment: 69-99 are 19xx
        ("J", "YYYY-DDDD", "J/2026-287.md", date(2026, 10, 14)),
        ("J", "MMMM D", "J/October 14.md", None),  # no year: not a day
        ("J", "gggg-[W]ww", "J/2026-W42.md", None),  # a week, not a day
        ("J", "YYYY-MM-DD", "J/2026-10-14.txt", None),
    ],
)
def test_moment_formats(folder, fmt, path, expected):
    assert DailyNoteFormat(folder, fmt).date_of(path) == expected
