"""A non-editable install (a built wheel in a fresh venv) must work on its own.

The venv sees the system's site-packages for the dependencies (no network needed), but our
package is installed from a wheel into the venv, shadowing the editable checkout, so a
file missing from the wheel (a template, a package) fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    if not (REPO / "pyproject.toml").exists():
        pytest.skip("not running from a source checkout")
    work = tmp_path_factory.mktemp("install")
    src = work / "src"
    shutil.copytree(
        REPO, src,
        ignore=shutil.ignore_patterns(".git", "node_modules", "*.egg-info", "build", "bench", ".crm"),
    )  # fmt: skip
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    # Build the wheel with this interpreter's setuptools (the venv's bundled one may be too
    # old for the pyproject), then install only that wheel into the venv.
    wheels = work / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--disable-pip-version-check", "-w", str(wheels),
                    str(src)], check=True, cwd=work)  # fmt: skip
    wheel = next(wheels.glob("plaintextcrm-*.whl"))
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps",
           "--disable-pip-version-check", str(wheel)]  # fmt: skip
    subprocess.run(pip, check=True, cwd=work)
    shutil.rmtree(src)  # nothing may be read from the source tree any more
    return venv


def run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": ""}
    return subprocess.run([str(venv / "bin" / "crm"), *args], capture_output=True, text=True,
                          cwd=cwd, env=env)  # fmt: skip


def test_wheel_runs_from_anywhere(installed, tmp_path):
    out = run(installed, "--version", cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.startswith("crm ")
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import plaintextcrm; print(plaintextcrm.__file__)"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""},
    )  # fmt: skip
    assert str(installed) in where.stdout, where.stdout


def test_wheel_reads_the_example_vault(installed, tmp_path):
    vault = tmp_path / "example-vault"
    shutil.copytree(REPO / "example-vault", vault)
    out = run(
        installed, "--vault", str(vault), "--today", "2026-11-23", "due", "--json", cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.lstrip().startswith("[")


def test_wheel_ships_the_templates(installed, tmp_path):
    probe = subprocess.run(
        [str(installed / "bin" / "python"), "-c",
         "import importlib.resources as r, json; "
         "print(json.dumps([p.name for p in r.files('plaintextcrm.templates').iterdir()]))"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""},
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    shipped = {p.name for p in (REPO / "templates").glob("*.j2")}
    assert shipped <= set(json.loads(probe.stdout))


def test_wheel_renders_the_digest(installed, tmp_path):
    """The digest templates come from the installed package, in every format."""
    vault = tmp_path / "v"
    (vault / "People").mkdir(parents=True)
    (vault / "crm.toml").write_text("", encoding="utf-8")
    (vault / "People" / "Ann.md").write_text(
        '---\nname: "<b>Ann</b>"\nbirthday: 1986-11-30\n---\n', encoding="utf-8"
    )
    outputs = {}
    for fmt in ("md", "html", "txt"):
        out = run(installed, "--vault", str(vault), "--today", "2026-11-23", "digest",
                  "--format", fmt, cwd=tmp_path)  # fmt: skip
        assert out.returncode == 0, out.stderr
        outputs[fmt] = out.stdout
    assert outputs["md"].startswith("# CRM digest 2026-11-23: 1 birthday")
    assert "&lt;b&gt;Ann&lt;/b&gt;" in outputs["html"] and "turns 40" in outputs["html"]
    assert outputs["txt"].startswith("CRM digest 2026-11-23: 1 birthday\n")


def test_wheel_version_is_the_package_version(installed, tmp_path):
    """One source for the version: the wheel's metadata, `crm --version` and the feed's
    PRODID all come from `plaintextcrm.__version__`."""
    from plaintextcrm import __version__

    meta = subprocess.run(
        [str(installed / "bin" / "python"), "-c",
         "import importlib.metadata as m; print(m.version('plaintextcrm'))"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""},
    )  # fmt: skip
    assert meta.stdout.strip() == __version__
    assert run(installed, "--version", cwd=tmp_path).stdout.strip() == f"crm {__version__}"
