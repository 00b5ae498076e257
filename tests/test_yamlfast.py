"""The front-matter fast path reads what the YAML loader reads, or leaves it to it."""

from __future__ import annotations

from hypothesis import event, given, settings
from hypothesis import strategies as st

from plaintextcrm import yamlfast
from plaintextcrm.parse import _Meta, _Notes, _read_yaml

#: Pieces of scalars: plain words, YAML's special spellings, and the characters that
#: change what a line means (indicators, comment marks, quotes, escapes, separators).
ATOMS = st.sampled_from(
    ["Anna", "Rossi", "1990-11-30", "12:30", "2w", "yes", "No", "null", "~", "Null", "NULL",
     "true", "0123", "1e3", ".inf", "…", "Nicolò", "Łukasz", "田中", "a@x.org", "+39 339",
     "https://x.org/a?b=c", "[[Anna Rossi]]", "[[A|B]]", "#tag", "C#", "&a", "*a", "!!str",
     "!x", "|", ">", "-", "- x", "?", ":", ": ", " #", ",", "[", "]", "{", "}", "'", '"',
     "\\", "\\n", "%", "@", "`", "...", "---", "=", "<<", "\t", "\u00a0", "\u2028", " ", ""]
)  # fmt: skip
PLAIN = st.sampled_from(
    ["Anna", "Rossi", "1990-11-30", "12:30", "2w", "yes", "null", "~", "0123", "Nicolò",
     "田中", "a@x.org", "https://x.org/a", "[[Anna Rossi]]", "C#", "a:b", "...", "=", "x y"]
)  # fmt: skip
text = st.one_of(
    st.lists(PLAIN, min_size=1, max_size=3).map(" ".join),  # mostly the plain shape
    st.lists(PLAIN, min_size=1, max_size=3).map(" ".join),
    st.lists(st.one_of(PLAIN, ATOMS), max_size=4).map("".join),
    st.lists(ATOMS, max_size=4).map("".join),
)
scalar = st.one_of(
    text,
    text,
    text.map(lambda t: f'"{t}"'),
    text.map(lambda t: f"'{t}'"),
)
GOOD_KEYS = st.sampled_from(["name", "aliases", "birthday", "last_contact", "tags", "x-y"])
KEYS = st.one_of(
    GOOD_KEYS,
    GOOD_KEYS,
    GOOD_KEYS,
    st.sampled_from(["_k", "null", "True", "2024", "a b", "a:b", "#c", "?k", "- k", ""]),
)
INDENTS = st.sampled_from(["", " ", "  ", "    ", "\t"])


@st.composite
def entry(draw: st.DrawFn) -> str:
    key = draw(KEYS)
    sep = draw(st.sampled_from([": "] * 6 + [":  ", ":", " : "]))
    kind = draw(st.sampled_from(["scalar"] * 3 + ["flow", "block", "block", "empty", "raw"]))
    if kind == "scalar":
        return f"{key}{sep}{draw(scalar)}{draw(st.sampled_from(['', ' ', '  # c']))}"
    if kind == "flow":
        items = draw(st.lists(scalar, max_size=4))
        return f"{key}{sep}[{draw(st.sampled_from([', ', ',']).map(lambda s: s.join(items)))}]"
    if kind == "block":
        indent = draw(INDENTS)
        items = draw(st.lists(scalar, min_size=1, max_size=3))
        other = draw(INDENTS)  # sometimes an item at another indent
        rows = [f"{indent}- {v}" for v in items]
        if draw(st.integers(0, 3)) == 0:
            rows.append(f"{other}- {draw(scalar)}")
        return f"{key}:\n" + "\n".join(rows)
    if kind == "empty":
        return f"{key}{sep.rstrip()}"
    return draw(st.sampled_from(["", "# comment", "  nested: x", "- item", "---", "..."]))


front = st.lists(entry(), min_size=1, max_size=4).map("\n".join)


@settings(max_examples=1500)
@given(front)
def test_the_fast_path_agrees_with_the_yaml_loader(source):
    fast = yamlfast.read(source)
    event("left to the loader" if fast is None else "fast path")
    if fast is None:
        return
    notes = _Notes("n.md")
    slow = _read_yaml_only(source, notes)
    assert notes.problems == []
    assert (fast[0], fast[1]) == (slow.values, slow.lines)


def _read_yaml_only(source: str, notes: _Notes) -> _Meta:
    """`_read_yaml` with the fast path off: the loader's own reading."""
    real = yamlfast.read
    yamlfast.read = lambda source: None  # type: ignore[assignment]
    try:
        return _read_yaml(source, notes)
    finally:
        yamlfast.read = real


def test_the_shapes_notes_have_take_the_fast_path():
    source = (
        'name: Anna Rossi\ncompany: "[[Acme]]"\nbirthday: 1990-11-30\ncadence: "90"\n'
        "tags: [climbing, client]\nemails:\n  - a@x.org\n  - anna@y.it\nphones:\n"
        '- "+39 339 725 2871"\nsnooze:\nlinkedin: https://www.linkedin.com/in/anna-rossi'
    )
    values, lines = yamlfast.read(source)
    assert values == {
        "name": "Anna Rossi", "company": "[[Acme]]", "birthday": "1990-11-30",
        "cadence": "90", "tags": ["climbing", "client"], "emails": ["a@x.org", "anna@y.it"],
        "phones": ["+39 339 725 2871"], "snooze": None,
        "linkedin": "https://www.linkedin.com/in/anna-rossi",
    }  # fmt: skip
    assert lines["emails"] == 7 and lines["linkedin"] == 13
    assert _read_yaml_only(source, _Notes("n.md")).values == values


def test_anything_else_is_left_to_the_loader():
    for source in ("a: 1\na: 2", "a: b # c", "a: &x 1\nb: *x", "a:\n  b: c", "a: |\n  x",
                   "a: 'it''s'", 'a: "tab\\t"', "a:\tb", "a: [x, [y]]", "a: {b: c}"):  # fmt: skip
        assert yamlfast.read(source) is None, source
