"""Small pieces of English the human-readable outputs share."""

from __future__ import annotations


def plural(n: int, noun: str) -> str:
    """`1 note`, `2 notes`: counts read as sentences in summaries and hints."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
