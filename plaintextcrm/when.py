"""WHEN: dates as people type them (bridge until the full grammar lands)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from plaintextcrm.dates import DateValueError
from plaintextcrm.dates import parse_when as _parse_when

WhenError = DateValueError


def parse_when(text: str, today: date, *, prefer: Literal["future", "past"] = "future") -> date:
    """An ISO date, today/tomorrow/yesterday or a duration from today."""
    if text.strip().lower() == "yesterday":
        return today - timedelta(days=1)
    return _parse_when(text, today)
