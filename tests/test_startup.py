"""Start-up stays lean: the read path and `--version` never import the heavy libraries.

Timing is measured in bench/, not here; what a test can check without a clock is which
modules a command pulls in.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("icalendar", "jinja2", "watchdog", "vobject", "phonenumbers", "frontmatter")

PROBE = """
import json, sys
from plaintextcrm.cli import cli
try:
    cli.main(sys.argv[1:], prog_name="crm")
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(HEAVY)))
print(json.dumps(heavy), file=sys.stderr)
"""


def loaded_heavy(*args: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.replace("HEAVY", repr(json.dumps(HEAVY))), *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return json.loads(out.stderr.strip().splitlines()[-1])


def test_version_imports_nothing_heavy():
    assert loaded_heavy("--version") == []


def test_due_imports_nothing_heavy(tmp_path):
    (tmp_path / "crm.toml").write_text("")
    (tmp_path / "People").mkdir()
    (tmp_path / "People" / "Ada.md").write_text("---\nbirthday: 1990-01-02\n---\n")
    assert loaded_heavy("--vault", str(tmp_path), "due", "--json") == []


def test_lazy_commands_are_listed_and_loadable():
    from click.testing import CliRunner

    from plaintextcrm.cli import LAZY_COMMANDS, cli

    listing = CliRunner().invoke(cli, ["--help"]).output
    for name in LAZY_COMMANDS:
        assert name in listing
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0, result.output
