"""docs/sync.md shows real configuration and real output: its crm.toml reads without a
warning, and its conflict example is what `crm sync` prints for the story it tells.
(Its vdirsyncer configuration is the one test_sync_live.py runs against Radicale.)"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import vobject
from sync_support import ANNA, BOB, SYNC_TOML, card_path, change_todo, settled, todos

from plaintextcrm.config import parse_config

DOC = (Path(__file__).resolve().parents[1] / "docs" / "sync.md").read_text(encoding="utf-8")


def test_the_crm_toml_sample_reads_without_a_warning():
    sample = re.search(r"```toml\n(.*?)```", DOC, re.S).group(1)
    config = parse_config(tomllib.loads(re.sub(r"(?m)^ {3}", "", sample)))
    assert config.problems == ()
    assert config.sync.tasks and config.sync.events and config.sync.contacts
    assert config.sync.command == "vdirsyncer sync"


def _transcript() -> list[tuple[str, list[str]]]:
    block = DOC.split("## What a conflict looks like", 1)[1]
    block = re.search(r"```text\n(.*?)```", block, re.S).group(1)
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def test_the_conflict_example_is_real_output(vault, crm):
    root = vault({"crm.toml": SYNC_TOML, "People/Anna Rossi.md": ANNA, "People/Bob.md": BOB})
    settled(root)
    assert crm(root, "sync").exit_code == 0
    # On the phone: two ticks, a moved reminder, another birthday on the card.
    found = todos(root)
    ticked = dt.datetime(2026, 11, 24, 8, tzinfo=dt.UTC)
    change_todo(found["Anna Rossi: send the abstract"], done=ticked)
    change_todo(found["Anna Rossi: call about the move"], done=ticked)
    change_todo(found["Anna Rossi: book the venue"], due=dt.date(2026, 12, 9))
    path = card_path(root, "Anna Rossi")
    card = vobject.readOne(path.read_text(encoding="utf-8"))
    card.bday.value = "1990-03-15"
    path.write_text(card.serialize(), encoding="utf-8")
    # In the note, meanwhile: one follow-up rewritten, another moved.
    note = root / "People" / "Anna Rossi.md"
    text = note.read_text(encoding="utf-8")
    text = text.replace("call about the move", "call about the new flat")
    note.write_text(text.replace("[due:: 2026-12-10]", "[due:: 2026-12-05]"), encoding="utf-8")
    steps = _transcript()
    assert [command for command, _ in steps] == ["crm sync --dry-run", "crm sync"]
    for command, shown in steps:
        result = crm(root, *command.split()[1:], today=dt.date(2026, 11, 24))
        assert result.exit_code == 0, result.output
        assert result.output.splitlines() == shown, command
