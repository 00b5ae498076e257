"""Issue 15 item 8: `crm serve` revokes a deleted token at once, writes whole log lines
from concurrent requests, and answers a burst of 50 connections without a backlog stall.

Real processes and a real HTTP client on loopback only; every loop is bounded.
"""

from __future__ import annotations

import http.client
import io
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from plaintextcrm.live.serve import FeedServer, Site

ANNA = "---\nname: Anna Rossi\ncadence: 1w\nbirthday: 1990-11-25\n---\n- 2026-11-01 coffee\n"
#: An access-log line: client, request line, status (http.server's format).
ACCESS = re.compile(r'127\.0\.0\.1 "(GET|HEAD) /\S* HTTP/1\.1" \d{3} \S+')


def start(root: Path):
    """`crm serve --port 0` as a user runs it; returns (process, port, token)."""
    from live_support import Crm, wait_until

    proc = Crm("--vault", str(root), "--today", "2026-11-23", "serve", "--port", "0")
    lines = wait_until(
        lambda: [ln for ln in proc.out if ln.startswith("Digest:")] and proc.out,
        what="the printed URLs",
    )
    url = urlsplit(next(ln.split()[1] for ln in lines if ln.startswith("Digest:")))
    return proc, url.port, url.path.split("/")[1]


def get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@pytest.fixture
def served(vault):
    root = vault({"People/Anna Rossi.md": ANNA})
    proc, port, token = start(root)
    try:
        yield root, proc, port, token
    finally:
        proc.stop()


def test_deleting_the_token_file_revokes_the_url_of_a_running_server(served):
    from live_support import wait_until

    root, proc, port, token = served
    token_file = root / ".crm" / "token"
    assert get(port, f"/{token}/crm.ics") == 200
    token_file.unlink()
    assert get(port, f"/{token}/crm.ics") == 404  # the very next request
    assert get(port, f"/{token}/digest.html") == 404
    wait_until(lambda: proc.err_lines("token was deleted"), what="the revocation line")
    # a new token written into the file is served from then on; the old one stays dead
    new = "N" * 32
    token_file.write_text(new + "\n")
    assert get(port, f"/{new}/crm.ics") == 200
    assert get(port, f"/{token}/crm.ics") == 404
    # changed again: the second token is revoked as well
    token_file.write_text("M" * 32 + "\n")
    assert get(port, f"/{new}/crm.ics") == 404
    assert not any(new in line or token in line for line in proc.err)  # never logged


def test_a_fifo_in_place_of_the_token_does_not_hang_the_server(served):
    import os

    root, _, port, token = served
    token_file = root / ".crm" / "token"
    token_file.unlink()
    os.mkfifo(token_file)
    assert get(port, f"/{token}/crm.ics") == 404  # answered, not stuck reading the FIFO


class SlowLog(io.StringIO):
    """A log that yields between writes, as a busy stderr does: a line written in two
    calls (text, then newline) lets another thread's line in between."""

    def write(self, text: str) -> int:
        time.sleep(0.0005)
        return super().write(text)


def test_every_log_line_is_whole_under_concurrent_requests(vault):
    root = vault({"People/Anna Rossi.md": ANNA})
    log = SlowLog()
    site = Site(root, lambda: date(2026, 11, 23))
    server = FeedServer(("127.0.0.1", 0), site, "T" * 32, log=log)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    port = server.server_address[1]
    paths = [f"/{'T' * 32}/crm.ics", "/nope", f"/{'T' * 32}/digest.html", "/x/crm.ics"]
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(lambda i: get(port, paths[i % 4]), range(200)))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert statuses.count(200) == 100 and statuses.count(404) == 100
    lines = log.getvalue().splitlines()
    assert len(lines) == 200, lines[:5]
    broken = [line for line in lines if not ACCESS.fullmatch(line)]
    assert broken == [], broken[:5]
    assert all("T" * 32 not in line for line in lines)


def test_fifty_simultaneous_connections_are_all_answered(served, capsys):
    _, proc, port, token = served
    assert FeedServer.request_queue_size >= 128  # the listen backlog
    start_line = threading.Barrier(50)

    def one(_: int) -> tuple[int, float]:
        start_line.wait(timeout=30)
        began = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(
                f"GET /{token}/crm.ics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
            )
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        return int(data.split(b" ", 2)[1]), time.monotonic() - began

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(one, range(50)))
    assert [status for status, _ in results] == [200] * 50
    worst = max(seconds for _, seconds in results)
    with capsys.disabled():
        print(f"\n50 simultaneous connections: worst latency {worst:.3f} s")
    # the access log of the real process: every line whole
    lines = [line for line in list(proc.err) if '"GET' in line]
    assert len(lines) >= 50
    assert all(ACCESS.fullmatch(line) for line in lines), lines[:3]
