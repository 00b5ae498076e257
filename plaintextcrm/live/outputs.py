"""One door to the renderers for the long-running commands (and the atomic output writer,
`plaintextcrm.writefile.write_if_changed`, re-exported).

`watch` and `serve` only need "the bytes of output KIND for this index today"; keeping that
behind `render_output` means they never know how the feed or the digest is built, and tests
can swap a renderer in `RENDERERS` without touching the vault machinery.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from plaintextcrm.config import REMINDER_KINDS, Config
from plaintextcrm.errors import UsageError
from plaintextcrm.model import Index
from plaintextcrm.writefile import write_if_changed

__all__ = ["KINDS", "RENDERERS", "digest_format", "render_output", "write_if_changed"]


# output kind → HTTP content type
KINDS: dict[str, str] = {
    "ics": "text/calendar; charset=utf-8",
    **{f"ics:{kind}": "text/calendar; charset=utf-8" for kind in REMINDER_KINDS},
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
}

Renderer = Callable[[Index, Path, date, Config, int], bytes]


#: Each feed's contact parts, kept between rebuilds of this process (`outcache.KeptParts`):
#: watch and serve update their index in place, so an unchanged contact is the same object.
_KEPT: dict[tuple[Path, tuple[str, ...]], Any] = {}


def _ics_renderer(*kinds: str) -> Renderer:
    """The feed of `kinds` (none: the one `[ics] kinds` describes)."""

    def render(index: Index, root: Path, today: date, config: Config, days: int) -> bytes:
        from plaintextcrm.outcache import KeptParts, ics_feed
        from plaintextcrm.render.ics import feed_config
        from plaintextcrm.vault import STATE_DIR

        # Each rebuild re-renders only the contacts that changed: those the updated index
        # holds as new objects, or (the first time) whose hash is not in `.crm/`.
        state = root / STATE_DIR
        feed = feed_config(config, kinds)
        kept = _KEPT.setdefault((root, kinds), KeptParts())
        return ics_feed(index, today, feed, state if state.is_dir() else None, kept)

    return render


def _digest_renderer(fmt: str) -> Renderer:
    def render(index: Index, root: Path, today: date, config: Config, days: int) -> bytes:
        from plaintextcrm.render.digest import build_digest, render_digest
        from plaintextcrm.templating import vault_template_dirs

        digest = build_digest(index, today, days, config)
        text = render_digest(digest, fmt, vault_template_dirs(root, config.templates_dir))
        return text.encode("utf-8")

    return render


RENDERERS: dict[str, Renderer] = {
    "ics": _ics_renderer(),
    **{f"ics:{kind}": _ics_renderer(kind) for kind in REMINDER_KINDS},
    "html": _digest_renderer("html"),
    "md": _digest_renderer("md"),
    "txt": _digest_renderer("txt"),
}


def render_output(
    kind: str, index: Index, root: Path, today: date, config: Config, days: int | None = None
) -> bytes:
    """The bytes of output `kind` ("ics", "ics:birthday"..., "html", "md" or "txt") for
    `index` as of `today`."""
    return RENDERERS[kind](
        index, root, today, config, days if days is not None else config.digest_days
    )


def digest_format(path: Path) -> str:
    """The digest format a file name asks for: `.html`/`.htm`, `.md`/`.markdown`, `.txt`."""
    from plaintextcrm.render.digest import format_for

    fmt = format_for(str(path))
    if fmt is None:
        suffix = path.suffix.lower()
        raise UsageError(
            f"--digest {path}: cannot tell the format from {suffix or 'no extension'!r};"
            " use a name ending in .html, .md or .txt"
        )
    return fmt
