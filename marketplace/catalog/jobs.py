"""RQ entry points of the catalog (thin: each calls one service)."""
from __future__ import annotations

import logging

from rq import get_current_job

from marketplace.catalog.imports import mark_import_failed, run_import

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
