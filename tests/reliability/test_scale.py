"""Scale and abuse: big vaults, big notes, bombs, deep folders, loops (BAD_INPUTS 7, 8, 19).

Each run is a `crm` subprocess started from a fresh Python that reports its children's
peak memory (resource.getrusage(RUSAGE_CHILDREN)), so one test's measurement never
includes another's. We assert a generous memory bound, never a time: the timeout is only
a guard against a hang.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import plaintextcrm

from .helpers import snapshot

PEAK_LIMIT_MIB = 600
TREE = str(Path(plaintextcrm.__file__).resolve().parent.parent)

_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stdout.buffer.write(b"%d %d\\n" % (done.returncode, peak))
sys.stdout.buffer.write(done.stdout)
sys.stderr.buffer.write(done.stderr)
"""


def run_measured(root: Path, *args: str, timeout: float = 600) -> tuple[int, float, str, str]:
    """`crm --vault ROOT ARGS` in a subprocess: (exit code, peak MiB, stdout, stderr)."""
    env = {**os.environ, "PYTHONPATH": TREE + os.pathsep + os.environ.get("PYTHONPATH", "")}
    argv = [
        sys.executable,
        "-m",
        "plaintextcrm",
        "--vault",
        str(root),
        "--today",
        "2026-11-23",
        *args,
    ]
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *argv], capture_output=True, env=env, timeout=timeout
    )
    head, _, out = done.stdout.partition(b"\n")
    code, peak_kib = (int(x) for x in head.split())
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    return code, peak_kib / 1024, out.decode("utf-8", "replace"), stderr


def problems_of(out: str) -> list[dict]:
    return json.loads(out)


@pytest.fixture
def big_vault(tmp_path) -> Path:
    """50,000 tiny notes: contacts, a few broken ones, daily notes linking them."""
    root = tmp_path / "big"
    root.mkdir()
    (root / "crm.toml").write_text("")
    for folder in range(50):
        people = root / "People" / f"g{folder:02d}"
        people.mkdir(parents=True)
        for i in range(800):
            n = folder * 800 + i
            text = f"---\ncadence: {1 + n % 9}w\nbirthday: --{1 + n % 12:02d}-{1 + n % 28:02d}\n---\n- 2026-{1 + n % 11:02d}-0{1 + n % 9} met\n"
            if n % 5000 == 0:
                text = "---\nbirthday: 1990-02-30\n---\n"
            (people / f"P{n}.md").write_text(text)
    daily = root / "Daily"
    daily.mkdir()
    for n in range(10_000):
        (daily / f"2026-{1 + n % 11:02d}-{1 + n % 28:02d} n{n}.md").write_text(f"[[P{n * 4}]]\n")
    return root


def test_50k_note_vault_is_indexed_with_bounded_memory(big_vault):
    code, peak, out, _ = run_measured(big_vault, "check", "--json")
    assert code == 1 and peak < PEAK_LIMIT_MIB, f"peak {peak:.0f} MiB"
    broken = {f"People/g{n // 800:02d}/P{n}.md" for n in range(0, 40_000, 5000)}
    assert {p["path"] for p in json.loads(out)} == broken
    code, peak, out, _ = run_measured(big_vault, "due", "--json", "--kind", "birthday")
    assert code == 0 and peak < PEAK_LIMIT_MIB and len(json.loads(out)) > 1000


def test_case_07_20_mb_note_is_indexed_with_bounded_memory(tmp_path):
    root = tmp_path / "v"
    (root / "People").mkdir(parents=True)
    (root / "crm.toml").write_text("")
    line = "Lorem ipsum dolor sit amet, [[Nobody]] consectetur adipiscing elit, sed do eiusmod.\n"
    big = (
        "---\ncadence: 1w\n---\n"
        + line * (20 * 1024 * 1024 // len(line))
        + "- 2026-11-20 the end\n"
    )
    (root / "People" / "Huge.md").write_text(big)
    (root / "People" / "Anna.md").write_text("- 2026-11-01 coffee\n")
    before = snapshot(root)
    code, peak, out, _ = run_measured(root, "list", "--json")
    assert code == 0 and peak < PEAK_LIMIT_MIB, f"peak {peak:.0f} MiB"
    assert {c["name"]: c["last_contact"] for c in json.loads(out)} == {
        "Anna": "2026-11-01",
        "Huge": "2026-11-20",
    }
    code, peak, out, _ = run_measured(root, "search", "the end")
    assert code == 0 and peak < PEAK_LIMIT_MIB and "Huge" in out
    assert snapshot(root) == before


def test_case_07_10000_line_log_is_indexed_with_bounded_memory(tmp_path):
    root = tmp_path / "v"
    (root / "People").mkdir(parents=True)
    (root / "crm.toml").write_text("")
    log = "".join(
        f"- 2026-{1 + n % 11:02d}-{1 + n % 28:02d} talk number {n} #gave\n" for n in range(10_000)
    )
    (root / "People" / "Chatty.md").write_text(f"---\ncadence: 1w\n---\n## Log\n{log}")
    code, peak, out, _ = run_measured(root, "show", "Chatty", "--json")
    assert code == 0 and peak < PEAK_LIMIT_MIB, f"peak {peak:.0f} MiB"
    shown = json.loads(out)
    assert len(shown["interactions"]) == 10_000
    code, peak, out, _ = run_measured(root, "list", "--json")
    assert json.loads(out)[0]["gave"] == 10_000


def test_case_19_alias_bomb_with_bounded_memory(tmp_path):
    root = tmp_path / "v"
    (root / "People").mkdir(parents=True)
    (root / "crm.toml").write_text("")
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 30)]
    lines += ["tags: *a29", "aliases: [*a29, *a29]"]
    bomb = "---\nname: Bomb\n" + "\n".join(lines) + "\n---\n- 2026-11-02 still read\n"
    (root / "People" / "Bomb.md").write_text(bomb)
    (root / "People" / "Anna.md").write_text("- 2026-11-01 coffee\n")
    code, peak, out, _ = run_measured(root, "check", "--json", timeout=120)
    assert code == 1 and peak < PEAK_LIMIT_MIB, f"peak {peak:.0f} MiB"
    [problem] = problems_of(out)
    assert problem["path"] == "People/Bomb.md" and problem["level"] == "error"
    code, peak, out, _ = run_measured(root, "list", "--json", timeout=120)
    assert {c["name"]: c["last_contact"] for c in json.loads(out)} == {
        "Anna": "2026-11-01",
        "Bomb": "2026-11-02",
    }


def test_case_08_deep_nesting_and_symlink_loops_with_bounded_memory(tmp_path):
    root = tmp_path / "v"
    (root / "People").mkdir(parents=True)
    (root / "crm.toml").write_text("")
    deep = root / "People" / os.path.join(*["deeper"] * 200)
    deep.mkdir(parents=True)
    (deep / "Deep.md").write_text("- 2026-11-03 found\n")
    for i in range(20):  # many loops, including ones that point up several levels
        (deep.parents[i * 9] / f"loop{i}").symlink_to(root, target_is_directory=True)
    (root / "People" / "a").symlink_to(root / "People" / "b")
    (root / "People" / "b").symlink_to(root / "People" / "a")
    code, peak, out, _ = run_measured(root, "check", "--json")
    assert code == 0 and peak < PEAK_LIMIT_MIB, f"peak {peak:.0f} MiB"
    warnings = problems_of(out)
    assert len(warnings) == 22 and all(p["level"] == "warning" for p in warnings)
    code, _, out, _ = run_measured(root, "list", "--json")
    assert [(c["name"], c["last_contact"]) for c in json.loads(out)] == [("Deep", "2026-11-03")]


PATHOLOGICAL = [
    "[[" * 250_000,
    "[" * 500_000,
    "[x](" * 125_000,
    "[a](<" + "x.md#" * 100_000,
    "- [[2026-01-01" * 40_000,
    "- [ ] " + "due:: " * 80_000,
    "> " * 250_000 + "- 2026-11-01 quoted",
]


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--json"),
        ("due", "--json"),
        ("due",),
        ("show", "Noise"),
        ("ics",),
        ("digest", "--format", "html"),
    ],
    ids=" ".join,
)
def test_pathological_lines_finish_in_linear_time(tmp_path, args):
    """Half-megabyte lines built to make regular expressions backtrack (each took minutes
    before the link patterns stopped at brackets); the timeout only guards against that."""
    from .helpers import has_command

    if not has_command(args[0]):
        pytest.xfail(f"crm {args[0]} is not merged yet")
    root = tmp_path / "v"
    (root / "People").mkdir(parents=True)
    (root / "crm.toml").write_text("")
    body = "\n".join(PATHOLOGICAL) + "\n- 2026-11-02 after the noise [[Anna]] " + "[x](" * 50_000
    body += "\n- [ ] 2026-11-20 follow up " + "[[" * 50_000 + " [a](" * 50_000 + "\n"
    (root / "People" / "Noise.md").write_text("---\ncadence: 1w\n---\n" + body)
    (root / "People" / "Anna.md").write_text("- 2026-11-01 coffee\n")
    code, peak, out, _ = run_measured(root, *args, timeout=120)
    assert code == 0 and peak < PEAK_LIMIT_MIB
    if args[0] == "list":
        contacts = {c["name"]: c["last_contact"] for c in json.loads(out)}
        assert contacts == {"Anna": "2026-11-02", "Noise": "2026-11-02"}
    if args == ("due", "--json"):
        kinds = sorted(r["kind"] for r in json.loads(out) if r["contact"] == "Noise")
        assert kinds == ["followup", "reconnect"]


#: Lines built to make a dated note's sentence search quadratic: thousands of people and
#: sentence ends on one line, a bracket never closed before them, a long wrapped paragraph.
DATED_PATHOLOGICAL = [
    " ".join(f"[[P{i}]]." for i in range(20_000)),
    "[" + "x. " * 100_000 + "[[Anna]]",
    *(("word " * 2_000 + f"[[P{i}]]") for i in range(40)),
    "> [!note] " + "> " * 100_000,
    "attendees:: " + "[[Anna]], " * 20_000,
]


@pytest.mark.parametrize("args", [("show", "Anna", "--json"), ("due", "--json")], ids=" ".join)
def test_pathological_dated_notes_finish_in_linear_time(tmp_path, args):
    """A daily note's interaction text is the sentence that names each person: every
    line is cut once, however many people it names."""
    root = tmp_path / "v"
    (root / "People").mkdir(parents=True)
    (root / "Daily").mkdir()
    (root / "crm.toml").write_text("")
    (root / "People" / "Anna.md").write_text("---\ncadence: 1w\n---\n- 2026-11-01 coffee\n")
    (root / "Daily" / "2026-11-03.md").write_text("\n".join(DATED_PATHOLOGICAL) + "\n")
    code, peak, out, _ = run_measured(root, *args, timeout=120)
    assert code == 0 and peak < PEAK_LIMIT_MIB
    if args[0] == "show":
        assert json.loads(out)["last_contact"] == "2026-11-03"
