"""The note parser: every accepted form of SPEC 2, and bad input turned into problems."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaintextcrm.config import parse_config
from plaintextcrm.obsidian import DailyNoteFormat
from plaintextcrm.parse import parse_note

CONFIG = parse_config({})


def parse(text: str | bytes, path: str = "People/Anna Rossi.md"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_note(path, data, CONFIG)


def messages(note) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.level, p.message) for p in note.problems]


FULL = """---
name: Anna Rossi
aliases: [Annie, "A. Rossi"]
birthday: 1990-03-14
dates:
  - "2015-06-20 wedding anniversary"
  - {date: --09-01, label: first met}
cadence: 2w
circle: close
last_contact: 2026-10-01
snooze: 2026-12-01
email: anna@example.org
emails: [anna.rossi@work.example]
phone: "+39 333 1234567"
phones: [0123, 12:34:56]
company: "[[Acme Robotics]]"
role: CTO
location: Turin
met: PyCon Italia 2019
url: https://anna.example.org
linkedin: https://linkedin.com/in/annarossi
tags: [friends, "#python"]
---
# Anna
"""


def test_every_field():
    note = parse(FULL)
    f = note.fields
    assert note.is_contact and not note.problems
    assert f.name == "Anna Rossi" and f.aliases == ("Annie", "A. Rossi")
    assert (f.birthday.month, f.birthday.day, f.birthday.year) == (3, 14, 1990)
    assert [(d.month, d.day, d.year, d.label) for d in f.dates] == [
        (6, 20, 2015, "wedding anniversary"),
        (9, 1, None, "first met"),
    ]
    assert f.cadence.raw == "2w" and f.circle == "close"
    assert f.last_contact == date(2026, 10, 1) and f.snooze == date(2026, 12, 1)
    assert f.emails == ("anna@example.org", "anna.rossi@work.example")
    # the phone numbers stay what the user typed: no octal, no base-60
    assert f.phones == ("+39 333 1234567", "0123", "12:34:56")
    assert f.company == "Acme Robotics" and f.role == "CTO"
    assert f.tags == ("friends", "python")


@pytest.mark.parametrize(
    ("path", "front", "expected"),
    [
        ("People/x.md", "", True),
        ("Contacts/sub/x.md", "", True),
        ("People/Acme.md", "type: company", False),
        ("Notes/x.md", "type: person", True),
        ("Notes/x.md", "category: Contact", True),
        ("Notes/x.md", 'categories: ["[[People]]"]', True),
        ("Notes/x.md", "tags: [people/friends]", True),
        ("Notes/x.md", "tags: '#contact'", True),
        ("Notes/x.md", "tags: [peoplewatching]", False),
        ("Notes/x.md", "", False),
    ],
)
def test_contact_detection(path, front, expected):
    assert parse(f"---\n{front}\n---\n", path).is_contact is expected


BODY = """---
name: Anna
---
## Log
- 2026-10-02 coffee #gave
- [[2026-09-01]]: call about the job
* 2026-08-10 — lunch with [[Bob Stone|Bob]] #got
1. 2026-07-01 - walk
  - 2026-06-01T10:30 nested, with a time
> - 2026-05-01 in a quote
- 2026-13-01 impossible
- 02/11/2026 not ISO
```
- 2026-01-01 inside a code block
- [ ] 2026-01-02 task in code
```
## Tasks
- [ ] 2026-02-01 ask about the move
- [ ] send the paper 📅 2026-03-15
- [ ] call back [due:: 2026-04-01]
- [ ] due:: 2026-04-02 inline dataview
- [x] 2026-01-05 done ✅ 2026-01-06
- [-] 2026-01-07 cancelled
- [ ] someday, no date
"""


def test_interactions_and_tasks():
    note = parse(BODY)
    items = [(i.line, i.date.isoformat(), i.text, i.gave, i.got) for i in note.items]
    assert items == [
        (5, "2026-10-02", "coffee #gave", True, False),
        (6, "2026-09-01", "call about the job", False, False),
        (7, "2026-08-10", "lunch with [[Bob Stone|Bob]] #got", False, True),
        (8, "2026-07-01", "walk", False, False),
        (9, "2026-06-01", "nested, with a time", False, False),
        (10, "2026-05-01", "in a quote", False, False),
    ]
    tasks = [(t.line, t.status, t.due and t.due.isoformat(), t.text) for t in note.tasks]
    assert tasks == [
        (18, "open", "2026-02-01", "ask about the move"),
        (19, "open", "2026-03-15", "send the paper"),
        (20, "open", "2026-04-01", "call back"),
        (21, "open", "2026-04-02", "inline dataview"),
        (22, "done", "2026-01-05", "done"),
        (23, "cancelled", "2026-01-07", "cancelled"),
        (24, "open", None, "someday, no date"),
    ]
    assert messages(note) == [(11, "warning", "impossible date 2026-13-01; line ignored")]
    assert "Bob Stone" in note.links


@pytest.mark.parametrize(
    ("line", "target"),
    [
        ("[[Anna Rossi]]", "Anna Rossi"),
        ("[[Anna Rossi|Anna]]", "Anna Rossi"),
        ("[[Anna Rossi#Log]]", "Anna Rossi"),
        ("[[Anna Rossi#^block1]]", "Anna Rossi"),
        ("[[People/Anna Rossi]]", "People/Anna Rossi"),
        ("[[Anna Rossi.md]]", "Anna Rossi"),
        ("[Anna](People/Anna%20Rossi.md)", "People/Anna Rossi"),
        ("[Nicolò](<People/Nicolò.md>)", "People/Nicolò"),
    ],
)
def test_link_forms(line, target):
    assert parse(f"- 2026-01-01 met {line}\n", "Daily/x.md").items[0].links == (target,)


def test_embeds_of_images_are_not_links():
    assert parse("![[photo.png]] [[Anna]]\n", "x.md").links == ("Anna",)


def test_crlf_bom_and_no_trailing_newline():
    text = "\ufeff---\r\nname: Anna\r\n---\r\n- 2026-10-02 coffee\r\n- [ ] 2026-11-01 call"
    note = parse(text)
    assert note.fields.name == "Anna" and not note.problems
    assert [(i.line, i.text) for i in note.items] == [(4, "coffee")]
    assert [(t.line, t.text) for t in note.tasks] == [(5, "call")]


def test_dated_notes():
    daily = parse("Met [[Anna]]\n", "Daily/2026-10-14.md")
    assert daily.note_date == date(2026, 10, 14) and daily.links == ("Anna",)
    meeting = parse("---\ndate: 2026-09-03\nattendees: ['[[Bob]]']\n---\nwith [[Anna]]\n", "M/x.md")
    assert meeting.note_date == date(2026, 9, 3) and meeting.links == ("Bob", "Anna")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\nbirthday: 1990-02-30\n---\n", [(2, "error", "`birthday`: invalid date '1990-02-30': no such day")]),
        ("---\nbirthday: March 14\n---\n", [(2, "error", "`birthday`: invalid date 'March 14': expected YYYY-MM-DD, --MM-DD or MM-DD")]),
        ("---\nname: 'unclosed\n---\n", [(2, "error", "front matter is not valid YAML: found unexpected end of stream")]),
        ("---\nname: x\n\tbad: tab\n---\n", [(3, "error", "front matter is not valid YAML: found a tab character that violates indentation")]),
        ("---\nname: a\nname: b\n---\n", [(3, "warning", "duplicate key `name` (the last one wins)")]),
        ("---\n- a\n- b\n---\n", [(2, "warning", "front matter is not a mapping of keys to values; ignored")]),
        ("---\nx: !!python/object/apply:os.system [ls]\n---\n", [(2, "error", "unsupported YAML tag `tag:yaml.org,2002:python/object/apply:os.system` in `x`")]),
        ("+++\nname = 'x'\n+++\n", [(1, "warning", "only YAML front matter is read; this one is ignored")]),
        ("---\nname: x\n", [(1, "warning", "front matter is never closed (no closing `---`); read as body")]),
        ("---\nBirthday: 1990-02-30\n---\n", [(2, "error", "`Birthday`: invalid date '1990-02-30': no such day")]),
        ("---\nlast_contated: 2026-01-01\n---\n", [(2, "warning", "unknown key `last_contated`; did you mean `last_contacted`?")]),
        ("---\ncircle: vip\n---\n", [(2, "warning", "unknown circle `vip` (not in crm.toml [circles])")]),
        ("---\ncadence: often\n---\n", [(2, "error", "`cadence`: invalid cadence 'often': expected a number of days, Nd/Nw/Nm/Ny, 'N weeks', weekly, monthly, quarterly, yearly or never")]),
        ("---\naliases: {a: 1}\ntags: ''\nemail: [null]\n---\n", [(2, "warning", "`aliases` should be text or a list of text")]),
        ("", []),
        ("---\n", [(1, "warning", "front matter is never closed (no closing `---`); read as body")]),
    ],
)  # fmt: skip
def test_problems(text, expected):
    assert messages(parse(text)) == expected


def test_not_utf8_and_binary_are_skipped():
    latin = parse(b"---\nname: Fran\xe7ois\n---\n")
    assert latin.skipped and messages(latin) == [
        (2, "error", "not UTF-8 text (byte 0xe7); skipped")
    ]
    binary = parse(b"\x89PNG\r\n\x00\x00")
    assert binary.skipped and messages(binary)[0][:2] == (2, "error")


def test_alias_bomb_is_bounded():
    bomb = "---\na: &a ['x','x','x','x','x','x','x','x','x']\n"
    for name, prev in zip("bcdefghi", "abcdefgh", strict=True):
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    note = parse(bomb + "---\n- 2026-01-01 still read\n")
    assert any(p.level == "error" and "too large" in p.message for p in note.problems)
    assert note.items[0].text == "still read"


def test_horizontal_rule_in_body_is_body():
    note = parse("---\nname: A\n---\ntext\n---\n- 2026-01-01 after the rule\n")
    assert note.fields.name == "A" and note.items[0].line == 6


def test_sync_conflict_copies_are_flagged():
    for path in ("People/Anna Rossi (conflict 2026-11-02).md",
                 "People/Anna Rossi.sync-conflict-20261102-101010-ABC.md"):  # fmt: skip
        assert messages(parse("", path)) == [
            (None, "warning", "looks like a sync conflict copy of `Anna Rossi.md`")
        ]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parser_never_raises_on_text(text):
    parse(text)
    parse("---\n" + text + "\n---\n" + text)


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_parser_never_raises_on_bytes(data):
    parse(data)


# --- the body rules of a vault you already have ---------------------------------------


def test_a_link_only_in_a_task_line_belongs_to_the_task():
    note = parse(
        "- [ ] 2026-12-20 call [[Kim]]\n- [x] 2026-11-01 wrote to [[Lee]]\nMet [[Ann]].\n",
        "Daily/2026-11-02.md",
    )
    assert note.links == ("Ann",)
    assert [t.links for t in note.tasks] == [("Kim",), ("Lee",)]
    assert [m.target for m in note.mentions] == ["Ann", "Daily"]


@pytest.mark.parametrize(
    ("line", "due", "text"),
    [
        ("- [ ] water the plants ⏳ 2026-12-01", "2026-12-01", "water the plants"),
        ("- [ ] renew 📅 2026-12-05 ⏳ 2026-12-01", "2026-12-05", "renew"),
        ("- [ ] 2026-12-07 renew ⏳ 2026-12-01", "2026-12-07", "renew"),
        ("- [ ] call Mum 🔁 every week ⏳ 2026-12-01", "2026-12-01", "call Mum 🔁 every week"),
        ("- [ ] ask ⏳ 2026-02-30", None, "ask"),
    ],
)
def test_tasks_scheduled_date_is_the_due_date_without_a_due_date(line, due, text):
    task = parse(line + "\n").tasks[0]
    assert (task.due and task.due.isoformat(), task.text) == (due, text)


DATED_HEADINGS = """\
## 2022-02-15
Coffee at the station; she got the job #got

### [[2022-03-01]] dinner with [[Bob]]
text of the dinner

## 2022-04-01

- [ ] 2022-04-10 send the photos
- walked along the river

## 2022-05-01
## 2022-05-02
- 2022-05-02 the item says it
## 2022-02-30 impossible
## Notes
"""


def test_dated_headings_in_a_contact_note_are_interactions():
    note = parse(DATED_HEADINGS)
    items = [(i.line, i.date.isoformat(), i.text, i.links, i.got) for i in note.items]
    assert items == [
        (1, "2022-02-15", "Coffee at the station; she got the job #got", (), True),
        (4, "2022-03-01", "dinner with [[Bob]]", ("2022-03-01", "Bob"), False),
        (7, "2022-04-01", "walked along the river", (), False),
        (12, "2022-05-01", "", (), False),
        (14, "2022-05-02", "the item says it", (), False),
    ]
    assert messages(note) == [(15, "warning", "impossible date 2022-02-30; line ignored")]


def test_dated_headings_elsewhere_are_only_headings():
    assert [i.line for i in parse(DATED_HEADINGS, "Notes/Ideas.md").items] == [14]


@pytest.mark.parametrize(
    ("path", "front", "expected"),
    [
        ("Daily/2026-10-14.md", "", "2026-10-14"),
        ("Meetings/2022-10-10_0937.md", "", "2022-10-10"),
        ("Meeting - 2024-06-18 2100.md", "", "2024-06-18"),
        ("journals/2026_10_14.md", "", "2026-10-14"),
        ("Notes/Trip 2026.10.14.md", "", "2026-10-14"),
        ("Notes/Budget 2024-2025.md", "", None),
        ("Notes/12026-10-14.md", "", None),
        ("Notes/2026-02-30 then 2026-03-01.md", "", "2026-03-01"),
        ("Notes/14-10-2026.md", "", None),  # day first: only a daily-note setting says so
        ("Notes/Review.md", "Date: 2026-09-03T10:00\n", "2026-09-03"),
        ("Notes/Review.md", "date: soon\n", None),
        ("People/2026-10-14.md", "", "2026-10-14"),
        ("People/Anna Rossi/2026-10-14.md", "", "2026-10-14"),
    ],
)
def test_dated_notes_by_a_date_anywhere_in_the_file_name(path, front, expected):
    note = parse(f"---\n{front}---\n" if front else "", path)
    assert not note.is_contact
    assert (note.note_date and note.note_date.isoformat()) == expected


def test_dated_notes_by_the_vaults_daily_note_format():
    config = replace(CONFIG, daily_notes=(DailyNoteFormat("Journal/Daily", "DD-MM-YYYY"),))
    daily = parse_note("Journal/Daily/03-04-2026.md", b"[[Anna]] came by\n", config)
    assert daily.note_date == date(2026, 4, 3)
    assert [(m.target, m.text) for m in daily.mentions] == [
        ("Anna", "Anna came by"),
        ("Journal/Daily", "Anna came by"),
    ]
    assert parse_note("Notes/03-04-2026.md", b"", config).note_date is None


def mention_texts(text: str, path: str = "Daily/2026-10-14.md") -> dict[str, str]:
    return {m.target: m.text for m in parse(text, path).mentions}


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        # a summary, title or description field, in that order
        ("---\nsummary: Lunch at Gino's\ntitle: Daily\n---\n# Lunch\n[[Ann]] ok\n", None, "Lunch at Gino's"),
        ("---\nTitle: Catch-up call\n---\nwith [[Ann]].\n", None, "Catch-up call"),
        ("---\ndescription: '[[Ann]] visit'\n---\n", None, "Ann visit"),
        # the first heading, unless it only restates the date
        ("# Planning the [[Acme]] pilot\nwith [[Ann]]\n", None, "Planning the Acme pilot"),
        ("## Notes\nLunch with [[Ann]]\n# Late title\n", None, "Lunch with Ann"),
        ("# Wednesday, October 14th 2026\nLunch with [[Ann]]. Then home.\n", None, "Lunch with Ann."),
        ("---\ntitle: 2026-10-14\n---\n# Daily note\n- called [[Ann|Annie]] about Rome\n", None, "called Annie about Rome"),
        # the sentence that links the person, across a wrapped paragraph
        ("Busy day. After the meeting I had lunch with\n[[Ann]] in Brera. She is well.\n", None, "After the meeting I had lunch with Ann in Brera."),
        ("Met [Ann](People/Ann.md) for coffee!\n", None, "Met Ann for coffee!"),
        ("Talked to [[Dr. Ann]] today.\n", None, "Talked to Dr. Ann today."),
        ("> [!note]- Call\n> Met [[Ann]] at the café. Fine.\n", None, "Met Ann at the café."),
        ("> [!note] Met [[Ann]] at the café.\n", None, "Met Ann at the café."),
        # a list of names says nothing: the file name without date and time says more
        ("## Attendees\n- [[Ann]]\n- [[Bob]] and [[Cy]]\n", "Meetings/2024-06-18 2100 Kickoff.md", "Kickoff"),
        ("attendees:: [[Ann]]\n", "Meetings/Board - 2022-10-10_0937.md", "Board"),
        ("- attendees:: [[Ann]], [[Bob]]\n", "Meetings/Board - 2022-10-10_0937.md", "Board"),
        # else the note's first sentence, never a bare file name or time
        ("---\npeople: ['[[Ann]]']\n---\n- [ ] 2026-10-20 send notes\nSigned the lease. Party next week.\n", "Daily/2022-10-10_0937.md", "Signed the lease."),
        ("---\npeople: ['[[Ann]]']\n---\n# Daily note\n", None, ""),
    ],
)  # fmt: skip
def test_interaction_text_of_a_dated_note(text, path, expected):
    texts = mention_texts(text, path or "Daily/2026-10-14.md")
    ann = next(target for target in texts if "Ann" in target)
    assert texts[ann] == expected


def test_a_dated_note_in_a_folder_is_a_mention_of_that_folder():
    texts = mention_texts(
        "Coffee at the station. She got the job.\n", "People/Anna Rossi/2026-10-14.md"
    )
    assert texts == {"People/Anna Rossi": "Coffee at the station."}
    assert parse("x\n", "2026-10-14.md").mentions == ()  # at the vault root: no folder


def test_contact_notes_and_undated_notes_have_no_mentions():
    assert parse("Met [[Ann]]\n").mentions == ()
    assert parse("Met [[Ann]]\n", "Notes/Ideas.md").mentions == ()


@pytest.mark.parametrize(
    ("front", "body", "expected"),
    [
        ("due: 2026-12-01\n", "", ("open", "2026-12-01", "Renew contract", 2)),
        ("Due Date: 2026-12-01\nstatus: In progress\n", "", ("open", "2026-12-01", "Renew contract", 2)),
        ("title: Send the deck\ndeadline: 2026-12-01T09:00\n", "# Other\n", ("open", "2026-12-01", "Send the deck", 3)),
        ("due-date: 2026-12-01\n", "# Ask about the flat\n", ("open", "2026-12-01", "Ask about the flat", 2)),
        ("due: 2026-12-01\nStatus: Done\n", "", ("done", "2026-12-01", "Renew contract", 2)),
        ("due: 2026-12-01\nstatus: canceled\n", "", ("cancelled", "2026-12-01", "Renew contract", 2)),
        ("due: 2026-12-01\nstatus: archived\n", "", ("done", "2026-12-01", "Renew contract", 2)),
        ("due: ''\n", "", None),
    ],
)  # fmt: skip
def test_task_notes(front, body, expected):
    note = parse(
        f"---\n{front}---\n{body}[[Ann]] and [[Bob]]\n- [ ] [[Cy]] too\n", "Tasks/Renew contract.md"
    )
    notes_tasks = [t for t in note.tasks if t.path == note.path and t.text != "[[Cy]] too"]
    got = [(t.status, t.due.isoformat(), t.text, t.line) for t in notes_tasks]
    assert got == ([expected] if expected else [])
    if expected:
        assert notes_tasks[0].links == ("Ann", "Bob")


def test_task_notes_are_not_dated_notes_and_contacts_are_not_task_notes():
    task = parse("---\ndue: 2026-12-01\n---\n[[Ann]]\n", "Tasks/2026-11-02 call Ann.md")
    assert task.note_date == date(2026, 11, 2) and task.mentions == ()
    assert [t.text for t in task.tasks] == ["2026-11-02 call Ann"]
    assert parse("---\ndue: 2026-12-01\n---\n").tasks == ()


def test_an_unreadable_due_date_is_a_warning():
    note = parse("---\ndue: next week\n---\n", "Tasks/x.md")
    assert note.tasks == ()
    assert messages(note) == [(2, "warning", "`due`: 'next week' is not a date; no follow-up")]


#: Lines of prose as notes hold them: headings, fences, lists, digits that are not dates.
_PROSE_LINE = st.one_of(
    st.sampled_from(["# Title", "## Section", "#tag only", "    # indented code", "```",
                     "~~~python", "- item", "1. step", "> quote # not a heading",
                     "Meeting at 10:00 on 2026/11/02", "phone 555-1234", "", "   "]),
    st.text(alphabet="ab #`~-12:\t", max_size=12),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PROSE_LINE, max_size=8), st.booleans(), st.booleans())
def test_a_body_with_nothing_to_find_reads_as_the_full_scan_reads_it(lines, contact, dated):
    # The skip for bodies without `[` or an ISO date (parse._nothing_to_find) must give
    # what the line-by-line scan gives: here the same heading, and nothing else.
    from unittest import mock

    from plaintextcrm import parse

    def scan(skip: bool) -> object:
        with mock.patch.object(parse, "_nothing_to_find", lambda *a: skip and real(*a)):
            return parse._scan_body(lines, 0, "n.md", parse._Notes("n.md"), contact, dated)

    real = parse._nothing_to_find
    assert real(lines, 0)
    assert scan(True) == scan(False)
