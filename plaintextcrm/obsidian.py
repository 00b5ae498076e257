"""What a vault's Obsidian settings say about its notes, read once per command.

Obsidian keeps its settings as JSON under `.obsidian/`. The tool reads only a few of
them, and only to know what the user already told Obsidian: which folders hold
templates (never notes). A missing, unreadable or malformed file is the same as no
setting: these are hints, and a broken plugin setting must never stop a command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Where the core Templates plugin and the Templater plugin keep their folder setting.
_TEMPLATE_SETTINGS = (
    (".obsidian/templates.json", "folder"),
    (".obsidian/plugins/templater-obsidian/data.json", "templates_folder"),
)
#: The settings files read here (vault-relative), for whoever caches what they decide.
OBSIDIAN_SETTINGS = tuple(rel for rel, _ in _TEMPLATE_SETTINGS)


def _settings(path: Path) -> dict[str, Any]:
    """A settings file as a dict; {} when it is missing or not a JSON object."""
    try:
        raw = path.read_bytes()
    except OSError:
        return {}  # the usual case: json is not even imported
    import json

    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def vault_folder(value: Any) -> str | None:
    """A folder setting as a vault-relative path with `/` (`./Templates/` → `Templates`);
    None for an empty value, the vault root itself, or a path that leaves the vault."""
    if not isinstance(value, str):
        return None
    parts = [p for p in value.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def template_folders(root: Path) -> tuple[str, ...]:
    """The template folders set in Obsidian's Templates and Templater settings."""
    found: list[str] = []
    for rel, key in _TEMPLATE_SETTINGS:
        folder = vault_folder(_settings(root / rel).get(key))
        if folder and folder not in found:
            found.append(folder)
    return tuple(found)
