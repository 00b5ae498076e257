"""`crm import vcard|linkedin|google` and `crm export vcard|csv|json`.

Parsing, planning and rendering live in `plaintextcrm.importers` and
`plaintextcrm.render.export`; this module reads options, prints the plan and the summary,
and hands the writing to `importers.merge.apply_plan`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from plaintextcrm.cli import App, common_options, epilog, pass_app, say
from plaintextcrm.errors import CrmError, UsageError

#: Imports with more writes than this show a progress bar on stderr.
PROGRESS_FROM = 20

dry_run_option = click.option(
    "--dry-run", "-n", is_flag=True, help="Print what would change; write nothing."
)
json_plan_option = click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
on_conflict_option = click.option(
    "--on-conflict",
    type=click.Choice(["create", "skip"]),
    default="create",
    show_default=True,
    help="A person sharing an email or phone with a contact of another name: "
    "create a separate note, or skip them.",
)
region_option = click.option(
    "--region",
    metavar="CC",
    help="Country for phone numbers without +country (default: crm.toml [import] default_region).",
)


@click.group("import")
def import_group() -> None:
    """Create or merge contacts from a phone, Google or LinkedIn export.

    Existing contacts are matched by email, then phone (when the names agree: a shared
    landline with another name makes a separate note), then exact name; a merge only
    adds what the note lacks and never overwrites what you wrote. Importing the same file
    twice changes nothing the second time.
    """


def _files(files: tuple[str, ...]) -> list[Path]:
    paths = []
    for name in files:
        path = Path(name)
        if not path.is_file():
            what = "not a file" if path.exists() else "no such file"
            raise UsageError(f"{name}: {what}")
        paths.append(path)
    return paths


@import_group.command(
    "vcard", epilog=epilog("crm import vcard contacts.vcf --dry-run", "crm import vcard *.vcf")
)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@dry_run_option
@json_plan_option
@region_option
@on_conflict_option
@common_options
@pass_app
def import_vcard(
    app: App,
    files: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
    region: str | None,
    on_conflict: str,
) -> None:
    """Contacts from .vcf files (vCard 2.1, 3.0, 4.0; one or many cards per file)."""
    from plaintextcrm.importers.record import ImportResult
    from plaintextcrm.importers.vcard import read_vcards

    result = ImportResult()
    for path in _files(files):
        result = result + read_vcards(path, path.name)
    _run(app, result, dry_run, as_json, region, on_conflict)


@import_group.command("linkedin", epilog=epilog("crm import linkedin Connections.csv --dry-run"))
@click.argument("file", type=click.Path(dir_okay=False))
@dry_run_option
@json_plan_option
@region_option
@on_conflict_option
@common_options
@pass_app
def import_linkedin(
    app: App, file: str, dry_run: bool, as_json: bool, region: str | None, on_conflict: str
) -> None:
    """Connections from LinkedIn's Connections.csv; `Connected On` becomes `met`."""
    from plaintextcrm.importers.linkedin import read_linkedin

    (path,) = _files((file,))
    _run(app, read_linkedin(path, path.name), dry_run, as_json, region, on_conflict)


@import_group.command("google", epilog=epilog("crm import google contacts.csv"))
@click.argument("file", type=click.Path(dir_okay=False))
@dry_run_option
@json_plan_option
@region_option
@on_conflict_option
@common_options
@pass_app
def import_google(
    app: App, file: str, dry_run: bool, as_json: bool, region: str | None, on_conflict: str
) -> None:
    """Contacts from a Google Contacts export (Google CSV format)."""
    from plaintextcrm.importers.google import read_google

    (path,) = _files((file,))
    _run(app, read_google(path, path.name), dry_run, as_json, region, on_conflict)


def _run(
    app: App, result, dry_run: bool, as_json: bool, region: str | None, on_conflict: str = "create"
) -> None:

    from plaintextcrm.importers.merge import apply_plan, plan_import
    from plaintextcrm.importers.paths import new_note_filename, taken_paths
    from plaintextcrm.importers.record import bounded

    result = bounded(result)  # caps per card, so nothing written is too big to read back
    config = app.config
    region = (region or config.default_region or "").upper() or None
    folder = config.contact_folders[0] if config.contact_folders else ""
    index = app.index()
    plan = plan_import(
        index,
        result.records,
        region,
        folder=folder,
        taken=taken_paths(app.root, folder),
        filename=new_note_filename(),
        skipped=result.skipped,
        notices=result.notices,
        created=app.today.isoformat(),
        on_conflict=on_conflict,
    )
    for notice in plan.notices:
        say(f"crm: note: {notice}", err=True)
    if as_json:
        from plaintextcrm.importers.report import plan_json
        from plaintextcrm.render.jsonout import dumps

        click.echo(dumps(plan_json(plan, dry_run)))
    else:
        from plaintextcrm.importers.report import plan_lines

        for line in plan_lines(plan, verbose=dry_run, dry_run=dry_run):
            say(line)
    if dry_run:
        if not as_json:
            say(f"{plan.summary()} (dry run: nothing written)")
        return
    failures = _apply(app, plan, apply_plan)
    if not as_json:
        summary = plan.summary()
        if failures:
            summary += f", {len(failures)} failed"
        say(summary)
    for path, reason in failures:
        say(f"crm: error: {path}: {reason}", err=True)
    if failures:
        sys.exit(1)


def _apply(app: App, plan, apply_plan) -> list[tuple[str, str]]:
    from plaintextcrm.templating import vault_template_dirs

    template_dirs = vault_template_dirs(app.root, app.config.templates_dir)
    if plan.writes < PROGRESS_FROM:
        return apply_plan(app.root, plan, template_dirs=template_dirs)
    with click.progressbar(length=plan.writes, label="importing", file=sys.stderr) as bar:
        return apply_plan(app.root, plan, template_dirs=template_dirs, progress=bar.update)


# --- export ----------------------------------------------------------------------------

output_option = click.option(
    "-o", "--output", metavar="FILE", help="Write to FILE instead of standard output."
)


@click.group("export")
def export_group() -> None:
    """Every contact as vCard (for phones), CSV (for spreadsheets) or JSON (for scripts)."""


def _emit(app: App, text: str, output: str | None) -> None:
    if output is None or output == "-":
        # Bytes, so CRLF line ends (vCard, CSV) reach the file unchanged on every platform.
        click.echo(text.encode("utf-8"), nl=False)
        return
    try:
        _replace_file(Path(output), text.encode("utf-8"))
    except OSError as exc:
        raise CrmError(f"cannot write {output}: {exc.strerror}") from None
    say(f"wrote {output}", err=True)


def _replace_file(path: Path, data: bytes) -> None:
    """An export file (not a note, often outside the vault): complete or untouched."""
    import os
    import tempfile

    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


@export_group.command(
    "vcard", epilog=epilog("crm export vcard -o contacts.vcf", "crm export vcard --version 4.0")
)
@output_option
@click.option(
    "--version", "vcard_version", type=click.Choice(["3.0", "4.0"]), default="3.0",
    show_default=True, help="vCard version (3.0 suits most phones).",
)  # fmt: skip
@common_options
@pass_app
def export_vcard(app: App, output: str | None, vcard_version: str) -> None:
    """One vCard per contact; year-less birthdays the way phones read them."""
    from plaintextcrm.render.export import vcards

    _emit(app, vcards(app.index(), vcard_version), output)


@export_group.command("csv", epilog=epilog("crm export csv -o contacts.csv"))
@output_option
@click.option(
    "--raw", is_flag=True,
    help="Every value as written, without the formula guard: for scripts and"
    " address-book imports, not for opening in a spreadsheet.",
)  # fmt: skip
@common_options
@pass_app
def export_csv(app: App, output: str | None, raw: bool) -> None:
    """One row per contact; cells that a spreadsheet would run as formulas are quoted."""
    from plaintextcrm.render.export import contacts_csv

    _emit(app, contacts_csv(app.index(), app.today, raw=raw), output)


@export_group.command("json", epilog=epilog("crm export json | jq '.[].name'"))
@output_option
@common_options
@pass_app
def export_json(app: App, output: str | None) -> None:
    """`crm list --json` for every contact, plus dates, tasks and interactions."""
    from plaintextcrm.render.export import contacts_json

    _emit(app, contacts_json(app.index(), app.today), output)
