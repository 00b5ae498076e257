"""`crm digest`: the week's relationship care as Markdown, HTML or text, printed or mailed.

Made for cron: `--quiet-if-empty` prints (and mails) nothing when nothing is due, not even
the stderr line about vault problems, so cron only writes to you when there is something
to do. With `--mail-to` the digest is mailed (text + HTML) instead of printed.
"""

from __future__ import annotations

from pathlib import Path

import click

from plaintextcrm.cli import MAX_DAYS, App, common_options, epilog, pass_app


@click.command(
    epilog=epilog(
        "crm digest", "crm digest --format html -o ~/digest.html",
        "crm digest --quiet-if-empty --mail-to me@example.org",
    )
)  # fmt: skip
@click.option(
    "--format", "fmt", type=click.Choice(["md", "html", "txt"]), default="md", show_default=True,
    help="Markdown, HTML (self-contained, for a browser or a mail) or plain text.",
)  # fmt: skip
@click.option(
    "--days", type=click.IntRange(0, MAX_DAYS), default=None,
    help="The window in days (default: [digest] days in crm.toml, else 14).",
)  # fmt: skip
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
@click.option(
    "--quiet-if-empty", is_flag=True,
    help="Print and send nothing when nothing is due (for cron).",
)  # fmt: skip
@click.option(
    "--mail-to", metavar="ADDR",
    help="Mail the digest (text + HTML) to ADDR through [smtp] in crm.toml.",
)  # fmt: skip
@common_options
@pass_app
def digest(
    app: App,
    fmt: str,
    days: int | None,
    output: str | None,
    quiet_if_empty: bool,
    mail_to: str | None,
) -> None:
    """Follow-ups, birthdays, who to reconnect with, give-first ideas, recent activity."""
    if days is None:
        days = app.config.digest_days
    if mail_to:
        from plaintextcrm.mail import check_address

        mail_to = check_address(mail_to)
        _mail_digest(app, fmt, days, output, quiet_if_empty, mail_to)
        return
    is_empty, health, rendered = _rendered(app, fmt, days)
    if quiet_if_empty and is_empty:
        # Still keep a file output true to the vault: a stale digest would say things are
        # due that are not. Stdout stays silent, which is what cron listens to.
        if output:
            _write_file(Path(output), rendered)
        return
    app.warn(health)
    if output:
        _write_file(Path(output), rendered)
    else:
        click.echo(rendered, nl=not rendered.endswith("\n"))


def _rendered(app: App, fmt: str, days: int) -> tuple[bool, tuple[int, int, int], str]:
    """(nothing due?, the index's health, the digest as text), reused from `.crm/`
    while the vault, the day, the templates and the renderer are unchanged."""
    from plaintextcrm.outcache import files_stamp, memo_for
    from plaintextcrm.templating import builtin_templates_dir, vault_template_dirs

    templates = vault_template_dirs(app.root, app.config.templates_dir)

    def compute() -> tuple[bool, tuple[int, int, int], str]:
        from plaintextcrm.render.digest import build_digest, render_digest

        index = app.index(quiet=True)
        result = build_digest(index, app.today, days, app.config)
        return result.is_empty, index.health(), render_digest(result, fmt, templates)

    key = ("digest", fmt, days, files_stamp([*templates, builtin_templates_dir()]))
    return memo_for(app.session()).get_or_compute("digest", key, compute)


def _mail_digest(
    app: App, fmt: str, days: int, output: str | None, quiet_if_empty: bool, mail_to: str
) -> None:
    """Mail the digest (text + HTML), and write `output` too when asked; never cached."""
    from plaintextcrm.mail import send_mail
    from plaintextcrm.render.digest import build_digest, render_digest
    from plaintextcrm.templating import vault_template_dirs

    index = app.index(quiet=True)
    result = build_digest(index, app.today, days, app.config)
    templates = vault_template_dirs(app.root, app.config.templates_dir)
    rendered = render_digest(result, fmt, templates)
    if quiet_if_empty and result.is_empty:
        if output:
            _write_file(Path(output), rendered)
        return
    app.warn(index.health())
    text = rendered if fmt == "txt" else render_digest(result, "txt", templates)
    html = rendered if fmt == "html" else render_digest(result, "html", templates)
    send_mail(app.config.smtp, mail_to, result.subject(), text, html)
    if output:
        _write_file(Path(output), rendered)


def _write_file(path: Path, text: str) -> None:
    """Replace `path` atomically (and only when it changed), so a browser or a feed
    server never reads half a digest."""
    from plaintextcrm.writefile import write_if_changed

    write_if_changed(path, text.encode("utf-8"))
