"""POST /webhooks/stripe: verified on the raw body, stored once, handled by a job that re-reads the object."""
from __future__ import annotations

import json
import time
from contextlib import contextmanager

import pytest

from billing import webhooks
from billing.gateway.port import PaymentIntentStatus, WEBHOOK_TOLERANCE_SECONDS
from billing.gateway.registry import current_gateway
from billing.gateway.signatures import signature_header
from billing.money import Money
from marketplace.config import DEVELOPMENT_WEBHOOK_SECRET
from tests.workers.support import run_jobs

WEBHOOK = "/api/v1/webhooks/stripe"


def _event(event_id: str = "evt_1", event_type: str = "payment_intent.succeeded", object_id: str = "pi_1",
           object_type: str = "payment_intent", status: str = "succeeded") -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": event_type, "created": int(time.time()),
                       "data": {"object": {"id": object_id, "object": object_type, "status": status}}}).encode()


def _post(client, body: bytes, header: str | None = None):
    headers = {"Stripe-Signature": signature_header(body, DEVELOPMENT_WEBHOOK_SECRET) if header is None else header}
    return client.post(WEBHOOK, data=body, headers=headers, content_type="application/json")


@contextmanager
def handled(event_type: str):
    """Register a handler for `event_type` for the block; yields the (object, event) pairs it was called with."""
    calls = []

    def remember(current_object, event):
        calls.append((current_object, event))

    webhooks.handles(event_type)(remember)
    try:
        yield calls
    finally:
        webhooks.unregister(remember)


def _intent(app, payment_method: str | None = None):
    with app.app_context():
        gateway = current_gateway()
        intent = gateway.create_payment_intent(amount=Money(4200, "EUR"), transfer_group="order-9",
                                               idempotency_key="pi:order-9", metadata={"order_id": "9"})
        if payment_method:
            intent = gateway.confirm_payment_intent(intent.id, payment_method=payment_method,
                                                    idempotency_key="confirm:order-9")
    return intent


def test_a_signed_event_is_stored_once_and_a_replay_changes_nothing(client, sql):
    body = _event()

    first = _post(client, body)
    replay = _post(client, body)

    assert (first.status_code, first.get_json()) == (200, {"event_id": "evt_1", "duplicate": False})
    assert (replay.status_code, replay.get_json()) == (200, {"event_id": "evt_1", "duplicate": True})
    assert sql("SELECT id, type, object_type, object_id FROM platform.gateway_events") == [
        ("evt_1", "payment_intent.succeeded", "payment_intent", "pi_1")]
    assert sql("SELECT count(*) FROM shard.outbox_messages WHERE job = 'billing.jobs.handle_gateway_event'") == [(1,)]


@pytest.mark.parametrize("case", ["tampered body", "wrong secret", "stale timestamp", "no signature",
                                  "signed body that is no event", "body not UTF-8", "signed event id too long",
                                  "signed event created in the year 10000"])
def test_an_event_that_does_not_verify_is_refused_and_nothing_is_stored(client, row_counts, case):
    body = _event()
    signed_elsewhere = {
        "wrong secret": signature_header(body, "whsec_someone_else"),
        "stale timestamp": signature_header(body, DEVELOPMENT_WEBHOOK_SECRET,
                                            timestamp=int(time.time()) - WEBHOOK_TOLERANCE_SECONDS - 1),
        "no signature": "",
    }
    payload = {"tampered body": body.replace(b"pi_1", b"pi_2"), "signed body that is no event": b"[1, 2]",
               "body not UTF-8": b"\xff\xfe" + body, "signed event id too long": _event(event_id="evt_" + "x" * 300),
               "signed event created in the year 10000": body.replace(b'"created": ', b'"created": 9999')}.get(case, body)
    header = signed_elsewhere.get(case, signature_header(body if case == "tampered body" else payload,
                                                         DEVELOPMENT_WEBHOOK_SECRET))
    before = row_counts()

    response = _post(client, payload, header)

    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_webhook"
    assert row_counts() == before


def test_the_job_hands_the_handler_the_intent_read_again_not_the_payloads_copy(app, client, sql):
    unpaid = _intent(app)
    forged_status = _event(object_id=unpaid.id, status="succeeded")

    with handled("payment_intent.succeeded") as calls:
        _post(client, forged_status)
        run_jobs(app)

    [(current_intent, event)] = calls
    assert current_intent.status is PaymentIntentStatus.requires_payment_method  # the gateway's, not the payload's
    assert (current_intent.id, event.id, event.type) == (unpaid.id, "evt_1", "payment_intent.succeeded")
    assert sql("SELECT handled_at IS NOT NULL FROM platform.gateway_events") == [(True,)]


def test_an_event_handled_once_is_not_handled_again(app, client):
    intent = _intent(app)
    _post(client, _event(object_id=intent.id))

    with handled("payment_intent.succeeded") as calls:
        run_jobs(app)
        with app.app_context():
            handled_again = webhooks.handle_event(current_gateway(), "evt_1")

    assert len(calls) == 1
    assert handled_again is False


def test_an_unknown_event_type_is_accepted_and_marked_handled(app, client, sql):
    response = _post(client, _event(event_type="customer.created", object_type="customer", object_id="cus_1"))
    run_jobs(app)

    assert response.status_code == 200
    assert sql("SELECT type, handled_at IS NOT NULL FROM platform.gateway_events") == [("customer.created", True)]


def test_a_handler_that_fails_leaves_the_event_unhandled_for_the_retry(app, client, sql):
    intent = _intent(app)
    _post(client, _event(object_id=intent.id))

    def fail(current_object, event):
        raise RuntimeError("the database of the order is down")

    webhooks.handles("payment_intent.succeeded")(fail)
    try:
        run_jobs(app)
    finally:
        webhooks.unregister(fail)
    with handled("payment_intent.succeeded") as calls:
        with app.app_context():
            webhooks.handle_event(current_gateway(), "evt_1")

    assert len(calls) == 1
    assert sql("SELECT handled_at IS NOT NULL FROM platform.gateway_events") == [(True,)]


def test_the_test_gateways_event_reaches_the_endpoint_verifies_and_is_handled(app, sql):
    with handled("payment_intent.succeeded") as calls:
        paid = _intent(app, payment_method="4242424242424242")
        run_jobs(app)  # delivers the event to the endpoint, which stores it and queues its handling
        run_jobs(app)

    [(current_intent, event)] = calls
    assert (current_intent.id, current_intent.status) == (paid.id, PaymentIntentStatus.succeeded)
    assert event.type == "payment_intent.succeeded"
    assert sql("SELECT type, object_id, handled_at IS NOT NULL FROM platform.gateway_events") == [
        ("payment_intent.succeeded", paid.id, True)]
    assert sql("SELECT delivered_at IS NOT NULL FROM platform.test_gateway_events") == [(True,)]
