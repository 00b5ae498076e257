"""The writer: atomic, conflict-checked, permission-keeping, never outside the vault."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaintextcrm.config import Config, parse_config
from plaintextcrm.edit import add_log_line
from plaintextcrm.errors import ConflictError, CrmError, UsageError, WriteError
from plaintextcrm.load import load_index
from plaintextcrm.parse import parse_note
from plaintextcrm.render.person import render_person
from plaintextcrm.vault import is_editor_temp, list_notes
from plaintextcrm.writefile import RESERVED_NAMES, create_note, safe_filename, write_note

D = date(2026, 11, 23)
NOTE = "---\nname: Anna\n---\n## Log\n- 2026-01-01 a\n"
REPO = Path(__file__).resolve().parent.parent


def log(text: str):
    return lambda data: add_log_line(data, D, text)


def make(tmp_path: Path, text: str = NOTE) -> tuple[Path, Path]:
    root = tmp_path / "vault"
    (root / "People").mkdir(parents=True)
    note = root / "People" / "Anna.md"
    note.write_bytes(text.encode())
    return root, note


def others(folder: Path, keep: str = "Anna.md") -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != keep)


def test_write_changes_the_note_and_keeps_permissions(tmp_path):
    root, note = make(tmp_path)
    note.chmod(0o640)
    result = write_note(note, log("b"), vault=root)
    assert result.changed and result.attempts == 1
    assert note.read_text().endswith("- 2026-01-01 a\n- 2026-11-23 b\n")
    assert stat.S_IMODE(note.stat().st_mode) == 0o640
    assert others(note.parent) == []


def test_write_no_change_writes_nothing(tmp_path):
    root, note = make(tmp_path)
    before = note.stat().st_mtime_ns, note.stat().st_ino
    assert not write_note(note, lambda d: d, vault=root).changed
    assert (note.stat().st_mtime_ns, note.stat().st_ino) == before


def test_write_through_a_symlink_edits_the_target_and_keeps_the_link(tmp_path):
    root, note = make(tmp_path)
    link = root / "Anna link.md"
    link.symlink_to(note)
    write_note(link, log("b"), vault=root)
    assert link.is_symlink()
    assert "2026-11-23 b" in note.read_text()


def test_write_refuses_a_path_outside_the_vault(tmp_path):
    root, _ = make(tmp_path)
    outside = tmp_path / "outside.md"
    outside.write_text("x")
    with pytest.raises(UsageError, match="outside the vault"):
        write_note(root / ".." / "outside.md", log("b"), vault=root)
    (root / "escape.md").symlink_to(outside)
    with pytest.raises(UsageError, match="outside the vault"):
        write_note(root / "escape.md", log("b"), vault=root)
    assert outside.read_text() == "x"


def test_read_only_note_is_refused_and_intact(tmp_path):
    root, note = make(tmp_path)
    note.chmod(0o444)
    with pytest.raises(WriteError, match=r"cannot write People/Anna\.md: permission denied"):
        write_note(note, log("b"), vault=root)
    assert note.read_text() == NOTE
    assert others(note.parent) == []


def test_disk_full_leaves_the_note_intact_and_no_temp(tmp_path, monkeypatch):
    root, note = make(tmp_path)

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(WriteError, match="no space left"):
        write_note(note, log("b"), vault=root)
    monkeypatch.undo()
    assert note.read_text() == NOTE
    assert others(note.parent) == []


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "check-then-rename"])
def test_failed_rename_leaves_the_note_intact(tmp_path, monkeypatch, exchange):
    import plaintextcrm.writefile as writefile

    root, note = make(tmp_path)

    def broken(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "replace", broken)
    monkeypatch.setattr(writefile, "_exchange", broken if exchange else lambda a, b: False)
    with pytest.raises(WriteError, match="Input/output error"):
        write_note(note, log("b"), vault=root)
    assert note.read_text() == NOTE
    assert others(note.parent) == []


def test_edit_refusal_writes_nothing(tmp_path):
    root, note = make(tmp_path)

    def refuse(data):
        raise CrmError("no")

    with pytest.raises(CrmError):
        write_note(note, refuse, vault=root)
    assert note.read_text() == NOTE and others(note.parent) == []


def _other_process_appends(note: Path, line: str) -> None:
    """Another program (vim, a sync client) saves the note its way: a new file renamed over it."""
    code = (
        "import os, pathlib, sys; p = pathlib.Path(sys.argv[1]); t = p.with_name('.4913')\n"
        "t.write_text(p.read_text() + sys.argv[2]); os.replace(t, p)"
    )
    subprocess.run([sys.executable, "-c", code, str(note), line], check=True)


def _racing(action, times: int = 1):
    """An edit that lets another program save the note right after our read (the first
    `times` reads), then appends our line: the interleaving a real race produces."""
    calls = []

    def edit(data: bytes) -> bytes:
        calls.append(1)
        if len(calls) <= times:
            action(len(calls))
        return data + b"- 2026-11-23 ours\n"

    return edit


def test_other_process_writes_between_read_and_rename_nothing_is_lost(tmp_path):
    root, note = make(tmp_path)
    edit = _racing(lambda n: _other_process_appends(note, "editor line\n"))
    result = write_note(note, edit, vault=root)
    text = note.read_text()
    assert "editor line" in text and "- 2026-11-23 ours" in text
    assert result.attempts == 2
    assert others(note.parent) == []
    parsed = parse_note("People/Anna.md", note.read_bytes(), Config())
    assert [i.text for i in parsed.items] == ["a", "ours"]


def test_other_process_keeps_writing_conflict_and_its_change_survives(tmp_path):
    root, note = make(tmp_path)
    edit = _racing(lambda n: _other_process_appends(note, f"editor {n}\n"), times=99)
    with pytest.raises(ConflictError, match="changed on disk while editing"):
        write_note(note, edit, vault=root, retries=1)
    text = note.read_text()
    assert "editor 1" in text and "editor 2" in text and "ours" not in text
    assert others(note.parent) == []


def test_note_deleted_while_editing_is_a_conflict(tmp_path):
    root, note = make(tmp_path)
    with pytest.raises(CrmError, match="deleted or renamed"):
        write_note(note, _racing(lambda n: note.unlink()), vault=root)
    assert others(note.parent, keep="") == []


CRASH = """
import os, sys
from datetime import date
from pathlib import Path
from plaintextcrm.edit import add_log_line
root = Path(sys.argv[1])
import plaintextcrm.writefile as writefile
writefile._swap_in = lambda *args: os._exit(9)  # killed after the temp file, before the swap
writefile.write_note(root / "People" / "Anna.md",
                     lambda d: add_log_line(d, date(2026, 11, 23), "lost"), vault=root)
"""


def test_crash_before_rename_leaves_note_intact_and_temp_ignored_then_cleaned(
    tmp_path, monkeypatch
):
    root, note = make(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", CRASH, str(root)], env=env)
    assert done.returncode == 9
    assert note.read_text() == NOTE
    assert others(note.parent) == []  # the temporary file is in .crm/tmp/, git-ignored
    temps = others(root / ".crm" / "tmp", keep="")
    assert len(temps) == 1 and is_editor_temp(temps[0]), temps
    files, _ = list_notes(root, ())
    assert [f.rel for f in files] == ["People/Anna.md"]
    assert len(load_index(root, D).contacts) == 1
    monkeypatch.setattr("plaintextcrm.vault.STALE_TEMP_SECONDS", 0)  # as if old
    write_note(note, log("next"), vault=root)
    assert others(root / ".crm" / "tmp", keep="") == []
    assert "lost" not in note.read_text() and "next" in note.read_text()


TWO_WRITERS = """
import sys
from datetime import date
from pathlib import Path
from plaintextcrm.edit import add_log_line
from plaintextcrm.writefile import write_note
root = Path(sys.argv[1])
for i in range(int(sys.argv[3])):
    write_note(root / "People" / "Anna.md",
               lambda d, i=i: add_log_line(d, date(2026, 11, 23), f"{sys.argv[2]} {i}"), vault=root)
"""


def test_two_processes_logging_at_once_keep_every_line(tmp_path):
    root, note = make(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-c", TWO_WRITERS, str(root), name, "15"], env=env)
        for name in ("alpha", "beta", "gamma")
    ]
    assert [p.wait() for p in procs] == [0, 0, 0]
    texts = [i.text for i in parse_note("People/Anna.md", note.read_bytes(), Config()).items]
    assert sorted(texts) == sorted(
        ["a"] + [f"{n} {i}" for n in ("alpha", "beta", "gamma") for i in range(15)]
    )


def test_create_note_never_overwrites_and_stays_inside(tmp_path):
    root, note = make(tmp_path)
    path = create_note(root, "People/Bob.md", b"hello\n")
    assert path.read_bytes() == b"hello\n"
    with pytest.raises(CrmError, match="already exists"):
        create_note(root, "People/Bob.md", b"other\n")
    with pytest.raises(CrmError, match="already exists"):
        create_note(root, "People/Anna.md", b"other\n")
    assert path.read_bytes() == b"hello\n" and note.read_text() == NOTE
    for bad in ("../x.md", "/etc/x.md", "People/../../x.md", "."):
        with pytest.raises(UsageError):
            create_note(root, bad, b"x")
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(UsageError):
        create_note(root, "link/x.md", b"x")
    assert not (tmp_path / "x.md").exists()
    assert create_note(root, "New/Deep/C.md", b"c").read_bytes() == b"c"
    assert others(root / "People", keep="Anna.md") == ["Bob.md"]


def test_create_note_does_not_follow_a_dangling_symlink(tmp_path):
    root, _ = make(tmp_path)
    (root / "People" / "Eve.md").symlink_to(tmp_path / "elsewhere.md")
    with pytest.raises(CrmError):
        create_note(root, "People/Eve.md", b"x")
    assert not (tmp_path / "elsewhere.md").exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Anna Rossi", "Anna Rossi"),
        ("../x", "x"),
        ("/etc/passwd", "etc-passwd"),
        ("a/b", "a-b"),
        ("a\\b", "a-b"),
        ("CON", "CON_"),
        ("lpt1.txt", "lpt1_.txt"),
        ("Nul", "Nul_"),
        ("a\x00b\x1fc", "a b c"),
        ("  ..hidden.  ", "hidden"),
        ("what? <yes>: *", "what yes"),
        ("Nicolo\u0300", "Nicolò"),
        ("Zoë 😀", "Zoë 😀"),
        ("#hashtag", "hashtag"),  # the index skips `#…` and `~…` as editor scratch files
        ("~Tilde", "Tilde"),
        ("Mallory\u202egpj.exe", "Mallorygpj.exe"),  # a right-to-left override
        ("An\u200bna", "Anna"),  # a zero-width space
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0645",
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0645",
        ),  # ZWNJ
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


@pytest.mark.parametrize("name", ["", "   ", "..", "/", "\x00", "...", "\n"])
def test_safe_filename_refuses_names_with_nothing_left(name):
    with pytest.raises(UsageError):
        safe_filename(name)


def test_safe_filename_very_long_is_cut_on_a_character_boundary():
    name = "é" * 500
    out = safe_filename(name)
    assert len(out.encode()) <= 200 and set(out) == {"é"}
    out = safe_filename("e\u0301" * 300)
    assert len(out.encode()) <= 200


def test_render_person_reads_back_through_the_parser(tmp_path):
    text = render_person(
        "Anna Rossi",
        {
            "name": "Anna: Rossi",
            "aliases": ["Annie", ""],
            "phone": ["0123", "+39 333 1234567"],
            "company": "[[Acme]]",
            "birthday": "1990-02-14",
            "circle": "close",
            "tags": [],
            "role": None,
        },
        "Met at PyCon.",
    )
    note = parse_note("People/Anna Rossi.md", text.encode(), parse_config({}))
    assert not note.problems
    f = note.fields
    assert (f.name, f.aliases, f.phones, f.company, f.circle) == (
        "Anna: Rossi",
        ("Annie",),
        ("0123", "+39 333 1234567"),
        "Acme",
        "close",
    )
    assert f.birthday.raw == "1990-02-14"
    assert "Met at PyCon.\n" in text and text.endswith("## Log\n")
    assert "tags" not in text and "role" not in text


def test_render_person_vault_override_and_broken_override(tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    (good / "person.md.j2").write_text(
        "---\ntype: person\nname: {{ name | yaml }}\n---\n# {{ name }}\n"
    )
    assert render_person("Anna", {}, None, [good]) == "---\ntype: person\nname: Anna\n---\n# Anna\n"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "person.md.j2").write_text("---\nname: [{{ name }}\n---\n")
    with pytest.raises(CrmError, match="cannot be read"):
        render_person("Anna", {}, None, [bad])
    (bad / "person.md.j2").write_text("{{ nope }}")
    with pytest.raises(CrmError, match=r"person\.md\.j2"):
        render_person("Anna", {}, None, [bad])


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_safe_filename_never_leaves_the_folder(name):
    try:
        safe = safe_filename(name)
    except UsageError:
        return
    assert safe and not safe.startswith((".", " ")) and not safe.endswith((".", " "))
    assert not set(safe) & set('/\\:*?"<>|')
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in safe)
    assert len(safe.encode("utf-8")) <= 200
    assert safe.split(".")[0].casefold() not in RESERVED_NAMES
    folder = Path("/vault/People")
    assert os.path.normpath(folder / f"{safe}.md").startswith("/vault/People/")
