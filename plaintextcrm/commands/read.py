"""The reading commands: `crm due`, `list`, `show`, `search`, `check`, `stats`.

Each asks the index (through `App`), decides with a pure function (`reminders`,
`queries`, `lookup`), and prints through the formatter the App chose once (`App.out`:
text, coloured on a terminal, or JSON). None of them writes a note.
"""

from __future__ import annotations

from typing import Any

import click

from plaintextcrm.cli import (
    App,
    KindType,
    common_options,
    days_option,
    epilog,
    json_option,
    name_argument,
    pass_app,
)


@click.command(epilog=epilog("crm due", "crm due --days 30 --kind birthdays", "crm due --json"))
@days_option
@click.option(
    "--kind", "kinds", type=KindType(), multiple=True,
    help="Only this kind: followup (follow-up), birthday, date, reconnect; plural is fine"
    " (repeatable).",
)  # fmt: skip
@json_option
@common_options
@pass_app
def due(app: App, days: int, kinds: tuple[str, ...]) -> None:
    """Reminders due in the window, overdue ones first."""
    paint = app.palette.enabled

    def render() -> str:  # only on a cache miss: the formatters are not on the warm path
        from plaintextcrm.reminders import due as due_reminders

        reminders = due_reminders(app.index(), app.today, days, kinds or None)
        return app.out.due(reminders, app.today)

    app.show(app.cached(("due", days, sorted(set(kinds)), app.as_json, paint), render))


@click.command(
    "list",
    epilog=epilog("crm list", "crm list --circle close --sort last", "crm list --tag work --json"),
)
@click.option("--tag", help="Only contacts with this tag (nested tags count).")
@click.option("--circle", help="Only contacts in this circle.")
@click.option("--company", help="Only contacts whose company contains this text.")
@click.option(
    "--sort", "sort_key", type=click.Choice(["name", "last", "next", "circle"]),
    default="name", show_default=True,
    help="Order: name, last (longest silence first), next (soonest reminder), circle (tiers).",
)  # fmt: skip
@json_option
@common_options
@pass_app
def list_contacts(
    app: App, tag: str | None, circle: str | None, company: str | None, sort_key: str
) -> None:
    """Contacts, with circle, last contact, next reminder, first email and phone."""
    paint = app.palette.enabled

    def rows() -> list[tuple[Any, Any]]:  # only on a cache miss, as for `due`
        from plaintextcrm.queries import filter_contacts, sort_rows
        from plaintextcrm.reminders import next_reminder_by_contact

        index = app.index()
        contacts = filter_contacts(index.contacts, tag=tag, circle=circle, company=company)
        upcoming = next_reminder_by_contact(index, app.today)
        found = [(c, upcoming.get(c.path)) for c in contacts]
        tiers = [name for name, _ in app.config.circles]
        return sort_rows(found, sort_key, app.today, tiers)

    key = ("list", tag, circle, company, sort_key, app.as_json, paint)
    if app.as_json:  # tens of megabytes at 50k contacts: written out as it is made
        from plaintextcrm.render.jsonout import contacts_array

        app.stream(("listjson", *key[1:]), lambda: contacts_array(rows(), app.today))
        click.echo("")
        return
    app.show(app.cached(key, lambda: app.out.contacts(rows(), app.today)))


@click.command(epilog=epilog("crm show anna rossi", "crm show bianchi --json", name=True))
@name_argument()
@json_option
@common_options
@pass_app
def show(app: App, name: tuple[str, ...]) -> None:
    """One contact: fields, open tasks, interactions newest first, give/get."""
    from plaintextcrm.lookup import find_contact
    from plaintextcrm.reminders import next_reminder_by_contact

    index = app.index()
    contact = find_contact(index, " ".join(name))
    nxt = next_reminder_by_contact(index, app.today).get(contact.path)
    app.show(app.out.contact(contact, app.today, nxt))


@click.command(epilog=epilog("crm search marathon", "crm search acme robotics --json"))
@click.argument("text", nargs=-1, required=True)
@json_option
@common_options
@pass_app
def search(app: App, text: tuple[str, ...]) -> None:
    """Contacts whose fields or notes contain TEXT (case- and accent-insensitive); exit 1
    when none does, like grep."""
    from plaintextcrm.search import search_contacts

    words = " ".join(text)
    found = search_contacts(app.index(), app.root, words)
    app.show(app.out.search(found, words))
    if not found:
        raise click.exceptions.Exit(1)


@click.command(epilog=epilog("crm check", "crm check --json"))
@json_option
@common_options
@pass_app
def check(app: App) -> None:
    """Every problem in the vault; exit 1 if any is an error."""
    from plaintextcrm.gitvault import driver_problems
    from plaintextcrm.words import plural

    index = app.index(quiet=True)
    problems = tuple(
        sorted((*index.problems, *driver_problems(app.root)), key=lambda p: p.sort_key())
    )
    if index.notes and not index.contacts:
        app.warn((0, 0, index.notes))
    if problems or app.as_json:
        app.show(app.out.problems(problems))
    if not app.as_json:
        errors = sum(1 for p in problems if p.level == "error")
        click.echo(
            f"{plural(index.notes, 'note')} checked: "
            f"{plural(errors, 'error')}, {plural(len(problems) - errors, 'warning')}",
            err=True,
        )
    if any(p.level == "error" for p in problems):
        raise click.exceptions.Exit(1)


@click.command(epilog=epilog("crm stats", "crm stats --json"))
@json_option
@common_options
@pass_app
def stats(app: App) -> None:
    """The network at a glance: circles, who is overdue, activity, give/get."""
    from plaintextcrm.queries import stats as network_stats
    from plaintextcrm.reminders import due as due_reminders

    index = app.index()
    reconnects = due_reminders(index, app.today, 0, ["reconnect"])
    tiers = [name for name, _ in app.config.circles]
    app.show(app.out.stats(network_stats(index, app.today, reconnects, tiers)))
