"""`crm git-setup` and `crm merge-driver`: one vault on several machines, synced with git.

The logic is in `gitvault` (running git) and `gitmerge` (what is safe to merge); these
commands parse their arguments, call it and report (docs/git.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from plaintextcrm.cli import App, common_options, epilog, pass_app, say

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("git-setup", epilog=epilog("cd ~/notes && crm git-setup"))
@common_options
@pass_app
def git_setup(app: App) -> None:
    """Let git merge notes edited on two machines (run once in every clone).

    Adds `*.md merge=crm` to the vault's .gitattributes (commit it) and the merge driver
    to this clone's .git/config; prints what it did, and nothing changes the second time."""
    from plaintextcrm.gitvault import setup

    for line in setup(app.root, sys.executable):
        say(line)


@click.command(
    "merge-driver",
    epilog=epilog('crm merge-driver .merge_file_O .merge_file_A .merge_file_B "People/Anna.md"'),
)
@click.option(
    "--marker-size", type=click.IntRange(1, 1000), default=7, show_default=True,
    help="Length of conflict markers (git's %L).",
)  # fmt: skip
@click.argument("base", type=_FILE)
@click.argument("ours", type=_FILE)
@click.argument("theirs", type=_FILE)
@click.argument("path", required=False, default="")
def merge_driver(base: Path, ours: Path, theirs: Path, path: str, marker_size: int) -> None:
    """The merge driver git runs for notes: %O %A %B %P (see `crm git-setup`).

    Writes git's own merge into OURS (%A), then resolves the conflicts that are none (log
    lines and tasks added on both sides, a task ticked on one side, tags added on both
    sides, a field changed on one side). Exit 0 when the note merged cleanly, 1 when
    conflicts are left for you, marked as git marks them."""
    from plaintextcrm.gitvault import git_merge, resolve_conflicts

    versions = base.read_bytes(), ours.read_bytes(), theirs.read_bytes()
    merged = git_merge(*versions, marker_size)
    ours.write_bytes(merged.data)  # from here on, the note holds at least git's merge
    if not merged.clean:
        merged = resolve_conflicts(*versions, marker_size, merged)
        ours.write_bytes(merged.data)
    if merged.resolved:
        from plaintextcrm.words import plural

        left = f"; {plural(merged.left, 'conflict')} left for you" if merged.left else ""
        hunks = plural(merged.resolved, "conflicting hunk")
        say(f"crm: {path or ours.name}: resolved {hunks}{left}", err=True)
    if not merged.clean:
        sys.exit(1)
