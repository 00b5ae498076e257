"""`crm digest`: the week's relationship care as Markdown, HTML or text, printed or mailed.

Made for cron: `--quiet-if-empty` prints (and mails) nothing when nothing is due, not even
the stderr line about vault problems, so cron only writes to you when there is something
to do. With `--mail-to` the digest is mailed (text + HTML) instead of printed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from plaintextcrm.cli import App, days_option, pass_app
from plaintextcrm.errors import CrmError


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["md", "html", "txt"]), default="md", show_default=True,
    help="Markdown, HTML (self-contained, for a browser or a mail) or plain text.",
)  # fmt: skip
@days_option
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
@click.option(
    "--quiet-if-empty", is_flag=True,
    help="Print and send nothing when nothing is due (for cron).",
)  # fmt: skip
@click.option(
    "--mail-to", metavar="ADDR",
    help="Mail the digest (text + HTML) to ADDR through [smtp] in crm.toml.",
)  # fmt: skip
@pass_app
def digest(
    app: App,
    fmt: str,
    days: int,
    output: str | None,
    quiet_if_empty: bool,
    mail_to: str | None,
) -> None:
    """Follow-ups, birthdays, who to reconnect with, give-first ideas, recent activity."""
    from plaintextcrm.render.digest import build_digest, render_digest
    from plaintextcrm.templating import vault_template_dirs

    if mail_to:
        from plaintextcrm.mail import check_address

        mail_to = check_address(mail_to)
    index = app.index(quiet=True)
    result = build_digest(index, app.today, days, app.config)
    if quiet_if_empty and result.is_empty:
        # Still keep a file output true to the vault: a stale digest would say things are
        # due that are not. Stdout and mail stay silent, which is what cron listens to.
        if output:
            templates = vault_template_dirs(app.root, app.config.templates_dir)
            _write_file(Path(output), render_digest(result, fmt, templates))
        return
    count = index.problem_notes()
    if count:
        noun = "note has" if count == 1 else "notes have"
        click.echo(f"crm: {count} {noun} problems; run `crm check`", err=True)
    templates = vault_template_dirs(app.root, app.config.templates_dir)
    rendered = render_digest(result, fmt, templates)
    if mail_to:
        from plaintextcrm.mail import send_mail

        text = rendered if fmt == "txt" else render_digest(result, "txt", templates)
        html = rendered if fmt == "html" else render_digest(result, "html", templates)
        send_mail(app.config.smtp, mail_to, result.subject(), text, html)
    if output:
        _write_file(Path(output), rendered)
    elif not mail_to:
        click.echo(rendered, nl=not rendered.endswith("\n"))


def _write_file(path: Path, text: str) -> None:
    """Replace `path` atomically, so a browser or a feed server never reads half a digest."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise CrmError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CrmError(f"cannot write {path}: {exc.strerror or exc}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
