"""The `crm` command line: parse options, call the model, print. Nothing else.

Errors are caught once, here, and printed as one line with their exit code (1 a problem
to fix, 2 usage or ambiguity); no traceback reaches a user (set CRM_DEBUG=1 to see one).
Heavy libraries (icalendar, jinja2, watchdog, vobject) are imported inside the commands
that use them, so that `crm --version` and `crm due` start fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from plaintextcrm import __version__
from plaintextcrm.errors import CrmError, UsageError

if TYPE_CHECKING:
    from plaintextcrm.config import Config
    from plaintextcrm.load import Session
    from plaintextcrm.model import Index

MAX_DAYS = 3660
#: The last day `--today` accepts, leaving room for a window and next year's dates.
LATEST_TODAY = date(9899, 12, 31)


# Commands that live in their own module under plaintextcrm/commands/, imported only when
# invoked (or for --help), so the read path never pays for icalendar, jinja2 or watchdog.
# One line per command: name -> "module:attribute".
LAZY_COMMANDS: dict[str, str] = {
    "digest": "plaintextcrm.commands.digest:digest",
    "done": "plaintextcrm.commands.edit:done",
    "export": "plaintextcrm.commands.importexport:export_group",
    "ics": "plaintextcrm.commands.ics:ics",
    "import": "plaintextcrm.commands.importexport:import_group",
    "init": "plaintextcrm.commands.edit:init",
    "log": "plaintextcrm.commands.edit:log",
    "new": "plaintextcrm.commands.edit:new",
    "serve": "plaintextcrm.commands.live:serve",
    "snooze": "plaintextcrm.commands.edit:snooze",
    "sync": "plaintextcrm.commands.sync:sync",
    "todo": "plaintextcrm.commands.edit:todo",
    "watch": "plaintextcrm.commands.live:watch",
}


class CrmGroup(click.Group):
    """A click group that turns every failure into one stderr line and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in LAZY_COMMANDS:
            module, _, attribute = LAZY_COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
        return command

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:  # type: ignore[override]
        extra.pop("standalone_mode", None)
        try:
            result = super().main(args, prog_name or "crm", standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except click.exceptions.Abort:
            _fail("aborted", 1)
        except CrmError as exc:
            _fail(exc.message, exc.exit_code)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(1)
        except KeyboardInterrupt:
            sys.exit(130)
        except Exception as exc:  # the last line of defence for users
            if os.environ.get("CRM_DEBUG"):
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} (set CRM_DEBUG=1 for details)", 1)
        sys.exit(result if isinstance(result, int) else 0)


def _fail(message: str, code: int) -> None:
    """The one error line: a message may quote a note (a name, a task), so it is shown
    through `visible` like every other text output."""
    from plaintextcrm.render.terminal import visible

    click.echo(f"crm: error: {visible(' '.join(str(message).split()))}", err=True)
    sys.exit(code)


def say(text: str, *, err: bool = False) -> None:
    """Print a line (or lines) of human-readable text: through `render.terminal.visible`,
    since a name or a task in it comes from a note. Data outputs (feeds, exports) are
    printed as they are."""
    from plaintextcrm.render.terminal import visible

    click.echo(visible(text), err=err)


@dataclass
class App:
    """What every command needs: the vault, today, and the index read once, lazily."""

    vault_option: str | None
    today: date
    _index: Index | None = field(default=None, repr=False)
    _root: Path | None = field(default=None, repr=False)
    _config: Config | None = field(default=None, repr=False)
    _session: Session | None = field(default=None, repr=False)

    @property
    def root(self) -> Path:
        if self._root is None:
            from plaintextcrm.vault import find_vault

            self._root = find_vault(self.vault_option, os.environ, Path.cwd())
        return self._root

    @property
    def config(self) -> Config:
        if self._config is None:
            from plaintextcrm.config import load_config

            self._config = load_config(self.root)
        return self._config

    def session(self) -> Session:
        """One scan of the vault, shared by the index and the result cache (load.py)."""
        if self._session is None:
            from plaintextcrm.load import Session

            self._session = Session(self.root, self.config, self.today)
        return self._session

    def index(self, quiet: bool = False) -> Index:
        """The vault's index; says once on stderr how many notes have problems."""
        if self._index is None:
            self._index = self.session().index()
            if not quiet:
                self.warn(self._index.health())
        return self._index

    def cached(self, key: tuple[Any, ...], compute: Callable[[], str]) -> str:
        """`compute()` (a pure function of the index, today and `key`), reused from the
        cache while nothing in the vault changed; warns about problems like `index()`."""
        value, health = self.session().cached(key, compute)
        if health is not None:
            self.warn(health)
        return value

    def warn(self, health: tuple[int, int, int]) -> None:
        """The one stderr line of a reading command (`Index.health()`): no contacts in a
        vault with notes (with what would make one), else how many notes have problems."""
        problems, contacts, notes = health
        if notes and not contacts:
            say(f"crm: {no_contacts_hint(notes, self.config.contact_folders)}", err=True)
        elif problems:
            noun = "note has" if problems == 1 else "notes have"
            click.echo(f"crm: {problems} {noun} problems; run `crm check`", err=True)


def no_contacts_hint(notes: int, folders: tuple[str, ...]) -> str:
    """What to say when a vault has notes but no contacts: how to make one, and where to
    look for the notes that came closest."""
    where = ", ".join(f"{f.strip('/')}/" for f in folders) or "a contact folder"
    noun = "note" if notes == 1 else "notes"
    return (
        f"no contacts among {notes} {noun}: put people in {where}, or give them"
        " `type: person` or a #person tag; `crm check` shows the notes that came closest"
    )


def _parse_today(value: str | None) -> date:
    if not value:
        return date.today()
    from plaintextcrm.dates import DateValueError, parse_iso

    try:
        today = parse_iso(value)
    except DateValueError as exc:
        raise UsageError(f"--today: {exc}") from None
    if today > LATEST_TODAY:
        # Next year's birthday and the --days window must still be representable dates.
        raise UsageError(f"--today: {value} is too far ahead (the latest is {LATEST_TODAY})")
    return today


@click.group(cls=CrmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--vault",
    metavar="PATH",
    help="The vault folder (default: $CRM_VAULT, or the nearest folder with crm.toml"
    " or .obsidian/).",
)
@click.option(
    "--today",
    metavar="YYYY-MM-DD",
    envvar="CRM_TODAY",
    help="Pretend today is this date (default: $CRM_TODAY or the local date).",
)
@click.version_option(__version__, "--version", prog_name="crm", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, vault: str | None, today: str | None) -> None:
    """plaintextcrm: a personal CRM whose database is a folder of Markdown notes."""
    ctx.obj = App(vault, _parse_today(today))


pass_app = click.make_pass_decorator(App)

KIND_CHOICE = click.Choice(["followup", "birthday", "date", "reconnect"])
days_option = click.option(
    "--days", type=click.IntRange(0, MAX_DAYS), default=14, show_default=True,
    help="The window: how many days ahead to look.",
)  # fmt: skip
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@cli.command()
@days_option
@click.option(
    "--kind", "kinds", type=KIND_CHOICE, multiple=True, help="Only this kind (repeatable)."
)
@json_option
@pass_app
def due(app: App, days: int, kinds: tuple[str, ...], as_json: bool) -> None:
    """Reminders due in the window, overdue ones first."""

    def render() -> str:
        from plaintextcrm.reminders import due as due_reminders

        reminders = due_reminders(app.index(), app.today, days, kinds or None)
        if as_json:
            from plaintextcrm.render.jsonout import dumps, reminder_json

            return dumps([reminder_json(r) for r in reminders])
        from plaintextcrm.render.text import due_lines

        return "\n".join(due_lines(reminders, app.today))

    click.echo(app.cached(("due", days, sorted(set(kinds)), as_json), render))


@cli.command("list")
@click.option("--tag", help="Only contacts with this tag (nested tags count).")
@click.option("--circle", help="Only contacts in this circle.")
@click.option("--company", help="Only contacts whose company contains this text.")
@json_option
@pass_app
def list_contacts(
    app: App, tag: str | None, circle: str | None, company: str | None, as_json: bool
) -> None:
    """Contacts, with last contact and next reminder."""
    from plaintextcrm.index import fold
    from plaintextcrm.reminders import next_reminder_by_contact

    index = app.index()
    contacts = list(index.contacts)
    if tag:
        wanted = tag.lstrip("#").casefold()
        contacts = [
            c for c in contacts
            if any(t.casefold() == wanted or t.casefold().startswith(wanted + "/")
                   for t in c.fields.tags)
        ]  # fmt: skip
    if circle:
        contacts = [c for c in contacts if (c.fields.circle or "").casefold() == circle.casefold()]
    if company:
        contacts = [c for c in contacts if fold(company) in fold(c.fields.company or "")]
    upcoming = next_reminder_by_contact(index, app.today)
    rows = [(c, upcoming.get(c.path)) for c in contacts]
    if as_json:
        from plaintextcrm.render.jsonout import contact_json, dumps

        click.echo(dumps([contact_json(c, app.today, r) for c, r in rows]))
    else:
        from plaintextcrm.render.text import list_lines

        click.echo("\n".join(list_lines(rows, app.today)))


@cli.command()
@click.argument("name")
@json_option
@pass_app
def show(app: App, name: str, as_json: bool) -> None:
    """One contact: fields, open tasks, interactions newest first, give/get."""
    from plaintextcrm.lookup import find_contact
    from plaintextcrm.reminders import next_reminder_by_contact

    index = app.index()
    contact = find_contact(index, name)
    nxt = next_reminder_by_contact(index, app.today).get(contact.path)
    if as_json:
        from plaintextcrm.render.jsonout import dumps, show_json

        click.echo(dumps(show_json(contact, app.today, nxt)))
    else:
        from plaintextcrm.render.text import show_lines

        click.echo("\n".join(show_lines(contact, app.today, nxt)))


@cli.command()
@click.argument("text")
@json_option
@pass_app
def search(app: App, text: str, as_json: bool) -> None:
    """Contacts whose fields or notes contain TEXT (case- and accent-insensitive)."""
    from plaintextcrm.search import search_contacts

    index = app.index()
    found = search_contacts(index, app.root, text)
    if as_json:
        from plaintextcrm.render.jsonout import dumps

        click.echo(dumps([{"name": c.name, "note": c.path, "matches": m} for c, m in found]))
        return
    from plaintextcrm.render.text import search_lines

    click.echo("\n".join(search_lines(found, text)))


@cli.command()
@json_option
@pass_app
def check(app: App, as_json: bool) -> None:
    """Every problem in the vault; exit 1 if any is an error."""
    index = app.index(quiet=True)
    problems = index.problems
    if index.notes and not index.contacts:
        app.warn((0, 0, index.notes))
    if as_json:
        from plaintextcrm.render.jsonout import dumps, problem_json

        click.echo(dumps([problem_json(p) for p in problems]))
    else:
        from plaintextcrm.render.text import problem_lines

        if problems:
            click.echo("\n".join(problem_lines(problems)))
        errors = sum(1 for p in problems if p.level == "error")
        warnings = len(problems) - errors
        from plaintextcrm.words import plural

        summary = (
            f"{plural(index.notes, 'note')} checked: "
            f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
        )
        click.echo(summary, err=True)
    if any(p.level == "error" for p in problems):
        sys.exit(1)


@cli.command()
@json_option
@pass_app
def stats(app: App, as_json: bool) -> None:
    """The network at a glance: circles, overdue reconnects, activity, give/get."""
    from plaintextcrm.reminders import due as due_reminders
    from plaintextcrm.render.text import interactions_per_month, stats_lines

    index = app.index()
    overdue = [r for r in due_reminders(index, app.today, 0, ["reconnect"]) if r.overdue_days > 0]
    if as_json:
        from collections import Counter

        from plaintextcrm.render.jsonout import dumps

        circles = Counter(c.fields.circle or "" for c in index.contacts)
        click.echo(
            dumps(
                {
                    "contacts": len(index.contacts),
                    "circles": dict(sorted(circles.items())),
                    "overdue_reconnects": len(overdue),
                    "interactions_per_month": dict(interactions_per_month(index, app.today)),
                    "gave": sum(c.gave for c in index.contacts),
                    "got": sum(c.got for c in index.contacts),
                    "only_receive_from": [c.name for c in index.contacts if c.got and not c.gave],
                }
            )
        )
    else:
        click.echo("\n".join(stats_lines(index, app.today, len(overdue))))


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="crm")
