"""Where Jinja2 templates come from: the vault's overrides first, then the built-in ones.

The built-in templates live in the top-level `templates/` folder of the source tree, which
the wheel ships as the package `plaintextcrm.templates`. A source checkout is preferred when
present (so a working tree always renders its own templates); an installed wheel falls back
to the package resource.

Override folders and their files live in the vault, which may be shared, synced or cloned,
so they are confined to it (symlinks followed) and every template is rendered in Jinja2's
sandbox: a template lays out data, it never runs code (docs/reliability.md, "Vault files
that try to run code").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plaintextcrm.errors import CrmError
from plaintextcrm.readfile import read_regular
from plaintextcrm.vault import STATE_DIR, state_dir_problem

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
    (relative to the vault), then `<vault>/.crm/templates`; each resolved (symlinks
    followed), and an error if it leads outside the vault (`config.templates_folder`)."""
    from plaintextcrm.config import templates_folder

    dirs = []
    if configured:
        dirs.append(templates_folder(root, configured))
    if state_dir_problem(root) is None:  # a linked `.crm` is never used, templates included
        state = f"{STATE_DIR}/templates"
        dirs.append(templates_folder(root, state, what=f"`{state}`"))
    return [d for d in dirs if d.is_dir()]


def environment(overrides: Iterable[Path] = (), *, html: bool = False) -> jinja2.Environment:
    """A sandboxed Jinja2 environment that looks in `overrides` first, then the built-in
    templates.

    Override templates come from the vault, which a shared folder, a synced `.crm/` or a
    cloned crm.toml can fill with someone else's files, so every template is rendered in
    Jinja2's immutable sandbox: it can lay out the data it is given, but not reach Python
    internals (`''.__class__.__mro__`, `cycler.__init__.__globals__`), call methods that
    change data, or run anything; such a template stops with `jinja2.sandbox.SecurityError`.
    The shipped templates need nothing more.

    `html=True` turns on autoescaping for every template (the HTML digest), and shows the
    bidi and control characters of a note's text as escapes (`\\u202e`), as the terminal
    does: a browser would obey an override and show `exe.pdf` for `fdp.exe`. Markdown and
    text outputs are rendered unescaped (their renderers make them visible). Undefined
    variables raise, so a typo in a user's override is a clear error instead of a silently
    empty section.
    """
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(
        loader=_loader(list(overrides)),
        autoescape=html,
        finalize=_shown if html else None,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _shown(value: Any) -> Any:
    """A plain string as `terminal.visible` shows it; markup the renderer built (the
    charts, already escaped) and other values as they are."""
    if type(value) is str:
        from plaintextcrm.render.terminal import visible

        return visible(value)
    return value


def _loader(overrides: list[Path]) -> jinja2.BaseLoader:
    """Templates from `overrides`, then the built-in folder, read with `read_regular` (a
    FIFO named `digest.md.j2` never hangs a render) and kept inside their folder."""
    import jinja2
    from jinja2.loaders import split_template_path

    builtin = builtin_templates_dir()
    search = [(folder.resolve(), True) for folder in overrides] + [(builtin, False)]

    class Loader(jinja2.BaseLoader):
        def get_source(
            self, environment: jinja2.Environment, template: str
        ) -> tuple[str, str, Callable[[], bool]]:
            pieces = split_template_path(template)  # refuses `..`
            for folder, confined in search:
                path = folder.joinpath(*pieces)
                if confined:
                    # A symlink in an override folder may not fetch a file from elsewhere.
                    real = Path(os.path.realpath(path))
                    if not real.is_relative_to(folder):
                        if not real.exists():
                            continue
                        raise CrmError(f"{path}: template leads outside its folder (to {real})")
                    path = real
                try:
                    data = read_regular(path)
                except (FileNotFoundError, NotADirectoryError):
                    continue
                except OSError as exc:
                    raise CrmError(f"cannot read template {path}: {exc.strerror}") from None
                try:
                    text = data.decode("utf-8-sig")
                except UnicodeDecodeError:
                    raise CrmError(f"{path}: template is not UTF-8 text") from None
                return text, str(path), lambda: False
            raise jinja2.TemplateNotFound(template)

    return Loader()
