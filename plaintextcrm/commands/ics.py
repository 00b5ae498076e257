"""`crm ics [--kind K]... [-o FILE]`: the calendar feed to stdout, or atomically to a file.

A file is rewritten only when its bytes change (`writefile.write_if_changed`), so a feed
kept in git, synced by a cloud folder or served by a web server is not touched (new
mtime, new ETag) on days where nothing happened. The feed is reused from `.crm/` while
the vault is unchanged, and otherwise re-rendered only for the contacts that changed
(`plaintextcrm.outcache`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from plaintextcrm.cli import App, KindType, common_options, epilog, pass_app


def feed_bytes(app: App, kinds: tuple[str, ...] = ()) -> bytes:
    """The feed of `kinds` (default: `[ics] kinds`) for `app`'s vault and day, from the
    output cache when it is valid (the same cache as the streamed feed's)."""
    pieces: list[bytes] = []
    key, make = feed_pieces(app, kinds)
    health = app.session().streamed(key, make, pieces.append)
    if health is not None:
        app.warn(health)  # else `app.index()` said it
    return b"".join(pieces)


def feed_pieces(
    app: App, kinds: tuple[str, ...] = ()
) -> tuple[tuple[Any, ...], Callable[[], Iterator[bytes]]]:
    """The memo key and the pieces of `feed_bytes`, for `App.stream`."""
    from plaintextcrm.outcache import ics_chunks
    from plaintextcrm.render.ics import feed_config

    config = feed_config(app.config, kinds)

    def pieces() -> Iterator[bytes]:
        index = app.index()  # says the problems line: `App.stream` does when it is kept
        return ics_chunks(index, app.today, config, app.session().state())

    return ("ics", config.feed_kinds, config.calendar_name), pieces


@click.command(
    "ics", epilog=epilog("crm ics", "crm ics -o ~/calendars/crm.ics", "crm ics --kind birthdays")
)
@click.option(
    "--kind", "kinds", type=KindType(), multiple=True,
    help="Only reminders of this kind (repeatable); default: [ics] kinds in crm.toml.",
)  # fmt: skip
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write the feed to FILE (atomically, only when it changed) instead of stdout.",
)
@common_options
@pass_app
def ics(app: App, kinds: tuple[str, ...], output: str | None) -> None:
    """The iCalendar feed: birthdays, dates, follow-ups and reconnects."""
    if output is None or output == "-":
        app.stream(*feed_pieces(app, kinds))  # tens of megabytes at 50k: never held whole
        return
    from plaintextcrm.writefile import write_if_changed

    write_if_changed(Path(output), feed_bytes(app, kinds))
