"""Issue 15 item 8: names that print like another name are `crm check` warnings.

A Cyrillic `А` in `Аnna`, a right-to-left override or a zero-width space make a name
that prints like `Anna` but is another name to lookup and links. A vault of ordinary
names in many scripts stays quiet.
"""

from __future__ import annotations

import json

import pytest

from plaintextcrm.lookalike import (
    invisible_characters,
    mixed_script_word,
    printed_as,
    skeleton,
)

from .helpers import assert_clean_exit


def contact(name: str, aliases: tuple[str, ...] = ()) -> str:
    quoted = ", ".join(json.dumps(a, ensure_ascii=False) for a in aliases)
    also = f"aliases: [{quoted}]\n" if aliases else ""
    return f"---\nname: {json.dumps(name, ensure_ascii=False)}\n{also}---\n"


def warnings(crm, root) -> dict[str, list[str]]:
    result = crm(root, "check", "--json")
    assert_clean_exit(result)  # warnings only: exit 0
    out: dict[str, list[str]] = {}
    for problem in json.loads(result.stdout):
        assert problem["level"] == "warning", problem
        out.setdefault(problem["path"], []).append(problem["message"])
    return out


@pytest.mark.parametrize(
    ("spoof", "named"),
    [
        ("Аnna Rossi", "U+0410 CYRILLIC CAPITAL LETTER A"),  # Cyrillic А
        ("Anna Rossi\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("An\u200bna Rossi", "U+200B ZERO WIDTH SPACE"),
        ("Αnna Rοssi", "U+0391 GREEK CAPITAL LETTER ALPHA"),  # Greek Α and ο
        ("Ａｎｎａ Rossi", None),  # fullwidth letters (NFKC)
    ],
    ids=["cyrillic", "rtl-override", "zero-width", "greek", "fullwidth"],
)
def test_a_name_that_prints_like_another_contact_warns_in_both_files(vault, crm, spoof, named):
    root = vault({"People/Anna Rossi.md": contact("Anna Rossi"), "People/Spoof.md": contact(spoof)})
    found = warnings(crm, root)
    assert any(
        "looks like `Anna Rossi` (People/Anna Rossi.md)" in m for m in found["People/Spoof.md"]
    )
    assert any("(People/Spoof.md)" in m for m in found["People/Anna Rossi.md"])
    if named:
        assert any(named in m for m in found["People/Spoof.md"]), found


def test_an_alias_that_looks_like_another_contacts_name_warns(vault, crm):
    root = vault(
        {
            "People/Anna Rossi.md": contact("Anna Rossi"),
            "People/Eve.md": contact("Eve", aliases=("Аnna Rossi",)),
        }
    )
    found = warnings(crm, root)
    assert any("`Аnna Rossi` looks like `Anna Rossi`" in m for m in found["People/Eve.md"])


def test_invisible_characters_in_a_name_warn_even_without_a_twin(vault, crm):
    root = vault(
        {"People/A.md": contact("Bo\u2066b\u2069 Smith"), "People/B.md": contact("Ca\u200dro")}
    )
    found = warnings(crm, root)
    assert "U+2066 LEFT-TO-RIGHT ISOLATE" in found["People/A.md"][0]
    assert "prints as `Bob Smith`" in found["People/A.md"][0]
    assert "U+200D ZERO WIDTH JOINER" in found["People/B.md"][0]


def test_a_word_mixing_latin_and_cyrillic_warns_even_without_a_twin(vault, crm):
    root = vault({"People/Sergey.md": contact("Sergеy Brin")})  # Cyrillic е
    (message,) = warnings(crm, root)["People/Sergey.md"]
    assert "mixes scripts in `Sergеy`" in message
    assert "U+0435 CYRILLIC SMALL LETTER IE" in message and "prints as `Sergey Brin`" in message


#: Ordinary names from many languages, with near twins that are simply other names.
ORDINARY = [
    "José Álvarez", "Jose Alvarez", "Zoë", "Zoe", "Søren", "Soren", "Łukasz", "Lukasz",
    "Yılmaz", "Yilmaz", "Nguyễn Văn An", "Nguyen Van An", "François", "Francois",
    "山田太郎", "山田 花子", "김민준", "Иван Петров", "Ivan Petrov", "Анна", "Ελένη", "Eleni",
    "محمد", "نرگس\u200cزاده",  # Persian: the ZWNJ is part of the spelling
    "क्\u200dष", "अर्जुन",  # Devanagari with a joiner between letters
    "Ada 👩\u200d💻", "Kim", "Kirn", "Ian", "Ian Smith", "Иван Smith", "Ævar", "Aevar",
]  # fmt: skip


def test_ordinary_names_in_many_scripts_are_quiet(vault, crm):
    root = vault({f"People/p{i}.md": contact(name) for i, name in enumerate(ORDINARY)})
    assert warnings(crm, root) == {}


def test_skeletons_follow_unicode_confusables():
    assert skeleton("Аnna") == skeleton("Anna")
    assert skeleton("Ꭺnna") != skeleton("Anna")  # Cherokee: not in the map, not a false alarm
    assert skeleton("José") != skeleton("Jose")  # accents count
    assert skeleton("Anna\u202e\u200b") == skeleton("Anna")
    assert printed_as("Аnna\u200b") == "Anna"
    assert invisible_characters("Ada 👩\u200d💻") == []
    assert invisible_characters("Ada\u200d") == ["\u200d"]
    assert mixed_script_word("Иван Smith") is None
    assert mixed_script_word("Иван Smіth") == "Smіth"
