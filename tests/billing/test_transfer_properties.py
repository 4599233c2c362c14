"""The money property once sellers are paid: random carts, refunds, transfers, late onboarding and payouts.

Whatever the order of events, every cent of a charge ends in one place: a
seller's connected account (transfers net of reversals, less what the seller
still owes as a receivable), the platform's commission, the processor's fee,
or back with the buyer. Everything runs for real: orders charged at the test
gateway, the settlement, refund, recovery and payout jobs through the outbox
(run_jobs), the scheduled transfer job's function, and onboarding finished by
the gateway's `account.updated` event.
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings, strategies as st
from sqlalchemy import func, select

from billing import payouts
from billing.gateway import models as processor
from billing.gateway.registry import current_gateway
from billing.ledger_models import AccountKind, LedgerAccount, LedgerPosting, LedgerTransaction
from billing.money import Money, percentage
from billing.payout_account_models import PayoutAccount
from billing.payout_models import PayoutFrequency, PayoutOutcome, PayoutRunResult, PayoutRunTrigger
from billing.transfer_models import RecoveryStatus, SellerTransfer, TransferRecovery
from marketplace.checkout.models import Payment
from marketplace.refunds.services import refund_seller_part
from tenants.db import utcnow
from tenants.uow import UnitOfWork
from tests.billing import money_support, paid_orders
from tests.billing.transfer_support import HOLD_DAYS, run_transfers, seller_balance
from tests.workers.support import run_jobs

SELLER_COUNT = 3
# At least 100 minor units a line: a seller's net (after at most 30% commission and its share of the
# processor's 2.9% + 30) is never below zero before refunds.
LINE = st.tuples(st.integers(min_value=100, max_value=50_000), st.integers(min_value=1, max_value=3),
                 st.integers(min_value=0, max_value=3_000))
# A cart: 1–3 parts on distinct sellers (by index), each its lines (price, quantity, commission in basis
# points) and its shipping.
CART = st.lists(st.tuples(st.integers(min_value=0, max_value=SELLER_COUNT - 1),
                          st.lists(LINE, min_size=1, max_size=3), st.integers(min_value=0, max_value=1_500)),
                min_size=1, max_size=SELLER_COUNT, unique_by=lambda part: part[0])
STEP = st.one_of(
    # Refund this per mille of what is left of a part (order and part indices wrap).
    st.tuples(st.just("refund"), st.integers(min_value=0, max_value=1), st.integers(min_value=0, max_value=2),
              st.integers(min_value=1, max_value=1000)),
    st.tuples(st.just("transfer")),  # the scheduled transfer job runs
    st.tuples(st.just("payout")),  # an operator's payout run pays out what each seller has available
    st.tuples(st.just("onboard"), st.integers(min_value=0, max_value=SELLER_COUNT - 1)),  # payouts enabled late
)
# The final order: each seller earns enough to net whatever it owes.
NEXT_EARNINGS_AMOUNT = 1_000_000
FINAL_CART_PARTS = ((NEXT_EARNINGS_AMOUNT, 1, 0),)

_examples = itertools.count()


@pytest.fixture
def buyer_id(app, shopper):
    shopper()
    with app.app_context():
        return paid_orders.any_user_id()


def _cart(sellers, parts) -> paid_orders.Cart:
    return paid_orders.Cart(parts=tuple(
        paid_orders.SellerPart(tenant_id=sellers[seller_index].id, shipping=shipping, lines=tuple(
            paid_orders.Line(price, quantity, percentage(Money(price * quantity, "USD"), basis_points).amount)
            for price, quantity, basis_points in lines))
        for seller_index, lines, shipping in parts))


def _new_sellers(make_seller, onboarded: list[bool]) -> tuple[list, dict[int, str]]:
    """Three new sellers, each with a payout account (onboarded or not) and paid out from 1 minor unit on."""
    number = next(_examples)
    sellers = [make_seller(f"prop{number}-{index}") for index in range(SELLER_COUNT)]
    accounts = {seller.id: money_support.connect(current_gateway(), seller.id, payouts_enabled=is_onboarded)
                for seller, is_onboarded in zip(sellers, onboarded)}
    with UnitOfWork() as uow:
        for seller in sellers:
            payouts.set_schedule(uow, seller.id, payouts.Schedule(PayoutFrequency.DAILY, None, 1))
        uow.commit()
    return sellers, accounts


def _charge_delivered(app, buyer_id: int, cart: paid_orders.Cart) -> int:
    """A paid order, its parts delivered longer ago than the hold, settled by its job."""
    order_id = paid_orders.write_charged_order(buyer_id, cart, delivered_at=utcnow() - timedelta(days=HOLD_DAYS + 1))
    run_jobs(app)
    return order_id


# Few examples, each a whole life of orders (under a minute in all); no shrinking, which takes minutes here:
# a failing example is reported as generated.
@settings(max_examples=7, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.generate])
@given(onboarded=st.lists(st.booleans(), min_size=SELLER_COUNT, max_size=SELLER_COUNT),
       carts=st.lists(CART, min_size=1, max_size=2), steps=st.lists(STEP, max_size=6))
# A part refunded whole before its transfer: the seller still bears its share of the processor's fee.
@example(onboarded=[False] * SELLER_COUNT, carts=[[(0, [(1_000, 1, 1_000)], 0)]], steps=[("refund", 0, 0, 1000)])
def test_whatever_the_order_of_refunds_transfers_and_payouts_every_cent_of_a_charge_is_accounted_for(
        app, make_seller, buyer_id, onboarded, carts, steps):
    with app.app_context():
        sellers, accounts = _new_sellers(make_seller, onboarded)
        gateway = current_gateway()
        orders = [(_charge_delivered(app, buyer_id, _cart(sellers, parts)), _cart(sellers, parts)) for parts in carts]
        refunded: dict[tuple[int, int], int] = defaultdict(int)
        for number, step in enumerate(steps):
            if step[0] == "refund":
                _, order_index, part_index, per_mille = step
                order_id, cart = orders[order_index % len(orders)]
                part = cart.parts[part_index % len(cart.parts)]
                amount = (part.total - refunded[order_id, part.tenant_id]) * per_mille // 1000
                if amount == 0:
                    continue
                refunded[order_id, part.tenant_id] += amount
                refund_seller_part(order_id, part.tenant_id, amount, [], "Generated", f"k{number}")
                run_jobs(app)
            elif step[0] == "transfer":
                run_transfers(app)
            elif step[0] == "payout":
                payouts.start_run(PayoutRunTrigger.OPERATOR, utcnow().date())
                run_jobs(app)
            else:
                gateway.complete_onboarding(accounts[sellers[step[1]].id])
                run_jobs(app)

        for seller in sellers:
            gateway.complete_onboarding(accounts[seller.id])
        run_jobs(app)
        run_transfers(app)
        owed_before_next_earnings = {seller.id: seller_balance(app, AccountKind.SELLER_RECEIVABLE, seller)
                                     for seller in sellers}
        final_cart = _cart(sellers, [(index, FINAL_CART_PARTS, 0) for index in range(SELLER_COUNT)])
        final_order = _charge_delivered(app, buyer_id, final_cart)
        run_transfers(app)

        every_order = orders + [(final_order, final_cart)]
        with UnitOfWork() as uow:
            assert all(account.payouts_enabled for account in uow.session.scalars(
                select(PayoutAccount).where(PayoutAccount.tenant_id.in_([seller.id for seller in sellers]))))
            for order_id, cart in every_order:
                _assert_every_cent_accounted_for(uow, order_id, cart)
            for recovery in uow.session.scalars(select(TransferRecovery).where(
                    TransferRecovery.tenant_id.in_([seller.id for seller in sellers]))):
                _assert_only_what_could_not_be_reversed_is_owed(uow, recovery)
            netted_by_final_order = dict(uow.session.execute(
                select(SellerTransfer.tenant_id, SellerTransfer.netted_amount)
                .where(SellerTransfer.order_id == final_order)).all())
            unbalanced = list(uow.session.execute(
                select(LedgerPosting.transaction_id, LedgerPosting.currency)
                .group_by(LedgerPosting.transaction_id, LedgerPosting.currency)
                .having(func.sum(LedgerPosting.amount) != 0)))

    assert unbalanced == []
    for seller in sellers:
        # What a seller still owed was taken from its next earnings, and it owes nothing more.
        assert netted_by_final_order[seller.id] == owed_before_next_earnings[seller.id]
        assert seller_balance(app, AccountKind.SELLER_RECEIVABLE, seller) == 0


def _assert_every_cent_accounted_for(uow: UnitOfWork, order_id: int, cart: paid_orders.Cart) -> None:
    session = uow.session
    intent_id = session.scalar(select(Payment.gateway_payment_id).where(Payment.order_id == order_id))
    charge = processor.TestGatewayBalanceTransaction
    # The test gateway's charge of `pi_X` is `ch_X`.
    fee = session.scalar(select(charge.fee).where(charge.type == "charge",
                                                  charge.source == "ch_" + intent_id.removeprefix("pi_")))
    refunded = int(session.scalar(select(func.coalesce(func.sum(processor.TestGatewayRefund.amount), 0))
                              .where(processor.TestGatewayRefund.payment_intent_id == intent_id)))
    transfer = processor.TestGatewayTransfer
    transfers = session.execute(select(transfer.amount, transfer.amount_reversed)
                                .where(transfer.source_payment_intent_id == intent_id)).all()
    ledger_sums = _order_ledger_sums(uow, order_id)

    # A reversal never takes more than its transfer gave.
    assert all(0 <= amount_reversed <= amount for amount, amount_reversed in transfers)
    transferred = sum(amount - amount_reversed for amount, amount_reversed in transfers)
    # The ledger agrees with the processor on what reached the sellers' accounts.
    assert ledger_sums[AccountKind.CONNECTED_BALANCE] == transferred
    # Transferred, less what sellers owe back for this order (a receivable; netted from later earnings:
    # negative here for the order that netted it), is what the sellers keep of it.
    sellers_keep = transferred - ledger_sums[AccountKind.SELLER_RECEIVABLE]
    platform_keeps = -ledger_sums[AccountKind.COMMISSION_REVENUE] - ledger_sums[AccountKind.PROCESSING_FEES]
    assert 0 <= -ledger_sums[AccountKind.COMMISSION_REVENUE] <= sum(
        line.commission for part in cart.parts for line in part.lines)
    assert sellers_keep + platform_keeps + fee + refunded == cart.total, order_id
    # Nothing the sellers earned on the order is left untransferred, nor owed without a receivable.
    assert -ledger_sums[AccountKind.SELLER_PAYABLE] == ledger_sums[AccountKind.CONNECTED_BALANCE]


def _assert_only_what_could_not_be_reversed_is_owed(uow: UnitOfWork, recovery: TransferRecovery) -> None:
    """A recovery took back from the transfer all it could: any part left owed is money the transfer no longer
    had (reversed before, or never transferred) or that left the seller's account in a payout."""
    assert 0 <= recovery.reverse_amount <= recovery.amount
    if recovery.reverse_amount == recovery.amount:
        return
    transfer = uow.session.scalar(select(SellerTransfer).where(SellerTransfer.order_id == recovery.order_id,
                                                               SellerTransfer.tenant_id == recovery.tenant_id))
    paid_out = uow.session.scalar(select(func.count(PayoutRunResult.id)).where(
        PayoutRunResult.tenant_id == recovery.tenant_id, PayoutRunResult.outcome == PayoutOutcome.PAID))
    nothing_left_to_reverse = transfer.amount_reversed == transfer.amount
    assert nothing_left_to_reverse or (recovery.status is RecoveryStatus.RECEIVABLE and paid_out), recovery.key


def _order_ledger_sums(uow: UnitOfWork, order_id: int) -> dict[AccountKind, int]:
    """Signed sums (debits positive) of the order's postings by account kind, every seller together."""
    rows = uow.session.execute(
        select(LedgerAccount.kind, func.sum(LedgerPosting.amount))
        .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .where(LedgerTransaction.order_id == order_id).group_by(LedgerAccount.kind))
    return defaultdict(int, {kind: int(total) for kind, total in rows})
