"""What an existing vault's conventions are, for `crm init` to record and report.

Someone who runs `crm init` in a folder that already has notes wants to hear what the
tool makes of them before anything else: how many people it found and where, which key
spellings it reads (`Birthday`, vCard `BDAY`), which folders it skips as templates and
where the dated notes are. The same rules as every reading command decide (this module
only counts what `parse` says), so the report cannot promise what `crm due` then does
not do.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from plaintextcrm import fields as keys
from plaintextcrm.config import DEFAULT_TOML, Config
from plaintextcrm.readfile import read_regular
from plaintextcrm.vault import is_ignored, is_template_folder, list_notes
from plaintextcrm.words import plural

#: How many items of each kind the report and the config comments list.
SHOWN = 5


@dataclass(frozen=True)
class Conventions:
    """Counts of what a vault's notes use, each list most common first."""

    notes: int
    contacts: int
    #: Where the contacts live: folder (with `/`, "" for the vault root) → contacts.
    homes: tuple[tuple[str, int], ...]
    #: Person words of type-like keys on contacts (`crm-contact`) → contacts.
    type_words: tuple[tuple[str, int], ...]
    #: Keys written other than as the field's own name (`Birthday`, `BDAY`) → (field, notes).
    spellings: tuple[tuple[str, str, int], ...]
    vcard: bool
    birthdays: int
    follow_ups: int
    template_folders: tuple[str, ...]
    #: Folders of notes whose file name starts with a date → notes.
    dated_folders: tuple[tuple[str, int], ...]


_VCARD = ("fn", "n.gn", "n.fn", "bday", "tel", "org", "adr.locality")


def _folder(rel: str) -> str:
    return rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""


def detect(root: Path, config: Config) -> Conventions:
    """Read every note of the vault at `root` once and count its conventions."""
    from plaintextcrm.parse import key_report, parse_note

    files, _ = list_notes(root, config.ignore, config.template_folders)
    homes: Counter[str] = Counter()
    words: Counter[str] = Counter()
    spellings: Counter[tuple[str, str]] = Counter()
    dated: Counter[str] = Counter()
    vcard = False
    contacts = birthdays = follow_ups = 0
    for f in files:
        try:
            data = read_regular(f.path)
        except OSError:
            continue
        note = parse_note(f.rel, data, config)
        if note.note_date is not None and not note.is_contact:
            dated[_folder(f.rel)] += 1
        if not note.is_contact or note.fields is None:
            continue
        contacts += 1
        homes[_folder(f.rel)] += 1
        birthdays += note.fields.birthday is not None
        follow_ups += note.fields.follow_up is not None or any(
            t.status == "open" and t.due for t in note.tasks
        )
        found, type_values = key_report(data, config)
        for word in dict.fromkeys(type_values):
            if keys.person_word(word, config.contact_types):
                words[word] += 1
        for written, field in dict.fromkeys(found):
            norm = keys.normalise(written)
            # contact-sync plugins write vCard keys upper-case; `org:` is just a key
            vcard = vcard or (written.isupper() and norm in _VCARD) or keys.is_typed(written)
            if written != field and (field, written) not in _PLAIN:
                spellings[(written, _SHOWN_AS.get(field, field))] += 1
    return Conventions(
        notes=len(files),
        contacts=contacts,
        homes=tuple(homes.most_common()),
        type_words=tuple(words.most_common()),
        spellings=tuple((w, f, n) for (w, f), n in spellings.most_common()),
        vcard=vcard,
        birthdays=birthdays,
        follow_ups=follow_ups,
        template_folders=_template_folders(root, config),
        dated_folders=tuple(dated.most_common()),
    )


#: Internal fields named as the user knows them.
_SHOWN_AS = {"given_name": "name", "middle_name": "name", "family_name": "name",
             "follow_up_text": "follow_up"}  # fmt: skip
#: Keys that are a field's own name in another number (`email` for `emails`): no news.
_PLAIN = {("emails", "email"), ("phones", "phone"), ("aliases", "alias")}


def _template_folders(root: Path, config: Config) -> tuple[str, ...]:
    """Template folders that exist in the vault (they are skipped, so worth saying)."""
    found: list[str] = []
    for folder, dirs, _ in os.walk(root):
        rel_folder = Path(folder).relative_to(root).as_posix()
        prefix = "" if rel_folder == "." else rel_folder + "/"
        keep = []
        for name in sorted(dirs):
            rel = prefix + name
            if name.startswith(".") or is_ignored(rel, config.ignore, is_dir=True):
                continue
            if is_template_folder(rel, config.template_folders):
                found.append(rel + "/")
            else:
                keep.append(name)
        dirs[:] = keep
    return tuple(sorted(found))


def _listed(pairs: tuple[tuple[str, int], ...]) -> str:
    shown = ", ".join(f"{name or './'} ({n})" for name, n in pairs[:SHOWN])
    return shown + (f" and {len(pairs) - SHOWN} more" if len(pairs) > SHOWN else "")


def summary(c: Conventions) -> str:
    """One line: `15 contacts in markdown/, vCard keys; 15 birthdays; templates in
    Templates/ skipped`."""
    if not c.contacts:
        return f"no contacts among {plural(c.notes, 'note')}"
    where = " and ".join(home or "the vault root" for home, _ in c.homes[:2])
    if len(c.homes) > 2:
        where += f" and {len(c.homes) - 2} more folders"
    parts = [f"{plural(c.contacts, 'contact')} in {where}"]
    if c.vcard:
        parts[0] += ", vCard keys"
    elif c.spellings:
        parts[0] += ", keys like " + ", ".join(f"`{w}`" for w, _, _ in c.spellings[:2])
    parts.append(plural(c.birthdays, "birthday"))
    if c.follow_ups:
        parts.append(f"{c.follow_ups} with follow-ups")
    if c.template_folders:
        parts.append(f"templates in {', '.join(c.template_folders[:SHOWN])} skipped")
    if c.dated_folders:
        parts.append(f"dated notes in {', '.join(f or './' for f, _ in c.dated_folders[:2])}")
    return "; ".join(parts)


def config_text(c: Conventions) -> str:
    """`crm.toml` for an existing vault: what was found, as comments, then the defaults
    (which already read all of it; the comments say what to change if it is not so)."""
    lines = [
        "# plaintextcrm configuration, written by `crm init` for a vault that already had notes.",
        "#",
        "# What it found:",
        f"#   {c.notes} notes, {c.contacts} contacts"
        + (f" in {_listed(c.homes)}" if c.homes else ""),
    ]
    if c.type_words:
        lines.append(f"#   contacts by their type: {_listed(c.type_words)}")
    if c.vcard:
        lines.append("#   vCard keys (a contact-sync plugin's notes): read as they are")
    if c.spellings:
        shown = ", ".join(f"{w} → {f} ({n})" for w, f, n in c.spellings[:SHOWN])
        lines.append(f"#   keys read as fields: {shown}")
    lines.append(f"#   {c.birthdays} birthdays, {c.follow_ups} contacts with follow-ups")
    if c.template_folders:
        lines.append(f"#   templates, never read as notes: {', '.join(c.template_folders)}")
    if c.dated_folders:
        lines.append(f"#   dated notes (daily notes, meetings): {_listed(c.dated_folders)}")
    if not c.contacts:
        lines += [
            "#",
            "# No note was read as a contact. Put people in a folder listed in",
            "# [contacts] folders below, give them `type: person` (or add your own word to",
            "# [contacts] types), or tag them #person; `crm check` says which notes came",
            "# closest and why.",
        ]
    lines += ["#", "# Nothing below needs changing to read the notes above.", ""]
    defaults = DEFAULT_TOML.split("\n", 1)[1]
    return "\n".join(lines) + defaults
