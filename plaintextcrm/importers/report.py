"""The import plan as text lines (what `--dry-run` shows) and as JSON (`--json`)."""

from __future__ import annotations

from typing import Any

from plaintextcrm.importers.merge import Plan


def plan_lines(plan: Plan, verbose: bool = True) -> list[str]:
    """One line per contact: `new`, `merge`, `same` (only when verbose), `skip`."""
    lines: list[str] = []
    for new in plan.new:
        lines.append(f"new        {new.name}  → {new.path}")
    for merge in plan.merged:
        added = ", ".join(a.describe() for a in merge.additions)
        lines.append(f"merge      {merge.name} ({merge.path}): {added}")
        for kept in merge.kept:
            lines.append(f"             kept {kept}")
    if verbose:
        for same in plan.unchanged:
            lines.append(f"unchanged  {same.name} ({same.path})")
    for skip in plan.skipped:
        who = f"{skip.name}: " if skip.name else ""
        lines.append(f"skip       {skip.origin}: {who}{skip.reason}")
    return lines


def plan_json(plan: Plan, dry_run: bool) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "new": [
            {"name": n.name, "note": n.path, "fields": n.field_dict(), "from": list(n.origins)}
            for n in plan.new
        ],
        "merged": [
            {
                "name": m.name,
                "note": m.path,
                "added": [{"key": a.key, "value": a.value} for a in m.additions],
                "kept": list(m.kept),
                "from": list(m.origins),
            }
            for m in plan.merged
        ],
        "unchanged": [
            {"name": u.name, "note": u.path, "from": list(u.origins)} for u in plan.unchanged
        ],
        "skipped": [{"from": s.origin, "name": s.name, "reason": s.reason} for s in plan.skipped],
        "notices": list(plan.notices),
    }
