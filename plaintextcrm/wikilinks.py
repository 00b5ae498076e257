"""Link syntax → the words a reader sees, for human-readable text built from notes.

A follow-up written in a meeting note reads `send [[Matteo Ricci]] the deck`; in a
terminal line, a calendar title or a digest the brackets are noise, and
`[[Aoife Ní Bhriain|Aoife]]` should read "Aoife", as Obsidian shows it.
"""

from __future__ import annotations

import re

from plaintextcrm.syntax import WIKILINK

# Text without brackets, a target without line breaks and with at most one level of
# parentheses (`wiki/Foo_(bar)`): every match attempt stops at the next `[` or `(`, so a
# line of 100,000 `[x](` costs linear time, not minutes.
_MDLINK = re.compile(r"(?<!!)\[([^\[\]]*)\]\((?:[^()\n]|\([^()\n]*\))*\)")


def _shown(m: re.Match[str]) -> str:
    """A `syntax.WIKILINK` match as Obsidian shows it: the words after `|`, or else the
    target's note name, or else the heading or block it points at (`[[#Heading]]`)."""
    if m[4] is not None and m[4].strip():
        return m[4].strip()
    target = m[2].strip().rsplit("/", 1)[-1]
    if target.lower().endswith(".md"):
        target = target[:-3]
    return target or (m[2] + m[3]).lstrip("#^").strip()


def display_text(text: str) -> str:
    """`send [[People/Anna|Anna]] the [deck](x.md)` → `send Anna the deck`."""
    if "[" not in text:
        return text
    return _MDLINK.sub(lambda m: m[1], WIKILINK.sub(_shown, text))
