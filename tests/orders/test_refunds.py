"""Refunds of a seller's part: records of their own, never more than is left, sent to the gateway once."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from billing.gateway import models as gateway_models
from billing.gateway.port import Refund as GatewayRefund, RefundStatus, WebhookEvent
from billing.gateway.registry import current_gateway
from billing.money import Money
from marketplace.checkout.models import Payment
from marketplace.refunds import services as refund_services
from marketplace.refunds.models import Refund
from tenants.uow import UnitOfWork
from tests.concurrency import run_together
from tests.workers.support import run_jobs


def refunds_path(seller_offer, seller_order_id: int) -> str:
    return f"/api/v1/sellers/{seller_offer.tenant.slug}/orders/{seller_order_id}/refunds"


def test_a_seller_refunds_part_of_an_order_and_the_buyer_sees_it(app, client, offer, routed_order, seller_member):
    seller_offer = offer("oak", price_amount=1500, stock=5)
    buyer, order = routed_order([seller_offer], quantity=2)
    [part] = order["sellers"]
    line_id = part["lines"][0]["id"]
    staff = seller_member(seller_offer.tenant)

    created = client.post(refunds_path(seller_offer, part["seller_order_id"]), headers=staff.headers,
                          json={"amount": 1500, "reason": "One mug arrived chipped",
                                "lines": [{"line_id": line_id, "quantity": 1}]})
    run_jobs(app)

    assert created.status_code == 201 and created.get_json()["status"] == "pending"
    listed = client.get(refunds_path(seller_offer, part["seller_order_id"]), headers=staff.headers).get_json()
    assert [(r["amount"], r["status"], r["lines"]) for r in listed] == [
        (1500, "succeeded", [{"line_id": line_id, "quantity": 1}])]
    view = client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()
    assert [(r["amount"], r["status"], r["reason"]) for r in view["sellers"][0]["refunds"]] == [
        (1500, "succeeded", "One mug arrived chipped")]


def test_a_refund_over_what_is_left_is_refused_and_changes_nothing(app, client, offer, routed_order, seller_member):
    seller_offer = offer("oak", price_amount=1500)
    _, order = routed_order([seller_offer])
    [part] = order["sellers"]
    staff = seller_member(seller_offer.tenant)
    path = refunds_path(seller_offer, part["seller_order_id"])
    client.post(path, headers=staff.headers, json={"amount": part["total_amount"] - 100, "reason": "Most of it"})

    response = client.post(path, headers=staff.headers, json={"amount": 101, "reason": "A bit more"})

    assert response.status_code == 409
    assert response.get_json()["code"] == "refund_exceeds_remaining"
    assert response.get_json()["errors"] == {"amount": ["At most 100."]}
    assert len(client.get(path, headers=staff.headers).get_json()) == 1


def test_a_refund_of_another_orders_line_is_refused(app, client, offer, routed_order, seller_member):
    seller_offer = offer("oak")
    _, order = routed_order([seller_offer])
    [part] = order["sellers"]
    staff = seller_member(seller_offer.tenant)

    response = client.post(refunds_path(seller_offer, part["seller_order_id"]), headers=staff.headers,
                           json={"amount": 100, "reason": "Wrong line",
                                 "lines": [{"line_id": part["lines"][0]["id"] + 999, "quantity": 1}]})

    assert response.status_code == 422
    assert "lines" in response.get_json()["errors"]


def test_the_same_idempotency_key_refunds_once(app, client, offer, routed_order, seller_member):
    seller_offer = offer("oak", price_amount=1500)
    _, order = routed_order([seller_offer])
    [part] = order["sellers"]
    staff = seller_member(seller_offer.tenant)
    path = refunds_path(seller_offer, part["seller_order_id"])
    headers = {**staff.headers, "Idempotency-Key": "refund-1"}

    first = client.post(path, headers=headers, json={"amount": 500, "reason": "Late"})
    second = client.post(path, headers=headers, json={"amount": 500, "reason": "Late"})
    run_jobs(app)

    assert first.get_json()["id"] == second.get_json()["id"]
    with app.app_context(), UnitOfWork() as uow:
        assert uow.session.scalar(select(func.sum(gateway_models.TestGatewayRefund.amount))) == 500


def test_twenty_concurrent_refunds_of_one_line_never_exceed_it(app, client, offer, routed_order):
    seller_offer = offer("oak", price_amount=700, stock=10)
    _, order = routed_order([seller_offer], quantity=3)
    [part] = order["sellers"]
    line = part["lines"][0]

    outcomes = run_together(app, *[
        (lambda key=key: refund_services.refund_seller_part(
            order["id"], seller_offer.tenant.id, 700, [{"line_id": line["id"], "quantity": 1}], "Broken",
            f"concurrent-{key}")) for key in range(20)])
    run_jobs(app)

    assert sorted(outcomes) == ["RefundExceedsRemaining"] * 17 + ["done"] * 3
    with app.app_context(), UnitOfWork() as uow:
        assert uow.session.scalar(select(func.sum(Refund.amount)).where(Refund.status == "succeeded")) \
            == line["line_total_amount"]
        gateway_refunded = uow.session.scalar(select(func.sum(gateway_models.TestGatewayRefund.amount)))
        assert gateway_refunded == line["line_total_amount"]


def test_a_refund_the_gateway_refuses_is_failed_and_no_longer_counts(app, client, offer, routed_order,
                                                                     seller_member):
    seller_offer = offer("oak", price_amount=1500)
    _, order = routed_order([seller_offer])
    [part] = order["sellers"]
    staff = seller_member(seller_offer.tenant)
    path = refunds_path(seller_offer, part["seller_order_id"])
    with app.app_context(), UnitOfWork() as uow:
        intent_id = uow.session.scalar(select(Payment.gateway_payment_id).where(Payment.order_id == order["id"]))
    with app.app_context():  # refunded at the gateway by someone else: our records do not know
        current_gateway().create_refund(payment_intent_id=intent_id, amount=Money(part["total_amount"], "USD"),
                                        idempotency_key="dashboard-refund", metadata={})

    client.post(path, headers=staff.headers, json={"amount": 1000, "reason": "Late"})
    run_jobs(app)
    retried = client.post(path, headers=staff.headers, json={"amount": part["total_amount"], "reason": "All of it"})

    [failed, *_] = client.get(path, headers=staff.headers).get_json()
    assert (failed["status"], failed["failure_reason"]) == ("failed", "charge_already_refunded")
    assert retried.status_code == 201


def test_the_gateways_refund_events_update_the_refunds_state(app, client, offer, routed_order, seller_member):
    seller_offer = offer("oak", price_amount=1500)
    _, order = routed_order([seller_offer])
    [part] = order["sellers"]
    staff = seller_member(seller_offer.tenant)
    path = refunds_path(seller_offer, part["seller_order_id"])
    refund_id = client.post(path, headers=staff.headers, json={"amount": 500, "reason": "Late"}).get_json()["id"]
    run_jobs(app)
    with app.app_context(), UnitOfWork() as uow:
        gateway_id = uow.session.scalar(select(Refund.gateway_refund_id).where(Refund.id == refund_id))

    with app.app_context():  # Stripe's refund.failed: the refund as the gateway has it now
        refund_services.on_refund_event(
            GatewayRefund(id=gateway_id, payment_intent_id="pi_x", amount=Money(500, "USD"),
                          status=RefundStatus.failed, failure_reason="expired_or_canceled_card"),
            WebhookEvent(id="evt_1", type="refund.failed", object_type="refund", object_id=gateway_id, created=0))

    [refund] = client.get(path, headers=staff.headers).get_json()
    assert (refund["status"], refund["failure_reason"]) == ("failed", "expired_or_canceled_card")


def test_charge_refunded_records_a_refund_whose_gateway_answer_was_lost(app, client, offer, routed_order,
                                                                        seller_member):
    seller_offer = offer("oak", price_amount=1500)
    _, order = routed_order([seller_offer])
    [part] = order["sellers"]
    staff = seller_member(seller_offer.tenant)
    path = refunds_path(seller_offer, part["seller_order_id"])
    refund_id = client.post(path, headers=staff.headers, json={"amount": 500, "reason": "Late"}).get_json()["id"]
    with app.app_context(), UnitOfWork() as uow:
        intent_id = uow.session.scalar(select(Payment.gateway_payment_id).where(Payment.order_id == order["id"]))
    with app.app_context():  # the refund job's call reached the gateway, then the job died before recording it
        gateway = current_gateway()
        made = gateway.create_refund(payment_intent_id=intent_id, amount=Money(500, order["currency"]),
                                     idempotency_key=f"re:{refund_id}", metadata={"refund_id": str(refund_id)})
        charge = gateway.retrieve_charge(gateway.retrieve_payment_intent(intent_id).latest_charge)
        refund_services.on_charge_refunded(charge, WebhookEvent(id="evt_2", type="charge.refunded",
                                                                object_type="charge", object_id=charge.id, created=0))

    assert (charge.payment_intent_id, charge.amount_refunded) == (intent_id, 500)
    with app.app_context(), UnitOfWork() as uow:
        recorded = uow.session.get(Refund, refund_id)
        assert (recorded.status.value, recorded.gateway_refund_id) == ("succeeded", made.id)


@pytest.mark.parametrize("body, field", [
    ({"reason": "No amount"}, "amount"),
    ({"amount": 0, "reason": "Nothing"}, "amount"),
    ({"amount": -5, "reason": "Negative"}, "amount"),
    ({"amount": 2**63, "reason": "Too big"}, "amount"),
    ({"amount": 100}, "reason"),
    ({"amount": 100, "reason": "  "}, "reason"),
    ({"amount": 100, "reason": "Zero units", "lines": [{"line_id": 1, "quantity": 0}]}, "lines"),
    ({"amount": 100, "reason": "No line", "lines": [{"quantity": 1}]}, "lines"),
])
def test_a_malformed_refund_is_refused_and_changes_nothing(client, offer, routed_order, seller_member, body, field):
    seller_offer = offer("oak")
    _, order = routed_order([seller_offer])
    staff = seller_member(seller_offer.tenant)
    path = refunds_path(seller_offer, order["sellers"][0]["seller_order_id"])

    response = client.post(path, headers=staff.headers, json=body)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert client.get(path, headers=staff.headers).get_json() == []


def test_a_refund_of_an_order_the_seller_does_not_have_is_not_found(client, offer, routed_order, seller_member):
    oak, elm = offer("oak"), offer("elm")
    _, order = routed_order([elm])
    oak_staff = seller_member(oak.tenant)

    response = client.post(refunds_path(oak, order["sellers"][0]["seller_order_id"]), headers=oak_staff.headers,
                           json={"amount": 100, "reason": "Not mine"})

    assert response.status_code == 404
