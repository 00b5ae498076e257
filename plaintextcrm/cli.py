"""The `crm` command line: the group, the error boundary, shared options, parameter types.

Nothing else lives here. The commands are in `plaintextcrm/commands/` by concern (read,
write, outputs, import/export, live, sync, git), each imported only when invoked, so the
read path never pays for icalendar, jinja2 or watchdog; what a command decides is in pure
modules (`queries.py`, `lookup.py`, `edit.py`), how it prints in `render/`.

Errors are caught once, here, and printed as one line with their exit code (1 a problem
to fix, 2 usage or ambiguity); no traceback reaches a user (set CRM_DEBUG=1 to see one).
The "notes have problems" line comes last, after the command's output or its error, so the
real message is never buried.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from plaintextcrm import __version__
from plaintextcrm.errors import CrmError

if TYPE_CHECKING:
    from plaintextcrm.config import Config
    from plaintextcrm.load import Session
    from plaintextcrm.model import Index
    from plaintextcrm.render.formatters import Formatter
    from plaintextcrm.render.terminal import Palette

MAX_DAYS = 3660
#: The last day `--today` accepts, leaving room for a window and next year's dates.
LATEST_TODAY = date(9899, 12, 31)

# Every command lives in a module under plaintextcrm/commands/, imported only when invoked
# (or for --help). One line per command: name -> "module:attribute".
LAZY_COMMANDS: dict[str, str] = {
    "cancel": "plaintextcrm.commands.write:cancel",
    "check": "plaintextcrm.commands.read:check",
    "digest": "plaintextcrm.commands.digest:digest",
    "done": "plaintextcrm.commands.write:done",
    "due": "plaintextcrm.commands.read:due",
    "edit": "plaintextcrm.commands.write:edit",
    "export": "plaintextcrm.commands.importexport:export_group",
    "git-setup": "plaintextcrm.commands.git:git_setup",
    "ics": "plaintextcrm.commands.ics:ics",
    "import": "plaintextcrm.commands.importexport:import_group",
    "init": "plaintextcrm.commands.write:init",
    "list": "plaintextcrm.commands.read:list_contacts",
    "log": "plaintextcrm.commands.write:log",
    "merge-driver": "plaintextcrm.commands.git:merge_driver",
    "new": "plaintextcrm.commands.write:new",
    "search": "plaintextcrm.commands.read:search",
    "serve": "plaintextcrm.commands.live:serve",
    "show": "plaintextcrm.commands.read:show",
    "snooze": "plaintextcrm.commands.write:snooze",
    "stats": "plaintextcrm.commands.read:stats",
    "sync": "plaintextcrm.commands.sync:sync",
    "todo": "plaintextcrm.commands.write:todo",
    "watch": "plaintextcrm.commands.live:watch",
}

NAME_HELP = (
    "NAME is a file name, name or alias, any case and accents (nicolo finds Nicolò), a"
    " unique prefix or surname (bianchi); several words need no quotes unless they could"
    " name two people."
)


def epilog(*examples: str, when: bool = False, name: bool = False) -> str:
    """A command's --help footer: its examples as typed, then the NAME and WHEN grammar.
    `\\b` keeps click from re-flowing the example lines into one paragraph."""
    parts = ["\b\nExamples:\n" + "\n".join(f"  {e}" for e in examples)]
    if name:
        parts.append(NAME_HELP)
    if when:
        from plaintextcrm.when import when_grammar_help

        parts.append(when_grammar_help())
    return "\n\n".join(parts)


class CrmGroup(click.Group):
    """A click group that turns every failure into one stderr line and an exit code."""

    _ctx: click.Context | None = None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in LAZY_COMMANDS:
            module, _, attribute = LAZY_COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
        return command

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        self._ctx = super().make_context(*args, **kwargs)
        return self._ctx

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:  # type: ignore[override]
        extra.pop("standalone_mode", None)
        code = 0
        args = join_when_words(list(sys.argv[1:] if args is None else args))
        try:
            result = super().main(args, prog_name or "crm", standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except click.exceptions.NoArgsIsHelpError as exc:  # bare `crm`, `crm import`
            click.echo(exc.ctx.get_help() if exc.ctx else "")
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.ClickException as exc:
            code = _fail(exc.format_message(), exc.exit_code)
        except click.exceptions.Abort:
            code = _fail("aborted", 1)
        except CrmError as exc:
            code = _fail(exc.message, exc.exit_code)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(1)
        except KeyboardInterrupt:
            sys.exit(130)
        except Exception as exc:  # the last line of defence for users
            if os.environ.get("CRM_DEBUG"):
                raise
            code = _fail(
                f"internal error: {type(exc).__name__}: {exc} (set CRM_DEBUG=1 for details)", 1
            )
        app = self._ctx.obj if self._ctx is not None else None
        if isinstance(app, App):
            app.say_notice()
        sys.exit(code)


#: The options whose value is a WHEN, which people type in several words.
WHEN_OPTIONS = frozenset({"--due", "--date", "--next", "--today"})
#: The most words a WHEN has (`two weeks from now`).
MAX_WHEN_WORDS = 4


def join_when_words(args: list[str]) -> list[str]:
    """`--due next friday` typed without quotes: the shell gives `--due`, `next`, `friday`,
    and click would take `next` as the date and `friday` as text. After a date option,
    the longest run of following words (up to four, none an option) that reads as one
    WHEN becomes its value; a value that reads alone (`--due 2w call`) is left as it is.
    Nothing after `--` is touched."""
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        out.append(arg)
        i += 1
        if arg == "--":
            out.extend(args[i:])
            break
        if arg not in WHEN_OPTIONS or i >= len(args):
            continue
        words = 1
        for n in range(2, MAX_WHEN_WORDS + 1):
            run = args[i : i + n]
            if len(run) < n or any(w.startswith("--") for w in run):
                break
            if _reads_as_when(" ".join(run)):
                words = n
        out.append(" ".join(args[i : i + words]))
        i += words
    return out


def _reads_as_when(text: str) -> bool:
    from plaintextcrm.dates import DateValueError
    from plaintextcrm.when import parse_when

    try:
        parse_when(text, date.today())
    except DateValueError:
        return False
    return True


def _fail(message: str, code: int) -> int:
    """The one error line: a message may quote a note (a name, a task), so it is shown
    through `visible` like every other text output."""
    from plaintextcrm.render.terminal import visible

    click.echo(f"crm: error: {visible(' '.join(str(message).split()))}", err=True)
    return code


def say(text: str, *, err: bool = False) -> None:
    """Print a line (or lines) of human-readable text: through `render.terminal.visible`,
    since a name or a task in it comes from a note. Data outputs (feeds, exports) are
    printed as they are."""
    from plaintextcrm.render.terminal import visible

    click.echo(visible(text), err=err)


def warning(text: str) -> None:
    """One `crm: warning: ...` line on stderr: the command still did what it was asked."""
    say(f"crm: warning: {text}", err=True)


@dataclass
class App:
    """What every command needs: the vault, today, how to print, and the index read once,
    lazily."""

    vault_option: str | None
    today: date
    color: str = "auto"
    #: Whether today was given (--today, $CRM_TODAY): a long-running `watch` or `serve`
    #: then keeps that day instead of moving on at midnight.
    today_given: bool = False
    as_json: bool = False
    _index: Index | None = field(default=None, repr=False)
    _root: Path | None = field(default=None, repr=False)
    _config: Config | None = field(default=None, repr=False)
    _session: Session | None = field(default=None, repr=False)
    _notice: str | None = field(default=None, repr=False)
    _problems_line: bool = field(default=False, repr=False)

    @property
    def root(self) -> Path:
        if self._root is None:
            from plaintextcrm.vault import find_vault, is_marked

            root = find_vault(self.vault_option, os.environ, Path.cwd())
            if not is_marked(root):
                self._probe(root)
            self._root = root
        return self._root

    def _probe(self, root: Path) -> None:
        """A folder that has no `crm.toml`, no `.obsidian/` and no `.crm/` is read without
        a cache first: with no contact in it, it is not a vault (a typo in --vault, a cron
        line in the wrong folder) and nothing is written there; with contacts, the read is
        kept and the cache starts."""
        from plaintextcrm.config import load_config
        from plaintextcrm.load import Session

        self._config = load_config(root)
        session = Session(root, self._config, self.today, use_cache=False)
        if not session.index().contacts:
            raise CrmError(
                f"not a vault: {root} has no crm.toml, no .obsidian/ and no contact note;"
                f" run `crm init {_shell_quote(str(root))}` to make it one, or pass the"
                " folder of your notes with --vault"
            )
        session.use_cache = True
        self._session = session

    @property
    def config(self) -> Config:
        if self._config is None:
            from plaintextcrm.config import load_config

            self._config = load_config(self.root)
        return self._config

    def session(self) -> Session:
        """One scan of the vault, shared by the index and the result cache (load.py)."""
        root = self.root
        if self._session is None:
            from plaintextcrm.load import Session

            self._session = Session(root, self.config, self.today)
        return self._session

    def index(self, quiet: bool = False) -> Index:
        """The vault's index; notes the problems line (said at the end) unless `quiet`."""
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

    def stream(self, key: tuple[Any, ...], pieces: Callable[[], Iterable[str | bytes]]) -> None:
        """Print an output too large to hold (`crm list --json`, `crm ics`) piece by
        piece: `pieces()` as `cached`'s `compute`, reused from the cache the same way."""
        health = self.session().streamed(key, pieces, lambda piece: click.echo(piece, nl=False))
        if health is not None:
            self.warn(health)

    def warn(self, health: tuple[int, int, int]) -> None:
        """Keep the one stderr line of a reading command (`Index.health()`) for the end:
        no contacts in a vault with notes (with what would make one), else how many notes
        have errors (at most once a day per vault, and never with `[terminal] problems =
        false`)."""
        problems, contacts, notes = health
        if notes and not contacts:
            self._notice = f"crm: {no_contacts_hint(notes, self.config.contact_folders)}"
        elif problems and self.config.terminal.problems:
            noun = "note has" if problems == 1 else "notes have"
            self._notice = f"crm: {problems} {noun} problems; run `crm check`"
            self._problems_line = True

    def say_notice(self) -> None:
        """Print the kept line, once; the problems line only if not yet said today."""
        notice, self._notice = self._notice, None
        if notice is None:
            return
        if self._problems_line and self._root is not None:
            from plaintextcrm.notice import first_time_today

            if not first_time_today(self._root, self.today):
                return
        say(notice, err=True)

    # -- printing ----------------------------------------------------------------------

    @property
    def palette(self) -> Palette:
        from plaintextcrm.render.terminal import Palette, choose_color

        return Palette(choose_color(self.color, dict(os.environ), _stdout_is_tty()))

    @property
    def out(self) -> Formatter:
        """The formatter chosen once for this command: JSON with --json, else text."""
        from plaintextcrm.render.formatters import pick

        return pick(self.as_json, self.palette)

    def show(self, text: str) -> None:
        """Print a reading command's output: through the pager when it is text taller than
        the terminal (as git does; `LESS=FRX` unless set, so colours pass and short output
        stays on screen), else straight to stdout."""
        if (
            not self.as_json
            and _stdout_is_tty()
            and self._pager_wanted()
            and text.count("\n") + 2 > _terminal_lines()
        ):
            os.environ.setdefault("LESS", "FRX")
            click.echo_via_pager(text + "\n", color=self.palette.enabled)
            return
        click.echo(text, color=self.palette.enabled)  # click strips colour off a pipe

    def _pager_wanted(self) -> bool:
        try:
            return self.config.terminal.pager
        except CrmError:
            return True


def _stdout_is_tty() -> bool:
    try:
        return os.isatty(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        return False


def _terminal_lines() -> int:
    import shutil

    return shutil.get_terminal_size((80, 24)).lines


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def no_contacts_hint(notes: int, folders: tuple[str, ...]) -> str:
    """What to say when a vault has notes but no contacts: how to make one, and where to
    look for the notes that came closest."""
    where = ", ".join(f"{f.strip('/')}/" for f in folders) or "a contact folder"
    noun = "note" if notes == 1 else "notes"
    return (
        f"no contacts among {notes} {noun}: put people in {where}, or give them"
        " `type: person` or a #person tag; `crm check` shows the notes that came closest"
    )


# --- parameter types ---------------------------------------------------------------------


@dataclass(frozen=True)
class When:
    """A WHEN as typed, checked but not yet placed: the day it names depends on today,
    which `--today` may set after the option was read (`crm todo ... --due friday
    --today 2026-12-01`)."""

    text: str
    prefer: str = "future"

    def on(self, today: date) -> date:
        """The day this WHEN names, seen from `today`."""
        from plaintextcrm.when import parse_when

        return parse_when(self.text, today, prefer=self.prefer)  # type: ignore[arg-type]


class WhenType(click.ParamType):
    """Every date option (`--due`, `--date`, `--next`): the grammar of
    `plaintextcrm.when` (docs/dates.md), checked when the command line is read (a bad value
    is a usage error naming the forms) and placed later with `.on(app.today)`.
    `prefer="past"` reads a bare `dec 1` or `friday` as the last one, for when something
    happened (`crm log --date`)."""

    name = "when"
    _COMPLETIONS = (
        "today", "tomorrow", "yesterday", "next monday", "next friday", "last monday",
        "in 2 weeks", "3d", "2w", "1m", "1y",
    )  # fmt: skip

    def __init__(self, prefer: str = "future") -> None:
        self.prefer = prefer

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> When:
        if isinstance(value, When):
            return value
        if isinstance(value, date):
            return When(value.isoformat(), self.prefer)
        from plaintextcrm.dates import DateValueError

        when = When(str(value).strip(), self.prefer)
        try:
            when.on(date.today())
        except DateValueError as exc:
            self.fail(str(exc), param, ctx)
        return when

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
        from click.shell_completion import CompletionItem

        low = incomplete.lower()
        return [CompletionItem(word) for word in self._COMPLETIONS if word.startswith(low)]


class TodayType(click.ParamType):
    """`--today`: a WHEN relative to the real date, no later than `LATEST_TODAY`; empty
    (`CRM_TODAY=`) is not given."""

    name = "today"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> date | None:
        if isinstance(value, date):
            return value
        if not str(value).strip():
            return None  # not given: the local date, moving on at midnight
        from plaintextcrm.dates import DateValueError
        from plaintextcrm.when import parse_when

        try:
            day = parse_when(str(value), date.today())
        except DateValueError as exc:
            self.fail(str(exc), param, ctx)
        if day > LATEST_TODAY:
            # Next year's birthday and the --days window must still be representable.
            self.fail(f"{value} is too far ahead (the latest is {LATEST_TODAY})", param, ctx)
        return day


class CadenceType(click.ParamType):
    """A keep-in-touch interval as a note writes it (`2w`, `3m`, `monthly`, `90`),
    checked by the cadence grammar and kept as typed, since it is written into the note."""

    name = "cadence"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from plaintextcrm.dates import DateValueError, parse_cadence

        try:
            parse_cadence(str(value))
        except DateValueError as exc:
            self.fail(str(exc), param, ctx)
        return str(value)


class YearlyType(click.ParamType):
    """A yearly date as a note writes it (`1990-03-14`, `--03-14`), kept as typed."""

    name = "yearly"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from plaintextcrm.dates import DateValueError, parse_yearly

        try:
            parse_yearly(str(value))
        except DateValueError as exc:
            self.fail(str(exc), param, ctx)
        return str(value)


#: Reminder kinds as `crm due` prints them and as people type them, singular or plural.
KIND_WORDS = {
    "followup": "followup", "follow-up": "followup", "follow_up": "followup",
    "followups": "followup", "follow-ups": "followup", "todo": "followup",
    "todos": "followup", "task": "followup", "tasks": "followup",
    "birthday": "birthday", "birthdays": "birthday",
    "date": "date", "dates": "date", "anniversary": "date", "anniversaries": "date",
    "reconnect": "reconnect", "reconnects": "reconnect",
}  # fmt: skip


class KindType(click.ParamType):
    """A reminder kind: `followup`, `follow-up` (as printed), `birthdays` (plural)..."""

    name = "kind"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        kind = KIND_WORDS.get(str(value).strip().casefold())
        if kind is None:
            self.fail(
                f"{value!r} is not a kind; use followup, birthday, date or reconnect", param, ctx
            )
        return kind

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
        from click.shell_completion import CompletionItem

        kinds = ("followup", "birthday", "date", "reconnect")
        return [CompletionItem(k) for k in kinds if k.startswith(incomplete)]


class NameType(click.ParamType):
    """A word of a contact's NAME; completes contact names from the vault's index."""

    name = "name"

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
        from click.shell_completion import CompletionItem

        from plaintextcrm.index import fold

        try:
            root = ctx.find_root()
            vault = root.params.get("vault") if root.params else None
            app = App(vault, date.today())
            names = sorted({c.name for c in app.session().index().contacts}, key=fold)
        except Exception:  # completion must never print a traceback into the prompt
            return []
        wanted = fold(incomplete)
        return [CompletionItem(n) for n in names if fold(n).startswith(wanted)]


# --- shared options ------------------------------------------------------------------------


def _set(attribute: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        app = ctx.find_object(App)
        if value is not None and app is not None and value is not False:
            setattr(app, attribute, value)
            if attribute == "today":
                app.today_given = True

    return callback


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--vault`, `--today` and `--color` after the command too (`crm due --today X`), and
    `--json` where the command has it: they set the App and are not passed on."""
    for option in reversed(
        [
            click.option("--vault", metavar="PATH", expose_value=False, is_eager=True,
                         callback=_set("vault_option"), help="The vault folder."),
            click.option("--today", metavar="WHEN", type=TodayType(), expose_value=False,
                         is_eager=True, callback=_set("today"),
                         help="Pretend today is this date."),
            click.option("--color", type=click.Choice(["auto", "always", "never"]),
                         expose_value=False, callback=_set("color"),
                         help="Colour the output (auto: on a terminal, unless NO_COLOR)."),
        ]
    ):  # fmt: skip
        command = option(command)
    return command


json_option = click.option(
    "--json", "as_json", is_flag=True, expose_value=False, callback=_set("as_json"),
    help="Print JSON.",
)  # fmt: skip
days_option = click.option(
    "--days", type=click.IntRange(0, MAX_DAYS), default=14, show_default=True,
    help="The window: how many days ahead to look.",
)  # fmt: skip


def name_argument(rest: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """NAME words (and what follows them: `TEXT...`, `[MATCH...]`, `WHEN`), as one
    argument: `lookup.split_name` tells where the name ends."""
    metavar = f"NAME... {rest}".strip()
    return click.argument("name", nargs=-1, required=True, type=NameType(), metavar=metavar)


@click.group(
    cls=CrmGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    epilog=epilog(
        "crm due", "crm show anna rossi", 'crm log anna coffee in Rome --next "next friday"',
        "crm todo nicolo ask about the marathon --due 2w", "crm done anna marathon",
    ),
)  # fmt: skip
@click.option(
    "--vault",
    metavar="PATH",
    help="The vault folder (default: $CRM_VAULT, or the nearest folder with crm.toml"
    " or .obsidian/).",
)
@click.option(
    "--today",
    metavar="WHEN",
    envvar="CRM_TODAY",
    type=TodayType(),
    help="Pretend today is this date (default: $CRM_TODAY or the local date).",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    help="Colour the output: auto (a terminal, unless NO_COLOR is set), always, never.",
)
@click.version_option(__version__, "--version", prog_name="crm", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, vault: str | None, today: date | None, color: str) -> None:
    """plaintextcrm: a personal CRM whose database is a folder of Markdown notes."""
    ctx.obj = App(vault, today or date.today(), color, today_given=today is not None)


pass_app = click.make_pass_decorator(App)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="crm")
