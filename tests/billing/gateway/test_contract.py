"""One contract, both adapters: what a caller of the port may count on, from TestGateway and from StripeGateway.

What stripe-mock cannot hold (state across calls) is asserted for
StripeGateway on the requests it sends: the path, the form fields, the
caller's Idempotency-Key and the pinned Stripe-Version.
"""
from __future__ import annotations

import json
import time

import pytest

from billing.gateway.port import (
    ChargeFee, GatewayError, IdempotencyKeyReused, InvalidSignature, PaymentIntentStatus, Refund, RefundStatus,
    WEBHOOK_TOLERANCE_SECONDS,
)
from billing.gateway.signatures import signature_header
from billing.gateway.stripe_gateway import STRIPE_API_VERSION
from billing.money import Money
from tests.billing.gateway.conftest import WEBHOOK_SECRET, AnsweringHTTPClient, stripe_gateway_on

ORDER_TOTAL = Money(1999, "EUR")


def _create(adapter, key: str = "pi:order-7"):
    return adapter.gateway.create_payment_intent(amount=ORDER_TOTAL, transfer_group="order-7",
                                                 idempotency_key=key, metadata={"order_id": "7"})


def _only_request(adapter):
    [sent] = adapter.sent
    assert sent.headers["Stripe-Version"] == STRIPE_API_VERSION
    return sent


def test_an_order_gets_one_payment_intent_for_its_total_awaiting_a_payment_method(adapter):
    intent = _create(adapter)

    assert intent.status is PaymentIntentStatus.requires_payment_method
    assert intent.amount == ORDER_TOTAL
    assert intent.transfer_group == "order-7"
    assert intent.client_secret and intent.amount_refundable == 0
    if adapter.sent is None:
        assert adapter.gateway.retrieve_payment_intent(intent.id) == intent
        assert intent.metadata == {"order_id": "7"}
    else:
        sent = _only_request(adapter)
        assert (sent.method, sent.path) == ("POST", "/v1/payment_intents")
        assert sent.headers["Idempotency-Key"] == "pi:order-7"
        assert {name: sent.form[name] for name in ("amount", "currency", "transfer_group", "metadata[order_id]")} \
            == {"amount": "1999", "currency": "eur", "transfer_group": "order-7", "metadata[order_id]": "7"}


def test_confirming_with_a_card_that_pays_charges_the_total(adapter):
    intent = _create(adapter)
    adapter.sent and adapter.sent.clear()

    confirmed = adapter.gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa",
                                                       idempotency_key="confirm:order-7:1")

    assert confirmed.id == intent.id
    if adapter.sent is None:
        assert confirmed.status is PaymentIntentStatus.succeeded
        assert confirmed.amount_refundable == ORDER_TOTAL.amount
    else:
        sent = _only_request(adapter)
        assert (sent.method, sent.path) == ("POST", f"/v1/payment_intents/{intent.id}/confirm")
        assert sent.form["payment_method"] == "pm_card_visa"
        assert sent.headers["Idempotency-Key"] == "confirm:order-7:1"


def test_retrieving_reads_the_intent_again(adapter):
    intent = _create(adapter)
    adapter.sent and adapter.sent.clear()

    retrieved = adapter.gateway.retrieve_payment_intent(intent.id)

    assert retrieved.id == intent.id
    if adapter.sent is not None:
        sent = _only_request(adapter)
        assert (sent.method, sent.path) == ("GET", f"/v1/payment_intents/{intent.id}")
        assert "Idempotency-Key" not in sent.headers  # a read is never keyed


def test_cancelling_an_unpaid_intent_under_the_callers_key(adapter):
    intent = _create(adapter)
    adapter.sent and adapter.sent.clear()

    canceled = adapter.gateway.cancel_payment_intent(intent.id, idempotency_key="cancel:order-7")

    assert canceled.id == intent.id
    if adapter.sent is None:
        assert canceled.status is PaymentIntentStatus.canceled
    else:
        sent = _only_request(adapter)
        assert (sent.method, sent.path) == ("POST", f"/v1/payment_intents/{intent.id}/cancel")
        assert sent.headers["Idempotency-Key"] == "cancel:order-7"


def test_a_refund_of_part_of_a_paid_intent_under_the_callers_key(adapter):
    intent = _create(adapter)
    adapter.gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa", idempotency_key="confirm:7")
    adapter.sent and adapter.sent.clear()

    refund = adapter.gateway.create_refund(payment_intent_id=intent.id, amount=Money(500, "EUR"),
                                           idempotency_key="re:41", metadata={"refund_id": "41"})

    assert refund.payment_intent_id == intent.id
    assert refund.amount.amount == 500
    assert refund.status is RefundStatus.succeeded
    if adapter.sent is None:
        assert adapter.gateway.retrieve_refund(refund.id) == refund
        assert adapter.gateway.retrieve_payment_intent(intent.id).amount_refundable == 1499
    else:
        sent = _only_request(adapter)
        assert (sent.method, sent.path) == ("POST", "/v1/refunds")
        assert sent.headers["Idempotency-Key"] == "re:41"
        assert {name: sent.form[name] for name in ("payment_intent", "amount", "metadata[refund_id]")} \
            == {"payment_intent": intent.id, "amount": "500", "metadata[refund_id]": "41"}


def test_a_paid_intents_charge_and_refunds_read_back(adapter):
    intent = _create(adapter)
    paid = adapter.gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa", idempotency_key="c:7")
    refund = adapter.gateway.create_refund(payment_intent_id=intent.id, amount=Money(500, "EUR"),
                                           idempotency_key="re:42", metadata={"refund_id": "42"})
    adapter.sent and adapter.sent.clear()

    charge = adapter.gateway.retrieve_charge(paid.latest_charge)
    refunds = adapter.gateway.list_refunds(intent.id)

    assert charge.id and all(isinstance(listed, Refund) for listed in refunds)
    if adapter.sent is None:
        assert (charge.payment_intent_id, charge.amount, charge.amount_refunded) == (intent.id, ORDER_TOTAL, 500)
        assert refunds == [refund]
        assert adapter.gateway.retrieve_payment_intent(intent.id).latest_charge == charge.id
    else:
        [read_charge, listed] = adapter.sent
        assert (read_charge.method, read_charge.path) == ("GET", f"/v1/charges/{paid.latest_charge}")
        assert (listed.method, listed.path, listed.form["payment_intent"]) == ("GET", "/v1/refunds", intent.id)


def test_a_charge_reads_back_with_the_processors_fee(adapter):
    intent = _create(adapter)
    paid = adapter.gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa", idempotency_key="c:8")
    adapter.sent and adapter.sent.clear()

    charge = adapter.gateway.retrieve_charge(paid.latest_charge)

    assert charge.fee.currency == charge.amount.currency and charge.fee.amount >= 0
    if adapter.sent is None:
        # Stripe's standard pricing, 2.9% + 30: 57.971 rounds to 58, plus 30.
        assert charge.fee == Money(88, "EUR")
    else:
        [read_charge] = adapter.sent
        assert read_charge.form["expand[0]"] == "balance_transaction"


def test_the_fees_of_many_intents_read_at_once_are_those_of_their_charges(adapter):
    paid = [adapter.gateway.confirm_payment_intent(_create(adapter, f"pi:order-{n}").id, payment_method="pm_card_visa",
                                                   idempotency_key=f"c:{n}") for n in (9, 10)]
    unpaid = _create(adapter, "pi:order-11")
    adapter.sent and adapter.sent.clear()

    fees = adapter.gateway.charge_fees([intent.id for intent in paid] + [unpaid.id])

    if adapter.sent is None:
        assert fees == {intent.id: ChargeFee(intent.latest_charge, adapter.gateway.retrieve_charge(
            intent.latest_charge).fee) for intent in paid}
        assert fees[paid[0].id].fee == Money(88, "EUR")
    else:
        # Stripe reads no batch of objects: one request per intent (a few at once), its charge's fee expanded into it.
        assert sorted((sent.method, sent.path, sent.form["expand[0]"]) for sent in adapter.sent) == sorted(
            ("GET", f"/v1/payment_intents/{intent.id}", "latest_charge.balance_transaction")
            for intent in [*paid, unpaid])
        assert all(isinstance(fee, ChargeFee) and fee.fee.amount >= 0 for fee in fees.values())


def test_an_unpaid_intent_has_no_charge(adapter):
    intent = _create(adapter)

    assert intent.latest_charge is None
    if adapter.sent is None:
        with pytest.raises(GatewayError) as error:
            adapter.gateway.retrieve_charge("ch_" + intent.id.removeprefix("pi_"))
        assert error.value.code == "resource_missing"


# Webhook signatures: Stripe's scheme, verified by both adapters alike.

def _event_body(event_id: str = "evt_1") -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": "payment_intent.succeeded", "created": 1764500000,
                       "data": {"object": {"id": "pi_1", "object": "payment_intent"}}}).encode()


def test_a_signed_event_verifies_into_its_id_type_and_object(adapter):
    body = _event_body()

    event = adapter.gateway.construct_event(body, signature_header(body, WEBHOOK_SECRET))

    assert (event.id, event.type, event.object_type, event.object_id, event.created) \
        == ("evt_1", "payment_intent.succeeded", "payment_intent", "pi_1", 1764500000)


@pytest.mark.parametrize("case", ["tampered body", "wrong secret", "stale timestamp", "no signature",
                                  "garbled header", "signed body that is no event"])
def test_an_event_that_does_not_verify_is_refused(adapter, case):
    body = _event_body()
    header = {
        "tampered body": signature_header(body, WEBHOOK_SECRET),
        "wrong secret": signature_header(body, "whsec_someone_else"),
        "stale timestamp": signature_header(body, WEBHOOK_SECRET,
                                           timestamp=int(time.time()) - WEBHOOK_TOLERANCE_SECONDS - 5),
        "no signature": "",
        "garbled header": "t=now,v1=",
        "signed body that is no event": signature_header(b'{"id": "evt_1"}', WEBHOOK_SECRET),
    }[case]
    payload = {"tampered body": body.replace(b"pi_1", b"pi_2"),
               "signed body that is no event": b'{"id": "evt_1"}'}.get(case, body)

    with pytest.raises(InvalidSignature):
        adapter.gateway.construct_event(payload, header)


# What stripe-mock never answers: a declined card and a reused key, as Stripe sends them.

def test_a_card_stripe_declines_answers_the_intent_read_back_not_an_error(stripe_mock_url):
    declining = AnsweringHTTPClient("/confirm", 402, {
        "type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
        "message": "Your card has insufficient funds."})
    gateway = stripe_gateway_on(declining, stripe_mock_url)

    intent = gateway.confirm_payment_intent("pi_123", payment_method="pm_card_chargeDeclinedInsufficientFunds",
                                            idempotency_key="confirm:order-7:1")

    assert intent.id and intent.status is PaymentIntentStatus.requires_payment_method
    assert [(sent.method, sent.path) for sent in declining.sent] == [
        ("POST", "/v1/payment_intents/pi_123/confirm"), ("GET", "/v1/payment_intents/pi_123")]


def test_a_key_stripe_saw_with_other_parameters_is_idempotency_key_reused(stripe_mock_url):
    refusing = AnsweringHTTPClient("/v1/payment_intents", 400, {
        "type": "idempotency_error",
        "message": "Keys for idempotent requests can only be used with the same parameters they were first used with."})
    gateway = stripe_gateway_on(refusing, stripe_mock_url)

    with pytest.raises(IdempotencyKeyReused):
        gateway.create_payment_intent(amount=ORDER_TOTAL, transfer_group="order-7", idempotency_key="pi:order-7",
                                      metadata={})


def test_another_refusal_of_stripe_is_a_gateway_error_with_stripes_code(stripe_mock_url):
    refusing = AnsweringHTTPClient("/cancel", 400, {
        "type": "invalid_request_error", "code": "payment_intent_unexpected_state",
        "message": "You cannot cancel this PaymentIntent because it has a status of succeeded."})
    gateway = stripe_gateway_on(refusing, stripe_mock_url)

    with pytest.raises(GatewayError) as error:
        gateway.cancel_payment_intent("pi_123", idempotency_key="cancel:order-7")

    assert error.value.code == "payment_intent_unexpected_state"
