"""Arranging sellers' money for the balance, payout, statement and reconciliation tests.

Settlement and transfers are built elsewhere: here their ledger transactions
are posted directly with billing/postings.py's recipes, and the money they
stand for is moved at the test gateway too where a test needs the processor
to agree (a payout is paid only from money transferred to the account).
"""
from __future__ import annotations

from datetime import datetime

from billing import ledger, postings
from billing.gateway.test_gateway import PROCESSING_FEE_BASIS_POINTS, PROCESSING_FEE_FIXED, TestGateway
from billing.ledger_models import TransactionKind
from billing.money import Money, percentage
from billing.payout_account_models import PayoutAccount
from tenants.uow import UnitOfWork


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


def post(kind: TransactionKind, external_id: str, entries, **details):
    with UnitOfWork() as uow:
        transaction = ledger.post(uow, kind, external_id, entries, **details)
        uow.commit()
    return transaction


def settle(tenant_id: int, gross: Money, *, order_id: int | None = None, commission: Money | None = None,
           fee: Money | None = None, key: str, charge_id: str | None = None, occurred_at: datetime | None = None):
    """An order of one seller settled: `gross` charged, less commission and the processor's fee (the seller's)."""
    commission = commission or Money.zero(gross.currency)
    fee = fee or Money.zero(gross.currency)
    split = postings.SellerSplit(tenant_id, gross, commission, fee)
    return post(TransactionKind.SETTLEMENT, key, postings.settlement(gross, fee, [split]), order_id=order_id,
                tenant_id=tenant_id, gateway_source=charge_id, occurred_at=occurred_at,
                description=f"order settled ({key})")


def charge(gateway: TestGateway, amount: Money, key: str) -> str:
    """A buyer's paid charge at the gateway: its id (`ch_…`)."""
    intent = gateway.create_payment_intent(amount=amount, transfer_group=key, idempotency_key=f"pi:{key}",
                                           metadata={})
    return gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa",
                                          idempotency_key=f"confirm:{key}").latest_charge


def connect(gateway: TestGateway, tenant_id: int, payouts_enabled: bool = True) -> str:
    """The seller's connected account (onboarded when `payouts_enabled`) and its payout account row."""
    account = gateway.create_connected_account(email=f"owner{tenant_id}@shop.test", country="DE",
                                               idempotency_key=f"acct:{tenant_id}", metadata={})
    if payouts_enabled:
        gateway.complete_onboarding(account.id)
    with UnitOfWork() as uow:
        uow.session.add(PayoutAccount(tenant_id=tenant_id, gateway_account_id=account.id,
                                      charges_enabled=payouts_enabled, payouts_enabled=payouts_enabled,
                                      details_submitted=payouts_enabled))
        uow.commit()
    return account.id


def gateway_fee(charged: Money) -> Money:
    """What the test gateway takes of a charge (Stripe's standard pricing)."""
    return percentage(charged, PROCESSING_FEE_BASIS_POINTS) + Money(PROCESSING_FEE_FIXED, charged.currency)


def earn_and_transfer(gateway: TestGateway, tenant_id: int, account_id: str, charged: Money, key: str) -> Money:
    """A buyer pays `charged` to the seller (who bears the processor's fee), and the seller's net is transferred
    to its connected account, in the ledger and at the gateway alike; returns that net."""
    charge_id = charge(gateway, charged, key)
    fee = gateway_fee(charged)
    settle(tenant_id, charged, fee=fee, key=f"settle:{key}", charge_id=charge_id)
    net = charged - fee
    transfer_id = gateway.create_transfer(amount=net, destination=account_id, source_transaction=charge_id,
                                          transfer_group=key, idempotency_key=f"tr:{key}", metadata={}).id
    post(TransactionKind.TRANSFER, f"tr:{key}", postings.transfer(tenant_id, net), tenant_id=tenant_id,
         gateway_source=transfer_id, description=f"transfer ({key})")
    return net
