"""Names that print like another name: invisible characters and look-alike letters.

`Аnna` with a Cyrillic `А`, `Anna` followed by a right-to-left override, `An​na` with a
zero-width space: each prints like `Anna`, yet is another name to lookup and links, so a
note can pose as someone else's. `crm check` warns about them (`index.py`); these are the
pure functions it asks.

The comparison follows Unicode's confusable skeletons (UTS #39, section 4): NFKC (which
already folds fullwidth and mathematical letters), drop the default-ignorable characters,
NFD, then map each letter to its prototype, the letter it is drawn like. The map is the
subset of Unicode's `confusables.txt` (version 13.0) that matters for people's names: the
Cyrillic, Greek and Armenian letters drawn like a Latin letter or digit, a few Latin
letters from phonetics (`ɑ`, `ɡ`, small capitals) and the ASCII pairs `I`/`l`/`1`,
`0`/`O`, `m`/`rn`. Letters that are ordinary in some language's alphabet (Turkish `ı`,
Danish `æ`, Vietnamese `ơ`, the hooked letters of Hausa) are left out, so a vault of
ordinary names stays quiet, and accents count (they are kept by the skeleton): `José` and
`Jose` are two names, not a look-alike. Skeletons are compared with case kept, as UTS #39
does; names that differ only in case are already duplicates.
"""

from __future__ import annotations

import unicodedata

#: The bidi controls (Unicode's Bidi_Control property): marks, embeddings, overrides and
#: isolates. Invisible, and able to reorder what is shown around them.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
#: Characters that take no space: zero-width space, joiners, word joiner, BOM, soft
#: hyphen, invisible operators, the Mongolian vowel separator, the grapheme joiner and
#: the Hangul fillers.
ZERO_WIDTH = (
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u2061\u2062\u2063\u2064\u180e\u034f"
    "\u115f\u1160\u3164\uffa0"
)
JOINERS = "\u200c\u200d"
#: Scripts whose spelling uses the zero-width joiners (Persian, Indic, Mongolian...):
#: there a ZWNJ or ZWJ between two letters is ordinary writing, not a trick.
_JOINING_SCRIPTS = frozenset({
    "ARABIC", "SYRIAC", "NKO", "MONGOLIAN", "DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI",
    "ORIYA", "TAMIL", "TELUGU", "KANNADA", "MALAYALAM", "SINHALA", "MYANMAR", "KHMER", "TIBETAN",
})  # fmt: skip
#: Scripts whose letters are drawn like Latin ones; a word that mixes one with Latin is
#: a look-alike in the making.
_LOOKALIKE_SCRIPTS = frozenset({"CYRILLIC", "GREEK", "ARMENIAN"})

# Source letter, then its prototype, per pair (from Unicode's confusables.txt, see above).
_PAIRS = (
    "Ꙅ2 З3 Ӡ3 б6 ɑa αa аa ΑA АA ӕae ӔAE Ьb ΒB ВB Ыbl ᴄc сc СC ԁd еe ҽe ΕE ЕE քf ϜF ɡg ᶃg "
    "ցg ԌG һh հh ΗH НH ɪi ɩi ιi іi ꙇi ӏi ϳj јj ͿJ ЈJ ΚK КK 1l Il Ɩl ǀl Ιl Іl Ӏl ЮlO ΜM ϺM "
    "МM ոn ռn ΝN ᴏo ᴑo ꬽo οo σo оo օo 0O ΟO ОO ՕO ꚙoo ꚘOO ρp рp ΡP РP ԛq գq զq ᴦr гr mrn "
    "ꜱs ѕs ЅS ՏS ΤT ТT ᴜu υu սu ՍU ᴠv νv ѵv ѴV ᴡw ѡw ԝw աw ԜW хx ΧX ХX ʏy γy уy үy ΥY "
    "УY ҮY ᴢz ΖZ"
)
_PROTOTYPES = str.maketrans({pair[0]: pair[1:] for pair in _PAIRS.split()})
_ASCII_PROTOTYPES = {k: v for k, v in _PROTOTYPES.items() if k < 128}
_FOREIGN_PROTOTYPES = {k: v for k, v in _PROTOTYPES.items() if k >= 128}


def _script(char: str) -> str:
    """The script of a letter, from its Unicode name (`CYRILLIC SMALL LETTER A`)."""
    return unicodedata.name(char, "").partition(" ")[0]


def _ignorable(char: str) -> bool:
    return (
        unicodedata.category(char) == "Cf"
        or char in ZERO_WIDTH
        or "\ufe00" <= char <= "\ufe0f"
        or "\U000e0100" <= char <= "\U000e01ef"
    )


def skeleton(name: str) -> str:
    """What `name` looks like: two names with the same skeleton print alike."""
    if name.isascii():
        return " ".join(name.translate(_ASCII_PROTOTYPES).split())
    text = unicodedata.normalize("NFKC", name)
    text = "".join(c for c in text if not _ignorable(c))
    text = unicodedata.normalize("NFD", text).translate(_PROTOTYPES)
    return " ".join(unicodedata.normalize("NFD", text).split())


def lookalike_letters(name: str) -> list[str]:
    """The letters of `name` that are drawn like another script's (`А`, not `A`), each
    once, in order; ASCII letters never count."""
    return list(dict.fromkeys(c for c in name if ord(c) > 127 and ord(c) in _PROTOTYPES))


def invisible_characters(name: str) -> list[str]:
    """The bidi controls and zero-width characters in `name`, each once, in order. A
    joiner between two letters of a script that spells with it (Persian, Indic) or inside
    an emoji sequence (👩‍💻) is writing, not a trick, and is not counted."""
    if name.isascii():
        return []
    found = []
    for i, char in enumerate(name):
        if char in BIDI_CONTROLS or char in ZERO_WIDTH:
            if char in JOINERS and _joins(name, i):
                continue
            found.append(char)
    return list(dict.fromkeys(found))


def _joins(name: str, i: int) -> bool:
    before, after = name[i - 1 : i], name[i + 1 : i + 2]
    if not before or not after:
        return False
    if name[i] == "\u200d" and all(_emoji_part(c) for c in (before, after)):
        return True
    return _script(before) in _JOINING_SCRIPTS and _script(after) in _JOINING_SCRIPTS


def _emoji_part(char: str) -> bool:
    """A pictograph, the emoji presentation selector or a skin-tone modifier."""
    if char == "\ufe0f" or "\U0001f3fb" <= char <= "\U0001f3ff":
        return True
    return unicodedata.category(char) == "So"


def mixed_script_word(name: str) -> str | None:
    """The first word of `name` that mixes Latin letters with Cyrillic, Greek or Armenian
    ones (`Аnna`), or None. Whole words in one script (`Иван Smith`) are ordinary."""
    if name.isascii():
        return None
    for word in name.split():
        scripts = {_script(c) for c in word if c.isalpha()}
        if "LATIN" in scripts and scripts & _LOOKALIKE_SCRIPTS:
            return word
    return None


def printed_as(name: str) -> str:
    """How `name` reads on screen: invisible characters gone, look-alike letters as the
    Latin ones they are drawn like (`Аnna` → `Anna`)."""
    text = "".join(c for c in unicodedata.normalize("NFKC", name) if not _ignorable(c))
    return text.translate(_FOREIGN_PROTOTYPES)


def describe(chars: list[str]) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE, U+0410 CYRILLIC CAPITAL LETTER A` for a message."""
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in chars)
