"""RQ entry points of the catalog (thin: each calls one service)."""
from __future__ import annotations

import logging

from rq import get_current_job

from marketplace.catalog import categories, listing
from marketplace.catalog.imports import mark_import_failed, run_import
from tenants.registry import TenantNotFound, get_tenant_by_id

log = logging.getLogger(__name__)


def import_catalog(tenant_id: int, import_id: int) -> None:
    """Run a CSV import. Safe to run again: a finished import is left alone, rows are upserted.

    When the last retry fails too, the import is marked failed, so the seller
    sees a final state instead of `running` for ever.
    """
    try:
        run_import(tenant_id, import_id)
    except Exception:
        job = get_current_job()
        if job is None or not job.retries_left:
            log.exception("catalog import failed with no retry left", extra={"import_id": import_id})
            mark_import_failed(tenant_id, import_id)
        raise


def apply_listings(tenant_id: int, product_ids: list[int]) -> None:
    """Bring these products' marketplace listing rows up to the tenant's catalog. Safe to run again, in any order."""
    try:
        tenant = get_tenant_by_id(tenant_id)
    except TenantNotFound:
        log.info("listing rows of a tenant that is gone: nothing to apply", extra={"tenant_id": tenant_id})
        return
    changed_count = listing.apply_listings(tenant, product_ids)
    log.info("listing rows applied", extra={"tenant_id": tenant_id, "changed_count": changed_count})


def resync_category_products(category_id: int) -> None:
    """A category was renamed or moved: its products' documents show its path. Safe to run again."""
    count = categories.resync_category_products(category_id)
    log.info("products of a changed category resynced", extra={"category_id": category_id, "products": count})


def resync_seller_products(resynced_tenant_id: int) -> None:
    """A seller was renamed: every product's document shows the seller's name. Safe to run again.

    Sent by the control database (the registry took the name), so its payload
    names the tenant otherwise than `tenant_id` (workers/outbox_jobs.py).
    """
    count = listing.resync_seller_products(resynced_tenant_id)
    log.info("products of a renamed seller resynced", extra={"resynced_tenant_id": resynced_tenant_id,
                                                             "products": count})
