"""Stripe Connect's rules as TestGateway keeps them, which stripe-mock (stateless) cannot show for StripeGateway.

Every refusal is checked for Stripe's error code and for leaving nothing
behind: no transfer, reversal or payout row, no balance transaction, no
stored idempotency key (so the caller may retry the same key once the
cause is gone).
"""
from __future__ import annotations

import json
from contextlib import contextmanager

import pytest

from billing import webhooks
from billing.gateway.port import DisputeStatus, GatewayError, IdempotencyKeyReused, PayoutStatus, WebhookEvent
from billing.gateway.signatures import signature_header
from billing.money import Money
from tests.billing.gateway.conftest import WEBHOOK_SECRET
from tests.concurrency import run_together

EUR_100 = Money(10_000, "EUR")


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


def _charge(gateway, key: str = "order-1", amount: Money = EUR_100) -> str:
    intent = gateway.create_payment_intent(amount=amount, transfer_group=key, idempotency_key=f"pi:{key}",
                                           metadata={})
    return gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa",
                                          idempotency_key=f"confirm:{key}").latest_charge


def _account(gateway, key: str = "acct:1", onboarded: bool = True) -> str:
    account = gateway.create_connected_account(email="owner@shop.test", country="DE", idempotency_key=key,
                                               metadata={})
    if onboarded:
        gateway.complete_onboarding(account.id)
    return account.id


def _transfer(gateway, charge_id: str, account_id: str, amount: Money, key: str = "tr:1:1"):
    return gateway.create_transfer(amount=amount, destination=account_id, source_transaction=charge_id,
                                   transfer_group="order-1", idempotency_key=key, metadata={})


def _payout(gateway, account_id: str, amount: Money, key: str = "po:1"):
    return gateway.create_payout(account_id=account_id, amount=amount, idempotency_key=key, metadata={})


def _reverse(gateway, transfer_id: str, amount: Money, key: str = "rev:1"):
    return gateway.create_transfer_reversal(transfer_id, amount=amount, idempotency_key=key, metadata={})


def _error_code(call) -> str:
    with pytest.raises(GatewayError) as error:
        call()
    return error.value.code


def _count(sql, table: str) -> int:
    return sql(f"SELECT count(*) FROM platform.{table}")[0][0]


def _key_stored(sql, key: str) -> bool:
    return bool(sql("SELECT 1 FROM platform.test_gateway_idempotency_keys WHERE key = :key", key=key))


def _events(sql, event_type: str) -> list[dict]:
    return [json.loads(body) for (body,) in
            sql("SELECT body FROM platform.test_gateway_events WHERE type = :type ORDER BY created_at", type=event_type)]


def _balance_transactions(sql) -> list[tuple[str, int, int]]:
    return sql("SELECT type, amount, fee FROM platform.test_gateway_balance_transactions ORDER BY created_at, type")


# Onboarding

def test_a_new_account_is_neither_paid_nor_paid_out_until_onboarding_completes(test_gateway, sql):
    account_id = _account(test_gateway, onboarded=False)
    before = test_gateway.retrieve_account(account_id)

    after = test_gateway.complete_onboarding(account_id)
    test_gateway.complete_onboarding(account_id)  # the page submitted twice

    assert (before.charges_enabled, before.payouts_enabled, before.details_submitted) == (False, False, False)
    assert "external_account" in before.requirements_due
    assert (after.charges_enabled, after.payouts_enabled, after.details_submitted, after.requirements_due) \
        == (True, True, True, ())
    [updated] = _events(sql, "account.updated")
    assert updated["account"] == account_id
    assert (updated["data"]["object"]["payouts_enabled"], updated["data"]["object"]["capabilities"]["transfers"]) \
        == (True, "active")


def test_an_account_link_leads_to_the_test_onboarding_page_and_a_replay_answers_the_same_link(test_gateway):
    account_id = _account(test_gateway, onboarded=False)

    links = [test_gateway.create_account_link(account_id=account_id, refresh_url="https://shop.test/r",
                                              return_url="https://shop.test/done", idempotency_key="al:1")
             for _ in range(2)]

    assert links[0] == links[1]
    assert links[0].url.startswith(f"/api/v1/test-gateway/accounts/{account_id}/onboarding?")
    assert _error_code(lambda: test_gateway.create_account_link(
        account_id="acct_nope", refresh_url="https://shop.test/r", return_url="https://shop.test/done",
        idempotency_key="al:2")) == "resource_missing"


def test_an_account_in_an_unknown_country_is_refused(test_gateway, sql):
    assert _error_code(lambda: test_gateway.create_connected_account(
        email="owner@shop.test", country="Germany", idempotency_key="acct:1", metadata={})) == "country_unsupported"
    assert _count(sql, "test_gateway_accounts") == 0


# Transfers

def test_a_transfer_to_an_account_not_onboarded_is_refused_and_changes_nothing(test_gateway, sql):
    charge_id = _charge(test_gateway)
    account_id = _account(test_gateway, onboarded=False)

    code = _error_code(lambda: _transfer(test_gateway, charge_id, account_id, eur(5_000)))

    assert code == "insufficient_capabilities_for_transfer"
    assert _count(sql, "test_gateway_transfers") == 0 and not _key_stored(sql, "tr:1:1")
    assert [row[0] for row in _balance_transactions(sql)] == ["charge"]


def test_a_transfer_in_another_currency_than_its_charge_is_refused(test_gateway, sql):
    charge_id = _charge(test_gateway)

    code = _error_code(lambda: _transfer(test_gateway, charge_id, _account(test_gateway), Money(5_000, "USD")))

    assert code == "invalid_request_error"
    assert _count(sql, "test_gateway_transfers") == 0


@pytest.mark.parametrize("source", ["unpaid", "unknown"])
def test_a_transfer_needs_a_paid_charge(test_gateway, sql, source):
    intent = test_gateway.create_payment_intent(amount=EUR_100, transfer_group="order-1", idempotency_key="pi:1",
                                                metadata={})
    charge_id = "ch_" + intent.id.removeprefix("pi_") if source == "unpaid" else "ch_nope"

    assert _error_code(lambda: _transfer(test_gateway, charge_id, _account(test_gateway), eur(1))) \
        == "resource_missing"
    assert _count(sql, "test_gateway_transfers") == 0


def test_transfers_never_exceed_what_is_left_of_their_charge(test_gateway, sql):
    charge_id = _charge(test_gateway)
    account_id = _account(test_gateway)
    intent_id = "pi_" + charge_id.removeprefix("ch_")
    test_gateway.create_refund(payment_intent_id=intent_id, amount=eur(1_000), idempotency_key="re:1", metadata={})
    first = _transfer(test_gateway, charge_id, account_id, eur(6_000), key="tr:a")

    past_the_rest = _error_code(lambda: _transfer(test_gateway, charge_id, account_id, eur(3_001), key="tr:b"))
    _reverse(test_gateway, first.id, eur(500))
    the_rest = _transfer(test_gateway, charge_id, account_id, eur(3_500), key="tr:c")  # 10,000 − 1,000 − 6,000 + 500
    nothing_left = _error_code(lambda: _transfer(test_gateway, charge_id, account_id, eur(1), key="tr:d"))

    assert (past_the_rest, nothing_left) == ("balance_insufficient", "balance_insufficient")
    assert the_rest.amount == eur(3_500)
    assert sql("SELECT sum(amount - amount_reversed) FROM platform.test_gateway_transfers")[0][0] == 9_000
    assert not _key_stored(sql, "tr:b") and not _key_stored(sql, "tr:d")


def test_concurrent_transfers_against_one_charge_never_exceed_it(app, test_gateway, sql):
    charge_id = _charge(test_gateway)
    account_id = _account(test_gateway)

    outcomes = run_together(app, *[
        lambda key=f"tr:1:{seller}": _transfer(test_gateway, charge_id, account_id, eur(3_000), key=key)
        for seller in range(5)])

    assert sorted(outcomes) == ["GatewayError", "GatewayError", "done", "done", "done"]
    assert sql("SELECT count(*), sum(amount) FROM platform.test_gateway_transfers") == [(3, 9_000)]


def test_a_replayed_transfer_transfers_once_and_a_key_reused_otherwise_is_refused(test_gateway, sql):
    charge_id = _charge(test_gateway)
    account_id = _account(test_gateway)

    first, again = (_transfer(test_gateway, charge_id, account_id, eur(4_000)) for _ in range(2))
    with pytest.raises(IdempotencyKeyReused):
        _transfer(test_gateway, charge_id, account_id, eur(4_001))

    assert again == first
    assert sql("SELECT count(*), sum(amount) FROM platform.test_gateway_transfers") == [(1, 4_000)]


# Reversals

def test_reversals_never_exceed_what_is_left_of_their_transfer_and_each_emits_transfer_reversed(test_gateway, sql):
    transfer = _transfer(test_gateway, _charge(test_gateway), _account(test_gateway), eur(6_000))
    _reverse(test_gateway, transfer.id, eur(4_000), key="rev:1")

    too_much = _error_code(lambda: _reverse(test_gateway, transfer.id, eur(2_001), key="rev:2"))
    _reverse(test_gateway, transfer.id, eur(2_000), key="rev:3")
    replayed = _reverse(test_gateway, transfer.id, eur(2_000), key="rev:3")

    assert too_much == "amount_too_large"
    assert replayed.amount == eur(2_000)
    assert test_gateway.retrieve_transfer(transfer.id).amount_reversed == eur(6_000)
    assert _count(sql, "test_gateway_transfer_reversals") == 2
    reversed_events = [event["data"]["object"] for event in _events(sql, "transfer.reversed")]
    assert sorted((event["amount_reversed"], event["reversed"]) for event in reversed_events) \
        == [(4_000, False), (6_000, True)]


def test_money_already_paid_out_cannot_be_reversed(test_gateway, sql):
    account_id = _account(test_gateway)
    transfer = _transfer(test_gateway, _charge(test_gateway), account_id, eur(6_000))
    _payout(test_gateway, account_id, eur(5_000))

    code = _error_code(lambda: _reverse(test_gateway, transfer.id, eur(1_001)))
    reversal = _reverse(test_gateway, transfer.id, eur(1_000), key="rev:2")

    assert code == "balance_insufficient"
    assert reversal.amount == eur(1_000) and _count(sql, "test_gateway_transfer_reversals") == 1


# Payouts

def test_a_payout_needs_payouts_enabled(test_gateway, sql):
    account_id = _account(test_gateway, onboarded=False)

    assert _error_code(lambda: _payout(test_gateway, account_id, eur(1))) == "payouts_not_allowed"
    assert _count(sql, "test_gateway_payouts") == 0


def test_payouts_never_exceed_the_balance_transfers_in_less_reversals_and_payouts(test_gateway, sql):
    account_id = _account(test_gateway)
    transfer = _transfer(test_gateway, _charge(test_gateway), account_id, eur(6_000))
    _reverse(test_gateway, transfer.id, eur(1_000))
    _payout(test_gateway, account_id, eur(3_000), key="po:1")

    past_the_balance = _error_code(lambda: _payout(test_gateway, account_id, eur(2_001), key="po:2"))
    other_currency = _error_code(lambda: _payout(test_gateway, account_id, Money(1, "USD"), key="po:3"))
    the_balance = _payout(test_gateway, account_id, eur(2_000), key="po:4")

    assert (past_the_balance, other_currency) == ("balance_insufficient", "balance_insufficient")
    assert the_balance.status is PayoutStatus.pending
    assert sql("SELECT count(*), sum(amount) FROM platform.test_gateway_payouts") == [(2, 5_000)]


def test_concurrent_payouts_never_exceed_the_balance(app, test_gateway, sql):
    account_id = _account(test_gateway)
    _transfer(test_gateway, _charge(test_gateway), account_id, eur(6_000))

    outcomes = run_together(app, *[lambda key=f"po:{run}": _payout(test_gateway, account_id, eur(2_500), key=key)
                                   for run in range(4)])

    assert sorted(outcomes) == ["GatewayError", "GatewayError", "done", "done"]
    assert sql("SELECT sum(amount) FROM platform.test_gateway_payouts")[0][0] == 5_000


def test_a_paid_payout_emits_payout_paid_on_its_account(test_gateway, sql):
    account_id = _account(test_gateway)
    _transfer(test_gateway, _charge(test_gateway), account_id, eur(6_000))
    payout = _payout(test_gateway, account_id, eur(6_000))

    paid = test_gateway.settle_payout(account_id, payout.id, paid=True)

    assert paid.status is PayoutStatus.paid
    assert test_gateway.retrieve_payout(account_id, payout.id) == paid
    [event] = _events(sql, "payout.paid")
    assert (event["account"], event["data"]["object"]["id"], event["data"]["object"]["status"]) \
        == (account_id, payout.id, "paid")
    assert _error_code(lambda: test_gateway.settle_payout(account_id, payout.id, paid=False)) \
        == "payout_unexpected_state"


def test_a_failed_payout_returns_its_money_to_the_balance(test_gateway, sql):
    account_id = _account(test_gateway)
    _transfer(test_gateway, _charge(test_gateway), account_id, eur(6_000))
    payout = _payout(test_gateway, account_id, eur(6_000), key="po:1")
    refused_while_pending = _error_code(lambda: _payout(test_gateway, account_id, eur(1), key="po:2"))

    failed = test_gateway.settle_payout(account_id, payout.id, paid=False, failure_code="account_closed")
    again = _payout(test_gateway, account_id, eur(6_000), key="po:3")

    assert refused_while_pending == "balance_insufficient"
    assert (failed.status, failed.failure_code) == (PayoutStatus.failed, "account_closed")
    assert again.amount == eur(6_000)
    [event] = _events(sql, "payout.failed")
    assert (event["account"], event["data"]["object"]["failure_code"]) == (account_id, "account_closed")


def test_a_payout_is_found_on_its_own_account_only(test_gateway):
    account_id, other_id = _account(test_gateway), _account(test_gateway, key="acct:2")
    _transfer(test_gateway, _charge(test_gateway), account_id, eur(6_000))
    payout = _payout(test_gateway, account_id, eur(1_000))

    assert _error_code(lambda: test_gateway.retrieve_payout(other_id, payout.id)) == "resource_missing"


def test_a_replayed_payout_pays_out_once_and_a_key_reused_otherwise_is_refused(test_gateway, sql):
    account_id = _account(test_gateway)
    _transfer(test_gateway, _charge(test_gateway), account_id, eur(6_000))

    first, again = (_payout(test_gateway, account_id, eur(4_000)) for _ in range(2))
    with pytest.raises(IdempotencyKeyReused):
        _payout(test_gateway, account_id, eur(1_000))

    assert again == first
    assert sql("SELECT count(*), sum(amount) FROM platform.test_gateway_payouts") == [(1, 4_000)]


def test_a_replayed_account_creation_creates_one_account(test_gateway, sql):
    first, again = (test_gateway.create_connected_account(email="owner@shop.test", country="de",
                                                          idempotency_key="acct:1", metadata={"tenant_id": "1"})
                    for _ in range(2))

    assert again == first
    assert sql("SELECT count(*), min(country) FROM platform.test_gateway_accounts") == [(1, "DE")]


# Disputes

def test_a_dispute_takes_its_amount_from_the_platform_and_a_won_one_gives_it_back(test_gateway, sql):
    charge_id = _charge(test_gateway)

    dispute = test_gateway.open_dispute(charge_id, eur(2_500), reason="fraudulent")
    won = test_gateway.close_dispute(dispute.id, won=True)

    assert (dispute.status, won.status) == (DisputeStatus.needs_response, DisputeStatus.won)
    assert [(row[0], row[1]) for row in _balance_transactions(sql) if row[0] == "adjustment"] \
        == [("adjustment", -2_500), ("adjustment", 2_500)]
    for event_type in ("charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.closed",
                       "charge.dispute.funds_reinstated"):
        [event] = _events(sql, event_type)
        assert (event["data"]["object"]["object"], event["data"]["object"]["charge"]) == ("dispute", charge_id)
        assert "account" not in event  # the platform's own charge


def test_a_lost_dispute_keeps_the_money_and_closes_once(test_gateway, sql):
    dispute = test_gateway.open_dispute(_charge(test_gateway), eur(2_500), reason="product_not_received")

    lost = test_gateway.close_dispute(dispute.id, won=False)

    assert lost.status is DisputeStatus.lost
    assert _events(sql, "charge.dispute.funds_reinstated") == []
    assert sql("SELECT sum(amount) FROM platform.test_gateway_balance_transactions WHERE type = 'adjustment'") \
        == [(-2_500,)]
    assert _error_code(lambda: test_gateway.close_dispute(dispute.id, won=True)) == "dispute_unexpected_state"


def test_a_charge_is_disputed_once_and_never_for_more_than_it_kept(test_gateway, sql):
    charge_id = _charge(test_gateway)

    too_much = _error_code(lambda: test_gateway.open_dispute(charge_id, eur(10_001), reason="fraudulent"))
    test_gateway.open_dispute(charge_id, eur(10_000), reason="fraudulent")
    twice = _error_code(lambda: test_gateway.open_dispute(charge_id, eur(1), reason="fraudulent"))

    assert (too_much, twice) == ("amount_too_large", "charge_disputed")
    assert _count(sql, "test_gateway_disputes") == 1


@pytest.mark.parametrize("won", [None, False, True])
def test_a_charged_back_charge_is_not_refunded_unless_its_dispute_was_won(test_gateway, sql, won):
    charge_id = _charge(test_gateway)
    dispute = test_gateway.open_dispute(charge_id, eur(2_500), reason="fraudulent")
    if won is not None:
        test_gateway.close_dispute(dispute.id, won=won)

    def refund():
        return test_gateway.create_refund(payment_intent_id="pi_" + charge_id.removeprefix("ch_"), amount=eur(1_000),
                                          idempotency_key="re:1", metadata={})

    if won:
        assert refund().amount == eur(1_000)
    else:
        assert _error_code(refund) == "charge_disputed"
        assert _count(sql, "test_gateway_refunds") == 0


# Balance transactions

def test_every_movement_of_the_platforms_balance_is_a_balance_transaction_with_stripes_type(test_gateway, sql):
    charge_id = _charge(test_gateway)
    account_id = _account(test_gateway)
    test_gateway.create_refund(payment_intent_id="pi_" + charge_id.removeprefix("ch_"), amount=eur(1_000),
                               idempotency_key="re:1", metadata={})
    transfer = _transfer(test_gateway, charge_id, account_id, eur(6_000))
    _reverse(test_gateway, transfer.id, eur(500))
    _payout(test_gateway, account_id, eur(1_000))  # the connected account's balance, not the platform's

    listed = list(test_gateway.list_balance_transactions(created_gte=0, created_lt=2**31))

    assert sorted((item.type, item.amount.amount, item.fee.amount, item.net.amount) for item in listed) == [
        ("charge", 10_000, 320, 9_680),  # Stripe's 2.9% + 30
        ("refund", -1_000, 0, -1_000),
        ("transfer", -6_000, 0, -6_000),
        ("transfer_refund", 500, 0, 500),
    ]
    assert {item.type: item.source for item in listed}["transfer"] == transfer.id


def test_balance_transactions_are_listed_newest_first_page_after_page_within_the_period(test_gateway, sql):
    sql("INSERT INTO platform.test_gateway_balance_transactions (id, type, amount, fee, currency, source, created_at) "
        "SELECT 'txn_' || lpad(n::text, 4, '0'), 'charge', n, 0, 'EUR', 'ch_' || n, "
        "to_timestamp(1764500000 + n / 10) FROM generate_series(1, 250) AS n")

    listed = list(test_gateway.list_balance_transactions(created_gte=1764500001, created_lt=1764500020))

    # created 1764500001 ..= 1764500019: n from 10 to 199, newest first
    assert [item.amount.amount for item in listed] == list(range(199, 9, -1))


# Events re-read through the port (billing/webhooks.py), as their handlers get them

@contextmanager
def _handled(event_type: str):
    calls = []

    def remember(current_object, event):
        calls.append((current_object, event))

    webhooks.handles(event_type)(remember)
    try:
        yield calls
    finally:
        webhooks.unregister(remember)


def _receive(gateway, sql, event_type: str):
    """The last event of `event_type` the gateway emitted, verified and stored as the webhook endpoint would."""
    [body] = sql("SELECT body FROM platform.test_gateway_events WHERE type = :type", type=event_type)[0]
    payload = body.encode()
    event = gateway.construct_event(payload, signature_header(payload, WEBHOOK_SECRET))
    webhooks.record_event(event)
    return event


def test_connect_events_reach_their_handlers_with_their_object_read_again(test_gateway, sql):
    charge_id = _charge(test_gateway)
    account_id = _account(test_gateway)
    transfer = _transfer(test_gateway, charge_id, account_id, eur(6_000))
    _reverse(test_gateway, transfer.id, eur(1_000))
    payout = _payout(test_gateway, account_id, eur(2_000))
    test_gateway.settle_payout(account_id, payout.id, paid=True)
    dispute = test_gateway.open_dispute(charge_id, eur(2_500), reason="fraudulent")
    test_gateway.close_dispute(dispute.id, won=False)
    expected = {"account.updated": (account_id, "payouts_enabled", True),
                "transfer.reversed": (transfer.id, "amount_reversed", eur(1_000)),
                "payout.paid": (payout.id, "status", PayoutStatus.paid),
                "charge.dispute.closed": (dispute.id, "status", DisputeStatus.lost)}

    for event_type, (object_id, attribute, value) in expected.items():
        with _handled(event_type) as calls:
            event = _receive(test_gateway, sql, event_type)
            webhooks.handle_event(test_gateway, event.id)
        [(current_object, handled_event)] = calls
        assert (current_object.id, getattr(current_object, attribute)) == (object_id, value), event_type
        assert handled_event.account == (account_id if event_type in ("account.updated", "payout.paid") else None)


def test_a_payout_event_that_names_no_connected_account_is_not_read_on_a_guess(test_gateway, sql):
    account_id = _account(test_gateway)
    _transfer(test_gateway, _charge(test_gateway), account_id, eur(6_000))
    payout = _payout(test_gateway, account_id, eur(1_000))
    webhooks.record_event(WebhookEvent(id="evt_no_account", type="payout.paid", object_type="payout",
                                       object_id=payout.id, created=1764500000))

    with _handled("payout.paid") as calls, pytest.raises(webhooks.UnreadableObject):
        webhooks.handle_event(test_gateway, "evt_no_account")

    assert calls == []
    assert sql("SELECT handled_at FROM platform.gateway_events WHERE id = 'evt_no_account'") == [(None,)]
