"""A mail as plain values, and its MIME form: multipart/alternative, plain text first, then HTML."""
from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str


def compose(mail: Mail, mail_from: str) -> EmailMessage:
    """The MIME message of `mail`; clients show the HTML part and fall back to the text."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=mail_from.rpartition("@")[2].rstrip(">") or None)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def html_page(*paragraphs: str, code: str | None = None, after: tuple[str, ...] = ()) -> str:
    """A minimal HTML body: paragraphs, a one-time code set apart to copy, more paragraphs (all escaped here)."""
    body = "".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
    if code is not None:
        body += (f'<p style="font-family:monospace;font-size:16px;padding:8px;background:#f4f4f4">'
                 f"{escape(code)}</p>")
    body += "".join(f"<p>{escape(paragraph)}</p>" for paragraph in after)
    return f'<!doctype html><html><body style="font-family:sans-serif">{body}</body></html>'
