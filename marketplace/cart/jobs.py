"""RQ entry points of the cart (thin: each calls one service)."""
from __future__ import annotations

import logging

from marketplace.cart import services

log = logging.getLogger(__name__)


def purge_stale_guest_carts(retention_days: int) -> None:
    """Delete guest carts unchanged for more than `retention_days`. Safe to run again, or twice at once."""
    deleted_count = services.purge_stale_guest_carts(retention_days)
    log.info("%d stale guest carts purged", deleted_count,
             extra={"deleted_count": deleted_count, "retention_days": retention_days})
