"""docs/import.md shows real output: its dry-run examples are re-run here and compared."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "import.md"
MADE = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "made"


def examples() -> dict[str, list[str]]:
    """`$ crm ...` command → the lines the doc shows under it."""
    block = re.search(r"### Example\n\n```text\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block, "docs/import.md lost its example block"
    out: dict[str, list[str]] = {}
    command = None
    for line in block[1].splitlines():
        if line.startswith("$ crm "):
            command = line[2:]
            out[command] = []
        elif line and command:
            out[command].append(line)
    return out


def test_the_dry_run_examples_are_what_the_command_prints(vault, crm, tmp_path):
    shown = examples()
    assert len(shown) == 2
    root = vault({
        "crm.toml": '[import]\ndefault_region = "IT"\n',
        "People/Anna Rossi.md": "---\nemail: anna.rossi@example.it\ncompany: Acme\n---\n",
    })  # fmt: skip
    for name in ("google-contacts.csv", "android-export-21.vcf", "apple-contacts-30.vcf"):
        shutil.copy(MADE / name, tmp_path / name.replace("google-contacts", "contacts"))
    for command, lines in shown.items():
        args = command.split()[1:]
        args = [str(tmp_path / a) if a.endswith((".csv", ".vcf")) else a for a in args]
        result = crm(root, *args)
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == lines, command


def test_every_import_and_export_subcommand_is_documented(crm):
    text = DOC.read_text(encoding="utf-8")
    for group in ("import", "export"):
        help_text = crm(None, group, "--help").stdout
        commands = re.findall(r"^  (\w+)\s", help_text.split("Commands:")[1], re.M)
        assert commands
        for command in commands:
            assert f"crm {group} {command}" in text
