"""The one way plaintextcrm reads a file that someone else can replace.

Every file crm reads from a vault (crm.toml, Obsidian's settings, notes, templates, the
caches and the feed token in `.crm/`) can be swapped for something that is not a file by
the user, a sync tool or a shared folder. A named pipe (FIFO) is the dangerous one: a plain
`open()` of it waits for a writer, forever, so one `mkfifo crm.toml` would hang every
command and `crm serve`. A device can block too, or never end.

So a file is opened with O_NONBLOCK (opening a FIFO then returns at once), checked with
`fstat` on the open descriptor (no window between the check and the read), and read only
when it is a regular file. Anything else raises `NotRegularFile`, an OSError with a
`strerror` that says what it is, so each caller's existing "cannot read" path decides:
the config is a one-line error, a cache is no cache (and the atomic writer replaces it),
the token is made anew, a note is skipped like one that vanished.
"""

from __future__ import annotations

import errno
import os
import stat

#: O_NONBLOCK does not exist on Windows, which has no FIFOs in the file system either.
_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class NotRegularFile(OSError):
    """The path exists but is a named pipe, a device or a socket: never read."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "something other than a file"


def open_regular(path: str | os.PathLike[str]) -> int:
    """A descriptor for reading `path`, which is a regular file (blocking reads, as usual).

    Raises NotRegularFile for a FIFO, device or socket, IsADirectoryError for a folder,
    and the usual OSError (FileNotFoundError...) when it cannot be opened.
    """
    fd, _ = _open(path)
    if _FLAGS & getattr(os, "O_NONBLOCK", 0):
        try:
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
    return fd


def read_regular(path: str | os.PathLike[str]) -> bytes:
    """The bytes of `path` if it is a regular file; never blocks on a FIFO or a device.

    The same errors as `open_regular`, so `except OSError` around a read keeps working.
    Read with `os.read` sized by `fstat` (O_NONBLOCK changes nothing for a regular file):
    this runs once per note, tens of thousands of times on a cold index.
    """
    fd, size = _open(path)
    try:
        data = os.read(fd, size + 1)
        if len(data) <= size:  # a short read of a regular file: that was all of it
            return data
        chunks = [data]  # it grew since the fstat: read on to the end
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _open(path: str | os.PathLike[str]) -> tuple[int, int]:
    """An open descriptor of the regular file `path` (non-blocking) and its size."""
    fd = os.open(path, _FLAGS)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(
                errno.EINVAL, f"it is {_kind(st.st_mode)}, not a regular file", os.fspath(path)
            )
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size
