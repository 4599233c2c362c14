"""Transfers of sellers' shares: after delivery and the hold, once, only to sellers the processor lets be paid;
refunds shrink them before, reverse them after, and become receivables netted from later orders once paid out."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from billing import ledger, postings
from billing.gateway.port import WebhookEvent
from billing.gateway.registry import current_gateway
from billing.ledger_models import AccountKind, TransactionKind
from billing.money import Money
from billing.payout_account_models import PayoutAccount
from billing.transfers import on_transfer_reversed, recover_seller_share, transfer_seller_share
from marketplace.catalog.models import Variant
from marketplace.checkout.models import Payment
from marketplace.payouts.transfers import send_due_transfers
from tenants.uow import UnitOfWork
from tests.billing.transfer_support import (
    HOLD_DAYS, Sale, age_delivery, connect, deliver, due_share, gateway_transfers, ledger_balances, payment_intent_of,
    refund_seller_share, run_transfers, seller_balance, seller_net, settle, transfer_row,
)
from tests.checkout.conftest import Offer
from tests.concurrency import run_together
from tests.workers.support import run_jobs


def delivered_and_held(app, client, sale, connected: bool = True, onboard: bool = True):
    if connected:
        connect(app, client, sale.tenant, sale.owner, onboard=onboard)
    settle(app, sale.order_id)
    deliver(app, client, sale)
    age_delivery(app, sale, HOLD_DAYS + 1)


def test_a_share_is_transferred_once_after_delivery_and_the_hold_never_before(app, client, sale):
    [oak] = sale("oak", price_amount=1000)
    connect(app, client, oak.tenant, oak.owner)
    settle(app, oak.order_id)
    deliver(app, client, oak)

    assert run_transfers(app) == 0  # delivered today: still held
    age_delivery(app, oak, HOLD_DAYS - 1)
    assert run_transfers(app) == 0
    age_delivery(app, oak, HOLD_DAYS + 1)
    assert run_transfers(app) == 1
    assert run_transfers(app) == 0

    net = seller_net(app, oak.order_id, oak.tenant)
    assert gateway_transfers(app) == [(f"order_{oak.order_id}", net, 0)]
    assert seller_balance(app, AccountKind.CONNECTED_BALANCE, oak.tenant) == net
    assert transfer_row(app, oak).status.value == "transferred"
    assert ledger_balances(app)


def test_an_unsettled_share_is_never_transferred(app, client, make_seller, member_of, shopper):
    seller = make_seller("oak")
    connect(app, client, seller, member_of(seller))
    order_id, _ = due_share(app, seller, shopper().user_id, 2500, settled=False)  # delivered, held, not settled

    assert run_transfers(app) == 0
    settle(app, order_id)
    assert run_transfers(app) == 1


def test_each_seller_of_an_order_gets_its_own_share(app, client, sale):
    oak, elm = sale("oak", price_amount=1000, others=[("elm", 2500)])
    for part in (oak, elm):
        connect(app, client, part.tenant, part.owner)
    settle(app, oak.order_id)
    for part in (oak, elm):
        deliver(app, client, part)
        age_delivery(app, part, HOLD_DAYS + 1)

    assert run_transfers(app) == 2
    assert sorted(amount for _, amount, _ in gateway_transfers(app)) == sorted(
        [seller_net(app, oak.order_id, oak.tenant), seller_net(app, elm.order_id, elm.tenant)])


def test_a_seller_without_payouts_enabled_accrues_then_is_paid_once_enabled(app, client, sale):
    [oak] = sale("oak")
    delivered_and_held(app, client, oak, onboard=False)

    assert run_transfers(app) == 0
    assert gateway_transfers(app) == []
    assert seller_balance(app, AccountKind.SELLER_PAYABLE, oak.tenant) == seller_net(app, oak.order_id, oak.tenant)

    with app.app_context(), UnitOfWork() as uow:
        account_id = uow.session.get(PayoutAccount, oak.tenant.id).gateway_account_id
    with app.app_context():
        current_gateway().complete_onboarding(account_id)
    run_jobs(app)  # account.updated

    assert run_transfers(app) == 1
    assert [amount for _, amount, _ in gateway_transfers(app)] == [seller_net(app, oak.order_id, oak.tenant)]


def test_two_runs_at_once_transfer_once(app, client, sale):
    [oak] = sale("oak")
    delivered_and_held(app, client, oak)

    def run():
        with app.app_context():
            send_due_transfers(HOLD_DAYS)

    run_together(app, run, run)

    assert len(gateway_transfers(app)) == 1
    assert seller_balance(app, AccountKind.CONNECTED_BALANCE, oak.tenant) == seller_net(app, oak.order_id, oak.tenant)
    assert ledger_balances(app)


def test_a_refund_before_the_transfer_shrinks_it(app, client, sale):
    [oak] = sale("oak", price_amount=1000)
    delivered_and_held(app, client, oak)

    refund_seller_share(app, oak, 300, "r1")
    run_transfers(app)

    assert [amount for _, amount, _ in gateway_transfers(app)] == [seller_net(app, oak.order_id, oak.tenant) - 300]
    assert ledger_balances(app)


def test_a_part_refunded_whole_before_its_transfer_leaves_the_seller_owing_its_fee_share_netted_from_the_next_order(
        app, client, sale, routed_order):
    [first] = sale("oak", price_amount=1000)
    delivered_and_held(app, client, first)
    net = seller_net(app, first.order_id, first.tenant)
    with app.app_context(), UnitOfWork() as uow:
        charged = uow.session.scalar(select(Payment.amount).where(Payment.order_id == first.order_id))

    refund_seller_share(app, first, charged, "r1")  # the buyer gets everything back; the processor keeps its fee
    run_transfers(app)

    owed = charged - net  # the seller's share of the processor's fee (and any commission): it bears the refund
    assert owed > 0
    assert gateway_transfers(app) == []
    assert transfer_row(app, first).status.value == "nothing_owed"
    assert seller_balance(app, AccountKind.SELLER_RECEIVABLE, first.tenant) == owed

    second = next_sale_of(app, routed_order, first)
    delivered_and_held(app, client, second, connected=False)
    run_transfers(app)

    second_net = seller_net(app, second.order_id, second.tenant)
    assert [amount for _, amount, _ in gateway_transfers(app)] == [second_net - owed]
    assert transfer_row(app, second).netted_amount == owed
    assert seller_balance(app, AccountKind.SELLER_RECEIVABLE, first.tenant) == 0
    assert ledger_balances(app)


def test_a_refund_after_the_transfer_is_reversed_and_partial_refunds_never_over_reverse(app, client, sale):
    [oak] = sale("oak", price_amount=1000)
    delivered_and_held(app, client, oak)
    run_transfers(app)
    net = seller_net(app, oak.order_id, oak.tenant)

    refund_seller_share(app, oak, 300, "r1")
    refund_seller_share(app, oak, 300, "r1")  # the same refund's job again: nothing more
    refund_seller_share(app, oak, 200, "r2")

    assert gateway_transfers(app) == [(f"order_{oak.order_id}", net, 500)]
    assert transfer_row(app, oak).amount_reversed == 500
    assert seller_balance(app, AccountKind.CONNECTED_BALANCE, oak.tenant) == net - 500
    assert seller_balance(app, AccountKind.SELLER_RECEIVABLE, oak.tenant) == 0
    assert ledger_balances(app)


def test_after_a_payout_a_refund_becomes_a_receivable_netted_from_the_next_orders_transfer(app, client, sale,
                                                                                          routed_order):
    [first] = sale("oak", price_amount=1000)
    delivered_and_held(app, client, first)
    run_transfers(app)
    net = seller_net(app, first.order_id, first.tenant)
    with app.app_context(), UnitOfWork() as uow:
        account_id = uow.session.get(PayoutAccount, first.tenant.id).gateway_account_id
    with app.app_context():
        current_gateway().create_payout(account_id=account_id, amount=Money(net, "USD"), idempotency_key="po:1",
                                        metadata={})

    refund_seller_share(app, first, 400, "r1")

    assert gateway_transfers(app) == [(f"order_{first.order_id}", net, 0)]  # paid out: nothing to reverse
    assert seller_balance(app, AccountKind.SELLER_RECEIVABLE, first.tenant) == 400

    second = next_sale_of(app, routed_order, first)
    delivered_and_held(app, client, second, connected=False)
    run_transfers(app)

    second_net = seller_net(app, second.order_id, second.tenant)
    assert [amount for _, amount, _ in gateway_transfers(app)] == [net, second_net - 400]
    assert transfer_row(app, second).netted_amount == 400
    assert seller_balance(app, AccountKind.SELLER_RECEIVABLE, first.tenant) == 0
    assert ledger_balances(app)


def next_sale_of(app, routed_order, earlier: Sale) -> Sale:
    """Another paid order of the same seller's product, by a new buyer."""
    with app.app_context(), UnitOfWork(earlier.tenant) as uow:
        variant = uow.session.scalar(select(Variant))
        seller_offer = Offer(earlier.tenant, variant.product_id, variant.id, variant.price_amount)
    _, order = routed_order([seller_offer])
    return Sale(order["id"], earlier.tenant, order["sellers"][0]["seller_order_id"], earlier.owner)


def test_a_run_that_died_after_the_gateway_answered_is_finished_by_the_next_without_a_second_transfer(
        app, client, sale, monkeypatch):
    [oak] = sale("oak")
    delivered_and_held(app, client, oak)
    real_post = ledger.post

    def die_on_the_transfer_posting(uow, kind, external_id, *args, **kwargs):
        if external_id.startswith("tr:"):
            raise ConnectionError("the worker died here")
        return real_post(uow, kind, external_id, *args, **kwargs)

    monkeypatch.setattr(ledger, "post", die_on_the_transfer_posting)
    with app.app_context():
        with pytest.raises(ConnectionError):
            transfer_seller_share(current_gateway(), oak.order_id, oak.tenant.id, "USD",
                                  payment_intent_of(app, oak.order_id))
    monkeypatch.setattr(ledger, "post", real_post)
    assert transfer_row(app, oak).status.value == "pending"

    assert run_transfers(app) == 1

    assert len(gateway_transfers(app)) == 1
    assert seller_balance(app, AccountKind.CONNECTED_BALANCE, oak.tenant) == seller_net(app, oak.order_id, oak.tenant)
    assert ledger_balances(app)


def test_two_recoveries_at_once_never_reverse_more_than_the_transfer(app, client, sale):
    [oak] = sale("oak", price_amount=1000)
    delivered_and_held(app, client, oak)
    run_transfers(app)
    net = seller_net(app, oak.order_id, oak.tenant)
    with app.app_context(), UnitOfWork(on_behalf_of=oak.tenant) as uow:
        # Two refunds the seller bears, more than it was transferred between them, posted before their jobs run.
        for key, amount in (("r1", net - 100), ("r2", 300)):
            ledger.post(uow, TransactionKind.REFUND, f"refund:{key}",
                        postings.refund(oak.tenant.id, Money(amount, "USD"), Money.zero("USD")),
                        order_id=oak.order_id, tenant_id=oak.tenant.id)
        uow.commit()

    def recover(key: str, amount: int):
        def run():
            with app.app_context():
                recover_seller_share(current_gateway(), oak.order_id, oak.tenant.id, Money(amount, "USD"),
                                     f"refund:{key}")
        return run

    run_together(app, recover("r1", net - 100), recover("r2", 300))
    run_jobs(app)

    assert gateway_transfers(app) == [(f"order_{oak.order_id}", net, net)]
    assert seller_balance(app, AccountKind.SELLER_RECEIVABLE, oak.tenant) == 200
    assert ledger_balances(app)


def test_a_late_stale_transfer_reversed_event_never_lowers_what_is_recorded(app, client, sale):
    [oak] = sale("oak", price_amount=1000)
    delivered_and_held(app, client, oak)
    run_transfers(app)
    with app.app_context():
        stale = current_gateway().retrieve_transfer(transfer_row(app, oak).gateway_transfer_id)
    refund_seller_share(app, oak, 300, "r1")
    event = WebhookEvent(id="evt_late", type="transfer.reversed", object_type="transfer", object_id=stale.id,
                         created=0)

    with app.app_context():
        on_transfer_reversed(stale, event)  # read before the reversal, handled after it
        on_transfer_reversed(current_gateway().retrieve_transfer(stale.id), event)

    assert transfer_row(app, oak).amount_reversed == 300
