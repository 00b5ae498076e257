"""`crm import` through the CLI on tmp_path vaults: fixtures, idempotence, merges, dry run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
MADE = FIXTURES / "made"
VCARDS = [str(p) for p in sorted(FIXTURES.glob("*/**/*.vcf"))]
ALL_IMPORTS = [
    ("vcard", *VCARDS),
    ("google", str(MADE / "google-contacts.csv")),
    ("linkedin", str(MADE / "linkedin-Connections.csv")),
]


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".crm" not in p.parts and ".git" not in p.parts
    }


def run_all(crm, root):
    results = [crm(root, "import", *args) for args in ALL_IMPORTS]
    for result in results:
        assert result.exit_code == 0, result.output
    return results


def test_all_fixtures_import_with_counts_and_reasons(vault, crm):
    root = vault({})
    vcard, google, linkedin = run_all(crm, root)
    assert vcard.stdout.splitlines()[-1] == "11 new, 0 merged, 0 unchanged, 2 skipped"
    assert "android-export-21.vcf:20: no name (only +39 340 000 1111)" in vcard.stdout
    assert "apple-contacts-30.vcf:30: Acme Srl: a company card" in vcard.stdout
    assert "circa 1800" in vcard.stderr
    # Anna Rossi (google) matches the vCard Anna by email; Chidi (linkedin) by name.
    assert google.stdout.splitlines()[-1] == "2 new, 1 merged, 0 unchanged, 0 skipped"
    assert linkedin.stdout.splitlines()[-1] == "2 new, 2 merged, 0 unchanged, 1 skipped"
    assert "formula" in linkedin.stderr
    people = sorted(p.name for p in (root / "People").iterdir())
    assert len(people) == 15
    assert "Acme Srl.md" not in people
    check = crm(root, "check")
    assert check.exit_code == 0, check.output
    assert check.stdout == ""


def test_imported_notes_read_back_as_the_records(vault, crm):
    root = vault({"crm.toml": '[import]\ndefault_region = "IT"\n'})
    run_all(crm, root)
    import json

    listing = {c["name"]: c for c in json.loads(crm(root, "list", "--json").stdout)}
    chiara = listing["Chiara Esposito"]
    assert chiara["birthday"] == "--07-21"
    assert chiara["emails"] == ["chiara@example.it", "c.esposito@studiorossi.example"]
    assert chiara["company"] == "Studio Rossi" and chiara["role"] == "Art director"
    assert chiara["linkedin"] == "https://www.linkedin.com/in/chiara-esposito-example"
    assert chiara["tags"] == ["friends", "design"]
    anna = listing["Anna Rossi"]
    assert anna["emails"] == ["anna.rossi@example.it", "anna@example.org"]
    assert anna["aliases"] == ["Annina"]
    assert anna["birthday"] == "1988-11-30"
    assert anna["met"] == "2024-03-14"
    assert set(anna["tags"]) == {"Work", "google", "linkedin"}
    zoe = listing["Zoë Müller-Lüdenscheidt"]
    assert zoe["company"] == "Deutsche Beispiel AG" and zoe["met"] == "2019-01-07"
    assert listing["Marco Verdi"]["company"] is None
    text = (root / "People" / "Chiara Esposito.md").read_text(encoding="utf-8")
    assert "Sister of Marco. Likes jazz, hates mornings.\nAsk about the exhibition in May." in text
    assert "## Log" in text


def test_import_twice_changes_nothing(vault, crm):
    root = vault({"People/Anna Rossi.md": "---\nemail: anna.rossi@example.it # work\n---\nMine.\n"})
    run_all(crm, root)
    before = snapshot(root)
    second = run_all(crm, root)
    assert snapshot(root) == before
    for result in second:
        last = result.stdout.splitlines()[-1]
        assert last.startswith("0 new, 0 merged, ")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_import_twice_leaves_git_status_clean(vault, crm):
    root = vault({})
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }

    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
        ).stdout

    git("init", "-q")
    run_all(crm, root)
    git("add", "-A")
    git("commit", "-qm", "import")
    run_all(crm, root)
    assert git("status", "--porcelain") == ""


def test_dry_run_prints_the_plan_and_writes_nothing(vault, crm):
    root = vault({"People/Anna Rossi.md": "---\ncompany: Acme\n---\n"})
    before = snapshot(root)
    result = crm(root, "import", "google", str(MADE / "google-contacts.csv"), "--dry-run")
    assert result.exit_code == 0, result.output
    assert snapshot(root) == before
    lines = result.stdout.splitlines()
    assert "new        Nicolò Bianchi  → People/Nicolò Bianchi.md" in lines
    merge = next(line for line in lines if line.startswith("merge"))
    assert "Anna Rossi into People/Anna Rossi.md (matched by name)" in merge
    assert "+email anna.rossi@example.it" in merge
    assert "kept company 'Acme' (import: 'Acme Corp')" in result.stdout
    assert lines[-1] == "2 new, 1 merged, 0 unchanged, 0 skipped (dry run: nothing written)"
    again = crm(root, "import", "google", str(MADE / "google-contacts.csv"))
    assert again.exit_code == 0
    unchanged = crm(root, "import", "google", str(MADE / "google-contacts.csv"), "-n")
    assert "unchanged  Anna Rossi in People/Anna Rossi.md (matched by email" in unchanged.stdout


def test_merge_is_surgical_and_keeps_crlf_bom_and_comments(vault, crm):
    note = "\ufeff---\r\n# my comment\r\nname: Anna Rossi\r\ncompany: 'Acme'   # employer\r\n---\r\nBody\r\n"
    root = vault({"People/anna.md": note.encode("utf-8")})
    result = crm(root, "import", "google", str(MADE / "google-contacts.csv"))
    assert result.exit_code == 0, result.output
    data = (root / "People" / "anna.md").read_bytes()
    assert data.startswith(
        b"\xef\xbb\xbf---\r\n# my comment\r\nname: Anna Rossi\r\ncompany: 'Acme'   # employer\r\n"
    )
    assert data.endswith(b"---\r\nBody\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    text = data.decode("utf-8-sig")
    assert "role: CTO\r\n" in text and "birthday: 1988-11-30\r\n" in text
    assert "Acme Corp" not in text


def test_phone_match_with_default_region(vault, crm):
    root = vault({
        "crm.toml": '[import]\ndefault_region = "IT"\n',
        "People/Nicolò.md": "---\nphone: '348 765 4321'\n---\n",
    })  # fmt: skip
    result = crm(root, "import", "google", str(MADE / "google-contacts.csv"), "-n")
    assert (
        "merge      Nicolò Bianchi into Nicolò, People/Nicolò.md "
        "(matched by phone +39 348 765 4321): +phone +39 02 555 0000"
    ) in result.stdout
    assert "Nicolò Bianchi" not in result.stdout.split("merge")[0]


def test_region_option_overrides_config(vault, crm):
    root = vault({"People/Nicolò.md": "---\nphone: '348 765 4321'\n---\n"})
    result = crm(
        root, "import", "google", str(MADE / "google-contacts.csv"), "-n", "--region", "it"
    )
    assert (
        "merge      Nicolò Bianchi into Nicolò, People/Nicolò.md (matched by phone" in result.stdout
    )


def test_a_note_that_cannot_be_written_is_reported_and_the_rest_imports(vault, crm):
    root = vault({"People/Anna Rossi.md": "---\nemail: anna.rossi@example.it\n---\n"})
    path = root / "People" / "Anna Rossi.md"
    path.chmod(0o444)
    try:
        result = crm(root, "import", "google", str(MADE / "google-contacts.csv"))
    finally:
        path.chmod(0o644)
    assert result.exit_code == 1
    assert "People/Anna Rossi.md" in result.stderr and "permission denied" in result.stderr
    assert (root / "People" / "Ingrid Solberg.md").exists()
    assert path.read_text() == "---\nemail: anna.rossi@example.it\n---\n"


def test_a_front_matter_the_writer_will_not_touch_is_reported(vault, crm):
    note = "---\n{email: anna.rossi@example.it}\n---\n"
    root = vault({"People/Anna Rossi.md": note})
    result = crm(root, "import", "google", str(MADE / "google-contacts.csv"))
    assert result.exit_code == 1
    assert "People/Anna Rossi.md" in result.stderr
    assert (root / "People" / "Anna Rossi.md").read_text() == note


def test_many_cards_show_a_progress_bar_and_one_file_with_many_cards(vault, crm, tmp_path):
    cards = "".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {i:03d}\r\nEMAIL:p{i}@example.org\r\nEND:VCARD\r\n"
        for i in range(60)
    )
    big = tmp_path / "big.vcf"
    big.write_text(cards, encoding="utf-8")
    root = vault({})
    result = crm(root, "import", "vcard", str(big))
    assert result.exit_code == 0, result.output
    assert "importing" in result.stderr
    assert result.stdout.splitlines()[-1] == "60 new, 0 merged, 0 unchanged, 0 skipped"
    assert len(list((root / "People").glob("*.md"))) == 60


def test_json_plan(vault, crm):
    import json

    root = vault({})
    result = crm(root, "import", "linkedin", str(MADE / "linkedin-Connections.csv"), "-n", "--json")
    plan = json.loads(result.stdout)
    assert plan["dry_run"] is True
    assert [n["name"] for n in plan["new"]] == [
        "Anna Rossi",
        "Chidi Okafor",
        "Zoë Müller-Lüdenscheidt",
        "Marco Verdi",
    ]
    assert plan["new"][0]["fields"]["met"] == "2024-03-14"
    assert plan["skipped"][0]["from"] == "linkedin-Connections.csv:8"


def test_missing_file_is_a_usage_error(vault, crm, tmp_path):
    root = vault({})
    result = crm(root, "import", "vcard", str(tmp_path / "nope.vcf"))
    assert result.exit_code == 2
    assert "crm: error:" in result.stderr


def test_a_file_of_the_wrong_kind_is_reported_not_a_crash(vault, crm):
    root = vault({})
    result = crm(root, "import", "linkedin", str(MADE / "google-contacts.csv"))
    assert result.exit_code == 1
    assert result.stderr.startswith("crm: error: google-contacts.csv: ")
    assert "Connections.csv" in result.stderr
    assert not (root / "People").exists()


def test_import_into_the_configured_first_contact_folder(vault, crm):
    root = vault({"crm.toml": '[contacts]\nfolders = ["Friends/People", "Other"]\n'})
    crm(root, "import", "linkedin", str(MADE / "linkedin-Connections.csv"))
    assert (root / "Friends" / "People" / "Anna Rossi.md").exists()


def test_names_the_scanner_would_ignore_still_land_in_a_readable_note(vault, crm, tmp_path):
    cards = tmp_path / "odd.vcf"
    cards.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:#hashtag Person\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:~tilde\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:../../outside\r\nEND:VCARD\r\n",
        encoding="utf-8",
    )
    root = vault({})
    assert crm(root, "import", "vcard", str(cards)).exit_code == 0
    import json

    names = sorted(c["name"] for c in json.loads(crm(root, "list", "--json").stdout))
    assert names == ["#hashtag Person", "../../outside", "~tilde"]
    assert all(p.parent == root / "People" for p in root.rglob("*.md"))
    again = crm(root, "import", "vcard", str(cards))
    assert again.stdout.splitlines()[-1] == "0 new, 0 merged, 3 unchanged, 0 skipped"


def test_without_contact_folders_new_notes_say_type_person(vault, crm):
    root = vault({"crm.toml": "[contacts]\nfolders = []\n"})
    crm(root, "import", "linkedin", str(MADE / "linkedin-Connections.csv"))
    assert (root / "Anna Rossi.md").read_text(encoding="utf-8").startswith("---\ntype: person\n")
    again = crm(root, "import", "linkedin", str(MADE / "linkedin-Connections.csv"))
    assert again.stdout.splitlines()[-1] == "0 new, 0 merged, 4 unchanged, 1 skipped"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
@pytest.mark.parametrize("kind", ["vcard", "google", "linkedin"])
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path, vault, crm, kind):
    """A FIFO typed as the export file (a shell's process substitution, a mistake) would
    block a read forever: the command says it is not a file, and the readers refuse it."""
    from plaintextcrm.errors import CrmError
    from plaintextcrm.importers.csvfile import read_text
    from plaintextcrm.importers.vcard import read_vcards

    root = vault({})
    pipe = tmp_path / "contacts.vcf"
    os.mkfifo(pipe)
    result = crm(root, "import", kind, str(pipe))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"crm: error: {pipe}: not a file"
    assert read_vcards(pipe).skipped[0].reason.startswith("cannot read the file: ")
    with pytest.raises(CrmError, match="cannot read"):
        read_text(pipe)


def test_a_merge_joins_the_list_under_the_key_the_note_already_uses(tmp_path, vault, crm):
    """`Phone Number:` and `E-mail:` are the note's phone and email keys: a new number or
    address joins them (as a list), instead of a second `phone:` or `email:` key."""
    root = vault({
        "People/Anna Rossi.md": '---\nName: Anna Rossi\nPhone Number: "+39 333 1234567"\n'
                                "E-mail: a@x.org\n---\n",
    })  # fmt: skip
    card = tmp_path / "anna.vcf"
    card.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Anna Rossi\nTEL:+39 333 7654321\n"
        "EMAIL:anna@example.org\nEND:VCARD\n"
    )
    assert crm(root, "import", "vcard", str(card)).exit_code == 0
    assert (root / "People/Anna Rossi.md").read_text() == (
        '---\nName: Anna Rossi\nPhone Number:\n  - "+39 333 1234567"\n  - +39 333 7654321\n'
        "E-mail:\n  - a@x.org\n  - anna@example.org\n---\n"
    )
    assert (
        crm(root, "import", "vcard", str(card))
        .stdout.splitlines()[-1]
        .startswith("0 new, 0 merged, 1 unchanged")
    )
