"""The plain front matter most notes have, read without composing YAML (docs/performance.md).

Composing a YAML node tree was half the cost of parsing a note. Nearly every note's front
matter is `key: value` lines, flow lists (`tags: [a, b]`) and block lists of scalars
(`emails:` then `  - a@x.org` lines); `read` takes exactly that shape, and gives up on
anything else — a comment, a tab, a nested mapping, an anchor, a multi-line or escaped
string, a duplicate key, a character YAML treats specially — returning None, and the
caller composes with the YAML loader as before. What it returns is what `parse._read_yaml`
would: every scalar as the text the user typed, None for YAML's null, and each key's line
(tests/test_yamlfast.py checks this against the loader with hypothesis).
"""

from __future__ import annotations

import re
from typing import Any

#: A key the loader reads as the same text: a plain word (no spaces, no indicators).
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?\Z")
#: A block-list item of a scalar: `- value`, any indent.
_ITEM = re.compile(r"( *)- +(.+)\Z")
#: YAML's null spellings: a plain scalar of these is None, not text.
_NULLS = frozenset({"~", "null", "Null", "NULL"})
#: Longer front matter is left to the loader (and its node budget).
MAX_ROWS = 2000
#: Characters that start something other than a plain scalar (an indicator).
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")


def _plain(text: str, in_flow: bool) -> tuple[bool, Any]:
    """(ok, value) of a plain or simply quoted scalar; ok False: leave it to YAML."""
    if not text or not text.isprintable():
        return False, None
    first = text[0]
    if first in "\"'":
        if len(text) < 2 or text[-1] != first:
            return False, None
        inner = text[1:-1]
        if first in inner or "\\" in inner:
            return False, None
        return True, inner
    if first in _INDICATORS or text != text.strip():
        return False, None
    if ": " in text or " #" in text or text.endswith(":"):
        return False, None
    if in_flow and any(c in text for c in ",[]{}:#"):
        return False, None
    if not in_flow and any(c in text for c in "[]{}"):
        return False, None
    return True, None if text in _NULLS else text


def _flow_list(text: str) -> tuple[bool, Any]:
    """`[a, "b", c]` → (True, list); anything more complex → (False, None)."""
    inner = text[1:-1].strip()
    if not inner:
        return True, []
    out = []
    for part in inner.split(","):
        ok, value = _plain(part.strip(), in_flow=True)
        if not ok:
            return False, None
        out.append(value)
    return True, out


def _value(text: str) -> tuple[bool, Any]:
    text = text.rstrip(" ")
    if text.startswith("[") and text.endswith("]"):
        return _flow_list(text)
    return _plain(text, in_flow=False)


def read(source: str) -> tuple[dict[str, Any], dict[str, int]] | None:
    """(values, line of each key) of front matter `source` (its first line is the note's
    line 2), or None when it is not of the plain shape and the YAML loader must read it."""
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    rows = source.split("\n")
    if len(rows) > MAX_ROWS or source.count(",") > MAX_ROWS:
        return None  # the loader's node budget decides what is too large
    i = 0
    while i < len(rows):
        row = rows[i]
        m = _KEY.match(row)
        if m is None:
            return None
        key, rest = m[1], m[2]
        if key in values:
            return None  # the loader's duplicate-key warning says it best
        lines[key] = i + 2
        i += 1
        if rest is not None and rest.strip():
            ok, value = _value(rest)
            if not ok:
                return None
            values[key] = value
            continue
        items: list[Any] = []
        indent: str | None = None
        while i < len(rows):
            item = _ITEM.match(rows[i])
            if item is None:
                break
            if indent is None:
                indent = item[1]
            elif item[1] != indent:
                return None
            ok, value = _plain(item[2].rstrip(" "), in_flow=False)
            if not ok:
                return None
            items.append(value)
            i += 1
        values[key] = items if indent is not None else None
    return values, lines
