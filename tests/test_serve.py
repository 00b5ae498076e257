"""`crm serve`: a real server process, a real HTTP client, the token as the only key."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import icalendar
import pytest
from live_support import Crm, wait_until

from plaintextcrm.errors import CrmError
from plaintextcrm.live.serve import Site, etag_matches, load_token, vault_stamp

TODAY = "2026-11-23"


def person(name: str, birthday: str = "1990-11-30") -> str:
    return f"---\nname: {name}\nbirthday: {birthday}\ncadence: 2w\n---\n- 2026-11-01 coffee\n"


@pytest.fixture
def notes(vault):
    return vault({"People/Ada.md": person("Ada"), "People/Bob.md": person("Bob")})


class Server:
    """A running `crm serve --port 0` and the URLs it printed."""

    def __init__(self, root: Path, *extra: str) -> None:
        self.proc = Crm("--vault", str(root), "--today", TODAY, "serve", "--port", "0", *extra)
        lines = wait_until(
            lambda: [ln for ln in self.proc.out if ln.startswith("Digest:")] and self.proc.out,
            what="the printed URLs",
        )
        self.ics_url = next(ln.split()[1] for ln in lines if ln.startswith("Calendar:"))
        self.digest_url = next(ln.split()[1] for ln in lines if ln.startswith("Digest:"))
        parts = urlsplit(self.digest_url)
        self.host, self.port = parts.hostname, parts.port
        self.token = parts.path.split("/")[1]
        self.ics_path = urlsplit(self.ics_url).path
        self.digest_path = parts.path

    def request(self, method: str, path: str, headers: dict[str, str] | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


@pytest.fixture
def server(notes):
    running = Server(notes)
    yield running
    running.proc.kill()


def test_prints_urls_with_a_persistent_private_token(notes):
    first = Server(notes)
    try:
        assert first.ics_url.startswith("webcal://127.0.0.1:")
        assert first.ics_url.endswith(f"/{first.token}/crm.ics")
        assert first.digest_url == f"http://127.0.0.1:{first.port}/{first.token}/digest.html"
        assert len(first.token) >= 32  # 24 random bytes, base64: 192 bits
        token_file = notes / ".crm" / "token"
        assert token_file.read_text().strip() == first.token
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert (notes / ".crm" / ".gitignore").read_text() == "*\n"
    finally:
        assert first.proc.stop() == 0
    second = Server(notes)
    try:
        assert second.token == first.token
    finally:
        assert second.proc.stop() == 0


def test_get_and_head_the_feed(server):
    status, headers, body = server.request("GET", server.ics_path)
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    summaries = sorted(str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT"))
    assert "Ada's birthday" in summaries and "Bob's birthday" in summaries
    status, head_headers, head_body = server.request("HEAD", server.ics_path)
    assert status == 200 and head_body == b""
    assert head_headers["ETag"] == headers["ETag"]
    assert head_headers["Content-Length"] == headers["Content-Length"]


def test_get_the_digest(server):
    status, headers, body = server.request("GET", server.digest_path)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"<html" in body.lower() and b"Ada" in body
    assert "default-src 'none'" in headers["Content-Security-Policy"]


def test_etag_and_if_none_match(server):
    _, headers, _ = server.request("GET", server.ics_path)
    etag = headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    status, headers304, body = server.request("GET", server.ics_path, {"If-None-Match": etag})
    assert status == 304 and body == b"" and headers304["ETag"] == etag
    status, *_ = server.request("HEAD", server.ics_path, {"If-None-Match": f'"x", W/{etag}'})
    assert status == 304
    status, _, body = server.request("GET", server.ics_path, {"If-None-Match": '"other"'})
    assert status == 200 and body


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/crm.ics",
        "/{token}",
        "/{token}/",
        "/{token}/crm.ics/",
        "/{token}/digest.md",
        "/{token}/../{token}/crm.ics",
        "/{token}x/crm.ics",
        "/{wrong}/crm.ics",
        "/{wrong}/digest.html",
        "/.crm/token",
        "/People/Ada.md",
        "/{token}/crm.ics/x",
        "/{token}/CRM.ICS",
    ],
)
def test_everything_else_is_404_without_a_listing(server, path):
    wrong = "A" * len(server.token)
    status, _, body = server.request("GET", path.format(token=server.token, wrong=wrong))
    assert status == 404
    assert body == b"Not found\n"
    assert server.token.encode() not in body


def test_other_methods_are_refused(server):
    for method in ("POST", "PUT", "DELETE"):
        status, headers, _ = server.request(method, server.ics_path)
        assert status == 405 and headers["Allow"] == "GET, HEAD"
    status, _, _ = server.request("PROPFIND", server.ics_path)
    assert status == 501


def test_an_edit_changes_the_body_and_etag(server, notes):
    _, headers, _ = server.request("GET", server.ics_path)
    old = headers["ETag"]
    (notes / "People" / "Cy.md").write_text(person("Cyd"), encoding="utf-8")

    def changed():
        status, headers, body = server.request("GET", server.ics_path, {"If-None-Match": old})
        if status != 200 or headers["ETag"] == old:
            return False
        events = icalendar.Calendar.from_ical(body).walk("VEVENT")
        return "Cyd's birthday" in {str(e["SUMMARY"]) for e in events}

    wait_until(changed, what="the feed to follow the new note")
    status, _, body = server.request("GET", server.digest_path)
    assert status == 200 and b"Cyd" in body


def test_concurrent_requests(server):
    paths = [server.ics_path, server.digest_path] * 20

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda p: server.request("GET", p), paths))
    assert {status for status, _, _ in answers} == {200}
    assert (
        len({h["ETag"] for (_, h, _), p in zip(answers, paths, strict=True) if p == paths[0]}) == 1
    )


def test_binds_loopback_by_default(server):
    listening = _listening_addresses(server.port)
    if listening is None:
        pytest.skip("no /proc/net/tcp here")
    assert listening == {"127.0.0.1"}


def _listening_addresses(port: int) -> set[str] | None:
    """Local addresses in LISTEN state on `port`, from /proc/net/tcp{,6} (Linux)."""
    found: set[str] = set()
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        return None
    for table in tables:
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if int(port_hex, 16) == port and fields[3] == "0A":
                if len(address) == 8:
                    found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
                else:
                    found.add(address)
    return found


def test_access_log_hides_the_token(server):
    server.request("GET", server.ics_path)
    line = wait_until(lambda: server.proc.err_lines("crm.ics"), what="the access log line")[0]
    assert server.token not in line and "/<token>/crm.ics" in line


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_exit_cleanly(notes, sig):
    running = Server(notes)
    running.request("GET", running.ics_path)
    assert running.proc.stop(sig) == 0
    assert not any("Traceback" in line for line in running.proc.err), running.proc.err


def test_port_in_use_is_one_clear_error(notes):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = Crm("--vault", str(notes), "serve", "--port", str(port))
        assert proc.proc.wait(timeout=20) == 1
        proc.stop()
    assert len(proc.err) == 1 and proc.err[0].startswith("crm: error: cannot listen")


# --- units -----------------------------------------------------------------------------


def test_load_token_makes_reuses_and_repairs(tmp_path):
    token = load_token(tmp_path)
    path = tmp_path / ".crm" / "token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_token(tmp_path) == token
    os.chmod(path, 0o644)
    assert load_token(tmp_path) == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("short\n")
    fresh = load_token(tmp_path)
    assert fresh != token and len(fresh) >= 32


def test_etag_matches():
    assert etag_matches('"a"', '"a"')
    assert etag_matches('W/"a"', '"a"')
    assert etag_matches('"b", "a"', '"a"')
    assert etag_matches("*", '"a"')
    assert not etag_matches('"b"', '"a"')
    assert not etag_matches(None, '"a"')
    assert not etag_matches("", '"a"')


def test_site_renders_once_per_vault_stamp_and_day(notes):
    renders = []

    def render(kind, index, root, today, config, days):
        renders.append((kind, today))
        return f"{kind} {today} {len(index.contacts)}".encode()

    hour_ago = time.time() - 3600
    for path in notes.rglob("*"):
        os.utime(path, (hour_ago, hour_ago))
    days = iter([date(2026, 11, 23)] * 3 + [date(2026, 11, 24)] * 10)
    site = Site(notes, lambda: next(days), render=render, stamp_ttl=0)
    first = site.body("ics")
    assert site.body("ics") is first
    assert site.body("html").data == b"html 2026-11-23 2"
    assert site.builds == 1
    assert site.body("ics").data == b"ics 2026-11-24 2"  # a new day is a new feed
    stamp = vault_stamp(notes)
    cy = notes / "People" / "Cy.md"
    cy.write_text(person("Cy"), encoding="utf-8")
    assert vault_stamp(notes) is None  # too fresh to trust its mtime: render every time
    assert site.body("ics").data == b"ics 2026-11-24 3"
    assert site.body("ics").data == b"ics 2026-11-24 3"
    assert site.builds == 4
    os.utime(cy, (hour_ago, hour_ago))
    assert vault_stamp(notes) not in (None, stamp)
    site.body("ics")
    site.body("ics")
    assert site.builds == 5
    assert len(renders) == 6


def test_site_walks_the_vault_once_per_ttl(notes):
    site = Site(notes, lambda: date(2026, 11, 23), render=lambda *a: b"x", stamp_ttl=60)
    with ThreadPoolExecutor(max_workers=8) as pool:
        bodies = list(pool.map(lambda _: site.body("ics"), range(40)))
    assert {b.data for b in bodies} == {b"x"}
    assert site._walks == 1 and site.builds == 1


def test_a_broken_digest_template_is_a_500_and_the_feed_still_works(server, notes):
    templates = notes / ".crm" / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / "digest.html.j2").write_text("{% if %}\n", encoding="utf-8")
    status, _, body = server.request("GET", server.digest_path)
    assert status == 500 and str(notes).encode() not in body
    assert server.request("GET", server.ics_path)[0] == 200
    wait_until(lambda: server.proc.err_lines("template error"), what="the error line")
    (templates / "digest.html.j2").unlink()
    assert server.request("GET", server.digest_path)[0] == 200


def test_load_token_in_a_read_only_vault_is_one_clear_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores permissions")
    os.chmod(tmp_path, 0o500)
    try:
        with pytest.raises(CrmError, match="cannot keep the feed token"):
            load_token(tmp_path)
    finally:
        os.chmod(tmp_path, 0o700)


def test_two_servers_starting_together_agree_on_one_token(tmp_path):
    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = set(pool.map(lambda _: load_token(tmp_path), range(16)))
    assert tokens == {(tmp_path / ".crm" / "token").read_text().strip()}
    assert [p.name for p in (tmp_path / ".crm").iterdir() if p.name.endswith(".tmp")] == []


def test_docs_cover_every_serve_option(crm):
    import re

    docs = (Path(__file__).resolve().parents[1] / "docs" / "live.md").read_text(encoding="utf-8")
    options = set(re.findall(r"--[a-z][a-z-]+", crm(None, "serve", "--help").output)) - {
        "--help",
        "--vault",
        "--today",
        "--color",
    }
    assert options == {"--host", "--port", "--days", "--quiet"}
    assert [o for o in options if o not in docs] == []
