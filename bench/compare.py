"""Compare the CPU time of `crm` commands between two source trees on one vault.

    git worktree add /tmp/base <commit>
    python3 bench/compare.py --base /tmp/base --vault bench/out/v10k --repeat 5

Each command runs as a fresh process (`python -m plaintextcrm` with PYTHONPATH set to the
tree), the two trees interleaved so a busy machine slows both alike; CPU time (user+sys of
the child) is less noisy than wall time on a shared machine. `CRM_JOBS=1` keeps the cold
parse in one process, so the numbers compare the code, not the pool. Not part of the tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMANDS = ("cold due", "warm due", "warm list", "one changed due")


def run(tree: Path, vault: Path, args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "CRM_JOBS": "1"}
    cmd = [sys.executable, "-m", "plaintextcrm", "--vault", str(vault), "--today", "2026-11-23"]
    proc = subprocess.Popen([*cmd, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env)  # fmt: skip
    _, _, usage = os.wait4(proc.pid, 0)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True, help="the other source tree")
    ap.add_argument("--vault", type=Path, required=True, help="e.g. one made by genvault.py")
    ap.add_argument("--repeat", type=int, default=5)
    opts = ap.parse_args()
    trees = {"base": opts.base.resolve(), "this": REPO}
    note = next(iter(sorted((opts.vault / "People").glob("*.md"))))
    original = note.read_bytes()
    times: dict[tuple[str, str], list[float]] = {(t, c): [] for t in trees for c in COMMANDS}
    try:
        for rep in range(opts.repeat):
            for name, tree in trees.items():
                shutil.rmtree(opts.vault / ".crm", ignore_errors=True)
                times[name, "cold due"].append(run(tree, opts.vault, ["due", "--json"]))
                times[name, "warm due"].append(run(tree, opts.vault, ["due", "--json"]))
                times[name, "warm list"].append(run(tree, opts.vault, ["list", "--json"]))
                with note.open("ab") as f:
                    f.write(f"\n- 2026-11-2{rep % 10} bench edit\n".encode())
                times[name, "one changed due"].append(run(tree, opts.vault, ["due", "--json"]))
    finally:
        note.write_bytes(original)
    print(f"| median CPU time, {opts.repeat} runs | base | this | change |")
    print("|---|---|---|---|")
    for command in COMMANDS:
        base = statistics.median(times["base", command])
        this = statistics.median(times["this", command])
        print(f"| {command} | {base:.3f} s | {this:.3f} s | {100 * (this / base - 1):+.1f}% |")


if __name__ == "__main__":
    main()
