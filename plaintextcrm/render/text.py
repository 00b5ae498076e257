"""The human formatter for the terminal: short aligned lines, dates people can read.

Every line these functions return has passed through `terminal.visible`, so no control
character from a note reaches the terminal; columns are aligned on the text as shown.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from plaintextcrm.model import Contact, Index, Interaction, Problem, Reminder
from plaintextcrm.render.jsonout import cadence_as_written
from plaintextcrm.render.terminal import visible
from plaintextcrm.wikilinks import display_text

KIND_LABEL = {
    "followup": "follow-up",
    "birthday": "birthday",
    "date": "date",
    "reconnect": "reconnect",
}


def when(day: date, today: date) -> str:
    """`today`, `tomorrow`, `in 5 days`, `3 days overdue`: what matters at a glance."""
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "1 day overdue"
    if delta < 0:
        return f"{-delta} days overdue"
    return f"in {delta} days"


def due_lines(reminders: list[Reminder], today: date) -> list[str]:
    if not reminders:
        return ["Nothing due. Enjoy your day."]
    width = max(len(visible(r.contact)) for r in reminders)
    lines = []
    for r in reminders:
        detail = _reminder_detail(r)
        lines.append(
            f"{r.date.isoformat()}  {KIND_LABEL[r.kind]:<9}  {visible(r.contact):<{width}}  "
            f"{detail} ({when(r.date, today)})"
        )
    return [visible(line) for line in lines]


def _reminder_detail(r: Reminder) -> str:
    if r.kind == "followup":
        return display_text(r.text) if r.text else "follow up"
    if r.kind == "birthday":
        return f"turns {r.age}" if r.age is not None else "birthday"
    if r.kind == "date":
        years = f" ({r.years} years)" if r.years is not None else ""
        return f"{r.label or 'anniversary'}{years}"
    last = r.last_contact.isoformat() if r.last_contact else "never"
    return f"{cadence_phrase(r.cadence)}, last contact {last}"


#: Cadence words that already say how often; "every weekly" would read wrong.
_CADENCE_WORDS = {"daily", "weekly", "biweekly", "fortnightly", "monthly", "quarterly",
                  "yearly", "annually"}  # fmt: skip


def cadence_phrase(raw: str | None) -> str:
    """`2w` → `every 2w`, `90` → `every 90 days`, `quarterly` → `quarterly`."""
    if not raw:
        return "no cadence"
    text = raw.strip()
    if text.lower() in _CADENCE_WORDS:
        return text
    if text.isdigit():
        return f"every {text} days"
    return f"every {text}"


def list_lines(rows: list[tuple[Contact, Reminder | None]], today: date) -> list[str]:
    if not rows:
        return ["No contacts."]
    width = max(len(visible(c.name)) for c, _ in rows)
    lines = []
    for contact, nxt in rows:
        last = contact.last_contact_on(today)
        nxt_text = f"{nxt.date.isoformat()} {KIND_LABEL[nxt.kind]}" if nxt else "-"
        lines.append(
            f"{visible(contact.name):<{width}}  {visible(contact.fields.circle or '-'):<8}  "
            f"last {last.isoformat() if last else 'never':<10}  next {nxt_text}"
        )
    return [visible(line) for line in lines]


def show_lines(contact: Contact, today: date, nxt: Reminder | None) -> list[str]:
    f = contact.fields
    lines = [f.name, "=" * len(visible(f.name)), f"note: {contact.path}"]

    def field(label: str, value: object) -> None:
        if value:
            lines.append(f"{label}: {value}")

    field("aliases", ", ".join(f.aliases))
    field("company", f.company)
    field("role", f.role)
    field("location", f.location)
    field("met", f.met)
    field("circle", f.circle)
    field("cadence", cadence_as_written(contact))
    field("birthday", f.birthday_raw)
    for yearly in f.dates:
        field(yearly.label or "date", yearly.raw)
    field("email", ", ".join(f.emails))
    field("phone", ", ".join(f.phones))
    field("url", f.url)
    field("linkedin", f.linkedin)
    field("tags", ", ".join(f.tags))
    field("snooze", f.snooze.isoformat() if f.snooze else None)
    last = contact.last_contact_on(today)
    lines.append(f"last contact: {last.isoformat() if last else 'never'}")
    if nxt:
        lines.append(f"next: {nxt.date.isoformat()} {nxt.title} ({when(nxt.date, today)})")
    lines.append(f"give/get: gave {contact.gave}, got {contact.got}")
    open_tasks = contact.open_tasks
    if open_tasks:
        lines += ["", "Open tasks:"]
        for t in open_tasks:
            due = f"{t.due.isoformat()} " if t.due else ""
            lines.append(f"  [ ] {due}{display_text(t.text)}  ({t.path}:{t.line})")
    if contact.interactions:
        lines += ["", "Interactions (newest first):"]
        for i in reversed(contact.interactions):
            text = interaction_text(i)
            # A `#gave` tag written in the text already says it; mark only the ones that
            # came from elsewhere (e.g. a daily note's tags).
            marks = "".join(
                f" [{kind}]"
                for kind, flag in (("gave", i.gave), ("got", i.got))
                if flag and f"#{kind}" not in text.casefold()
            )
            plan = " (planned)" if i.date > today else ""
            where = f"{i.path}:{i.line}" if i.line else i.path
            said = f"  {text}{marks}" if text else ""
            lines.append(f"  {i.date.isoformat()}{plan}{said}  ({where})")
    return [visible(line) for line in lines]


def interaction_text(i: Interaction) -> str:
    """What to show for an interaction: its text with links as their shown words."""
    return display_text(i.text)


def stats_lines(index: Index, today: date, overdue_reconnects: int) -> list[str]:
    contacts = index.contacts
    lines = [f"Contacts: {len(contacts)}", ""]
    circles = Counter(c.fields.circle or "(none)" for c in contacts)
    lines.append("By circle:")
    lines += [f"  {visible(name):<12} {count}" for name, count in sorted(circles.items())]
    lines += ["", f"Overdue reconnects: {overdue_reconnects}", ""]
    lines.append("Interactions per month (last 12):")
    for month, count in interactions_per_month(index, today):
        lines.append(f"  {month}  {count:>4}  {'#' * min(count, 50)}".rstrip())
    gave = sum(c.gave for c in contacts)
    got = sum(c.got for c in contacts)
    lines += ["", f"Give/get: gave {gave}, got {got}"]
    takers = [c for c in contacts if c.got and not c.gave]
    if takers:
        lines.append("You only receive from (give first):")
        lines += [f"  {c.name} (got {c.got})" for c in takers]
    return [visible(line) for line in lines]


def search_lines(found: list[tuple[Contact, list[str]]], text: str) -> list[str]:
    """Each contact that mentions `text`, with up to three of the lines that do."""
    if not found:
        return [visible(f"No contact mentions {text!r}.")]
    lines = []
    for contact, matches in found:
        lines.append(f"{contact.name}  ({contact.path})")
        lines += [f"    {match}" for match in matches[:3]]
    return [visible(line) for line in lines]


def problem_lines(problems: tuple[Problem, ...] | list[Problem]) -> list[str]:
    """`crm check`: one `path:line: level: message` line per problem; a message quotes the
    note (a key, a value), so it is shown, not obeyed; a line break in one stays `\\n`."""
    return [visible(p.format()).replace("\n", "\\n") for p in problems]


def interactions_per_month(index: Index, today: date) -> list[tuple[str, int]]:
    """Distinct interactions (one line may name several people) per month, oldest first.

    Only the last 12 months' interactions are looked at, and counted by (year, month):
    the digest draws this on every build, on vaults of 100k interactions."""
    months = []
    year, month = today.year, today.month
    for _ in range(12):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    months.reverse()
    first = date(*months[0], 1)
    seen = {
        (i.path, i.line, i.date)
        for c in index.contacts
        for i in c.interactions
        if first <= i.date <= today
    }
    counts = Counter((d.year, d.month) for _, _, d in seen)
    return [(f"{y:04d}-{m:02d}", counts.get((y, m), 0)) for y, m in months]
