"""The one way plaintextcrm writes a file: atomic, conflict-checked, never outside the vault.

`write_note` follows the etag pattern of vdirsyncer and khal: remember what the note was
when it was read (its bytes and its stat), write the edited version to a temporary file in
the same folder, fsync it, and rename it over the note only if the note is still what was
read. If an editor or a sync tool changed the note meanwhile, the edit is re-applied to
the new bytes once; if the note keeps changing, we stop (exit 1) and leave the other
writer's version in place. Our own concurrent runs are serialised by a lock in `.crm/`.

Temporary files are dot-files (`.<note>.md.crm-<random>.tmp`), which the vault scanner
already skips, and a later write to the same note removes any left by a killed run.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from plaintextcrm.errors import ConflictError, CrmError, UsageError, WriteError

#: Windows device names, refused as file names on every platform (notes travel by sync).
RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"com{i}" for i in "123456789¹²³"}
    | {f"lpt{i}" for i in "123456789¹²³"}
)
#: Bytes left for a file name before `.md` (most file systems allow 255).
MAX_NAME_BYTES = 200
_UNSAFE_CHARS = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')
_TEMP_SUFFIX = ".tmp"


@dataclass(frozen=True)
class WriteResult:
    """What a write did: the note's path, whether it changed, and how many attempts."""

    path: Path
    changed: bool
    attempts: int


def temp_name(note_name: str) -> str:
    """A temporary file name for `note_name`: a dot-file, so no scanner reads it as a note."""
    return f".{note_name}.crm-{secrets.token_hex(4)}{_TEMP_SUFFIX}"


def _is_our_temp(name: str, note_name: str) -> bool:
    prefix = f".{note_name}.crm-"
    return name.startswith(prefix) and name.endswith(_TEMP_SUFFIX)


def inside_vault(vault: Path, path: Path) -> Path:
    """`path` resolved (symlinks followed), or an error if that leaves `vault`."""
    root = vault.resolve()
    target = (root / path).resolve() if not path.is_absolute() else path.resolve()
    if target == root or not target.is_relative_to(root):
        raise UsageError(f"refusing to write outside the vault: {path}")
    return target


def safe_filename(name: str) -> str:
    """A file name (without `.md`) for a contact called `name`, safe on every platform.

    Path separators, `:*?"<>|` and control characters become spaces or dashes, leading
    dots, `#` and `~` and trailing dots and spaces go, Windows device names (`CON`, `lpt1`)
    get a `_`, and the result is cut to MAX_NAME_BYTES of UTF-8 without splitting a character.
    Raises UsageError when nothing usable is left.
    """
    text = unicodedata.normalize("NFC", name)
    text = re.sub(r"[/\\]", "-", text)
    text = _UNSAFE_CHARS.sub(" ", text)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cs", "Zl", "Zp"))
    text = " ".join(text.split())
    # A leading `#` or `~` marks an editor's scratch file, which the index skips
    # (vault.is_editor_temp): a note named so would be invisible.
    text = text.lstrip(". -#~").rstrip(". ")
    encoded = text.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        text = encoded[:MAX_NAME_BYTES].decode("utf-8", "ignore")
        while text and unicodedata.combining(text[-1]):
            text = text[:-1]
        text = text.rstrip(". ")
    if not text:
        raise UsageError(f"cannot make a file name from {name!r}")
    head, dot, rest = text.partition(".")
    if head.strip().casefold() in RESERVED_NAMES:
        # Windows reserves `NUL.txt` and `nul.tar.gz` too: mark the part before the dot.
        text = f"{head}_{dot}{rest}"
    return text


@contextlib.contextmanager
def vault_lock(vault: Path) -> Iterator[None]:
    """Serialise plaintextcrm's own writers in one vault (two `crm log` at once)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: rely on the re-read check alone
        yield
        return
    state = vault / ".crm"
    try:
        from plaintextcrm.vault import ensure_state_dir

        ensure_state_dir(vault)
        fd = os.open(state / "write.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield  # a read-only vault: the write itself will report the real problem
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _snapshot(path: Path) -> tuple[bytes, tuple[int, int, int]]:
    """The note's bytes and the stat facts that change when anyone rewrites it."""
    with open(path, "rb") as handle:
        st = os.fstat(handle.fileno())
        data = handle.read()
    return data, (st.st_ino, st.st_size, st.st_mtime_ns)


def _describe(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "no space left on the device"
    return exc.strerror or str(exc)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable; not every platform or file system can open a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_temp(
    folder: Path, note_name: str, data: bytes, mode: int | None, owner: os.stat_result | None = None
) -> Path:
    """Write `data` to a new temporary file next to the note, flushed and fsynced, with the
    note's mode (and owner, when we may set it: a root cron job must not take over notes)."""
    temp = folder / temp_name(note_name)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if owner is not None and hasattr(os, "fchown"):
            with contextlib.suppress(OSError):
                os.fchown(fd, owner.st_uid, owner.st_gid)
        if mode is not None:
            os.fchmod(fd, mode)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    os.close(fd)
    return temp


def _clean_stale_temps(folder: Path, note_name: str) -> None:
    """Remove temporary files a killed run left for this note (we hold the vault lock)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if _is_our_temp(entry.name, note_name):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def write_note(
    path: Path,
    edit: Callable[[bytes], bytes],
    *,
    vault: Path,
    retries: int = 1,
    before_rename: Callable[[], None] | None = None,
) -> WriteResult:
    """Apply `edit` (old bytes → new bytes) to the note at `path`, atomically.

    The note is re-read just before the rename; if it changed since it was read, `edit` is
    applied again to the new bytes (up to `retries` times), else ConflictError. Errors of
    the file system (permissions, full disk) become WriteError; the note is left intact.
    `edit` may raise a CrmError to refuse; nothing is written then. `before_rename` is a
    test seam (simulate a crash or another writer between the write and the rename).
    """
    target = inside_vault(vault, path)
    shown = _shown(vault, target)
    folder, note_name = target.parent, target.name
    with vault_lock(vault.resolve()):
        for attempt in range(1, retries + 2):
            try:
                data, _ = _snapshot(target)
            except FileNotFoundError:
                raise CrmError(f"{shown} no longer exists; not edited") from None
            except OSError as exc:
                raise WriteError(f"cannot read {shown}: {_describe(exc)}") from None
            new = edit(data)
            if new == data:
                return WriteResult(target, False, attempt)
            try:
                st = target.stat()
                if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
                    target, os.W_OK
                ):
                    raise WriteError(f"cannot write {shown}: permission denied")
                _clean_stale_temps(folder, note_name)
                temp = _write_temp(folder, note_name, new, stat.S_IMODE(st.st_mode), st)
            except OSError as exc:
                raise WriteError(f"cannot write {shown}: {_describe(exc)}") from None
            try:
                if before_rename is not None:
                    before_rename()
                try:
                    # Kept open across the rename: see the check after it.
                    old = open(target, "rb")  # noqa: SIM115
                except FileNotFoundError:
                    raise ConflictError(
                        f"{shown} was deleted or renamed while editing; nothing written"
                    ) from None
                with old:
                    if old.read() != data:
                        temp.unlink()
                        continue
                    os.replace(temp, target)
                    # An editor that saves in place (truncate and write, as Obsidian and
                    # VS Code do) between our check and the rename wrote into the file we
                    # just replaced; its bytes would be lost with it. Put them back and
                    # apply the edit again on top of them.
                    old.seek(0)
                    late = old.read()
                if late != data:
                    restore = _write_temp(folder, note_name, late, stat.S_IMODE(st.st_mode), st)
                    os.replace(restore, target)
                    continue
            except OSError as exc:
                with contextlib.suppress(OSError):
                    temp.unlink()
                raise WriteError(f"cannot write {shown}: {_describe(exc)}") from None
            except BaseException:
                with contextlib.suppress(OSError):
                    temp.unlink()
                raise
            _fsync_dir(folder)
            return WriteResult(target, True, attempt)
    raise ConflictError(
        f"{shown} changed on disk while editing (another program is writing it); "
        "nothing written, run the command again"
    )


def create_note(vault: Path, relative: str | Path, data: bytes) -> Path:
    """Create a new note at `relative` (inside `vault`) with `data`; never overwrites.

    The content is written to a temporary file first and linked into place, so the note
    appears complete or not at all; `os.link` fails if the name exists, which makes the
    never-overwrite check and the creation one atomic step.
    """
    target = inside_vault(vault, Path(relative))
    shown = _shown(vault, target)
    if target.exists() or target.is_symlink():
        raise CrmError(f"{shown} already exists; not overwritten")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        inside_vault(vault, target.parent / "x")  # the folder may be a symlink leaving it
        temp = _write_temp(target.parent, target.name, data, 0o666 & ~_umask())
    except OSError as exc:
        raise WriteError(f"cannot write {shown}: {_describe(exc)}") from None
    try:
        try:
            os.link(temp, target)
        except FileExistsError:
            raise CrmError(f"{shown} already exists; not overwritten") from None
        except OSError:  # a file system without hard links
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
    except FileExistsError:
        raise CrmError(f"{shown} already exists; not overwritten") from None
    except OSError as exc:
        raise WriteError(f"cannot write {shown}: {_describe(exc)}") from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    _fsync_dir(target.parent)
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _shown(vault: Path, target: Path) -> str:
    try:
        return target.relative_to(vault.resolve()).as_posix()
    except ValueError:
        return str(target)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` to the output file `path` unless it already holds exactly that; True
    when written. For generated outputs (feed, digest), not notes: no conflict check.

    Readers (a calendar app, a web server, a sync tool) see the old file or the new one,
    never half of one: a temporary dot-file in the same folder (which the vault scan
    skips), fsynced, then renamed over the target with the target's permissions (a new
    file gets what `open()` would give). An unchanged output keeps its mtime, so nothing
    downstream re-syncs for nothing. A symlink is followed: the file it points to is
    replaced and the link is kept. Failures are one WriteError naming the file.
    """
    if path.is_symlink():
        path = path.resolve()
    mode = None
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        raise WriteError(f"cannot write {path}: it is a folder") from None
    except OSError:
        pass  # unreadable: try to replace it; the write below reports a real failure
    with contextlib.suppress(OSError):
        mode = path.stat().st_mode & 0o7777
    folder = path.parent if str(path.parent) else Path(".")
    import tempfile  # here, not at the top: only generated outputs need it

    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {_describe(exc)}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return True
