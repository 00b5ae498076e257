"""Shared fixtures: throwaway vaults written from a dict, and a CliRunner that calls `crm`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from plaintextcrm.cli import cli

TODAY = date(2026, 11, 23)


def write_vault(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write `files` (vault-relative path → text or bytes) under `root`."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return root


@pytest.fixture
def vault(tmp_path: Path):
    """Call with a dict of files; returns the vault root (a `crm.toml` is always there)."""

    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "vault"
        root.mkdir(exist_ok=True)
        if "crm.toml" not in files:
            (root / "crm.toml").write_text("", encoding="utf-8")
        return write_vault(root, files)

    return make


@pytest.fixture
def crm():
    """Run `crm` in-process with a fixed today; returns click's Result."""
    runner = CliRunner()

    def run(root: Path | None, *args: str, today: date | None = TODAY, env=None):
        argv: list[str] = []
        if root is not None:
            argv += ["--vault", str(root)]
        if today is not None:
            argv += ["--today", today.isoformat()]
        return runner.invoke(cli, [*argv, *args], env=env, catch_exceptions=False)

    return run
