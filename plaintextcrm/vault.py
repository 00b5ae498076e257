"""Finding the vault and listing its notes.

Like vdirsyncer's filesystem storage, the listing is cheap metadata only — (path, size,
mtime_ns) — so a cache can decide what to read again without opening a file. Walking is
iterative (a folder nested 200 deep is fine) and follows a symlink only when it stays
inside the vault and does not loop.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import time
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from plaintextcrm.errors import CrmError
from plaintextcrm.model import Problem

STATE_DIR = ".crm"


class NoteFile(NamedTuple):
    """One `*.md` file: where it is and the cheap facts that tell whether it changed.
    A named tuple: the walk makes one per note, and a frozen dataclass's `__init__`
    costs a tenth of a 50k-note walk."""

    rel: str
    abspath: str  # a str: building 10k Path objects costs more than the stat calls
    size: int
    mtime_ns: int

    @property
    def path(self) -> Path:
        return Path(self.abspath)


def find_vault(option: str | None, env: Mapping[str, str], cwd: Path) -> Path:
    """`--vault` > `CRM_VAULT` > nearest folder with `crm.toml` or `.obsidian/`."""
    given = option or env.get("CRM_VAULT")
    if given:
        root = Path(given).expanduser()
        if not root.exists():
            raise CrmError(f"vault not found: {root} does not exist")
        if not root.is_dir():
            raise CrmError(f"vault must be a folder: {root} is a file")
        root = root.resolve()
        if root == Path(root.anchor):
            raise CrmError(f"refusing to use {root} as a vault: pass the folder of your notes")
        return root
    here = cwd.resolve()
    for folder in (here, *here.parents):
        if folder == Path(folder.anchor):
            break
        if (folder / "crm.toml").is_file() or (folder / ".obsidian").is_dir():
            return folder
    raise CrmError(
        "no vault found: pass --vault PATH, set CRM_VAULT, or run `crm init` in your notes folder"
    )


def is_marked(root: Path) -> bool:
    """Whether `root` says it is a vault: `crm.toml`, Obsidian's `.obsidian/`, or the
    `.crm/` crm made there before. A folder without any of these is a vault only if it
    holds a contact (the CLI checks, without writing anything there)."""
    return (
        (root / "crm.toml").is_file()
        or (root / ".obsidian").is_dir()
        or (root / STATE_DIR).is_dir()
    )


def ensure_state_dir(root: Path) -> Path:
    """`<vault>/.crm/` with a `.gitignore` of `*`, so git never sees the tool's state.

    `.crm` must be a real folder: a symlink (a cloned repository or a synced folder can
    carry one) would make every cache, lock and token write land wherever it points, so
    it is refused with an OSError (callers then run without a cache, or say so), and
    `state_dir_problem` reports it in `crm check`. `.gitignore` is created, never written
    through an existing name (a symlink there is left alone).
    """
    state = root / STATE_DIR
    with contextlib.suppress(FileExistsError):
        state.mkdir()
    why = _state_dir_refusal(state)
    if why:
        raise OSError(errno.ENOTDIR, why, str(state))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(state / ".gitignore", flags, 0o644)
    except FileExistsError:
        return state
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("*\n")
    return state


def _state_dir_refusal(state: Path) -> str | None:
    """Why `state` cannot hold the tool's state, or None when it is a real folder."""
    try:
        st = os.lstat(state)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return (
            f"`{STATE_DIR}` is a symbolic link; crm keeps its cache, lock and feed token only"
            " in a real folder inside the vault (remove the link: crm makes the folder)"
        )
    if not stat.S_ISDIR(st.st_mode):
        return f"`{STATE_DIR}` is not a folder; crm keeps its state in `{STATE_DIR}/`"
    return None


def state_dir_problem(root: Path) -> Problem | None:
    """A `crm check` warning when `<vault>/.crm` is a symlink or a file, so a vault that
    runs without a cache (and cannot serve a feed) says why."""
    why = _state_dir_refusal(root / STATE_DIR)
    return Problem(STATE_DIR, None, "warning", why + "; running without a cache") if why else None


@lru_cache(maxsize=64)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A gitignore-like glob: `**` spans folders, `*` and `?` stay within one name."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def is_ignored(rel: str, patterns: tuple[str, ...], is_dir: bool = False) -> bool:
    """Whether `rel` (a `/`-separated vault path) matches an `ignore` pattern."""
    for pattern in patterns:
        regex = _glob_regex(pattern.strip("/"))
        if regex.match(rel):
            return True
        # A folder is pruned when everything below it would be ignored (`templates/**`).
        if is_dir and regex.match(rel + "/x") and pattern.endswith("**"):
            return True
    return False


#: Folder names that hold note templates in every convention we know (any case).
TEMPLATE_FOLDER_NAMES = frozenset({"templates", "_templates"})


def is_template_folder(rel: str, template_folders: tuple[str, ...] = ()) -> bool:
    """Whether the folder `rel` holds templates, which are never notes: a folder named
    `templates`/`_templates` at any depth, or one the vault's Obsidian settings name."""
    name = rel.rsplit("/", 1)[-1]
    if name.casefold() in TEMPLATE_FOLDER_NAMES:
        return True
    folded = rel.casefold()
    return any(folded == t.casefold() for t in template_folders)


def in_template_folder(rel: str, template_folders: tuple[str, ...] = ()) -> bool:
    """Whether the file `rel` lies below a template folder (see `is_template_folder`)."""
    parts = rel.split("/")[:-1]
    return any(
        is_template_folder("/".join(parts[: i + 1]), template_folders) for i in range(len(parts))
    )


#: The temporary files of crm's writer (`writefile.temp_name`): `.<note>.crm-<8 hex>.tmp`.
CRM_TEMP = re.compile(r"\..+\.crm-[0-9a-f]{8}\.tmp\Z", re.DOTALL)
#: A writer's temporary file lives for a moment (the write, the swap); one this old was
#: left by a run that was killed, and any crm command that sees it removes it. The age is
#: the inode's change time, which every rename and exchange refreshes.
STALE_TEMP_SECONDS = 600


def remove_if_stale_temp(entry: os.DirEntry[str]) -> bool:
    """Remove `entry` if it is a crm writer's temporary file older than
    STALE_TEMP_SECONDS; True when removed. Never raises."""
    if not CRM_TEMP.match(entry.name):
        return False
    try:
        st = entry.stat(follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode) or time.time() - st.st_ctime < STALE_TEMP_SECONDS:
            return False
        os.unlink(entry.path)
    except OSError:
        return False
    return True


def is_editor_temp(name: str) -> bool:
    """Editors' and sync tools' temporary files, which must never be read as notes."""
    return name.startswith((".", "#", "~")) or name.endswith(("~", ".tmp", ".swp", ".icloud"))


def list_notes(
    root: Path, ignore: tuple[str, ...], template_folders: tuple[str, ...] = ()
) -> tuple[list[NoteFile], list[Problem]]:
    """Every note below `root`, sorted by path, and a warning for each link we skip.
    Template folders (`is_template_folder`) are not entered."""
    notes: list[NoteFile] = []
    problems: list[Problem] = []
    real_root = root.resolve()
    root_stat = real_root.stat()
    seen_dirs = {(root_stat.st_dev, root_stat.st_ino)}
    stack: list[tuple[Path, str]] = [(real_root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # vanished or unreadable folder: sync running, nothing to report
        for entry in entries:
            name = entry.name
            if is_editor_temp(name):
                if name.endswith(".tmp"):
                    remove_if_stale_temp(entry)  # a killed writer's, where .crm/ could not hold it
                continue
            rel = prefix + name
            try:
                is_link = entry.is_symlink()
                if not (is_link or name.lower().endswith(".md") or entry.is_dir()):
                    continue  # an attachment: no stat needed (the entry's type says so)
                st = entry.stat(follow_symlinks=True)
            except OSError:
                if entry.is_symlink():
                    problems.append(
                        Problem(rel, None, "warning", "broken or looping symlink; skipped")
                    )
                continue
            if is_link:
                target = Path(os.path.realpath(entry.path))
                if not target.is_relative_to(real_root):
                    problems.append(
                        Problem(rel, None, "warning", "symlink leaves the vault; skipped")
                    )
                    continue
            if stat.S_ISDIR(st.st_mode):
                if is_ignored(rel, ignore, is_dir=True) or is_template_folder(
                    rel, template_folders
                ):
                    continue
                key = (st.st_dev, st.st_ino)
                if key in seen_dirs:
                    problems.append(Problem(rel, None, "warning", "symlink loop; skipped"))
                    continue
                seen_dirs.add(key)
                stack.append((Path(entry.path), rel + "/"))
            elif stat.S_ISREG(st.st_mode) and name.lower().endswith(".md"):
                if is_ignored(rel, ignore):
                    continue
                notes.append(NoteFile(rel, entry.path, st.st_size, st.st_mtime_ns))
    notes.sort(key=lambda n: n.rel)
    return notes, problems
