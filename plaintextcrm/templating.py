"""Where Jinja2 templates come from: the vault's overrides first, then the built-in ones.

The built-in templates live in the top-level `templates/` folder of the source tree, which
the wheel ships as the package `plaintextcrm.templates`. A source checkout is preferred when
present (so a working tree always renders its own templates); an installed wheel falls back
to the package resource.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2

_MARKER = "plaintextcrm built-in templates"


def builtin_templates_dir() -> Path:
    """The folder holding the templates shipped with this copy of plaintextcrm."""
    checkout = Path(__file__).resolve().parent.parent / "templates"
    init = checkout / "__init__.py"
    if init.is_file() and _MARKER in init.read_text(encoding="utf-8", errors="replace"):
        return checkout
    return Path(str(resources.files("plaintextcrm.templates")))


def vault_template_dirs(root: Path, configured: str | None = None) -> list[Path]:
    """The vault's override folders, most specific first: `templates_dir` from crm.toml
    (relative to the vault), then `<vault>/.crm/templates`."""
    dirs = []
    if configured:
        dirs.append((root / configured).resolve())
    dirs.append(root / ".crm" / "templates")
    return [d for d in dirs if d.is_dir()]


def environment(overrides: Iterable[Path] = (), *, html: bool = False) -> jinja2.Environment:
    """A Jinja2 environment that looks in `overrides` first, then the built-in templates.

    `html=True` turns on autoescaping for every template (the HTML digest); Markdown and
    text outputs are rendered unescaped. Undefined variables raise, so a typo in a user's
    override is a clear error instead of a silently empty section.
    """
    import jinja2

    loader = jinja2.FileSystemLoader([*map(str, overrides), str(builtin_templates_dir())])
    return jinja2.Environment(
        loader=loader,
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
