"""`crm merge-driver`: git's own merge first, then only the conflicts that provably are none.

Each case writes the three versions of a note as git hands them to a merge driver (%O, %A,
%B), runs the driver through the CLI, and reads what it left in %A. The conflicts it must
not resolve are compared byte for byte with what real `git merge-file` leaves.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plaintextcrm.cli import cli

NOTE = """---
name: Anna Rossi
tags: [friend, turin]
circle: close
---
# Anna

## Log
- 2026-09-12 lunch, she got the job at Acme
- 2026-10-01 coffee in Turin

## Follow-ups
- [ ] 2026-12-01 send her the book
- [ ] 2026-12-10 ask about the flat

## Notes
Likes hiking.
"""


def edit(text: str, *changes: tuple[str, str]) -> str:
    """`text` with each (old, new) replaced once; the old text must be there."""
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def driver(tmp_path: Path, base: str | bytes, ours: str | bytes, theirs: str | bytes, *extra):
    """Run `crm merge-driver` as git would: returns (exit code, %A afterwards, stderr)."""
    paths = []
    for name, content in (("O", base), ("A", ours), ("B", theirs)):
        path = tmp_path / f".merge_file_{name}"
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        paths.append(str(path))
    result = CliRunner().invoke(
        cli, ["merge-driver", *extra, *paths, "People/Anna Rossi.md"], catch_exceptions=False
    )
    return result.exit_code, Path(paths[1]).read_bytes(), result.stderr


def git_merge_file(tmp_path: Path, base: bytes, ours: bytes, theirs: bytes, *options: str):
    """What git's own merge leaves, with the driver's labels."""
    folder = tmp_path / "git"
    folder.mkdir(exist_ok=True)
    for name, content in (("ours", ours), ("base", base), ("theirs", theirs)):
        (folder / name).write_bytes(content)
    proc = subprocess.run(
        ["git", "merge-file", "-p", *options, "-L", "ours", "-L", "base", "-L", "theirs",
         "ours", "base", "theirs"],
        cwd=folder, capture_output=True, check=False,
    )  # fmt: skip
    return proc.stdout, proc.returncode


# --- the body: dated items and tasks --------------------------------------------------------


def test_log_lines_added_on_both_sides_merge_in_date_order(tmp_path):
    ours = edit(NOTE, ("in Turin\n", "in Turin\n- 2026-11-23 call about the move\n"))
    theirs = edit(NOTE, ("in Turin\n", "in Turin\n- 2026-11-20 dinner at hers #got\n"))
    git, conflicts = git_merge_file(tmp_path, *(t.encode() for t in (NOTE, ours, theirs)))
    assert conflicts == 1 and b"<<<<<<<" in git  # what the driver saves the user from
    code, merged, stderr = driver(tmp_path, NOTE, ours, theirs)
    assert code == 0
    assert merged.decode() == edit(
        NOTE,
        (
            "in Turin\n",
            "in Turin\n- 2026-11-20 dinner at hers #got\n- 2026-11-23 call about the move\n",
        ),
    )
    assert "People/Anna Rossi.md: resolved 1 conflicting hunk" in stderr


def test_a_newest_first_log_stays_newest_first(tmp_path):
    base = "## Log\n- 2026-10-01 coffee\n- 2026-09-12 lunch\n"
    ours = "## Log\n- 2026-11-20 dinner\n- 2026-10-01 coffee\n- 2026-09-12 lunch\n"
    theirs = "## Log\n- 2026-11-23 call\n- 2026-10-01 coffee\n- 2026-09-12 lunch\n"
    code, merged, _ = driver(tmp_path, base, ours, theirs)
    assert code == 0
    assert merged.decode() == (
        "## Log\n- 2026-11-23 call\n- 2026-11-20 dinner\n- 2026-10-01 coffee\n- 2026-09-12 lunch\n"
    )


def test_identical_lines_added_on_both_sides_appear_once(tmp_path):
    same = "- 2026-11-23 call about the move\n"
    ours = edit(NOTE, ("in Turin\n", f"in Turin\n{same}- 2026-11-24 texted\n"))
    theirs = edit(NOTE, ("in Turin\n", f"in Turin\n- 2026-11-22 email\n{same}"))
    code, merged, _ = driver(tmp_path, NOTE, ours, theirs)
    assert code == 0
    assert merged.decode() == edit(
        NOTE, ("in Turin\n", f"in Turin\n- 2026-11-22 email\n{same}- 2026-11-24 texted\n")
    )


def test_a_follow_up_task_stays_with_its_log_line(tmp_path):
    """`crm log --next` adds an item and a task; the other side logged on an earlier day."""
    base = "## Log\n- 2026-10-01 coffee\n"
    ours = base + "- 2026-11-23 call\n- [ ] 2026-12-07 follow up: call\n"
    theirs = base + "- 2026-11-20 dinner\n"
    code, merged, _ = driver(tmp_path, base, ours, theirs)
    assert code == 0
    assert merged.decode() == base + (
        "- 2026-11-20 dinner\n- 2026-11-23 call\n- [ ] 2026-12-07 follow up: call\n"
    )


def test_a_task_ticked_on_one_side_next_to_a_task_added_on_the_other(tmp_path):
    ours = edit(NOTE, ("- [ ] 2026-12-10 ask", "- [x] 2026-12-10 ask"))
    theirs = edit(NOTE, ("the flat\n", "the flat\n- [ ] 2027-01-15 visit her in Turin\n"))
    code, merged, _ = driver(tmp_path, NOTE, ours, theirs)
    assert code == 0
    assert merged.decode() == edit(
        NOTE,
        ("- [ ] 2026-12-10 ask", "- [x] 2026-12-10 ask"),
        ("the flat\n", "the flat\n- [ ] 2027-01-15 visit her in Turin\n"),
    )


def test_neighbouring_tasks_ticked_on_each_side_with_tasks_stamps(tmp_path):
    base = "- [ ] call Anna 📅 2026-12-01\n- [ ] call Bo 📅 2026-12-02\n"
    ours = "- [x] call Anna 📅 2026-12-01 ✅ 2026-11-23\n- [ ] call Bo 📅 2026-12-02\n"
    theirs = "- [ ] call Anna 📅 2026-12-01\n- [-] call Bo 📅 2026-12-02\n"
    code, merged, _ = driver(tmp_path, base, ours, theirs)
    assert code == 0
    assert merged.decode() == (
        "- [x] call Anna 📅 2026-12-01 ✅ 2026-11-23\n- [-] call Bo 📅 2026-12-02\n"
    )


def test_both_sides_create_the_log_section(tmp_path):
    """`crm log` on a note without `## Log` adds the heading; both sides did."""
    base = "# Bo\nMet at the climbing gym.\n"
    ours = base + "\n## Log\n\n- 2026-11-23 climbing\n"
    theirs = base + "\n## Log\n\n- 2026-11-21 coffee #gave\n"
    code, merged, _ = driver(tmp_path, base, ours, theirs)
    assert code == 0
    assert (
        merged.decode() == base + "\n## Log\n\n- 2026-11-21 coffee #gave\n- 2026-11-23 climbing\n"
    )


def test_a_new_section_on_one_side_and_a_task_on_the_other(tmp_path):
    base = "# Bo\nMet at the climbing gym.\n"
    ours = base + "\n## Log\n\n- 2026-11-23 climbing\n"
    theirs = base + "- [ ] 2026-12-01 lend Bo the rope\n"
    code, merged, _ = driver(tmp_path, base, ours, theirs)
    assert code == 0
    assert merged.decode() == (
        base + "- [ ] 2026-12-01 lend Bo the rope\n\n## Log\n\n- 2026-11-23 climbing\n"
    )


def test_sub_items_travel_with_their_item(tmp_path):
    base = "## Log\n- 2026-10-01 coffee\n"
    ours = base + "- 2026-11-23 call\n  - she moves in January\n  - [[Bo]] helps\n"
    theirs = base + "- 2026-11-20 dinner\n"
    code, merged, _ = driver(tmp_path, base, ours, theirs)
    assert code == 0
    assert merged.decode() == base + (
        "- 2026-11-20 dinner\n- 2026-11-23 call\n  - she moves in January\n  - [[Bo]] helps\n"
    )


# --- the front matter ------------------------------------------------------------------------


def test_tags_added_on_both_sides_to_a_flow_list(tmp_path):
    ours = edit(NOTE, ("[friend, turin]", "[friend, turin, climbing]"))
    theirs = edit(NOTE, ("[friend, turin]", '[friend, turin, "book club", climbing]'))
    code, merged, _ = driver(tmp_path, NOTE, ours, theirs)
    assert code == 0
    assert merged.decode() == edit(
        NOTE, ("[friend, turin]", '[friend, turin, climbing, "book club"]')
    )


def test_items_added_on_both_sides_to_a_block_list(tmp_path):
    base = "---\nemails:\n  - anna@example.org\ncircle: close\n---\n"
    ours = "---\nemails:\n  - anna@example.org\n  - anna@acme.example\ncircle: close\n---\n"
    theirs = "---\nemails:\n  - anna@example.org\n  - 'a.rossi@example.net'\ncircle: close\n---\n"
    code, merged, _ = driver(tmp_path, base, ours, theirs)
    assert code == 0
    assert merged.decode() == (
        "---\nemails:\n  - anna@example.org\n  - anna@acme.example\n"
        "  - 'a.rossi@example.net'\ncircle: close\n---\n"
    )


def test_fields_changed_on_one_side_each(tmp_path):
    """`crm snooze` on one side, a new tag on the other, on neighbouring lines."""
    base = "---\ntags: [friend]\ncircle: close\n---\n"
    ours = "---\ntags: [friend]\ncircle: close\nsnooze: 2026-12-23\n---\n"
    theirs = "---\ntags: [friend, climbing]\ncircle: inner\n---\n"
    code, merged, _ = driver(tmp_path, base, ours, theirs)
    assert code == 0
    assert (
        merged.decode() == "---\ntags: [friend, climbing]\ncircle: inner\nsnooze: 2026-12-23\n---\n"
    )


def test_a_new_item_under_a_list_and_a_new_field_after_it(tmp_path):
    base = "---\ntags:\n  - friend\n---\n"
    ours = "---\ntags:\n  - friend\nsnooze: 2026-12-23\n---\n"
    theirs = "---\ntags:\n  - friend\n  - climbing\n---\n"
    code, merged, _ = driver(tmp_path, base, ours, theirs)
    assert code == 0
    assert merged.decode() == "---\ntags:\n  - friend\n  - climbing\nsnooze: 2026-12-23\n---\n"


# --- what stays a conflict, exactly as git leaves it -------------------------------------------


CONFLICTS = {
    "a field changed differently on both sides": (
        ("circle: close", "circle: inner"),
        ("circle: close", "circle: network"),
    ),
    "the same new field with two values": (
        ("circle: close\n", "circle: close\nsnooze: 2026-12-23\n"),
        ("circle: close\n", "circle: close\nsnooze: 2027-01-23\n"),
    ),
    "a tag removed on one side": (
        ("[friend, turin]", "[friend]"),
        ("[friend, turin]", "[friend, turin, climbing]"),
    ),
    "prose added on both sides": (
        ("Likes hiking.\n", "Likes hiking.\nAnd climbing.\n"),
        ("Likes hiking.\n", "Likes hiking.\nHates running.\n"),
    ),
    "a log line edited on one side": (
        ("- 2026-10-01 coffee in Turin\n", "- 2026-10-01 coffee in Turin (rainy)\n"),
        ("in Turin\n", "in Turin\n- 2026-11-20 dinner\n"),
    ),
    "a log line deleted on one side": (
        ("- 2026-10-01 coffee in Turin\n", ""),
        ("in Turin\n", "in Turin\n- 2026-11-20 dinner\n"),
    ),
    "a task ticked on both sides, differently": (
        ("- [ ] 2026-12-01 send", "- [x] 2026-12-01 send"),
        ("- [ ] 2026-12-01 send", "- [-] 2026-12-01 send"),
    ),
    "a task ticked and reworded": (
        ("- [ ] 2026-12-10 ask about the flat", "- [x] 2026-12-10 ask about the house"),
        ("the flat\n", "the flat\n- [ ] 2027-01-15 visit\n"),
    ),
    "plain list items without a date": (
        ("in Turin\n", "in Turin\n- likes jazz\n"),
        ("in Turin\n", "in Turin\n- likes opera\n"),
    ),
}


@pytest.mark.parametrize("case", sorted(CONFLICTS))
def test_what_the_rules_do_not_cover_is_git_s_own_conflict(tmp_path, case):
    ours_change, theirs_change = CONFLICTS[case]
    ours, theirs = edit(NOTE, ours_change), edit(NOTE, theirs_change)
    code, merged, _ = driver(tmp_path, NOTE, ours, theirs)
    git, conflicts = git_merge_file(tmp_path, *(t.encode() for t in (NOTE, ours, theirs)))
    assert conflicts >= 1
    assert code == 1
    assert merged == git


def test_log_lines_inside_a_code_block_are_code(tmp_path):
    base = "```\n- 2026-10-01 coffee\n```\n"
    ours = "```\n- 2026-10-01 coffee\n- 2026-11-23 call\n```\n"
    theirs = "```\n- 2026-10-01 coffee\n- 2026-11-20 dinner\n```\n"
    code, merged, _ = driver(tmp_path, base, ours, theirs)
    assert code == 1
    assert merged == git_merge_file(tmp_path, base.encode(), ours.encode(), theirs.encode())[0]


def test_resolved_and_unresolved_conflicts_in_one_note(tmp_path):
    """The log merges; the field changed on both sides stays git's conflict, and the
    driver exits 1 so that git reports it."""
    ours = edit(
        NOTE, ("circle: close", "circle: inner"), ("in Turin\n", "in Turin\n- 2026-11-23 call\n")
    )
    theirs = edit(
        NOTE, ("circle: close", "circle: outer"), ("in Turin\n", "in Turin\n- 2026-11-20 dinner\n")
    )
    code, merged, stderr = driver(tmp_path, NOTE, ours, theirs)
    assert code == 1
    assert merged.decode() == edit(
        NOTE,
        (
            "circle: close\n",
            "<<<<<<< ours\ncircle: inner\n=======\ncircle: outer\n>>>>>>> theirs\n",
        ),
        ("in Turin\n", "in Turin\n- 2026-11-20 dinner\n- 2026-11-23 call\n"),
    )
    assert "resolved 1 conflicting hunk; 1 conflict left for you" in stderr


def test_the_clone_s_conflict_style_and_marker_size_are_kept(tmp_path, monkeypatch):
    """A clone with `merge.conflictStyle = diff3` gets diff3 conflicts, as from git; a
    `conflict-marker-size` attribute (git's %L) sets the markers' length."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "merge.conflictStyle", "diff3"], check=True)
    monkeypatch.chdir(repo)  # git runs the driver at the top of the work tree
    ours = edit(
        NOTE, ("circle: close", "circle: inner"), ("in Turin\n", "in Turin\n- 2026-11-23 a\n")
    )
    theirs = edit(
        NOTE, ("circle: close", "circle: outer"), ("in Turin\n", "in Turin\n- 2026-11-20 b\n")
    )
    code, merged, _ = driver(tmp_path, NOTE, ours, theirs, "--marker-size", "9")
    assert code == 1
    assert merged.decode() == edit(
        NOTE,
        (
            "circle: close\n",
            "<<<<<<<<< ours\ncircle: inner\n||||||||| base\ncircle: close\n=========\n"
            "circle: outer\n>>>>>>>>> theirs\n",
        ),
        ("in Turin\n", "in Turin\n- 2026-11-20 b\n- 2026-11-23 a\n"),
    )


# --- bytes --------------------------------------------------------------------------------------


def test_crlf_and_bom_are_kept(tmp_path):
    def crlf(text: str) -> bytes:
        return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()

    ours = edit(
        NOTE,
        ("in Turin\n", "in Turin\n- 2026-11-23 call\n"),
        ("[friend, turin]", "[friend, turin, a]"),
    )
    theirs = edit(
        NOTE,
        ("in Turin\n", "in Turin\n- 2026-11-20 dinner\n"),
        ("[friend, turin]", "[friend, turin, b]"),
    )
    code, merged, _ = driver(tmp_path, crlf(NOTE), crlf(ours), crlf(theirs))
    assert code == 0
    assert merged == crlf(
        edit(
            NOTE,
            ("in Turin\n", "in Turin\n- 2026-11-20 dinner\n- 2026-11-23 call\n"),
            ("[friend, turin]", "[friend, turin, a, b]"),
        )
    )


def test_a_note_without_a_final_newline_keeps_it_so(tmp_path):
    """The writer keeps a missing final newline; git adds one to show its markers, which
    must not glue two lines together or stay behind."""
    base = "## Log\n- 2026-10-01 coffee"
    code, merged, _ = driver(
        tmp_path, base, base + "\n- 2026-11-23 call", base + "\n- 2026-11-20 dinner"
    )
    assert code == 0
    assert merged.decode() == base + "\n- 2026-11-20 dinner\n- 2026-11-23 call"


def test_lines_that_look_like_conflict_markers(tmp_path):
    """A setext heading underline `=======` and a quoted `>>>>>>>` are note lines, not
    markers: the driver reads git's output with longer markers than any line has."""
    base = "Anna\n=======\n\n>>>>>>> quoted\n\n## Log\n- 2026-10-01 coffee\n"
    ours = base + "- 2026-11-23 call\n"
    theirs = base + "- 2026-11-20 dinner\n"
    code, merged, _ = driver(tmp_path, base, ours, theirs)
    assert code == 0
    assert merged.decode() == base + "- 2026-11-20 dinner\n- 2026-11-23 call\n"


def test_a_note_that_is_not_utf8_gets_git_s_merge(tmp_path):
    base = "## Log\n- 2026-10-01 caf\xe9\n".encode("latin-1")
    ours, theirs = base + b"- 2026-11-23 call\n", base + b"- 2026-11-20 dinner\n"
    code, merged, _ = driver(tmp_path, base, ours, theirs)
    assert code == 1
    assert merged == git_merge_file(tmp_path, base, ours, theirs)[0]


def test_a_clean_merge_is_git_s(tmp_path):
    ours = edit(NOTE, ("circle: close", "circle: inner"))
    theirs = edit(NOTE, ("Likes hiking.", "Likes hiking and climbing."))
    code, merged, stderr = driver(tmp_path, NOTE, ours, theirs)
    assert code == 0 and stderr == ""
    assert merged == git_merge_file(tmp_path, *(t.encode() for t in (NOTE, ours, theirs)))[0]


def test_a_binary_file_is_left_as_ours_and_conflicted(tmp_path):
    code, merged, stderr = driver(tmp_path, b"\x00base", b"\x00ours", b"\x00theirs")
    assert code == 1
    assert merged == b"\x00ours"
    assert "git merge-file failed" in stderr


# --- any pair of hand edits --------------------------------------------------------------------

POOL = [
    "---", "tags: [a, b]", "circle: close", "snooze: 2026-12-01", "aliases:", "  - Annie",
    "# Anna", "## Log", "## Follow-ups", "", "Likes hiking.", "```", "> - 2026-10-03 quoted",
    "- 2026-10-01 coffee", "- 2026-11-20 dinner #got", "* 2026-11-23 call", "- plain item",
    "- [ ] 2026-12-01 send the book", "- [x] 2026-12-01 send the book", "- [ ] undated task",
    "  - sub item", "- 2026-02-30 impossible", "1. 2026-10-05 ordered",
]  # fmt: skip
BASE_NOTE = [
    "---", "tags: [a, b]", "circle: close", "---", "# Anna", "", "## Log",
    "- 2026-10-01 coffee", "- 2026-11-20 dinner #got", "", "## Follow-ups",
    "- [ ] 2026-12-01 send the book", "- [ ] undated task", "", "Likes hiking.",
]  # fmt: skip


@st.composite
def hand_edits(draw, lines: list[str]) -> list[str]:
    lines = list(lines)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(lines)))
        kind = draw(st.sampled_from(["insert", "insert", "delete", "replace", "tick"]))
        if kind == "insert" or where == len(lines):
            lines.insert(where, draw(st.sampled_from(POOL)))
        elif kind == "delete":
            del lines[where]
        elif kind == "replace":
            lines[where] = draw(st.sampled_from(POOL))
        else:
            lines[where] = lines[where].replace("[ ]", "[x]", 1)
    return lines


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), crlf=st.booleans(), final_newline=st.booleans())
def test_any_two_hand_edits_never_lose_a_line(tmp_path, data, crlf, final_newline):
    """Whatever both sides did, the driver never fails, keeps every line either side
    added, leaves no marker when it says the merge is clean, and leaves git's own bytes
    when it resolves nothing."""
    newline = "\r\n" if crlf else "\n"

    def note(lines: list[str]) -> bytes:
        return (newline.join(lines) + (newline if final_newline else "")).encode()

    base = note(BASE_NOTE)
    ours = note(data.draw(hand_edits(BASE_NOTE)))
    theirs = note(data.draw(hand_edits(BASE_NOTE)))
    code, merged, stderr = driver(tmp_path, base, ours, theirs)
    git, conflicts = git_merge_file(tmp_path, base, ours, theirs)
    lines = Counter(merged.splitlines())
    added = (Counter(ours.splitlines()) - Counter(base.splitlines())) | (
        Counter(theirs.splitlines()) - Counter(base.splitlines())
    )
    assert not added - lines
    assert code == (0 if b"<<<<<<< ours" not in merged else 1)
    if code == 0:
        assert not any(line.startswith((b"<<<<<<<", b">>>>>>>")) for line in lines)
    if "resolved" not in stderr:
        assert merged == git and code == (1 if conflicts else 0)
