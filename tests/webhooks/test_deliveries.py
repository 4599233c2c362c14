"""Order events reach a seller's webhook endpoint once each, in order per order, signed; retried, failed, replayed."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.webhooks import delivery
from marketplace.webhooks.jobs import retry_due_deliveries, send_delivery
from marketplace.webhooks.models import WebhookAttempt
from tenants.uow import UnitOfWork
from tests.concurrency import run_together
from tests.orders.conftest import seller_lines
from tests.webhooks.conftest import (deliveries, drive_deliveries, pending_count, register_endpoint,
                                     signature_is_valid)
from tests.workers.support import run_jobs
from workers.queues import get_queue
from workers.scheduler import periodic_jobs

ORDER_JOURNEY = ["seller_order.created", "seller_order.accepted", "shipment.created", "seller_order.shipped",
                 "shipment.tracking_updated", "seller_order.delivered"]


@pytest.fixture
def subscribed_seller(app, client, offer, member_of, receiver):
    """A seller whose owner registered the receiver for every event type; (offer, owner, endpoint with its secret)."""
    seller_offer = offer("oak")
    owner = member_of(seller_offer.tenant)
    response = register_endpoint(client, seller_offer.tenant, owner, receiver.url)
    assert response.status_code == 201
    return seller_offer, owner, response.get_json()


def deliver_an_order(app, client, tenant, owner, seller_order_id: int) -> None:
    """The seller accepts, ships every unit, and the parcel is delivered."""
    orders_url = f"/api/v1/sellers/{tenant.slug}/orders/{seller_order_id}"
    assert client.post(orders_url + "/accept", headers=owner.headers).status_code == 200
    [(line_id, quantity)] = seller_lines(app, tenant, seller_order_id)
    shipment = client.post(orders_url + "/shipments", headers=owner.headers, json={
        "carrier": "DHL", "tracking_number": "JD0001", "lines": [{"line_id": line_id, "quantity": quantity}]})
    assert shipment.status_code == 201
    tracked = client.post(f"/api/v1/sellers/{tenant.slug}/shipments/{shipment.get_json()['id']}/tracking-events",
                          headers=owner.headers, json={"status": "delivered"})
    assert tracked.status_code == 201


def test_a_receiver_that_fails_twice_then_answers_gets_each_event_once_in_order_with_a_valid_signature(
        app, client, subscribed_seller, routed_order, receiver, fast_retries):
    seller_offer, owner, endpoint = subscribed_seller
    receiver.answers = [500, 503]
    _, order = routed_order([seller_offer])
    seller_order_id = order["sellers"][0]["seller_order_id"]
    deliver_an_order(app, client, seller_offer.tenant, owner, seller_order_id)

    drive_deliveries(app)

    acknowledged = receiver.acknowledged()
    assert [request.event["type"] for request in acknowledged] == ORDER_JOURNEY
    assert len({request.headers["Marketplace-Event-Id"] for request in acknowledged}) == len(ORDER_JOURNEY)
    assert all(request.headers["Marketplace-Event-Id"] == request.event["id"] for request in acknowledged)
    assert all(request.headers["Marketplace-Event-Type"] == request.event["type"] for request in acknowledged)
    assert all(signature_is_valid(request, endpoint["secret"]) for request in receiver.received)
    # The two refusals were the first event, sent again: nothing later went out before it was acknowledged.
    assert [(request.event["type"], request.answered) for request in receiver.received[:3]] == [
        ("seller_order.created", 500), ("seller_order.created", 503), ("seller_order.created", 200)]
    assert len(receiver.received) == len(ORDER_JOURNEY) + 2
    assert {(request.event["data"]["marketplace_order_id"], request.event["data"]["seller_order_id"])
            for request in acknowledged} == {(order["id"], seller_order_id)}
    rows = deliveries(app, seller_offer.tenant)
    assert [(row.status.value, row.attempts) for row in rows] == [("succeeded", 3)] + [("succeeded", 1)] * 5


def test_the_events_carry_what_a_seller_needs_to_act(app, client, subscribed_seller, routed_order, receiver):
    seller_offer, owner, _ = subscribed_seller
    _, order = routed_order([seller_offer], quantity=2)
    seller_order_id = order["sellers"][0]["seller_order_id"]
    deliver_an_order(app, client, seller_offer.tenant, owner, seller_order_id)

    drive_deliveries(app)

    events = {request.event["type"]: request.event["data"] for request in receiver.acknowledged()}
    created = events["seller_order.created"]
    assert (created["status"], created["seller"]["slug"]) == ("awaiting_acceptance", "oak")
    assert created["acceptance_due_at"] and created["total_amount"] == order["sellers"][0]["total_amount"]
    assert [line["quantity"] for line in created["lines"]] == [2] and created["lines"][0]["sku"]
    assert events["seller_order.accepted"]["previous_status"] == "awaiting_acceptance"
    assert events["shipment.created"]["shipment"]["tracking_number"] == "JD0001"
    assert events["shipment.tracking_updated"]["tracking_event"]["status"] == "delivered"
    assert events["seller_order.delivered"]["status"] == "delivered"


def test_a_delivery_out_of_attempts_is_failed_and_the_orders_next_event_goes_out(
        app, client, subscribed_seller, routed_order, receiver, fast_retries, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_ATTEMPTS", 3)
    seller_offer, owner, _ = subscribed_seller
    receiver.answers = [500, 500, 500]
    _, order = routed_order([seller_offer])
    seller_order_id = order["sellers"][0]["seller_order_id"]
    assert client.post(f"/api/v1/sellers/oak/orders/{seller_order_id}/accept", headers=owner.headers).status_code == 200

    drive_deliveries(app)

    created, accepted = deliveries(app, seller_offer.tenant)
    assert (created.status.value, created.attempts, created.last_response_status) == ("failed", 3, 500)
    assert (accepted.status.value, accepted.attempts) == ("succeeded", 1)
    assert [request.event["type"] for request in receiver.received] == ["seller_order.created"] * 3 + [
        "seller_order.accepted"]


def test_a_failed_retry_waits_its_backoff(app, client, subscribed_seller, routed_order, receiver):
    seller_offer, _, _ = subscribed_seller
    receiver.answers = [500]
    routed_order([seller_offer])

    drive_deliveries(app, rounds=3)

    [created] = deliveries(app, seller_offer.tenant)
    assert (created.status.value, created.attempts) == ("pending", 1)
    assert (created.next_attempt_at - created.created_at).total_seconds() >= app.config["WEBHOOK_RETRY_BASE_SECONDS"]
    assert len(receiver.received) == 1


def test_a_rerun_send_job_sends_nothing_twice(app, client, subscribed_seller, routed_order, receiver):
    seller_offer, owner, _ = subscribed_seller
    _, order = routed_order([seller_offer])
    deliver_an_order(app, client, seller_offer.tenant, owner, order["sellers"][0]["seller_order_id"])
    drive_deliveries(app)
    sent_count = len(receiver.received)

    with app.app_context():
        for row in deliveries(app, seller_offer.tenant):
            send_delivery(tenant_id=seller_offer.tenant.id, delivery_id=row.id)

    assert len(receiver.received) == sent_count == len(ORDER_JOURNEY)


def test_two_send_jobs_at_once_post_a_delivery_once(app, client, subscribed_seller, routed_order, receiver,
                                                     fast_retries):
    seller_offer, _, _ = subscribed_seller
    receiver.answers = [500]
    routed_order([seller_offer])  # its first attempt is refused; the retry is due at once
    receiver.delay_seconds = 0.5
    [created] = deliveries(app, seller_offer.tenant)
    policy = delivery.SendPolicy.from_config(app.config)

    outcomes = run_together(app, *[lambda: delivery.send_chain(seller_offer.tenant, created.id, policy)] * 2)

    assert outcomes == ["done", "done"]
    assert [request.answered for request in receiver.received] == [500, 200]
    [created] = deliveries(app, seller_offer.tenant)
    assert (created.status.value, created.attempts) == ("succeeded", 2)


def test_a_replay_sends_the_same_event_again_as_a_new_attempt(app, client, subscribed_seller, routed_order,
                                                               receiver):
    seller_offer, owner, endpoint = subscribed_seller
    routed_order([seller_offer])
    drive_deliveries(app)
    [created] = deliveries(app, seller_offer.tenant)

    response = client.post(f"/api/v1/sellers/oak/webhook-deliveries/{created.id}/replay", headers=owner.headers)
    assert response.status_code == 202
    assert response.get_json()["status"] == "pending"
    run_jobs(app)

    first, again = receiver.received
    assert again.headers["Marketplace-Event-Id"] == first.headers["Marketplace-Event-Id"] == str(created.event_id)
    assert signature_is_valid(again, endpoint["secret"])
    listed = client.get(f"/api/v1/sellers/oak/webhook-endpoints/{endpoint['id']}/deliveries",
                        headers=owner.headers).get_json()
    assert [(item["status"], item["attempts"], [a["response_status"] for a in item["attempt_log"]])
            for item in listed] == [("succeeded", 2, [200, 200])]


def test_an_inactive_endpoint_gets_no_new_deliveries(app, client, subscribed_seller, routed_order, receiver):
    seller_offer, owner, endpoint = subscribed_seller
    paused = client.patch(f"/api/v1/sellers/oak/webhook-endpoints/{endpoint['id']}", headers=owner.headers,
                          json={"active": False})
    assert paused.status_code == 200 and paused.get_json()["active"] is False

    routed_order([seller_offer])
    drive_deliveries(app, rounds=2)

    assert deliveries(app, seller_offer.tenant) == []
    assert receiver.received == []


def test_an_endpoint_gets_only_the_events_it_subscribed_to(app, client, offer, member_of, routed_order, receiver):
    seller_offer = offer("oak")
    owner = member_of(seller_offer.tenant)
    register_endpoint(client, seller_offer.tenant, owner, receiver.url, event_types=["seller_order.accepted"])
    _, order = routed_order([seller_offer])
    seller_order_id = order["sellers"][0]["seller_order_id"]
    client.post(f"/api/v1/sellers/oak/orders/{seller_order_id}/accept", headers=owner.headers)

    drive_deliveries(app, rounds=2)

    assert [request.event["type"] for request in receiver.received] == ["seller_order.accepted"]


def test_a_loopback_endpoint_is_not_sent_to_once_loopback_is_not_allowed(app, client, subscribed_seller,
                                                                         routed_order, receiver, monkeypatch):
    seller_offer, _, _ = subscribed_seller  # registered while loopback was allowed, as in development
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_LOOPBACK", False)

    routed_order([seller_offer])
    run_jobs(app)

    assert receiver.received == []
    [created] = deliveries(app, seller_offer.tenant)
    assert created.attempts == 1 and "Loopback" in created.last_error
    assert pending_count(app, seller_offer.tenant) == 1


def test_a_replayed_failed_delivery_gets_one_more_attempt(app, client, subscribed_seller, routed_order, receiver,
                                                          fast_retries, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_ATTEMPTS", 2)
    seller_offer, owner, _ = subscribed_seller
    receiver.answers = [500, 500, 502]
    routed_order([seller_offer])
    drive_deliveries(app)
    [created] = deliveries(app, seller_offer.tenant)
    assert (created.status.value, created.attempts) == ("failed", 2)

    response = client.post(f"/api/v1/sellers/oak/webhook-deliveries/{created.id}/replay", headers=owner.headers)
    drive_deliveries(app)

    assert response.status_code == 202
    [created] = deliveries(app, seller_offer.tenant)
    assert (created.status.value, created.attempts, created.last_response_status) == ("failed", 3, 502)
    assert len(receiver.received) == 3


def test_the_scheduled_sweep_sends_the_retries_that_are_due(app, client, subscribed_seller, routed_order, receiver,
                                                             fast_retries):
    seller_offer, _, _ = subscribed_seller
    receiver.answers = [500]
    routed_order([seller_offer])
    [sweep] = [job for job in periodic_jobs(app.config) if job["func"] is retry_due_deliveries]

    get_queue(sweep["queue_name"]).enqueue(sweep["func"])
    run_jobs(app)

    assert [request.answered for request in receiver.received] == [500, 200]
    assert [row.status.value for row in deliveries(app, seller_offer.tenant)] == ["succeeded"]


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(app, client, subscribed_seller, routed_order,
                                                                   receiver):
    seller_offer, _, _ = subscribed_seller
    receiver.answers = [301]

    routed_order([seller_offer])

    [request] = receiver.received
    assert request.answered == 301
    [created] = deliveries(app, seller_offer.tenant)
    assert (created.status.value, created.attempts, created.last_response_status) == ("pending", 1, 301)


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(app, client, subscribed_seller, routed_order,
                                                                receiver, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 1)
    seller_offer, _, _ = subscribed_seller
    receiver.delay_seconds = 1.5

    routed_order([seller_offer])

    [created] = deliveries(app, seller_offer.tenant)
    assert (created.status.value, created.attempts, created.last_response_status) == ("pending", 1, None)
    assert "Timeout" in created.last_error
    assert 1000 <= created_attempt_durations(app, seller_offer.tenant)[0] < 1500


def created_attempt_durations(app, tenant) -> list[int]:
    with app.app_context(), UnitOfWork(tenant) as uow:
        return list(uow.session.scalars(select(WebhookAttempt.duration_ms).order_by(WebhookAttempt.id)))
