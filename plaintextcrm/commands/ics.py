"""`crm ics [-o FILE]`: the calendar feed to stdout, or atomically to a file.

A file is rewritten only when its bytes change, so a feed kept in git, synced by a cloud
folder or served by a web server is not touched (new mtime, new ETag) on days where
nothing happened.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import click

from plaintextcrm.cli import App, pass_app
from plaintextcrm.errors import WriteError


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` to `path` unless it already holds exactly that; True when written.

    Atomic: a temporary file in the same folder (a dot-file, which the vault scan skips),
    flushed and fsynced, then renamed over the target, keeping the target's permissions.
    A reader never sees half a feed. A symlink is followed, so the file it points to is
    replaced and the link is kept.
    """
    if path.is_symlink():
        path = path.resolve()
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        raise WriteError(f"cannot write {path}: it is a folder") from None
    except OSError:
        pass  # unreadable: try to replace it; the write below reports a real failure
    folder = path.parent
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = _default_mode()
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise WriteError(f"cannot write {path}: {reason.lower()}") from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    return True


def _default_mode() -> int:
    """The mode a plain `open(path, "w")` would give: 0o666 less the umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@click.command("ics")
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write the feed to FILE (atomically, only when it changed) instead of stdout.",
)
@pass_app
def ics(app: App, output: str | None) -> None:
    """The iCalendar feed: birthdays, dates, follow-ups and reconnects."""
    from plaintextcrm.render.ics import render_ics

    data = render_ics(app.index(), app.today, app.config)
    if output is None or output == "-":
        click.echo(data, nl=False)
        return
    write_if_changed(Path(output), data)
