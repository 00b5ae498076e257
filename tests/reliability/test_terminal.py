"""Issue 15 item 8: control characters from notes never reach the terminal.

A vault whose names, aliases, fields, task texts and interaction texts hold a screen clear
(ESC [2J), a clipboard write (OSC 52), BEL, a C1 CSI (U+009B) and a right-to-left override
(U+202E). Every human-readable output shows them as escapes (`\\x1b`); `--json` keeps the
exact strings, escaped the JSON way.
"""

from __future__ import annotations

import json
import re

import pytest

from plaintextcrm.render.terminal import json_safe, visible

from .helpers import assert_clean_exit, snapshot

CLEAR = "\x1b[2J"
OSC52 = "\x1b]52;c;cHduZWQ=\x07"  # "pwned" to the clipboard
BEL = "\x07"
C1_CSI = "\x9b31m"
RLO = "\u202e"
HOSTILE = f"{CLEAR}{OSC52}{BEL}{C1_CSI}{RLO}"

#: What a terminal would act on: C0 but tab and newline, DEL, C1, and the bidi controls.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# In YAML the characters are written as double-quoted escapes (raw control characters are
# not allowed there); in the body they are raw bytes, as a paste would leave them.
YAML_HOSTILE = "\\e[2J\\e]52;c;cHduZWQ=\\a\\a\\x9b31m\\u202e"
NAME = f"Eve{HOSTILE}Mallory"
EVE = (
    f'---\nname: "Eve{YAML_HOSTILE}Mallory"\naliases: ["Evie{YAML_HOSTILE}"]\n'
    f'company: "ACME{YAML_HOSTILE}"\ncircle: "friends{YAML_HOSTILE}"\nlocation: "x{YAML_HOSTILE}"\n'
    "cadence: 1w\nbirthday: 1990-11-25\n---\n## Log\n"
    f"- 2026-11-01 said {HOSTILE} over coffee #got\n"
    f"- [ ] 2026-11-20 ask about {HOSTILE} the trip\n"
)
EVAN = f'---\nname: "Evan{YAML_HOSTILE}"\ncadence: 2w\n---\n- 2026-10-01 lunch {HOSTILE}\n'
DAILY = f"# 2026-11-03\n- met [[Eve Mallory]] and [[People/Evan]] {HOSTILE}\n"

HUMAN_COMMANDS = [
    ("due", "--days", "30"),
    ("list",),
    ("show", "Eve"),
    ("search", "coffee"),
    ("stats",),
    ("check",),
    ("digest", "--format", "txt", "--days", "30"),
    ("digest", "--format", "md", "--days", "30"),
]
JSON_COMMANDS = [
    ("due", "--json", "--days", "30"),
    ("list", "--json"),
    ("show", "Eve", "--json"),
    ("search", "coffee", "--json"),
    ("stats", "--json"),
    ("check", "--json"),
]


@pytest.fixture
def hostile(vault):
    return vault(
        {
            "People/Eve.md": EVE,
            "People/Evan.md": EVAN,
            "Daily/2026-11-03.md": DAILY,
            "crm.toml": "[circles]\nfamily = '1m'\n",
        }
    )


def assert_shown_not_obeyed(text: str) -> None:
    found = UNSAFE.findall(text)
    assert not found, f"raw control characters reach the terminal: {found!r}"


@pytest.mark.parametrize("args", HUMAN_COMMANDS, ids=" ".join)
def test_human_output_shows_control_characters_as_escapes(hostile, crm, args):
    before = snapshot(hostile)
    result = crm(hostile, *args)
    assert_clean_exit(result, (0, 1) if args[0] == "check" else (0,))
    assert_shown_not_obeyed(result.stdout)
    assert_shown_not_obeyed(result.stderr)
    # readable: each character is there as its escape
    assert "\\x1b[2J" in result.stdout, result.stdout
    if args[0] != "check":
        assert "\\x1b]52;c;cHduZWQ=\\x07" in result.stdout
        assert "\\x9b31m" in result.stdout and "\\u202e" in result.stdout
    assert snapshot(hostile) == before


@pytest.mark.parametrize("args", JSON_COMMANDS, ids=" ".join)
def test_json_keeps_the_exact_strings_and_escapes_them(hostile, crm, args):
    result = crm(hostile, *args)
    assert_clean_exit(result, (0, 1) if args[0] == "check" else (0,))
    assert_shown_not_obeyed(result.stdout)
    strings = list(_strings(json.loads(result.stdout)))
    if args[0] in ("check", "stats"):  # the unknown circle, quoted exactly / counted
        assert any(f"friends{HOSTILE}" in s for s in strings), strings
    else:
        assert any(NAME in s or f"said {HOSTILE} over coffee" in s for s in strings), strings


def _strings(value):
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_error_messages_that_quote_notes_show_escapes(hostile, crm):
    # ambiguous: both contacts start with "Ev" and their names are listed
    ambiguous = crm(hostile, "show", "Ev")
    assert ambiguous.exit_code == 2
    assert "\\x1b[2J" in ambiguous.stderr
    # not found: the closest names are suggested
    missing = crm(hostile, "show", "Evx Mallory")
    assert missing.exit_code == 1
    # no open task matches: the open tasks are listed
    done = crm(hostile, "done", "Eve", "nothing like this")
    assert done.exit_code == 1 and "\\x1b]52" in done.stderr
    for result in (ambiguous, missing, done):
        assert_shown_not_obeyed(result.stdout)
        assert_shown_not_obeyed(result.stderr)


def test_writing_commands_echo_what_they_changed_as_escapes(hostile, crm):
    result = crm(hostile, "done", "Eve", "trip")
    assert_clean_exit(result)
    assert "[x]" in result.stdout and "\\x1b[2J" in result.stdout
    assert_shown_not_obeyed(result.stdout)
    # the note itself keeps what was written there, byte for byte
    assert HOSTILE in (hostile / "People/Eve.md").read_text(encoding="utf-8")


def test_import_dry_run_shows_a_hostile_card_name_as_escapes(hostile, crm, tmp_path):
    card = tmp_path / "x.vcf"
    card.write_text(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Mal{CLEAR}lory{RLO}\r\nEMAIL:m@example.org\r\n"
        "END:VCARD\r\n",
        encoding="utf-8",
    )
    result = crm(hostile, "import", "vcard", str(card), "--dry-run")
    assert_clean_exit(result)
    assert "Mal" in result.stdout and "\\u202e" in result.stdout  # (the importer drops ESC)
    assert_shown_not_obeyed(result.stdout)
    assert_shown_not_obeyed(result.stderr)


def test_visible_escapes_every_class_and_keeps_text_readable():
    text = f"a\tb\nc{HOSTILE}\x00\x7f\x85\u2066é漢字👩‍💻"
    shown = visible(text)
    assert shown == (
        "a\tb\nc\\x1b[2J\\x1b]52;c;cHduZWQ=\\x07\\x07\\x9b31m\\u202e\\x00\\x7f\\x85\\u2066é漢字👩‍💻"
    )
    assert visible(shown) == shown  # idempotent
    assert visible("Nicolò Zoë 山田") == "Nicolò Zoë 山田"


def test_json_safe_is_the_same_json():
    raw = json.dumps({"name": f"x{HOSTILE}\x7f"}, ensure_ascii=False)
    safe = json_safe(raw)
    assert json.loads(safe) == json.loads(raw)
    assert_shown_not_obeyed(safe)
