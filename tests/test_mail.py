"""Mailing the digest to a real SMTP server (aiosmtpd) listening on loopback."""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import socket
import ssl
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from plaintextcrm.config import SmtpConfig
from plaintextcrm.errors import CrmError
from plaintextcrm.mail import send_mail

NOTES = {
    "People/Ann Lee.md": (
        "---\nbirthday: 1986-11-30\n---\n- [ ] 2026-11-20 ask how the move went\n"
    ),
    "People/Evil.md": '---\nname: "<script>x</script>"\ncadence: 1w\n---\n',
}


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(e.original_content or e.content, policy=email.policy.default)
            for e in self.envelopes
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, **kwargs) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> Server:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def accept_only(user: str, password: str):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login == user.encode() and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)

    return authenticator


def smtp_toml(port: int, extra: str = "") -> str:
    return f'[smtp]\nhost = "127.0.0.1"\nport = {port}\n{extra}'


def test_send_mail_is_multipart_text_and_html():
    with Server() as server:
        sent = send_mail(
            SmtpConfig(host="127.0.0.1", port=server.port),
            "me@example.org",
            "CRM digest: 1 birthday — Nicolò",
            "plain text part\n",
            "<p>html part</p>\n",
        )
    [envelope] = server.inbox.envelopes
    assert envelope.rcpt_tos == ["me@example.org"]
    assert envelope.mail_from == "me@example.org"  # default sender: to yourself
    [msg] = server.inbox.messages()
    assert msg.get_content_type() == "multipart/alternative"
    parts = [
        (p.get_content_type(), p.get_content().replace("\r\n", "\n")) for p in msg.iter_parts()
    ]
    assert parts == [("text/plain", "plain text part\n"), ("text/html", "<p>html part</p>\n")]
    assert msg["Subject"] == "CRM digest: 1 birthday — Nicolò"
    assert msg["To"] == "me@example.org" and msg["From"] == "me@example.org"
    assert msg["Message-ID"] and msg["Date"]
    assert sent["Subject"] == msg["Subject"]


def test_sender_comes_from_config():
    with Server() as server:
        send_mail(
            SmtpConfig(host="127.0.0.1", port=server.port, sender="crm@example.net"),
            "me@example.org", "s", "t", "<p>h</p>",
        )  # fmt: skip
    assert server.inbox.envelopes[0].mail_from == "crm@example.net"
    assert server.inbox.messages()[0]["From"] == "crm@example.net"


def test_cli_mails_the_digest(vault, crm):
    with Server() as server:
        root = vault({**NOTES, "crm.toml": smtp_toml(server.port)})
        out = crm(root, "digest", "--mail-to", "me@example.org")
        assert out.exit_code == 0, out.stderr
        assert out.stdout == ""  # cron mails whatever is printed; the mail is the output
    [msg] = server.inbox.messages()
    assert msg["To"] == "me@example.org"
    assert msg["Subject"].startswith("CRM digest 2026-11-23: 1 follow-up (1 overdue), 1 birthday")
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "ask how the move went" in text and "<script>x</script>" in text
    assert "ask how the move went" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html


def test_cli_mail_and_file_together(vault, crm, tmp_path):
    target = tmp_path / "digest.md"
    with Server() as server:
        root = vault({**NOTES, "crm.toml": smtp_toml(server.port)})
        out = crm(root, "digest", "--mail-to", "me@example.org", "-o", str(target))
    assert out.exit_code == 0 and out.stdout == ""
    assert len(server.inbox.envelopes) == 1
    assert target.read_text(encoding="utf-8").startswith("# CRM digest")


def test_quiet_if_empty_sends_nothing(vault, crm):
    with Server() as server:
        root = vault({"People/Ann.md": "- 2026-11-01 call\n", "crm.toml": smtp_toml(server.port)})
        out = crm(root, "digest", "--quiet-if-empty", "--mail-to", "me@example.org")
        assert out.exit_code == 0 and out.stdout == "" and out.stderr == ""
    assert server.inbox.envelopes == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_with_password_from_the_environment(vault, crm):
    with Server(authenticator=accept_only("me", "s3cret"), auth_require_tls=False,
                auth_required=True) as server:  # fmt: skip
        toml = smtp_toml(server.port, 'user = "me"\npassword_env = "CRM_TEST_SMTP_PW"\n')
        root = vault({**NOTES, "crm.toml": toml})
        ok = crm(root, "digest", "--mail-to", "me@example.org", env={"CRM_TEST_SMTP_PW": "s3cret"})
        assert ok.exit_code == 0, ok.stderr
        assert len(server.inbox.envelopes) == 1

        wrong = crm(root, "digest", "--mail-to", "me@example.org",
                    env={"CRM_TEST_SMTP_PW": "nope"})  # fmt: skip
        assert wrong.exit_code == 1
        last = wrong.stderr.strip().splitlines()[-1]
        assert last.startswith("crm: error: mail not sent:") and "refused the login" in last
        assert "nope" not in wrong.stderr
        assert len(server.inbox.envelopes) == 1


def test_missing_password_variable_is_a_clear_error(vault, crm, monkeypatch):
    monkeypatch.delenv("CRM_TEST_SMTP_PW", raising=False)
    with Server() as server:
        toml = smtp_toml(server.port, 'user = "me"\npassword_env = "CRM_TEST_SMTP_PW"\n')
        root = vault({**NOTES, "crm.toml": toml})
        out = crm(root, "digest", "--mail-to", "me@example.org")
    assert out.exit_code == 1
    assert "CRM_TEST_SMTP_PW" in out.stderr and "not set" in out.stderr
    assert server.inbox.envelopes == []


def test_connection_refused_is_one_line(vault, crm):
    root = vault({**NOTES, "crm.toml": smtp_toml(free_port())})
    out = crm(root, "digest", "--mail-to", "me@example.org")
    assert out.exit_code == 1 and out.stdout == ""
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("crm: error: mail not sent: cannot connect to 127.0.0.1:")
    assert "Traceback" not in out.stderr


def test_ssl_and_starttls_together_is_refused():
    with pytest.raises(CrmError, match="cannot both"):
        send_mail(SmtpConfig(ssl=True, starttls=True), "me@example.org", "s", "t", "h")


# --- TLS: a throwaway certificate for 127.0.0.1, trusted through SSL_CERT_FILE -----------


@pytest.fixture
def tls_files(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    # The client verifies certificates as usual; it trusts this one through the standard
    # OpenSSL variable, the same way a user would trust a private CA.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    return cert_file, key_file


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_starttls_with_login(tls_files):
    context = server_context(*tls_files)
    with Server(tls_context=context, require_starttls=True,
                authenticator=accept_only("me", "pw")) as server:  # fmt: skip
        config = SmtpConfig(host="127.0.0.1", port=server.port, starttls=True, user="me",
                            password_env="CRM_PW")  # fmt: skip
        send_mail(config, "me@example.org", "s", "t", "<p>h</p>", env={"CRM_PW": "pw"})
    assert len(server.inbox.envelopes) == 1


def test_untrusted_certificate_is_one_line(tls_files, monkeypatch):
    context = server_context(*tls_files)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_files[0].with_name("missing.pem")))
    monkeypatch.setenv("SSL_CERT_DIR", str(tls_files[0].parent / "none"))
    with Server(tls_context=context, require_starttls=True) as server:
        config = SmtpConfig(host="127.0.0.1", port=server.port, starttls=True)
        with pytest.raises(CrmError, match=r"TLS with 127\.0\.0\.1:.* failed"):
            send_mail(config, "me@example.org", "s", "t", "h")
    assert server.inbox.envelopes == []


def test_starttls_not_offered(tls_files):
    with Server() as server:
        config = SmtpConfig(host="127.0.0.1", port=server.port, starttls=True)
        with pytest.raises(CrmError, match="does not support STARTTLS"):
            send_mail(config, "me@example.org", "s", "t", "h")


def test_implicit_tls(tls_files):
    with Server(ssl_context=server_context(*tls_files)) as server:
        config = SmtpConfig(host="127.0.0.1", port=server.port, ssl=True)
        send_mail(config, "me@example.org", "s", "t", "<p>h</p>")
    assert len(server.inbox.envelopes) == 1


# --- issue 15, item 4: a shared crm.toml must not mail a secret anywhere ------------------


class Logins:
    """An authenticator that accepts `me`/`pw` and keeps every login attempt it saw."""

    def __init__(self) -> None:
        self.attempts: list[tuple[bytes, bytes]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            self.attempts.append((auth_data.login, auth_data.password))
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"pw"
        return AuthResult(success=ok, handled=False)


@pytest.mark.parametrize(
    "name",
    ["HOME", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "PGPASSWORD", "DATABASE_PASSWORD",
     "PASSWORD", "SMTP_USER", "MAIL_TOKEN", "X-CRM_PASS", "1SMTP_PASS", "CRMPASSWORD"],
)  # fmt: skip
def test_password_env_must_name_a_variable_meant_for_the_mail_password(vault, crm, name):
    logins = Logins()
    with Server(authenticator=logins, auth_require_tls=False) as server:
        toml = smtp_toml(server.port, f'user = "me"\npassword_env = "{name}"\n')
        root = vault({**NOTES, "crm.toml": toml})
        env = {name: "pw"} if name.isidentifier() else None
        for args in (("digest", "--mail-to", "me@example.org"), ("due",), ("check",)):
            out = crm(root, *args, env=env)
            assert out.exit_code == 1, (args, out.stdout)
            assert out.stderr.strip().splitlines() == [
                "crm: error: crm.toml: `smtp.password_env` must name a variable set for the"
                " mail password: one that starts with CRM_, or contains PASS and SMTP or MAIL"
                f" (such as CRM_SMTP_PASSWORD); {name!r} is not one"
            ]
    assert logins.attempts == [] and server.inbox.envelopes == []
    with pytest.raises(CrmError, match="must name a variable set for the mail password"):
        config = SmtpConfig(port=server.port, user="me", password_env=name)
        send_mail(config, "me@example.org", "s", "t", "h", env={name: "pw"})


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize(
    "name", ["CRM_SMTP_PASSWORD", "crm_mail", "SMTP_PASSWORD", "GMAIL_APP_PASSWORD", "MAIL_PASS"]
)
def test_password_env_names_that_are_plainly_for_mail_work(vault, crm, name):
    logins = Logins()
    with Server(authenticator=logins, auth_require_tls=False, auth_required=True) as server:
        toml = smtp_toml(server.port, f'user = "me"\npassword_env = "{name}"\n')
        root = vault({**NOTES, "crm.toml": toml})
        out = crm(root, "digest", "--mail-to", "me@example.org", env={name: "pw"})
        assert out.exit_code == 0, out.stderr
    assert logins.attempts == [(b"me", b"pw")] and len(server.inbox.envelopes) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_no_password_in_clear_text_to_a_server_that_is_not_loopback(vault, crm, monkeypatch):
    """Tests talk only to loopback, so the server stays on 127.0.0.1 and crm is told the
    connection leads elsewhere: the check it makes on the connected address says no."""
    import plaintextcrm.mail as mail

    monkeypatch.setattr(mail, "_is_loopback", lambda client: False)
    logins = Logins()
    with Server(authenticator=logins, auth_require_tls=False, auth_required=True) as server:
        toml = smtp_toml(server.port, 'user = "me"\npassword_env = "CRM_SMTP_PASSWORD"\n')
        root = vault({**NOTES, "crm.toml": toml})
        out = crm(root, "digest", "--mail-to", "me@example.org", env={"CRM_SMTP_PASSWORD": "pw"})
        assert out.exit_code == 1 and out.stdout == ""
        assert out.stderr.strip().splitlines()[-1] == (
            f"crm: error: mail not sent: the connection to 127.0.0.1:{server.port} is not"
            " encrypted, and a password goes in clear text only to a server on this machine;"
            " set smtp.starttls = true (port 587) or smtp.ssl = true (port 465)"
        )
        assert "pw" not in out.stderr
    assert logins.attempts == [] and server.inbox.envelopes == []
    # Without a password nothing secret is at stake: a relay that needs no login works.
    with Server() as relay:
        root = vault({**NOTES, "crm.toml": smtp_toml(relay.port, "")})
        ok = crm(root, "digest", "--mail-to", "me@example.org")
        assert ok.exit_code == 0, ok.stderr
        assert len(relay.inbox.envelopes) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_password_in_clear_text_to_loopback_is_allowed(vault, crm, host):
    logins = Logins()
    with Server(authenticator=logins, auth_require_tls=False, auth_required=True) as server:
        toml = smtp_toml(server.port, 'user = "me"\npassword_env = "CRM_SMTP_PASSWORD"\n')
        root = vault({**NOTES, "crm.toml": toml.replace("127.0.0.1", host)})
        out = crm(root, "digest", "--mail-to", "me@example.org", env={"CRM_SMTP_PASSWORD": "pw"})
        assert out.exit_code == 0, out.stderr
    assert logins.attempts == [(b"me", b"pw")] and len(server.inbox.envelopes) == 1
