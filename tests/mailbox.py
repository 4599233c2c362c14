"""Reading the mail that jobs sent: the .eml files the tests' local SMTP server keeps."""
from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Callable

# A token stands alone on an indented line of the plain-text body (secrets.token_urlsafe(32): 43 characters).
_TOKEN_LINE = re.compile(r"^ {4}([A-Za-z0-9_-]{43})$", re.MULTILINE)


class Mailbox:
    """Every message the local SMTP server received, oldest first; `deliver` runs the queued jobs first."""

    def __init__(self, folder: Path, deliver: Callable[[], None]):
        self.folder = folder
        self.deliver = deliver

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(path.read_bytes(), policy=policy.default)
                for path in sorted(self.folder.glob("*.eml"))]

    def to(self, address: str) -> list[EmailMessage]:
        """The messages sent to `address` (any letter case), oldest first, after running the queued jobs."""
        self.deliver()
        return [message for message in self.messages() if message["To"].lower() == address.lower()]

    def latest_to(self, address: str) -> EmailMessage:
        received = self.to(address)
        assert received, f"no mail was sent to {address}"
        return received[-1]

    def token_for(self, address: str) -> str:
        """The one-time token in the latest mail to `address`."""
        return token_in(self.latest_to(address))

    def clear(self) -> None:
        for path in self.folder.glob("*.eml"):
            path.unlink()


def text_of(message: EmailMessage) -> str:
    # SMTP carries lines ended by CRLF; the files keep them so.
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")


def token_in(message: EmailMessage) -> str:
    found = _TOKEN_LINE.search(text_of(message))
    assert found, f"no token in the mail {message['Subject']!r}"
    return found.group(1)
