"""RQ entry points of accounts (thin: each calls one service)."""
from __future__ import annotations

import logging

from flask import current_app

from marketplace.accounts import services, verification

log = logging.getLogger(__name__)


def purge_stale_tokens(retention_days: int) -> None:
    """Delete bearer tokens expired or revoked more than `retention_days` ago. Safe to run again, or twice at once."""
    deleted_count = services.purge_stale_tokens(retention_days)
    log.info("%d expired or revoked tokens purged", deleted_count,
             extra={"deleted_count": deleted_count, "retention_days": retention_days})


def send_mailed_token(mailed_token_id: int) -> None:
    """Mint and mail the token of a verification, reset or email-change request. Safe to run again."""
    sent = verification.mail_token(mailed_token_id, verification.TokenLifetimes.from_config(current_app.config))
    log.info("mailed token %s", "sent" if sent else "already sent or no longer due",
             extra={"mailed_token_id": mailed_token_id})


def send_email_changed_notice(mailed_token_id: int, previous_email: str) -> None:
    """Tell the previous address that the account's email changed. Safe to run again."""
    sent = verification.mail_email_changed_notice(mailed_token_id, previous_email)
    log.info("email change notice %s", "sent" if sent else "already sent", extra={"mailed_token_id": mailed_token_id})
