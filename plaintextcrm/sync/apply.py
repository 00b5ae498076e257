"""What the notes take from a change on the other side: the rules of `crm sync`. Pure.

Each change becomes surgical edits (`NoteEdit`: a function of the note's bytes, run
through the one writer) or one line saying why it was not applied:
- a follow-up completed there is ticked in its note as `crm done` ticks it (`✅ date` where
  the note, or the vault's Tasks plugin, writes one; a `🔁` task gets its next occurrence),
  on the day it was completed; one cancelled there is cancelled as `crm cancel` does;
- a reconnect completed there is an interaction "reconnected" logged on that day, unless
  the contact already has one that day;
- a follow-up's due date moved there moves the date on the task's line; a reconnect's,
  moved later, snoozes it until then;
- a card changed there adds the phones, emails, birthday... it gained, with the import's
  merge rules (only what the note lacks; a value the note has is kept and said);
- an item made there is said, and imported with `--import-new`.

The note wins: when the note changed the same item since the last sync (the task's words
edited, the task done or moved, the contact renamed), nothing is applied and the change
made there is reported in one line; the next push puts the note's version back.

Every edit is idempotent on the note's bytes or checked against the index first, so a
sync killed after writing the notes does not tick, move or log twice when re-run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial

from plaintextcrm.edit import (
    Lines,
    TaskStyle,
    add_log_line,
    add_task_line,
    finish_task,
    move_task_due,
    set_snooze,
    task_style,
)
from plaintextcrm.errors import CrmError
from plaintextcrm.importers.record import ImportRecord
from plaintextcrm.model import Contact, Index, Task
from plaintextcrm.parse import read_task
from plaintextcrm.recurrence import TasksSettings
from plaintextcrm.sync.plan import Changed, Created, Deleted, Pulled, Vdir
from plaintextcrm.sync.read import Todo, Unreadable, read_card, read_todo
from plaintextcrm.sync.state import Entry

#: What a completed reconnect logs.
RECONNECTED = "reconnected"


@dataclass(frozen=True)
class NoteEdit:
    """One edit of one note, and what it does in words (the dry run prints them)."""

    path: str
    says: str
    edit: Callable[[bytes], bytes]
    #: The vdir file whose change this is: if the note cannot be written, push leaves
    #: that file as the other side made it, so the next sync tries again.
    vdir: str
    source: str
    #: The file is an item made on the other side that this import makes crm's own: it
    #: is deleted once the note has the item, which push writes under crm's own name.
    imported: bool = False


@dataclass(frozen=True)
class Decisions:
    """What one vdir's changes do: note edits, report lines, cards to import."""

    edits: tuple[NoteEdit, ...] = ()
    reports: tuple[str, ...] = ()
    #: Cards made on the other side, to import as `crm import vcard` would (by file name).
    cards: tuple[tuple[str, ImportRecord], ...] = ()


@dataclass(frozen=True)
class Rules:
    """What deciding needs besides the changes: the notes as read, and the vault's ways."""

    index: Index
    today: date
    #: `✅ date` on a tick: True in a vault with the Tasks plugin, None: as the note does.
    stamp: bool | None
    #: The Tasks plugin's settings: a ticked `🔁` task repeats as `crm done` repeats it.
    tasks: TasksSettings
    #: How a new task writes its due date when its note has no dated task yet.
    style: TaskStyle
    region: str | None
    import_new: bool


def decide(vdir: Vdir, pulled: Pulled, rules: Rules) -> Decisions:
    """The edits and reports for everything the other side did to `vdir`."""
    out = _Out(vdir, rules)
    for changed in pulled.changed:
        try:
            if vdir.kind == "tasks":
                out.task_changed(changed)
            elif vdir.kind == "contacts":
                out.card_changed(changed)
            else:
                out.say(
                    changed.name,
                    "changed on the other side; events are written from the "
                    "notes, so the notes' version is put back",
                )
        except Unreadable as exc:
            out.say(changed.name, f"{exc.message}; the notes' version is put back")
    for created in pulled.created:
        try:
            out.created(created)
        except Unreadable as exc:
            out.say(created.name, f"made on the other side, {exc.message}; left alone")
    for deleted in pulled.deleted:
        out.deleted(deleted)
    return Decisions(tuple(out.edits), tuple(out.reports), tuple(out.cards))


class _Out:
    """Collects the decisions of one vdir; one method per kind of change."""

    def __init__(self, vdir: Vdir, rules: Rules) -> None:
        self.vdir = vdir
        self.rules = rules
        self.by_path = {c.path: c for c in rules.index.contacts}
        self.edits: list[NoteEdit] = []
        self.reports: list[str] = []
        self.cards: list[tuple[str, ImportRecord]] = []

    def say(self, name: str, text: str) -> None:
        self.reports.append(f"{self.vdir.shown(name)}: {text}")

    def edit(
        self,
        name: str,
        path: str,
        says: str,
        edit: Callable[[bytes], bytes],
        imported: bool = False,
    ) -> None:
        self.edits.append(NoteEdit(path, says, edit, self.vdir.kind, name, imported))

    def _who(self, base: Entry) -> str:
        contact = self.by_path.get(base.contact)
        return contact.name if contact else base.contact

    # -- tasks -------------------------------------------------------------------------

    def task_changed(self, changed: Changed) -> None:
        todo = read_todo(changed.data)
        if changed.base.kind == "reconnect":
            self._reconnect_changed(changed, todo)
        else:
            self._followup_changed(changed, todo)

    def _followup_changed(self, changed: Changed, todo: Todo) -> None:
        base, name = changed.base, changed.name
        label = f"{self._who(base)}: {base.text!r}"
        if todo.done or todo.cancelled:
            self._followup_closed(changed, todo, label)
            return
        if todo.due != base.due:
            self._followup_moved(changed, todo, label)
        if todo.summary and todo.summary != " ".join(base.summary.split()):
            self.say(
                name,
                f"{label} was renamed {todo.summary!r} on the other side; not"
                " applied: the note's words are kept",
            )

    def _followup_closed(self, changed: Changed, todo: Todo, label: str) -> None:
        """Completed (or cancelled) there: closed in the note as `crm done` (`crm cancel`)
        closes it, if the note still has that task open on the same day."""
        base, current, name = changed.base, changed.current, changed.name
        cancel = todo.cancelled and not todo.done
        what = "cancelled" if cancel else "completed"
        if current is None or current.due != base.due:
            status = self._closed_in_note(base)
            if status is not None:
                self.say(
                    name,
                    f"{label} was {what} on the other side; it is already {status} in the note",
                )
            else:
                self.say(
                    name,
                    f"{label} was {what} on the other side, but the note changed it since the"
                    " last sync (edited, moved or removed); the note wins",
                )
            return
        if current.in_field or current.task is None:
            self.say(
                name,
                f"{label} was {what} on the other side; it is a `follow_up` field: remove it"
                " from the note",
            )
            return
        task = current.task
        day = (todo.completed if not cancel else None) or self.rules.today
        closing = partial(
            _close_task, task=task, day=day, stamp=self.rules.stamp, tasks=self.rules.tasks,
            cancel=cancel,
        )  # fmt: skip
        if cancel:
            self.edit(
                name, task.path, f"cancel {task.text!r} (cancelled on the other side)", closing
            )
        else:
            self.edit(
                name, task.path, f"tick {task.text!r} ({what} on the other side on {day})", closing
            )

    def _followup_moved(self, changed: Changed, todo: Todo, label: str) -> None:
        base, current, name = changed.base, changed.current, changed.name
        there = todo.due.isoformat() if todo.due else "no date"
        if current is None:
            self.say(
                name,
                f"{label} was moved to {there} on the other side, but the note "
                "changed it since the last sync (edited, done or removed); the note wins",
            )
        elif current.due == todo.due:
            return  # both sides agree already (a sync cut short after writing the note)
        elif current.due != base.due:
            here = current.due.isoformat() if current.due else "no date"
            self.say(
                name,
                f"{label} was moved to {there} on the other side and to {here} in "
                "the note; the note wins",
            )
        elif todo.due is None:
            self.say(
                name,
                f"{label} lost its due date on the other side; not applied: the "
                "note's date is kept",
            )
        elif current.in_field or current.task is None:
            self.say(
                name,
                f"{label} was moved to {there} on the other side; it is a "
                "`follow_up` field: change it in the note",
            )
        else:
            task = current.task
            self.edit(
                name,
                task.path,
                f"move {task.text!r} from {task.due} to {todo.due}",
                partial(move_task_due, task=task, due=todo.due),
            )

    def _closed_in_note(self, base: Entry) -> str | None:
        """`done` or `cancelled` when the note has the task closed on its day (a sync cut
        short after closing it, or closed in the note too)."""
        contact = self.by_path.get(base.contact)
        for task in contact.tasks if contact else ():
            closed = task.status != "open" and task.path == base.note
            if closed and task.text == base.text and task.due == base.due:
                return task.status
        return None

    def _reconnect_changed(self, changed: Changed, todo: Todo) -> None:
        base, current, name = changed.base, changed.current, changed.name
        contact = self.by_path.get(base.contact)
        if contact is None or current is None:
            self.say(
                name,
                f"{base.summary!r} was changed on the other side, but the contact "
                "is no longer in the notes (renamed or removed); not applied",
            )
            return
        if todo.done:
            day = todo.completed or self.rules.today
            if any(i.date == day for i in contact.interactions):
                self.say(
                    name,
                    f"{contact.name}: reconnect completed on the other side on "
                    f"{day}; the notes already have contact that day",
                )
                return
            self.edit(
                name,
                contact.path,
                f"log {day} {RECONNECTED} (reconnect completed on the other side)",
                partial(add_log_line, when=day, text=RECONNECTED),
            )
            return
        if todo.due is None or todo.due == base.due or todo.due == current.due:
            return
        if current.due != base.due:
            self.say(
                name,
                f"{contact.name}: reconnect moved to {todo.due} on the other side, "
                "but the notes changed it since the last sync; the notes win",
            )
        elif todo.due <= self.rules.today:
            self.say(
                name,
                f"{contact.name}: reconnect moved to {todo.due} on the other side; not "
                "applied: only a later day can snooze it",
            )
        elif current.due is not None and todo.due < current.due:
            self.say(
                name,
                f"{contact.name}: reconnect moved earlier, to {todo.due}, on the "
                "other side; not applied: a reconnect is due from the last contact",
            )
        else:
            self.edit(
                name,
                contact.path,
                f"snooze until {todo.due} (reconnect moved on the other side)",
                partial(set_snooze, until=todo.due),
            )

    # -- contacts ----------------------------------------------------------------------

    def card_changed(self, changed: Changed) -> None:
        from plaintextcrm.importers.merge import merge_edit, plan_import

        base, name = changed.base, changed.name
        new = read_card(changed.data, self.vdir.shown(name))
        contact = self.by_path.get(base.contact)
        if contact is None or changed.current is None:
            self.say(
                name,
                f"{new.name} was changed on the other side, but the contact is no "
                "longer in the notes (renamed or removed); not applied",
            )
            return
        try:
            old = read_card(base.card.encode("utf-8"), name) if base.card else None
        except Unreadable:
            old = None
        delta = card_delta(old, new, contact, self.rules.region)
        alone = Index(self.rules.index.root, (contact,), ())
        plan = plan_import(alone, [delta], self.rules.region, on_conflict="skip")
        for merge in plan.merged:
            added = ", ".join(a.describe() for a in merge.additions)
            self.edit(name, contact.path, f"add {added}", merge_edit(merge.additions))
        kept_values = [k for m in plan.merged for k in m.kept]
        kept_values += [k for u in plan.unchanged for k in u.kept]
        for kept in kept_values:
            self.say(name, f"{contact.name}: changed on the other side; kept the note's {kept}")
        if old is not None:
            gone = removed_values(old, new, self.rules.region)
            if gone:
                self.say(
                    name,
                    f"{contact.name}: {', '.join(gone)} removed on the other side;"
                    " the note keeps them (a sync only adds)",
                )
            if new.name != old.name:
                self.say(
                    name,
                    f"{contact.name} was renamed {new.name!r} on the other side; not"
                    " applied: rename the note",
                )

    # -- made and deleted on the other side ----------------------------------------------

    def created(self, created: Created) -> None:
        name = created.name
        hint = "not imported (crm sync --import-new imports it)"
        if self.vdir.kind == "events":
            self.say(
                name,
                "made on the other side; events are written from the notes, so it "
                "is not imported; left alone",
            )
        elif self.vdir.kind == "contacts":
            record = read_card(created.data, self.vdir.shown(name))
            if self.rules.import_new:
                self.cards.append((name, record))
            else:
                self.say(name, f"{record.name} was made on the other side; {hint}")
        else:
            self._todo_created(name, read_todo(created.data), hint)

    def _todo_created(self, name: str, todo: Todo, hint: str) -> None:
        from plaintextcrm.lookup import find_contact

        who, sep, words = todo.summary.partition(": ")
        if not self.rules.import_new:
            self.say(name, f"{todo.summary!r} was made on the other side; {hint}")
            return
        if todo.done or todo.cancelled:
            self.say(name, f"{todo.summary!r} was made and closed on the other side; not imported")
            return
        try:
            if not sep or not words.strip():
                raise CrmError("its title does not start with a contact's name and `: `")
            contact = find_contact(self.rules.index, who)
        except CrmError as exc:
            self.say(
                name, f"{todo.summary!r} was made on the other side; not imported: {exc.message}"
            )
            return
        due = todo.due
        self.edit(
            name,
            contact.path,
            f"add the task {words.strip()!r}" + (f" due {due}" if due else ""),
            partial(_add_task_once, text=words.strip(), due=due, style=self.rules.style),
            imported=True,
        )

    def deleted(self, deleted: Deleted) -> None:
        what = deleted.base.summary or self._who(deleted.base)
        self.say(
            deleted.name,
            f"{what!r} was deleted on the other side; the notes still have "
            "it, so it is written again (close or remove it in the note)",
        )


def _close_task(
    data: bytes, *, task: Task, day: date, stamp: bool | None, tasks: TasksSettings, cancel: bool
) -> bytes:
    """`edit.finish_task` as bytes in, bytes out: a `🔁` task repeats as `crm done` makes it."""
    return finish_task(data, task, today=day, stamp=stamp, tasks=tasks, cancel=cancel).data


def _add_task_once(data: bytes, *, text: str, due: date | None, style: TaskStyle) -> bytes:
    """Add the open task `text` unless the note already has it, open, on that day (a sync
    cut short after adding it, then run again)."""
    from plaintextcrm.edit import one_line

    wanted = ("open", due, one_line(text))
    if any(read_task(line) == wanted for line in Lines.from_bytes(data).text):
        return data
    return add_task_line(data, text, due, style=task_style(data) or style)


# --- cards -------------------------------------------------------------------------------

_LISTS = ("emails", "phones", "aliases", "dates", "tags", "urls")
_SCALARS = ("birthday", "company", "role", "address", "linkedin", "met")


def _keyed(field: str, region: str | None) -> Callable[[str], str]:
    from plaintextcrm.importers.merge import email_key, phone_key

    if field == "emails":
        return email_key
    if field == "phones":
        return partial(phone_key, region=region)
    return str.casefold


def _missing(
    values: Iterable[str], present: Iterable[str], key: Callable[[str], str]
) -> tuple[str, ...]:
    have = {key(v) for v in present}
    return tuple(v for v in values if key(v) not in have)


def card_delta(
    old: ImportRecord | None, new: ImportRecord, contact: Contact, region: str | None
) -> ImportRecord:
    """What the card gained on the other side since crm wrote it, as a record for the
    contact (so it can only merge into that note): values `old` did not have. Without an
    `old` card, everything on the card (the merge still adds only what the note lacks)."""
    if old is None:
        return replace(new, name=contact.name)
    changes: dict[str, object] = {"name": contact.name}
    for field in _LISTS:
        changes[field] = _missing(getattr(new, field), getattr(old, field), _keyed(field, region))
    for field in _SCALARS:
        value = getattr(new, field)
        changes[field] = value if value and value != getattr(old, field) else None
    changes["note"] = None
    return replace(new, **changes)  # type: ignore[arg-type]


def removed_values(old: ImportRecord, new: ImportRecord, region: str | None) -> list[str]:
    """The emails, phones and birthday the card lost on the other side, as words."""
    gone = [f"email {e}" for e in _missing(old.emails, new.emails, _keyed("emails", region))]
    gone += [f"phone {p}" for p in _missing(old.phones, new.phones, _keyed("phones", region))]
    if old.birthday and not new.birthday:
        gone.append(f"birthday {old.birthday}")
    return gone
