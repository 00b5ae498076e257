"""A person you never contacted is not overdue the day you add them, and follow-ups kept
in a field remind like tasks."""

import json
from datetime import timedelta

from tests.conftest import TODAY


def due_json(crm, root, *args):
    result = crm(root, "due", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_reconnect_counts_from_created_or_met(vault, crm):
    root = vault(
        {
            "crm.toml": '[contacts]\ndefault_cadence = "3m"\n',
            "People/Created.md": "---\ncreated: 2026-11-01T10:30\n---\n",
            "People/Met.md": "---\nmet: 2026-10-01\n---\n",
            "People/Both.md": "---\nmet: 2026-01-01\nadded: 2026-11-20\n---\n",
            "People/Met at a party.md": "---\nmet: a party at Anna's\n---\n",
            "People/Old.md": "---\ncreated: 2026-01-01\n---\n",
            "People/Talked.md": "---\ncreated: 2026-11-01\n---\n- 2026-06-01 coffee\n",
        }
    )
    reminders = {r["contact"]: r for r in due_json(crm, root, "--days", "400")}
    assert reminders["Created"]["date"] == "2027-02-01"
    assert reminders["Met"]["date"] == "2027-01-01"
    assert reminders["Both"]["date"] == "2027-02-20"  # the later of the two
    assert reminders["Met at a party"]["date"] == TODAY.isoformat()  # not a date: today
    assert (reminders["Old"]["date"], reminders["Old"]["overdue_days"]) == ("2026-04-01", 236)
    assert reminders["Talked"]["date"] == "2026-09-01"  # a real contact wins
    assert all(r["last_contact"] is None for n, r in reminders.items() if n != "Talked")


def test_crm_new_is_not_due_the_day_it_is_added(vault, crm):
    root = vault({"crm.toml": '[contacts]\ndefault_cadence = "1m"\n'})
    assert crm(root, "new", "Ingrid Berg").exit_code == 0
    assert "created: 2026-11-23" in (root / "People/Ingrid Berg.md").read_text()
    assert due_json(crm, root) == []
    [later] = due_json(crm, root, "--days", "60")
    assert (later["kind"], later["date"]) == ("reconnect", "2026-12-23")


def test_importing_500_contacts_makes_no_reconnect_due_today(vault, crm, tmp_path):
    root = vault({"crm.toml": '[contacts]\ndefault_cadence = "6m"\n'})
    cards = tmp_path / "phone.vcf"
    cards.write_text(
        "".join(
            f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {i:03d}\r\nTEL:+39 340 000 {i:04d}\r\n"
            "END:VCARD\r\n"
            for i in range(500)
        )
    )
    result = crm(root, "import", "vcard", str(cards))
    assert result.exit_code == 0, result.output
    assert "500 new" in result.stdout
    assert due_json(crm, root, "--kind", "reconnect", "--days", "30") == []
    listed = json.loads(crm(root, "list", "--json").stdout)
    assert len(listed) == 500
    first = due_json(crm, root, "--kind", "reconnect", "--days", "200")
    assert {r["date"] for r in first} == {(TODAY + timedelta(days=181)).isoformat()}
    # importing again changes nothing (created is only written into new notes)
    again = crm(root, "import", "vcard", str(cards))
    assert "0 new, 0 merged, 500 unchanged" in again.stdout


def test_linkedin_connected_on_is_met(vault, crm, tmp_path):
    root = vault({"crm.toml": '[contacts]\ndefault_cadence = "1y"\n'})
    export = tmp_path / "Connections.csv"
    export.write_text(
        "Notes:\n\nFirst Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "Kim,Lee,https://www.linkedin.com/in/kimlee,,Acme,CTO,14 Mar 2026\n"
    )
    assert crm(root, "import", "linkedin", str(export)).exit_code == 0
    text = (root / "People/Kim Lee.md").read_text()
    assert "met: 2026-03-14" in text and "created: 2026-11-23" in text
    [kim] = due_json(crm, root, "--days", "400")
    assert kim["date"] == "2027-11-23"  # the later of met and created


def test_follow_up_field_is_a_followup_reminder(vault, crm):
    root = vault(
        {
            "People/Anna.md": (
                "---\nname: Anna\nnext_follow_up: 2026-11-20\nnext_action: send the deck\n---\n"
            ),
            "People/Bob.md": "Bob\n\nfollow up:: 2026-12-01 ask how the move went\n",
            "People/Cleo.md": "---\nremind_on: 2027-03-01\n---\n",
        }
    )
    reminders = due_json(crm, root)
    assert [(r["kind"], r["contact"], r["date"], r["text"], r["line"], r["overdue_days"])
            for r in reminders] == [
        ("followup", "Anna", "2026-11-20", "send the deck", 3, 3),
        ("followup", "Bob", "2026-12-01", "ask how the move went", 3, 0),
    ]  # fmt: skip
    assert reminders[0]["title"] == "Anna: send the deck"
    [cleo] = due_json(crm, root, "--days", "200", "--kind", "followup")[2:]
    assert (cleo["contact"], cleo["title"]) == ("Cleo", "Follow up with Cleo")
