"""`crm serve`: the feed and the HTML digest over HTTP, behind a secret token (docs/live.md).

A calendar app polls the feed every hour or so; each request checks a cheap stamp of the
vault (its `Snapshot` key and the template overrides) and renders again, updating the
index it keeps in memory for the notes that changed, only when the stamp or the day
changed, so the answer is always current without a watcher thread. The URL's token is
the only access control: it is random (192 bits), kept in `.crm/token` readable by the
owner only, compared in constant time, and never written to the access log.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import stat
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO

from plaintextcrm.errors import CacheChanged, CrmError
from plaintextcrm.live.outputs import KINDS, render_output
from plaintextcrm.readfile import NotRegularFile, read_regular
from plaintextcrm.render.ics import KIND_FEEDS
from plaintextcrm.vault import ensure_state_dir

TOKEN_FILE = "token"
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{22,}")
#: URL file name → output: the feed, each kind's own feed (`birthdays.ics`...), the digest.
ROUTES = {
    "crm.ics": "ics",
    **{f"{name}.ics": f"ics:{kind}" for kind, name in KIND_FEEDS.items()},
    "digest.html": "html",
}


def load_token(root: Path, log: TextIO | None = None) -> str:
    """The feed token from `<vault>/.crm/token`, made (mode 0600) on first use.

    The same token is reused on every start so subscriptions keep working; delete the file
    to revoke every subscribed URL at once. Two servers starting together agree on one
    token: the file is created with a hard link, which fails if the other got there first.
    """
    try:
        path = ensure_state_dir(root) / TOKEN_FILE
        return _read_or_make_token(path, log or sys.stderr)
    except OSError as exc:
        raise CrmError(
            f"cannot keep the feed token in {root / '.crm' / TOKEN_FILE}: {exc.strerror or exc}"
        ) from None


def _read_token(path: Path) -> str | None:
    """The token in `path`; None when there is none, "" when it holds no valid token (or
    is a FIFO or a device, never waited on): the caller then replaces it atomically."""
    try:
        token = read_regular(path).decode("ascii", errors="replace").strip()
    except FileNotFoundError:
        return None
    except NotRegularFile:
        return ""
    if not TOKEN_RE.fullmatch(token):
        return ""
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return token


def _read_or_make_token(path: Path, log: TextIO) -> str:
    token = _read_token(path)
    if token:
        return token
    if token == "":
        print(f"crm: {path} did not hold a valid token; made a new one (subscribe again)", file=log)
    fresh = secrets.token_urlsafe(24)
    tmp = path.with_name(f".{TOKEN_FILE}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(fresh + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        if token == "":
            os.replace(tmp, path)
            return fresh
        try:
            os.link(tmp, path)
        except FileExistsError:
            return _read_token(path) or fresh  # another server made it a moment ago
        except OSError:  # a file system without hard links
            os.replace(tmp, path)
        return fresh
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def vault_stamp(root: Path, snapshot: Any = None) -> str | None:
    """A digest of everything an output depends on that can change on disk: the
    snapshot's key (each note's path, size and mtime_ns, the config and its files) and
    the template override files. None while a note is too fresh to trust its mtime
    (then every request renders again)."""
    from plaintextcrm.config import load_config
    from plaintextcrm.snapshot import folder_facts, take
    from plaintextcrm.templating import vault_template_dirs

    snap = snapshot or take(root, load_config(root))
    key = snap.key
    if key is None:
        return None
    templates = folder_facts(vault_template_dirs(root, snap.config.templates_dir))
    text = repr((key, templates))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class Body:
    """One rendered output with its validator."""

    data: bytes
    etag: str
    content_type: str


def make_body(kind: str, data: bytes) -> Body:
    return Body(data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"', KINDS[kind])


class Site:
    """The rendered outputs, memoised per (vault stamp, today); safe across threads.

    The stamp itself (a walk of the vault) is reused for `stamp_ttl` seconds, so a burst
    of requests, or many clients at once, cost one walk; an edit shows within that time.
    While a file is too fresh for its mtime to be trusted, each new stamp counts as a
    change.
    """

    def __init__(
        self,
        root: Path,
        today: Callable[[], date],
        days: int | None = None,
        render: Callable[..., bytes] = render_output,
        stamp_ttl: float = 1.0,
    ) -> None:
        self.root = root
        self.today = today
        self.days = days
        self.render = render
        self.stamp_ttl = stamp_ttl
        self.builds = 0
        self._lock = threading.Lock()
        self._stamp_lock = threading.Lock()
        self._stamp: tuple[float, str, Any] | None = None
        self._built: Any = None
        self._walks = 0
        self._index: tuple[tuple[str, date], Any] | None = None
        self._bodies: dict[str, tuple[tuple[str, date], Body]] = {}

    def stamp(self) -> str:
        """The vault's current stamp, walked at most once per `stamp_ttl`."""
        return self._current()[0]

    def _current(self) -> tuple[str, Any]:
        """(stamp, snapshot): one walk of the vault, reused for `stamp_ttl` seconds."""
        from plaintextcrm.config import load_config
        from plaintextcrm.snapshot import take

        with self._stamp_lock:
            now = time.monotonic()
            if self._stamp is not None and now - self._stamp[0] < self.stamp_ttl:
                return self._stamp[1], self._stamp[2]
            self._walks += 1
            snap = take(self.root, load_config(self.root))
            stamp = vault_stamp(self.root, snap) or f"fresh-{self._walks}"
            self._stamp = (now, stamp, snap)
            return stamp, snap

    def body(self, kind: str) -> Body:
        from plaintextcrm.load import Session

        stamp, snap = self._current()
        key = (stamp, self.today())
        with self._lock:
            cached = self._bodies.get(kind)
            if cached and cached[0] == key:
                return cached[1]
            config = snap.config
            try:
                if self._index is None or self._index[0] != key:
                    # the index kept from the last build, updated for what changed since
                    session = Session(
                        self.root, config, key[1], snapshot=snap, previous=self._built
                    )
                    self._index = (key, session.index())
                    self._built = session.built
                    self.builds += 1
                data = self.render(kind, self._index[1], self.root, key[1], config, self.days)
            except CacheChanged:
                self._index = self._built = None  # read from `.crm/` again next time
                raise
            body = make_body(kind, data)
            self._bodies[kind] = (key, body)
            return body


def etag_matches(header: str | None, etag: str) -> bool:
    """`If-None-Match` (RFC 9110 13.1.2): `*` or a list of tags, compared weakly."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


class TokenFile:
    """The token `.crm/token` holds now: deleting or changing the file revokes the URLs of
    a running server at its next request, as it does for a server started afterwards.

    Each request costs one `stat`; the file is read again only when its identity, size or
    mtime changed, and only if it is a regular file (a FIFO there would hang the read).
    """

    def __init__(self, path: Path, token: str, say: Callable[[str], None]) -> None:
        self.path = path
        self.say = say
        self._lock = threading.Lock()
        self._seen = self._signature()
        self._token: str | None = token

    def _signature(self) -> tuple[int, ...] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_mode)

    def current(self) -> str | None:
        """The token to accept, or None while there is none (every URL is then a 404)."""
        signature = self._signature()
        with self._lock:
            if signature == self._seen:
                return self._token
            self._seen = signature
            token = None
            if signature is not None and stat.S_ISREG(signature[-1]):
                with contextlib.suppress(OSError):
                    token = _read_token(self.path) or None
            if token != self._token:
                self._token = token
                now = "the new token in it" if token else "restart `crm serve` for new ones"
                how = "changed" if signature is not None else "was deleted"
                self.say(f"crm: {self.path} {how}: the old URLs no longer work; {now}")
            return self._token


class FeedHandler(BaseHTTPRequestHandler):
    """GET/HEAD of the token URLs (`ROUTES`); 404 for every other path, 405 for other
    methods."""

    server: FeedServer
    server_version = "plaintextcrm"
    protocol_version = "HTTP/1.1"
    timeout = 30

    def version_string(self) -> str:
        return self.server_version  # no Python version on the wire

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _not_allowed(self) -> None:
        self.close_connection = True  # the request body, if any, is never read
        self._plain(HTTPStatus.METHOD_NOT_ALLOWED, b"Method not allowed\n", {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _route(self) -> str | None:
        parts = self.path.partition("?")[0].split("/")  # a query string is ignored
        if len(parts) != 3 or parts[0] or parts[2] not in ROUTES:
            return None
        token = self.server.current_token()
        if token is None or not hmac.compare_digest(parts[1].encode(), token.encode()):
            return None
        return ROUTES[parts[2]]

    def _answer(self, send_body: bool) -> None:
        kind = self._route()
        if kind is None:
            self._plain(HTTPStatus.NOT_FOUND, b"Not found\n", send_body=send_body)
            return
        try:
            body = self.server.site.body(kind)
        except Exception as exc:  # a broken template or note must not kill the server
            message = exc.message if isinstance(exc, CrmError) else f"{type(exc).__name__}: {exc}"
            self.server.say(f"crm: error: {message}")
            self._plain(HTTPStatus.INTERNAL_SERVER_ERROR, b"Cannot build\n", send_body=send_body)
            return
        headers = {
            "ETag": body.etag,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }
        if kind == "html":
            headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        if etag_matches(self.headers.get("If-None-Match"), body.etag):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", body.content_type)
        self.send_header("Content-Length", str(len(body.data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body.data)

    def _plain(
        self,
        status: HTTPStatus,
        text: bytes,
        extra: dict[str, str] | None = None,
        send_body: bool = True,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(text)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if send_body and self.command != "HEAD":
            self.wfile.write(text)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.quiet:
            return
        line = format % args
        for secret in self.server.tokens_seen:
            line = line.replace(secret, "<token>")
        self.server.say(f"{self.address_string()} {line}")


class FeedServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its site, token and log."""

    daemon_threads = True
    #: Connections the kernel holds while the server is busy accepting (socketserver's
    #: default, 5, made clients of a burst wait for SYN retransmits: 50 at once saw 4.35 s).
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        site: Site,
        token: str,
        log: TextIO | None = None,
        quiet: bool = False,
        token_file: Path | None = None,
    ) -> None:
        import socket

        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.site = site
        self.token = token
        self.tokens_seen = {token}
        self.log = log or sys.stderr
        self.quiet = quiet
        self._log_lock = threading.Lock()
        self.token_file = TokenFile(token_file, token, self.say) if token_file else None
        super().__init__(address, FeedHandler)

    def current_token(self) -> str | None:
        """The token a URL must carry now (see TokenFile); None: no URL works."""
        if self.token_file is None:
            return self.token
        token = self.token_file.current()
        if token is not None and token not in self.tokens_seen:
            self.tokens_seen.add(token)  # kept out of the access log too
        return token

    def say(self, line: str) -> None:
        """One line of the log: written whole, in one call under a lock, so lines from
        concurrent requests never interleave; note text in it is shown, not obeyed."""
        from plaintextcrm.render.terminal import visible

        text = visible(line.replace("\n", " ")) + "\n"
        with self._log_lock:
            self.log.write(text)
            self.log.flush()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line instead of socketserver's traceback (a client hanging up is not news)."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return
        self.say(f"crm: error serving {client_address[0]}: {error!r}")

    def urls(self, shown_host: str) -> dict[str, str]:
        """The subscription URLs for this server's port, with `shown_host` in them."""
        host = f"[{shown_host}]" if ":" in shown_host else shown_host
        base = f"{host}:{self.server_address[1]}/{self.token}"
        urls = {"ics": f"webcal://{base}/crm.ics", "digest": f"http://{base}/digest.html"}
        for kind, name in KIND_FEEDS.items():
            urls[f"ics:{kind}"] = f"webcal://{base}/{name}.ics"
        return urls


def serve_until_stopped(server: FeedServer, stop: threading.Event) -> None:
    """Serve in a background thread until `stop` is set (by a signal handler), then close."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    thread.daemon = True
    thread.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
