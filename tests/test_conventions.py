"""Vaults written the way other tools write them, read with no crm.toml (issue 10).

Each folder of tests/fixtures/conventions/ is one setup: `vault/` holds notes as that
setup's public documentation says they look, `README.md` names the sources, and
`expected.json` says what a user of the setup expects crm to read on 2026-12-01 (the keys
are described in tests/fixtures/conventions/README.md). Every check goes through the
public CLI on a copy of the vault, so these tests hold the product to the user's view
and say nothing about modules.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from plaintextcrm.cli import cli

FIXTURES = Path(__file__).parent / "fixtures" / "conventions"
SETUPS = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").is_file())
TODAY = date(2026, 12, 1)
DAYS = 30
KEYS = {
    "contacts",
    "not_contacts",
    "birthdays",
    "followups",
    "last_contact",
    "company",
    "interaction_texts",
    "reconnects",
    "emails",
    "phones",
}
WIKILINK = re.compile(r"\[\[([^\]|#]*)(?:#[^\]|]*)?(?:\|([^\]]*))?\]\]")


def expected(setup: str) -> dict[str, Any]:
    return json.loads((FIXTURES / setup / "expected.json").read_text(encoding="utf-8"))


def having(key: str) -> list[str]:
    """The setups whose expected.json has `key` (an absent key is not checked)."""
    return [setup for setup in SETUPS if key in expected(setup)]


def plain(text: str | None) -> str | None:
    """Text as a reader sees it: `[[Name|shown]]` as "shown", `[[Name]]` as "Name",
    spaces collapsed, a final full stop dropped (a sentence may be quoted with or without
    it)."""
    if text is None:
        return None
    shown = WIKILINK.sub(lambda m: m[2] if m[2] is not None else m[1], text)
    return " ".join(shown.split()).removesuffix(".").strip()


def company_text(value: Any) -> str | None:
    """A company as one name: a one-item list is that item; empty is none."""
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else ", ".join(map(str, value))
    return plain(value) or None


class Vault:
    """A copy of one fixture vault and the CLI's answers about it, each asked once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._runner = CliRunner()
        self._results: dict[tuple[str, ...], Result] = {}

    def run(self, *args: str) -> Result:
        if args not in self._results:
            argv = ["--vault", str(self.root), "--today", TODAY.isoformat(), *args]
            self._results[args] = self._runner.invoke(cli, argv, catch_exceptions=False)
        return self._results[args]

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, f"crm {' '.join(args)} --json: {result.output}"
        return json.loads(result.stdout)

    def contacts(self) -> dict[str, dict[str, Any]]:
        return {c["name"]: c for c in self.json("list")}

    def reminders(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.json("due", "--days", str(DAYS)) if r["kind"] == kind]


@pytest.fixture(scope="module")
def vaults(tmp_path_factory) -> dict[str, Vault]:
    """Each setup's vault, copied once: crm keeps its cache in the vault's `.crm/`."""
    root = tmp_path_factory.mktemp("conventions")
    return {
        setup: Vault(shutil.copytree(FIXTURES / setup / "vault", root / setup)) for setup in SETUPS
    }


def test_every_setup_is_here():
    names = "crm-plugin dataview-inline kepano logseq obsidian-properties periodic-notes"
    names += " plain-markdown sivers-abcd tasks-plugin templater vcf-contacts"
    assert names.split() == SETUPS


@pytest.mark.parametrize("setup", SETUPS)
def test_fixture_is_well_formed(setup):
    """The fixture itself: no crm.toml, sources cited, expectations that fit together."""
    folder = FIXTURES / setup
    vault = folder / "vault"
    want = expected(setup)
    assert not (vault / "crm.toml").exists(), "the point is reading the vault with no crm.toml"
    assert re.search(r"https://\S+", (folder / "README.md").read_text(encoding="utf-8"))
    assert set(want) <= KEYS, set(want) - KEYS
    assert {"contacts", "not_contacts"} <= set(want)
    for path in vault.rglob("*.md"):
        path.read_text(encoding="utf-8")  # every note is UTF-8
    for rel in want["not_contacts"]:
        assert (vault / rel).is_file(), rel
    names = set(want["contacts"])
    assert len(names) == len(want["contacts"])
    for key in KEYS - {"contacts", "not_contacts", "followups"}:
        assert set(want.get(key, {})) <= names, (key, set(want.get(key, {})) - names)
    for mmdd in want.get("birthdays", {}).values():
        date.fromisoformat(f"2000-{mmdd}")
    last_day = TODAY + timedelta(days=DAYS)
    for item in want.get("followups", []):
        assert set(item) <= {"contact", "due", "text"} and item["contact"] in names, item
        assert date.fromisoformat(item["due"]) <= last_day, item
    for day in want.get("reconnects", {}).values():
        assert date.fromisoformat(day) <= last_day
    for day in want.get("last_contact", {}).values():
        assert day is None or date.fromisoformat(day) <= TODAY


@pytest.mark.parametrize("setup", SETUPS)
def test_contacts(setup, vaults):
    names = [c["name"] for c in vaults[setup].json("list")]
    assert sorted(names) == sorted(expected(setup)["contacts"])


@pytest.mark.parametrize("setup", SETUPS)
def test_not_contacts(setup, vaults):
    """Templates, companies, meetings and daily notes are never people."""
    notes = {c["note"]: name for name, c in vaults[setup].contacts().items()}
    wrong = {rel: notes[rel] for rel in expected(setup)["not_contacts"] if rel in notes}
    assert wrong == {}


@pytest.mark.parametrize("setup", having("birthdays"))
def test_birthdays(setup, vaults):
    want = expected(setup)["birthdays"]
    # Within 366 days every birthday comes once, wherever it falls in the year.
    items = vaults[setup].json("due", "--kind", "birthday", "--days", "366")
    assert {b["contact"]: b["date"][5:] for b in items} == want
    assert len(items) == len(want), "a contact has more than one birthday reminder"


@pytest.mark.parametrize("setup", having("followups"))
def test_followups(setup, vaults):
    want = expected(setup)["followups"]
    items = vaults[setup].reminders("followup")
    got = sorted((f["contact"], f["date"]) for f in items)
    assert got == sorted((f["contact"], f["due"]) for f in want)
    want_texts = {(f["contact"], f["due"]): plain(f["text"]) for f in want if "text" in f}
    got_texts = {(f["contact"], f["date"]): plain(f.get("text")) for f in items}
    assert {key: got_texts[key] for key in want_texts} == want_texts


@pytest.mark.parametrize("setup", having("last_contact"))
def test_last_contact(setup, vaults):
    want = expected(setup)["last_contact"]
    contacts = vaults[setup].contacts()
    got = {
        name: contacts[name]["last_contact"] if name in contacts else "<no such contact>"
        for name in want
    }
    assert got == want


@pytest.mark.parametrize("setup", having("company"))
def test_company(setup, vaults):
    want = expected(setup)["company"]
    contacts = vaults[setup].contacts()
    got = {
        name: company_text(contacts[name]["company"]) if name in contacts else "<no such contact>"
        for name in want
    }
    assert got == {name: plain(company) for name, company in want.items()}


@pytest.mark.parametrize("setup", having("interaction_texts"))
def test_interaction_texts(setup, vaults):
    """What the latest contact on or before today was about, as `crm show` tells it."""
    want = expected(setup)["interaction_texts"]
    got: dict[str, str | None] = {}
    for name in want:
        result = vaults[setup].run("show", name, "--json")
        if result.exit_code != 0:
            got[name] = f"<crm show failed: {result.output.strip()}>"
            continue
        past = [
            i
            for i in json.loads(result.stdout)["interactions"]
            if date.fromisoformat(i["date"]) <= TODAY
        ]
        got[name] = plain(past[0]["text"]) if past else None
    assert got == {name: plain(text) for name, text in want.items()}


@pytest.mark.parametrize("setup", having("reconnects"))
def test_reconnects(setup, vaults):
    want = expected(setup)["reconnects"]
    items = vaults[setup].reminders("reconnect")
    assert {r["contact"]: r["date"] for r in items} == want
    assert len(items) == len(want), "a contact has more than one reconnect reminder"


@pytest.mark.parametrize(
    ("setup", "key"), [(setup, key) for key in ("emails", "phones") for setup in having(key)]
)
def test_emails_and_phones(setup, key, vaults):
    want = expected(setup)[key]
    contacts = vaults[setup].contacts()
    got = {
        name: sorted(contacts[name][key]) if name in contacts else "<no such contact>"
        for name in want
    }
    assert got == {name: sorted(values) for name, values in want.items()}


@pytest.mark.parametrize("setup", SETUPS)
def test_check_is_silent(setup, vaults):
    """A consistent vault written in its own convention has no problem to report."""
    result = vaults[setup].run("check", "--json")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])
    text = vaults[setup].run("check")
    assert (text.exit_code, text.stdout) == (0, "")
