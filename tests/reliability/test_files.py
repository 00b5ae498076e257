"""BAD_INPUTS cases 1-13 (files and the file system), read side.

Writing-side halves of cases 3, 4 and 10 live in test_writing.py.
"""

from __future__ import annotations

import json
import os
import unicodedata

import pytest

from plaintextcrm import snapshot as snapshot_module
from plaintextcrm.load import load_index
from tests.conftest import TODAY

from .helpers import assert_clean_exit, snapshot

ANNA = "---\nname: Anna Rossi\nbirthday: 1990-11-30\ncadence: 2w\n---\n# Anna\n\n## Log\n- 2026-11-01 coffee\n"
GOOD = {"People/Anna Rossi.md": ANNA}


def test_case_01_latin1_note_is_an_error_with_the_line_and_skipped(vault, read_all):
    bad = "---\nname: Jos\xe9\n---\n- 2026-11-01 caf\xe9\n".encode("latin-1")
    root = vault({**GOOD, "People/José.md": bad})
    run = read_all(root)
    [problem] = run.about("People/José.md")
    assert (problem.level, problem.line) == ("error", 2)
    assert "UTF-8" in problem.message
    assert run.names() == ["Anna Rossi"]


def test_case_02_bom_before_front_matter_is_parsed(vault, read_all):
    root = vault(
        {"People/Anna Rossi.md": b"\xef\xbb\xbf" + ANNA.replace("Anna Rossi", "Anna B").encode()}
    )
    run = read_all(root)
    assert run.problems == []
    [anna] = run.contacts
    assert (anna["name"], anna["birthday"], anna["last_contact"]) == (
        "Anna B",
        "1990-11-30",
        "2026-11-01",
    )


@pytest.mark.parametrize("eol", ["\r\n", "mixed"])
def test_case_03_crlf_and_mixed_line_endings_are_parsed(vault, read_all, eol):
    lines = ANNA.split("\n")
    if eol == "mixed":
        text = "".join(line + ("\r\n" if i % 2 else "\n") for i, line in enumerate(lines[:-1]))
    else:
        text = "\r\n".join(lines)
    root = vault({"People/Anna Rossi.md": text.encode()})
    run = read_all(root)
    assert run.problems == []
    [anna] = run.contacts
    assert (anna["name"], anna["birthday"], anna["last_contact"]) == (
        "Anna Rossi",
        "1990-11-30",
        "2026-11-01",
    )


def test_case_04_no_trailing_newline_is_parsed(vault, read_all):
    root = vault(
        {"People/Anna Rossi.md": ANNA.rstrip("\n"), "People/B.md": "- [ ] 2026-11-20 call"}
    )
    run = read_all(root)
    assert run.problems == []
    assert {c["name"]: c["last_contact"] for c in run.contacts} == {
        "Anna Rossi": "2026-11-01",
        "B": None,
    }
    assert [(r["contact"], r["line"]) for r in run.due if r["kind"] == "followup"] == [("B", 1)]


@pytest.mark.parametrize(
    ("content", "warning"),
    [
        ("", False),
        ("---", True),
        ("---\n", True),
        ("---\nname: Not read\n- 2026-11-02 call\n", True),
    ],
    ids=["empty", "only-dashes", "only-dashes-newline", "never-closed"],
)
def test_case_05_empty_or_unclosed_front_matter_is_body_only(vault, read_all, content, warning):
    root = vault({**GOOD, "People/B.md": content})
    run = read_all(root)
    problems = run.about("People/B.md")
    if warning:
        [problem] = problems
        assert (problem.level, problem.line) == ("warning", 1)
        assert "never closed" in problem.message
    else:
        assert problems == []
    contacts = {c["name"]: c for c in run.contacts}
    assert set(contacts) == {"Anna Rossi", "B"}  # the name in an unclosed block is body
    if "2026-11-02" in content:
        assert contacts["B"]["last_contact"] == "2026-11-02"


def test_case_06_binary_md_is_an_error_and_never_parsed(vault, read_all):
    root = vault({**GOOD, "People/Photo.md": b"---\nname: X\n---\n\x89PNG\x00\x00\x1a\n\xff\xfe"})
    run = read_all(root)
    [problem] = run.about("People/Photo.md")
    assert problem.level == "error" and "binary" in problem.message and problem.line == 4
    assert run.names() == ["Anna Rossi"]


def test_case_08_outside_symlink_loop_and_deep_nesting(vault, read_all, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Secret.md").write_text("---\ntype: person\n---\n")
    root = vault(GOOD)
    (root / "People" / "Secret.md").symlink_to(outside / "Secret.md")
    (root / "People" / "elsewhere").symlink_to(outside, target_is_directory=True)
    (root / "People" / "loop").symlink_to(root / "People", target_is_directory=True)
    (root / "self").symlink_to(root / "self")  # a link to itself: ELOOP on stat
    deep = root / "People" / os.path.join(*["d"] * 200)
    deep.mkdir(parents=True)
    (deep / "Deep Person.md").write_text("- 2026-11-03 met deep down\n")
    run = read_all(root)
    assert run.names() == ["Anna Rossi", "Deep Person"]
    warnings = {(p.path, p.level) for p in run.problems}
    assert warnings == {
        ("People/Secret.md", "warning"),
        ("People/elsewhere", "warning"),
        ("People/loop", "warning"),
        ("self", "warning"),
    }


def test_case_09_note_vanishes_between_listing_and_reading(vault, monkeypatch):
    root = vault({**GOOD, "People/Gone.md": "- 2026-11-01 x\n", "People/Moved.md": "x\n"})
    real = snapshot_module.list_notes

    def listing_then_sync(*args, **kwargs):
        files, problems = real(*args, **kwargs)
        (root / "People" / "Gone.md").unlink()
        (root / "People" / "Moved.md").rename(root / "People" / "Renamed.md")
        return files, problems

    monkeypatch.setattr(snapshot_module, "list_notes", listing_then_sync)
    index = load_index(root, TODAY)
    assert [c.name for c in index.contacts] == ["Anna Rossi"]
    assert index.problems == ()


def test_case_09_folder_vanishes_during_the_walk(vault, crm, monkeypatch):
    root = vault({**GOOD, "Daily/2026-11-01.md": "[[Anna Rossi]]\n"})
    before = snapshot(root)
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("Daily"):
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return real_scandir(path)

    with monkeypatch.context() as patch:
        patch.setattr(os, "scandir", scandir)
        check = crm(root, "check", "--json")
        listed = crm(root, "list", "--json")
    assert_clean_exit(check)
    assert_clean_exit(listed)
    assert json.loads(check.stdout) == []
    assert [c["name"] for c in json.loads(listed.stdout)] == ["Anna Rossi"]
    assert snapshot(root) == before


HIDDEN = {
    ".git/People/G.md": "---\ntype: person\n---\n",
    ".obsidian/People/O.md": "---\ntype: person\n---\n",
    ".trash/People/T.md": "---\ntype: person\n---\n",
    ".crm/People/C.md": "---\ntype: person\n---\n",
    "People/.#Anna Rossi.md": b"\xff\xfe lock",
    "People/Anna Rossi.md~": b"\xff backup",
    "People/.Anna Rossi.md.swp": b"\x00\x01 swap",
    "People/.syncthing.Anna Rossi.md.tmp": b"\xff partial",
    "People/.Anna Rossi.md.icloud": b"bplist00\x00",
    "People/#Anna Rossi.md#": b"\xff emacs autosave",
}


def test_case_11_hidden_folders_and_editor_temp_files_are_never_read(vault, read_all):
    root = vault({**GOOD, **HIDDEN})
    run = read_all(root)
    assert run.names() == ["Anna Rossi"]
    assert run.problems == []


@pytest.mark.parametrize(
    "copy",
    [
        "Anna Rossi (conflict 2026-11-02).md",
        "Anna Rossi.sync-conflict-20261102-101010-ABC1234.md",
        "Anna Rossi (Anna's conflicted copy 2026-11-02).md",
    ],
)
def test_case_12_sync_conflict_copies_are_indexed_and_flagged(vault, read_all, copy):
    root = vault({**GOOD, f"People/{copy}": ANNA.replace("name: Anna Rossi\n", "")})
    run = read_all(root)
    assert len(run.contacts) == 2
    warnings = [p for p in run.about(f"People/{copy}") if p.level == "warning"]
    assert any("looks like a sync conflict copy of `Anna Rossi.md`" in p.message for p in warnings)


@pytest.mark.parametrize("file_form", ["NFC", "NFD"])
def test_case_13_nfc_and_nfd_names_are_the_same(vault, crm, read_all, file_form):
    name = "Nicolò Zoë"
    on_disk = unicodedata.normalize(file_form, name)
    other = unicodedata.normalize("NFD" if file_form == "NFC" else "NFC", name)
    root = vault(
        {
            f"People/{on_disk}.md": "- 2026-10-01 lunch\n",
            "Daily/2026-11-05.md": f"Call with [[{other}]].\n",
            "Daily/2026-11-06.md": f"- 2026-11-06 with [[{on_disk}]]\n",
        }
    )
    run = read_all(root)
    [contact] = run.contacts
    assert unicodedata.normalize("NFC", contact["name"]) == name
    assert contact["last_contact"] == "2026-11-06"
    for form in ("NFC", "NFD"):
        result = crm(root, "show", unicodedata.normalize(form, name), "--json")
        assert result.exit_code == 0, result.output
    assert crm(root, "show", "nicolo zoe").exit_code == 0
