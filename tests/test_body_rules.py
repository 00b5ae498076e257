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


TASK_NOTES = {
    "People/Ada.md": "",
    "People/Bo.md": "",
    "People/Cy.md": "",
    "Tasks/Renew the lease.md": (
        "---\nDue Date: 2026-11-20\nstatus: in progress\nowner: '[[Ada]]'\n---\nwith [[Bo]]\n"
    ),
    "Tasks/Old.md": "---\ndue: 2026-10-01\nstatus: Done\n---\n[[Ada]]\n",
    "Projects/Launch.md": "---\ntitle: Launch the site\ndeadline: 2026-12-01\n---\n[[Cy]]\n",
    "Projects/No date.md": "---\nstatus: open\n---\n[[Cy]]\n",
}


def test_task_notes_are_follow_ups_for_everyone_they_link(vault, crm):
    root = vault(TASK_NOTES)
    got = [
        (r["date"], r["contact"], r["text"], r["note"], r["line"], r["overdue_days"])
        for r in due(crm, root, "--kind", "followup")
    ]
    assert got == [
        ("2026-11-20", "Ada", "Renew the lease", "Tasks/Renew the lease.md", 2, 3),
        ("2026-11-20", "Bo", "Renew the lease", "Tasks/Renew the lease.md", 2, 3),
        ("2026-12-01", "Cy", "Launch the site", "Projects/Launch.md", 3, 0),
    ]
    ada = show(crm, root, "Ada")
    assert [(t["text"], t["status"]) for t in ada["tasks"]] == [
        ("Old", "done"),
        ("Renew the lease", "open"),
    ]
    assert ada["interactions"] == []  # a task is not a conversation


DATED = {
    "crm.toml": "",
    "People/Anna Rossi.md": "---\ncadence: 2w\n---\n",
    "People/Anna Rossi/2026-10-14.md": "# Coffee at the station\n",
    "People/Anna Rossi/2026-11-02 0930.md": "She got the job.\n",
    "People/Bo.md": "---\naliases: [Bobby]\n---\n",
    "Daily/2026-11-03.md": "# Tuesday, November 3rd 2026\n\nBusy. Lunch with [[Bobby]] at Gino's.\n",
    "Meetings/2026-11-04_0937.md": "---\nattendees: ['[[Bo]]']\n---\n## Notes\n- [ ] 2026-11-30 send [[Anna Rossi]] the deck\n",
    "Meetings/Board - 2026-11-05 2100.md": "## Attendees\n- [[Bo]]\n- [[Anna Rossi]]\n",
    "journals/2026_11_06.md": "- talked with [[Anna Rossi]] about Rome\n",
    "Notes/Offsite.md": "---\ndate: 2026-11-07\nsummary: Offsite in Turin\n---\n[[Bo]]\n",
    "Journal/08-11-2026.md": "Called [[Bo]] for his birthday.\n",
}


def test_dated_notes_and_what_they_say(vault, crm):
    root = vault(DATED)
    assert interactions(show(crm, root, "Anna Rossi")) == [
        ("2026-11-06", "talked with Anna Rossi about Rome", "journals/2026_11_06.md", None),
        ("2026-11-05", "Board", "Meetings/Board - 2026-11-05 2100.md", None),
        ("2026-11-02", "She got the job.", "People/Anna Rossi/2026-11-02 0930.md", None),
        ("2026-10-14", "Coffee at the station", "People/Anna Rossi/2026-10-14.md", None),
    ]
    bo = show(crm, root, "Bo")
    assert interactions(bo) == [
        ("2026-11-07", "Offsite in Turin", "Notes/Offsite.md", None),
        ("2026-11-05", "Board", "Meetings/Board - 2026-11-05 2100.md", None),
        ("2026-11-04", "", "Meetings/2026-11-04_0937.md", None),
        ("2026-11-03", "Lunch with Bobby at Gino's.", "Daily/2026-11-03.md", None),
    ]
    text = crm(root, "show", "Bo").output
    assert "  2026-11-04  (Meetings/2026-11-04_0937.md)" in text
    assert "0937" not in text.replace("(Meetings/2026-11-04_0937.md)", "")


def test_the_daily_note_format_of_obsidian_settings(vault, crm):
    root = vault(DATED)
    assert "Journal/08-11-2026.md" not in json.dumps(show(crm, root, "Bo"))
    (root / ".obsidian").mkdir()
    (root / ".obsidian" / "daily-notes.json").write_text(
        '{"folder": "Journal", "format": "DD-MM-YYYY"}'
    )
    bo = show(crm, root, "Bo")
    assert interactions(bo)[0] == (
        "2026-11-08",
        "Called Bo for his birthday.",
        "Journal/08-11-2026.md",
        None,
    )
    assert bo["last_contact"] == "2026-11-08"


def test_digest_and_feed_use_the_same_words_and_never_a_path(vault, crm):
    root = vault({
        "crm.toml": "",
        "People/Lo.md": "---\ncadence: 1w\n---\n",
        "Daily/2026-11-10.md": "# Tuesday 10 November 2026\n\nFive-a-side with [[Lo]]; lost 6-4.\n",
    })  # fmt: skip
    digest = crm(root, "digest", "--format", "txt").output
    assert "Last time (2026-11-10): Five-a-side with Lo; lost 6-4." in digest
    assert "noted in" not in digest and "Daily/2026-11-10" not in digest
    feed = crm(root, "ics").output.replace("\r\n ", "")
    assert "- 2026-11-10: Five-a-side with Lo\\; lost 6-4." in feed


def test_done_closes_a_task_note_by_its_status_line(vault, crm):
    root = vault(TASK_NOTES)
    before = (root / "Tasks/Renew the lease.md").read_text()
    result = crm(root, "done", "Bo")
    assert result.exit_code == 0, result.output
    assert result.output == "Tasks/Renew the lease.md:3: status: done\n"
    after = (root / "Tasks/Renew the lease.md").read_text()
    assert after == before.replace("status: in progress", "status: done")
    assert due(crm, root, "--kind", "followup")[0]["contact"] == "Cy"
    (root / "Projects/Launch.md").write_text("---\nTitle: x\nDeadline: 2026-12-01\n---\n[[Cy]]\n")
    assert crm(root, "done", "Cy").exit_code == 0
    assert (root / "Projects/Launch.md").read_text() == (
        "---\nTitle: x\nDeadline: 2026-12-01\nstatus: done\n---\n[[Cy]]\n"
    )


def test_a_capitalised_company_or_type_link_in_a_dated_note_is_no_interaction():
    """`Company: "[[Acme]]"` (as Obsidian Properties writes it) or kepano's `org:` names a company,
    not someone who was there; only the people it links are interactions."""
    from plaintextcrm.config import Config
    from plaintextcrm.parse import parse_note

    note = parse_note(
        "2026-11-20 Lunch.md",
        b'---\nCompany: "[[Acme]]"\norg: ["[[Globex]]"]\nType: "[[Meetings]]"\nTags: ["[[Q4]]"]\n---\nLunch with [[Anna]].\n',
        Config(),
    )
    assert [m.target for m in note.mentions] == ["Anna"]
