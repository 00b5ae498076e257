"""`.crm/index.cache` (plaintextcrm/indexfile.py): one frame per contact, decoded as used.

What it keeps beside the contacts (their reminders for the day it was written, the link
tables, which notes touch whom) must give exactly what the contacts themselves give, and
an everyday `crm due` after one edit must decode only the contacts that edit touched.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TODAY, write_vault

from plaintextcrm import cache, indexfile
from plaintextcrm.cli import cli
from plaintextcrm.config import load_config
from plaintextcrm.index import note_touches
from plaintextcrm.load import Session
from plaintextcrm.model import StoredContacts
from plaintextcrm.reminders import all_reminders, due, next_reminder_by_contact

BASE = time.time() - 86400

NOTES = {
    "People/Anna Rossi.md": "---\naliases: [Annie]\nbirthday: 1990-11-30\n"
    "last_contact: 2026-12-30\n---\n- 2026-10-01 coffee #gave\n- [ ] 2026-11-25 send the book\n",
    "People/Bo Chen.md": "---\ncadence: 2w\n---\n- 2026-09-01 call with [[Annie]]\n",
    "People/Cy Twombly.md": "---\ncadence: 1m\ndates:\n  - {date: 2001-11-28, label: wedding}\n"
    "---\n",
    "Daily/2026-11-20.md": "Lunch with [[Annie]] and [[Bo Chen]].\n- [ ] 2026-11-24 ask [[Cy]]\n",
    "Notes/misc.md": "- 2026-11-01 met [[Anna Rossi|Anna]] #got\n",
}


def aged(root: Path) -> Path:
    for i, path in enumerate(sorted(root.rglob("*.md"))):
        os.utime(path, (BASE - i, BASE - i))
    return root


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    return aged(write_vault(tmp_path, {"crm.toml": "", **NOTES}))


def stored(root: Path) -> indexfile.Built:
    built = indexfile.read(root / ".crm", cache.stamp(load_config(root).fingerprint()))
    assert built is not None
    return built


def test_the_stored_index_equals_the_built_one_and_decodes_nothing_until_asked(vault):
    config = load_config(vault)
    session = Session(vault, config, TODAY)
    built = session.index()
    assert session.how == "built"
    back = stored(vault).index
    assert isinstance(back.contacts, StoredContacts)
    assert back.contacts._decoded == [None, None, None]  # nothing decoded by reading
    assert back == built and back.contacts == built.contacts
    assert back.contacts[-1] == built.contacts[-1] and back.contacts[:2] == built.contacts[:2]
    with pytest.raises(IndexError):
        back.contacts[3]
    assert back.health() == built.health()
    touches = stored(vault).touches
    assert touches is not None
    expected = note_touches(built.contacts)
    assert {k: set(v) for k, v in touches.items()} == {k: set(v) for k, v in expected.items()}
    # the future last_contact warning comes from the stored column
    assert any("in the future" in p.message for p in back.problems)


def test_stored_reminders_are_the_computed_ones_on_their_day_only(vault):
    config = load_config(vault)
    built = Session(vault, config, TODAY).index()
    back = stored(vault).index
    assert list(all_reminders(back, TODAY)) == list(all_reminders(built, TODAY))
    assert due(back, TODAY, 14) == due(built, TODAY, 14)
    assert due(back, TODAY, 3, ["followup"]) == due(built, TODAY, 3, ["followup"])
    assert back.contacts._decoded == [None, None, None]  # all from the stored table
    assert next_reminder_by_contact(back, TODAY) == next_reminder_by_contact(built, TODAY)
    later = TODAY + timedelta(days=40)  # another day: computed from the contacts
    assert due(back, later, 14) == due(built, later, 14)
    assert None not in back.contacts._decoded


def test_one_edited_note_decodes_only_the_contacts_it_touches(vault, monkeypatch):
    runner = CliRunner()
    args = ["--vault", str(vault), "--today", TODAY.isoformat(), "due", "--json"]
    assert runner.invoke(cli, args).exit_code == 0
    decoded: list[str] = []
    real = cache.decode_contact

    def counting(frame):
        contact = real(frame)
        decoded.append(contact.path)
        return contact

    monkeypatch.setattr(cache, "decode_contact", counting)
    note = vault / "Notes/misc.md"
    note.write_text("- 2026-11-22 tea with [[Bo Chen]]\n", encoding="utf-8")
    os.utime(note, (BASE + 5, BASE + 5))
    result = runner.invoke(cli, args)
    assert result.exit_code == 0
    # Anna (the old version named her) and Bo (the new one does); Cy is never decoded
    assert sorted(set(decoded)) == ["People/Anna Rossi.md", "People/Bo Chen.md"]
    monkeypatch.undo()
    copy = shutil.copytree(vault, vault.parent / "copy", ignore=shutil.ignore_patterns(".crm"))
    cold = runner.invoke(cli, ["--vault", str(copy), *args[2:]])
    assert cold.stdout == result.stdout and '"last_contact": "2026-11-22"' in cold.stdout


def test_an_updated_index_written_back_copies_the_untouched_frames(vault, monkeypatch):
    config = load_config(vault)
    Session(vault, config, TODAY).index()
    note = vault / "Notes/misc.md"
    note.write_text("- 2026-11-02 tea with [[Bo Chen]]\n", encoding="utf-8")
    os.utime(note, (BASE + 5, BASE + 5))
    monkeypatch.setattr("plaintextcrm.load.UNSTORED_CHANGES", 0)  # store every update
    session = Session(vault, config, TODAY)
    updated = session.index()
    assert session.how == "updated"
    back = stored(vault).index
    assert back == updated == Session(vault, config, TODAY, use_cache=False).index()
    assert list(all_reminders(back, TODAY)) == list(all_reminders(updated, TODAY))


@pytest.mark.parametrize("damage", ["truncate", "flip", "drop-contact"])
def test_a_damaged_index_file_is_no_cache(vault, damage):
    config = load_config(vault)
    Session(vault, config, TODAY).index()
    built = Session(vault, config, TODAY, use_cache=False).index()
    path = vault / ".crm" / cache.INDEX_FILE
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        path.write_bytes(data[:-40] + bytes([data[-40] ^ 0xFF]) + data[-39:])
    else:  # a well-formed file with its page of contacts left out
        stamp = cache.stamp(config.fingerprint())
        frames = cache.open_frames(vault / ".crm", cache.INDEX_FILE, stamp)
        assert frames is not None and len(frames) == indexfile._HEAD + 2  # a page, the keys
        cache.write(vault / ".crm", cache.INDEX_FILE, stamp, [*frames[:-2], frames[-1]])
    stamp = cache.stamp(config.fingerprint())
    assert indexfile.read(vault / ".crm", stamp) is None
    session = Session(vault, config, TODAY)
    assert session.index() == built and session.how == "built"


def test_a_long_watch_layers_and_flattens_its_touches(vault, monkeypatch):
    # `crm watch` updates the index it keeps forever: each update layers its changes over
    # the table; past _LAYERS the layers are flattened, and answers never change.
    from plaintextcrm import index as indexing

    monkeypatch.setattr(indexing, "_LAYERS", 2)
    config = load_config(vault)
    session = Session(vault, config, TODAY)
    session.index()
    kept = session.built
    note = vault / "Notes/misc.md"
    for step, who in enumerate(["Bo Chen", "Cy Twombly", "Annie"] * 3):
        note.write_text(f"- 2026-11-{step + 1:02d} tea with [[{who}]]\n", encoding="utf-8")
        os.utime(note, (BASE + step + 10, BASE + step + 10))
        live = Session(vault, config, TODAY, use_cache=False, previous=kept)
        assert live.index() == Session(vault, config, TODAY, use_cache=False).index()
        assert live.how == "updated"
        kept = live.built
        assert kept is not None and kept.touches is not None
        assert 2 <= len(getattr(kept.touches, "maps", ())) <= 3  # layered, then flattened
        named = "People/Anna Rossi.md" if who == "Annie" else f"People/{who}.md"
        assert set(kept.touches["Notes/misc.md"]) == {named}


def test_the_feed_after_an_edit_decodes_only_the_contacts_it_touches(vault, monkeypatch):
    # the feed's per-contact events are kept by `cache.contact_key`, which `index.cache`
    # stores for every contact: a stored contact is looked up without being decoded
    from plaintextcrm import outcache
    from plaintextcrm.render.ics import render_ics

    config = load_config(vault)
    outcache.ics_feed(Session(vault, config, TODAY).index(), TODAY, config, vault / ".crm")
    note = vault / "Notes/misc.md"
    note.write_text("- 2026-11-22 tea with [[Bo Chen]]\n", encoding="utf-8")
    os.utime(note, (BASE + 5, BASE + 5))
    decoded: list[str] = []
    real = cache.decode_contact
    monkeypatch.setattr(cache, "decode_contact", lambda t: decoded.append(t[0]) or real(t))
    index = Session(vault, config, TODAY).index()
    feed = outcache.ics_feed(index, TODAY, config, vault / ".crm")
    assert sorted(set(decoded)) == ["People/Anna Rossi.md", "People/Bo Chen.md"]
    monkeypatch.undo()
    assert feed == render_ics(Session(vault, config, TODAY, use_cache=False).index(), TODAY, config)


def test_an_index_file_rewritten_in_place_while_read_is_a_one_line_error(vault):
    # crm replaces its files whole; another program writing into one that a run is
    # reading from disk (`cp backup .crm/index.cache`) must give a clear error, not garbage
    from plaintextcrm.errors import CacheChanged

    config = load_config(vault)
    Session(vault, config, TODAY).index()
    index = Session(vault, config, TODAY).index()
    assert isinstance(index.contacts, StoredContacts)
    path = vault / ".crm" / cache.INDEX_FILE
    path.write_bytes(path.read_bytes()[:100])  # in place: the same file, cut short
    with pytest.raises(CacheChanged, match=r"\.crm/index.cache was changed by another"):
        index.contacts[0]
    again = Session(vault, config, TODAY)  # the next run checks it and builds anew
    assert again.index() == Session(vault, config, TODAY, use_cache=False).index()
    assert again.how == "built"
