"""plan_import: matching by email, phone, name; merges add only what is missing."""

from __future__ import annotations

from datetime import date

from plaintextcrm.config import parse_config
from plaintextcrm.importers.merge import Addition, phone_key, plan_import
from plaintextcrm.importers.record import ImportRecord
from plaintextcrm.index import build_index
from plaintextcrm.parse import parse_note

CONFIG = parse_config({})


def index_of(notes: dict[str, str]):
    parsed = [parse_note(rel, text.encode(), CONFIG) for rel, text in notes.items()]
    return build_index("/v", parsed, CONFIG, date(2026, 11, 23))


def rec(name: str, **kw) -> ImportRecord:
    return ImportRecord(name=name, origin=kw.pop("origin", "f.vcf:1"), source="vcard", **kw)


def test_phone_key_uses_the_default_region():
    assert phone_key("333 1234567", "IT") == phone_key("+39 333-123-4567", None) == "+393331234567"
    assert phone_key("0161 99999999", None) == "digits:016199999999"
    assert phone_key("tel:+44 7700 900123", None) == "+447700900123"


def test_new_contact_in_the_first_contact_folder():
    plan = plan_import(index_of({}), [rec("Anna Rossi", emails=("a@x.it",))], folder="Contacts")
    (new,) = plan.new
    assert new.path == "Contacts/Anna Rossi.md"
    assert new.field_dict() == {"email": "a@x.it"}


def test_match_by_email_case_insensitively_then_merge_missing_values():
    idx = index_of(
        {"People/Anna.md": "---\nname: Anna Rossi\nemail: Anna@X.it\ncompany: Acme\n---\n"}
    )
    plan = plan_import(
        idx, [rec("A. Rossi", emails=("anna@x.it", "b@y.z"), company="Other", role="CTO")]
    )
    (merge,) = plan.merged
    assert merge.path == "People/Anna.md"
    assert merge.additions == (Addition("emails", "b@y.z"), Addition("role", "CTO"))
    assert merge.kept == ("company 'Acme' (import: 'Other')",)
    assert not plan.new


def test_match_by_phone_with_region():
    idx = index_of({"People/Anna Rossi.md": "---\nphone: '333 1234567'\n---\n"})
    plan = plan_import(idx, [rec("Anna R.", phones=("+39 333 123 4567",))], "IT")
    assert [u.path for u in plan.unchanged] == ["People/Anna Rossi.md"]
    plan = plan_import(idx, [rec("Anna R.", phones=("+39 333 123 4567",))], None)
    assert [n.name for n in plan.new] == ["Anna R."]  # without a region, no match


def test_match_by_exact_name_or_alias():
    idx = index_of({"People/Anna Rossi.md": "---\naliases: [Annina]\n---\n"})
    assert plan_import(idx, [rec("anna rossi")]).unchanged
    assert plan_import(idx, [rec("Annina")]).unchanged
    assert plan_import(idx, [rec("Anna Ross")]).new


def test_email_wins_over_name_only_when_the_names_agree():
    idx = index_of(
        {
            "People/Anna Rossi.md": "---\n---\n",
            "People/Bea.md": "---\nname: Anna Bea Verdi\nemail: b@x.it\n---\n",
        }
    )
    plan = plan_import(idx, [rec("Anna Rossi", emails=("b@x.it",))])  # same given name
    assert [u.path for u in plan.unchanged] == ["People/Bea.md"]
    assert plan.unchanged[0].matched == (("Anna Rossi", "email b@x.it"),)
    idx = index_of(
        {"People/Anna Rossi.md": "---\n---\n", "People/Bea.md": "---\nemail: b@x.it\n---\n"}
    )
    plan = plan_import(idx, [rec("Anna Rossi", emails=("b@x.it",))])  # a shared address
    assert [m.path for m in plan.merged] == ["People/Anna Rossi.md"]
    assert plan.merged[0].matched == (("Anna Rossi", "name"),)


def test_ambiguous_match_is_skipped_with_both_names():
    idx = index_of(
        {"People/Sam.md": "---\nemail: a@x\n---\n", "People/Sam B.md": "---\nemail: b@x\n---\n"}
    )
    plan = plan_import(idx, [rec("Sam", emails=("a@x", "b@x"))])
    (skip,) = plan.skipped
    assert "several contacts" in skip.reason and "People/Sam.md" in skip.reason
    assert not plan.new and not plan.merged


def test_duplicates_inside_one_import_become_one_note():
    plan = plan_import(
        index_of({}),
        [
            rec("Anna Rossi", emails=("a@x",), origin="f:1"),
            rec("Anna R.", emails=("A@X",), phones=("+39 333 1234567",), origin="f:9"),
            rec("Anna Rossi", tags=("friends",), origin="g:2"),
        ],
    )
    (new,) = plan.new
    assert new.origins == ("f:1", "f:9", "g:2")
    assert new.field_dict() == {"email": "a@x", "phone": "+39 333 1234567", "tags": ["friends"]}


def test_never_overwrites_and_existing_birthday_wins():
    idx = index_of({"People/Anna Rossi.md": "---\nbirthday: --03-14\ntags: [Friends]\n---\n"})
    plan = plan_import(idx, [rec("Anna Rossi", birthday="1990-03-14", tags=("friends", "new"))])
    (merge,) = plan.merged
    assert merge.additions == (Addition("tags", "new"),)


def test_aliases_another_contact_answers_to_are_not_added():
    idx = index_of({"People/Anna Rossi.md": "---\n---\n", "People/Annina.md": "---\n---\n"})
    plan = plan_import(idx, [rec("Anna Rossi", aliases=("Annina", "Nana"))])
    assert plan.merged[0].additions == (Addition("aliases", "Nana"),)


def test_file_names_are_safe_and_unique():
    from plaintextcrm.writefile import safe_filename

    plan = plan_import(
        index_of({}),
        [rec("x", emails=("1@x",)), rec("../../etc/passwd", emails=("2@x",)), rec("CON")],
        taken=["People/X.md"],
        filename=safe_filename,
    )
    paths = [n.path for n in plan.new]
    assert paths[0] == "People/x 2.md"  # X.md is taken (compared case-insensitively)
    assert paths[1].startswith("People/") and ".." not in paths[1].split("/")[1:]
    assert paths[1].count("/") == 1
    assert paths[2] == "People/CON_.md"


def test_a_name_without_a_usable_file_name_is_skipped():
    from plaintextcrm.writefile import safe_filename

    plan = plan_import(index_of({}), [rec("...")], filename=safe_filename)
    assert not plan.new and "file name" in plan.skipped[0].reason


def test_dates_compare_by_day_and_label():
    idx = index_of({"People/A B.md": "---\ndates: ['2010-06-12 Anniversary']\n---\n"})
    plan = plan_import(idx, [rec("A B", dates=("2010-06-12 anniversary", "2001-09-09 first job"))])
    assert plan.merged[0].additions == (Addition("dates", "2001-09-09 first job"),)


def test_summary():
    plan = plan_import(index_of({}), [rec("A B"), rec("C D")])
    assert plan.summary() == "2 new, 0 merged, 0 unchanged, 0 skipped"
