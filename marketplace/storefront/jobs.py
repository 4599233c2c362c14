"""RQ entry points of the storefront (thin: each calls one service). Safe to run again."""
from __future__ import annotations

import logging

from marketplace.storefront.settings import apply_display_name_of

log = logging.getLogger(__name__)


def apply_display_name(tenant_id: int) -> None:
    """Copy the seller's saved name into the registry, where the whole marketplace reads it."""
    changed = apply_display_name_of(tenant_id)
    log.info("seller name %s", "copied to the registry" if changed else "already in the registry",
             extra={"tenant_id": tenant_id})
