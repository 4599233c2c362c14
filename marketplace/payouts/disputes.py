"""A buyer's bank disputing an order's charge: the order's transfers wait, the ledger follows the money.

Each handler gets the dispute as the processor has it now (billing/webhooks.py)
and records its status, so a late or repeated event ends in the same state:

- while it is open, no share of the order is transferred (marketplace.payouts.transfers);
- `funds_withdrawn` / `funds_reinstated`: the platform's balance loses / regains the amount
  (each posted once, by the dispute's id: a repeated event posts nothing);
- closed and lost: the amount is split across the order's sellers by their gross, each seller
  bears its part (postings.dispute_lost) and it is recovered from its transfer like a refund
  (billing.jobs.recover_seller_share); closed and won: the transfers go ahead.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from billing import ledger, postings
from billing.gateway.port import Dispute, DisputeStatus, WebhookEvent
from billing.ledger_models import TransactionKind
from billing.money import Money, allocate
from billing.transfer_models import OrderDispute
from billing.webhooks import handles
from marketplace.checkout.models import OrderSellerPart, Payment
from tenants.db import utcnow
from tenants.models import TenantRef
from tenants.registry import get_tenant_by_id
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

RECOVER_JOB = "billing.jobs.recover_seller_share"
RECOVER_QUEUE = "settlement"


@handles("charge.dispute.created")
@handles("charge.dispute.updated")
def on_dispute_event(dispute: Dispute, event: WebhookEvent) -> None:
    record_dispute(dispute)


@handles("charge.dispute.funds_withdrawn")
def on_funds_withdrawn(dispute: Dispute, event: WebhookEvent) -> None:
    _post_dispute_funds(dispute, "withdrawn", postings.dispute_funds_withdrawn(dispute.amount))


@handles("charge.dispute.funds_reinstated")
def on_funds_reinstated(dispute: Dispute, event: WebhookEvent) -> None:
    _post_dispute_funds(dispute, "reinstated", postings.dispute_funds_reinstated(dispute.amount))


@handles("charge.dispute.closed")
def on_dispute_closed(dispute: Dispute, event: WebhookEvent) -> None:
    order_id = record_dispute(dispute)
    if order_id is not None and dispute.status == DisputeStatus.lost:
        charge_lost_dispute(order_id, dispute)


def record_dispute(dispute: Dispute) -> int | None:
    """Store the dispute's current status; the disputed order's id, or None for a charge that is not an order's."""
    with UnitOfWork() as uow:
        order_id = _order_of(uow, dispute)
        if order_id is None:
            log.warning("a dispute of a charge no order has", extra={"dispute_id": dispute.id})
            return None
        values = {"status": dispute.status.value, "amount": dispute.amount.amount, "updated_at": utcnow()}
        uow.session.execute(insert(OrderDispute)
                            .values(id=dispute.id, order_id=order_id, currency=dispute.amount.currency, **values)
                            .on_conflict_do_update(index_elements=[OrderDispute.id], set_=values))
        uow.commit()
    return order_id


def charge_lost_dispute(order_id: int, dispute: Dispute) -> None:
    """Each seller of the order bears its share (by gross) of a lost dispute, taken back from its transfer.

    One transaction per seller, on its behalf, so that its recovery message
    carries that seller; each is posted once by its id, so a rerun adds nothing.
    """
    with UnitOfWork() as uow:
        parts = uow.session.execute(select(OrderSellerPart.tenant_id, OrderSellerPart.total_amount)
                                    .where(OrderSellerPart.order_id == order_id)
                                    .order_by(OrderSellerPart.tenant_id)).all()
    shares = allocate(dispute.amount, [total for _, total in parts])
    for (tenant_id, _), share in zip(parts, shares):
        if share.amount > 0:
            _charge_seller(order_id, get_tenant_by_id(tenant_id), dispute, share)


def _charge_seller(order_id: int, tenant: TenantRef, dispute: Dispute, share: Money) -> None:
    with UnitOfWork(on_behalf_of=tenant) as uow:
        ledger.post(uow, TransactionKind.DISPUTE, f"dispute:{dispute.id}:lost:{tenant.id}",
                    postings.dispute_lost(tenant.id, share), description=f"Dispute {dispute.id} lost",
                    order_id=order_id, tenant_id=tenant.id)
        uow.add_message(RECOVER_JOB, {"order_id": order_id, "tenant_id": tenant.id, "amount": share.amount,
                                      "key": f"dispute:{dispute.id}", "currency": share.currency},
                        queue=RECOVER_QUEUE)
        uow.commit()


def _post_dispute_funds(dispute: Dispute, movement: str, entries) -> None:
    order_id = record_dispute(dispute)
    if order_id is None:
        return
    with UnitOfWork() as uow:
        ledger.post(uow, TransactionKind.DISPUTE, f"dispute:{dispute.id}:{movement}", entries,
                    description=f"Dispute {dispute.id}: funds {movement}", order_id=order_id,
                    gateway_source=dispute.id)
        uow.commit()


def _order_of(uow: UnitOfWork, dispute: Dispute) -> int | None:
    if dispute.payment_intent_id is None:
        return None
    return uow.session.scalar(select(Payment.order_id).where(Payment.gateway_payment_id == dispute.payment_intent_id))
