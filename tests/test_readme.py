"""The README is what a newcomer copies from: its config sample and commands must be real."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from plaintextcrm.cli import LAZY_COMMANDS, cli
from plaintextcrm.config import parse_config

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_config_sample_parses_without_a_warning():
    sample = re.search(r"```toml\n(.*?)```", README, re.S).group(1)
    config = parse_config(tomllib.loads(sample))
    assert config.problems == ()
    assert dict(config.circles)["inner"].raw == "2w"


def test_every_command_in_the_tables_exists():
    named = set(re.findall(r"^\| `crm ([\w-]+)", README, re.M))
    known = set(cli.commands) | set(LAZY_COMMANDS)
    assert named and named <= known, named - known
    assert known <= named | {"help"}, known - named


def test_opens_with_install_and_test_commands():
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0]
    assert "crm --vault example-vault" in first_block and "bash .ci/run" in first_block
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.rstrip().splitlines()[-1] == "python3 -m pytest"
    assert "python3 -m pytest" in first_block
