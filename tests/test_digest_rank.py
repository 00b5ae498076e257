"""The digest words only the people it shows (render/digest.py ranks first): the capped
sections must list exactly who a full sort of every candidate would list, in that order,
and count the rest."""

from __future__ import annotations

from datetime import date

from plaintextcrm.config import load_config
from plaintextcrm.load import load_index
from plaintextcrm.render import digest as d
from tests.conftest import TODAY

CADENCES = ("1w", "2w", "1m", "3m", "1y")


def many_people(n: int = 40) -> dict[str, str]:
    notes = {"crm.toml": '[digest]\nlong_overdue = "never"\n'}  # rank every overdue one
    for k in range(n):
        cadence = CADENCES[k % len(CADENCES)]
        last = date(2026, 1 + k % 11, 1 + (k * 7) % 28)
        gots = "".join(f"- 2026-{1 + (k + j) % 10:02d}-0{1 + j} lunch #got\n" for j in range(k % 4))
        gaves = "- 2026-03-03 intro #gave\n" * (k % 3)
        # Pairs of names that differ only in case test the casefold tie-break.
        name = f"person {k // 2:02d}" if k % 2 else f"Person {k // 2:02d}"
        notes[f"People/{name} {k}.md"] = (
            f"---\ncadence: {cadence}\n---\n- {last.isoformat()} call\n{gots}{gaves}"
        )
    return notes


def test_capped_sections_match_a_full_sort(vault):
    root = vault(many_people())
    config = load_config(root)
    index = load_index(root, TODAY, config, use_cache=False)
    digest = d.build_digest(index, TODAY, 14, config)
    by_path = {c.path: c for c in index.contacts}

    full = [
        d._reconnect(
            r, by_path[r.note], TODAY, d.reconnect_score(r, by_path[r.note], TODAY), None, d.NOWHERE
        )
        for r in d.due(index, TODAY, 14)
        if r.kind == "reconnect"
    ]
    full.sort(key=lambda x: (-x.score, -x.overdue_days, x.contact.casefold()))
    assert len(full) > d.RECONNECT_LIMIT
    assert [r.note for r in digest.reconnects] == [r.note for r in full[: d.RECONNECT_LIMIT]]
    assert digest.reconnects == tuple(full[: d.RECONNECT_LIMIT])
    assert digest.totals.reconnects == len(full)

    debtors = [c for c in index.contacts if c.got > c.gave]
    assert len(debtors) > d.GIVE_FIRST_LIMIT

    def last_got(c):
        return max((i.date for i in c.interactions if i.got and i.date <= TODAY), default=None)

    debtors.sort(
        key=lambda c: (c.gave - c.got, -(last_got(c) or date.min).toordinal(), c.name.casefold())
    )
    assert [g.note for g in digest.give_first] == [c.path for c in debtors[: d.GIVE_FIRST_LIMIT]]
    assert [g.last_got_date for g in digest.give_first] == [
        last_got(c) for c in debtors[: d.GIVE_FIRST_LIMIT]
    ]
    assert digest.totals.give_first == len(debtors)
