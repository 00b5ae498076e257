"""Where imported and synced contacts go: free file names for new notes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def taken_paths(root: Path, folder: str) -> list[str]:
    """Files already in the target folder, contact or not, so a new note never lands on
    one of them (compared case-insensitively: macOS and Windows file systems are)."""
    base = root / folder
    if not base.is_dir():
        return []
    return [f"{folder}/{p.name}" for p in base.iterdir()]


def new_note_filename() -> Callable[[str], str]:
    """The writer's `safe_filename`, minus the leading `#` and `~` that the vault scanner
    takes for an editor's temporary file (a note `#0.md` would never be read back)."""
    from plaintextcrm.vault import is_editor_temp
    from plaintextcrm.writefile import safe_filename

    def filename(name: str) -> str:
        stem = safe_filename(name)
        if is_editor_temp(stem + ".md"):
            stem = safe_filename(stem.lstrip("#~. ") or "_" + stem)
        return stem

    return filename
