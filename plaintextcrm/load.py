"""Files → Index: list the vault, read and parse each note, resolve across notes.

The one place that touches the disk on the read path, so that everything after it is a
pure function of the notes' bytes. A note that vanishes between listing and reading (a
sync tool at work) is skipped without a word.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from plaintextcrm.config import Config, load_config
from plaintextcrm.index import build_index
from plaintextcrm.model import Index, ParsedNote
from plaintextcrm.parse import parse_note
from plaintextcrm.vault import list_notes


def load_index(root: Path, today: date, config: Config | None = None) -> Index:
    """Read the whole vault at `root` as of `today`."""
    config = config or load_config(root)
    files, walk_problems = list_notes(root, config.ignore)
    parsed: list[ParsedNote] = []
    for note in files:
        try:
            data = note.path.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as exc:
            from plaintextcrm.model import Problem

            walk_problems.append(Problem(note.rel, None, "error", f"cannot read: {exc.strerror}"))
            continue
        parsed.append(parse_note(note.rel, data, config))
    return build_index(str(root), parsed, config, today, walk_problems)
