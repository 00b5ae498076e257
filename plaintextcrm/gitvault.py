"""A vault kept in git: the merge driver's steps, `crm git-setup`, and what `crm check` says.

Every call to git is here. git runs the driver (`crm merge-driver %O %A %B %P`) with the
three versions of a note in temporary files; the driver runs git's own three-way merge
first (`git merge-file`, which follows the clone's `merge.conflictStyle`) and writes its
result, so that whatever happens next the file holds at least what git would have left.
Only when git stopped on conflicts does `gitmerge` look at them, in a second, diff3 run of
the same merge; what it resolves replaces git's conflicts, what it does not stays a
conflict rendered by git itself (docs/git.md).

`git-setup` writes the two halves git needs: the `*.md merge=crm` attribute in the vault's
`.gitattributes`, which is committed and so reaches every clone, and the `merge.crm.driver`
command in this clone's own config, which git never shares. A clone that has the first
without the second merges notes with git's line merge, silently: `crm check` says so.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from plaintextcrm.errors import CrmError
from plaintextcrm.model import Problem

#: The merge driver's name in `.gitattributes` and in git's config.
DRIVER = "crm"
ATTRIBUTE_LINE = f"*.md merge={DRIVER}"
DRIVER_KEY = f"merge.{DRIVER}.driver"
NAME_KEY = f"merge.{DRIVER}.name"
DRIVER_NAME = "plaintextcrm: keeps both sides' log lines, ticked tasks and tags"
#: Conflict labels: git does not tell a driver its own (before git 2.44).
LABELS = ("ours", "base", "theirs")
#: A note path for asking git which merge driver notes get.
_PROBE = "note.md"


@dataclass(frozen=True)
class Merged:
    """What the driver leaves in %A: the merge, whether it is clean, and what it did."""

    data: bytes
    clean: bool
    resolved: int = 0
    left: int = 0


class GitError(CrmError):
    """git is missing, or refused what we asked of it."""


def _git(args: Sequence[str], cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None


def _stderr(proc: subprocess.CompletedProcess[bytes]) -> str:
    return " ".join(proc.stderr.decode("utf-8", "replace").split()) or f"exit {proc.returncode}"


# --- the merge driver ---------------------------------------------------------------------


def merge_file(
    base: bytes, ours: bytes, theirs: bytes, *, marker_size: int, diff3: bool = False
) -> tuple[bytes, int]:
    """`git merge-file` of three versions: (the merge, how many conflicts it left).

    Without `diff3` the conflict style is the clone's own (`merge.conflictStyle`), as in
    any merge git does; git reads it from the repository the driver runs in.
    """
    with tempfile.TemporaryDirectory(prefix="crm-merge-") as folder:
        paths = [Path(folder) / name for name in LABELS]
        for path, data in zip(paths, (ours, base, theirs), strict=True):
            path.write_bytes(data)
        args = ["merge-file", "--stdout", "--marker-size", str(marker_size)]
        for label in LABELS:
            args += ["-L", label]
        if diff3:
            args.append("--diff3")
        proc = _git([*args, *map(str, paths)])
    if not 0 <= proc.returncode <= 127:  # git says a negative count: an error
        raise GitError(f"git merge-file failed: {_stderr(proc)}")
    return proc.stdout, proc.returncode


def git_merge(base: bytes, ours: bytes, theirs: bytes, marker_size: int) -> Merged:
    """git's own merge, as git would leave it without the driver."""
    data, conflicts = merge_file(base, ours, theirs, marker_size=marker_size)
    return Merged(data, conflicts == 0, left=conflicts)


def resolve_conflicts(
    base: bytes, ours: bytes, theirs: bytes, marker_size: int, merged: Merged
) -> Merged:
    """`merged` (git's merge, with conflicts) with the conflicts `gitmerge` proves safe
    resolved; the others rendered by git in the clone's conflict style."""
    from plaintextcrm.gitmerge import Hunk, resolve
    from plaintextcrm.gitmerge import marker_size as safe_size

    size = safe_size(base, ours, theirs)
    diff3, _ = merge_file(base, ours, theirs, marker_size=size, diff3=True)
    resolution = resolve(base, ours, theirs, diff3, size)
    if resolution is None:
        return merged
    parts = []
    left = 0
    for piece in resolution.pieces:
        if isinstance(piece, Hunk):
            data, conflicts = merge_file(
                "".join(piece.base).encode(),
                "".join(piece.ours).encode(),
                "".join(piece.theirs).encode(),
                marker_size=marker_size,
            )
            parts.append(data)
            left += conflicts
        else:
            parts.append(piece.encode())
    return Merged(b"".join(parts), left == 0, resolution.resolved, left)


# --- git-setup ---------------------------------------------------------------------------


def driver_command(python: str) -> str:
    """The driver as git runs it, through sh: this interpreter by its absolute path (a
    cron job or a GUI git client has another PATH, or no `crm` on it), quoted for sh; git
    quotes %P itself, and %O %A %B are names of its own temporary files.

    When that interpreter, started as git starts it (without $PYTHONPATH), would import
    another plaintextcrm than the one running now (an older install next to a checkout),
    or none, the command names this one's folder in $PYTHONPATH: git must run the driver
    of the crm that set it up, or it fails and leaves only your side of the note.
    """
    command = f"{shlex.quote(python)} -m plaintextcrm merge-driver --marker-size %L %O %A %B %P"
    home = Path(__file__).resolve().parents[1]
    if _package_home(python) != home:
        command = f"PYTHONPATH={shlex.quote(str(home))} {command}"
    return command


def _package_home(python: str) -> Path | None:
    """The folder holding the plaintextcrm that `python` imports when git runs it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = "import os, plaintextcrm; print(os.path.realpath(plaintextcrm.__file__))"
    try:
        proc = subprocess.run(
            [python, "-P", "-c", probe], env=env, capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return Path(proc.stdout.strip()).parents[1] if proc.returncode == 0 else None


def setup(root: Path, python: str) -> list[str]:
    """Register the driver for the vault's notes; idempotent. Returns what it did."""
    from plaintextcrm.edit import Lines
    from plaintextcrm.writefile import create_note, write_note

    top = _git(["rev-parse", "--show-toplevel"], cwd=root)
    if top.returncode != 0:
        raise GitError(
            f"{root} is not in a git repository; run `git init` there (or clone your vault)"
            " first, then `crm git-setup`"
        )
    said = []
    attributes = root / ".gitattributes"
    if attribute(root) == DRIVER:
        said.append(f"Notes already merge with `merge={DRIVER}` (.gitattributes).")
    else:

        def add_line(data: bytes) -> bytes:
            lines = Lines.from_bytes(data)
            lines.insert(len(lines.text), [ATTRIBUTE_LINE])
            return lines.to_bytes()

        if attributes.exists():
            write_note(attributes, add_line, vault=root)
        else:
            create_note(root, ".gitattributes", add_line(b""))
        said.append(f"Added `{ATTRIBUTE_LINE}` to .gitattributes.")
        if attribute(root) != DRIVER:
            said.append(
                "Warning: another .gitattributes still gives notes another merge driver;"
                f" `git check-attr merge -- {_PROBE}` shows which."
            )
    status = _git(["status", "--porcelain", "--", ".gitattributes"], cwd=root)
    if status.returncode == 0 and status.stdout.strip():
        said.append(
            "Commit .gitattributes, so that every clone merges notes this way:"
            ' git add .gitattributes && git commit -m "Merge notes with crm"'
        )
    command = driver_command(python)
    current = config_value(root, DRIVER_KEY)
    if current == command:
        said.append(f"This clone already runs the driver: {DRIVER_KEY} = {command}")
    else:
        _set_config(root, NAME_KEY, DRIVER_NAME)
        _set_config(root, DRIVER_KEY, command)
        was = f" (was: {current})" if current else ""
        said.append(f"Set {DRIVER_KEY} in this clone's .git/config{was}: {command}")
        said.append("Run `crm git-setup` once in every other clone too: git never shares it.")
    return said


def attribute(root: Path) -> str | None:
    """The merge driver git gives notes in the vault (`crm`, `union`...), or None."""
    proc = _git(["check-attr", "-z", "merge", "--", _PROBE], cwd=root)
    if proc.returncode != 0:
        return None
    fields = proc.stdout.decode("utf-8", "replace").split("\0")
    value = fields[2] if len(fields) > 2 else ""
    return None if value in ("unspecified", "unset", "") else value


def config_value(root: Path, key: str) -> str | None:
    """A key of the clone's git config (any scope), or None when it is not set."""
    proc = _git(["config", "--get", key], cwd=root)
    return proc.stdout.decode("utf-8", "replace").rstrip("\n") if proc.returncode == 0 else None


def _set_config(root: Path, key: str, value: str) -> None:
    proc = _git(["config", "--local", key, value], cwd=root)
    if proc.returncode != 0:
        raise GitError(f"git config {key} failed: {_stderr(proc)}")


# --- crm check ---------------------------------------------------------------------------


def driver_problems(root: Path) -> tuple[Problem, ...]:
    """`crm check`'s warning for a clone that lacks the driver its notes ask for: git then
    falls back to its line merge without a word, and stops on every pair of log lines
    written on two machines. Nothing (and no git process) outside a git repository."""
    if not any((folder / ".git").exists() for folder in (root, *root.parents)):
        return ()
    try:
        if attribute(root) != DRIVER:
            return ()
        command = config_value(root, DRIVER_KEY)
    except GitError:
        return ()
    if command is None:
        return (
            Problem(
                ".gitattributes",
                None,
                "warning",
                f"notes ask for `merge={DRIVER}` but this clone has no {DRIVER_KEY}: git merges"
                " them line by line and stops on log lines written on two machines;"
                " run `crm git-setup`",
            ),
        )
    program = _program(command)
    if program is not None and os.path.isabs(program) and not os.path.exists(program):
        return (
            Problem(
                ".gitattributes",
                None,
                "warning",
                f"{DRIVER_KEY} runs {program}, which no longer exists; run `crm git-setup`",
            ),
        )
    return ()


def _program(command: str) -> str | None:
    """The program a driver command runs, after any `NAME=value` assignments."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    return next((word for word in words if "=" not in word.split("/")[0]), None)
