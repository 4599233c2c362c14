"""RQ entry points of accounts (thin: each calls one service)."""
from __future__ import annotations

import logging

from marketplace.accounts import services

log = logging.getLogger(__name__)


def purge_stale_tokens(retention_days: int) -> None:
    """Delete bearer tokens expired or revoked more than `retention_days` ago. Safe to run again, or twice at once."""
    deleted_count = services.purge_stale_tokens(retention_days)
    log.info("%d expired or revoked tokens purged", deleted_count,
             extra={"deleted_count": deleted_count, "retention_days": retention_days})
