"""Disputes: an open one freezes the order's transfers; the ledger follows the money; a lost one is recovered
from the sellers by gross like a refund; repeated and out-of-order events end in one state."""
from __future__ import annotations

from sqlalchemy import func, select

from billing import ledger
from billing.gateway.port import WebhookEvent
from billing.gateway.registry import current_gateway
from billing.ledger_models import LedgerTransaction
from billing.money import Money
from billing.transfer_models import OrderDispute
from billing.transfers import transfer_seller_share
from marketplace.checkout.models import OrderSellerPart
from marketplace.payouts import disputes
from tenants.uow import UnitOfWork
from tests.billing.transfer_support import (
    HOLD_DAYS, age_delivery, connect, deliver, gateway_transfers, ledger_balances, payment_intent_of, run_transfers,
    seller_net, settle, transfer_row,
)
from tests.workers.support import run_jobs


def delivered_and_held(app, client, *sales):
    for sale in sales:
        connect(app, client, sale.tenant, sale.owner)
    settle(app, sales[0].order_id)
    for sale in sales:
        deliver(app, client, sale)
        age_delivery(app, sale, HOLD_DAYS + 1)


def open_dispute(app, order_id: int, amount: int):
    with app.app_context():
        gateway = current_gateway()
        charge = gateway.retrieve_payment_intent(payment_intent_of(app, order_id)).latest_charge
        dispute = gateway.open_dispute(charge, Money(amount, "USD"), "fraudulent")
    run_jobs(app)
    return dispute


def close_dispute(app, dispute_id: str, won: bool) -> None:
    with app.app_context():
        current_gateway().close_dispute(dispute_id, won=won)
    run_jobs(app)


def dispute_losses(app) -> int:
    with app.app_context(), UnitOfWork() as uow:
        return ledger.balance(uow.session, ledger.DISPUTE_LOSSES, "USD").amount


def test_an_open_dispute_freezes_the_orders_transfer_and_a_won_one_releases_it(app, client, sale):
    [oak] = sale("oak", price_amount=1000)
    delivered_and_held(app, client, oak)
    dispute = open_dispute(app, oak.order_id, 500)

    assert run_transfers(app) == 0
    assert dispute_losses(app) == 500  # the platform bears it while it is decided

    close_dispute(app, dispute.id, won=True)

    assert dispute_losses(app) == 0
    assert run_transfers(app) == 1
    assert [amount for _, amount, _ in gateway_transfers(app)] == [seller_net(app, oak.order_id, oak.tenant)]
    assert ledger_balances(app)


def test_a_lost_dispute_after_the_transfers_is_reversed_from_each_seller_by_gross(app, client, sale):
    oak, elm = sale("oak", price_amount=1000, others=[("elm", 3000)])
    delivered_and_held(app, client, oak, elm)
    assert run_transfers(app) == 2
    with app.app_context(), UnitOfWork() as uow:
        gross = dict(uow.session.execute(select(OrderSellerPart.tenant_id, OrderSellerPart.total_amount)
                                         .where(OrderSellerPart.order_id == oak.order_id)).all())
    disputed = 800
    dispute = open_dispute(app, oak.order_id, disputed)

    close_dispute(app, dispute.id, won=False)

    oak_share = disputed * gross[oak.tenant.id] // sum(gross.values())
    elm_share = disputed - oak_share
    reversed_by_seller = {transfer_row(app, part).tenant_id: transfer_row(app, part).amount_reversed
                          for part in (oak, elm)}
    assert abs(reversed_by_seller[oak.tenant.id] - oak_share) <= 1
    assert sum(reversed_by_seller.values()) == disputed
    assert reversed_by_seller[elm.tenant.id] >= elm_share - 1
    assert dispute_losses(app) == 0  # the sellers bore it
    assert ledger_balances(app)


def test_a_lost_dispute_before_the_transfer_shrinks_it(app, client, sale):
    [oak] = sale("oak", price_amount=1000)
    delivered_and_held(app, client, oak)
    dispute = open_dispute(app, oak.order_id, 300)

    close_dispute(app, dispute.id, won=False)
    run_transfers(app)

    assert [amount for _, amount, _ in gateway_transfers(app)] == [seller_net(app, oak.order_id, oak.tenant) - 300]
    assert ledger_balances(app)


def test_repeated_and_out_of_order_dispute_events_end_in_one_state(app, client, sale):
    [oak] = sale("oak", price_amount=1000)
    delivered_and_held(app, client, oak)
    run_transfers(app)
    dispute = open_dispute(app, oak.order_id, 400)
    close_dispute(app, dispute.id, won=False)

    with app.app_context():
        current = current_gateway().retrieve_dispute(dispute.id)
        event = WebhookEvent(id="evt_replay", type="charge.dispute.created", object_type="dispute",
                             object_id=dispute.id, created=0)
        # Late, repeated deliveries of every event of the dispute, the oldest last.
        disputes.on_dispute_closed(current, event)
        disputes.on_funds_withdrawn(current, event)
        disputes.on_dispute_event(current, event)
    run_jobs(app)

    with app.app_context(), UnitOfWork() as uow:
        status = uow.session.get(OrderDispute, dispute.id).status
        postings_of_dispute = uow.session.scalar(select(func.count(LedgerTransaction.id))
                                                 .where(LedgerTransaction.external_id.like(f"dispute:{dispute.id}:%")))
    assert status == "lost"  # not reopened by the late `created`
    assert postings_of_dispute == 2  # funds withdrawn, lost by the one seller
    assert transfer_row(app, oak).amount_reversed == 400
    assert run_transfers(app) == 0
    assert ledger_balances(app)


def test_a_dispute_opened_after_the_share_was_chosen_still_stops_its_transfer(app, client, sale):
    [oak] = sale("oak", price_amount=1000)
    delivered_and_held(app, client, oak)
    open_dispute(app, oak.order_id, 200)

    with app.app_context():  # as a sweep that listed the share just before the dispute arrived
        made = transfer_seller_share(current_gateway(), oak.order_id, oak.tenant.id, "USD",
                                     payment_intent_of(app, oak.order_id))

    assert made is None
    assert gateway_transfers(app) == []
