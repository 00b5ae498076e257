"""The import plan as text lines (what `--dry-run` shows) and as JSON (`--json`)."""

from __future__ import annotations

from typing import Any

from plaintextcrm.importers.merge import Plan


def _matched(name: str, path: str, matched: tuple[tuple[str, str], ...], word="into") -> str:
    """Both sides and the key: `Anna Rossi into People/Anna Rossi.md (matched by email
    a@x)`; the note's own name is added when the import called the person otherwise."""
    who = ", ".join(dict.fromkeys(n for n, _ in matched)) or name
    how = "; ".join(dict.fromkeys(h for _, h in matched)) or "name"
    where = path if {n for n, _ in matched} <= {name} else f"{name}, {path}"
    return f"{who} {word} {where} (matched by {how})"


def plan_lines(plan: Plan, verbose: bool = True, dry_run: bool | None = None) -> list[str]:
    """One line per contact: `new`, `merge`, `same` (only when verbose), `conflict`, `skip`.
    Every merge names both sides and the key it matched on."""
    dry_run = verbose if dry_run is None else dry_run
    lines: list[str] = []
    for new in plan.new:
        lines.append(f"new        {new.name}  → {new.path}")
    for conflict in plan.conflicts:
        lines.append(f"conflict   {conflict.describe(dry_run)}")
    for merge in plan.merged:
        added = ", ".join(a.describe() for a in merge.additions)
        lines.append(f"merge      {_matched(merge.name, merge.path, merge.matched)}: {added}")
        for kept in merge.kept:
            lines.append(f"             kept {kept}")
    if verbose:
        for same in plan.unchanged:
            lines.append("unchanged  " + _matched(same.name, same.path, same.matched, "in"))
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
                **_origin_json(m),
            }
            for m in plan.merged
        ],
        "unchanged": [{"name": u.name, "note": u.path, **_origin_json(u)} for u in plan.unchanged],
        "conflicts": [
            {
                "name": c.name,
                "from": c.origin,
                "key": c.key,
                "value": c.value,
                "other": {"name": c.other_name, "note": c.other_path},
                "created": c.created,
            }
            for c in plan.conflicts
        ],
        "skipped": [{"from": s.origin, "name": s.name, "reason": s.reason} for s in plan.skipped],
        "notices": list(plan.notices),
    }


def _origin_json(entry: Any) -> dict[str, Any]:
    """Where a merged or unchanged person came from, and what matched them to the note."""
    return {
        "from": list(entry.origins),
        "matched": [{"name": name, "by": how} for name, how in entry.matched],
    }
