"""BAD_INPUTS cases 14-22: front matter that is broken, odd or hostile."""

from __future__ import annotations

import pytest

GOOD = {"People/Anna Rossi.md": "---\ncadence: 2w\n---\n- 2026-11-01 coffee\n"}


def body_note(front: str, body: str = "- 2026-11-02 call\n") -> str:
    return f"---\n{front}---\n{body}"


@pytest.mark.parametrize(
    ("front", "line"),
    [
        ("name: B\nrole: [a, b\ncompany: X\n", 4),  # unclosed flow sequence
        ("name: B\nrole: 'unclosed\n", 3),
        ("name: B\nemail: a@b: c\n", 3),
    ],
    ids=["flow", "quote", "colon"],
)
def test_case_14_yaml_syntax_error_names_the_line(vault, read_all, front, line):
    root = vault({**GOOD, "People/B.md": body_note(front)})
    run = read_all(root, check_codes=(1,))
    [problem] = run.about("People/B.md")
    assert (problem.level, problem.line) == ("error", line)
    assert "not valid YAML" in problem.message
    # the note is still read as a contact (body), the rest of the vault too
    assert {c["name"]: c["last_contact"] for c in run.contacts} == {
        "Anna Rossi": "2026-11-01",
        "B": "2026-11-02",
    }


def test_case_15_tab_indentation_is_an_error_with_the_line(vault, read_all):
    root = vault({**GOOD, "People/B.md": body_note("name: B\ndates:\n\t- 2020-01-01 x\n")})
    run = read_all(root, check_codes=(1,))
    [problem] = run.about("People/B.md")
    assert (problem.level, problem.line) == ("error", 4)
    assert "Anna Rossi" in run.names()


def test_case_16_duplicate_keys_warn_naming_the_key(vault, read_all):
    root = vault({**GOOD, "People/B.md": body_note("cadence: 1w\nrole: x\ncadence: 3m\n")})
    run = read_all(root)
    [problem] = run.about("People/B.md")
    assert (problem.level, problem.line) == ("warning", 4)
    assert "`cadence`" in problem.message
    assert {c["name"]: c["cadence"] for c in run.contacts}["B"] == "3m"


@pytest.mark.parametrize("front", ["- a\n- b\n", "just a sentence\n", "42\n"])
def test_case_17_front_matter_not_a_mapping_warns_and_body_is_read(vault, read_all, front):
    root = vault({**GOOD, "People/B.md": body_note(front)})
    run = read_all(root)
    [problem] = run.about("People/B.md")
    assert problem.level == "warning" and "not a mapping" in problem.message
    assert {c["name"]: c["last_contact"] for c in run.contacts}["B"] == "2026-11-02"


@pytest.mark.parametrize(
    "value",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/name:os.system",
        "!custom {{a: 1}}",
    ],
)
def test_case_18_unsafe_tags_are_errors_and_never_executed(vault, read_all, tmp_path, value):
    marker = tmp_path / "pwned"
    root = vault(
        {**GOOD, "People/B.md": body_note(f"name: B\nrole: {value.format(marker=marker)}\n")}
    )
    run = read_all(root, check_codes=(1,))
    [problem] = run.about("People/B.md")
    assert (problem.level, problem.line) == ("error", 3)
    assert "tag" in problem.message
    assert not marker.exists()
    assert {c["name"] for c in run.contacts} == {"Anna Rossi", "B"}


def alias_bomb(levels: int = 12, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join(f"*a{i - 1}" for _ in range(width))
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_case_19_alias_bomb_is_bounded_and_an_error(vault, read_all):
    root = vault({**GOOD, "People/Bomb.md": body_note("name: Bomb\n" + alias_bomb())})
    run = read_all(root, check_codes=(1,))
    [problem] = run.about("People/Bomb.md")
    assert problem.level == "error" and "too large" in problem.message
    assert {c["name"] for c in run.contacts} == {"Anna Rossi", "Bomb"}


def test_case_19_huge_front_matter_is_refused(vault, read_all):
    big = "".join(f"k{i}: {'x' * 100}\n" for i in range(3000))
    root = vault({**GOOD, "People/Big.md": body_note(big)})
    run = read_all(root, check_codes=(1,))
    [problem] = run.about("People/Big.md")
    assert problem.level == "error" and "larger than" in problem.message
    assert {c["name"]: c["last_contact"] for c in run.contacts}["Big"] == "2026-11-02"


@pytest.mark.parametrize(
    "note",
    [
        '+++\nname = "B"\ntype = "person"\n+++\n- 2026-11-02 call\n',
        '{"name": "B",\n "type": "person"}\n- 2026-11-02 call\n',
    ],
    ids=["toml", "json"],
)
def test_case_20_toml_or_json_front_matter_warns_and_body_is_read(vault, read_all, note):
    root = vault({**GOOD, "People/B.md": note})
    run = read_all(root)
    [problem] = run.about("People/B.md")
    assert (problem.level, problem.line) == ("warning", 1)
    assert "only YAML front matter is read" in problem.message
    assert {c["name"]: c["last_contact"] for c in run.contacts}["B"] == "2026-11-02"


def test_case_21_horizontal_rule_in_body_is_body(vault, read_all):
    note = body_note("name: B\n", "text\n\n---\nname: Evil\ncadence: 1d\n---\n- 2026-11-02 call\n")
    root = vault({**GOOD, "People/B.md": note})
    run = read_all(root)
    assert run.about("People/B.md") == []
    b = {c["name"]: c for c in run.contacts}["B"]
    assert (b["cadence"], b["last_contact"]) == (None, "2026-11-02")


@pytest.mark.parametrize(
    ("key", "field", "value"),
    [
        ("Birthday", "birthday", "2020-01-01"),
        ("BDAY", "birthday", "2020-01-01"),
        ("Last Contact", "last_contact", "2026-11-10"),
        ("last-contacted", "last_contact", "2026-11-10"),
        ("EMAIL", "emails", ["b@example.org"]),
        ("Phone Number", "phones", ["0123"]),
    ],
)
def test_case_22_keys_in_other_case_with_spaces_or_synonyms_are_read(
    vault, read_all, key, field, value
):
    shown = value[0] if isinstance(value, list) else value
    root = vault({**GOOD, "People/B.md": body_note(f"{key}: '{shown}'\n")})
    run = read_all(root)
    assert run.about("People/B.md") == []
    b = {c["name"]: c for c in run.contacts}["B"]
    assert b[field] == value


@pytest.mark.parametrize(
    ("key", "known"),
    [("last_contated", "last_contacted"), ("Brithday", "birthday"), ("cadance", "cadence")],
)
def test_case_22_near_misses_of_a_field_suggest_it(vault, read_all, key, known):
    root = vault({**GOOD, "People/B.md": body_note(f"{key}: 2020-01-01\nstatus: active\n")})
    run = read_all(root)
    [problem] = run.about("People/B.md")
    assert (problem.level, problem.line) == ("warning", 2)
    assert f"did you mean `{known}`" in problem.message
