"""The reminder engine on hand-built indexes: windows, overdue, Feb 29, snooze, order."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from plaintextcrm.dates import parse_cadence, parse_yearly
from plaintextcrm.model import Contact, ContactFields, Index, Interaction, Task
from plaintextcrm.reminders import due, feed_reminders

T = date(2026, 11, 23)


def person(name, *, birthday=None, dates=(), cadence=None, last=None, snooze=None,
           interactions=(), tasks=()):  # fmt: skip
    path = f"People/{name}.md"
    fields = ContactFields(
        name=name,
        birthday=parse_yearly(birthday) if birthday else None,
        birthday_raw=birthday,
        dates=tuple(parse_yearly(d, label) for d, label in dates),
        cadence=parse_cadence(cadence),
        cadence_raw=cadence,
        last_contact=last,
        snooze=snooze,
    )
    return Contact(
        path=path,
        fields=fields,
        cadence=fields.cadence,
        tasks=tuple(Task(path, line, status, due_, text) for line, status, due_, text in tasks),
        interactions=tuple(Interaction(d, "talked", path, 1) for d in interactions),
    )


def index(*contacts):
    return Index("/v", tuple(contacts), ())


def summary(reminders):
    return [(r.date.isoformat(), r.kind, r.contact, r.overdue_days) for r in reminders]


def test_birthdays_window_age_and_yearless():
    idx = index(
        person("A", birthday="1990-11-30"),
        person("B", birthday="--12-07"),
        person("C", birthday="1980-12-08"),  # one day past the window
        person("D", birthday="2000-11-23"),  # today
    )
    rs = due(idx, T, 14)
    assert summary(rs) == [
        ("2026-11-23", "birthday", "D", 0),
        ("2026-11-30", "birthday", "A", 0),
        ("2026-12-07", "birthday", "B", 0),
    ]
    assert [r.age for r in rs] == [26, 36, None]


def test_feb_29_birthday_in_common_and_leap_years():
    idx = index(person("Leap", birthday="1992-02-29"))
    assert summary(due(idx, date(2027, 2, 20), 14)) == [("2027-02-28", "birthday", "Leap", 0)]
    assert summary(due(idx, date(2028, 2, 20), 14)) == [("2028-02-29", "birthday", "Leap", 0)]
    assert due(idx, date(2028, 2, 20), 14)[0].age == 36


def test_dates_have_labels_and_years():
    idx = index(person("A", dates=[("2016-12-01", "wedding"), ("--11-25", "name day")]))
    rs = due(idx, T, 14)
    assert [(r.date.isoformat(), r.label, r.years) for r in rs] == [
        ("2026-11-25", "name day", None),
        ("2026-12-01", "wedding", 10),
    ]


def test_followups_overdue_and_window():
    idx = index(
        person("A", tasks=[(5, "open", date(2026, 1, 1), "old"), (6, "open", date(2026, 12, 7), "edge"),
                           (7, "open", date(2026, 12, 8), "later"), (8, "done", date(2026, 1, 1), "done"),
                           (9, "cancelled", date(2026, 1, 1), "no"), (10, "open", None, "undated")]),
    )  # fmt: skip
    rs = due(idx, T, 14)
    assert [(r.text, r.overdue_days, r.line) for r in rs] == [("old", 326, 5), ("edge", 0, 6)]


def test_reconnect_cadence_never_contacted_snooze_and_future_plans():
    idx = index(
        person("Monthly", cadence="1m", interactions=[date(2026, 8, 31)]),
        person("Never", cadence="2w"),
        person("Snoozed", cadence="1w", last=date(2026, 1, 1), snooze=date(2026, 11, 30)),
        person("SnoozedFar", cadence="1w", last=date(2026, 1, 1), snooze=date(2027, 1, 1)),
        person("Planned", cadence="1m", interactions=[date(2026, 11, 1), date(2026, 12, 20)]),
        person("NoCadence", interactions=[date(2020, 1, 1)]),
    )
    rs = due(idx, T, 14)
    assert summary(rs) == [
        ("2026-09-30", "reconnect", "Monthly", 54),
        ("2026-11-23", "reconnect", "Never", 0),
        ("2026-11-30", "reconnect", "Snoozed", 0),
        ("2026-12-01", "reconnect", "Planned", 0),
    ]
    assert rs[0].last_contact == date(2026, 8, 31) and rs[0].cadence == "1m"
    assert rs[1].last_contact is None


def test_month_end_cadence():
    idx = index(person("A", cadence="1m", interactions=[date(2026, 1, 31)]))
    assert due(idx, date(2026, 2, 20), 14)[0].date == date(2026, 2, 28)


def test_order_date_then_kind_then_name():
    idx = index(
        person("Zed", birthday="--11-23", cadence="1w", tasks=[(3, "open", T, "call")]),
        person("Amy", birthday="--11-23", dates=[("--11-23", "x")]),
    )
    assert [(r.kind, r.contact) for r in due(idx, T, 0)] == [
        ("followup", "Zed"), ("birthday", "Amy"), ("birthday", "Zed"), ("date", "Amy"),
        ("reconnect", "Zed"),
    ]  # fmt: skip


def test_kind_filter_and_feed_has_no_window():
    idx = index(person("A", birthday="--06-01", cadence="1w"))
    assert due(idx, T, 14, ["birthday"]) == []
    assert {r.kind for r in feed_reminders(idx, T)} == {"birthday", "reconnect"}


@settings(max_examples=200, deadline=None)
@given(
    today=st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 1, 1)),
    birthday=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    cadence=st.sampled_from(["1d", "2w", "1m", "3m", "1y", "quarterly", "never"]),
    last=st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)),
    days=st.integers(0, 3660),
)
def test_engine_invariants(today, birthday, cadence, last, days):
    idx = index(person("A", birthday=birthday.isoformat(), cadence=cadence, last=last))
    rs = due(idx, today, days)
    assert rs == sorted(rs, key=lambda r: r.sort_key())
    for r in rs:
        assert r.overdue_days == max(0, (today - r.date).days)
        if r.kind == "birthday":
            assert today <= r.date <= date.fromordinal(today.toordinal() + days)
            assert (r.date.month, r.date.day) in {(birthday.month, birthday.day), (2, 28)}


def test_kept_reminders_compute_only_contacts_that_are_new_objects(monkeypatch):
    from plaintextcrm import reminders

    anna = person("Anna", birthday="1990-11-30", cadence="2w", last=date(2026, 11, 1))
    bo = person("Bo", tasks=[(3, "open", date(2026, 11, 25), "send the book")])
    kept = reminders.Kept()
    assert due(index(anna, bo), T, kept=kept) == due(index(anna, bo), T)
    computed = []
    real = reminders.contact_reminders
    monkeypatch.setattr(
        reminders, "contact_reminders", lambda c, t: computed.append(c.name) or real(c, t)
    )
    bo2 = person("Bo", tasks=[(3, "open", date(2026, 11, 24), "send the book")])
    assert due(index(anna, bo2), T, kept=kept) == due(index(anna, bo2), T)
    assert computed == ["Bo"]  # Anna is the same object: her reminders were kept
    later = date(2026, 11, 30)  # another day: everyone again
    assert due(index(anna, bo2), later, kept=kept) == due(index(anna, bo2), later)
    assert computed == ["Bo", "Anna", "Bo"]
