"""Which key means which contact field: normalised keys, synonyms, vCard keys.

People write `Birthday`, `birth date`, `dob`, `BDAY` or `geburtstag` for the same thing,
depending on the template, the plugin or the language they started with. Every key is
first normalised the way Dataview does it (case folded; space, `-` and `_` alike; a
vCard `[TYPE]` dropped), then looked up in one table. Keeping that table here, and
nowhere else, is what lets the parser, `crm check`'s "did you mean" and `crm init`'s
report agree on what a key means.

Pure: no I/O. Lookups are memoised, because a vault repeats the same few keys in
thousands of notes.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: field → the other keys it is read from (all normalised). The first column of the
#: field table of docs/notes.md; `[fields]` in crm.toml adds to the right-hand side.
FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("fn", "full_name", "display_name"),
    "aliases": ("alias", "nickname", "nicknames"),
    "birthday": ("bday", "birthdate", "birth_date", "date_of_birth", "dob", "born",
                 "prm_birthday"),
    "dates": ("important_dates",),
    "anniversary": (),
    "cadence": ("frequency", "contact_frequency", "keep_in_touch", "reconnect_every",
                "prm_frequency"),
    "circle": ("tier", "prm_tier"),
    "last_contact": ("last_contacted", "last_contacted_on", "lastcontact", "last_interaction",
                     "last_chat", "last_talked", "prm_last_contacted"),
    "follow_up": ("next_follow_up", "next_followup", "followup", "follow_up_on",
                  "next_contact", "next_action_date", "remind_on"),
    "follow_up_text": ("next_action", "next_step"),
    "snooze": (),
    "created": ("added", "date_created"),
    "emails": ("email", "e_mail", "mail", "email_address"),
    "phones": ("phone", "phone_number", "tel", "telephone", "mobile", "cell"),
    "company": ("org", "organization", "organisation", "organizations", "employer",
                "works_at", "customer"),
    "role": ("title", "job_title", "position", "occupation"),
    "location": ("city", "adr.locality"),
    "met": (),
    "url": ("website", "homepage"),
    "linkedin": (),
    "tags": (),
    # The card's identity for phones: a vCard-sync plugin's `UID`, kept through renames.
    "uid": (),
    # vCard `N` parts: the name when there is no `FN` or `name`.
    "given_name": ("n.gn",),
    "middle_name": ("n.mn",),
    "family_name": ("n.fn",),
}  # fmt: skip

#: Fields that hold several values: every key that gives one adds to the list, so
#: `email` + `emails`, or `EMAIL[HOME]` + `EMAIL[WORK]`, is never a conflict.
LIST_FIELDS = frozenset({"aliases", "emails", "phones", "tags", "dates"})

#: Keys that say what kind of note this is (a person, a company, a meeting...).
TYPE_KEYS = frozenset({"type", "category", "categories", "kind", "fileclass", "class"})

#: Words a type-like key holds for a person; a namespaced form (`crm-contact`,
#: `crm/person`, `prm:person`) counts when its last part is one.
PERSON_WORDS = frozenset({"person", "people", "contact", "contacts", "individual"})

#: Tags that make a note a contact (nested ones too: `people/friends`).
PERSON_TAGS = frozenset({"person", "people", "contact"})

#: Other keys the tool reads (a dated note's `date`) or that contact-sync plugins write
#: (vCard housekeeping): known, so never the subject of a "did you mean".
OTHER_KEYS = frozenset({"date", "photo", "version", "rev", "gender", "note", "n.prefix",
                        "n.suffix", "prodid"})  # fmt: skip

_BRACKET = re.compile(r"\[[^\]]*\]")
_SEPARATORS = re.compile(r"[\s\-_]+")


@lru_cache(maxsize=4096)
def normalise(key: str) -> str:
    """`Phone Number` → `phone_number`, `EMAIL[HOME]` → `email`, `**Born**` → `born`."""
    text = key.strip().strip("*").casefold()
    if "[" in text:
        text = _BRACKET.sub("", text)
    return _SEPARATORS.sub("_", text).strip("_")


def is_typed(key: str) -> bool:
    """A vCard key with a `[TYPE]` (`EMAIL[HOME]`, `URL[WORK]`): several of them for one
    field are the normal case, never a conflict."""
    return "[" in key


def is_vcard_categories(key: str) -> bool:
    """vCard `CATEGORIES` (written upper-case by contact-sync plugins) is a tag list, not
    the `categories` of a note-type convention (`categories: [[People]]`)."""
    return key.strip() == "CATEGORIES"


@lru_cache(maxsize=64)
def table(extra: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> dict[str, str]:
    """Normalised key → field, with `[fields]` synonyms (`extra`) added. Take it once per
    note and look keys up in it: cheaper than a call per key."""
    table: dict[str, str] = {}
    for field, synonyms in FIELDS.items():
        table[field] = field
        for synonym in synonyms:
            table[synonym] = field
    for field, synonyms in extra:
        for synonym in synonyms:
            table.setdefault(normalise(synonym), field)
    return table


def known(key: str, extra: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> bool:
    """Whether a normalised key means something to the tool (so needs no suggestion)."""
    return (
        key in table(extra)
        or key in TYPE_KEYS
        or key in OTHER_KEYS
        or key.startswith(("adr.", "x_", "x-", "social"))
    )


@lru_cache(maxsize=4096)
def suggest(key: str, extra: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> str | None:
    """The key this one is a typo of (`last_contated` → `last_contacted`), or None.

    Only near misses: one edit (two for long keys) away, and never for short keys or a
    known key plus a number (`email2`), so that the ordinary keys of a vault (`status`,
    `rating`, `related`) never draw a warning.
    """
    if len(key) < 4 or known(key, extra):
        return None
    if key.rstrip("0123456789_") != key and known(key.rstrip("0123456789_"), extra):
        return None
    limit = 2 if len(key) >= 10 else 1
    best: tuple[int, str] | None = None
    candidates = (*table(extra), *TYPE_KEYS, "tags")
    for candidate in candidates:
        if "." in candidate or abs(len(candidate) - len(key)) > limit:
            continue
        distance = _distance(key, candidate, limit)
        if distance <= limit and (best is None or (distance, candidate) < best):
            best = (distance, candidate)
    return best[1] if best else None


def _distance(a: str, b: str, limit: int) -> int:
    """Edit distance counting a swap of two neighbours as one edit; stops past `limit`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def person_word(value: str, extra_words: tuple[str, ...] = ()) -> bool:
    """`person`, `Contact`, `crm-contact`, `crm/person`, `prm:person` → True."""
    word = value.strip().casefold()
    if word in PERSON_WORDS or word in extra_words:
        return True
    last = re.split(r"[-/:.]", word)[-1]
    return last in PERSON_WORDS or last in extra_words


def person_tag(tag: str) -> bool:
    """`person`, `#People`, `people/friends` → True; `peoplewatching` → False."""
    return tag.lstrip("#").split("/", 1)[0].casefold() in PERSON_TAGS
