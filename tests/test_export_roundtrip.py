"""Property test: any contact the notes can hold survives export vcard → import → export."""

from __future__ import annotations

import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plaintextcrm.cli import cli

# Printable text with the characters vCard must escape (, ; \ :) and non-Latin scripts.
_chars = st.characters(
    whitelist_categories=("L", "N", "P", "S", "Zs"),
    blacklist_characters="\u2028\u2029\x85\xa0",
)
_text = (
    st.text(_chars, min_size=1, max_size=30)
    .map(lambda s: " ".join(s.split()))
    .filter(lambda s: any(c.isalnum() for c in s))
)
_tag = st.from_regex(r"[a-z][a-z0-9_/]{0,12}", fullmatch=True)


def _yaml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _run(root: Path, *args: str):
    return CliRunner().invoke(cli, ["--vault", str(root), "--today", "2026-11-23", *args])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=_text,
    company=st.none() | _text,
    role=st.none() | _text,
    alias=st.none() | _text,
    tags=st.lists(_tag, max_size=3, unique=True),
    version=st.sampled_from(["3.0", "4.0"]),
)
# `a\N` is exported as `a\\N`; unescaping `\\` and `\N` in two passes made it `a` + a break.
@example(name="Anna", company=None, role=None, alias="a\\N", tags=[], version="3.0")
def test_any_contact_round_trips(name, company, role, alias, tags, version):
    lines = [f"name: {_yaml(name)}", "email: someone@example.org"]
    if company:
        lines.append(f"company: {_yaml(company)}")
    if role:
        lines.append(f"role: {_yaml(role)}")
    if alias and alias.casefold() != name.casefold():
        lines.append(f"aliases: [{_yaml(alias)}]")
    if tags:
        lines.append("tags: [" + ", ".join(tags) + "]")
    with tempfile.TemporaryDirectory() as tmp:
        one, two = Path(tmp, "one"), Path(tmp, "two")
        (one / "People").mkdir(parents=True)
        two.mkdir()
        for root in (one, two):
            (root / "crm.toml").write_text("")
        (one / "People" / "x.md").write_text(
            "---\n" + "\n".join(lines) + "\n---\n", encoding="utf-8"
        )
        first = _run(one, "export", "vcard", "--version", version)
        assert first.exit_code == 0, first.output
        card = Path(tmp, "c.vcf")
        card.write_bytes(first.stdout_bytes)
        imported = _run(two, "import", "vcard", str(card))
        assert imported.exit_code == 0, imported.output
        assert "1 new" in imported.stdout, imported.output
        second = _run(two, "export", "vcard", "--version", version)
        assert second.stdout_bytes == first.stdout_bytes
