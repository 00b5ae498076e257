"""The one way plaintextcrm writes a file: atomic, conflict-checked, never outside the vault.

`write_note` follows the etag pattern of vdirsyncer and khal, hardened against editors
that save while we write: read the note only when no other program is writing it (a read
lease on Linux), write the edited version to a temporary file in the same folder, fsync it,
and swap it in with an atomic exchange that shows exactly what it replaced. If an editor or
a sync tool saved the note meanwhile, their version is put back and the edit re-applied to
it; if the note keeps changing, we stop (exit 1) and leave the other writer's version in
place. Our own concurrent runs are serialised by a lock in `.crm/`. docs/reliability.md
("Editors saving while crm writes") has the races and the figures.

Temporary files (`.<note>.md.crm-<random>.tmp`) are written in `<vault>/.crm/tmp/`, which
git never sees (`.crm/.gitignore`), when that folder is on the same file system as the
note, so the swap stays one atomic rename; otherwise (a note folder on another mount, a
vault whose `.crm/` cannot be used) next to the note, as a dot-file the vault scanner
skips. One left by a killed run is removed by the next write, or, next to a note, by any
crm command that scans the folder, once it is STALE_TEMP_SECONDS old (vault.py)."""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import secrets
import stat
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plaintextcrm.errors import ConflictError, CrmError, UsageError, WriteError
from plaintextcrm.lookalike import BIDI_CONTROLS, JOINERS, ZERO_WIDTH
from plaintextcrm.readfile import NotRegularFile, open_regular, read_regular

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
_INVISIBLE = frozenset(BIDI_CONTROLS + ZERO_WIDTH) - set(JOINERS)


@dataclass(frozen=True)
class WriteResult:
    """What a write did: the note's path, whether it changed, and how many attempts."""

    path: Path
    changed: bool
    attempts: int


def temp_name(note_name: str) -> str:
    """A temporary file name for `note_name`: a dot-file, so no scanner reads it as a note."""
    return f".{note_name}.crm-{secrets.token_hex(4)}{_TEMP_SUFFIX}"


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
    # Bidi controls and zero-width characters would make the file name print as another
    # (`Mallory\u202e.md`); joiners stay, Persian and emoji sequences spell with them.
    text = "".join(c for c in text if c not in _INVISIBLE)
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


def _clean_stale_temps(*folders: Path) -> None:
    """Remove temporary files a killed run left in `folders` (by age: a run without the
    vault lock may be writing one right now)."""
    from plaintextcrm.vault import remove_if_stale_temp

    for folder in dict.fromkeys(folders):
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                remove_if_stale_temp(entry)


#: The folder below `.crm/` that holds the writer's temporary files.
TEMP_DIR = "tmp"


def _temp_folder(vault: Path, folder: Path) -> Path:
    """Where to write the temporary file of a note in `folder`: `.crm/tmp/` (git-ignored)
    when it is a real folder on the same file system as the note, else `folder`."""
    from plaintextcrm.vault import ensure_state_dir

    try:
        temps = ensure_state_dir(vault) / TEMP_DIR
        with contextlib.suppress(FileExistsError):
            temps.mkdir(mode=0o700)
        st = os.lstat(temps)
        if stat.S_ISDIR(st.st_mode) and st.st_dev == os.stat(folder).st_dev:
            return temps
    except OSError:
        pass
    return folder


def write_note(
    path: Path,
    edit: Callable[[bytes], bytes],
    *,
    vault: Path,
    retries: int = 3,
) -> WriteResult:
    """Apply `edit` (old bytes → new bytes) to the note at `path`, atomically.

    The note is read only once no other program has it open for writing (see `_settled`),
    and the new version is swapped in only if nobody saved the note meanwhile (see
    `_swap_in`). When somebody did, `edit` is applied again to their version, up to
    `retries` times, else ConflictError with their version in place. Errors of the file
    system (permissions, full disk) become WriteError; the note is left intact. `edit` may
    raise a CrmError to refuse; nothing is written then.
    """
    target = inside_vault(vault, path)
    shown = _shown(vault, target)
    folder, note_name = target.parent, target.name
    with vault_lock(vault.resolve()):
        temps = _temp_folder(vault.resolve(), folder)
        for attempt in range(1, retries + 2):
            with _settled(target, shown) as base:
                new = edit(base.data)
                if new == base.data:
                    return WriteResult(target, False, attempt)
                try:
                    st = os.fstat(base.fd)
                    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or (
                        not os.access(target, os.W_OK)
                    ):
                        if not os.path.lexists(target):
                            continue  # gone meanwhile: the next attempt waits or says so
                        raise WriteError(f"cannot write {shown}: permission denied")
                    _clean_stale_temps(temps, folder)
                    temp = _write_temp(temps, note_name, new, stat.S_IMODE(st.st_mode), st)
                except OSError as exc:
                    raise WriteError(f"cannot write {shown}: {_describe(exc)}") from None
                try:
                    swapped = _swap_in(temp, target, base)
                except OSError as exc:
                    if exc.errno == errno.EXDEV and temps != folder:
                        # A bind mount: one device, yet no rename across. Write it here.
                        temps = folder
                        continue
                    raise WriteError(f"cannot write {shown}: {_describe(exc)}") from None
                finally:
                    with contextlib.suppress(OSError):
                        temp.unlink()
            if swapped:
                _fsync_dir(folder)
                return WriteResult(target, True, attempt)
    raise ConflictError(
        f"{shown} changed on disk while editing (another program is writing it); "
        "nothing written, run the command again"
    )


# --- reading a note nobody is writing, and swapping a new version in ------------------


#: How long to wait for another program to finish writing a note (an editor's save takes
#: milliseconds; a sync client on a slow disk or a network folder can take seconds).
SETTLE_SECONDS = 10.0
#: Without leases, a note modified less than this long ago may still be mid-save.
QUIET_NS = 200_000_000
#: How long a missing note is waited for (vim renames the old file away, then writes anew).
MISSING_SECONDS = 1.0
_POLL = 0.01


@dataclass
class _Base:
    """The note as read: an open descriptor (holding a read lease where the system gives
    one), its bytes, and which file it is."""

    fd: int
    data: bytes
    ident: tuple[int, int]
    leased: bool


@contextlib.contextmanager
def _settled(target: Path, shown: str) -> Iterator[_Base]:
    """The note's bytes once no other program is writing it, held so until the swap.

    Editors that save in place (Obsidian, VS Code, nano) truncate the note and then write
    it; a note read in that gap is empty or half written, and an edit of it would wipe the
    note. On Linux a read lease (fcntl F_SETLEASE) is granted only while nobody has the
    file open for writing, and while we hold it any open for writing is held back by the
    kernel and shows as a pending break (`_lease_broken`), so the read is never of a
    half-written note and a save that starts before our swap is seen. Where leases are
    not available (other systems, network file systems, notes owned by another user), a
    note modified in the last QUIET_NS is left to settle first: a heuristic, not a proof.
    A note briefly missing (vim renames the old file away before writing the new one) is
    waited for too.
    """
    deadline = time.monotonic() + SETTLE_SECONDS
    missing_deadline = time.monotonic() + MISSING_SECONDS
    while True:
        try:
            fd = open_regular(target)  # a FIFO swapped in for the note: an error, no hang
        except FileNotFoundError:
            if time.monotonic() < missing_deadline:
                time.sleep(_POLL)
                continue
            raise CrmError(
                f"{shown} no longer exists (deleted or renamed?); nothing written"
            ) from None
        except OSError as exc:
            raise WriteError(f"cannot read {shown}: {_describe(exc)}") from None
        try:
            leased = _take_lease(fd)
            st = os.fstat(fd)
            quiet = leased or not 0 <= time.time_ns() - st.st_mtime_ns < QUIET_NS
            if leased is None or not quiet or _ident(os.stat(target)) != _ident(st):
                # Open for writing by someone, or just written, or replaced since we opened it.
                if time.monotonic() >= deadline:
                    raise ConflictError(
                        f"{shown} is being written by another program; "
                        "nothing written, run the command again"
                    )
                _release(fd, bool(leased))
                fd = -1
                time.sleep(_POLL)
                continue
            with open(fd, "rb", closefd=False) as handle:
                data = handle.read()
        except FileNotFoundError:
            _release(fd, False)
            continue
        except OSError as exc:
            _release(fd, False)
            raise WriteError(f"cannot read {shown}: {_describe(exc)}") from None
        except BaseException:
            if fd >= 0:
                _release(fd, False)
            raise
        break
    try:
        yield _Base(fd, data, _ident(st), bool(leased))
    finally:
        _release(fd, bool(leased))


def _ident(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


def _take_lease(fd: int) -> bool | None:
    """True: we hold a read lease on `fd`; None: someone has the file open for writing;
    False: this system or file system gives no leases (we cannot know)."""
    try:
        import fcntl
        import signal

        setlease, rdlck = fcntl.F_SETLEASE, fcntl.F_RDLCK
        # A broken lease signals its holder, SIGIO by default, which would kill us;
        # SIGURG is ignored unless handled, and the pending break is read back instead.
        fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
    except (ImportError, AttributeError, OSError):
        return False
    try:
        fcntl.fcntl(fd, setlease, rdlck)
    except OSError as exc:
        return None if exc.errno == errno.EAGAIN else False
    return True


def _lease_broken(base: _Base) -> bool:
    """Whether another program has started to open the note for writing since we read it
    (its open waits for us; the lease reports the break as pending)."""
    if not base.leased:
        return False
    import fcntl

    return fcntl.fcntl(base.fd, fcntl.F_GETLEASE) != fcntl.F_RDLCK


def _release(fd: int, leased: bool) -> None:
    if fd < 0:
        return
    if leased:
        import fcntl

        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    with contextlib.suppress(OSError):
        os.close(fd)


def _swap_in(temp: Path, target: Path, base: _Base) -> bool:
    """Put `temp` in place of the note if the note is still `base`; False (nothing lost,
    the other writer's version in place) if someone saved it meanwhile.

    An atomic exchange (`_exchange`) swaps our file in and leaves what it replaced at the
    temporary name, so we see exactly what we replaced instead of trusting a check made
    an instant before a plain rename: if it is not the file we read (an editor's
    temp-file-and-rename save landed, as vim, Sublime, Syncthing and Dropbox do), or an
    in-place save started on it (a pending lease break), we exchange back and try again.
    Without an exchange primitive, the older check-then-rename is the best available.
    """
    ours = _ident(os.lstat(temp))
    try:
        if _lease_broken(base) or _ident(os.stat(target)) != base.ident:
            return False  # a save already landed: never show our version, even for an instant
        exchanged = _exchange(temp, target)
    except FileNotFoundError:
        return False  # the note is gone for a moment (a rename-save): read it again
    if not exchanged:
        return _replace_checked(temp, target, base)
    replaced = temp  # now holds what stood at the note's name
    mine = _ident(os.lstat(replaced)) == base.ident and not _lease_broken(base)
    if mine and not base.leased:
        mine = _read_or_none(replaced) == base.data  # an in-place save that already ended
    if mine:
        return True  # the caller removes `temp`, which now holds the old note
    _exchange(replaced, target)  # put the other writer's version back
    if _ident(os.lstat(replaced)) != ours:
        # A third save renamed over ours in between: it is the newest, keep it in place.
        _exchange(replaced, target)
    return False


def _replace_checked(temp: Path, target: Path, base: _Base) -> bool:
    """Check, then rename: for systems without an atomic exchange. An in-place save landing
    between the check and the rename wrote into the file we replaced; it is put back."""
    try:
        old = open(open_regular(target), "rb")  # noqa: SIM115 - kept open across the rename
    except (FileNotFoundError, NotRegularFile):
        return False
    with old:
        if _ident(os.fstat(old.fileno())) != base.ident or old.read() != base.data:
            return False
        os.replace(temp, target)
        old.seek(0)
        late = old.read()
    if late != base.data:
        restore = _write_temp(
            target.parent, target.name, late, stat.S_IMODE(os.stat(target).st_mode)
        )
        os.replace(restore, target)
        return False
    return True


def _read_or_none(path: Path) -> bytes | None:
    try:
        return read_regular(path)
    except OSError:
        return None


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap the files at `a` and `b` (Linux renameat2 RENAME_EXCHANGE); False
    when this system or file system cannot. Python has no binding, and the call is one
    line of ctypes, so no package is pulled in for it."""
    libc = _libc()
    if libc is None:
        return False
    import ctypes

    if libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


@functools.cache
def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.renameat2.argtypes = [
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_uint,
        ]
    except (OSError, AttributeError):  # a libc older than glibc 2.28
        return None
    return libc


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
        temps = _temp_folder(vault.resolve(), target.parent)
        temp = _write_temp(temps, target.name, data, 0o666 & ~_umask())
    except OSError as exc:
        raise WriteError(f"cannot write {shown}: {_describe(exc)}") from None
    try:
        try:
            try:
                os.link(temp, target)
            except OSError as exc:
                if exc.errno != errno.EXDEV or temps == target.parent:
                    raise
                temp.unlink()  # a bind mount: one device, yet no link across
                temp = _write_temp(target.parent, target.name, data, 0o666 & ~_umask())
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


def _other_size(path: Path, size: int) -> bool:
    """Whether `path` is a regular file of another size than `size`: then it differs
    without being read (a 50k-note feed is 80 MB)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size != size


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
        if not _other_size(path, len(data)) and read_regular(path) == data:
            return False
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        raise WriteError(f"cannot write {path}: it is a folder") from None
    except NotRegularFile as exc:  # a FIFO or a device: never read, never replaced
        raise WriteError(f"cannot write {path}: {exc.strerror}") from None
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
