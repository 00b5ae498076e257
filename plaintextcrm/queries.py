"""The reading commands' use-cases, as pure functions of the index and today.

`crm list`, `crm stats` and `crm search` decide here what to show (which contacts, in
which order, which numbers); the formatters (`render/text.py`, `render/jsonout.py`) only
decide how. Keeping the decision in one place is what makes the text and the JSON say the
same thing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from plaintextcrm.index import fold
from plaintextcrm.model import Contact, Index, Reminder

NO_CIRCLE = "(none)"
#: `crm list --sort`: what each key orders by (ties: the name).
SORT_KEYS = ("name", "last", "next", "circle")

Row = tuple[Contact, Reminder | None]


def filter_contacts(
    contacts: Iterable[Contact], *, tag: str | None, circle: str | None, company: str | None
) -> list[Contact]:
    """`crm list --tag/--circle/--company`: a tag matches its nested tags too (`work`
    finds `work/acme`); circle and company ignore case (company: a part of it will do)."""
    out = list(contacts)
    if tag:
        wanted = tag.lstrip("#").casefold()
        out = [
            c for c in out
            if any(t.casefold() == wanted or t.casefold().startswith(wanted + "/")
                   for t in c.fields.tags)
        ]  # fmt: skip
    if circle:
        out = [c for c in out if (c.fields.circle or "").casefold() == circle.casefold()]
    if company:
        out = [c for c in out if fold(company) in fold(c.fields.company or "")]
    return out


def sort_rows(rows: Sequence[Row], key: str, today: date, tiers: Sequence[str]) -> list[Row]:
    """`crm list --sort KEY`: `name` (A→Z, accents folded), `last` (longest silence
    first, never-contacted before all), `next` (soonest reminder first, none last),
    `circle` (tier order of crm.toml, then the name)."""
    by_name = sorted(rows, key=lambda r: (fold(r[0].name), r[0].path))
    if key == "last":
        return sorted(by_name, key=lambda r: r[0].last_contact_on(today) or date.min)
    if key == "next":
        return sorted(by_name, key=lambda r: (r[1] is None, r[1].date if r[1] else date.min))
    if key == "circle":
        return sorted(by_name, key=lambda r: circle_rank(r[0].fields.circle, tiers))
    return by_name


def circle_rank(circle: str | None, tiers: Sequence[str]) -> tuple[int, str]:
    """Circles in tier order (as crm.toml lists them, closest first), unknown ones after
    by name, no circle last."""
    if not circle:
        return (2, "")
    folded = [t.casefold() for t in tiers]
    if circle.casefold() in folded:
        return (0, f"{folded.index(circle.casefold()):06d}")
    return (1, circle.casefold())


@dataclass(frozen=True)
class Stats:
    """`crm stats`: the network at a glance."""

    contacts: int
    #: (circle, contacts) in tier order; contacts without a circle as NO_CIRCLE, last.
    circles: tuple[tuple[str, int], ...]
    #: Reconnects past their day, most overdue first: (name, days overdue).
    overdue: tuple[tuple[str, int], ...]
    per_month: tuple[tuple[str, int], ...]
    gave: int
    got: int
    #: People you only ever receive from (give first): (name, times received).
    takers: tuple[tuple[str, int], ...]


def stats(index: Index, today: date, reconnects: Iterable[Reminder], tiers: Sequence[str]) -> Stats:
    """The numbers of `crm stats`, from the index and the reconnect reminders due today."""
    contacts = index.contacts
    circles = Counter(c.fields.circle or NO_CIRCLE for c in contacts)
    order = sorted(circles, key=lambda c: circle_rank(None if c == NO_CIRCLE else c, tiers))
    overdue = sorted(
        ((r.contact, r.overdue_days) for r in reconnects if r.overdue_days > 0),
        key=lambda pair: (-pair[1], fold(pair[0])),
    )
    return Stats(
        contacts=len(contacts),
        circles=tuple((c, circles[c]) for c in order),
        overdue=tuple(overdue),
        per_month=tuple(interactions_per_month(index, today)),
        gave=sum(c.gave for c in contacts),
        got=sum(c.got for c in contacts),
        takers=tuple((c.name, c.got) for c in contacts if c.got and not c.gave),
    )


def interactions_per_month(index: Index, today: date) -> list[tuple[str, int]]:
    """Distinct interactions (one line may name several people) per month, oldest first,
    over the 12 months up to today's."""
    months = []
    year, month = today.year, today.month
    for _ in range(12):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    months.reverse()
    seen = {
        (i.path, i.line, i.date) for c in index.contacts for i in c.interactions if i.date <= today
    }
    counts = Counter(f"{d.year:04d}-{d.month:02d}" for _, _, d in seen)
    return [(m, counts.get(m, 0)) for m in months]
