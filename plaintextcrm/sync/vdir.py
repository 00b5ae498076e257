"""A vdir on disk: list its items, write one, delete one.

The layout vdirsyncer's `filesystem` storage, khal, todoman and khard share: a folder
holding one item per file, named `<something>.ics` or `.vcf`. Dot-files are never items
(they are the temporary files of crm and vdirsyncer, and editors'). A write goes through
`writefile.write_if_changed` (a temporary dot-file, fsync, rename), so a reader sees the
old item or the new one; a write or a delete first checks that the file still holds the
bytes it was read with, so an item vdirsyncer changed since the pull is left for the next
sync instead of being overwritten.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from plaintextcrm.errors import CrmError
from plaintextcrm.readfile import read_regular
from plaintextcrm.vault import is_editor_temp
from plaintextcrm.writefile import _fsync_dir, write_if_changed

#: An item bigger than this is not read (a calendar entry or a card with a photo is far
#: smaller); it is reported and left alone.
MAX_ITEM_BYTES = 1024 * 1024


class ItemChanged(CrmError):
    """A vdir file changed on disk since it was read; it is left as it is."""


@dataclass(frozen=True)
class Listing:
    """A vdir's items (file name → bytes) and the files it could not read, with why."""

    items: dict[str, bytes]
    unreadable: dict[str, str]


def read_vdir(folder: Path, ext: str) -> Listing:
    """Every `*ext` regular file in `folder` (a missing folder is empty)."""
    items: dict[str, bytes] = {}
    unreadable: dict[str, str] = {}
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except FileNotFoundError:
        return Listing(items, unreadable)
    except OSError as exc:
        raise CrmError(f"cannot read the vdir {folder}: {exc.strerror}") from None
    for entry in entries:
        name = entry.name
        if not name.endswith(ext) or is_editor_temp(name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode):
                unreadable[name] = "not a regular file"
                continue
            if st.st_size > MAX_ITEM_BYTES:
                unreadable[name] = f"over {MAX_ITEM_BYTES // 1024} KiB"
                continue
            items[name] = read_regular(entry.path)
        except FileNotFoundError:
            continue  # removed while listing: vdirsyncer at work; next sync sees it
        except OSError as exc:
            unreadable[name] = exc.strerror or str(exc)
    return Listing(items, unreadable)


def _current(path: Path) -> bytes | None:
    try:
        return read_regular(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CrmError(f"cannot read {path}: {exc.strerror}") from None


def write_item(folder: Path, name: str, data: bytes, expected: bytes | None) -> None:
    """Put `data` in `folder/name` atomically, if the file still holds `expected` (None:
    it must not exist); ItemChanged otherwise."""
    path = folder / name
    if _current(path) != expected:
        raise ItemChanged(f"{path} changed during the sync; left for the next one")
    folder.mkdir(parents=True, exist_ok=True)
    write_if_changed(path, data)


def delete_item(folder: Path, name: str, expected: bytes) -> None:
    """Remove `folder/name` if it still holds `expected`; ItemChanged otherwise."""
    path = folder / name
    current = _current(path)
    if current is None:
        return
    if current != expected:
        raise ItemChanged(f"{path} changed during the sync; left for the next one")
    try:
        path.unlink()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CrmError(f"cannot delete {path}: {exc.strerror}") from None
    _fsync_dir(folder)
