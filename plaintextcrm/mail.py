"""Send the digest by mail: one multipart/alternative message (text + HTML) over SMTP.

The password never lives in crm.toml (a file people commit and sync): config names an
environment variable (`smtp.password_env`, a name plainly meant for it:
`config.check_password_env`) and the password is read from there. It is sent only over
TLS (STARTTLS or SSL), or in clear text to a server on this machine. Every
failure (a missing variable, a refused connection, a rejected login) is one `CrmError`
line with exit code 1, because this runs from cron where a traceback helps no one.
"""

from __future__ import annotations

import ipaddress
import os
import re
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from plaintextcrm.config import SmtpConfig, check_password_env
from plaintextcrm.errors import CrmError, UsageError

TIMEOUT_SECONDS = 30
_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+")


def check_address(address: str, what: str = "--mail-to") -> str:
    """A single plain address (`me@example.org`); anything else is a usage error.

    Strict on purpose: a newline or a second address smuggled into a header would send the
    digest (your notes about people) somewhere you did not mean.
    """
    address = address.strip()
    if not _ADDRESS.fullmatch(address):
        raise UsageError(f"{what}: {address!r} is not an e-mail address such as me@example.org")
    return address


def sender_address(smtp: SmtpConfig, to: str) -> str:
    """`smtp.from`, else the login if it is an address, else the recipient: a digest is a
    note to yourself, and most servers accept mail from you to you."""
    if smtp.sender:
        return smtp.sender
    if smtp.user and _ADDRESS.fullmatch(smtp.user):
        return smtp.user
    return to


def build_message(sender: str, to: str, subject: str, text: str, html: str) -> EmailMessage:
    """The message: text first, HTML second, so clients that can show HTML prefer it."""
    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=True)
    domain = to.rsplit("@", 1)[-1] if "@" in to else None
    message["Message-ID"] = make_msgid("crm-digest", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _password(smtp: SmtpConfig, env: Mapping[str, str]) -> str | None:
    name = check_password_env(smtp.password_env)
    if not name:
        return None
    password = env.get(name)
    if password is None:
        raise CrmError(
            f"smtp.password_env names ${name}, but it is not set;"
            f" export {name}=... in the environment that runs crm"
        )
    return password


def send_mail(
    smtp: SmtpConfig,
    to: str,
    subject: str,
    text: str,
    html: str,
    env: Mapping[str, str] | None = None,
) -> EmailMessage:
    """Send one text+HTML mail to `to` through `smtp`; returns the message sent."""
    to = check_address(to)
    env = os.environ if env is None else env
    if smtp.ssl and smtp.starttls:
        raise CrmError("crm.toml: smtp.ssl and smtp.starttls cannot both be true")
    password = _password(smtp, env)
    if password is not None and not smtp.user:
        raise CrmError("crm.toml: smtp.password_env is set but smtp.user is not")
    sender = check_address(sender_address(smtp, to), "smtp.from")
    message = build_message(sender, to, subject, text, html)
    where = f"{smtp.host}:{smtp.port}"
    try:
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if smtp.ssl:
            client = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS)
        with client:
            if smtp.starttls:
                client.starttls(context=context)
            if smtp.user and password is not None:
                if not (smtp.ssl or smtp.starttls) and not _is_loopback(client):
                    raise CrmError(
                        f"mail not sent: the connection to {where} is not encrypted, and a"
                        " password goes in clear text only to a server on this machine;"
                        " set smtp.starttls = true (port 587) or smtp.ssl = true (port 465)"
                    )
                client.login(smtp.user, password)
            client.send_message(message, from_addr=sender, to_addrs=[to])
    except smtplib.SMTPAuthenticationError as exc:
        raise CrmError(f"mail not sent: {where} refused the login for {smtp.user}: "
                       f"{_smtp_reason(exc)}") from None  # fmt: skip
    except smtplib.SMTPNotSupportedError:
        raise CrmError(f"mail not sent: {where} does not support STARTTLS") from None
    except smtplib.SMTPRecipientsRefused as exc:
        reasons = "; ".join(f"{addr}: {_smtp_reason(err)}" for addr, err in exc.recipients.items())
        raise CrmError(f"mail not sent: {where} refused the recipient ({reasons})") from None
    except smtplib.SMTPResponseException as exc:
        raise CrmError(f"mail not sent: {where} said {_smtp_reason(exc)}") from None
    except smtplib.SMTPException as exc:
        raise CrmError(f"mail not sent via {where}: {exc}") from None
    except ssl.SSLError as exc:
        raise CrmError(f"mail not sent: TLS with {where} failed: {exc.reason or exc}") from None
    except TimeoutError:
        raise CrmError(f"mail not sent: {where} did not answer in {TIMEOUT_SECONDS} s") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CrmError(f"mail not sent: cannot connect to {where}: {reason}") from None
    return message


def _is_loopback(client: smtplib.SMTP) -> bool:
    """Whether the server `client` is connected to is this machine (127.0.0.0/8, ::1).

    The address actually connected to, not the host name: `localhost` mapped elsewhere is
    not loopback, and a local relay or TLS tunnel (stunnel, Proton Bridge) on 127.0.0.1
    under another name is."""
    if client.sock is None:
        return False
    try:
        address = ipaddress.ip_address(client.sock.getpeername()[0].split("%")[0])
    except (OSError, ValueError):
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _smtp_reason(exc: object) -> str:
    """`535 bad credentials` from an SMTP error, which smtplib keeps as (code, bytes)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        code, msg = exc.smtp_code, exc.smtp_error
    elif isinstance(exc, tuple) and len(exc) == 2:
        code, msg = exc
    else:
        return str(exc)
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    return f"{code} {' '.join(text.split())}"
