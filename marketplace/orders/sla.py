"""The acceptance SLA: how long each seller has to accept an order, and the job that cancels what is overdue.

A seller chooses its hours (storefront settings, `acceptance_hours`) within
the operator's bounds (ORDER_ACCEPTANCE_MIN_HOURS / MAX_HOURS); a seller who
has not chosen gets ORDER_ACCEPTANCE_HOURS. Routing stamps each seller order
with its due time, so a later change of the setting moves no order already
placed.

The job scans every tenant schema that could hold an order: one indexed query
per tenant (`status, acceptance_due_at`) that reads only overdue rows, then
one transaction per overdue order. We chose that over a shared index table of
due times: such a table would have to be kept in step with every acceptance,
rejection and cancellation across databases (by message, so late), while the
per-tenant read is cheap, always exact, and needs nothing new.
"""
from __future__ import annotations

import logging
from sqlalchemy import func, select

from marketplace.orders.models import SellerOrder, SellerOrderStatus
from marketplace.orders.services import cancel_overdue
from tenants.models import Tenant, TenantRef, TenantStatus
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

SLA_MISSED_REASON = "acceptance SLA missed"
# Tenants whose schemas can hold open orders (a closed seller has none: closing refuses open orders).
SCANNED_STATUSES = (TenantStatus.ACTIVE, TenantStatus.SUSPENDED)


def cancel_overdue_orders(batch_size: int) -> int:
    """Cancel every seller order past its acceptance due time (at most `batch_size` per tenant); how many."""
    cancelled = 0
    for tenant in _scanned_tenants():
        for seller_order_id in _overdue_ids(tenant, batch_size):
            cancelled += cancel_overdue(tenant, seller_order_id, SLA_MISSED_REASON)
    if cancelled:
        log.info("overdue seller orders cancelled", extra={"cancelled_count": cancelled})
    return cancelled


def _scanned_tenants() -> list[TenantRef]:
    with UnitOfWork() as uow:
        return [tenant.ref() for tenant in uow.session.scalars(
            select(Tenant).where(Tenant.schema_name.is_not(None), Tenant.status.in_(SCANNED_STATUSES))
            .order_by(Tenant.id))]


def _overdue_ids(tenant: TenantRef, batch_size: int) -> list[int]:
    with UnitOfWork(tenant) as uow:
        return list(uow.session.scalars(
            select(SellerOrder.id)
            .where(SellerOrder.status == SellerOrderStatus.AWAITING_ACCEPTANCE,
                   SellerOrder.acceptance_due_at <= func.now())
            .order_by(SellerOrder.acceptance_due_at, SellerOrder.id).limit(batch_size)))
