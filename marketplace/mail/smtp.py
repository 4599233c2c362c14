"""Sending a message over SMTP with smtplib, to the server that SMTP_URL names.

    smtp://[user:password@]host[:port]    port 25 by default; STARTTLS whenever the server offers it
    smtps://[user:password@]host[:port]   TLS from the first byte (port 465 by default)

User and password are percent-decoded, so a password may hold any character.
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

SMTP_TIMEOUT_SECONDS = 30
_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    user: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        """Parse an SMTP_URL; ValueError names what is wrong."""
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS:
            raise ValueError("must start with smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError("names no host")
        port = parts.port  # raises ValueError for a port out of range
        return cls(host=parts.hostname, port=port or _DEFAULT_PORTS[parts.scheme],
                   implicit_tls=parts.scheme == "smtps",
                   user=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None)


def parse_smtp_url(raw: str) -> str:
    """The settings parser of SMTP_URL: the URL itself, once it is known to parse."""
    SmtpServer.from_url(raw)
    return raw


def send(message: EmailMessage, smtp_url: str) -> None:
    """Hand `message` to the SMTP server; raises smtplib.SMTPException or OSError if it is not accepted."""
    server = SmtpServer.from_url(smtp_url)
    tls_context = ssl.create_default_context()
    if server.implicit_tls:
        connection = smtplib.SMTP_SSL(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS, context=tls_context)
    else:
        connection = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS)
    with connection:
        connection.ehlo()
        # Opportunistic STARTTLS: a server that offers it gets an encrypted, verified session.
        if not server.implicit_tls and connection.has_extn("starttls"):
            connection.starttls(context=tls_context)
            connection.ehlo()
        if server.user is not None:
            connection.login(server.user, server.password or "")
        connection.send_message(message)
