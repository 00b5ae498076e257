"""`crm watch` and `crm serve`: the long-running ways to publish the feed and the digest."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import click

from plaintextcrm.cli import MAX_DAYS, App, common_options, epilog, pass_app, say
from plaintextcrm.errors import CrmError, UsageError

live_days_option = click.option(
    "--days", type=click.IntRange(0, MAX_DAYS), default=None,
    help="The digest's window in days (default: [digest] days in crm.toml, else 14).",
)  # fmt: skip


def _today_source(app: App) -> Callable[[], date]:
    """A fixed day when --today/CRM_TODAY was given, else the local date at each call, so
    a server or watcher running past midnight moves on to the new day."""
    if app.today_given:
        fixed = app.today
        return lambda: fixed
    return date.today


def _on_stop(stop: Callable[[], None]) -> None:
    """Ctrl-C and SIGTERM (systemd stop) end the loop cleanly: exit 0, no traceback."""

    def handler(signum: int, frame: object) -> None:
        stop()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _output_path(option: str, value: str) -> Path:
    path = Path(value).expanduser().resolve()
    if path.is_dir():
        raise UsageError(f"{option} {value}: is a folder; give a file name")
    if not path.parent.is_dir():
        raise UsageError(f"{option} {value}: folder {path.parent} does not exist")
    return path


@click.command(
    epilog=epilog("crm watch --ics ~/calendars/crm.ics --digest ~/digest.html", "crm watch --poll")
)
@click.option("--ics", "ics_file", metavar="FILE", help="Keep the iCalendar feed in FILE.")
@click.option(
    "--digest", "digest_file", metavar="FILE",
    help="Keep the digest in FILE (format from the extension: .html, .md, .txt).",
)  # fmt: skip
@live_days_option
@click.option("--poll", is_flag=True, help="Poll every second instead of using inotify.")
@common_options
@pass_app
def watch(
    app: App, ics_file: str | None, digest_file: str | None, days: int | None, poll: bool
) -> None:
    """Rewrite the feed and digest files whenever the vault changes (Ctrl-C to stop)."""
    from plaintextcrm.live.outputs import digest_format
    from plaintextcrm.live.watch import Target, Watcher
    from plaintextcrm.vault import in_template_folder, is_ignored

    targets: list[Target] = []
    if ics_file:
        targets.append(Target("ics", _output_path("--ics", ics_file), ics_file))
    if digest_file:
        path = _output_path("--digest", digest_file)
        targets.append(Target(digest_format(path), path, digest_file))
    if not targets:
        raise UsageError("nothing to keep up to date: pass --ics FILE and/or --digest FILE")
    if len({t.path for t in targets}) < len(targets):
        raise UsageError("--ics and --digest must name different files")
    root = app.root
    for target in targets:
        if target.path.is_relative_to(root) and target.path.suffix.lower() == ".md":
            rel = target.path.relative_to(root).as_posix()
            if not (
                is_ignored(rel, app.config.ignore)
                or in_template_folder(rel, app.config.template_folders)
            ):
                say(
                    f"crm: warning: {rel} is inside the vault and will be read as a note;"
                    f' add "{rel}" to `ignore` in crm.toml',
                    err=True,
                )
    watcher = Watcher(root, targets, _today_source(app), days, polling=poll)
    _on_stop(watcher.stop)
    say(f"crm: watching {root} (Ctrl-C to stop)", err=True)
    watcher.run()


@click.command(epilog=epilog("crm serve", "crm serve --port 8080 --quiet"))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=5545, show_default=True,
    help="Port to listen on (0: any free port).",
)  # fmt: skip
@live_days_option
@click.option("--quiet", is_flag=True, help="No access log on stderr.")
@common_options
@pass_app
def serve(app: App, host: str, port: int, days: int | None, quiet: bool) -> None:
    """Serve the feed (also one per kind) and the HTML digest at a secret URL (Ctrl-C to stop)."""
    from plaintextcrm.live.serve import (
        TOKEN_FILE,
        FeedServer,
        Site,
        load_token,
        serve_until_stopped,
    )
    from plaintextcrm.vault import STATE_DIR

    root = app.root
    token = load_token(root)
    site = Site(root, _today_source(app), days)
    token_file = root / STATE_DIR / TOKEN_FILE
    try:
        server = FeedServer((host, port), site, token, quiet=quiet, token_file=token_file)
    except OSError as exc:
        raise CrmError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    stop = threading.Event()
    _on_stop(stop.set)
    shown = host
    if host in ("0.0.0.0", "::", ""):
        import socket

        shown = socket.gethostname()
    urls = server.urls(shown)
    where = f"[{shown}]" if ":" in shown else shown
    say(f"Serving {root} on {where}:{server.server_address[1]} (Ctrl-C to stop)")
    say(f"Calendar:   {urls['ics']}")
    for kind, label in (("birthday", "Birthdays"), ("date", "Dates"),
                        ("followup", "Follow-ups"), ("reconnect", "Reconnects")):  # fmt: skip
        say(f"{label + ':':<11} {urls['ics:' + kind]}")
    say(f"Digest:     {urls['digest']}")
    sys.stdout.flush()
    serve_until_stopped(server, stop)
