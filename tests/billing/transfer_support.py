"""Helpers of the transfer, payout account and dispute tests: a delivered, settled order and what the gateway did.

`settle` settles an order with the settlement job's own function.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlparse

from sqlalchemy import func, select, update

from billing import ledger, postings
from billing.gateway.models import TestGatewayTransfer
from billing.gateway.registry import current_gateway
from billing.ledger_models import AccountKind, LedgerAccount, LedgerPosting, TransactionKind
from billing.money import Money
from billing.settlement import settle_order
from billing.settlement_models import SellerSettlement
from billing.transfer_models import SellerTransfer
from marketplace.checkout.models import MarketplaceOrder, OrderSellerPart, OrderStatus, Payment
from marketplace.payouts.transfers import send_due_transfers
from tenants.db import utcnow
from tenants.models import TenantRef
from tenants.uow import UnitOfWork
from tests.conftest import SignedIn
from tests.orders.conftest import accept, seller_lines
from tests.workers.support import run_jobs

HOLD_DAYS = 7


@dataclass(frozen=True)
class Sale:
    """A paid order and one of its sellers' parts."""

    order_id: int
    tenant: TenantRef
    seller_order_id: int
    owner: SignedIn


def connect(app, client, tenant: TenantRef, owner: SignedIn, onboard: bool = True) -> dict:
    """The owner opens the seller's payout account; with `onboard`, finishes the onboarding and the event lands."""
    opened = client.post(f"/api/v1/sellers/{tenant.slug}/payout-account", headers=owner.headers,
                         json={"country": "PT"})
    assert opened.status_code == 200, opened.get_json()
    if onboard:
        onboarding_path = urlparse(opened.get_json()["onboarding_url"]).path
        assert client.post(onboarding_path).status_code == 200
        run_jobs(app)
    return opened.get_json()


def settle(app, order_id: int) -> None:
    """Settle the order as the settlement job does (idempotent: the payment's job may have settled it already)."""
    with app.app_context():
        settle_order(order_id)


def seller_net(app, order_id: int, tenant: TenantRef) -> int:
    """What the settlement owes the seller for the order (its gross less its commission and processing fee share)."""
    with app.app_context(), UnitOfWork() as uow:
        return uow.session.scalar(select(SellerSettlement.net).where(SellerSettlement.order_id == order_id,
                                                                     SellerSettlement.tenant_id == tenant.id))


def due_share(app, tenant, buyer_user_id: int, amount: int, settled: bool = True) -> tuple[int, int | None]:
    """A paid order of `amount` for the seller (written directly, no checkout), delivered long ago and, unless
    told otherwise, settled: its share is due; the order's id and the seller's net (the amount less the
    processor's fee; None while unsettled)."""
    with app.app_context():
        with UnitOfWork() as uow:
            order = MarketplaceOrder(buyer_user_id=buyer_user_id, currency="USD", status=OrderStatus.PAID,
                                     subtotal_amount=amount, total_amount=amount, paid_at=utcnow())
            uow.session.add(order)
            uow.session.flush()
            order_id = order.id
            uow.commit()
        gateway = current_gateway()
        intent = gateway.create_payment_intent(amount=Money(amount, "USD"), transfer_group=f"order_{order_id}",
                                               idempotency_key=f"pi:{order_id}", metadata={})
        gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa", idempotency_key=f"pay:{order_id}")
        with UnitOfWork() as uow:
            uow.session.add(Payment(order_id=order_id, gateway=gateway.name, gateway_payment_id=intent.id,
                                    amount=amount, currency="USD", status="succeeded"))
            uow.session.add(OrderSellerPart(
                order_id=order_id, tenant_id=tenant.id, seller_name=tenant.slug, shipping_rate_id=1,
                shipping_name="Standard", subtotal_amount=amount, shipping_amount=0, total_amount=amount,
                status="delivered", delivered_at=utcnow() - timedelta(days=HOLD_DAYS + 1)))
            uow.commit()
    if not settled:
        return order_id, None
    settle(app, order_id)
    return order_id, seller_net(app, order_id, tenant)


def deliver(app, client, sale: Sale) -> None:
    """The seller accepts, ships everything, and the carrier delivers; the buyer's view shows it delivered."""
    slug = sale.tenant.slug
    accept(app, sale.tenant, sale.seller_order_id)
    lines = [{"line_id": line_id, "quantity": quantity}
             for line_id, quantity in seller_lines(app, sale.tenant, sale.seller_order_id)]
    shipment = client.post(f"/api/v1/sellers/{slug}/orders/{sale.seller_order_id}/shipments",
                           headers=sale.owner.headers,
                           json={"carrier": "DHL", "tracking_number": f"{slug}-{sale.order_id}", "lines": lines})
    assert shipment.status_code == 201, shipment.get_json()
    delivered = client.post(f"/api/v1/sellers/{slug}/shipments/{shipment.get_json()['id']}/tracking-events",
                            headers=sale.owner.headers, json={"status": "delivered"})
    assert delivered.status_code // 100 == 2, delivered.get_json()
    run_jobs(app)


def age_delivery(app, sale: Sale, days: int) -> None:
    with app.app_context(), UnitOfWork() as uow:
        uow.session.execute(update(OrderSellerPart)
                            .where(OrderSellerPart.order_id == sale.order_id,
                                   OrderSellerPart.tenant_id == sale.tenant.id)
                            .values(delivered_at=utcnow() - timedelta(days=days)))
        uow.commit()


def run_transfers(app) -> int:
    with app.app_context():
        sent = send_due_transfers(HOLD_DAYS)
    run_jobs(app)
    return sent


def gateway_transfers(app) -> list[tuple[str, int, int]]:
    """(transfer group, amount, amount reversed) of every transfer the gateway made, oldest first."""
    with app.app_context(), UnitOfWork() as uow:
        return [tuple(row) for row in uow.session.execute(
            select(TestGatewayTransfer.transfer_group, TestGatewayTransfer.amount, TestGatewayTransfer.amount_reversed)
            .order_by(TestGatewayTransfer.created_at, TestGatewayTransfer.id))]


def transfer_row(app, sale: Sale) -> SellerTransfer | None:
    with app.app_context(), UnitOfWork() as uow:
        row = uow.session.scalar(select(SellerTransfer).where(SellerTransfer.order_id == sale.order_id,
                                                              SellerTransfer.tenant_id == sale.tenant.id))
        uow.session.expunge_all()
    return row


def seller_balance(app, kind: AccountKind, tenant: TenantRef, currency: str = "USD") -> int:
    with app.app_context(), UnitOfWork() as uow:
        return ledger.balance(uow.session, ledger.AccountRef(kind, tenant.id), currency).amount


def ledger_balances(app) -> bool:
    """Whether every account's postings sum to zero across the whole ledger, per currency."""
    with app.app_context(), UnitOfWork() as uow:
        totals = uow.session.execute(select(LedgerAccount.currency, func.sum(LedgerPosting.amount))
                                     .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
                                     .group_by(LedgerAccount.currency)).all()
    return all(total == 0 for _, total in totals)


def refund_seller_share(app, sale: Sale, amount: int, refund_key: str) -> None:
    """What the refund job does for a refund the seller bears: the gateway refund, its posting, then recovery."""
    with app.app_context():
        with UnitOfWork() as uow:
            intent_id, currency = uow.session.execute(select(Payment.gateway_payment_id, Payment.currency)
                                                      .where(Payment.order_id == sale.order_id)).one()
        current_gateway().create_refund(payment_intent_id=intent_id, amount=Money(amount, currency),
                                        idempotency_key=f"re:{refund_key}", metadata={})
        with UnitOfWork(on_behalf_of=sale.tenant) as uow:
            ledger.post(uow, TransactionKind.REFUND, f"refund:{refund_key}",
                        postings.refund(sale.tenant.id, Money(amount, currency), Money.zero(currency)),
                        order_id=sale.order_id, tenant_id=sale.tenant.id)
            uow.add_message("billing.jobs.recover_seller_share",
                            {"order_id": sale.order_id, "tenant_id": sale.tenant.id, "amount": amount,
                             "key": f"refund:{refund_key}"}, queue="settlement")
            uow.commit()
    run_jobs(app)


def payment_intent_of(app, order_id: int) -> str:
    with app.app_context(), UnitOfWork() as uow:
        return uow.session.scalar(select(Payment.gateway_payment_id).where(Payment.order_id == order_id))
