"""Which sellers' shares are due to be transferred, and the scheduled job that transfers them.

A seller's share of an order is due once its part was delivered (or
completed) at least TRANSFER_HOLD_DAYS ago, the order is settled, no
dispute of the order is open, and the seller's connected account has
payouts enabled. A seller without payouts enabled is simply not due: its
share stays payable, and the first run after `account.updated` enables it
transfers everything that waited. billing.transfers does the transfer
itself, once per (order, seller) whatever runs overlap.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import exists, select

from billing.gateway.port import GatewayError
from billing.gateway.registry import current_gateway
from billing.ledger_models import LedgerTransaction, TransactionKind
from billing.payout_account_models import PayoutAccount
from billing.transfer_models import OrderDispute, SellerTransfer, TransferStatus
from billing.transfers import OPEN_DISPUTE_STATUSES, transfer_seller_share
from marketplace.checkout.models import MarketplaceOrder, OrderSellerPart, Payment
from marketplace.orders.models import SellerOrderStatus
from tenants.db import utcnow
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

DELIVERED_STATUSES = (SellerOrderStatus.DELIVERED.value, SellerOrderStatus.COMPLETED.value)
# Most shares one run transfers: the next run goes on.
BATCH_SIZE = 500


def due_transfers(hold_days: int, limit: int = BATCH_SIZE) -> list[tuple[int, int, str, str]]:
    """(order id, seller id, currency, payment intent id) of every share due, oldest delivery first."""
    held_since = utcnow() - timedelta(days=hold_days)
    part = OrderSellerPart
    query = (
        select(part.order_id, part.tenant_id, MarketplaceOrder.currency, Payment.gateway_payment_id)
        .join(MarketplaceOrder, MarketplaceOrder.id == part.order_id)
        .join(Payment, Payment.order_id == part.order_id)
        .join(PayoutAccount, PayoutAccount.tenant_id == part.tenant_id)
        .where(part.status.in_(DELIVERED_STATUSES), part.delivered_at <= held_since,
               PayoutAccount.payouts_enabled.is_(True), Payment.gateway_payment_id.is_not(None),
               exists().where(LedgerTransaction.order_id == part.order_id,
                              LedgerTransaction.kind == TransactionKind.SETTLEMENT),
               ~exists().where(OrderDispute.order_id == part.order_id,
                               OrderDispute.status.in_(OPEN_DISPUTE_STATUSES)),
               ~exists().where(SellerTransfer.order_id == part.order_id, SellerTransfer.tenant_id == part.tenant_id,
                               SellerTransfer.status != TransferStatus.PENDING))
        .order_by(part.delivered_at, part.id).limit(limit))
    with UnitOfWork() as uow:
        return [tuple(row) for row in uow.session.execute(query)]


def send_due_transfers(hold_days: int) -> int:
    """Scheduled: transfer every due share; how many went out. One refused transfer does not stop the others."""
    gateway = current_gateway()
    sent = 0
    for order_id, tenant_id, currency, payment_intent_id in due_transfers(hold_days):
        try:
            transfer = transfer_seller_share(gateway, order_id, tenant_id, currency, payment_intent_id)
        except GatewayError as error:
            log.warning("a seller's share could not be transferred yet", extra={
                "order_id": order_id, "tenant_id": tenant_id, "error": str(error)})
            continue
        sent += transfer is not None and transfer.status == TransferStatus.TRANSFERRED
    return sent
