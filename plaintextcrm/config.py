"""`crm.toml` → a frozen Config, with a default for every key.

A missing file is the defaults. An unknown key is a warning (a typo should not stop the
morning digest); a key of the wrong type or a TOML syntax error is an error that names the
line, because guessing what a broken config meant could mail the wrong people.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from plaintextcrm.dates import DateValueError, parse_cadence
from plaintextcrm.errors import CrmError
from plaintextcrm.model import KIND_ORDER, Cadence, Problem
from plaintextcrm.obsidian import DailyNoteFormat, daily_note_formats
from plaintextcrm.readfile import read_regular

CONFIG_NAME = "crm.toml"

DEFAULT_CIRCLES = {"inner": "2w", "close": "1m", "network": "3m", "outer": "1y"}


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    user: str | None = None
    password_env: str | None = None
    sender: str | None = None


@dataclass(frozen=True)
class SyncConfig:
    """`[sync]`: the vdirs `crm sync` keeps in step with the notes (each optional, as
    written: relative to the vault or absolute, `~` allowed), and the command that syncs
    them with a server, run before and after (docs/sync.md)."""

    tasks: str | None = None
    events: str | None = None
    contacts: str | None = None
    command: str | None = None


DEFAULT_CONTACT_FOLDERS = ("People", "Contacts", "Persons")

#: The reminder kinds, in the order a day lists them.
REMINDER_KINDS = tuple(KIND_ORDER)
#: `[digest] long_overdue` when crm.toml does not say.
DEFAULT_LONG_OVERDUE = Cadence(1, "months", "1m")
#: How the feed shows several reminders: one event each, or one event for the group.
FEED_LAYOUTS = ("collapse", "each")


@dataclass(frozen=True)
class Alarm:
    """One alert of a calendar event: `days` before (negative) or after the event's day,
    at `minute` minutes after that day's midnight (`"-3d 09:00"` → Alarm(-3, 540))."""

    days: int
    minute: int


@dataclass(frozen=True)
class TerminalConfig:
    """`[terminal]`: how the commands talk to a person at a terminal."""

    #: Long output goes through $PAGER (less) on a terminal.
    pager: bool = True
    #: The "N notes have problems; run `crm check`" line (at most once a day).
    problems: bool = True


@dataclass(frozen=True)
class Config:
    contact_folders: tuple[str, ...] = DEFAULT_CONTACT_FOLDERS
    #: Words a type-like key may hold for a person, besides the built-in ones (casefolded).
    contact_types: tuple[str, ...] = ()
    #: `[fields]`: field → more keys it is read from (`birthday = ["geburtstag"]`).
    field_synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Template folders named in the vault's Obsidian settings (vault-relative); read once
    #: when the config is loaded, so the cache fingerprint covers them.
    template_folders: tuple[str, ...] = ()
    default_cadence: Cadence | None = None
    circles: tuple[tuple[str, Cadence | None], ...] = ()
    ignore: tuple[str, ...] = ()
    links: str = "file"
    vault_name: str | None = None
    templates_dir: str | None = None
    calendar_name: str = "plaintextcrm"
    #: `[ics] alarm`: each kind's alerts (a kind missing here has none).
    alarms: tuple[tuple[str, tuple[Alarm, ...]], ...] = ()
    #: `[ics] kinds`: the reminder kinds the feed carries.
    feed_kinds: tuple[str, ...] = REMINDER_KINDS
    #: `[ics] overdue`: "collapse" folds each kind's overdue reminders into one event on
    #: today; "each" puts every one on today.
    feed_overdue: str = "collapse"
    #: `[ics] reconnects`: "collapse" folds a day's reconnects into one event.
    feed_reconnects: str = "collapse"
    default_region: str | None = None
    digest_days: int = 14
    #: `[digest] long_overdue`: reminders overdue longer than this are listed apart,
    #: below the day's; None keeps them with the rest.
    long_overdue: Cadence | None = DEFAULT_LONG_OVERDUE
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    terminal: TerminalConfig = field(default_factory=TerminalConfig)
    problems: tuple[Problem, ...] = ()
    #: From the vault's `.obsidian/` settings, not crm.toml: which names are daily notes.
    daily_notes: tuple[DailyNoteFormat, ...] = ()

    @cached_property
    def _circle_table(self) -> dict[str, Cadence | None]:
        return dict(self.circles)

    def circle_cadence(self, circle: str) -> Cadence | None:
        return self._circle_table.get(circle)

    def has_circle(self, circle: str) -> bool:
        return circle in self._circle_table

    def alarms_for(self, kind: str) -> tuple[Alarm, ...]:
        """The alerts events of `kind` carry (none unless `[ics] alarm` says so)."""
        for name, alarms in self.alarms:
            if name == kind:
                return alarms
        return ()

    def fingerprint(self) -> str:
        """What parsing a note may depend on, so a cache can tell when to throw away.

        Parsing reads the contact folders and types, the field synonyms, the template
        folders and the circle names (an unknown circle is a warning); rather than track
        which keys parse reads today, this is every setting, so a new dependency can
        never serve a stale parse. Config changes are rare.
        """
        return repr(self)


# key → (type check, description) for each section; used for warnings and type errors.
_TOP = {
    "ignore",
    "links",
    "vault_name",
    "templates_dir",
    "contacts",
    "circles",
    "ics",
    "smtp",
    "digest",
    "import",
    "fields",
    "sync",
    "terminal",
}
_SECTIONS = {
    "contacts": {"folders", "types", "default_cadence"},
    "ics": {"calendar_name", "alarm", "kinds", "overdue", "reconnects"},
    "smtp": {"host", "port", "starttls", "ssl", "user", "password_env", "from"},
    "digest": {"days", "long_overdue"},
    "import": {"default_region"},
    "sync": {"tasks", "events", "contacts", "command"},
    "terminal": {"pager", "problems"},
}


def _type_error(key: str, expected: str) -> CrmError:
    return CrmError(f"{CONFIG_NAME}: `{key}` must be {expected}")


def _str_list(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _type_error(key, "a list of strings")


def _opt_str(value: Any, key: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _type_error(key, "a string")


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_password_env(name: str | None) -> str | None:
    """`smtp.password_env`, if it names a variable plainly meant for the mail password.

    crm.toml is a file people share and sync; without a rule, one line in it
    (`password_env = "AWS_SECRET_ACCESS_KEY"`) would mail any secret in the environment of
    whoever runs `crm digest --mail-to` to any server. The rule: the name starts with
    `CRM_` (a variable set for crm), or contains `PASS` and `SMTP` or `MAIL`
    (`SMTP_PASSWORD`, `GMAIL_APP_PASSWORD`), in any case.
    """
    if not name:
        return name
    upper = name.upper()
    meant = upper.startswith("CRM_") or ("PASS" in upper and ("SMTP" in upper or "MAIL" in upper))
    if not (_ENV_NAME.fullmatch(name) and meant):
        raise CrmError(
            f"{CONFIG_NAME}: `smtp.password_env` must name a variable set for the mail password:"
            f" one that starts with CRM_, or contains PASS and SMTP or MAIL (such as"
            f" CRM_SMTP_PASSWORD); {name!r} is not one"
        )
    return name


def _cadence(value: Any, key: str) -> Cadence | None:
    try:
        return parse_cadence(value)
    except DateValueError as exc:
        raise CrmError(f"{CONFIG_NAME}: `{key}`: {exc}") from None


def load_config(root: Path) -> Config:
    """Read `<root>/crm.toml` (or use the defaults when there is none), and the vault's
    Obsidian settings that decide how notes read (template folders, daily-note formats)."""
    from plaintextcrm.obsidian import template_folders

    config = _load_toml(root)
    if config.templates_dir:
        templates_folder(root, config.templates_dir)  # outside the vault: an error now
    return replace(
        config,
        template_folders=template_folders(root),
        daily_notes=daily_note_formats(root),
    )


def templates_folder(
    root: Path, folder: str, what: str = f"{CONFIG_NAME}: `templates_dir`"
) -> Path:
    """`folder` (relative to the vault, or absolute) resolved with symlinks followed; a
    one-line error unless it is inside the vault.

    Templates decide what a digest says and where its links go: a crm.toml from a shared
    or cloned vault must not be able to point them at a folder elsewhere on the machine.
    """
    real_root = root.resolve()
    try:
        target = (real_root / folder).resolve()
    except (OSError, RuntimeError):  # a symlink loop
        raise CrmError(f"{what}: {folder!r} cannot be resolved (a symlink loop?)") from None
    if not target.is_relative_to(real_root):
        raise CrmError(f"{what} must be a folder inside the vault; {folder!r} leads to {target}")
    return target


def _load_toml(root: Path) -> Config:
    path = root / CONFIG_NAME
    try:
        data = read_regular(path)  # a FIFO named crm.toml must not hang every command
    except FileNotFoundError:
        return parse_config({})
    except OSError as exc:
        raise CrmError(f"cannot read {path}: {exc.strerror}") from None
    try:
        table = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise CrmError(f"{CONFIG_NAME}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise CrmError(_toml_message(exc)) from None
    return parse_config(table)


def _toml_message(exc: tomllib.TOMLDecodeError) -> str:
    """`crm.toml line N: what`, from tomllib's "what (at line N, column C)"."""
    text = str(exc)
    m = re.search(r"\(at line (\d+), column \d+\)", text)
    if m:
        what = text[: m.start()].strip()
        return f"{CONFIG_NAME} line {m[1]}: {what}"
    return f"{CONFIG_NAME}: {text}"


def parse_config(table: dict[str, Any]) -> Config:
    """A parsed TOML table → Config; unknown keys become warnings."""
    problems: list[Problem] = []

    def warn_unknown(keys: set[str], known: set[str], prefix: str) -> None:
        for key in sorted(keys - known):
            problems.append(
                Problem(CONFIG_NAME, None, "warning", f"unknown config key `{prefix}{key}`")
            )

    warn_unknown(set(table), _TOP, "")
    sections: dict[str, dict[str, Any]] = {}
    for name, known in _SECTIONS.items():
        section = table.get(name, {})
        if not isinstance(section, dict):
            raise _type_error(name, "a table")
        warn_unknown(set(section), known, f"{name}.")
        sections[name] = section

    circles_table = table.get("circles", DEFAULT_CIRCLES)
    if not isinstance(circles_table, dict):
        raise _type_error("circles", 'a table such as `inner = "2w"`')
    circles = tuple(
        (str(name), _cadence(value, f"circles.{name}")) for name, value in circles_table.items()
    )

    contacts = sections["contacts"]
    field_synonyms, field_problems = _field_synonyms(table.get("fields", {}))
    problems.extend(field_problems)
    links = table.get("links", "file")
    if links not in ("file", "obsidian"):
        raise _type_error("links", '"file" or "obsidian"')
    smtp_t = sections["smtp"]
    port = smtp_t.get("port", 25)
    if not isinstance(port, int) or isinstance(port, bool):
        raise _type_error("smtp.port", "a number")
    for flag in ("starttls", "ssl"):
        if not isinstance(smtp_t.get(flag, False), bool):
            raise _type_error(f"smtp.{flag}", "true or false")
    smtp = SmtpConfig(
        host=_opt_str(smtp_t.get("host", "localhost"), "smtp.host") or "localhost",
        port=port,
        starttls=smtp_t.get("starttls", False),
        ssl=smtp_t.get("ssl", False),
        user=_opt_str(smtp_t.get("user"), "smtp.user"),
        password_env=check_password_env(_opt_str(smtp_t.get("password_env"), "smtp.password_env")),
        sender=_opt_str(smtp_t.get("from"), "smtp.from"),
    )
    digest_days = sections["digest"].get("days", 14)
    if (
        not isinstance(digest_days, int)
        or isinstance(digest_days, bool)
        or not (0 <= digest_days <= 3660)
    ):
        raise _type_error("digest.days", "a number of days from 0 to 3660")
    sync_t = sections["sync"]
    sync = SyncConfig(
        **{key: _opt_str(sync_t.get(key), f"sync.{key}") for key in _SECTIONS["sync"]}
    )
    terminal_t = sections["terminal"]
    for flag in ("pager", "problems"):
        if not isinstance(terminal_t.get(flag, True), bool):
            raise _type_error(f"terminal.{flag}", "true or false")
    terminal = TerminalConfig(
        pager=terminal_t.get("pager", True), problems=terminal_t.get("problems", True)
    )
    ics = sections["ics"]
    alarms, alarm_problems = _alarms(ics.get("alarm"))
    problems.extend(alarm_problems)
    return Config(
        contact_folders=_str_list(
            contacts.get("folders", list(DEFAULT_CONTACT_FOLDERS)), "contacts.folders"
        ),
        contact_types=tuple(
            w.strip().casefold() for w in _str_list(contacts.get("types", []), "contacts.types")
        ),
        field_synonyms=field_synonyms,
        default_cadence=_cadence(contacts.get("default_cadence"), "contacts.default_cadence"),
        circles=circles,
        ignore=_str_list(table.get("ignore", []), "ignore"),
        links=links,
        vault_name=_opt_str(table.get("vault_name"), "vault_name"),
        templates_dir=_opt_str(table.get("templates_dir"), "templates_dir"),
        calendar_name=_opt_str(sections["ics"].get("calendar_name"), "ics.calendar_name")
        or "plaintextcrm",
        alarms=alarms,
        feed_kinds=_kinds(ics.get("kinds", list(REMINDER_KINDS)), "ics.kinds"),
        feed_overdue=_choice(ics.get("overdue", "collapse"), FEED_LAYOUTS, "ics.overdue"),
        feed_reconnects=_choice(ics.get("reconnects", "collapse"), FEED_LAYOUTS, "ics.reconnects"),
        default_region=_opt_str(sections["import"].get("default_region"), "import.default_region"),
        smtp=smtp,
        sync=sync,
        digest_days=digest_days,
        terminal=terminal,
        long_overdue=_cadence(
            sections["digest"].get("long_overdue", DEFAULT_LONG_OVERDUE.raw), "digest.long_overdue"
        ),
        problems=tuple(problems),
    )


_ALARM = re.compile(r"(?:([+-]?\d{1,3})\s*([dw])\s+)?([01]?\d|2[0-3]):([0-5]\d)")
_ALARM_FORMS = 'a time of day such as "09:00", or days before and a time such as "-3d 09:00"'


def parse_alarm(text: Any, key: str) -> Alarm:
    """`"09:00"` (on the day), `"-3d 09:00"` (three days before), `"-1w 18:30"`."""
    m = _ALARM.fullmatch(text.strip()) if isinstance(text, str) else None
    if not m:
        raise _type_error(key, _ALARM_FORMS)
    days = int(m[1] or 0) * (7 if m[2] == "w" else 1)
    return Alarm(days, int(m[3]) * 60 + int(m[4]))


def _alarms(value: Any) -> tuple[tuple[tuple[str, tuple[Alarm, ...]], ...], list[Problem]]:
    """`[ics] alarm`: one alert (or a list) for every kind, or a table of kind → alerts
    (`birthday = ["-3d 09:00", "09:00"]`); a kind that is not one is a warning."""
    if value is None:
        return (), []
    if not isinstance(value, dict):
        alerts = _alarm_list(value, "ics.alarm")
        return tuple((kind, alerts) for kind in REMINDER_KINDS), []
    problems = [
        Problem(CONFIG_NAME, None, "warning", f"unknown config key `ics.alarm.{kind}`")
        for kind in sorted(set(value) - set(REMINDER_KINDS))
    ]
    out = tuple(
        (kind, _alarm_list(value[kind], f"ics.alarm.{kind}"))
        for kind in REMINDER_KINDS
        if kind in value
    )
    return out, problems


def _alarm_list(value: Any, key: str) -> tuple[Alarm, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(dict.fromkeys(parse_alarm(item, key) for item in items))


def _kinds(value: Any, key: str) -> tuple[str, ...]:
    """A list of reminder kinds, in the order of `REMINDER_KINDS`."""
    wanted = set(_str_list(value, key))
    if not wanted <= set(REMINDER_KINDS):
        raise _type_error(key, f"a list of kinds from {', '.join(REMINDER_KINDS)}")
    return tuple(kind for kind in REMINDER_KINDS if kind in wanted)


def _choice(value: Any, choices: tuple[str, ...], key: str) -> str:
    if value not in choices:
        raise _type_error(key, " or ".join(f'"{c}"' for c in choices))
    return str(value)


def _field_synonyms(
    value: Any,
) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], list[Problem]]:
    """`[fields]`: `birthday = ["geburtstag"]` → (("birthday", ("geburtstag",)),); a name
    that is not a field is a warning (like any unknown key), a wrong type an error."""
    from plaintextcrm.fields import FIELDS, normalise

    if not isinstance(value, dict):
        raise _type_error("fields", 'a table such as `birthday = ["geburtstag"]`')
    out: list[tuple[str, tuple[str, ...]]] = []
    problems: list[Problem] = []
    aliases = {"email": "emails", "phone": "phones", "alias": "aliases", "tag": "tags"}
    for name, keys in value.items():
        field_name = aliases.get(normalise(name), normalise(name))
        if field_name not in FIELDS:
            problems.append(
                Problem(CONFIG_NAME, None, "warning", f"unknown config key `fields.{name}`")
            )
            continue
        synonyms = _str_list(keys, f"fields.{name}")
        out.append((field_name, tuple(normalise(k) for k in synonyms)))
    return tuple(out), problems


DEFAULT_TOML = """\
# plaintextcrm configuration. Every key is optional; these are the defaults.

# Glob patterns (relative to the vault) that are never read as notes. Template folders
# (`templates/`, `_templates/`, and the ones Obsidian's settings name) are always skipped.
# ignore = ["Archive/**"]

# "file" links notes as file:// URLs in the calendar feed; "obsidian" as obsidian:// links.
# links = "file"
# vault_name = "My vault"   # the Obsidian vault name, when links = "obsidian"

[contacts]
# Notes under these folders (at any depth, any case) are contacts, unless a `type`-like
# key says they are something else.
folders = ["People", "Contacts", "Persons"]
# More words that make a note a contact in `type`, `category`, `kind`, `fileClass`...
# types = ["friend", "client"]
# A cadence for contacts that have neither `cadence` nor `circle`; none by default.
# default_cadence = "6m"

[circles]
# Relationship tiers and how often to reconnect with each.
inner = "2w"
close = "1m"
network = "3m"
outer = "1y"

[ics]
# calendar_name = "plaintextcrm"
# kinds = ["birthday", "date", "followup", "reconnect"]   # what the feed carries
# overdue = "collapse"      # overdue reminders: one event per kind on today; "each": one each
# reconnects = "collapse"   # one "Reconnect: Ayşe, Björn +10" event a day; "each": one each
# alarm = "09:00"           # an alert on the day of every event, at this local time
# [ics.alarm]               # or alerts per kind; "-3d 09:00" is three days before at 09:00
# birthday = ["-3d 09:00", "09:00"]
# followup = "09:00"

# [digest]
# days = 14                 # the window of `crm digest`, `crm watch` and `crm serve`
# long_overdue = "1m"       # overdue longer than this: listed apart, below the day's

# [smtp]                    # for `crm digest --mail-to`
# host = "localhost"
# port = 587
# starttls = true
# user = "me@example.org"
# password_env = "CRM_SMTP_PASSWORD"   # the password is read from this variable
# from = "me@example.org"

# [fields]                  # more keys to read each field from
# birthday = ["geburtstag"]
# last_contact = ["zuletzt"]

# [import]
# default_region = "IT"     # phone numbers without +country are read in this region

# [sync]                    # `crm sync`: tasks and contacts on your phone (docs/sync.md)
# tasks = "~/.local/share/vdirsyncer/crm-tasks"       # a vdir of VTODOs
# events = "~/.local/share/vdirsyncer/crm-events"     # a vdir of VEVENTs
# contacts = "~/.local/share/vdirsyncer/crm-contacts" # a vdir of contact cards
# command = "vdirsyncer sync"   # run before and after

# [terminal]
# pager = true              # long output through $PAGER (less) on a terminal
# problems = true           # "N notes have problems" once a day; false: only `crm check`
"""
