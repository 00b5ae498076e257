"""`crm sync [--dry-run] [--import-new]`: the notes and the vdirs of `[sync]` in step.

The work is in `plaintextcrm.sync` (docs/sync.md); this module runs `[sync] command`
before and after, holds the sync lock, and prints: the lines each note edit changed (as
`crm done` prints them), one line for each change of the other side that was not applied,
and per vdir how many files were written and deleted.
"""

from __future__ import annotations

import sys

import click

from plaintextcrm.cli import App, common_options, epilog, pass_app, say
from plaintextcrm.errors import CrmError


@click.command("sync", epilog=epilog("crm sync", "crm sync --dry-run", "crm sync --import-new"))
@click.option(
    "--dry-run", "-n", is_flag=True,
    help="Print what would change in the notes and the vdirs; write nothing, run nothing.",
)  # fmt: skip
@click.option(
    "--import-new", is_flag=True,
    help="Import items made on the other side (tasks titled `Name: what`, cards).",
)  # fmt: skip
@common_options
@pass_app
def sync(app: App, dry_run: bool, import_new: bool) -> None:
    """Pull changes made on the phone's side, apply them to the notes, push the notes."""
    from plaintextcrm.importers.paths import new_note_filename, taken_paths
    from plaintextcrm.recurrence import read_tasks_settings, vault_task_style
    from plaintextcrm.sync.cycle import (
        Options,
        command_argv,
        configured_vdirs,
        make_folders,
        run_command,
        sync_lock,
    )
    from plaintextcrm.sync.cycle import sync as run_sync
    from plaintextcrm.vault import ensure_state_dir

    root, config = app.root, app.config
    vdirs = configured_vdirs(root, config)  # a config error stops before anything runs
    command = command_argv(config.sync.command)
    if dry_run:
        command = []  # a dry run runs nothing
    try:
        state_dir = ensure_state_dir(root)
    except OSError as exc:
        raise CrmError(
            f"crm sync keeps its state in .crm/, which cannot be used: {exc.strerror}"
        ) from None
    style = vault_task_style(root)
    options = Options(
        dry_run=dry_run,
        import_new=import_new,
        stamp=True if style == "tasks" else None,
        tasks=read_tasks_settings(root),
        style="tasks" if style == "tasks" else "plain",
        filename=new_note_filename(),
        taken=lambda folder: taken_paths(root, folder),
    )
    with sync_lock(state_dir):
        if not dry_run:
            make_folders(vdirs)
        if command:
            run_command(command, root)
        outcome = run_sync(root, config, app.today, options, state_dir)
        app.warn(outcome.health)
        _print(outcome, dry_run)
        if command:
            run_command(command, root)  # also after a note that could not be written
    if outcome.failures:
        sys.exit(1)


def _print(outcome, dry_run: bool) -> None:
    from plaintextcrm.edit import changed_lines

    for planned in outcome.planned:
        say(f"would change {planned}")
    for path, old, new in outcome.notes:
        for line in changed_lines(path, old, new):
            say(line)
    if outcome.imported is not None:
        from plaintextcrm.importers.report import plan_lines

        for line in plan_lines(outcome.imported, verbose=dry_run, dry_run=dry_run):
            say(line)
    for report in outcome.reports:
        say(report)
    for failure in outcome.failures:
        say(f"crm: error: {failure}", err=True)
    parts = []
    for kind, written, deleted in outcome.pushed:
        if dry_run:
            done = [f"would write {written}" if written else "",
                    f"would delete {deleted}" if deleted else ""]  # fmt: skip
        else:
            done = [
                f"{written} written" if written else "",
                f"{deleted} deleted" if deleted else "",
            ]
        parts.append(f"{kind}: {', '.join(d for d in done if d) or 'in step'}")
    summary = "; ".join(parts)
    say(f"{summary} (dry run: nothing written)" if dry_run else summary)
