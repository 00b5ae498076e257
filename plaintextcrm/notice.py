"""Once a day: the "N notes have problems" line is a reminder, not a nag.

A broken note stays broken until someone has time for it; printing the same line before
every command teaches people to skip stderr, and then they miss the error that matters.
So the line is said the first time a command reads the vault on a given day, and the day
is remembered in `<vault>/.crm/notice`. Without a state folder (a read-only vault) it is
said every time: better repeated than lost.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

NOTICE_FILE = "notice"


def first_time_today(root: Path, today: date) -> bool:
    """True if the problems line has not been said for this vault on `today`; records it."""
    from plaintextcrm.errors import CrmError
    from plaintextcrm.vault import ensure_state_dir
    from plaintextcrm.writefile import write_if_changed

    try:
        return write_if_changed(ensure_state_dir(root) / NOTICE_FILE, f"{today}\n".encode())
    except (OSError, CrmError):
        return True
