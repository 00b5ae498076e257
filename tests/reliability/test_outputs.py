"""BAD_INPUTS cases 49-52: hostile text in the digest, the feed, CSV exports and the server."""

from __future__ import annotations

import csv
import http.client
import io
import os
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .helpers import assert_clean_exit, needs, snapshot

HOSTILE_NAME = "Eve <script>alert(1)</script> {{ 7*7 }} {% raw %}"
HOSTILE_LINE = (
    "said <img src=x onerror=alert(2)> & {{ config }} {% for x in y %}{{x}}{% endfor %} {#c#}"
)


def hostile_vault(vault) -> Path:
    return vault(
        {
            "People/Eve.md": (
                f"---\nname: '{HOSTILE_NAME}'\ncadence: 1w\nbirthday: 1990-11-25\n---\n"
                f"- 2026-11-01 {HOSTILE_LINE} #got\n- [ ] 2026-11-20 {HOSTILE_LINE}\n"
            ),
            "People/Anna.md": "---\ncadence: 1w\n---\n- 2026-11-01 {{ 6*7 }} <b>bold</b>\n",
        }
    )


@needs("digest", "digest")
@pytest.mark.parametrize("fmt", ["html", "md", "txt"])
def test_case_49_hostile_text_is_escaped_and_never_evaluated(vault, crm, fmt):
    root = hostile_vault(vault)
    before = snapshot(root)
    result = crm(root, "digest", "--format", fmt, "--days", "30")
    assert_clean_exit(result)
    out = result.stdout
    # template syntax in notes stays text: evaluated, it would have become 49, 42, "y"...
    assert "{{ 7*7 }}" in out and "{{ 6*7 }}" in out and "{% for x in y %}{{x}}{% endfor %}" in out
    if fmt == "html":
        assert "<script>alert(1)" not in out and "<img src=x" not in out and "<b>bold" not in out
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "&lt;img src=x" in out
    elif fmt == "md":  # Markdown viewers render raw HTML: it must be escaped there too
        assert not re.search(r"(?<!\\)<(script|img|b>)", out), out
        assert "\\<script\\>alert(1)" in out or "&lt;script&gt;alert(1)" in out
    else:
        assert "<script>alert(1)</script>" in out  # plain text shows the text as written
    assert snapshot(root) == before


LONG = "très long texte, avec; virgules\\ et ; points-virgules " * 12


@needs("ics", "ics")
def test_case_50_feed_escapes_and_folds_hostile_text(vault, crm):
    import icalendar

    name = 'Zoë "Z" Rossi, Jr.; \\o/'
    root = vault(
        {
            "People/Zoe.md": (
                f"---\nname: '{name}'\naliases: [\"Line\\nbreak\"]\nbirthday: 1990-11-25\ncadence: 1w\n"
                f'dates: ["2015-06-20 wedding, with; commas\\\\and backslash"]\n---\n'
                f"- 2026-11-01 {LONG}\n- [ ] 2026-11-20 ask about {LONG}\n"
            ),
            "People/Multi.md": '---\nname: "Two\\nLines\\r\\nName"\ncadence: 1w\n---\n',
        }
    )
    result = crm(root, "ics")
    assert_clean_exit(result)
    data = result.stdout_bytes
    assert all(len(line) <= 75 for line in data.split(b"\r\n")), "a line is not folded"
    assert b"\n" not in data.replace(b"\r\n", b"")  # only CRLF line ends
    calendar = icalendar.Calendar.from_ical(data)
    events = list(calendar.walk("VEVENT"))
    summaries = [str(e["SUMMARY"]) for e in events]
    descriptions = "\n".join(str(e.get("DESCRIPTION", "")) for e in events)
    assert any(name in s for s in summaries), summaries
    assert LONG[:120] in descriptions
    assert any("Two" in s for s in summaries)
    assert len({str(e["UID"]) for e in events}) == len(events)


@needs("export", "importers")
def test_case_51_csv_export_neutralises_formulas(vault, crm):
    root = vault(
        {
            "People/=HYPERLINK(evil).md": (
                "---\nname: '=HYPERLINK(\"http://evil\",\"x\")'\ncompany: '+SUM(A1:A9)'\n"
                "role: '-2+3'\nlocation: '@cmd'\nemail: '\tx@example.org'\nphone: '+39 333 1234567'\n---\n"
            ),
        }
    )
    result = crm(root, "export", "csv")
    assert_clean_exit(result)
    rows = list(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells, rows
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    joined = " ".join(cells)
    assert '=HYPERLINK("http://evil","x")' in joined and "+SUM(A1:A9)" in joined


def _start_server(root: Path):
    from live_support import Crm, wait_until

    proc = Crm("--vault", str(root), "--today", "2026-11-23", "serve", "--port", "0")
    lines = wait_until(
        lambda: [ln for ln in proc.out if ln.startswith("Digest:")] and proc.out,
        what="the printed URLs",
    )
    digest_url = next(ln.split()[1] for ln in lines if ln.startswith("Digest:"))
    parts = urlsplit(digest_url)
    return proc, parts.hostname, parts.port, parts.path.split("/")[1]


def _request(host, port, method, path, raw: bytes | None = None):
    if raw is not None:
        with socket.create_connection((host, port), timeout=20) as sock:
            sock.sendall(raw)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        head = b"".join(chunks).split(b"\r\n", 1)[0]
        return int(head.split()[1]) if head.startswith(b"HTTP/") else 0, b"".join(chunks)
    conn = http.client.HTTPConnection(host, port, timeout=20)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@needs("serve", "live")
def test_case_52_server_refuses_everything_but_its_two_outputs_and_stays_up(vault, tmp_path):
    root = hostile_vault(vault)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    (root / "People" / "secret.md").write_text("NOTE SECRET")
    proc, host, port, token = _start_server(root)
    try:
        good = f"/{token}/crm.ics"
        wrong = token[:-1] + ("y" if token.endswith("x") else "x")  # never the token itself
        bad_paths = [
            "/", f"/{token}/", f"/{token}", "/wrong/crm.ics", f"/{wrong}/crm.ics",
            f"/{token}/../crm.ics", f"/{token}/../../../../{secret}", f"/{token}/%2e%2e/%2e%2e/etc/passwd",
            f"/{token}/People/secret.md", f"/{token}/.crm/token", "/.crm/token", f"/{token}/crm.ics/..",
            f"/{token}/crm.ics%00.txt", f"//{token}/crm.ics/x", f"/{token}/" + "a" * 60_000,
            "/" + "%" * 5000, f"/{token}/digest.html?" + "q" * 8000,
        ]  # fmt: skip
        for path in bad_paths:
            status, body = _request(host, port, "GET", path)
            assert status in (404, 414, 400, 431) or (
                status == 200 and path.startswith(f"/{token}/digest.html?")
            ), (path[:80], status)
            assert b"SECRET" not in body and b"Index of" not in body and token.encode() not in body
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "BREW"):
            status, body = _request(host, port, method, good)
            assert status in (405, 501, 404, 400), (method, status)
        status, body = _request(host, port, "HEAD", good)
        assert status == 200 and body == b""
        for raw in (
            b"GARBAGE\r\n\r\n",
            b"GET " + b"/" * 100_000 + b" HTTP/1.1\r\n\r\n",
            b"\x00\xff\r\n\r\n",
        ):
            _request(host, port, None, None, raw=raw)  # must not crash the server

        def fetch(i: int) -> int:
            return _request(host, port, "GET", good if i % 2 else "/nope")[0]

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(fetch, range(64)))
        assert statuses.count(200) == 32 and statuses.count(404) == 32
        status, body = _request(host, port, "GET", good)
        assert status == 200 and body.startswith((b"BEGIN:VCALENDAR", b"FAKE"))
        assert proc.proc.poll() is None  # still up
        assert not [line for line in proc.err if "Traceback" in line]
    finally:
        proc.kill()
    assert os.path.exists(secret)
