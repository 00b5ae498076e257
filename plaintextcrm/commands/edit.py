"""The writing commands: `crm init`, `new`, `log`, `todo`, `done`, `snooze`.

Each one finds the note, builds a pure edit from `plaintextcrm.edit`, and hands it to
`writefile.write_note` (or `create_note`), so every write is surgical, atomic and
conflict-checked (docs/editing.md). After writing, the command prints the lines it changed, as
`path:line: text`, so the user sees exactly what `git diff` will show.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import click

from plaintextcrm.cli import App, pass_app, say
from plaintextcrm.errors import Ambiguous, CrmError, NotFound, UsageError

TASKS_PLUGIN = Path(".obsidian") / "plugins" / "obsidian-tasks-plugin"


def _when(value: str, today: date, option: str) -> date:
    """`WHEN`: a date or a duration from today (3d, 2w, 1m, 1y); bad input is exit 2."""
    from plaintextcrm.dates import DateValueError, parse_when

    try:
        return parse_when(value, today)
    except DateValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def _day(value: str | None, today: date) -> date:
    """`--date`: an ISO date, `today` or `yesterday` (interactions are usually past)."""
    from plaintextcrm.dates import DateValueError, parse_iso

    if value is None or value.strip().lower() == "today":
        return today
    if value.strip().lower() == "yesterday":
        return today - timedelta(days=1)
    try:
        return parse_iso(value)
    except DateValueError as exc:
        raise UsageError(f"--date: {exc}") from None


def _vault_task_style(root: Path) -> str:
    """`tasks` when the vault has the Obsidian Tasks plugin installed, else `plain`."""
    return "tasks" if (root / TASKS_PLUGIN).is_dir() else "plain"


def _changes(rel: str, old: bytes, new: bytes) -> list[str]:
    """`path:line: text` for each added or changed line (blank ones left out)."""
    from plaintextcrm.edit import Lines

    before, after = Lines.from_bytes(old).text, Lines.from_bytes(new).text
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag in ("insert", "replace"):
            out.extend(f"{rel}:{j + 1}: {after[j]}" for j in range(j1, j2) if after[j].strip())
    return out


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
    return _changes(rel, seen["old"], seen["new"])


def _contact(app: App, name: str):
    from plaintextcrm.lookup import find_contact

    return find_contact(app.index(), name)


def _echo(lines: list[str], nothing: str) -> None:
    say("\n".join(lines) if lines else nothing)


# --- init ------------------------------------------------------------------------------


@click.command()
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


@click.command()
@click.argument("name")
@click.option("--circle", help="Relationship tier (a key of [circles] in crm.toml).")
@click.option("--cadence", help="Keep-in-touch interval: 2w, 3m, 1y, monthly...")
@click.option("--company", help="Company (text or a [[link]]).")
@click.option("--email", "emails", multiple=True, help="Email address (repeatable).")
@click.option("--phone", "phones", multiple=True, help="Phone number (repeatable).")
@click.option("--birthday", help="YYYY-MM-DD, or --MM-DD without the year.")
@click.option("--tag", "tags", multiple=True, help="Tag (repeatable).")
@click.option("--alias", "aliases", multiple=True, help="Another name (repeatable).")
@pass_app
def new(
    app: App,
    name: str,
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
    from plaintextcrm.dates import DateValueError, parse_cadence, parse_yearly
    from plaintextcrm.index import fold
    from plaintextcrm.lookup import validate_name
    from plaintextcrm.render.person import render_person
    from plaintextcrm.templating import vault_template_dirs
    from plaintextcrm.writefile import create_note, safe_filename

    name = " ".join(validate_name(name).split())
    if "/" in name or "\\" in name or not name.strip("."):
        raise UsageError(f"invalid name {name!r}: a name cannot contain / or \\ or be only dots")
    try:
        if cadence is not None:
            parse_cadence(cadence)
        if birthday is not None:
            parse_yearly(birthday)
    except DateValueError as exc:
        raise UsageError(str(exc)) from None
    config = app.config
    if circle and not config.has_circle(circle):
        say(f"crm: warning: circle `{circle}` is not in crm.toml [circles]", err=True)
    index = app.index(quiet=True)
    wanted = {fold(name), *(fold(a) for a in aliases)}
    for contact in index.contacts:
        stem = contact.path.rsplit("/", 1)[-1][:-3]
        if wanted & {fold(k) for k in (contact.name, stem, *contact.fields.aliases)}:
            raise CrmError(f"{contact.name} already has a note: {contact.path}; not created")
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
    style: str,
) -> bytes:
    from plaintextcrm.edit import add_log_line, add_task_line, task_style

    new = add_log_line(data, when, text, gave=gave, got=got)
    if follow_up is not None:
        new = add_task_line(
            new,
            f"follow up: {text}",
            follow_up,
            style=task_style(data) or style,  # type: ignore[arg-type]
        )
    return new


@click.command()
@click.argument("name")
@click.argument("text")
@click.option("--date", "day", metavar="D", help="When it happened (default: today).")
@click.option("--gave", is_flag=True, help="You gave something (adds #gave).")
@click.option("--got", is_flag=True, help="You received something (adds #got).")
@click.option("--next", "next_when", metavar="WHEN", help="Also add a follow-up (2w, 2026-12-01).")
@pass_app
def log(
    app: App,
    name: str,
    text: str,
    day: str | None,
    gave: bool,
    got: bool,
    next_when: str | None,
) -> None:
    """Add an interaction under the note's `## Log` heading."""
    if gave and got:
        raise UsageError("--gave and --got cannot be used together")
    when = _day(day, app.today)
    follow_up = _when(next_when, app.today, "--next") if next_when else None
    text = _text(text)
    contact = _contact(app, name)
    edit = partial(
        _log_and_follow_up,
        when=when,
        text=text,
        gave=gave,
        got=got,
        follow_up=follow_up,
        style=_vault_task_style(app.root),
    )
    _echo(_apply(app, contact.path, edit), "Nothing to change.")


@click.command()
@click.argument("name")
@click.argument("text")
@click.option("--due", "due_when", required=True, metavar="WHEN", help="Due date or duration.")
@pass_app
def todo(app: App, name: str, text: str, due_when: str) -> None:
    """Add a follow-up task to a contact's note."""
    from plaintextcrm.edit import add_task_line, task_style

    due = _when(due_when, app.today, "--due")
    text = _text(text)
    contact = _contact(app, name)
    style = _vault_task_style(app.root)

    def edit(data: bytes) -> bytes:
        return add_task_line(data, text, due, style=task_style(data) or style)  # type: ignore[arg-type]

    _echo(_apply(app, contact.path, edit), "Nothing to change.")


@click.command()
@click.argument("name")
@click.argument("match", required=False)
@pass_app
def done(app: App, name: str, match: str | None) -> None:
    """Mark an open task done: the one matching MATCH, or the only one."""
    from plaintextcrm.edit import complete_task
    from plaintextcrm.index import fold

    contact = _contact(app, name)
    tasks = [t for t in contact.tasks if t.status == "open"]
    if not tasks:
        raise NotFound(f"{contact.name} has no open tasks")
    chosen = tasks
    if match is not None:
        wanted = fold(match)
        chosen = [t for t in tasks if wanted in fold(t.text)]
        if not chosen:
            listed = "; ".join(_task_label(t) for t in tasks)
            raise NotFound(f"no open task of {contact.name} matches {match!r}; open: {listed}")
    if len(chosen) > 1:
        candidates = [_task_label(t) for t in chosen]
        raise Ambiguous(
            f"{contact.name} has {len(chosen)} open tasks"
            + (f" matching {match!r}" if match else "")
            + f"; say which: {'; '.join(candidates)}",
            candidates,
        )
    task = chosen[0]
    stamp = True if _vault_task_style(app.root) == "tasks" else None

    def edit(data: bytes) -> bytes:
        return complete_task(data, task, today=app.today, stamp=stamp)

    _echo(_apply(app, task.path, edit), "Nothing to change.")


def _task_label(task) -> str:
    due = f"{task.due.isoformat()} " if task.due else ""
    return f"{due}{task.text} ({task.path}:{task.line})"


@click.command()
@click.argument("name")
@click.argument("when", metavar="WHEN")
@pass_app
def snooze(app: App, name: str, when: str) -> None:
    """No reconnect reminder before WHEN (sets `snooze:` in the front matter)."""
    from plaintextcrm.edit import set_snooze

    until = _when(when, app.today, "WHEN")
    contact = _contact(app, name)
    _echo(
        _apply(app, contact.path, lambda data: set_snooze(data, until)),
        f"{contact.name} is already snoozed until {until.isoformat()}.",
    )


def _text(text: str) -> str:
    from plaintextcrm.edit import EditError, one_line

    try:
        return one_line(text)
    except EditError as exc:
        raise UsageError(exc.message) from None
