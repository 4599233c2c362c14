"""The rules TestGateway keeps as Stripe does, which stripe-mock (stateless) cannot show for StripeGateway."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from billing.gateway.port import GatewayError, IdempotencyKeyReused, PaymentIntentStatus
from billing.gateway.test_gateway import MAX_AMOUNT
from billing.money import Money
from tenants.uow import UnitOfWork

EUR_20 = Money(2000, "EUR")


def _intent(gateway, key: str = "pi:order-1", amount: Money = EUR_20):
    return gateway.create_payment_intent(amount=amount, transfer_group="order-1", idempotency_key=key,
                                         metadata={"order_id": "1"})


def _paid_intent(gateway, key: str = "pi:order-1"):
    intent = _intent(gateway, key)
    return gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa", idempotency_key=f"confirm:{key}")


def _error_code(call) -> str:
    with pytest.raises(GatewayError) as error:
        call()
    return error.value.code


@pytest.mark.parametrize("amount, code", [(Money(0, "EUR"), "amount_too_small"), (Money(-5, "EUR"), "amount_too_small"),
                                          (Money(MAX_AMOUNT + 1, "EUR"), "amount_too_large")])
def test_an_amount_out_of_stripes_range_is_refused_and_nothing_is_created(test_gateway, sql, amount, code):
    assert _error_code(lambda: _intent(test_gateway, amount=amount)) == code

    assert sql("SELECT count(*) FROM platform.test_gateway_payment_intents")[0][0] == 0
    assert sql("SELECT count(*) FROM platform.test_gateway_idempotency_keys")[0][0] == 0


@pytest.mark.parametrize("payment_method, status, decline_code", [
    ("4242424242424242", PaymentIntentStatus.succeeded, None),
    ("pm_card_visa", PaymentIntentStatus.succeeded, None),
    ("4000000000000002", PaymentIntentStatus.requires_payment_method, "card_declined"),
    ("pm_card_chargeDeclined", PaymentIntentStatus.requires_payment_method, "card_declined"),
    ("4000000000009995", PaymentIntentStatus.requires_payment_method, "insufficient_funds"),
    ("pm_card_chargeDeclinedInsufficientFunds", PaymentIntentStatus.requires_payment_method, "insufficient_funds"),
    ("4000002500003155", PaymentIntentStatus.requires_action, None),
    ("pm_card_authenticationRequired", PaymentIntentStatus.requires_action, None),
])
def test_stripes_test_cards_decide_the_outcome_of_a_confirmation(test_gateway, payment_method, status, decline_code):
    intent = _intent(test_gateway)

    confirmed = test_gateway.confirm_payment_intent(intent.id, payment_method=payment_method, idempotency_key="c:1")

    assert (confirmed.status, confirmed.last_payment_error) == (status, decline_code)
    assert confirmed.amount_refundable == (EUR_20.amount if status is PaymentIntentStatus.succeeded else 0)
    assert test_gateway.retrieve_payment_intent(intent.id) == confirmed


def test_a_declined_card_leaves_the_intent_payable_with_another_card(test_gateway):
    intent = _intent(test_gateway)
    test_gateway.confirm_payment_intent(intent.id, payment_method="4000000000000002", idempotency_key="c:1")

    paid = test_gateway.confirm_payment_intent(intent.id, payment_method="4242424242424242", idempotency_key="c:2")

    assert (paid.status, paid.last_payment_error) == (PaymentIntentStatus.succeeded, None)


def test_an_unknown_payment_method_is_refused(test_gateway):
    intent = _intent(test_gateway)

    assert _error_code(lambda: test_gateway.confirm_payment_intent(
        intent.id, payment_method="4111111111111111", idempotency_key="c:1")) == "resource_missing"
    assert test_gateway.retrieve_payment_intent(intent.id).status is PaymentIntentStatus.requires_payment_method


@pytest.mark.parametrize("approve, status, decline_code", [
    (True, PaymentIntentStatus.succeeded, None),
    (False, PaymentIntentStatus.requires_payment_method, "payment_intent_authentication_failure"),
])
def test_the_buyers_3d_secure_answer_completes_or_fails_the_payment(test_gateway, approve, status, decline_code):
    intent = _intent(test_gateway)
    test_gateway.confirm_payment_intent(intent.id, payment_method="pm_card_authenticationRequired",
                                        idempotency_key="c:1")

    answered = test_gateway.authenticate(intent.id, approve=approve)

    assert (answered.status, answered.last_payment_error) == (status, decline_code)


def test_only_an_intent_waiting_for_authentication_can_be_authenticated(test_gateway):
    intent = _paid_intent(test_gateway)

    assert _error_code(lambda: test_gateway.authenticate(intent.id, approve=True)) == "payment_intent_unexpected_state"


@pytest.mark.parametrize("payment_method", ["pm_card_visa", None])
def test_a_paid_or_canceled_intent_cannot_be_confirmed_again(test_gateway, payment_method):
    intent = _intent(test_gateway)
    if payment_method:
        test_gateway.confirm_payment_intent(intent.id, payment_method=payment_method, idempotency_key="c:1")
    else:
        test_gateway.cancel_payment_intent(intent.id, idempotency_key="cancel:1")

    assert _error_code(lambda: test_gateway.confirm_payment_intent(
        intent.id, payment_method="pm_card_visa", idempotency_key="c:2")) == "payment_intent_unexpected_state"


def test_an_intent_waiting_for_authentication_can_be_canceled(test_gateway):
    intent = _intent(test_gateway)
    test_gateway.confirm_payment_intent(intent.id, payment_method="pm_card_authenticationRequired",
                                        idempotency_key="c:1")

    assert test_gateway.cancel_payment_intent(intent.id, idempotency_key="x:1").status is PaymentIntentStatus.canceled


@pytest.mark.parametrize("first_cancel", [False, True])
def test_a_paid_or_canceled_intent_cannot_be_canceled(test_gateway, first_cancel):
    intent = _intent(test_gateway) if first_cancel else _paid_intent(test_gateway)
    if first_cancel:
        test_gateway.cancel_payment_intent(intent.id, idempotency_key="x:1")

    assert _error_code(lambda: test_gateway.cancel_payment_intent(intent.id, idempotency_key="x:2")) \
        == "payment_intent_unexpected_state"


def test_an_unknown_intent_is_resource_missing(test_gateway):
    assert _error_code(lambda: test_gateway.retrieve_payment_intent("pi_nope")) == "resource_missing"


# Idempotency keys

def test_a_key_replayed_with_the_same_parameters_answers_the_first_result_and_creates_nothing(test_gateway, sql):
    first = _intent(test_gateway)

    again = _intent(test_gateway)

    assert again == first
    assert sql("SELECT count(*) FROM platform.test_gateway_payment_intents")[0][0] == 1


def test_a_replayed_confirmation_answers_its_first_result_even_after_the_intent_moved_on(test_gateway):
    intent = _intent(test_gateway)
    declined = test_gateway.confirm_payment_intent(intent.id, payment_method="pm_card_chargeDeclined",
                                                   idempotency_key="c:1")
    test_gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa", idempotency_key="c:2")

    replayed = test_gateway.confirm_payment_intent(intent.id, payment_method="pm_card_chargeDeclined",
                                                   idempotency_key="c:1")

    assert replayed == declined
    assert test_gateway.retrieve_payment_intent(intent.id).status is PaymentIntentStatus.succeeded


@pytest.mark.parametrize("other_call", ["other amount", "other operation"])
def test_a_key_replayed_with_other_parameters_is_refused(test_gateway, sql, other_call):
    first = _intent(test_gateway)

    with pytest.raises(IdempotencyKeyReused) as error:
        if other_call == "other amount":
            _intent(test_gateway, amount=Money(2500, "EUR"))
        else:
            test_gateway.cancel_payment_intent(first.id, idempotency_key="pi:order-1")

    assert error.value.code == "idempotency_error"
    assert sql("SELECT amount, status FROM platform.test_gateway_payment_intents") == [
        (2000, "requires_payment_method")]


def test_concurrent_requests_with_one_key_create_one_intent(test_gateway, sql):
    with ThreadPoolExecutor(max_workers=8) as pool:
        intents = list(pool.map(lambda _: _intent(test_gateway), range(8)))

    assert len({intent.id for intent in intents}) == 1
    assert sql("SELECT count(*) FROM platform.test_gateway_payment_intents")[0][0] == 1


def test_a_call_is_its_own_transaction_never_the_callers(test_gateway):
    with UnitOfWork():  # the caller's transaction, rolled back on leaving
        intent = _intent(test_gateway)

    assert test_gateway.retrieve_payment_intent(intent.id) == intent


# Refunds

def test_refunds_add_up_to_the_captured_amount_and_never_past_it(test_gateway, sql):
    intent = _paid_intent(test_gateway)
    refund = test_gateway.create_refund(payment_intent_id=intent.id, amount=Money(1500, "EUR"),
                                        idempotency_key="re:1", metadata={})

    too_much = _error_code(lambda: test_gateway.create_refund(
        payment_intent_id=intent.id, amount=Money(501, "EUR"), idempotency_key="re:2", metadata={}))
    rest = test_gateway.create_refund(payment_intent_id=intent.id, amount=Money(500, "EUR"),
                                      idempotency_key="re:3", metadata={})
    nothing_left = _error_code(lambda: test_gateway.create_refund(
        payment_intent_id=intent.id, amount=Money(1, "EUR"), idempotency_key="re:4", metadata={}))

    assert (too_much, nothing_left) == ("amount_too_large", "charge_already_refunded")
    assert test_gateway.retrieve_refund(refund.id).amount == Money(1500, "EUR")
    assert rest.amount == Money(500, "EUR")
    assert test_gateway.retrieve_payment_intent(intent.id).amount_refundable == 0
    assert sql("SELECT sum(amount) FROM platform.test_gateway_refunds")[0][0] == 2000


def test_a_replayed_refund_refunds_once(test_gateway, sql):
    intent = _paid_intent(test_gateway)

    refunds = [test_gateway.create_refund(payment_intent_id=intent.id, amount=Money(700, "EUR"),
                                          idempotency_key="re:1", metadata={"refund_id": "1"}) for _ in range(3)]

    assert refunds[1] == refunds[0] and refunds[2] == refunds[0]
    assert test_gateway.retrieve_payment_intent(intent.id).amount_refundable == 1300


@pytest.mark.parametrize("payment_method", [None, "pm_card_chargeDeclined", "pm_card_authenticationRequired"])
def test_only_a_succeeded_intent_can_be_refunded(test_gateway, sql, payment_method):
    intent = _intent(test_gateway)
    if payment_method:
        test_gateway.confirm_payment_intent(intent.id, payment_method=payment_method, idempotency_key="c:1")

    assert _error_code(lambda: test_gateway.create_refund(
        payment_intent_id=intent.id, amount=Money(100, "EUR"), idempotency_key="re:1", metadata={})) \
        == "payment_intent_unexpected_state"
    assert sql("SELECT count(*) FROM platform.test_gateway_refunds")[0][0] == 0


# Events

def test_each_change_emits_stripes_event_with_a_message_that_delivers_it(test_gateway, sql):
    intent = _intent(test_gateway)
    test_gateway.confirm_payment_intent(intent.id, payment_method="pm_card_chargeDeclined", idempotency_key="c:1")
    test_gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa", idempotency_key="c:2")
    test_gateway.create_refund(payment_intent_id=intent.id, amount=Money(100, "EUR"), idempotency_key="re:1",
                               metadata={})

    events = [(event_type, json.loads(body)["data"]["object"]) for event_type, body in
              sql("SELECT type, body FROM platform.test_gateway_events ORDER BY created_at, type")]
    messages = sql("SELECT payload->>'event_id' FROM shard.outbox_messages "
                   "WHERE job = 'billing.jobs.deliver_test_gateway_event'")

    assert [(event_type, event_object["object"], event_object["status"]) for event_type, event_object in events] == [
        ("payment_intent.payment_failed", "payment_intent", "requires_payment_method"),
        ("payment_intent.succeeded", "payment_intent", "succeeded"),
        ("charge.refunded", "charge", "succeeded"),  # one transaction with the refund: ordered by type
        ("refund.created", "refund", "succeeded"),
    ]
    assert events[0][1]["last_payment_error"]["decline_code"] == "card_declined"
    assert (events[2][1]["payment_intent"], events[2][1]["amount_refunded"]) == (intent.id, 100)
    assert len(messages) == 4
