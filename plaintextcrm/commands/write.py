"""The writing commands: `crm init`, `new`, `log`, `todo`, `done`, `cancel`, `snooze`, `edit`.

Each one finds the note (`lookup`), builds a pure edit from `plaintextcrm.edit`, and hands
it to `writefile.write_note` (or `create_note`), so every write is surgical, atomic and
conflict-checked (docs/editing.md). After writing, the command prints the lines it changed,
as `path:line: text`, so the user sees exactly what `git diff` will show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

import click

from plaintextcrm.cli import (
    App,
    CadenceType,
    When,
    WhenType,
    YearlyType,
    common_options,
    epilog,
    name_argument,
    pass_app,
    say,
    warning,
)
from plaintextcrm.errors import CrmError, UsageError
from plaintextcrm.model import Contact


def _task_style(root: Path) -> str:
    from plaintextcrm.recurrence import vault_task_style

    return vault_task_style(root)


def _apply(app: App, rel: str, edit: Callable[[bytes], bytes]) -> list[str]:
    """Run `edit` on the note through the one writer; returns the changed lines."""
    from plaintextcrm.writefile import write_note

    seen: dict[str, bytes] = {}

    def recording(data: bytes) -> bytes:
        new = edit(data)
        seen["old"], seen["new"] = data, new
        return new

    result = write_note(app.root / rel, recording, vault=app.root)
    if not result.changed:
        return []
    from plaintextcrm.edit import changed_lines

    return changed_lines(rel, seen["old"], seen["new"])


def _addressed(app: App, words: tuple[str, ...], *, min_rest: int = 1):
    """NAME words and the rest (TEXT, MATCH or WHEN), split as `lookup.split_name` reads
    them; a missing required rest is a usage error."""
    from plaintextcrm.lookup import split_name

    addressed = split_name(app.index(quiet=True), words, min_rest=min_rest)
    if min_rest and not addressed.rest.strip():
        raise UsageError("missing TEXT after the name")
    return addressed


def _one(app: App, words: tuple[str, ...], *, min_rest: int = 1) -> tuple[Contact, str]:
    addressed = _addressed(app, words, min_rest=min_rest)
    if len(addressed.contacts) > 1:
        raise UsageError("this command takes one person; name them one at a time")
    return addressed.contacts[0], addressed.rest


def _echo(lines: list[str], nothing: str) -> None:
    say("\n".join(lines) if lines else nothing)


# --- init ------------------------------------------------------------------------------


@click.command(epilog=epilog("crm init ~/notes", "cd ~/Obsidian/Vault && crm init"))
@click.argument("directory", required=False, metavar="[DIR]")
@click.pass_context
def init(ctx: click.Context, directory: str | None) -> None:
    """Make DIR (default: --vault or the current folder) a vault: crm.toml, People/, .crm/.

    In a folder that already has notes, crm.toml records the conventions found there,
    and a one-line summary says what crm reads."""
    from plaintextcrm.config import DEFAULT_TOML, load_config
    from plaintextcrm.vault import ensure_state_dir, list_notes
    from plaintextcrm.writefile import create_note

    app = ctx.find_object(App)
    root = Path(directory or (app.vault_option if app else None) or ".").expanduser()
    if root.exists() and not root.is_dir():
        raise CrmError(f"cannot make a vault in {root}: it is a file")
    root = root.resolve()
    if root == Path(root.anchor):
        raise CrmError(f"refusing to make {root} a vault: pick the folder of your notes")
    found = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        config = load_config(root)
        if list_notes(root, config.ignore, config.template_folders)[0]:
            from plaintextcrm.conventions import config_text, detect

            found = detect(root, config)
        made = []
        had_state = (root / ".crm").is_dir()  # before the writer makes .crm/tmp/ for crm.toml
        if (root / "crm.toml").exists():
            say(f"{root / 'crm.toml'} already exists; kept as it is")
        else:
            text = config_text(found) if found else DEFAULT_TOML
            create_note(root, "crm.toml", text.encode("utf-8"))
            made.append("crm.toml")
        if found is None and not (root / "People").is_dir():
            (root / "People").mkdir()
            made.append("People/")
        if not had_state:
            made.append(".crm/")
        ensure_state_dir(root)
    except OSError as exc:
        raise CrmError(f"cannot make a vault in {root}: {exc.strerror}") from None
    if made:
        say(f"Vault ready in {root} (created {', '.join(made)})")
    else:
        say(f"{root} is already a vault; nothing changed")
    if found is not None:
        from plaintextcrm.conventions import summary

        say(summary(found))
        if not found.contacts:
            from plaintextcrm.cli import no_contacts_hint

            say(f"crm: {no_contacts_hint(found.notes, config.contact_folders)}", err=True)


# --- new -------------------------------------------------------------------------------


@click.command(
    epilog=epilog(
        "crm new Anna Rossi --circle close --email anna@example.org",
        "crm new Nicolò Bianchi --birthday 1990-03-14 --tag running",
    )
)
@click.argument("words", nargs=-1, required=True, metavar="NAME...")
@click.option("--circle", help="Relationship tier (a key of [circles] in crm.toml).")
@click.option(
    "--cadence", type=CadenceType(), help="Keep-in-touch interval: 2w, 3m, 1y, monthly..."
)
@click.option("--company", help="Company (text or a [[link]]).")
@click.option("--email", "emails", multiple=True, help="Email address (repeatable).")
@click.option("--phone", "phones", multiple=True, help="Phone number (repeatable).")
@click.option("--birthday", type=YearlyType(), help="YYYY-MM-DD, or --MM-DD without the year.")
@click.option("--tag", "tags", multiple=True, help="Tag (repeatable).")
@click.option("--alias", "aliases", multiple=True, help="Another name (repeatable).")
@common_options
@pass_app
def new(
    app: App,
    words: tuple[str, ...],
    circle: str | None,
    cadence: str | None,
    company: str | None,
    emails: tuple[str, ...],
    phones: tuple[str, ...],
    birthday: str | None,
    tags: tuple[str, ...],
    aliases: tuple[str, ...],
) -> None:
    """Create a contact note from the person.md.j2 template; never overwrites."""
    from plaintextcrm.lookup import name_clash, validate_name
    from plaintextcrm.render.person import render_person
    from plaintextcrm.templating import vault_template_dirs
    from plaintextcrm.writefile import create_note, safe_filename

    name = " ".join(validate_name(" ".join(words)).split())
    if "/" in name or "\\" in name or not name.strip("."):
        raise UsageError(f"invalid name {name!r}: a name cannot contain / or \\ or be only dots")
    config = app.config
    if circle and not config.has_circle(circle):
        say(f"crm: warning: circle `{circle}` is not in crm.toml [circles]", err=True)
    index = app.index(quiet=True)
    clash = name_clash(index, name, aliases)
    if clash is not None:
        raise CrmError(f"{clash.name} already has a note: {clash.path}; not created")
    folder = config.contact_folders[0].strip("/") if config.contact_folders else "People"
    rel = f"{folder}/{safe_filename(name)}.md"
    fields: dict[str, str | list[str] | None] = {
        "name": name,
        "aliases": list(aliases),
        "birthday": birthday,
        "circle": circle,
        "cadence": cadence,
        "company": company,
        "email" if len(emails) <= 1 else "emails": emails[0] if len(emails) == 1 else list(emails),
        "phone" if len(phones) <= 1 else "phones": phones[0] if len(phones) == 1 else list(phones),
        "tags": [t.lstrip("#") for t in tags],
        # a never-contacted cadence counts from here, so a new person is not due today
        "created": app.today.isoformat(),
    }
    for value in (circle, cadence, company, birthday, *emails, *phones, *tags, *aliases):
        if value is not None:
            _text(value)
    text = render_person(
        name,
        {k: v for k, v in fields.items() if v},
        None,
        vault_template_dirs(app.root, config.templates_dir),
        today=app.today,
    )
    path = create_note(app.root, rel, text.encode("utf-8"))
    say(f"Created {path.relative_to(app.root.resolve()).as_posix()}")


# --- log, todo, done, snooze -------------------------------------------------------------


def _log_and_follow_up(
    data: bytes,
    *,
    when: date,
    text: str,
    gave: bool,
    got: bool,
    follow_up: date | None,
    follow_up_text: str,
    style: str,
) -> bytes:
    from plaintextcrm.edit import add_log_line, add_task_line, task_style

    new = add_log_line(data, when, text, gave=gave, got=got)
    if follow_up is not None:
        new = add_task_line(
            new,
            follow_up_text,
            follow_up,
            style=task_style(data) or style,  # type: ignore[arg-type]
        )
    return new


@click.command(
    epilog=epilog(
        "crm log anna coffee in Rome",
        "crm log anna rossi, bjorn lunch at the meetup --date yesterday",
        'crm log nicolo lent him my bike --gave --next "next fri" --next-text "ask for it"',
        when=True,
        name=True,
    )
)
@name_argument("TEXT...")
@click.option(
    "--date",
    "day",
    type=WhenType("past"),
    metavar="WHEN",
    help="When it happened (default: today).",
)
@click.option("--gave", is_flag=True, help="You gave something (adds #gave).")
@click.option("--got", is_flag=True, help="You received something (adds #got).")
@click.option(
    "--next",
    "next_day",
    type=WhenType(),
    metavar="WHEN",
    help="Also add a follow-up task due then.",
)
@click.option(
    "--next-text",
    metavar="TEXT",
    help='The follow-up\'s own text (default: "follow up: " and the log text).',
)
@common_options
@pass_app
def log(
    app: App,
    name: tuple[str, ...],
    day: When | None,
    gave: bool,
    got: bool,
    next_day: When | None,
    next_text: str | None,
) -> None:
    """Log what you did with someone, under their note's `## Log`.

    Several people: separate their names with commas (`anna, bjorn coffee`); each note
    gets the same line."""
    if gave and got:
        raise UsageError("--gave and --got cannot be used together")
    if next_text is not None and next_day is None:
        raise UsageError("--next-text needs --next WHEN")
    addressed = _addressed(app, name)
    when = day.on(app.today) if day else app.today
    follow_up = next_day.on(app.today) if next_day else None
    text = _text(addressed.rest)
    follow_up_text = _text(next_text) if next_text is not None else f"follow up: {text}"
    if when > app.today:
        warning(f"{when.isoformat()} is in the future; logged as planned")
    if follow_up is not None and follow_up < app.today:
        warning(f"the follow-up is due {follow_up.isoformat()}, already past")
    edit = partial(
        _log_and_follow_up,
        when=when,
        text=text,
        gave=gave,
        got=got,
        follow_up=follow_up,
        follow_up_text=follow_up_text,
        style=_task_style(app.root),
    )
    changed: list[str] = []
    for contact in addressed.contacts:
        changed += _apply(app, contact.path, edit)
    _echo(changed, "Nothing to change.")


@click.command(
    epilog=epilog(
        "crm todo anna send the deck --due friday",
        'crm todo nicolo ask how the marathon went --due "in 2 weeks"',
        "crm todo bjorn return the book",
        when=True,
        name=True,
    )
)
@name_argument("TEXT...")
@click.option(
    "--due",
    "due_when",
    type=WhenType(),
    metavar="WHEN",
    help="When it is due (default: no date; a task without a date is no reminder).",
)
@common_options
@pass_app
def todo(app: App, name: tuple[str, ...], due_when: When | None) -> None:
    """Add a follow-up task to a contact's note."""
    from plaintextcrm.edit import add_task_line, task_style

    due = due_when.on(app.today) if due_when else None
    contact, rest = _one(app, name)
    text = _text(rest)
    if due is not None and due < app.today:
        warning(f"{due.isoformat()} is already past; the task is overdue from the start")
    style = _task_style(app.root)

    def edit(data: bytes) -> bytes:
        return add_task_line(data, text, due, style=task_style(data) or style)  # type: ignore[arg-type]

    _echo(_apply(app, contact.path, edit), "Nothing to change.")


def _close(app: App, words: tuple[str, ...], *, cancel: bool) -> None:
    """`crm done` and `crm cancel`: the open task MATCH designates, closed in its note; a
    done `🔁` task gets its next occurrence, as Obsidian Tasks writes it."""
    from plaintextcrm.edit import Finished, finish_task
    from plaintextcrm.lookup import pick_task
    from plaintextcrm.recurrence import read_tasks_settings

    contact, match = _one(app, words, min_rest=0)
    task = pick_task(contact, match or None)
    stamp = True if _task_style(app.root) == "tasks" else None
    settings = read_tasks_settings(app.root)
    seen: list[Finished] = []

    def edit(data: bytes) -> bytes:
        finished = finish_task(
            data, task, today=app.today, stamp=stamp, tasks=settings, cancel=cancel
        )
        seen[:] = [finished]
        return finished.data

    _echo(_apply(app, task.path, edit), "Nothing to change.")
    if seen and seen[0].warning:
        warning(f"{task.path}:{seen[0].line}: {seen[0].warning}")


@click.command(
    epilog=epilog("crm done anna", "crm done anna rossi deck", "crm done nicolo marathon",
                  name=True)
)  # fmt: skip
@name_argument("[MATCH...]")
@common_options
@pass_app
def done(app: App, name: tuple[str, ...]) -> None:
    """Tick an open task of a contact.

    The task whose text contains MATCH, or the only open one; several: exit 2, listing
    them."""
    _close(app, name, cancel=False)


@click.command(epilog=epilog("crm cancel anna deck", name=True))
@name_argument("[MATCH...]")
@common_options
@pass_app
def cancel(app: App, name: tuple[str, ...]) -> None:
    """Cancel an open task of a contact.

    The task stays in the note as `- [-]` (with `❌ date` in Obsidian Tasks vaults)."""
    _close(app, name, cancel=True)


@click.command(
    epilog=epilog("crm snooze anna 2m", 'crm snooze kwame rossi "next monday"', when=True,
                  name=True)
)  # fmt: skip
@name_argument("WHEN")
@common_options
@pass_app
def snooze(app: App, name: tuple[str, ...]) -> None:
    """No reconnect reminder for a contact before WHEN.

    Sets `snooze:` in the note's front matter."""
    from plaintextcrm.edit import set_snooze

    contact, rest = _one(app, name)
    from plaintextcrm.dates import DateValueError
    from plaintextcrm.when import parse_when

    try:
        until = parse_when(rest, app.today)
    except DateValueError as exc:
        raise UsageError(f"WHEN: {exc}") from None
    if until <= app.today:
        warning(f"{until.isoformat()} is not after today; the snooze changes nothing")
    if contact.cadence is None:
        warning(f"{contact.name} has no cadence, so there is no reconnect reminder to snooze")
    _echo(
        _apply(app, contact.path, lambda data: set_snooze(data, until)),
        f"{contact.name} is already snoozed until {until.isoformat()}.",
    )


@click.command(epilog=epilog("crm edit anna", "EDITOR=nano crm edit nicolo bianchi", name=True))
@name_argument()
@common_options
@pass_app
def edit(app: App, name: tuple[str, ...]) -> None:
    """Open the contact's note in $VISUAL or $EDITOR (vi if neither is set)."""
    from plaintextcrm.lookup import find_contact

    contact = find_contact(app.index(quiet=True), " ".join(name))
    path = app.root / contact.path
    try:
        click.edit(filename=str(path), editor=_editor())
    except click.ClickException as exc:
        raise CrmError(f"cannot open {contact.path} in an editor: {exc.message}") from None


def _editor() -> str | None:
    import os

    return os.environ.get("VISUAL") or os.environ.get("EDITOR") or None


def _text(text: str) -> str:
    from plaintextcrm.edit import EditError, one_line

    try:
        return one_line(text)
    except EditError as exc:
        raise UsageError(exc.message) from None
