"""BAD_INPUTS writing cases: 3, 4, 10, 40, 42 (writing halves) and 43-48.

Every test checks the whole vault's bytes: a writing command may change only the lines it
is about, in the one note it is about.
"""

from __future__ import annotations

import difflib
import os
import stat

import pytest

from .helpers import assert_clean_exit, needs, snapshot

ANNA = (
    "---\nname: Anna Rossi\ncadence: 2w  # keep close\n---\n# Anna\n\n## Log\n- 2026-11-01 coffee\n"
)
OTHER = {"People/Bruno.md": "---\ncircle: close\n---\nBruno's note\n"}
PATH = "People/Anna Rossi.md"


def changed_lines(before: bytes, after: bytes) -> tuple[list[str], list[str]]:
    """Removed and added lines, keeping line endings (so CRLF damage shows)."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    removed, added = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += old[i1:i2]
            added += new[j1:j2]
    return removed, added


def only_note_changed(before: dict[str, bytes], after: dict[str, bytes], path: str = PATH):
    assert set(before) == set(after), set(before) ^ set(after)
    for rel in before:
        if rel != path:
            assert before[rel] == after[rel], f"{rel} changed"
    return changed_lines(before[path], after[path])


@needs("log", "writer")
@pytest.mark.parametrize("eol", ["\r\n", "mixed-crlf-majority"])
def test_case_03_log_writes_the_notes_own_line_ending(vault, crm, eol):
    lines = ANNA.split("\n")[:-1]
    if eol == "\r\n":
        data = "".join(line + "\r\n" for line in lines).encode()
    else:
        data = "".join(line + ("\n" if i == 1 else "\r\n") for i, line in enumerate(lines)).encode()
    root = vault({**OTHER, PATH: data})
    before = snapshot(root)
    assert_clean_exit(crm(root, "log", "Anna", "phone call", "--date", "2026-11-20"))
    removed, added = only_note_changed(before, snapshot(root))
    assert removed == []
    assert added == [b"- 2026-11-20 phone call\r\n"]


@needs("log", "writer")
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_case_04_appended_line_does_not_glue_onto_the_last_line(vault, crm, bom):
    root = vault({**OTHER, PATH: bom + ANNA.rstrip("\n").encode()})
    before = snapshot(root)
    assert_clean_exit(crm(root, "log", "Anna", "phone call", "--date", "2026-11-20"))
    after = snapshot(root)[PATH]
    assert after.startswith(bom + b"---\n")
    assert after.endswith(b"- 2026-11-01 coffee\n- 2026-11-20 phone call\n") or after.endswith(
        b"- 2026-11-01 coffee\n- 2026-11-20 phone call"
    )
    removed, added = only_note_changed(before, snapshot(root))
    assert removed == [b"- 2026-11-01 coffee"]  # only its missing newline was added
    assert added[0] == b"- 2026-11-01 coffee\n"


@needs("log", "writer")
@pytest.mark.parametrize(
    "args",
    [
        ("log", "Anna", "x", "--date", "2026-11-20"),
        ("todo", "Anna", "x", "--due", "2w"),
        ("snooze", "Anna", "2026-12-20"),
        ("done", "Anna"),
    ],
    ids=lambda a: a[0],
)
def test_case_10_read_only_note_is_a_clear_error_and_nothing_changes(vault, crm, args):
    root = vault({**OTHER, PATH: ANNA + "- [ ] 2026-11-30 send the book\n"})
    note = root / PATH
    note.chmod(0o444)
    before = snapshot(root)
    try:
        result = crm(root, *args)
    finally:
        mode = stat.S_IMODE(note.stat().st_mode)
        note.chmod(0o644)
    assert_clean_exit(result, (1,))
    assert f"cannot write {PATH}: permission denied" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert mode == 0o444
    assert snapshot(root) == before
    assert sorted(os.listdir(root / "People")) == ["Anna Rossi.md", "Bruno.md"]


@needs("todo", "writer")
@pytest.mark.parametrize("due", ["the day before", "2026-02-30", "-1x", "soon", ""])
def test_case_40_bad_due_is_a_usage_error_and_nothing_is_written(vault, crm, due):
    root = vault({**OTHER, PATH: ANNA})
    before = snapshot(root)
    result = crm(root, "todo", "Anna", "call", "--due", due)
    assert_clean_exit(result, (2,))
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(root) == before


@needs("new", "writer")
@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "..",
        "../../evil",
        "/etc/passwd",
        "a/../../b",
        "..\\..\\evil",
        "x\x00y",
        "x\ny",
        "\x1b[31m",
        "CON",
        "nul.txt",
        ".hidden",
        "...",
    ],
)
def test_case_42_new_never_writes_outside_the_vault(vault, crm, tmp_path, name):
    root = vault(OTHER)
    before = snapshot(root)
    outside = set(os.listdir(tmp_path))
    result = crm(root, "new", name)
    assert_clean_exit(result, (0, 1, 2))
    assert set(os.listdir(tmp_path)) == outside
    after = snapshot(root)
    created = set(after) - set(before)
    if result.exit_code == 0:
        [rel] = created
        assert (
            rel.startswith("People/")
            and rel.count("/") == 1
            and not rel.split("/")[1].startswith(".")
        )
        assert all(ord(c) >= 32 for c in rel)
        stem = rel.split("/")[1][:-3]
        assert stem.split(".")[0].casefold() not in {"con", "nul", "prn", "aux"}
    else:
        assert created == set() and len(result.stderr.strip().splitlines()) == 1


@needs("log", "writer")
@pytest.mark.parametrize("name", ["", " ", "../People/Anna Rossi", "Anna\x00", "/"])
def test_case_42_hostile_names_in_writing_commands_are_refused(vault, crm, name):
    root = vault({**OTHER, PATH: ANNA})
    before = snapshot(root)
    result = crm(root, "log", name, "text")
    assert_clean_exit(result, (1, 2))
    assert snapshot(root) == before


def _race(monkeypatch, root, rel: str, after_reads: int, editor_line: bytes) -> list[int]:
    """Make an "editor" append `editor_line` to the note right after our Nth read of it.

    Hooks builtins.open, the way every reader of the note gets at its bytes; returns a
    list that counts the reads seen.
    """
    import builtins

    target = os.path.realpath(root / rel)
    real_open = builtins.open
    reads = [0]

    class Hooked:
        def __init__(self, handle):
            self._handle = handle

        def __getattr__(self, name):
            return getattr(self._handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self._handle.__exit__(*exc)

        def read(self, *args):
            data = self._handle.read(*args)
            reads[0] += 1
            if reads[0] == after_reads:  # the editor saves in place, right after our read
                with real_open(target, "ab") as editor:
                    editor.write(editor_line)
            return data

    def hooked_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if "r" in mode and isinstance(file, str | os.PathLike) and os.path.realpath(file) == target:
            return Hooked(handle)
        return handle

    monkeypatch.setattr(builtins, "open", hooked_open)
    from pathlib import Path

    real_read_bytes = Path.read_bytes

    def read_bytes(self):
        data = real_read_bytes(self)
        if os.path.realpath(self) == target:
            reads[0] += 1
            if reads[0] == after_reads:
                with real_open(target, "ab") as editor:
                    editor.write(editor_line)
        return data

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return reads


@needs("log", "writer")
@pytest.mark.parametrize("after_reads", [1, 2, 3])
def test_case_43_an_editor_saving_during_the_command_never_loses_its_change(
    vault, crm, monkeypatch, after_reads
):
    root = vault({**OTHER, PATH: ANNA})
    before = snapshot(root)
    reads = _race(monkeypatch, root, PATH, after_reads, b"- 2026-11-19 typed in the editor\n")
    result = crm(root, "log", "Anna", "from crm", "--date", "2026-11-20")
    monkeypatch.undo()
    assert_clean_exit(result, (0, 1))
    after = (root / PATH).read_bytes()
    if reads[0] >= after_reads:  # the editor did write during the command
        assert b"- 2026-11-19 typed in the editor\n" in after
    if result.exit_code == 0:
        assert b"- 2026-11-20 from crm\n" in after
    else:
        assert "changed" in result.stderr
    removed, _ = only_note_changed(before, snapshot(root))
    assert removed in ([], [b"- 2026-11-01 coffee\n"])


@needs("log", "writer")
def test_case_43_a_change_between_write_and_rename_is_reapplied(vault, monkeypatch, tmp_path):
    """Another program saves the note (a rename, as vim does) after our read: re-applied."""
    from plaintextcrm.writefile import write_note

    root = vault({PATH: ANNA})
    note = root / PATH
    calls = []

    def editor_saves(data: bytes) -> bytes:
        if not calls:  # vim's way: a new file renamed over the note, right after our read
            temp = note.with_name(".Anna.md.swp")
            temp.write_bytes(note.read_bytes() + b"- 2026-11-19 editor\n")
            os.replace(temp, note)
        calls.append(1)
        return data + b"- 2026-11-20 crm\n"

    result = write_note(note, editor_saves, vault=root)
    assert result.changed and result.attempts == 2
    assert note.read_bytes() == ANNA.encode() + b"- 2026-11-19 editor\n- 2026-11-20 crm\n"


@needs("log", "writer")
def test_case_43_a_note_that_keeps_changing_stops_with_exit_1(vault, crm, monkeypatch):
    import plaintextcrm.writefile as writefile

    root = vault({PATH: ANNA})
    note = root / PATH
    real = writefile._swap_in
    counter = [0]

    def busy_editor(*args):
        counter[0] += 1
        temp = note.with_name(".Anna.md.swp")
        temp.write_bytes(note.read_bytes() + f"- 2026-11-1{counter[0]} editor\n".encode())
        os.replace(temp, note)
        return real(*args)

    monkeypatch.setattr(writefile, "_swap_in", busy_editor)
    result = crm(root, "log", "Anna", "from crm")
    assert_clean_exit(result, (1,))
    assert "changed on disk while editing" in result.stderr
    text = note.read_bytes()
    assert b"from crm" not in text and text.count(b"editor") == counter[0]
    assert [n for n in os.listdir(root / "People") if n != "Anna Rossi.md"] == []


@needs("snooze", "writer")
@pytest.mark.parametrize(
    "front",
    [
        "{name: Anna Rossi, snooze: 2026-01-01}\n",
        "name: Anna Rossi\nsnooze: |\n  2026-01-01\n",
        "name: Anna Rossi\nsnooze: >-\n  2026-01-01\n",
        "name: Anna Rossi\nsnooze:\n  - 2026-01-01\n",
        "name: Anna Rossi\nsnooze: [2026-01-01,\n  2026-02-01]\n",
        "name: Anna Rossi\n? snooze\n: 2026-01-01\n",
        "name: Anna Rossi\nsnooze: &s 2026-01-01\nother: *s\n",
    ],
    ids=[
        "flow-mapping",
        "literal",
        "folded",
        "block-list",
        "multiline-flow",
        "complex-key",
        "anchored",
    ],
)
def test_case_47_front_matter_the_writer_cannot_edit_surgically_is_refused(vault, crm, front):
    root = vault({**OTHER, PATH: f"---\n{front}---\n## Log\n"})
    before = snapshot(root)
    result = crm(root, "snooze", "Anna", "2026-12-20")
    assert_clean_exit(result, (0, 1, 2))
    if result.exit_code == 0:  # an edit it could make: only the one line
        removed, added = only_note_changed(before, snapshot(root))
        assert len(removed) <= 1 and len(added) == 1 and b"snooze: 2026-12-20" in added[0]
    else:
        errors = [line for line in result.stderr.splitlines() if line.startswith("crm: error:")]
        assert len(errors) == 1
        assert snapshot(root) == before


@needs("snooze", "writer")
def test_case_47_flow_mapping_is_refused_not_rewritten(vault, crm):
    root = vault({PATH: "---\n{name: Anna Rossi, cadence: 2w}\n---\n"})
    before = snapshot(root)
    result = crm(root, "snooze", "Anna", "2026-12-20")
    assert_clean_exit(result, (1, 2))
    assert snapshot(root) == before


VCARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Carla Verdi\r\nN:Verdi;Carla;;;\r\n"
    "EMAIL:carla@example.org\r\nTEL:+39 333 0000000\r\nBDAY:1985-04-02\r\nEND:VCARD\r\n"
)
VCARD_DUP = VCARD + VCARD.replace("EMAIL:carla@example.org", "EMAIL:carla@work.example")


@needs("import", "importers")
@pytest.mark.parametrize("content", [VCARD, VCARD_DUP], ids=["single", "twice-in-one-file"])
def test_case_48_importing_twice_changes_nothing(vault, crm, tmp_path, content):
    root = vault(OTHER)
    card = tmp_path / "cards.vcf"
    card.write_text(content, newline="")
    assert_clean_exit(crm(root, "import", "vcard", str(card)))
    first = snapshot(root)
    notes = [rel for rel in first if rel.startswith("People/") and "Carla" in rel]
    assert len(notes) == 1, notes  # duplicates inside one file are merged
    if content == VCARD_DUP:
        assert b"carla@work.example" in first[notes[0]] and b"carla@example.org" in first[notes[0]]
    assert_clean_exit(crm(root, "import", "vcard", str(card)))
    assert snapshot(root) == first
