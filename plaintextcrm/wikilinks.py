"""Link syntax → the words a reader sees, for human-readable text built from notes.

A follow-up written in a meeting note reads `send [[Matteo Ricci]] the deck`; in a
terminal line, a calendar title or a digest the brackets are noise, and
`[[Aoife Ní Bhriain|Aoife]]` should read "Aoife", as Obsidian shows it.
"""

from __future__ import annotations

import re

_WIKILINK = re.compile(r"!?\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")
# Text without brackets, a target without line breaks and with at most one level of
# parentheses (`wiki/Foo_(bar)`): every match attempt stops at the next `[` or `(`, so a
# line of 100,000 `[x](` costs linear time, not minutes.
_MDLINK = re.compile(r"(?<!!)\[([^\[\]]*)\]\((?:[^()\n]|\([^()\n]*\))*\)")


def _shown(m: re.Match[str]) -> str:
    if m[2] is not None and m[2].strip():
        return m[2].strip()
    target = m[1].split("#", 1)[0].split("^", 1)[0].strip()
    target = target.rsplit("/", 1)[-1]
    if target.lower().endswith(".md"):
        target = target[:-3]
    return target or m[1].lstrip("#^").strip()


def display_text(text: str) -> str:
    """`send [[People/Anna|Anna]] the [deck](x.md)` → `send Anna the deck`."""
    if "[" not in text:
        return text
    return _MDLINK.sub(lambda m: m[1], _WIKILINK.sub(_shown, text))
