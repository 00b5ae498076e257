"""The body rules of the vault you already have, through `crm show --json` and
`crm due --json` on throwaway vaults."""

import json


def show(crm, root, name):
    result = crm(root, "show", name, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def due(crm, root, *args):
    result = crm(root, "due", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def interactions(data):
    return [(i["date"], i["text"], i["note"], i["line"]) for i in data["interactions"]]


def test_a_planned_call_in_a_daily_note_does_not_hide_an_overdue_reconnect(vault, crm):
    root = vault(
        {
            "People/Kim.md": "---\ncadence: 1m\n---\n- 2026-09-01 coffee\n",
            "Daily/2026-11-20.md": "# Friday\n\n- [ ] 2026-12-20 call [[Kim]]\n",
            "Daily/2026-11-21.md": "- [x] 2026-11-21 booked the table for [[Kim]]\n",
        }
    )
    kim = show(crm, root, "Kim")
    assert kim["last_contact"] == "2026-09-01"
    assert interactions(kim) == [("2026-09-01", "coffee", "People/Kim.md", 4)]
    assert [(t["text"], t["due"], t["status"]) for t in kim["tasks"]] == [
        ("call [[Kim]]", "2026-12-20", "open"),
        ("booked the table for [[Kim]]", "2026-11-21", "done"),
    ]
    reconnect = due(crm, root, "--kind", "reconnect")
    assert [(r["date"], r["overdue_days"], r["last_contact"]) for r in reconnect] == [
        ("2026-10-01", 53, "2026-09-01")
    ]


def test_dated_headings_in_a_contact_note(vault, crm):
    root = vault(
        {
            "People/Ada.md": (
                "---\ncadence: 2m\n---\n# Ada\n\n## 2026-10-02\n\nShe got the job at [[Acme]] #got\n\n"
                "### [[2026-11-05]] dinner with [[Bo]]\n\n## Background\nmet at PyCon\n"
            ),
            "People/Bo.md": "",
        }
    )
    ada = show(crm, root, "Ada")
    assert ada["last_contact"] == "2026-11-05" and ada["got"] == 1
    assert interactions(ada) == [
        ("2026-11-05", "dinner with [[Bo]]", "People/Ada.md", 10),
        ("2026-10-02", "She got the job at [[Acme]] #got", "People/Ada.md", 6),
    ]
    assert interactions(show(crm, root, "Bo")) == [
        ("2026-11-05", "dinner with [[Bo]]", "People/Ada.md", 10)
    ]


def test_scheduled_tasks_remind(vault, crm):
    root = vault({"People/Ada.md": "- [ ] water her plants 🔁 every week ⏳ 2026-11-25\n"})
    [r] = due(crm, root)
    assert (r["date"], r["kind"], r["text"], r["line"]) == (
        "2026-11-25",
        "followup",
        "water her plants 🔁 every week",
        1,
    )
