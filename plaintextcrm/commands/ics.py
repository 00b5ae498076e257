"""`crm ics [-o FILE]`: the calendar feed to stdout, or atomically to a file.

A file is rewritten only when its bytes change (`writefile.write_if_changed`), so a feed
kept in git, synced by a cloud folder or served by a web server is not touched (new
mtime, new ETag) on days where nothing happened. The feed is reused from `.crm/` while
the vault is unchanged, and otherwise re-rendered only for the contacts that changed
(`plaintextcrm.outcache`).
"""

from __future__ import annotations

from pathlib import Path

import click

from plaintextcrm.cli import App, common_options, epilog, pass_app


def feed_bytes(app: App) -> bytes:
    """The feed for `app`'s vault and day, from the output cache when it is valid."""
    from plaintextcrm.outcache import ics_feed, memo_for

    session = app.session()

    def compute() -> tuple[tuple[int, int, int], bytes]:
        index = app.index(quiet=True)
        return index.health(), ics_feed(index, app.today, app.config, session.state())

    health, data = memo_for(session).get_or_compute("ics", ("ics",), compute)
    app.warn(health)  # the one line `app.index()` would have printed
    return data


@click.command("ics", epilog=epilog("crm ics", "crm ics -o ~/calendars/crm.ics"))
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write the feed to FILE (atomically, only when it changed) instead of stdout.",
)
@common_options
@pass_app
def ics(app: App, output: str | None) -> None:
    """The iCalendar feed: birthdays, dates, follow-ups and reconnects."""
    data = feed_bytes(app)
    if output is None or output == "-":
        click.echo(data, nl=False)
        return
    from plaintextcrm.writefile import write_if_changed

    write_if_changed(Path(output), data)
