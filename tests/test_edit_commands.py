"""The writing commands through the CLI: what they write, and what they refuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TODAY

from plaintextcrm.config import parse_config
from plaintextcrm.load import load_index
from plaintextcrm.parse import parse_note

ANNA = """\
---
name: Anna Rossi
aliases: [Annie]
circle: close   # sister
tags: [person]
---
Notes.

## Log

- 2026-10-01: coffee
- 2026-11-02: lunch #got
"""

NICOLO = "---\nname: Nicolò Bianchi\n---\n\n- [ ] 2026-12-01 call about the move\n- [ ] send book 📅 2026-12-05\n"


@pytest.fixture
def people(vault):
    return vault(
        {
            "People/Anna Rossi.md": ANNA,
            "People/Nicolò Bianchi.md": NICOLO,
            "People/Annabel Lee.md": "---\nname: Annabel Lee\n---\n",
            "Daily/2026-11-20.md": "- [ ] ask [[Anna Rossi]] about Rome\n",
        }
    )


def read(root: Path, rel: str) -> str:
    return (root / rel).read_bytes().decode()


def contact(root: Path, name: str):
    index = load_index(root, TODAY)
    return next(c for c in index.contacts if c.name == name)


def test_log_adds_one_line_in_order_and_style(people, crm):
    result = crm(people, "log", "annie", "walk in the park", "--gave")
    assert result.exit_code == 0, result.output
    assert result.output == "People/Anna Rossi.md:13: - 2026-11-23: walk in the park #gave\n"
    assert read(people, "People/Anna Rossi.md") == ANNA + "- 2026-11-23: walk in the park #gave\n"
    anna = contact(people, "Anna Rossi")
    assert anna.interactions[-1].text == "walk in the park #gave" and anna.gave == 1


def test_log_with_date_got_and_next(people, crm):
    result = crm(
        people, "log", "Anna Rossi", "dinner", "--date", "2026-10-15", "--got", "--next", "2w"
    )
    assert result.exit_code == 0, result.output
    lines = read(people, "People/Anna Rossi.md").splitlines()
    assert lines[10:14] == [
        "- 2026-10-01: coffee",
        "- 2026-10-15: dinner #got",
        "- 2026-11-02: lunch #got",
        "- [ ] 2026-12-07 follow up: dinner",
    ]
    anna = contact(people, "Anna Rossi")
    assert [t.due.isoformat() for t in anna.tasks if t.path == "People/Anna Rossi.md"] == [
        "2026-12-07"
    ]


def test_log_creates_the_heading_when_missing(people, crm):
    assert crm(people, "log", "annabel", "met").exit_code == 0
    assert read(people, "People/Annabel Lee.md") == (
        "---\nname: Annabel Lee\n---\n\n## Log\n\n- 2026-11-23 met\n"
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["log", "Anna Rossi", "x", "--gave", "--got"], 2, "cannot be used together"),
        (["log", "Anna Rossi", "x", "--date", "2026-02-30"], 2, "no such day"),
        (["log", "Anna Rossi", "x", "--next", "soon"], 2, "--next"),
        (["log", "Anna Rossi", "  "], 2, "missing TEXT"),
        (["log", "Anna Rossi", "a\x07b"], 2, "control characters"),
        (["log", "ann", "x"], 2, "matches several contacts"),
        (["log", "Zed", "x"], 1, "no contact named"),
        (["log", "", "x"], 2, "empty"),
        (["todo", "Anna Rossi", "x", "--due", "the day after"], 2, "--due"),
        (["snooze", "Anna Rossi", "later"], 2, "WHEN"),
    ],
)
def test_bad_arguments_change_nothing(people, crm, args, code, message):
    before = {p: p.read_bytes() for p in people.rglob("*.md")}
    result = crm(people, *args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert result.output.count("crm: error:") == 1
    assert {p: p.read_bytes() for p in people.rglob("*.md")} == before


def test_lookup_folds_accents_and_lists_ambiguous_candidates(people, crm):
    assert crm(people, "snooze", "nicolo", "2027-01-10").exit_code == 0
    assert "snooze: 2027-01-10" in read(people, "People/Nicolò Bianchi.md")
    result = crm(people, "snooze", "Ann", "1m")
    assert result.exit_code == 2
    assert "Anna Rossi (People/Anna Rossi.md)" in result.output
    assert "Annabel Lee (People/Annabel Lee.md)" in result.output
    result = crm(people, "snooze", "Anan Rossi", "1m")
    assert result.exit_code == 1 and "did you mean Anna Rossi" in result.output


def test_todo_uses_the_notes_task_style(people, crm):
    result = crm(people, "todo", "nicolo", "bring wine", "--due", "2026-12-24")
    assert result.exit_code == 0, result.output
    assert read(people, "People/Nicolò Bianchi.md") == NICOLO + "- [ ] 2026-12-24 bring wine\n"
    assert crm(people, "todo", "Anna Rossi", "call back", "--due", "3d").exit_code == 0
    assert read(people, "People/Anna Rossi.md").endswith("- [ ] 2026-11-26 call back\n")


def test_todo_in_obsidian_tasks_vault(people, crm):
    (people / ".obsidian" / "plugins" / "obsidian-tasks-plugin").mkdir(parents=True)
    assert crm(people, "todo", "Annabel", "write", "--due", "1w").exit_code == 0
    assert read(people, "People/Annabel Lee.md").endswith("---\n- [ ] write 📅 2026-11-30\n")
    result = crm(people, "done", "Annabel")
    assert result.exit_code == 0, result.output
    assert read(people, "People/Annabel Lee.md").endswith(
        "- [x] write 📅 2026-11-30 ✅ 2026-11-23\n"
    )


def test_done_by_match_only_and_ambiguous(people, crm):
    result = crm(people, "done", "nicolo")
    assert result.exit_code == 2
    assert "call about the move" in result.output and "send book" in result.output
    result = crm(people, "done", "nicolo", "BOOK")
    assert result.exit_code == 0, result.output
    assert (
        result.output == "People/Nicolò Bianchi.md:6: - [x] send book 📅 2026-12-05 ✅ 2026-11-23\n"
    )
    result = crm(people, "done", "nicolo")
    assert result.exit_code == 0
    assert "- [x] 2026-12-01 call about the move ✅ 2026-11-23\n" in read(
        people, "People/Nicolò Bianchi.md"
    )
    result = crm(people, "done", "nicolo")
    assert result.exit_code == 1 and "no open tasks" in result.output
    result = crm(people, "done", "Anna Rossi", "zzz")
    assert result.exit_code == 1 and "about Rome (Daily/2026-11-20.md:1)" in result.output


def test_done_edits_the_note_that_holds_the_task(people, crm):
    result = crm(people, "done", "Anna Rossi", "rome")
    assert result.exit_code == 0, result.output
    assert read(people, "Daily/2026-11-20.md") == "- [x] ask [[Anna Rossi]] about Rome\n"


def test_snooze_replaces_or_adds_the_key(people, crm):
    assert crm(people, "snooze", "Anna Rossi", "1m").exit_code == 0
    assert read(people, "People/Anna Rossi.md") == ANNA.replace(
        "tags: [person]\n", "tags: [person]\nsnooze: 2026-12-23\n"
    )
    result = crm(people, "snooze", "Anna Rossi", "2027-03-01")
    assert result.output == "People/Anna Rossi.md:6: snooze: 2027-03-01\n"
    assert contact(people, "Anna Rossi").fields.snooze.isoformat() == "2027-03-01"
    result = crm(people, "snooze", "Anna Rossi", "2027-03-01")
    assert result.exit_code == 0 and "already snoozed" in result.output


def test_read_only_note_exit_1(people, crm):
    note = people / "People" / "Anna Rossi.md"
    note.chmod(0o444)
    result = crm(people, "log", "Anna Rossi", "x")
    assert result.exit_code == 1
    assert "cannot write People/Anna Rossi.md: permission denied" in result.output
    assert note.read_text() == ANNA


def test_front_matter_it_cannot_edit_is_refused(vault, crm):
    root = vault({"People/Flow.md": "---\n{name: Flow}\n---\n"})
    result = crm(root, "snooze", "Flow", "1w")
    assert result.exit_code == 1 and "{...}" in result.output
    assert (root / "People/Flow.md").read_text() == "---\n{name: Flow}\n---\n"


def test_new_renders_the_template_and_never_overwrites(people, crm):
    result = crm(
        people, "new", "Zoë Martin", "--circle", "close", "--email", "z@example.org",
        "--email", "zoe@work.example", "--phone", "0123", "--birthday", "--03-04",
        "--tag", "#climbing", "--company", "[[Acme]]", "--cadence", "2w", "--alias", "Zo",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output == "Created People/Zoë Martin.md\n"
    text = read(people, "People/Zoë Martin.md")
    assert text == (
        "---\nname: Zoë Martin\naliases:\n  - Zo\nbirthday: --03-04\ncircle: close\ncadence: 2w\n"
        'company: "[[Acme]]"\nemails:\n  - z@example.org\n  - zoe@work.example\nphone: "0123"\n'
        "tags:\n  - climbing\ncreated: 2026-11-23\n---\n\n## Log\n"
    )
    note = parse_note("People/Zoë Martin.md", text.encode(), parse_config({}))
    assert not note.problems and note.fields.phones == ("0123",) and note.fields.company == "Acme"
    again = crm(people, "new", "zoe martin")
    assert again.exit_code == 1 and "already has a note" in again.output
    assert crm(people, "new", "Annie").exit_code == 1  # an alias of Anna Rossi
    assert read(people, "People/Zoë Martin.md") == text


def test_new_then_log_is_a_one_line_change(people, crm):
    assert crm(people, "new", "Bob").exit_code == 0
    before = read(people, "People/Bob.md")
    assert crm(people, "log", "Bob", "first coffee").exit_code == 0
    assert read(people, "People/Bob.md") == before + "- 2026-11-23 first coffee\n"


@pytest.mark.parametrize(
    ("name", "code"),
    [("../x", 2), ("/etc/passwd", 2), ("a/b", 2), ("a\\b", 2), ("..", 2), ("", 2), ("  ", 2),
     ("a\x00b", 2), ("a\nb", 2), ("\x1b[31mred", 2)],
)  # fmt: skip
def test_new_refuses_path_and_control_names(people, crm, tmp_path, name, code):
    before = sorted(p for p in tmp_path.rglob("*"))
    result = crm(people, "new", name)
    assert result.exit_code == code, result.output
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_new_reserved_and_very_long_names_stay_in_the_folder(people, crm):
    assert crm(people, "new", "CON").exit_code == 0
    assert (people / "People" / "CON_.md").read_text().startswith("---\nname: CON\n")
    long = "Ä" * 300
    result = crm(people, "new", long)
    assert result.exit_code == 0, result.output
    made = [p for p in (people / "People").iterdir() if p.name.startswith("Ä")]
    assert len(made) == 1 and len(made[0].name.encode()) <= 203
    assert contact(people, long).path == f"People/{made[0].name}"


def test_new_uses_the_vault_template_and_first_contact_folder(vault, crm):
    root = vault(
        {
            "crm.toml": '[contacts]\nfolders = ["Contacts/Friends"]\n',
            ".crm/templates/person.md.j2": "---\ntags: [person]\nname: {{ name | yaml }}\n---\n# {{ name }}\n",
        }
    )
    assert crm(root, "new", "Yes").exit_code == 0
    assert (root / "Contacts/Friends/Yes.md").read_text() == (
        '---\ntags: [person]\nname: "Yes"\n---\n# Yes\n'
    )


def test_new_bad_values_are_usage_errors(people, crm):
    for args in (["--cadence", "often"], ["--birthday", "1990-02-30"], ["--email", "a\x07"]):
        result = crm(people, "new", "Carl", *args)
        assert result.exit_code == 2, (args, result.output)
    assert not (people / "People" / "Carl.md").exists()


def test_init_makes_a_vault_and_is_idempotent(tmp_path, crm):
    root = tmp_path / "notes"
    result = crm(None, "init", str(root))
    assert result.exit_code == 0, result.output
    assert (root / "crm.toml").read_text().startswith("# plaintextcrm configuration")
    assert (root / "People").is_dir() and (root / ".crm" / ".gitignore").read_text() == "*\n"
    (root / "crm.toml").write_text("# mine\n")
    result = crm(None, "init", str(root))
    assert result.exit_code == 0 and "kept" in result.output
    assert (root / "crm.toml").read_text() == "# mine\n"
    assert crm(root, "new", "Anna").exit_code == 0
    assert crm(root, "log", "Anna", "hello").exit_code == 0
    assert crm(root, "due").exit_code == 0


def test_init_refuses_a_file(tmp_path, crm):
    (tmp_path / "f").write_text("x")
    result = crm(None, "init", str(tmp_path / "f"))
    assert result.exit_code == 1 and "is a file" in result.output


def test_lookup_of_an_nfd_file_name_and_an_alias_prefix(vault, crm):
    root = vault(
        {
            "People/Rene\u0301 Dupont.md": "## Log\n",
            "People/Bea.md": "---\naliases: [Trixie]\n---\n",
        }
    )
    for name in ("René Dupont", "rene", "RENE\u0301 d"):
        result = crm(root, "log", name, f"hello {name}")
        assert result.exit_code == 0, (name, result.output)
    assert len(load_index(root, TODAY).contacts[1].interactions) == 3
    assert crm(root, "log", "trix", "via alias prefix").exit_code == 0
    assert "via alias prefix" in (root / "People/Bea.md").read_text()


def test_new_note_named_like_a_scratch_file_is_still_indexed(vault, crm):
    root = vault({"People/.keep": ""})
    result = crm(root, "new", "#Ada")
    assert result.exit_code == 0, result.output
    listed = crm(root, "list", "--json")
    assert [c["note"] for c in json.loads(listed.output)] == ["People/Ada.md"]
