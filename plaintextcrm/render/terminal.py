"""Text for a terminal: what a note says, never what it could make the terminal do.

A note is text anyone could have written (a shared vault, an imported card, a web page
pasted into a log line), and a terminal obeys some of the characters in it: ESC starts a
command (clear the screen, retitle the window, write to the clipboard with OSC 52), C1
controls such as U+009B do the same on some terminals, BEL rings, CR overwrites the line,
and the bidi overrides (U+202E) show text in an order it was not written in. So every
piece of human-readable output passes through `visible` on its way out: the text
renderers (`due`, `list`, `show`, `search`, `stats`, `check`, the Markdown and text
digests) and the one-line error messages. Those characters become their escape, written
out (`\\x1b`, `\\x9b`, `\\u202e`): still readable, and copy-paste finds them again with
`crm search`. Tab and newline stay; they are layout, not commands.

`--json` keeps every string exact: JSON escapes C0 controls itself, and `json_safe` writes
the rest as `\\uXXXX`, which a JSON reader turns back into the same character.
"""

from __future__ import annotations

import re

from plaintextcrm.lookalike import BIDI_CONTROLS

_TERMINAL_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
#: What JSON leaves raw but a terminal would obey (C0 controls are escaped by JSON).
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{BIDI_CONTROLS}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every control character a terminal would act on written as its escape
    (ESC as `\\x1b`, U+202E as `\\u202e`); tab and newline are kept. Idempotent."""
    if _TERMINAL_UNSAFE.search(text) is None:
        return text
    return _TERMINAL_UNSAFE.sub(_escape, text)


def json_safe(text: str) -> str:
    """JSON text (from `json.dumps`) with DEL, C1 and bidi controls written `\\uXXXX`: the
    same strings for a JSON reader, nothing a terminal acts on. Such characters can only
    stand inside JSON strings, where an escape is always allowed."""
    if _JSON_UNSAFE.search(text) is None:
        return text
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# --- columns and colour ------------------------------------------------------------------


def width(text: str) -> int:
    """How many terminal cells `text` takes: 2 for a CJK character or most emoji, 0 for a
    combining accent (wcwidth, imported only for non-ASCII text)."""
    if text.isascii():
        return len(text)
    from wcwidth import wcswidth, wcwidth

    cells = wcswidth(text)
    if cells >= 0:
        return cells
    return sum(max(wcwidth(c), 0) for c in text)  # a control char: counts as nothing


def ljust(text: str, cells: int) -> str:
    """`text` padded with spaces to `cells` terminal cells (str.ljust counts characters,
    which breaks the columns as soon as a name is Chinese or has an emoji)."""
    return text + " " * max(cells - width(text), 0)


#: Roles of output text → click.style arguments. Overdue is red, today bold, and each
#: reminder kind has its own colour, as khal and todoman colour by calendar and priority.
STYLES: dict[str, dict[str, object]] = {
    "overdue": {"fg": "red"},
    "today": {"bold": True},
    "header": {"bold": True, "underline": True},
    "dim": {"dim": True},
    "followup": {"fg": "yellow"},
    "birthday": {"fg": "magenta"},
    "date": {"fg": "cyan"},
    "reconnect": {"fg": "blue"},
    "error": {"fg": "red", "bold": True},
}


class Palette:
    """Colours text by role, or leaves it plain: one decision for a whole command,
    made from `--color` and `NO_COLOR` (`choose_color`)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, role: str) -> str:
        if not self.enabled or not text or role not in STYLES:
            return text
        import click

        return click.style(text, **STYLES[role])  # type: ignore[arg-type]


def choose_color(option: str, env: dict[str, str] | None, is_tty: bool) -> bool:
    """`--color always|never|auto`: auto colours a terminal unless `NO_COLOR` is set to
    anything non-empty (no-color.org); `always` wins over `NO_COLOR`, for `less -R`."""
    if option == "always":
        return True
    if option == "never":
        return False
    return is_tty and not (env or {}).get("NO_COLOR")
