"""The JSON of `--json` is exactly what `json.dumps(..., ensure_ascii=False, indent=2)`
writes, whichever encoder wrote it."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from plaintextcrm.render.jsonout import indented

#: What `--json` outputs hold: text (any code point, controls, bidi, surrogates),
#: integers of any size, booleans, null; lists; objects keyed by text (or not, refused).
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63), st.text()
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.text(max_size=8), inner, max_size=5),
        st.dictionaries(st.integers(), inner, min_size=1, max_size=2),
    ),
    max_leaves=40,
)


@settings(max_examples=500)
@given(values)
def test_same_text_as_the_standard_library(value):
    assert indented(value) == json.dumps(value, ensure_ascii=False, indent=2)


def test_a_contact_list_as_crm_list_prints_it():
    row = {"name": "Nicolò", "aliases": [], "tags": ["a", "b"], "circle": None, "gave": 3,
           "next_reminder": {"date": "2026-11-25", "text": "\u202eevil\x7f"}, "emails": []}  # fmt: skip
    assert indented([row, row]) == json.dumps([row, row], ensure_ascii=False, indent=2)
