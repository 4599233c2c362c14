"""The sellers' mails: an invite to join a seller's team."""
from __future__ import annotations

from datetime import datetime, timezone

from marketplace.accounts.models import MemberRole
from marketplace.mail.message import Mail, html_page


def invite_mail(to: str, seller_name: str, role: MemberRole, token: str, expires_at: datetime) -> Mail:
    """The mail that carries an invite's token, the only place the token ever appears."""
    what = f"You are invited to join {seller_name} on the marketplace as {role.value}. Your invite code:"
    how = ("Sign in with an account that uses this address (register one if needed) and verify the address, "
           "then type the code in the seller portal (/portal/new/invite), or send it as "
           '{"token": "<code>"} to POST /api/v1/member-invites/accept.')
    expiry = f"The invite works once and expires at {expires_at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC."
    ignore = "If you did not expect this, ignore this mail."
    return Mail(to=to, subject=f"You are invited to join {seller_name}",
                text=f"Hello,\n\n{what}\n\n    {token}\n\n{how}\n{expiry}\n\n{ignore}\n",
                html=html_page("Hello,", what, code=token, after=(how, expiry, ignore)))
