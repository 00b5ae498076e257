"""Text or JSON, chosen once per command.

A reading command computes its answer (`queries.py`, `reminders.py`) and hands it to the
formatter; it never asks which one it has. `--json` picks `JsonFormatter` (the keys
documented in the README are a contract with scripts), anything else `TextFormatter`,
coloured by a `Palette` when the output is a colour terminal.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from plaintextcrm.model import Contact, Problem, Reminder
from plaintextcrm.queries import Row, Stats
from plaintextcrm.render import jsonout, text
from plaintextcrm.render.terminal import Palette


class Formatter(Protocol):
    """What each reading command prints, as one string."""

    def due(self, reminders: list[Reminder], today: date) -> str: ...
    def contacts(self, rows: list[Row], today: date) -> str: ...
    def contact(self, contact: Contact, today: date, nxt: Reminder | None) -> str: ...
    def search(self, found: list[tuple[Contact, list[str]]], words: str) -> str: ...
    def problems(self, problems: tuple[Problem, ...]) -> str: ...
    def stats(self, stats: Stats) -> str: ...


class TextFormatter:
    """Aligned lines for people (`render/text.py`), coloured by `paint`."""

    def __init__(self, paint: Palette) -> None:
        self.paint = paint

    def due(self, reminders: list[Reminder], today: date) -> str:
        return "\n".join(text.due_lines(reminders, today, self.paint))

    def contacts(self, rows: list[Row], today: date) -> str:
        return "\n".join(text.list_lines(rows, today, self.paint))

    def contact(self, contact: Contact, today: date, nxt: Reminder | None) -> str:
        return "\n".join(text.show_lines(contact, today, nxt))

    def search(self, found: list[tuple[Contact, list[str]]], words: str) -> str:
        return "\n".join(text.search_lines(found, words))

    def problems(self, problems: tuple[Problem, ...]) -> str:
        return "\n".join(text.problem_lines(problems))

    def stats(self, stats: Stats) -> str:
        return "\n".join(text.stats_lines(stats, self.paint))


class JsonFormatter:
    """One JSON document per command (`render/jsonout.py`)."""

    def due(self, reminders: list[Reminder], today: date) -> str:
        return jsonout.dumps([jsonout.reminder_json(r) for r in reminders])

    def contacts(self, rows: list[Row], today: date) -> str:
        return jsonout.dumps([jsonout.contact_json(c, today, r) for c, r in rows])

    def contact(self, contact: Contact, today: date, nxt: Reminder | None) -> str:
        return jsonout.dumps(jsonout.show_json(contact, today, nxt))

    def search(self, found: list[tuple[Contact, list[str]]], words: str) -> str:
        return jsonout.dumps(jsonout.search_json(found))

    def problems(self, problems: tuple[Problem, ...]) -> str:
        return jsonout.dumps([jsonout.problem_json(p) for p in problems])

    def stats(self, stats: Stats) -> str:
        return jsonout.dumps(jsonout.stats_json(stats))


def pick(as_json: bool, paint: Palette) -> Formatter:
    """The formatter for this command: JSON when asked, else text."""
    return JsonFormatter() if as_json else TextFormatter(paint)
