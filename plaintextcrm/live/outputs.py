"""One door to the renderers for the long-running commands, and the atomic output writer.

`watch` and `serve` only need "the bytes of output KIND for this index today"; keeping that
behind `render_output` means they never know how the feed or the digest is built, and tests
can swap a renderer in `RENDERERS` without touching the vault machinery.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from plaintextcrm.config import Config
from plaintextcrm.errors import UsageError
from plaintextcrm.model import Index

DEFAULT_DAYS = 14

# kind → (file extension it is written to, HTTP content type)
KINDS: dict[str, str] = {
    "ics": "text/calendar; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
}

Renderer = Callable[[Index, Path, date, Config, int], bytes]


def _render_ics(index: Index, root: Path, today: date, config: Config, days: int) -> bytes:
    from plaintextcrm.render.ics import render_ics

    return render_ics(index, today, config)


def _digest_renderer(fmt: str) -> Renderer:
    def render(index: Index, root: Path, today: date, config: Config, days: int) -> bytes:
        from plaintextcrm.render.digest import build_digest, render_digest
        from plaintextcrm.templating import vault_template_dirs

        digest = build_digest(index, today, days, config)
        text = render_digest(digest, fmt, vault_template_dirs(root, config.templates_dir))
        return text.encode("utf-8")

    return render


RENDERERS: dict[str, Renderer] = {
    "ics": _render_ics,
    "html": _digest_renderer("html"),
    "md": _digest_renderer("md"),
    "txt": _digest_renderer("txt"),
}


def render_output(
    kind: str, index: Index, root: Path, today: date, config: Config, days: int | None = None
) -> bytes:
    """The bytes of output `kind` ("ics", "html", "md" or "txt") for `index` as of `today`."""
    return RENDERERS[kind](index, root, today, config, days if days is not None else DEFAULT_DAYS)


def digest_format(path: Path) -> str:
    """The digest format a file name asks for: `.html`/`.htm`, `.md`/`.markdown`, `.txt`."""
    suffix = path.suffix.lower()
    formats = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".txt": "txt"}
    if suffix not in formats:
        raise UsageError(
            f"--digest {path}: cannot tell the format from {suffix or 'no extension'!r};"
            " use a name ending in .html, .md or .txt"
        )
    return formats[suffix]


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically unless it already holds exactly these bytes.

    Readers (a calendar app, a web server, a sync tool) see the old file or the new one,
    never half of one: a temporary file in the same folder, fsync, then rename over. An
    unchanged output keeps its mtime, so nothing downstream re-syncs for nothing.
    """
    try:
        if path.read_bytes() == data:
            return False
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return True
