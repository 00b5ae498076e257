"""BAD_INPUTS cases 23-32: values of the wrong form, shape or type."""

from __future__ import annotations

from datetime import date

import pytest

GOOD = {"People/Anna Rossi.md": "---\ncadence: 2w\n---\n- 2026-11-01 coffee\n"}


def note(front: str, body: str = "- 2026-11-02 call\n") -> str:
    return f"---\n{front}---\n{body}"


def by_name(run) -> dict[str, dict]:
    return {c["name"]: c for c in run.contacts}


def test_case_23_impossible_birthday_is_an_error_and_the_note_is_used(vault, read_all):
    root = vault({**GOOD, "People/B.md": note("cadence: 1w\nbirthday: 1990-02-30\n")})
    run = read_all(root, check_codes=(1,))
    [problem] = run.about("People/B.md")
    assert (problem.level, problem.line) == ("error", 3)
    assert "invalid date" in problem.message
    assert by_name(run)["B"]["last_contact"] == "2026-11-02"
    assert [r["kind"] for r in run.due if r["contact"] == "B"] == ["reconnect"]


@pytest.mark.parametrize("value", ["14/03", "March 14", "1990", "1990-3-14", "'2026-02-30'"])
def test_case_24_unreadable_birthday_states_the_accepted_forms(vault, read_all, value):
    root = vault({**GOOD, "People/B.md": note(f"birthday: {value}\n")})
    run = read_all(root, check_codes=(1,))
    [problem] = run.about("People/B.md")
    assert (problem.level, problem.line) == ("error", 2)
    assert "invalid date" in problem.message
    if "30" not in value:
        assert "YYYY-MM-DD, --MM-DD or MM-DD" in problem.message
    assert "B" in by_name(run)


@pytest.mark.parametrize("value", ["--02-29", "1992-02-29", "02-29"])
@pytest.mark.parametrize(
    ("today", "expected"), [("2027-02-20", "2027-02-28"), ("2028-02-20", "2028-02-29")]
)
def test_case_25_feb_29_is_valid_and_falls_on_feb_28_in_common_years(
    vault, read_all, value, today, expected
):
    root = vault({**GOOD, "People/B.md": note(f"birthday: {value}\n")})
    run = read_all(root, today=date.fromisoformat(today))
    assert run.about("People/B.md") == []
    [birthday] = [r for r in run.due if r["kind"] == "birthday"]
    assert birthday["date"] == expected


def test_case_26_phone_numbers_keep_the_text_the_user_typed(vault, read_all):
    front = (
        "phone: 12:34:56\nphones:\n  - 0123\n  - +39 333 1234567\n  - 0x1F\n  - 1_000\n  - 1e3\n"
    )
    root = vault({**GOOD, "People/B.md": note(front)})
    run = read_all(root)
    assert run.about("People/B.md") == []
    assert by_name(run)["B"]["phones"] == [
        "12:34:56",
        "0123",
        "+39 333 1234567",
        "0x1F",
        "1_000",
        "1e3",
    ]


def test_case_27_yaml_booleans_in_text_fields_stay_text(vault, read_all):
    front = "country: NO\nactive: yes\nlocation: NO\ncompany: off\nrole: y\ntags: [yes, no]\n"
    root = vault({**GOOD, "People/B.md": note(front)})
    run = read_all(root)
    assert run.about("People/B.md") == []
    b = by_name(run)["B"]
    assert (b["company"], b["tags"]) == ("off", ["yes", "no"])


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("often", "invalid cadence"),
        ("-3d", "negative"),
        ("-3", "negative"),
        ("10000y", "longer than 100 years"),
        ("99999999999999999999d", "longer than 100 years"),
        ("[1, 2]", "should be text"),
        ("101y", "longer than 100 years"),
        ("100y", None),
        ("1200m", None),
        ("0", None),
        ("never", None),
    ],
)
def test_case_28_bad_cadences_are_errors_zero_is_none(vault, read_all, value, error):
    root = vault({**GOOD, "People/B.md": note(f"cadence: {value}\n", "- 2000-01-01 long ago\n")})
    run = read_all(root, check_codes=(1,) if error else (0,))
    problems = run.about("People/B.md")
    if error:
        [problem] = problems
        assert (problem.level, problem.line) == ("error", 2)
        assert error in problem.message
    else:
        assert problems == []
    assert not [r for r in run.due if r["contact"] == "B"]  # no reconnect from a bad cadence


def test_case_29_unknown_circle_warns_and_gives_no_cadence(vault, read_all):
    root = vault({**GOOD, "People/B.md": note("circle: vip\n", "- 2000-01-01 long ago\n")})
    run = read_all(root)
    [problem] = run.about("People/B.md")
    assert (problem.level, problem.line) == ("warning", 2) and "vip" in problem.message
    assert by_name(run)["B"]["cadence"] is None
    assert not [r for r in run.due if r["contact"] == "B"]


@pytest.mark.parametrize(
    ("front", "warned"),
    [
        ("aliases: null\n", False),
        ('tags: ""\n', False),
        ("email: [null]\n", False),
        ("emails: []\nphones: {}\n", True),
        ("company: [Acme, Beta]\n", False),  # a list of companies: the first is shown
        ("name: [B, C]\n", True),
        ("aliases: {a: 1}\n", True),
        ("dates: {date: 2020-01-01}\n", False),
        ("dates: [[1, 2]]\n", True),
        ("tags: {a: b}\n", False),
        ("last_contact: [2026-01-01]\n", True),
        ("birthday: {month: 3}\n", True),
        ("email:\n  nested: {deep: [1, 2]}\n", True),
    ],
)
def test_case_30_null_empty_and_wrong_shapes_never_crash(vault, read_all, front, warned):
    root = vault({**GOOD, "People/B.md": note(front)})
    run = read_all(root)
    problems = run.about("People/B.md")
    assert bool(problems) == warned, problems
    assert by_name(run)["B"]["last_contact"] == "2026-11-02"


@pytest.mark.parametrize(
    ("front", "snooze_or_last"),
    [
        ("cadence: 1w\nsnooze: 2026-12-10T10:00:00+02:00\n", "2026-12-10"),
        ("cadence: 1w\nsnooze: 2026-12-10 23:30:00 -05:00\n", "2026-12-10"),
        ("cadence: 1w\nsnooze: '2026-12-10T10:00Z'\n", "2026-12-10"),
    ],
)
def test_case_31_datetimes_with_zones_are_used_as_dates(vault, read_all, front, snooze_or_last):
    root = vault({**GOOD, "People/B.md": note(front)})
    run = read_all(root)
    assert run.about("People/B.md") == []
    [reconnect] = [r for r in run.due if r["contact"] == "B"] or [None]
    assert reconnect is None or reconnect["date"] >= snooze_or_last
    run_far = read_all(root, today=date(2026, 12, 5))
    [reconnect] = [r for r in run_far.due if r["contact"] == "B"]
    assert reconnect["date"] == snooze_or_last


def test_case_31_future_last_contact_is_a_warning_and_used_as_date(vault, read_all):
    root = vault(
        {**GOOD, "People/B.md": note("cadence: 1w\nlast_contact: 2027-01-01T09:00:00+01:00\n", "")}
    )
    run = read_all(root)
    [problem] = run.about("People/B.md")
    assert problem.level == "warning" and "future" in problem.message
    run_later = read_all(root, today=date(2027, 1, 3))
    assert by_name(run_later)["B"]["last_contact"] == "2027-01-01"


def test_case_32_same_name_or_alias_is_an_error_in_both_files_and_lookup_stops(
    vault, read_all, crm
):
    root = vault(
        {
            "People/Anna Rossi.md": "---\naliases: [Annie]\n---\n",
            "Contacts/Anna Rossi.md": "---\nname: Anna Rossi\n---\n",
            "People/Annie B.md": "---\nname: Annie\n---\n",
            "Daily/2026-11-02.md": "- 2026-11-02 met [[Annie]] and [[Anna Rossi]]\n",
        }
    )
    run = read_all(root, check_codes=(1,))
    errors: dict[str, str] = {}
    for p in run.problems:
        if p.level == "error":
            errors[p.path] = errors.get(p.path, "") + p.message
    assert set(errors) == {"People/Anna Rossi.md", "Contacts/Anna Rossi.md", "People/Annie B.md"}
    assert "Contacts/Anna Rossi.md" in errors["People/Anna Rossi.md"]
    assert "People/Annie B.md" in errors["People/Anna Rossi.md"]
    assert "People/Anna Rossi.md" in errors["Contacts/Anna Rossi.md"]
    assert "People/Anna Rossi.md" in errors["People/Annie B.md"]
    assert all(c["last_contact"] is None for c in run.contacts)  # links did not guess
    for name in ("Anna Rossi", "annie"):
        result = crm(root, "show", name)
        assert result.exit_code == 2
        assert "People/Anna Rossi.md" in result.stderr
