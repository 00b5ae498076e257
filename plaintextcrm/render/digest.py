"""The digest (docs/digest.md): what to do about your people this week, as Markdown, HTML or text.

Two steps, so that each can be tested and replaced on its own:

- `build_digest` is pure: (Index, today, days, config) → a frozen `Digest` holding every
  section already decided, ranked and worded. No I/O, no clock.
- `render_digest` turns a Digest into text through a Jinja2 template (`digest.md.j2`,
  `digest.html.j2`, `digest.txt.j2`), looked up in the vault's override folders first.

Templates see plain data only (dicts, lists, strings, ints; dates as ISO strings), so a
user can write their own template without knowing our classes. docs/digest.md lists the
variables.
"""

from __future__ import annotations

import datetime
import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from plaintextcrm.config import Config
from plaintextcrm.dates import add_cadence
from plaintextcrm.errors import CrmError
from plaintextcrm.model import Contact, Index, Interaction, Reminder
from plaintextcrm.reminders import due
from plaintextcrm.render.terminal import visible
from plaintextcrm.render.text import cadence_phrase, when
from plaintextcrm.wikilinks import display_text
from plaintextcrm.words import plural

Format = Literal["md", "html", "txt"]
FORMATS: tuple[Format, ...] = ("md", "html", "txt")

#: Every section is capped, so a digest stays a short read and a mail stays under the size
#: where clients clip it (Gmail: 102 kB); the rest is one `crm due` away, and the counts
#: (and the subject) always tell the whole number. Follow-ups and occasions get the most
#: room: they are promises and days that will not come back.
FOLLOWUP_LIMIT = 25
OCCASION_LIMIT = 25
RECONNECT_LIMIT = 10
GIVE_FIRST_LIMIT = 5
ACTIVITY_LIMIT = 15
#: Recent activity looks back this many days at least (the window itself looks ahead).
MIN_ACTIVITY_DAYS = 7

_GIVE_TAGS = re.compile(r"(?<![\w#])#(?:gave|got)\b", re.IGNORECASE)


@dataclass(frozen=True)
class TaskItem:
    """An open task, shown under a reconnect so you know what you promised to ask."""

    due: date | None
    text: str
    note: str
    line: int


@dataclass(frozen=True)
class FollowupItem:
    contact: str
    note: str
    url: str | None
    line: int | None
    date: date
    when: str
    overdue_days: int
    text: str


@dataclass(frozen=True)
class OccasionItem:
    """A birthday or another yearly date in the window."""

    contact: str
    note: str
    url: str | None
    date: date
    when: str
    kind: Literal["birthday", "date"]
    title: str
    detail: str
    age: int | None
    label: str | None
    years: int | None


@dataclass(frozen=True)
class ReconnectItem:
    """Someone to get back in touch with, and what to talk about."""

    contact: str
    note: str
    url: str | None
    date: date
    when: str
    overdue_days: int
    cadence: str | None
    cadence_text: str
    score: float
    last_contact: datetime.date | None
    days_since: int | None
    last_topic: str | None
    last_topic_date: datetime.date | None
    open_tasks: tuple[TaskItem, ...]


@dataclass(frozen=True)
class GiveFirstItem:
    """Someone who gave you more than you gave them: an intro or a favour would be welcome."""

    contact: str
    note: str
    url: str | None
    gave: int
    got: int
    last_got: str | None
    last_got_date: date | None


@dataclass(frozen=True)
class ActivityItem:
    """One interaction line, with every contact it was with."""

    date: date
    when: str
    contacts: tuple[str, ...]
    text: str
    note: str
    line: int | None
    gave: bool
    got: bool


@dataclass(frozen=True)
class ProblemSummary:
    count: int
    errors: int
    warnings: int
    notes: int


@dataclass(frozen=True)
class Totals:
    """Whole counts, before the lists are capped: what the subject and `counts` report."""

    followups: int
    overdue_followups: int
    birthdays: int
    dates: int
    reconnects: int
    give_first: int
    activity: int
    problems: int


@dataclass(frozen=True)
class Digest:
    """Every section of the digest for one day, decided and ranked; templates only lay it out."""

    today: date
    days: int
    horizon: date
    activity_since: date
    contacts: int
    totals: Totals
    followups: tuple[FollowupItem, ...]
    occasions: tuple[OccasionItem, ...]
    reconnects: tuple[ReconnectItem, ...]
    give_first: tuple[GiveFirstItem, ...]
    activity: tuple[ActivityItem, ...]
    problems: ProblemSummary

    @property
    def is_empty(self) -> bool:
        """Nothing due: exactly when `crm due --days N` would list nothing.

        Give-first ideas, recent activity and vault problems do not make a digest worth a
        mail on their own; they ride along when something is due.
        """
        return not (self.followups or self.occasions or self.reconnects)

    def counts(self) -> dict[str, int]:
        return _plain(self.totals)

    def more(self) -> dict[str, int]:
        """How many items each capped list leaves out."""
        t = self.totals
        return {
            "followups": t.followups - len(self.followups),
            "occasions": t.birthdays + t.dates - len(self.occasions),
            "reconnects": t.reconnects - len(self.reconnects),
            "give_first": t.give_first - len(self.give_first),
            "activity": t.activity - len(self.activity),
        }

    def subject(self) -> str:
        """A mail subject that says what is waiting without opening the mail."""
        return f"CRM digest {self.today.isoformat()}: {self.summary()}"

    def summary(self) -> str:
        """`2 follow-ups (1 overdue), 1 birthday, 3 to reconnect with`, or `nothing due`."""
        c = self.counts()
        parts = []
        if c["followups"]:
            part = plural(c["followups"], "follow-up")
            if c["overdue_followups"]:
                part += f" ({c['overdue_followups']} overdue)"
            parts.append(part)
        if c["birthdays"]:
            parts.append(plural(c["birthdays"], "birthday"))
        if c["dates"]:
            parts.append(plural(c["dates"], "date"))
        if c["reconnects"]:
            parts.append(f"{c['reconnects']} to reconnect with")
        return ", ".join(parts) if parts else "nothing due"

    def context(self) -> dict[str, Any]:
        """The template variables: plain data only (see docs/digest.md)."""
        more = self.more()
        return {
            "today": self.today.isoformat(),
            "today_long": _long_date(self.today),
            "days": self.days,
            "horizon": self.horizon.isoformat(),
            "activity_since": self.activity_since.isoformat(),
            "contacts": self.contacts,
            "subject": self.subject(),
            "summary": self.summary(),
            "is_empty": self.is_empty,
            "counts": self.counts(),
            "followups": _plain(self.followups),
            "followups_more": more["followups"],
            "occasions": _plain(self.occasions),
            "occasions_more": more["occasions"],
            "reconnects": _plain(self.reconnects),
            "reconnects_more": more["reconnects"],
            "give_first": _plain(self.give_first),
            "give_first_more": more["give_first"],
            "activity": _plain(self.activity),
            "activity_more": more["activity"],
            "problems": _plain(self.problems),
        }


def _long_date(day: date) -> str:
    # Not strftime: its day and month names follow the locale, and cron's locale is a guess.
    weekday = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    month = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip
    return f"{weekday[day.weekday()]} {day.day} {month[day.month - 1]} {day.year}"


def _plain(value: Any) -> Any:
    """Dataclasses → dicts, tuples → lists, dates → ISO strings: what a template author expects."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 2)
    return value


def readable(text: str) -> str:
    """Note text as a reader wants it: `[[Anna Rossi|Anna]]` → `Anna`, no #gave/#got tags."""
    return " ".join(_GIVE_TAGS.sub("", display_text(text)).split())


def topic(interaction: Interaction) -> str | None:
    """What an interaction was about, in the words the index chose; None when the note
    says nothing more than its date."""
    return readable(interaction.text) or None


def _ago(day: date, today: date) -> str:
    delta = (today - day).days
    return "today" if delta == 0 else "yesterday" if delta == 1 else f"{delta} days ago"


def note_url(config: Config, root: str, note: str) -> str | None:
    """An `obsidian://` link to the note when the vault is an Obsidian vault, else None.

    `file://` links are left out on purpose: in a mail they point at nothing.
    """
    if config.links != "obsidian":
        return None
    vault = config.vault_name or Path(root).name
    return _obsidian_url(quote(vault, safe=""), note)


def _obsidian_url(quoted_vault: str, note: str) -> str:
    target = note[:-3] if note.endswith(".md") else note
    return f"obsidian://open?vault={quoted_vault}&file={quote(target, safe='')}"


def _cadence_days(contact: Contact, last: date | None) -> int:
    """The length of one cadence in days, measured from the last contact when known."""
    cadence = contact.cadence
    assert cadence is not None
    start = last or date(2000, 1, 1)
    return max(1, (add_cadence(start, cadence) - start).days)


def _occasion(r: Reminder, today: date, url: str | None) -> OccasionItem:
    if r.kind == "birthday":
        detail = f"turns {r.age}" if r.age is not None else "birthday"
    else:
        detail = (r.label or "anniversary") + (f" ({r.years} years)" if r.years is not None else "")
    return OccasionItem(
        contact=r.contact,
        note=r.note,
        url=url,
        date=r.date,
        when=when(r.date, today),
        kind=r.kind,  # type: ignore[arg-type]
        title=r.title,
        detail=detail,
        age=r.age,
        label=r.label,
        years=r.years,
    )


def reconnect_score(r: Reminder, contact: Contact, today: date) -> float:
    """How overdue relative to the cadence: 10 days late on a 2-week cadence matters more
    than 10 days late on a yearly one. Not yet due (still in the window) is negative."""
    return (today - r.date).days / _cadence_days(contact, r.last_contact)


def _reconnect(
    r: Reminder, contact: Contact, today: date, score: float, url: str | None
) -> ReconnectItem:
    last = contact.last_contact_on(today)
    past = [i for i in contact.interactions if i.date <= today]
    latest = max(past, key=lambda i: i.date, default=None)
    return ReconnectItem(
        contact=contact.name,
        note=contact.path,
        url=url,
        date=r.date,
        when=when(r.date, today),
        overdue_days=r.overdue_days,
        cadence=r.cadence,
        cadence_text=cadence_phrase(r.cadence),
        score=score,
        last_contact=last,
        days_since=(today - last).days if last else None,
        last_topic=topic(latest) if latest else None,
        last_topic_date=latest.date if latest else None,
        open_tasks=tuple(
            TaskItem(t.due, readable(t.text), t.path, t.line)
            for t in sorted(contact.open_tasks, key=lambda t: (t.due or date.max, t.path, t.line))
        ),
    )


def _give_first(
    contacts: Iterable[Contact], today: date, url, limit: int
) -> tuple[list[GiveFirstItem], int]:
    """The `limit` people most in your debt, worded, and how many there are in all.

    Ranked first and worded after, so a large vault words five people, not thousands.
    """
    ranked = []
    for contact in contacts:
        gave, got_count = contact.gave, contact.got
        if got_count <= gave:
            continue
        got = [i for i in contact.interactions if i.got and i.date <= today]
        latest = max(got, key=lambda i: i.date, default=None)
        # Most in your debt first; among equals, whoever gave to you most recently.
        last = (latest.date if latest else date.min).toordinal()
        ranked.append(((gave - got_count, -last, contact.name.casefold()), contact, latest))
    top = heapq.nsmallest(limit, ranked, key=lambda x: x[0])
    items = [
        GiveFirstItem(
            contact=contact.name,
            note=contact.path,
            url=url(contact.path),
            gave=contact.gave,
            got=contact.got,
            last_got=topic(latest) if latest else None,
            last_got_date=latest.date if latest else None,
        )
        for _, contact, latest in top
    ]
    return items, len(ranked)


def _activity(contacts: Sequence[Contact], today: date, since: date) -> list[ActivityItem]:
    """Interactions in [since, today], one entry per line even when it names several people."""
    seen: dict[tuple[str, int | None, date, str], tuple[Interaction, list[str]]] = {}
    for contact in contacts:
        for i in contact.interactions:
            if since <= i.date <= today:
                key = (i.path, i.line, i.date, i.text)
                seen.setdefault(key, (i, []))[1].append(contact.name)
    items = [
        ActivityItem(
            date=i.date,
            when=_ago(i.date, today),
            contacts=tuple(sorted(names, key=str.casefold)),
            text=topic(i) or "",
            note=i.path,
            line=i.line,
            gave=i.gave,
            got=i.got,
        )
        for i, names in seen.values()
    ]
    items.sort(key=lambda a: (-a.date.toordinal(), a.note, a.line or 0))
    return items


def build_digest(index: Index, today: date, days: int, config: Config) -> Digest:
    """Everything the digest says for `today` and a window of `days` days. Pure."""
    by_path = {c.path: c for c in index.contacts}
    vault = quote(config.vault_name or Path(index.root).name, safe="")

    def url(note: str) -> str | None:
        return _obsidian_url(vault, note) if config.links == "obsidian" else None

    reminders = due(index, today, days)
    followups = [r for r in reminders if r.kind == "followup"]
    occasions = [r for r in reminders if r.kind in ("birthday", "date")]
    # Rank every reconnect, then build the full item (last topic, open tasks) only for the
    # ones shown: in a big vault hundreds may be due.
    ranked = sorted(
        (
            (reconnect_score(r, by_path[r.note], today), r)
            for r in reminders
            if r.kind == "reconnect" and r.note in by_path
        ),
        key=lambda sr: (-sr[0], -sr[1].overdue_days, sr[1].contact.casefold()),
    )
    give_first, give_first_count = _give_first(index.contacts, today, url, GIVE_FIRST_LIMIT)
    since = today - timedelta(days=max(days, MIN_ACTIVITY_DAYS))
    activity = _activity(index.contacts, today, since)
    errors = sum(1 for p in index.problems if p.level == "error")
    return Digest(
        today=today,
        days=days,
        horizon=today + timedelta(days=days),
        activity_since=since,
        contacts=len(index.contacts),
        totals=Totals(
            followups=len(followups),
            overdue_followups=sum(1 for r in followups if r.overdue_days > 0),
            birthdays=sum(1 for r in occasions if r.kind == "birthday"),
            dates=sum(1 for r in occasions if r.kind == "date"),
            reconnects=len(ranked),
            give_first=give_first_count,
            activity=len(activity),
            problems=len(index.problems),
        ),
        followups=tuple(
            FollowupItem(
                contact=r.contact,
                note=r.note,
                url=url(r.note),
                line=r.line,
                date=r.date,
                when=when(r.date, today),
                overdue_days=r.overdue_days,
                text=readable(r.text) or "follow up",
            )
            for r in followups[:FOLLOWUP_LIMIT]
        ),
        occasions=tuple(_occasion(r, today, url(r.note)) for r in occasions[:OCCASION_LIMIT]),
        reconnects=tuple(
            _reconnect(r, by_path[r.note], today, score, url(r.note))
            for score, r in ranked[:RECONNECT_LIMIT]
        ),
        give_first=tuple(give_first),
        activity=tuple(activity[:ACTIVITY_LIMIT]),
        problems=ProblemSummary(
            count=len(index.problems),
            errors=errors,
            warnings=len(index.problems) - errors,
            notes=index.problem_notes(),
        ),
    )


_MD_SPECIAL = re.compile(r"([<>\\`])")


def markdown_escape(value: object) -> str:
    """Keep note text from turning into HTML when the Markdown digest is rendered.

    Only what could inject markup or break a line is escaped; `**bold**` written in a note
    stays bold, because the note's author meant it.
    """
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def render_digest(digest: Digest, fmt: str, template_dirs: Iterable[Path] = ()) -> str:
    """The digest through `digest.<fmt>.j2`, from the first folder of `template_dirs` that has
    it, else the built-in one, in Jinja2's sandbox (`templating.environment`). A broken or
    hostile user template is a one-line error naming it."""
    import jinja2
    from jinja2.sandbox import SecurityError

    from plaintextcrm.templating import environment

    if fmt not in FORMATS:
        raise CrmError(f"unknown digest format {fmt!r}: expected one of {', '.join(FORMATS)}")
    env = environment(list(template_dirs), html=fmt == "html")
    env.filters["md"] = markdown_escape
    name = f"digest.{fmt}.j2"
    try:
        template = env.get_template(name)
        text = template.render(digest.context())
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise CrmError(f"{where}:{exc.lineno}: template error: {exc.message}") from None
    except SecurityError as exc:
        where, why = _template_file(env, name), str(exc).rstrip(".")
        raise CrmError(
            f"{where}: template refused: {why} (a template lays out the digest's data;"
            " it cannot reach Python objects or run anything)"
        ) from None
    except jinja2.TemplateError as exc:
        where = _template_file(env, name)
        raise CrmError(f"{where}: template error: {exc}") from None
    # Markdown and text are read in a terminal or a mail: shown, never obeyed (HTML is
    # escaped by the template instead).
    return text if fmt == "html" else visible(text)


def _template_file(env: Any, name: str) -> str:
    try:
        _source, filename, _uptodate = env.loader.get_source(env, name)
        return filename or name
    except Exception:
        return name
