"""BAD_INPUTS cases 38-42 (read side): broken config, bad options, bad vaults and names.

Writing commands for the same cases (`--due yesterday`, `crm new ../x`) are in
test_writing.py.
"""

from __future__ import annotations

import pytest

from .helpers import READ_COMMANDS, assert_clean_exit, needs, snapshot

NOTES = {"People/Anna Rossi.md": "---\ncadence: 2w\n---\n- 2026-11-01 coffee\n"}
ALL_READ = (*READ_COMMANDS, ("show", "Anna"))


def one_error_line(result, code: int) -> str:
    assert_clean_exit(result, (code,))
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("crm: error: ")
    return lines[0]


def every_file(root):
    """Like snapshot(), but the tool's own `.crm/` too: nothing at all may be written."""
    return {p.relative_to(root).as_posix(): p.is_dir() or p.read_bytes() for p in root.rglob("*")}


@pytest.mark.parametrize(
    ("toml", "line"),
    [
        ("[contacts\nfolders = []\n", 1),
        ('ignore = ["a"]\nlinks = "file\n', 2),
        ("[circles]\ninner = 2w\n", 2),
        ("a = 1\na = 2\n", 2),
    ],
)
@pytest.mark.parametrize(
    "args",
    [
        *ALL_READ,
        pytest.param(("log", "Anna", "x"), marks=needs("log", "writer")),
        pytest.param(("new", "Carla"), marks=needs("new", "writer")),
        pytest.param(("ics",), marks=needs("ics", "ics")),
        pytest.param(("digest",), marks=needs("digest", "digest")),
    ],
    ids=lambda a: a[0],
)
def test_case_38_toml_syntax_error_exits_1_naming_the_line(vault, crm, toml, line, args):
    root = vault({**NOTES, "crm.toml": toml})
    before = every_file(root)
    message = one_error_line(crm(root, *args), 1)
    assert f"crm.toml line {line}: " in message
    assert every_file(root) == before


def test_case_38_config_that_is_not_utf8(vault, crm):
    root = vault({**NOTES, "crm.toml": b'vault_name = "Caf\xe9"\n'})
    assert "crm.toml" in one_error_line(crm(root, "due"), 1)


def test_case_39_unknown_config_keys_are_warnings(vault, read_all):
    root = vault(
        {**NOTES, "crm.toml": 'colour = "red"\n[contacts]\nfolder = ["X"]\n[mystery]\nx = 1\n'}
    )
    run = read_all(root)
    warnings = sorted(p.message for p in run.about("crm.toml"))
    assert warnings == [
        "unknown config key `colour`",
        "unknown config key `contacts.folder`",
        "unknown config key `mystery`",
    ]
    assert run.names() == ["Anna Rossi"]


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("circles = 3\n", "circles"),
        ('circles = "inner"\n', "circles"),
        ('[circles]\ninner = "often"\n', "circles.inner"),
        ("[circles]\ninner = true\n", "circles.inner"),
        ("contacts = []\n", "contacts"),
        ("[contacts]\nfolders = 5\n", "contacts.folders"),
        ("[contacts]\nfolders = [1, 2]\n", "contacts.folders"),
        ('[contacts]\ndefault_cadence = "-1d"\n', "contacts.default_cadence"),
        ("ignore = {a = 1}\n", "ignore"),
        ('links = "http"\n', "links"),
        ('[smtp]\nport = "25"\n', "smtp.port"),
        ('[smtp]\nstarttls = "yes"\n', "smtp.starttls"),
        ('[ics]\nalarm = "25:00"\n', "ics.alarm"),
        ("vault_name = 3\n", "vault_name"),
    ],
)
def test_case_39_wrong_config_types_are_a_clear_error(vault, crm, toml, key):
    root = vault({**NOTES, "crm.toml": toml})
    before = every_file(root)
    message = one_error_line(crm(root, "due"), 1)
    assert f"`{key}`" in message and "crm.toml" in message
    assert every_file(root) == before


@pytest.mark.parametrize(
    "args",
    [
        ("--today", "2026-02-30", "due"),
        ("--today", "the day after", "due"),
        ("--today", "", "due"),
        ("--today", "9999-12-31", "due"),
        ("--today", "9999-12-31", "list"),
        ("--today", "0000-01-01", "due"),
        ("due", "--days", "-1"),
        ("due", "--days", "1000000"),
        ("due", "--days", "99999999999999999999999"),
        ("due", "--days", "x"),
        ("due", "--kind", "party"),
        pytest.param(("digest", "--days", "-1"), marks=needs("digest", "digest")),
    ],
)
def test_case_40_bad_options_are_usage_errors(vault, crm, args):
    root = vault(NOTES)
    before = every_file(root)
    result = crm(root, *args, today=None)
    if args[:2] == ("--today", ""):
        assert_clean_exit(result, (0, 2))  # an empty --today means "the local date"
        return
    one_error_line(result, 2)
    assert every_file(root) == before


def test_case_40_bad_crm_today_environment_is_a_usage_error(vault, crm):
    root = vault(NOTES)
    one_error_line(crm(root, "due", today=None, env={"CRM_TODAY": "2026-13-01"}), 2)


@pytest.mark.parametrize("where", ["file", "missing", "root", "env-missing", "env-root"])
def test_case_41_bad_vault_locations_are_clear_errors(vault, crm, tmp_path, where):
    root = vault(NOTES)
    target = {
        "file": root / "People" / "Anna Rossi.md",
        "missing": tmp_path / "nowhere",
        "root": "/",
        "env-missing": tmp_path / "nowhere",
        "env-root": "/",
    }[where]
    if where.startswith("env"):
        result = crm(None, "list", env={"CRM_VAULT": str(target)})
    else:
        result = crm(None, "--vault", str(target), "list")
    message = one_error_line(result, 1)
    assert "vault" in message


def test_case_41_no_vault_found_says_how_to_pass_one(crm, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    message = one_error_line(crm(None, "list", env={"CRM_VAULT": ""}), 1)
    assert "--vault" in message and "crm init" in message


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", 2),
        ("   ", 2),
        ("\x00", 2),
        ("Anna\x00Rossi", 2),
        ("Anna\nRossi", 2),
        ("Anna\x1b[31m", 2),
        ("/", 1),
        ("..", 1),
        ("../../etc/passwd", 1),
        ("/etc/passwd", 1),
        ("People/../../crm", 1),
    ],
)
@pytest.mark.parametrize("command", ["show"])
def test_case_42_hostile_names_are_clear_errors_never_paths(vault, crm, name, code, command):
    root = vault(NOTES)
    before = snapshot(root)
    message = one_error_line(crm(root, command, name), code)
    assert "name" in message
    assert "\x00" not in message and "\x1b" not in message
    assert snapshot(root) == before
