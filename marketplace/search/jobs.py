"""RQ entry points of the `search` queue (thin: each calls one service).

Both are safe to run twice, or late: documents are rebuilt from the catalog
as it is when the job runs, and carry the product's version, so an older
document never replaces a newer one. A write the engine keeps refusing
raises `IndexingFailed`; RQ retries the job with backoff and, out of
retries, keeps it in the failed job registry with the reasons.
"""
from __future__ import annotations

import logging

from marketplace.search import services
from marketplace.search.port import IndexingFailed

log = logging.getLogger(__name__)


def index_products(tenant_id: int, product_ids: list[int]) -> None:
    """Reindex some of a tenant's products (created, changed, restocked, reviewed or deleted)."""
    try:
        report = services.index_products(tenant_id, product_ids)
    except IndexingFailed as failure:
        log.error("search indexing failed for %d document(s)", len(failure.failures),
                  extra={"tenant_id": tenant_id, "failures": failure.failures})
        raise
    log.info("search documents indexed", extra={"tenant_id": tenant_id, "written": report.written,
                                                "stale": report.stale})


def sync_tenant_status(tenant_id: int) -> None:
    """Apply a tenant's status to its documents: hidden when suspended, removed when closed."""
    services.sync_tenant_status(tenant_id)
    log.info("search documents follow the tenant's status", extra={"tenant_id": tenant_id})
