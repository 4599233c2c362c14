"""The accounts' mails: address verification, password reset, email change and its notice to the old address.

Each mail that carries a token says what to do with it and when it expires;
none says whether another account exists.
"""
from __future__ import annotations

from datetime import datetime, timezone

from marketplace.accounts.models import MailedTokenPurpose
from marketplace.mail.message import Mail, html_page


def token_mail(purpose: MailedTokenPurpose, to: str, name: str, token: str, expires_at: datetime) -> Mail:
    """The mail that carries a freshly minted token of `purpose`."""
    subject, why, use = _TOKEN_MAILS[purpose]
    expiry = f"It works once and expires at {expires_at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC."
    ignore = "If you did not ask for this, ignore this mail: nothing changes."
    greeting = f"Hello {name},"
    return Mail(
        to=to, subject=subject,
        text=f"{greeting}\n\n{why}\n\n    {token}\n\n{use}\n{expiry}\n\n{ignore}\n",
        html=html_page(greeting, why, code=token, after=(use, expiry, ignore)),
    )


def email_changed_notice(to: str, name: str, new_email: str) -> Mail:
    """Tells the previous address that the account's email was changed (and what to do if it was not you)."""
    greeting = f"Hello {name},"
    what = f"The email address of your marketplace account was changed from {to} to {new_email}."
    help_text = "If you did not do this, someone else may control your account: contact support at once."
    return Mail(to=to, subject="Your email address was changed",
                text=f"{greeting}\n\n{what}\n\n{help_text}\n", html=html_page(greeting, what, help_text))


_TOKEN_MAILS = {
    MailedTokenPurpose.VERIFY_EMAIL: (
        "Confirm your email address",
        "Confirm that this address is yours with this one-time code:",
        'Send it as {"token": "<code>"} to POST /api/v1/auth/email-verification.',
    ),
    MailedTokenPurpose.CHANGE_EMAIL: (
        "Confirm your new email address",
        "You asked to use this address for your marketplace account. Confirm it with this one-time code:",
        'Send it as {"token": "<code>"} to POST /api/v1/auth/email-change/confirm.',
    ),
    MailedTokenPurpose.RESET_PASSWORD: (
        "Reset your password",
        "Someone asked to reset the password of your marketplace account. Choose a new one with this code:",
        'Send it as {"token": "<code>", "new_password": "…"} to POST /api/v1/auth/password-reset/confirm. '
        "Every device signed in to your account is signed out.",
    ),
}
