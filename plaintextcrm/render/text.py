"""The human formatter for the terminal: short aligned lines, dates people can read.

Every line these functions return has passed through `terminal.visible`, so no control
character from a note reaches the terminal; columns are aligned on the text as shown.
"""

from __future__ import annotations

from datetime import date

from plaintextcrm.model import Contact, Interaction, Problem, Reminder
from plaintextcrm.queries import Stats
from plaintextcrm.render.jsonout import cadence_as_written
from plaintextcrm.render.terminal import Palette, ljust, visible, width
from plaintextcrm.wikilinks import display_text
from plaintextcrm.words import plural

PLAIN = Palette(False)

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


def due_lines(reminders: list[Reminder], today: date, paint: Palette = PLAIN) -> list[str]:
    """One aligned line per reminder: date, kind, who, what, when. Overdue dates are red,
    today's bold, each kind in its colour (when `paint` colours)."""
    if not reminders:
        return ["Nothing due. Enjoy your day."]
    names = [visible(r.contact) for r in reminders]
    cells = max(width(n) for n in names)
    lines = []
    for r, name in zip(reminders, names, strict=True):
        role = "overdue" if r.date < today else "today" if r.date == today else ""
        kind = KIND_LABEL[r.kind]
        lines.append(
            f"{paint(r.date.isoformat(), role)}  {paint(kind, r.kind)}{' ' * (9 - len(kind))}  "
            f"{paint(ljust(name, cells), 'today' if role == 'today' else '')}  "
            f"{visible(_reminder_detail(r))} ({paint(when(r.date, today), role)})"
        )
    return lines


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


LIST_HEADER = ("NAME", "CIRCLE", "LAST CONTACT", "NEXT", "EMAIL", "PHONE")


def list_lines(
    rows: list[tuple[Contact, Reminder | None]], today: date, paint: Palette = PLAIN
) -> list[str]:
    """A table with a header: name, circle, last contact, next reminder, first email and
    phone; columns aligned by terminal cells, so CJK and emoji names line up."""
    if not rows:
        return ["No contacts."]
    table = [LIST_HEADER]
    for contact, nxt in rows:
        last = contact.last_contact_on(today)
        f = contact.fields
        table.append(
            (
                visible(contact.name),
                visible(f.circle or "-"),
                last.isoformat() if last else "never",
                f"{nxt.date.isoformat()} {KIND_LABEL[nxt.kind]}" if nxt else "-",
                visible(f.emails[0]) if f.emails else "-",
                visible(f.phones[0]) if f.phones else "-",
            )
        )
    cells = [max(width(row[i]) for row in table) for i in range(len(LIST_HEADER))]
    lines = []
    for number, row in enumerate(table):
        text = "  ".join(ljust(v, cells[i]) for i, v in enumerate(row)).rstrip()
        lines.append(paint(text, "header") if number == 0 else text)
    return lines


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
    if f.follow_up:
        field("follow up", f"{f.follow_up.isoformat()} {f.follow_up_text}".rstrip())
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


def stats_lines(stats: Stats, paint: Palette = PLAIN) -> list[str]:
    """`crm stats`: circles in tier order, who is overdue (most first), a bar per month,
    give/get and the people you only receive from."""
    lines = [f"Contacts: {stats.contacts}", "", paint("By circle:", "header")]
    cells = max((width(visible(name)) for name, _ in stats.circles), default=0)
    lines += [f"  {ljust(visible(name), max(cells, 12))} {count}" for name, count in stats.circles]
    lines += ["", paint(f"Overdue reconnects: {len(stats.overdue)}", "header")]
    shown = stats.overdue[:10]
    lines += [
        f"  {visible(name)} ({paint(plural(days, 'day') + ' overdue', 'overdue')})"
        for name, days in shown
    ]
    if len(stats.overdue) > len(shown):
        lines.append(f"  and {len(stats.overdue) - len(shown)} more (crm due --kind reconnect)")
    lines += ["", paint("Interactions per month (last 12):", "header")]
    for month, count in stats.per_month:
        lines.append(f"  {month}  {count:>4}  {'#' * min(count, 50)}".rstrip())
    lines += ["", f"Give/get: gave {stats.gave}, got {stats.got}"]
    if stats.takers:
        lines.append("You only receive from (give first):")
        lines += [f"  {visible(name)} (got {got})" for name, got in stats.takers]
    return lines


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
