"""`crm sync` with the real parts: a Radicale server on loopback, vdirsyncer syncing the
vdirs with it, the `caldav` library (and plain HTTP for CardDAV) acting as the phone, and
todoman and khard reading the same vdirs.

The servers and tools are installed by the `test` extra; a test is skipped only when a
binary is genuinely missing. Radicale runs on 127.0.0.1 on a free port, with its storage
and its users file in tmp_path, and is stopped by the fixture whatever the test did.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sync_support import ANNA, BOB


def _tool(name: str) -> str | None:
    """A command installed by pip: on PATH, or next to this Python (a virtualenv or a
    `--user` install whose scripts folder is not on PATH)."""
    return shutil.which(name) or shutil.which(name, path=sysconfig.get_path("scripts"))


VDIRSYNCER = _tool("vdirsyncer")
TODOMAN = _tool("todo")
KHARD = _tool("khard")
HAS_RADICALE = importlib.util.find_spec("radicale") is not None
HAS_CALDAV = importlib.util.find_spec("caldav") is not None

USER, PASSWORD = "phone", "secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    """Until the server accepts a connection; a bounded loop, failing with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"radicale exited ({proc.returncode}): {log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"radicale did not listen on {port} within {timeout}s: {log.read_text()}")


class Radicale:
    """A Radicale server in tmp_path: htpasswd users in plain text, filesystem storage."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir()
        self.port = _free_port()
        (folder / "users").write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
        config = folder / "config"
        config.write_text(
            f"[server]\nhosts = 127.0.0.1:{self.port}\n"
            f"[auth]\ntype = htpasswd\nhtpasswd_filename = {folder / 'users'}\n"
            "htpasswd_encryption = plain\n"
            f"[storage]\nfilesystem_folder = {folder / 'storage'}\n"
            "[logging]\nlevel = warning\n",
            encoding="utf-8",
        )
        self.log = folder / "radicale.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", str(config)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_for_port(self.port, self.proc, self.log)
        self.base = f"http://127.0.0.1:{self.port}/{USER}/"
        self._phone = None

    @property
    def phone(self):
        """The phone: a CalDAV client of the `caldav` library, one for the test."""
        if self._phone is None:
            import caldav

            self._phone = caldav.DAVClient(url=self.base, username=USER, password=PASSWORD)
        return self._phone

    def stop(self) -> None:
        if self._phone is not None:
            self._phone.close()  # and its connection-watching threads with it
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    # -- plain HTTP, for CardDAV (the caldav library does calendars) -----------------------

    def request(self, method: str, url: str, body: bytes | None = None, **headers: str):
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        request = urllib.request.Request(url, data=body, method=method)
        request.add_header("Authorization", f"Basic {token}")
        for name, value in headers.items():
            request.add_header(name.replace("_", "-"), value)
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()


@pytest.fixture
def radicale(tmp_path):
    if not (HAS_RADICALE and HAS_CALDAV and VDIRSYNCER):
        pytest.skip("needs radicale, caldav and vdirsyncer (pip install -e '.[test]')")
    server = Radicale(tmp_path / "radicale")
    yield server
    server.stop()


def _make_collections(server: Radicale) -> None:
    """A task list, a calendar and an address book, as a phone's account would have."""
    principal = server.phone.principal()
    principal.make_calendar(
        name="crm tasks", cal_id="tasks", supported_calendar_component_set=["VTODO"]
    )
    principal.make_calendar(
        name="crm events", cal_id="events", supported_calendar_component_set=["VEVENT"]
    )
    body = (
        b'<?xml version="1.0" encoding="utf-8"?>'
        b'<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>'
        b"<D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>"
        b"<D:displayname>crm contacts</D:displayname></D:prop></D:set></D:mkcol>"
    )
    status, _, _ = server.request(
        "MKCOL", server.base + "contacts/", body, Content_Type="application/xml"
    )
    assert status == 201


DOC = (Path(__file__).resolve().parents[1] / "docs" / "sync.md").read_text(encoding="utf-8")


def _from_doc(fence: str, replacements: dict[str, str]) -> str:
    """A code block of docs/sync.md with the example's places made this test's: each
    replaced text must be in the block, so the page and the test cannot drift apart."""
    block = re.search(rf"```{fence}\n(.*?)```", DOC, re.S).group(1)
    block = re.sub(r"(?m)^ {3}", "", block)  # a block inside a numbered list
    for old, new in replacements.items():
        assert old in block, old
        block = block.replace(old, new)
    return block


@pytest.fixture
def linked(radicale, vault, tmp_path, monkeypatch):
    """A vault set up as docs/sync.md says, its collections on the Radicale server."""
    _make_collections(radicale)
    share = tmp_path / "share"
    for kind in ("tasks", "events", "contacts"):
        (share / f"crm-{kind}").mkdir(parents=True)
    secret = tmp_path / "app-password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    config = tmp_path / "vdirsyncer.conf"
    config.write_text(
        _from_doc(
            "ini",
            {
                "~/.local/share/vdirsyncer/": f"{share}/",
                "https://cloud.example.org/remote.php/dav/calendars/anna/crm-tasks/": f"{radicale.base}tasks/",
                "https://cloud.example.org/remote.php/dav/calendars/anna/crm-events/": f"{radicale.base}events/",
                "https://cloud.example.org/remote.php/dav/addressbooks/users/anna/crm/": f"{radicale.base}contacts/",
                'username = "anna"': f'username = "{USER}"',
                "~/.config/vdirsyncer/app-password": str(secret),
            },
        ),
        encoding="utf-8",
    )
    # `command = "vdirsyncer sync"` as the page has it: vdirsyncer on PATH, its config here.
    monkeypatch.setenv("VDIRSYNCER_CONFIG", str(config))
    monkeypatch.setenv("PATH", f"{Path(VDIRSYNCER).parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(
        [VDIRSYNCER, "discover"],
        stdin=subprocess.DEVNULL,
        check=True,
        capture_output=True,
        timeout=120,
    )
    toml = _from_doc("toml", {"~/.local/share/vdirsyncer/": f"{share}/"})
    root = vault({"crm.toml": toml, "People/Anna Rossi.md": ANNA, "People/Bob.md": BOB})
    return root, radicale, share


def _todos(server: Radicale) -> dict[str, object]:
    calendar = server.phone.calendar(url=server.base + "tasks/")
    return {str(t.icalendar_component["SUMMARY"]): t for t in calendar.todos()}


def _cards(server: Radicale) -> dict[str, tuple[str, str, str]]:
    """The address book by FN: (href, etag, vCard text), listed and read over CardDAV."""
    import vobject

    body = b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>'
    _, _, listing = server.request("PROPFIND", server.base + "contacts/", body, Depth="1")
    cards = {}
    for response in ET.fromstring(listing).iter("{DAV:}response"):
        href = response.findtext("{DAV:}href") or ""
        if not href.endswith(".vcf"):
            continue
        url = f"http://127.0.0.1:{server.port}{href}"
        _, headers, data = server.request("GET", url)
        text = data.decode("utf-8")
        cards[vobject.readOne(text).fn.value] = (url, headers["ETag"], text)
    return cards


def _files(share: Path, root: Path) -> dict[str, tuple[bytes, int]]:
    """The vdirs, the notes and crm's state (not vdirsyncer's): bytes and mtime (ns)."""
    out = {}
    for base in (*share.glob("crm-*"), root / "People", root / ".crm"):
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.endswith(".cache"):
                out[str(path)] = (path.read_bytes(), path.stat().st_mtime_ns)
    return out


def test_a_task_ticked_on_the_phone_is_ticked_in_the_note(linked, crm):
    root, server, share = linked
    first = crm(root, "sync")
    assert first.exit_code == 0, first.output

    # The phone sees the follow-ups and reconnects, and the people.
    todos = _todos(server)
    assert set(todos) == {
        "Anna Rossi: send the abstract",
        "Anna Rossi: call about the move",
        "Anna Rossi: book the venue",
        "Reconnect with Anna Rossi",
        "Reconnect with Bob",
    }
    assert set(_cards(server)) == {"Anna Rossi", "Bob"}

    # On the bus: one reminder ticked, one moved, a number added to Anna's card.
    todos["Anna Rossi: send the abstract"].complete(
        completion_timestamp=dt.datetime(2026, 11, 24, 8, 30, tzinfo=dt.UTC)
    )
    moved = todos["Anna Rossi: call about the move"]
    component = moved.icalendar_component
    component.pop("DUE")
    component.add("DUE", dt.date(2026, 12, 4))
    moved.icalendar_component = component
    moved.save()
    url, etag, card = _cards(server)["Anna Rossi"]
    edited = card.replace("END:VCARD", "TEL;TYPE=CELL:+39 347 7654321\r\nEND:VCARD")
    status, _, _ = server.request(
        "PUT", url, edited.encode("utf-8"), Content_Type="text/vcard; charset=utf-8", If_Match=etag
    )
    assert status in (201, 204)

    result = crm(root, "sync", today=dt.date(2026, 11, 24))
    assert result.exit_code == 0, result.output
    assert (root / "People" / "Anna Rossi.md").read_text(encoding="utf-8") == (
        ANNA.replace(
            'phone: "+39 333 1234567"', 'phone:\n  - "+39 333 1234567"\n  - +39 347 7654321'
        )
        .replace(
            "- [ ] send the abstract 📅 2026-11-26",
            "- [x] send the abstract 📅 2026-11-26 ✅ 2026-11-24",
        )
        .replace("2026-12-01 call about the move", "2026-12-04 call about the move")
    )

    # The server now says what the notes say: the ticked task gone, the moved one moved.
    todos = _todos(server)
    assert "Anna Rossi: send the abstract" not in todos
    assert todos["Anna Rossi: call about the move"].icalendar_component.decoded("DUE") == dt.date(
        2026, 12, 4
    )
    assert "+39 347 7654321" in _cards(server)["Anna Rossi"][2]

    # Nothing changed anywhere: another sync (vdirsyncer included) touches no file.
    before = _files(share, root)
    again = crm(root, "sync", today=dt.date(2026, 11, 24))
    assert again.output == "tasks: in step; events: in step; contacts: in step\n"
    assert _files(share, root) == before


def test_a_task_ticked_on_the_phone_while_the_note_changed_it_keeps_the_note(linked, crm):
    root, server, _ = linked
    assert crm(root, "sync").exit_code == 0
    _todos(server)["Anna Rossi: call about the move"].complete(
        completion_timestamp=dt.datetime(2026, 11, 24, 8, 30, tzinfo=dt.UTC)
    )
    note = root / "People" / "Anna Rossi.md"
    edited = ANNA.replace("call about the move", "call about the new flat")
    note.write_text(edited, encoding="utf-8")
    result = crm(root, "sync")
    assert result.exit_code == 0, result.output
    assert note.read_text(encoding="utf-8") == edited
    (line,) = [line for line in result.output.splitlines() if line.startswith("tasks/")]
    assert line.endswith(
        ": Anna Rossi: 'call about the move' was completed on the other side, but the note"
        " changed it since the last sync (edited, moved or removed); the note wins"
    )
    assert "Anna Rossi: call about the new flat" in _todos(server)


# --- the pimutils tools read (and write) the same vdirs --------------------------------------


@pytest.fixture
def local(vault, tmp_path, crm):
    vdirs = tmp_path / "vdirs"
    toml = f'[sync]\ntasks = "{vdirs}/tasks"\ncontacts = "{vdirs}/contacts"\n'
    root = vault({"crm.toml": toml, "People/Anna Rossi.md": ANNA, "People/Bob.md": BOB})
    assert crm(root, "sync").exit_code == 0
    return root, vdirs


def _todoman(tmp_path: Path, vdirs: Path, *args: str) -> str:
    config = tmp_path / "todoman.py"
    config.write_text(
        f'path = "{vdirs}/tasks"\ndate_format = "%Y-%m-%d"\ntime_format = "%H:%M"\n'
        f'default_list = "tasks"\ncache_path = "{tmp_path}/todoman.sqlite3"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "HOME": str(tmp_path), "TZ": "UTC"}
    done = subprocess.run(
        [TODOMAN, "-c", str(config), *args], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(TODOMAN is None, reason="needs todoman (pip install -e '.[test]')")
def test_todoman_lists_the_follow_ups_and_ticks_one(local, tmp_path, crm):
    root, vdirs = local
    listed = json.loads(_todoman(tmp_path, vdirs, "--porcelain", "list"))
    by_summary = {t["summary"]: t for t in listed}
    assert set(by_summary) == {
        "Anna Rossi: send the abstract",
        "Anna Rossi: call about the move",
        "Anna Rossi: book the venue",
        "Reconnect with Anna Rossi",
        "Reconnect with Bob",
    }
    due = dt.datetime.fromtimestamp(by_summary["Anna Rossi: send the abstract"]["due"], dt.UTC)
    assert due.date() == dt.date(2026, 11, 26)
    _todoman(tmp_path, vdirs, "done", str(by_summary["Anna Rossi: send the abstract"]["id"]))
    result = crm(root, "sync")
    assert result.exit_code == 0, result.output
    text = (root / "People" / "Anna Rossi.md").read_text(encoding="utf-8")
    assert "- [x] send the abstract 📅 2026-11-26 ✅ " in text


@pytest.mark.skipif(KHARD is None, reason="needs khard (pip install -e '.[test]')")
def test_khard_lists_the_contacts(local, tmp_path):
    _, vdirs = local
    config = tmp_path / "khard.conf"
    config.write_text(
        f"[addressbooks]\n[[crm]]\npath = {vdirs}/contacts\n\n"
        "[general]\ndebug = no\ndefault_action = list\neditor = /bin/false\n"
        "merge_editor = /bin/false\n",
        encoding="utf-8",
    )
    env = {**os.environ, "HOME": str(tmp_path)}

    def khard(*args: str) -> list[list[str]]:
        done = subprocess.run(
            [KHARD, "-c", str(config), *args], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return [line.split("\t") for line in done.stdout.splitlines()]

    assert sorted(row[1] for row in khard("list", "--parsable")) == ["Anna Rossi", "Bob"]
    assert khard("phone", "--parsable") == [["+39 333 1234567", "Anna Rossi", "voice"]]
    assert khard("birthdays", "--parsable") == [["1990.03.14", "Anna Rossi"]]
