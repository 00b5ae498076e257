"""Property-based tests: the parser, the reminder engine and the readers never raise.

The writer's and the feed's properties are in test_writer_properties.py and
test_feed_properties.py (they need the `writer` and `ics` branches).
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plaintextcrm.cli import LATEST_TODAY, MAX_DAYS
from plaintextcrm.config import parse_config
from plaintextcrm.dates import parse_cadence
from plaintextcrm.fields import FIELDS, TYPE_KEYS
from plaintextcrm.index import build_index
from plaintextcrm.model import (
    Contact,
    ContactFields,
    Index,
    Interaction,
    ParsedNote,
    Task,
    YearlyDate,
)
from plaintextcrm.parse import parse_note
from plaintextcrm.reminders import due, feed_reminders, next_reminder_by_contact

CONFIG = parse_config({})
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- arbitrary notes ------------------------------------------------------------------

yaml_bits = st.sampled_from(
    [
        "", " ", "-", "- ", ":", ": ", "[", "]", "{", "}", ",", "&a", "*a", "!!python/object", "!x",
        "|", ">", "'", '"', "#", "%", "@", "`", "\t", "  ", "\n", "\r\n", "---", "...", "?", "!!",
        "1990-02-30", "--02-29", "2026-11-01T10:00:00+02:00", "12:34:56", "0123", "yes", "NO",
        "null", "~", "2w", "-3d", "10000y", "[[Anna Rossi]]", "<<", "<<: *a", "\ufeff", "\x00",
        "😀", "\u200b", "é", "e\u0301",
    ]
)  # fmt: skip
KNOWN_KEYS = sorted({*FIELDS, *(k for ks in FIELDS.values() for k in ks), *TYPE_KEYS})
keys = st.one_of(
    st.sampled_from(KNOWN_KEYS),
    st.sampled_from(["Birthday", "EMAIL[HOME]", "N.GN", "ADR[WORK].LOCALITY", "CATEGORIES"]),
    st.text(max_size=8),
)
values = st.one_of(
    st.text(max_size=30),
    st.lists(yaml_bits, max_size=8).map("".join),
    st.lists(st.one_of(yaml_bits, st.text(max_size=5)), max_size=4).map(
        lambda xs: "\n" + "".join(f"  - {x}\n" for x in xs)
    ),
)
front_matter = st.lists(st.tuples(keys, values), max_size=10).map(
    lambda pairs: "".join(f"{k}: {v}\n" for k, v in pairs)
)
body_line = st.one_of(
    st.text(max_size=40),
    st.builds(
        "{}{} {}{}".format,
        st.sampled_from(["", "  ", "\t", "> ", ">> ", "1. "]),
        st.sampled_from(["-", "*", "+", "- [ ]", "- [x]", "- [-]", "```", "~~~"]),
        st.sampled_from(
            [
                "2026-11-02",
                "[[2026-11-02]]",
                "2026-02-30",
                "2026-13-01",
                "9999-12-31",
                "0000-00-00",
                "2026-11-02T10:00",
                "",
            ]
        ),
        st.text(max_size=30),
    ),
    st.builds(
        "[[{}]] 📅 {} [due:: {}] #gave #got".format, st.text(max_size=10), yaml_bits, yaml_bits
    ),
)
body = st.lists(body_line, max_size=15).map("\n".join)
note_text = st.builds(
    "{}{}{}{}".format,
    st.sampled_from(["", "\ufeff"]),
    st.sampled_from(["---\n", "---\r\n", "+++\n", "", "--- \n"]),
    front_matter,
    st.builds("{}{}".format, st.sampled_from(["---\n", "...\n", "", "---"]), body),
)
paths = st.sampled_from(
    [
        "People/Anna Rossi.md",
        "Daily/2026-11-02.md",
        "x.md",
        "People/a (conflict 2026-01-01).md",
        "2026-13-45 x.md",
    ]
)


def check_note(rel: str, data: bytes) -> ParsedNote:
    note = parse_note(rel, data, CONFIG)
    assert isinstance(note, ParsedNote) and note.path == rel
    lines = data.count(b"\n") + data.count(b"\r") + 1
    for problem in note.problems:
        assert problem.path == rel and problem.level in ("error", "warning")
        assert problem.line is None or 1 <= problem.line <= lines + 1, problem
    for item in (*note.items, *note.tasks):
        assert 1 <= item.line <= lines
    return note


@SETTINGS
@given(paths, note_text)
def test_parser_never_raises_on_arbitrary_notes(rel, text):
    check_note(rel, text.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(paths, st.binary(max_size=300))
def test_parser_never_raises_on_arbitrary_bytes(rel, data):
    check_note(rel, data)


@SETTINGS
@given(st.text(max_size=200), st.text(max_size=200))
def test_parser_never_raises_on_arbitrary_front_matter_and_body(front, text):
    check_note("People/B.md", f"---\n{front}\n---\n{text}".encode("utf-8", "surrogatepass"))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(paths, note_text), max_size=6), st.dates(max_value=LATEST_TODAY))
def test_index_never_raises_on_arbitrary_vaults(notes, today):
    parsed = [parse_note(rel, text.encode("utf-8", "surrogatepass"), CONFIG) for rel, text in notes]
    index = build_index("/v", parsed, CONFIG, today)
    due(index, today, MAX_DAYS)
    feed_reminders(index, today)


# --- arbitrary valid indexes ----------------------------------------------------------

any_date = st.dates()
cadences = st.one_of(
    st.none(),
    st.builds(lambda n, u: parse_cadence(f"{n}{u}"), st.integers(0, 1200), st.sampled_from("dwm")),
    st.builds(lambda n: parse_cadence(f"{n}y"), st.integers(0, 100)),
    st.sampled_from(["weekly", "biweekly", "monthly", "quarterly", "yearly"]).map(parse_cadence),
)


@st.composite
def yearly_dates(draw) -> YearlyDate:
    month = draw(st.integers(1, 12))
    last = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    day = draw(st.integers(1, last))
    year = draw(st.one_of(st.none(), st.integers(1, 9999)))
    if (
        year is not None
        and month == 2
        and day == 29
        and not (year % 4 == 0 and (year % 100 or year % 400 == 0))
    ):
        year = None
    return YearlyDate(month, day, year, draw(st.text(max_size=10)), "raw")


@st.composite
def contacts(draw, number: int) -> Contact:
    path = f"People/{number}.md"
    cadence = draw(cadences)
    fields = ContactFields(
        name=draw(st.text(min_size=1, max_size=12)),
        birthday=draw(st.one_of(st.none(), yearly_dates())),
        dates=tuple(draw(st.lists(yearly_dates(), max_size=3))),
        cadence=cadence,
        cadence_raw=cadence.raw if cadence else None,
        last_contact=draw(st.one_of(st.none(), any_date)),
        snooze=draw(st.one_of(st.none(), any_date)),
    )
    tasks = draw(
        st.lists(
            st.builds(Task, st.just(path), st.integers(1, 10**6), st.sampled_from(["open", "done", "cancelled"]),
                      st.one_of(st.none(), any_date), st.text(max_size=10)),
            max_size=4,
        )
    )  # fmt: skip
    interactions = draw(
        st.lists(
            st.builds(Interaction, any_date, st.text(max_size=10), st.just(path), st.none()),
            max_size=5,
        )
    )
    return Contact(
        path, fields, cadence, tuple(tasks), tuple(sorted(interactions, key=lambda i: i.date))
    )


indexes = st.integers(0, 5).flatmap(
    lambda n: st.tuples(*[contacts(i) for i in range(n)]).map(lambda cs: Index("/v", tuple(cs), ()))
)


@SETTINGS
@given(indexes, st.dates(max_value=LATEST_TODAY), st.integers(0, MAX_DAYS))
def test_reminder_engine_never_raises_on_arbitrary_valid_indexes(index, today, days):
    reminders = due(index, today, days)
    horizon = today + timedelta(days=days)
    for r in reminders:
        assert r.date <= horizon and r.overdue_days == max(0, (today - r.date).days)
        assert r.age is None or r.age >= 0
        assert r.years is None or r.years >= 0
    assert reminders == sorted(reminders, key=lambda r: r.sort_key())
    feed = feed_reminders(index, today)
    assert {r.key for r in reminders} <= {r.key for r in feed}
    nxt = next_reminder_by_contact(index, today)
    assert set(nxt) <= {c.path for c in index.contacts}


def test_latest_today_leaves_room_for_the_window_and_next_year():
    assert LATEST_TODAY + timedelta(days=MAX_DAYS) < date.max.replace(year=9999, month=1, day=1)


# --- the whole command line on arbitrary vaults ----------------------------------------

CLI_COMMANDS = (
    ("check", "--json"),
    ("due", "--json", "--days", "3660"),
    ("list", "--json"),
    ("stats", "--json"),
    ("stats",),
    ("due",),
    ("list",),
    ("search", "a"),
    ("ics",),
    ("digest", "--format", "html", "--days", "60"),
    ("digest", "--format", "md"),
    ("export", "csv"),
    ("export", "vcard"),
    ("export", "json"),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.tuples(paths, note_text), min_size=1, max_size=5),
    st.dates(date(1900, 1, 1), LATEST_TODAY),
)
def test_every_command_finishes_on_arbitrary_vaults(tmp_path_factory, notes, today):
    import json

    from click.testing import CliRunner

    from plaintextcrm.cli import cli

    from .helpers import assert_clean_exit, has_command, snapshot

    root = tmp_path_factory.mktemp("v")
    (root / "crm.toml").write_text("")  # a vault, whatever its notes are
    for rel, text in notes:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(text.encode("utf-8", "surrogatepass"))
    before = snapshot(root)
    runner = CliRunner()
    base = ["--vault", str(root), "--today", today.isoformat()]
    names = []
    for args in CLI_COMMANDS:
        if not has_command(args[0]):
            continue
        result = runner.invoke(cli, [*base, *args], catch_exceptions=False)
        # `check` exits 1 on errors, `search` when nothing matches (as grep does)
        assert_clean_exit(result, (0, 1) if args[0] in ("check", "search") else (0,))
        if args[:2] == ("list", "--json"):
            names = [c["name"] for c in json.loads(result.stdout)]
    for name in names[:3]:
        assert_clean_exit(runner.invoke(cli, [*base, "show", name], catch_exceptions=False), (0, 2))
    assert snapshot(root) == before
