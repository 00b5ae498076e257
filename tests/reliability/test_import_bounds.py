"""Import within bounds (issue 15 item 6): hostile cards — 12,000 emails, 100,000
properties, a 20 MB NOTE — import in a bounded time and memory, write a front matter
that crm reads back (the birthday still reminds), and a re-import changes nothing.

Each import runs in a child process under a wrapper that reports the child's peak RSS
(`ru_maxrss`); the timeout is a guard against a hang, not a timing assertion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from plaintextcrm.importers import vcard as vcard_module
from plaintextcrm.importers.record import FRONT_MATTER_BUDGET, MAX_NOTE, MAX_VALUES
from plaintextcrm.parse import MAX_FRONT_MATTER

from .helpers import snapshot

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-23"
GUARD_SECONDS = 60
PEAK_LIMIT_MIB = 400
#: Runs `crm` as a child and prints the child's peak RSS in KiB (Linux) on stderr's last line.
WRAPPER = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run([sys.executable, '-m', 'plaintextcrm', *sys.argv[1:]])\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(r.returncode)\n"
)


def crm_child(root: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-c", WRAPPER, "--vault", str(root), "--today", TODAY, *args],
        capture_output=True, text=True, env=env, timeout=GUARD_SECONDS,
    )  # fmt: skip
    peak_kib = int(result.stderr.strip().splitlines()[-1])
    return result, peak_kib / 1024


def card(*lines: str) -> str:
    return "BEGIN:VCARD\r\nVERSION:3.0\r\n" + "".join(f"{x}\r\n" for x in lines) + "END:VCARD\r\n"


def twelve_thousand_emails() -> str:
    return card("FN:Many Mails", "BDAY:1990-11-25",
                *(f"EMAIL:person.{i}@example.org" for i in range(12_000)))  # fmt: skip


def hundred_thousand_properties() -> str:
    kinds = (
        lambda i: f"EMAIL:p{i}@example.org",
        lambda i: f"TEL:+39 333 {i:07d}",
        lambda i: f"URL:https://example.org/{i}",
        lambda i: f"CATEGORIES:tag{i}",
        lambda i: f"item{i}.X-ABDATE:2000-01-{i % 28 + 1:02d}",
        lambda i: f"item{i}.X-ABLabel:label {i}",
        lambda i: f"NICKNAME:nick{i}",
        lambda i: f"X-CUSTOM-{i % 100}:value {i}",
    )
    props = [kinds[i % len(kinds)](i) for i in range(100_000)]
    return card("FN:Many Props", "BDAY:1990-11-25", *props)


def twenty_megabyte_note() -> str:
    text = ("All work and no play makes a long note. " * 520_000)[: 20 * 1024 * 1024]
    folded = "\r\n ".join(text[i : i + 74] for i in range(0, len(text), 74))
    return card("FN:Long Note", "BDAY:1990-11-25", "EMAIL:long@example.org", "NOTE:" + folded)


HOSTILE = {
    "12000-emails": twelve_thousand_emails,
    "100000-properties": hundred_thousand_properties,
    "20MB-note": twenty_megabyte_note,
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_card_imports_within_bounds_and_reads_back(tmp_path, case):
    root = tmp_path / "vault"
    (root / "People").mkdir(parents=True)
    (root / "crm.toml").write_text("", encoding="utf-8")
    vcf = tmp_path / f"{case}.vcf"
    vcf.write_text(HOSTILE[case](), encoding="utf-8")

    first, peak = crm_child(root, "import", "vcard", str(vcf))
    assert first.returncode == 0, first.stderr[-2000:]
    assert peak < PEAK_LIMIT_MIB, f"{case}: peak {peak:.0f} MiB"
    assert "not imported" in first.stderr or "cut" in first.stderr  # said in one line
    (note,) = (root / "People").iterdir()
    text = note.read_text(encoding="utf-8")
    front = text.split("\n---", 1)[0]
    assert len(front.encode()) < MAX_FRONT_MATTER
    assert len(front.encode()) < FRONT_MATTER_BUDGET + 4096
    assert len(text) < 2 * MAX_NOTE + FRONT_MATTER_BUDGET
    assert front.count("@example.org") <= MAX_VALUES

    due, _ = crm_child(root, "due", "--json", "--kind", "birthday")
    assert due.returncode == 0, due.stderr
    assert [(d["contact"], d["date"]) for d in json.loads(due.stdout)] == [
        (note.stem, "2026-11-25")
    ]
    check, _ = crm_child(root, "check")
    assert "larger than" not in check.stdout + check.stderr

    before = snapshot(root)
    again, peak_again = crm_child(root, "import", "vcard", str(vcf))
    assert again.returncode == 0, again.stderr[-2000:]
    assert peak_again < PEAK_LIMIT_MIB
    assert again.stdout.splitlines()[-1] == "0 new, 0 merged, 1 unchanged, 0 skipped"
    assert snapshot(root) == before
    print(f"{case}: first import peak {peak:.0f} MiB, re-import peak {peak_again:.0f} MiB")


def test_many_cards_of_one_person_add_at_most_the_bounds(tmp_path):
    """12,000 cards named alike, one email each, merge into one note: it is filled up to
    MAX_VALUES emails, stays readable, and the next import adds nothing."""
    root = tmp_path / "vault"
    (root / "People").mkdir(parents=True)
    (root / "crm.toml").write_text("", encoding="utf-8")
    (root / "People" / "Same Person.md").write_text("---\nbirthday: 1990-11-25\n---\n")
    vcf = tmp_path / "same.vcf"
    vcf.write_text("".join(card("FN:Same Person", f"EMAIL:s{i}@example.org")
                           for i in range(12_000)), encoding="utf-8")  # fmt: skip
    result, peak = crm_child(root, "import", "vcard", str(vcf))
    assert peak < PEAK_LIMIT_MIB
    assert result.returncode == 0, result.stderr[-2000:]
    assert "values not added" in result.stderr
    text = (root / "People" / "Same Person.md").read_text()
    assert text.count("@example.org") == MAX_VALUES
    before = snapshot(root)
    again, _ = crm_child(root, "import", "vcard", str(vcf))
    assert again.returncode == 0
    assert again.stdout.splitlines()[-1] == "0 new, 0 merged, 1 unchanged, 0 skipped"
    assert snapshot(root) == before


def test_a_card_over_the_size_bound_is_refused_with_its_line(monkeypatch):
    monkeypatch.setattr(vcard_module, "MAX_CARD_BYTES", 2000)
    data = card("FN:Small One", "EMAIL:s@x.org") + card("FN:Big One", "NOTE:" + "x" * 5000)
    result = vcard_module.parse_vcards(data.encode(), "big.vcf")
    assert [r.name for r in result.records] == ["Small One"]
    (skip,) = result.skipped
    assert skip.origin == "big.vcf:6" and skip.name == "Big One"
    assert "over the" in skip.reason and "a card may have" in skip.reason
