"""A new contact note from the `person.md.j2` template (used by `crm new` and importers).

The template only decides the layout; values pass through the `yaml` filter, which quotes
whatever YAML would otherwise read differently (`0123`, `yes`, `[[Acme]]`), so a phone
number or a name never changes meaning on its way into the front matter. The rendered note
is read back before it is returned: a vault's override that produces broken front matter
is an error here, not a damaged note later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from plaintextcrm.edit import EditError, Lines, _front_matter, one_line, yaml_value
from plaintextcrm.errors import CrmError

TEMPLATE = "person.md.j2"


def render_person(
    name: str,
    fields: Mapping[str, str | Iterable[str]],
    body: str | None = None,
    template_dirs: Iterable[Path] = (),
    *,
    today: date | None = None,
) -> str:
    """The text of a new note for `name`: front matter from `fields` (in their order;
    empty values and empty lists are left out), then `body`, then an empty `## Log`."""
    import jinja2

    from plaintextcrm.templating import environment

    clean: dict[str, str | list[str]] = {}
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, str):
            if value.strip():
                clean[key] = one_line(value, f"value of `{key}`")
        else:
            items = [one_line(v, f"value of `{key}`") for v in value if v and v.strip()]
            if items:
                clean[key] = list(dict.fromkeys(items))
    env = environment(template_dirs)
    env.filters["yaml"] = yaml_value
    try:
        text = env.get_template(TEMPLATE).render(
            name=name,
            fields=clean,
            body=(body or "").strip("\n") or None,
            today=today.isoformat() if today else "",
        )
    except jinja2.TemplateError as exc:
        raise CrmError(f"template {TEMPLATE}: {exc}") from None
    try:
        _front_matter(Lines.from_bytes(text.encode("utf-8")), create=False)
    except EditError as exc:
        raise CrmError(f"template {TEMPLATE} gives a note that cannot be read: {exc}") from None
    return text
