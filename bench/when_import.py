"""What a date library would cost at start-up, against crm's own WHEN grammar.

    python3 bench/when_import.py          # medians of 10 fresh processes each

The budget (docs/dates.md): `crm due` starts within 0.1 s of `crm --version`. Printed:
the wall time of a fresh interpreter importing each candidate (and, for the libraries,
parsing `next friday` once, which is when dateparser loads its language data), the
`python -X importtime` cumulative import time of each module, the per-call cost of
`plaintextcrm.when.parse_when`, and `crm --version` against `crm due` on a small vault.
A library that is not installed is reported as such. Not part of the test run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
RUNS = 10
ENV = {**os.environ, "PYTHONPATH": str(REPO)}

SNIPPETS = {
    "interpreter start": "pass",
    "import plaintextcrm.cli": "import plaintextcrm.cli",
    "import plaintextcrm.cli, then .when": "import plaintextcrm.cli, plaintextcrm.when",
    "import parsedatetime": "import parsedatetime",
    "parsedatetime: import + parse 'next friday'": (
        "import parsedatetime; parsedatetime.Calendar().parseDT('next friday')"
    ),
    "import dateparser": "import dateparser",
    "dateparser: import + parse 'next friday'": (
        "import dateparser; dateparser.parse('next friday', languages=['en'])"
    ),
}
MODULES = ("click", "plaintextcrm.dates", "plaintextcrm.when", "parsedatetime", "dateparser")


def median_wall(args: list[str]) -> float | None:
    """Median wall time of `RUNS` fresh processes; None when the command fails."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        done = subprocess.run(args, env=ENV, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            return None
    return statistics.median(times)


def import_time(module: str) -> float | None:
    """`-X importtime`'s cumulative time of `module` (seconds), median of `RUNS`."""
    values = []
    for _ in range(RUNS):
        done = subprocess.run(
            [PY, "-X", "importtime", "-c", f"import {module}"],
            env=ENV, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            return None
        for line in done.stderr.splitlines():
            parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
            if len(parts) == 3 and parts[2] == module:
                values.append(int(parts[1]) / 1e6)
    return statistics.median(values) if values else None


def small_vault(root: Path) -> Path:
    (root / "People").mkdir()
    (root / "crm.toml").write_text("")
    for i in range(20):
        (root / "People" / f"Person {i}.md").write_text(
            f"---\nbirthday: 1990-01-{i + 1:02d}\n---\n- [ ] call 📅 2026-12-{i + 1:02d}\n"
        )
    return root


def show(label: str, seconds: float | None) -> None:
    print(f"{label:48} {'not installed' if seconds is None else f'{seconds * 1000:7.1f} ms'}")


def main() -> None:
    print(f"Python {sys.version.split()[0]}, medians of {RUNS} fresh processes\n")
    print("Wall time of a fresh interpreter:")
    for label, code in SNIPPETS.items():
        show(label, median_wall([PY, "-c", code]))
    print("\n`python -X importtime`, cumulative:")
    for module in MODULES:
        show(module, import_time(module))
    sys.path.insert(0, str(REPO))
    from plaintextcrm.when import parse_when

    today = date(2026, 11, 23)
    print("\nparse_when, per call (in process):")
    for text in ("2026-12-01", "+2w", "next friday", "1 dec 2027"):
        calls = 20000
        per = timeit.timeit(lambda t=text: parse_when(t, today), number=calls) / calls
        print(f"{text!r:48} {per * 1e6:7.1f} µs")
    with tempfile.TemporaryDirectory() as tmp:
        vault = str(small_vault(Path(tmp)))
        crm = [PY, "-m", "plaintextcrm", "--vault", vault, "--today", "2026-11-23"]
        version = median_wall([PY, "-m", "plaintextcrm", "--version"])
        median_wall([*crm, "due"])  # fill the cache once
        due = median_wall([*crm, "due"])
    print("\nThe budget: `crm due` within 100 ms of `crm --version`:")
    show("crm --version", version)
    show("crm due (20 notes, warm cache)", due)
    if version is not None and due is not None:
        print(f"{'difference':48} {(due - version) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
