"""Reads only the console needs, that no service offers: the disputes of orders.

Each is one unit of work on the control database and returns frozen views.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from billing.transfer_models import OrderDispute
from marketplace.core.pagination import Page, PageRequest, fetch_page
from tenants.uow import UnitOfWork


@dataclass(frozen=True)
class DisputeView:
    id: str
    order_id: int
    currency: str
    amount: int
    status: str
    created_at: datetime
    updated_at: datetime


def list_disputes(page_request: PageRequest, status: str | None = None) -> Page[DisputeView]:
    """Buyers' disputes of orders' charges as the processor last told them, newest first."""
    query = select(OrderDispute).order_by(OrderDispute.created_at.desc(), OrderDispute.id)
    if status:
        query = query.where(OrderDispute.status == status)
    with UnitOfWork() as uow:
        return fetch_page(uow.session, query, page_request).map(
            lambda dispute: DisputeView(id=dispute.id, order_id=dispute.order_id, currency=dispute.currency,
                                        amount=dispute.amount, status=dispute.status,
                                        created_at=dispute.created_at, updated_at=dispute.updated_at))
