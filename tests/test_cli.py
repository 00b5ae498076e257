"""The read commands through the public surface: CliRunner on tmp_path vaults."""

import json
import os
import subprocess
import sys

import pytest

from plaintextcrm.cli import cli

NOTES = {
    "crm.toml": '[circles]\nclose = "1m"\n',
    "People/Anna Rossi.md": (
        "---\nname: Anna Rossi\naliases: [Annie]\nbirthday: 1990-11-30\ncircle: close\n"
        "company: Acme\nemail: anna@example.org\ntags: [friends]\n---\n## Log\n"
        "- 2026-09-02 coffee, she is moving to Turin #got\n"
        "- [ ] 2026-11-01 ask how the move went\n"
    ),
    "People/Nicolò Bianchi.md": "---\nbirthday: --02-29\ncadence: 2w\ndates: ['2016-12-01 wedding']\n---\n",
    "People/Anne Other.md": "---\ntags: [work/python]\ncompany: Beta\n---\n",
    "Daily/2026-11-20.md": "- 2026-11-20 lunch with [[Nicolò Bianchi]] and [[Annie|Anna]] #gave\n",
}


def test_due_text_and_json(vault, crm):
    root = vault(NOTES)
    result = crm(root, "due")
    assert result.exit_code == 0, result.output
    assert "ask how the move went (22 days overdue)" in result.output
    data = json.loads(crm(root, "due", "--json").output)
    assert [(d["date"], d["kind"], d["contact"]) for d in data] == [
        ("2026-11-01", "followup", "Anna Rossi"),
        ("2026-11-30", "birthday", "Anna Rossi"),
        ("2026-12-01", "date", "Nicolò Bianchi"),
        ("2026-12-04", "reconnect", "Nicolò Bianchi"),
    ]
    followup, birthday, anniversary, reconnect = data
    assert followup == {
        "date": "2026-11-01", "kind": "followup", "contact": "Anna Rossi",
        "note": "People/Anna Rossi.md", "title": "Anna Rossi: ask how the move went",
        "overdue_days": 22, "text": "ask how the move went", "line": 12,
    }  # fmt: skip
    assert birthday["age"] == 36
    assert (anniversary["label"], anniversary["years"]) == ("wedding", 10)
    assert (reconnect["last_contact"], reconnect["cadence"]) == ("2026-11-20", "2w")
    kinds = json.loads(crm(root, "due", "--json", "--kind", "birthday", "--days", "400").output)
    assert [d["contact"] for d in kinds] == ["Anna Rossi", "Nicolò Bianchi"]


def test_list_json_and_filters(vault, crm):
    root = vault(NOTES)
    data = json.loads(crm(root, "list", "--json").output)
    assert [d["name"] for d in data] == ["Anna Rossi", "Anne Other", "Nicolò Bianchi"]
    anna = data[0]
    for key in ("name", "note", "aliases", "tags", "circle", "cadence", "birthday", "emails",
                "phones", "company", "last_contact", "gave", "got"):  # fmt: skip
        assert key in anna
    assert (anna["cadence"], anna["birthday"], anna["last_contact"]) == (
        "1m",
        "1990-11-30",
        "2026-11-20",
    )
    assert (anna["gave"], anna["got"], anna["aliases"]) == (1, 1, ["Annie"])
    only = lambda *args: [d["name"] for d in json.loads(crm(root, "list", "--json", *args).output)]  # noqa: E731
    assert only("--tag", "work") == ["Anne Other"]
    assert only("--tag", "#friends") == ["Anna Rossi"]
    assert only("--circle", "close") == ["Anna Rossi"]
    assert only("--company", "acme") == ["Anna Rossi"]
    assert "Anna Rossi" in crm(root, "list").output


def test_show_lookup_accents_alias_prefix(vault, crm):
    root = vault(NOTES)
    out = crm(root, "show", "nicolo").output
    assert out.startswith("Nicolò Bianchi\n") and "lunch with" in out
    assert crm(root, "show", "annie").output.startswith("Anna Rossi")
    assert crm(root, "show", "nic").exit_code == 0
    data = json.loads(crm(root, "show", "Anna Rossi", "--json").output)
    assert data["interactions"][0]["date"] == "2026-11-20"  # newest first
    assert data["tasks"][0]["text"] == "ask how the move went"
    ambiguous = crm(root, "show", "ann")
    assert ambiguous.exit_code == 2
    assert "Anna Rossi" in ambiguous.stderr and "Anne Other" in ambiguous.stderr
    unknown = crm(root, "show", "Ana Rosi")
    assert unknown.exit_code == 1 and "did you mean Anna Rossi" in unknown.stderr
    for bad in ("", "   ", "a\x00b"):
        assert crm(root, "show", bad).exit_code == 2


def test_search_folds_accents_and_case(vault, crm):
    root = vault(NOTES)
    out = crm(root, "search", "TURIN").output
    assert "Anna Rossi" in out and "Nicolò" not in out
    assert "Nicolò Bianchi" in crm(root, "search", "nicolo").output
    assert "No contact mentions" in crm(root, "search", "zzz").output


def test_check_lists_problems_and_exit_code(vault, crm):
    root = vault({**NOTES, "People/Bad.md": "---\nbirthday: 1990-02-30\ncircle: vip\n---\n"})
    result = crm(root, "check")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "People/Bad.md:2: error: `birthday`: invalid date '1990-02-30': no such day",
        "People/Bad.md:3: warning: unknown circle `vip` (not in crm.toml [circles])",
    ]
    data = json.loads(crm(root, "check", "--json").stdout)
    assert data[0] == {
        "path": "People/Bad.md", "line": 2, "level": "error",
        "message": "`birthday`: invalid date '1990-02-30': no such day",
    }  # fmt: skip
    # other commands keep working and say so in one stderr line
    due = crm(root, "due")
    assert due.exit_code == 0
    assert due.stderr.strip() == "crm: 1 note has problems; run `crm check`"
    (root / "People" / "Bad.md").unlink()
    assert crm(root, "check").exit_code == 0


def test_stats(vault, crm):
    out = crm(vault(NOTES), "stats").output
    assert "Contacts: 3" in out and "2026-11     1" in out and "Give/get: gave 2, got 1" in out
    data = json.loads(crm(vault(NOTES), "stats", "--json").output)
    assert data["contacts"] == 3 and data["interactions_per_month"]["2026-09"] == 1


def test_usage_errors_are_one_line_exit_2(vault, crm):
    root = vault(NOTES)
    for args in (["--today", "2026-02-30", "due"], ["due", "--days", "-1"],
                 ["due", "--days", "1000000"], ["due", "--kind", "nope"]):  # fmt: skip
        result = crm(root, *args, today=None)
        assert result.exit_code == 2, args
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("crm: error: ")


def test_vault_discovery(tmp_path, vault, crm, monkeypatch):
    root = vault(NOTES)
    monkeypatch.chdir(root / "People")
    assert "Anna Rossi" in crm(None, "list").output  # nearest crm.toml
    obsidian = tmp_path / "obs"
    (obsidian / ".obsidian").mkdir(parents=True)
    (obsidian / "sub").mkdir()
    monkeypatch.chdir(obsidian / "sub")
    assert crm(None, "list").output.strip() == "No contacts."
    monkeypatch.chdir(tmp_path)
    assert "Anna Rossi" in crm(None, "list", env={"CRM_VAULT": str(root)}).output
    missing = crm(None, "list")
    assert missing.exit_code == 1 and "--vault" in missing.stderr and "crm init" in missing.stderr
    assert crm(tmp_path / "nope", "list").exit_code == 1
    assert "is a file" in crm(root / "crm.toml", "list").stderr
    assert crm(tmp_path.anchor, "list").exit_code == 1  # never scan the whole disk


def test_today_from_environment(vault, crm):
    root = vault(NOTES)
    out = crm(root, "due", "--json", today=None, env={"CRM_TODAY": "2026-11-01"}).output
    followup = next(d for d in json.loads(out) if d["kind"] == "followup")
    assert followup["overdue_days"] == 0


def test_bad_config_is_one_line(vault, crm):
    root = vault({**NOTES, "crm.toml": "[circles\nclose = 1\n"})
    result = crm(root, "due")
    assert result.exit_code == 1
    assert result.stderr.startswith("crm: error: crm.toml line 1:")
    root2 = vault({**NOTES, "crm.toml": "circles = 3\nshoe = 1\n"})
    assert "`circles` must be a table" in crm(root2, "due").stderr


def test_unknown_config_key_is_a_warning(vault, crm):
    root = vault({**NOTES, "crm.toml": "colour = 'blue'\n"})
    result = crm(root, "check")
    assert result.exit_code == 0
    assert "crm.toml: warning: unknown config key `colour`" in result.stdout


def test_version_and_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "plaintextcrm", "--version"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert out.stdout.startswith("crm ")


def test_no_traceback_on_internal_errors(vault, crm, monkeypatch):
    root = vault(NOTES)
    import plaintextcrm.reminders as reminders

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(reminders, "due", boom)
    monkeypatch.delenv("CRM_DEBUG", raising=False)
    result = crm(root, "due")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "internal error: RuntimeError: kaboom" in result.stderr


def test_broken_notes_never_stop_other_commands(vault, crm):
    root = vault({**NOTES, "People/Latin.md": b"---\nname: Fran\xe7ois\n---\n",
                  "People/Yaml.md": "---\nname: [\n---\n", "People/Bin.md": b"\x00\x01"})  # fmt: skip
    said = []
    for args in (["due"], ["list"], ["stats"], ["show", "Anna"], ["search", "anna"]):
        result = crm(root, *args)
        assert result.exit_code == 0, args
        assert result.stdout.strip(), args
        said.append(result.stderr.strip())
    # the line comes after the output, and only the first time on a given day
    assert said == ["crm: 3 notes have problems; run `crm check`"] + [""] * 4
    assert crm(root, "check").exit_code == 1


@pytest.mark.skipif(os.name != "posix", reason="console script path")
def test_console_script_runs():
    out = subprocess.run(["crm", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "due" in out.stdout
    assert cli.name


def test_show_marks_give_and_get_once(vault, crm):
    root = vault(
        {
            "People/Ada.md": "---\nname: Ada\n---\n## Log\n- 2026-11-01 lent her a book #gave\n",
            "Journal/Book club.md": "- 2026-11-05 [[Ada]] brought cake #got\n",
        }
    )
    out = crm(root, "show", "Ada").output
    assert "lent her a book #gave  (People/Ada.md:5)" in out
    assert "Ada brought cake #got  (Journal/Book club.md:1)" in out
    assert "[gave]" not in out and "[got]" not in out


def test_show_lists_a_follow_up_kept_in_a_field(vault, crm):
    root = vault({"People/Ada.md": '---\nfollow_up: "2026-12-01 ask about the move"\n---\n'})
    shown = crm(root, "show", "ada").stdout.splitlines()
    assert "follow up: 2026-12-01 ask about the move" in shown
