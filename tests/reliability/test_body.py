"""BAD_INPUTS cases 33-37: the body of a note: dates, lists, code, links, Unicode."""

from __future__ import annotations

import json

import pytest

from .helpers import assert_clean_exit


def by_name(run) -> dict[str, dict]:
    return {c["name"]: c for c in run.contacts}


def interactions(crm, root, name: str) -> list[tuple[str, str]]:
    result = crm(root, "show", name, "--json")
    assert_clean_exit(result)
    data = json.loads(result.stdout)
    return [(i["date"], i["text"]) for i in data["interactions"]]


def test_case_33_impossible_dates_in_list_items_warn_with_the_line(vault, read_all):
    body = "# B\n- 2026-02-30 impossible\n- [ ] 2026-13-01 also impossible\n- 2026-11-02 fine\n"
    root = vault({"People/B.md": body})
    run = read_all(root)
    problems = run.about("People/B.md")
    assert [(p.line, p.level) for p in problems] == [(2, "warning"), (3, "warning")]
    assert all("impossible date" in p.message for p in problems)
    assert by_name(run)["B"]["last_contact"] == "2026-11-02"
    assert not [r for r in run.due if r["kind"] == "followup"]


def test_case_34_iso_datetime_counts_other_formats_do_not(vault, read_all, crm):
    body = (
        "- 2026-11-02T10:00 call with time\n"
        "- 2026-11-03 09:30 space and time\n"
        "- 02/11/2026 european\n"
        "- 11/02/2026 american\n"
        "- 2026/11/04 slashes\n"
        "- 20261105 compact\n"
    )
    root = vault({"People/B.md": body})
    run = read_all(root)
    assert run.about("People/B.md") == []
    assert by_name(run)["B"]["last_contact"] == "2026-11-03"
    assert {d for d, _ in interactions(crm, root, "B")} == {"2026-11-02", "2026-11-03"}


def test_case_35_indentation_and_blockquotes_count_fences_do_not(vault, read_all, crm):
    body = (
        "- parent\n"
        "    - 2026-10-01 indented four\n"
        "\t- 2026-10-02 indented by a tab\n"
        "> - 2026-10-03 in a quote\n"
        "> > * 2026-10-04 in a nested quote\n"
        "```\n"
        "- 2026-11-20 inside a fence\n"
        "- [ ] 2026-11-21 fenced task\n"
        "```\n"
        "~~~~markdown\n"
        "- 2026-11-22 inside a tilde fence\n"
        "```\n"
        "- 2026-11-22 still inside: a shorter or other fence does not close\n"
        "~~~~\n"
        "1. 2026-10-05 numbered\n"
    )
    root = vault({"People/B.md": body})
    run = read_all(root)
    dates = sorted(d for d, _ in interactions(crm, root, "B"))
    assert dates == ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05"]
    assert by_name(run)["B"]["last_contact"] == "2026-10-05"
    assert not [r for r in run.due if r["kind"] == "followup"]


def test_case_35_unclosed_fence_hides_the_rest(vault, read_all):
    root = vault(
        {"People/B.md": "- 2026-10-01 before\n```\n- 2026-11-01 after an unclosed fence\n"}
    )
    run = read_all(root)
    assert by_name(run)["B"]["last_contact"] == "2026-10-01"


LINKS = [
    "[[Anna Rossi]]",
    "[[annie]]",
    "[[Anna Rossi|Anna]]",
    "[[Anna Rossi#Work]]",
    "[[Anna Rossi^block1]]",
    "[[Anna Rossi#^block1|x]]",
    "[[People/Anna Rossi]]",
    "[[People/Anna Rossi.md]]",
    "[[Anna Rossi.md]]",
    "[Anna](People/Anna%20Rossi.md)",
    "[Anna](<People/Anna Rossi.md>)",
    "[Anna](../People/Anna%20Rossi.md#log)",
    "[[ANNA ROSSI]]",
]


@pytest.mark.parametrize("link", LINKS)
def test_case_36_every_link_form_that_names_a_contact_resolves(vault, read_all, link):
    root = vault(
        {
            "People/Anna Rossi.md": "---\naliases: [Annie]\n---\n",
            "Daily/2026-11-02.md": f"- 2026-11-02 lunch with {link} and [[Nobody Known]]\n",
            "Meetings/2026-11-03 Sync.md": f"Attendees: {link}, [[Ghost]]\n",
        }
    )
    run = read_all(root)
    assert run.problems == []  # unknown people are ignored without a problem
    assert by_name(run)["Anna Rossi"]["last_contact"] == "2026-11-03"


def test_case_36_unknown_links_and_images_are_ignored(vault, read_all):
    root = vault(
        {
            "People/Anna Rossi.md": "",
            "Daily/2026-11-02.md": "- 2026-11-02 ![[Anna Rossi.png]] [[]] [[ ]] [[#heading]] [x](https://a/b.md)\n",
        }
    )
    run = read_all(root)
    assert run.problems == []
    assert by_name(run)["Anna Rossi"]["last_contact"] is None


NAMES = [
    ("Zoë 🎉 Rossi", "zoe 🎉 rossi"),
    ("محمد علي", "محمد علي"),
    ("Nicolo\u0300 Bianchi", "NICOLO BIANCHI"),
    ("Jo\u200bhn\u200d Doe", "jo\u200bhn\u200d doe"),
    ("שָׁלוֹם Cohen", "שלום cohen"),
]


@pytest.mark.parametrize(("name", "query"), NAMES)
def test_case_37_unicode_names_and_lines_are_kept_and_lookup_folds(
    vault, read_all, crm, name, query
):
    line = f"- 2026-11-02 talked about {name} ‮reversed‬ and 👩‍👩‍👧\n"
    root = vault({"People/B.md": f"---\nname: {name}\n---\n{line}"})
    run = read_all(root)
    assert run.names() == [name]
    assert interactions(crm, root, query) == [("2026-11-02", line[len("- 2026-11-02 ") : -1])]
