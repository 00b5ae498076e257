"""Benchmark `crm` against floors measured side by side, on generated vaults.

    python3 bench/run.py            # 1k, 10k and 50k notes
    python3 bench/run.py --quick    # 1k only
    python3 bench/run.py --write    # also write bench/RESULTS.md

Vaults come from `bench/genvault.py` into `bench/out/` (gitignored). Every number
is the median of several runs, each a fresh process, so interpreter start and imports
count as they do for a user. Floors (run in the same session, on the same files, so a
busy machine slows both alike): interpreter start, walking + stat of every file, reading
every file, and the naive python-frontmatter loop. The peer is `khard list` over the same
contacts as vCards, from PyPI into `bench/out/venv`. Peak memory is the child's
`ru_maxrss`. Not part of the test run.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
#: The deterministic vault generator (stdlib only).
GENVAULT = HERE / "genvault.py"
TODAY = "2026-11-23"
PY = sys.executable
STAT = "floor: walk + stat every file"
READ = "floor: read every file"
COLD = "crm due --json (cold, no cache)"
WARM = "crm due --json (warm)"
CHANGED = "crm due --json (one note changed)"
KHARD = "peer: khard list (vCards)"


@dataclass
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child (and the children it waited for)
    rss_mib: float  # peak resident set of the child


def run_once(cmd: list[str], env: dict[str, str] | None = None) -> Sample:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()[-500:]}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def median(samples: list[Sample]) -> Sample:
    return Sample(
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
        max(s.rss_mib for s in samples),
    )


def make_vault(notes: int) -> Path:
    root = OUT / f"vault-{notes}"
    marker = root / ".crm-bench"
    if marker.is_file() and marker.read_text() == str(notes):
        return root
    print(f"generating {notes} notes ...", file=sys.stderr)
    subprocess.run(
        [PY, str(GENVAULT), "--notes", str(notes), "--force", str(root)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    marker.write_text(str(notes))
    time.sleep(2.1)  # let the newest mtimes age past the cache's "too fresh" window
    return root


def crm_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "CRM_TODAY": TODAY}


def crm(root: Path, *args: str) -> list[str]:
    return [PY, "-m", "plaintextcrm", "--vault", str(root), *args]


def has_command(root: Path, name: str) -> bool:
    probe = subprocess.run(crm(root, name, "--help"), env=crm_env(), capture_output=True)
    return probe.returncode == 0


def khard_ready() -> Path | None:
    """`khard` in its own venv under bench/out/venv (installed once from PyPI)."""
    venv = OUT / "venv"
    khard = venv / "bin" / "khard"
    if khard.exists():
        return khard
    try:
        subprocess.run([PY, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "khard"], check=True, timeout=600
        )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"khard unavailable: {exc}", file=sys.stderr)
        return None
    return khard


def _vcard_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")


def write_vcards(root: Path, notes: int) -> Path:
    """The vault's contacts as one .vcf each, for khard (from our own index), written by a
    child process: Linux keeps a process's peak RSS across fork and exec, so an index
    read here would show as the peak memory of every command measured after it."""
    folder = OUT / f"vcards-{notes}"
    if not (folder / ".done").exists():
        subprocess.run([PY, __file__, "--vcards", str(root), str(notes)], check=True)
    return folder


def _write_vcards(root: Path, notes: int) -> None:
    folder = OUT / f"vcards-{notes}"
    marker = folder / ".done"
    sys.path.insert(0, str(REPO))
    from datetime import date

    from plaintextcrm.load import load_index

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    index = load_index(root, date.fromisoformat(TODAY), use_cache=False)
    for n, contact in enumerate(index.contacts):
        f = contact.fields
        family, _, given = f.name.rpartition(" ")
        lines = [
            "BEGIN:VCARD",
            "VERSION:3.0",
            f"UID:bench-{n}",
            f"FN:{_vcard_text(f.name)}",
            f"N:{_vcard_text(given if family else '')};{_vcard_text(family or f.name)};;;",
        ]
        lines += [f"EMAIL;TYPE=INTERNET:{e}" for e in f.emails]
        lines += [f"TEL;TYPE=CELL:{p}" for p in f.phones]
        if f.birthday and f.birthday.year:
            lines.append(f"BDAY:{f.birthday.year:04d}-{f.birthday.month:02d}-{f.birthday.day:02d}")
        if f.company:
            lines.append(f"ORG:{_vcard_text(f.company.strip('[]'))}")
        lines.append("END:VCARD")
        (folder / f"bench-{n}.vcf").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    marker.write_text("")


def khard_config(vcards: Path, notes: int) -> Path:
    conf = OUT / f"khard-{notes}.conf"
    conf.write_text(
        f"[addressbooks]\n[[bench]]\npath = {vcards}\n\n"
        "[general]\ndebug = no\ndefault_action = list\neditor = true\nmerge_editor = true\n"
    )
    return conf


def touch_one(root: Path, k: int) -> None:
    """Change one contact note (toggle a trailing blank line) with an mtime just past."""
    note = next(iter(sorted((root / "Contacts").glob("*.md")) or sorted(root.rglob("*.md"))))
    data = note.read_bytes()
    note.write_bytes(data[:-1] if data.endswith(b"\n\n") else data + b"\n")
    when = time.time() - 5 + k * 0.001
    os.utime(note, (when, when))


WATCH = "crm watch: edit to rewritten feed"


def _peak_mib(pid: int) -> float:
    """A running process's peak resident set (VmHWM), in MiB; 0 when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def watch_latency(root: Path, notes: int, repeat: int) -> Sample | str:
    """`crm watch --ics` running; each edit adds or removes a follow-up on one contact
    (a change the feed shows) and the time until the feed file is rewritten is taken."""
    feed = OUT / f"watch-{notes}.ics"
    feed.unlink(missing_ok=True)
    note = next(iter(sorted((root / "Contacts").glob("*.md")) or sorted(root.rglob("*.md"))))
    original = note.read_bytes()
    task = b"\n- [ ] 2026-11-25 bench follow-up\n"
    with open(OUT / f"watch-{notes}.log", "wb") as log:
        proc = subprocess.Popen(
            crm(root, "watch", "--ics", str(feed)), env=crm_env(), stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + 600
            while not feed.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    return "watch did not start"
                time.sleep(0.05)
            samples = []
            for k in range(repeat):
                time.sleep(1.5)  # settled: no rebuild pending
                before = feed.stat().st_mtime_ns
                start = time.perf_counter()
                note.write_bytes(original + task if k % 2 == 0 else original)
                while feed.stat().st_mtime_ns == before:
                    if time.perf_counter() - start > 120:
                        return "feed not rewritten within 120 s"
                    time.sleep(0.005)
                samples.append(time.perf_counter() - start)
            wall = statistics.median(samples)
            print(f"  {notes:>6} {WATCH:<34} {wall:7.3f} s", file=sys.stderr)
            return Sample(wall, float("nan"), _peak_mib(proc.pid))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            note.write_bytes(original)
            when = time.time() - 10
            os.utime(note, (when, when))


def measure(notes: int, repeat: int) -> dict[str, Sample | str]:
    root = make_vault(notes)
    env = crm_env()
    res: dict[str, Sample | str] = {}

    def many(name: str, cmd: list[str], before=None, n: int = repeat, env_=env) -> None:
        samples = []
        for k in range(n):
            if before:
                before(k)
            samples.append(run_once(cmd, env_))
        res[name] = median(samples)
        print(f"  {notes:>6} {name:<34} {res[name].wall:7.3f} s", file=sys.stderr)

    state = root / ".crm"

    def cold(_k: int) -> None:
        shutil.rmtree(state, ignore_errors=True)

    many("floor: interpreter start", [PY, "-c", "pass"])
    many(STAT, [PY, str(HERE / "floors.py"), "stat", str(root)])
    many(READ, [PY, str(HERE / "floors.py"), "read", str(root)])
    many(
        "naive python-frontmatter loop",
        [PY, str(HERE / "floors.py"), "frontmatter", str(root)],
        n=max(1, repeat // 2),
    )
    many("crm --version", [PY, "-m", "plaintextcrm", "--version"])
    many(COLD, crm(root, "due", "--json"), before=cold)
    run_once(crm(root, "due", "--json"), env)  # prime
    many(WARM, crm(root, "due", "--json"))
    many(
        CHANGED,
        crm(root, "due", "--json"),
        before=lambda k: touch_one(root, k),
    )
    run_once(crm(root, "due", "--json"), env)
    run_once(crm(root, "list", "--json"), env)  # prime: its first run computes it
    many("crm list --json (warm)", crm(root, "list", "--json"))
    for name in ("ics", "digest"):
        label = f"crm {name} (warm)"
        if has_command(root, name):
            run_once(crm(root, name), env)
            many(label, crm(root, name))
        else:
            res[label] = "not built yet"
    res[WATCH] = watch_latency(root, notes, repeat)
    khard = khard_ready()
    if khard:
        conf = khard_config(write_vcards(root, notes), notes)
        many(
            KHARD,
            [str(khard), "-c", str(conf), "list"],
            n=max(1, repeat // 2 if notes <= 10_000 else 1),
            env_={**os.environ, "HOME": str(OUT)},
        )
    else:
        res[KHARD] = "khard not installable"
    return res


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores (`nproc`), {cpu}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average at the end "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )


def fmt(value: Sample | str | None, what: str = "wall") -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if what == "rss":
        return f"{value.rss_mib:.0f} MiB"
    return f"{getattr(value, what):.3f} s"


def table(results: dict[int, dict[str, Sample | str]]) -> str:
    sizes = sorted(results)
    names = list(next(iter(results.values())))
    head = "| | " + " | ".join(f"{n // 1000}k notes" for n in sizes) + " |"
    sep = "|---" * (len(sizes) + 1) + "|"
    out = ["### Median wall time (CPU time user+sys in brackets)", "", head, sep]
    for name in names:
        cells = []
        for n in sizes:
            v = results[n].get(name)
            cpu = f" ({v.cpu:.3f})" if isinstance(v, Sample) and v.cpu == v.cpu else ""
            cells.append(fmt(v) + cpu)
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", "### Peak memory (max RSS of the process)", "", head, sep]
    for name in names:
        if name.startswith(("crm", "peer")):
            cells = [fmt(results[n].get(name), "rss") for n in sizes]
            out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", "### Targets (issue 13)", "", head.replace("| |", "| target |"), sep]

    def ratio(n: int, a: str, b: str, what: str = "wall") -> str:
        x, y = results[n].get(a), results[n].get(b)
        if not (isinstance(x, Sample) and isinstance(y, Sample)):
            return "–"
        return f"{getattr(x, what) / getattr(y, what):.2f}×"

    def diff(n: int, a: str, b: str, what: str = "wall") -> str:
        x, y = results[n].get(a), results[n].get(b)
        if not (isinstance(x, Sample) and isinstance(y, Sample)):
            return "–"
        return f"{getattr(x, what) - getattr(y, what):+.3f} s"

    def peak(n: int) -> str:
        mine = [
            v.rss_mib
            for k, v in results[n].items()
            if k.startswith("crm") and isinstance(v, Sample)
        ]
        return f"{max(mine):.0f} MiB" if mine else "–"

    cold, warm, changed = COLD, WARM, CHANGED
    warm_outputs = [WARM, "crm ics (warm)", "crm digest (warm)", "crm list --json (warm)"]

    def slowest(n: int) -> str:
        found = [(results[n].get(k), k) for k in warm_outputs]
        found2 = [(v.wall, k) for v, k in found if isinstance(v, Sample)]
        if not found2:
            return "–"
        wall, name = max(found2)
        return f"{wall:.3f} s ({name.split()[1]})"

    def faster(n: int) -> str:
        x, y = results[n].get(KHARD), results[n].get(cold)
        if not (isinstance(x, Sample) and isinstance(y, Sample)):
            return fmt(x)
        return f"{x.wall / y.wall:.2f}×"

    rows = [
        ("one changed note, over warm due: ≤ +0.05 s (10k), ≤ +0.25 s (50k)",
         lambda n: diff(n, changed, warm)),
        ("(same, in CPU time)", lambda n: diff(n, changed, warm, "cpu")),
        ("cold due: ≤ 5 × read floor", lambda n: ratio(n, cold, READ)),
        ("(same, in CPU time)", lambda n: ratio(n, cold, READ, "cpu")),
        ("slowest of warm due, ics, digest, list --json: ≤ 0.3 s (10k), ≤ 1.0 s (50k)", slowest),
        ("watch, edit to rewritten feed: ≤ 0.3 s (10k), ≤ 1.0 s (50k)",
         lambda n: fmt(results[n].get(WATCH))),
        ("peak memory, any command: ≤ 120 MiB (10k), ≤ 400 MiB (50k)", lambda n: peak(n)),
        ("khard list (cold) / crm due (cold): ≥ 10×", faster),
        ("warm due ≤ 2.5 × stat floor (issue 6)", lambda n: ratio(n, warm, STAT)),
        ("--version ≤ 0.1 s", lambda n: fmt(results[n].get("crm --version"))),
        ("cold per note (linear growth)", lambda n: _per_note(results[n].get(cold), n)),
        ("warm per note (linear growth)", lambda n: _per_note(results[n].get(warm), n)),
    ]  # fmt: skip
    for label, cell in rows:
        out.append(f"| {label} | " + " | ".join(cell(n) for n in sizes) + " |")
    return "\n".join(out)


NOTE = (
    "Medians of fresh processes. The machine may be shared with other jobs (see the load "
    "average): wall times then swing from run to run, floors included, so compare the "
    "CPU-time ratios too. CPU time of `crm` includes its pool worker on cold runs."
)


def _per_note(v: Sample | str | None, n: int) -> str:
    return f"{v.wall / n * 1e6:.0f} µs" if isinstance(v, Sample) else "–"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1k notes only")
    ap.add_argument("--sizes", help="comma-separated note counts (default 1000,10000,50000)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    ap.add_argument("--write", action="store_true", help="write bench/RESULTS.md")
    ap.add_argument("--vcards", nargs=2, metavar=("VAULT", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.vcards:
        _write_vcards(Path(args.vcards[0]), int(args.vcards[1]))
        return
    sizes = [1000] if args.quick else [1000, 10_000, 50_000]
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    OUT.mkdir(exist_ok=True)
    load_before = "{:.1f} / {:.1f} / {:.1f}".format(*os.getloadavg())
    results = {}
    for n in sizes:
        # at least 3 runs: the median of 2 is their mean, and one outlier moves it
        results[n] = measure(n, args.repeat if n <= 10_000 else max(3, args.repeat // 2))
    report = "\n".join(
        [
            "# Benchmark results",
            "",
            f"Machine: {machine()}; at the start {load_before}.",
            f"Command: `python3 bench/run.py {' '.join(sys.argv[1:])}` "
            f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}).",
            "",
            NOTE,
            "",
            table(results),
            "",
        ]
    )
    print(report)
    if args.write:
        (HERE / "RESULTS.md").write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
