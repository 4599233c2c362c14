"""The demo's money, so that `make run` shows sellers' balances and a payout run with real figures.

Settlement and transfers are built by their own jobs (issue 13); the demo
does not wait for them: it charges two demo orders at the test gateway and
posts what they earn with billing/postings.py's recipes, moves the money at
the gateway and in the ledger alike (so that reconciliation finds nothing
amiss), and runs one payout run:

- Aurora Ceramics: onboarded, both orders' shares transferred, paid out by the run;
- Brightline Cycles: onboarded and transferred, but its schedule's minimum is
  above what it has, so the run skips it (its money stays available);
- Cedar & Wick: not onboarded yet, so nothing was transferred: its share is pending.

Only with the test gateway (the default of `make run`): with Stripe, the demo has no money.
"""
from __future__ import annotations

from flask import current_app

from billing import ledger, payouts, postings
from billing.gateway.registry import current_gateway
from billing.gateway.test_gateway import PROCESSING_FEE_BASIS_POINTS, PROCESSING_FEE_FIXED, TestGateway
from billing.ledger_models import TransactionKind
from billing.money import Money, allocate, percentage
from billing.payout_account_models import PayoutAccount
from billing.payout_models import PayoutFrequency, PayoutRunTrigger
from tenants.db import utcnow
from tenants.models import TenantRef
from tenants.uow import UnitOfWork

DEMO_COMMISSION_BASIS_POINTS = 1000
DEMO_CARD = "pm_card_visa"
# Above Brightline's available money: the run skips it.
BRIGHTLINE_MINIMUM_AMOUNT = 50_000
# (order key, each seller's gross in minor units, in DEMO_SELLERS order): the second order is Aurora's alone.
DEMO_ORDERS = (("demo-order-1", (9_300, 7_800, 5_600)), ("demo-order-2", (15_700, 0, 0)))


def seed_money(tenants: list[TenantRef], operator_id: int) -> None:
    """Demo orders' money for the three demo sellers (in DEMO_SELLERS order), then a payout run."""
    gateway = current_gateway()
    if not isinstance(gateway, TestGateway):
        return
    aurora, brightline, cedar = tenants
    accounts = {tenant.id: _payout_account(gateway, tenant, onboarded=tenant is not cedar) for tenant in tenants}
    for key, gross_amounts in DEMO_ORDERS:
        _settle_and_transfer(gateway, key, tenants, gross_amounts, accounts)
    with UnitOfWork() as uow:
        payouts.set_schedule(uow, brightline.id, payouts.Schedule(PayoutFrequency.DAILY, None,
                                                                 BRIGHTLINE_MINIMUM_AMOUNT))
        uow.commit()
    run_id = payouts.start_run(PayoutRunTrigger.OPERATOR, utcnow().date(), started_by=operator_id)
    # Paid now, so that the figures are there when the demo starts (the queued job then finds the run finished).
    payouts.execute_run(gateway, run_id, current_app.config["PAYOUT_MINIMUM_AMOUNT"])


def _payout_account(gateway: TestGateway, tenant: TenantRef, onboarded: bool) -> str:
    account = gateway.create_connected_account(email=f"owner@{tenant.slug}.demo.test", country="PT",
                                               idempotency_key=f"demo-account:{tenant.slug}", metadata={})
    if onboarded:
        account = gateway.complete_onboarding(account.id)
    with UnitOfWork() as uow:
        uow.session.add(PayoutAccount(tenant_id=tenant.id, gateway_account_id=account.id,
                                      charges_enabled=account.charges_enabled,
                                      payouts_enabled=account.payouts_enabled,
                                      details_submitted=account.details_submitted))
        uow.commit()
    return account.id


def _settle_and_transfer(gateway: TestGateway, key: str, tenants: list[TenantRef], gross_amounts: tuple[int, ...],
                         accounts: dict[int, str]) -> None:
    currency = tenants[0].currency
    charged = Money(sum(gross_amounts), currency)
    intent = gateway.create_payment_intent(amount=charged, transfer_group=key, idempotency_key=f"{key}:intent",
                                           metadata={"demo": "true"})
    charge_id = gateway.confirm_payment_intent(intent.id, payment_method=DEMO_CARD,
                                               idempotency_key=f"{key}:confirm").latest_charge
    fee = percentage(charged, PROCESSING_FEE_BASIS_POINTS) + Money(PROCESSING_FEE_FIXED, currency)
    splits = [postings.SellerSplit(tenant.id, Money(gross, currency),
                                   percentage(Money(gross, currency), DEMO_COMMISSION_BASIS_POINTS), fee_share)
              for tenant, gross, fee_share in zip(tenants, gross_amounts, allocate(fee, list(gross_amounts)))
              if gross]
    with UnitOfWork() as uow:
        ledger.post(uow, TransactionKind.SETTLEMENT, f"settle:{key}", postings.settlement(charged, fee, splits),
                    gateway_source=charge_id, description=f"{key} settled")
        uow.commit()
    for split in splits:
        account = accounts[split.tenant_id]
        if not gateway.retrieve_account(account).payouts_enabled:
            continue  # the seller has not finished onboarding: its share waits (pending)
        transfer = gateway.create_transfer(amount=split.net, destination=account, source_transaction=charge_id,
                                           transfer_group=key, idempotency_key=f"tr:{key}:{split.tenant_id}",
                                           metadata={"demo": "true"})
        with UnitOfWork() as uow:
            ledger.post(uow, TransactionKind.TRANSFER, f"tr:{key}:{split.tenant_id}",
                        postings.transfer(split.tenant_id, split.net), tenant_id=split.tenant_id,
                        gateway_source=transfer.id, description=f"{key}: transfer")
            uow.commit()
