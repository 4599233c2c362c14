"""Stripe Connect under one contract: TestGateway's state, and the requests StripeGateway sends to stripe-mock.

stripe-mock holds no state, so for StripeGateway each test names ids of its
own (any id works there) and asserts the request: method, path, form fields,
the caller's Idempotency-Key, and Stripe-Account for what is done as a
connected account. TestGateway gets a real paid charge and an onboarded
account, and its answers are read back.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import pytest

from billing.gateway.port import (
    AccountLink, BalanceTransaction, ConnectedAccount, Dispute, DisputeStatus, GatewayError, IdempotencyKeyReused,
    InvalidSignature, Payout, PayoutStatus, Transfer, TransferReversal,
)
from billing.gateway.signatures import signature_header
from billing.gateway.stripe_gateway import STRIPE_API_VERSION
from billing.money import Money
from tests.billing.gateway.conftest import WEBHOOK_SECRET, AnsweringHTTPClient, stripe_gateway_on

ORDER_TOTAL = Money(10_000, "EUR")
SELLER_SHARE = Money(6_000, "EUR")


@dataclass(frozen=True)
class Paid:
    """A paid order's charge and a seller's account that can receive transfers (real ones on TestGateway)."""

    charge_id: str
    account_id: str


def _paid(adapter) -> Paid:
    if adapter.sent is not None:
        return Paid(charge_id="ch_contract", account_id="acct_contract")
    gateway = adapter.gateway
    intent = gateway.create_payment_intent(amount=ORDER_TOTAL, transfer_group="order-7", idempotency_key="pi:7",
                                           metadata={})
    paid = gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa", idempotency_key="confirm:7")
    account = gateway.create_connected_account(email="owner@shop.test", country="FR", idempotency_key="acct:3",
                                               metadata={"tenant_id": "3"})
    gateway.complete_onboarding(account.id)
    return Paid(charge_id=paid.latest_charge, account_id=account.id)


def _transfer(adapter, paid: Paid, amount: Money = SELLER_SHARE) -> Transfer:
    return adapter.gateway.create_transfer(amount=amount, destination=paid.account_id,
                                           source_transaction=paid.charge_id, transfer_group="order-7",
                                           idempotency_key="tr:7:3", metadata={"order_id": "7", "tenant_id": "3"})


def _last_request(adapter):
    sent = adapter.sent[-1]
    assert sent.headers["Stripe-Version"] == STRIPE_API_VERSION
    return sent


def _fields(sent, *names: str) -> dict[str, str]:
    return {name: sent.form[name] for name in names}


def test_a_seller_gets_an_express_account_that_can_do_nothing_until_onboarded(adapter):
    account = adapter.gateway.create_connected_account(email="owner@shop.test", country="FR",
                                                       idempotency_key="acct:3", metadata={"tenant_id": "3"})

    assert isinstance(account, ConnectedAccount) and account.id
    if adapter.sent is None:
        assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (False, False, False)
        assert account.requirements_due and account.metadata == {"tenant_id": "3"}
        assert adapter.gateway.retrieve_account(account.id) == account
    else:
        sent = _last_request(adapter)
        assert (sent.method, sent.path, sent.headers["Idempotency-Key"]) == ("POST", "/v1/accounts", "acct:3")
        assert _fields(sent, "type", "email", "country", "capabilities[card_payments][requested]",
                       "capabilities[transfers][requested]", "metadata[tenant_id]") == {
            "type": "express", "email": "owner@shop.test", "country": "FR",
            "capabilities[card_payments][requested]": "true", "capabilities[transfers][requested]": "true",
            "metadata[tenant_id]": "3"}


def test_retrieving_an_account_reads_it_again(adapter):
    paid = _paid(adapter)
    adapter.sent and adapter.sent.clear()

    account = adapter.gateway.retrieve_account(paid.account_id)

    assert account.id
    if adapter.sent is None:
        assert (account.charges_enabled, account.payouts_enabled, account.requirements_due) == (True, True, ())
    else:
        sent = _last_request(adapter)
        assert (sent.method, sent.path) == ("GET", f"/v1/accounts/{paid.account_id}")
        assert "Idempotency-Key" not in sent.headers


def test_an_onboarding_link_points_at_the_onboarding_page_and_expires(adapter):
    paid = _paid(adapter)
    adapter.sent and adapter.sent.clear()

    link = adapter.gateway.create_account_link(account_id=paid.account_id,
                                               refresh_url="https://shop.test/payout-account/refresh",
                                               return_url="https://shop.test/payout-account", idempotency_key="al:3:1")

    assert isinstance(link, AccountLink) and link.url and link.expires_at > 0
    if adapter.sent is None:
        assert paid.account_id in link.url and time.time() < link.expires_at <= time.time() + 3600
    else:
        sent = _last_request(adapter)
        assert (sent.method, sent.path, sent.headers["Idempotency-Key"]) == ("POST", "/v1/account_links", "al:3:1")
        assert _fields(sent, "account", "refresh_url", "return_url", "type") == {
            "account": paid.account_id, "refresh_url": "https://shop.test/payout-account/refresh",
            "return_url": "https://shop.test/payout-account", "type": "account_onboarding"}


def test_a_transfer_moves_a_sellers_share_of_a_charge_under_the_callers_key(adapter):
    paid = _paid(adapter)
    adapter.sent and adapter.sent.clear()

    transfer = _transfer(adapter, paid)

    assert isinstance(transfer, Transfer) and transfer.id
    if adapter.sent is None:
        assert (transfer.amount, transfer.destination, transfer.source_transaction, transfer.transfer_group,
                transfer.amount_reversed) == (SELLER_SHARE, paid.account_id, paid.charge_id, "order-7",
                                              Money(0, "EUR"))
        assert adapter.gateway.retrieve_transfer(transfer.id) == transfer
    else:
        sent = _last_request(adapter)
        assert (sent.method, sent.path, sent.headers["Idempotency-Key"]) == ("POST", "/v1/transfers", "tr:7:3")
        assert "Stripe-Account" not in sent.headers  # made by the platform, from its charge
        assert _fields(sent, "amount", "currency", "destination", "source_transaction", "transfer_group",
                       "metadata[order_id]") == {
            "amount": "6000", "currency": "eur", "destination": paid.account_id,
            "source_transaction": paid.charge_id, "transfer_group": "order-7", "metadata[order_id]": "7"}


def test_retrieving_a_transfer_reads_it_again(adapter):
    paid = _paid(adapter)
    transfer = _transfer(adapter, paid)
    adapter.sent and adapter.sent.clear()

    retrieved = adapter.gateway.retrieve_transfer(transfer.id)

    assert retrieved.id == transfer.id
    if adapter.sent is not None:
        sent = _last_request(adapter)
        assert (sent.method, sent.path) == ("GET", f"/v1/transfers/{transfer.id}")


def test_a_reversal_takes_back_part_of_a_transfer_under_the_callers_key(adapter):
    paid = _paid(adapter)
    transfer = _transfer(adapter, paid)
    adapter.sent and adapter.sent.clear()

    reversal = adapter.gateway.create_transfer_reversal(transfer.id, amount=Money(1_500, "EUR"),
                                                        idempotency_key="rev:41:3", metadata={"refund_id": "41"})

    assert isinstance(reversal, TransferReversal) and reversal.id
    if adapter.sent is None:
        assert (reversal.transfer_id, reversal.amount, reversal.metadata) == (transfer.id, Money(1_500, "EUR"),
                                                                              {"refund_id": "41"})
        assert adapter.gateway.retrieve_transfer(transfer.id).amount_reversed == Money(1_500, "EUR")
    else:
        sent = _last_request(adapter)
        assert (sent.method, sent.path, sent.headers["Idempotency-Key"]) \
            == ("POST", f"/v1/transfers/{transfer.id}/reversals", "rev:41:3")
        assert _fields(sent, "amount", "metadata[refund_id]") == {"amount": "1500", "metadata[refund_id]": "41"}


def test_a_payout_is_made_as_the_connected_account_under_the_callers_key(adapter):
    paid = _paid(adapter)
    _transfer(adapter, paid)
    adapter.sent and adapter.sent.clear()

    payout = adapter.gateway.create_payout(account_id=paid.account_id, amount=Money(4_000, "EUR"),
                                           idempotency_key="po:run-5:3", metadata={"payout_run": "5"})

    assert isinstance(payout, Payout) and payout.id and payout.account_id == paid.account_id
    if adapter.sent is None:
        assert (payout.amount, payout.status, payout.failure_code) == (Money(4_000, "EUR"), PayoutStatus.pending, None)
        assert adapter.gateway.retrieve_payout(paid.account_id, payout.id) == payout
    else:
        sent = _last_request(adapter)
        assert (sent.method, sent.path, sent.headers["Idempotency-Key"], sent.headers["Stripe-Account"]) \
            == ("POST", "/v1/payouts", "po:run-5:3", paid.account_id)
        assert _fields(sent, "amount", "currency", "metadata[payout_run]") \
            == {"amount": "4000", "currency": "eur", "metadata[payout_run]": "5"}


def test_retrieving_a_payout_reads_it_on_its_connected_account(adapter):
    paid = _paid(adapter)
    _transfer(adapter, paid)
    payout = adapter.gateway.create_payout(account_id=paid.account_id, amount=Money(4_000, "EUR"),
                                           idempotency_key="po:run-5:3", metadata={})
    adapter.sent and adapter.sent.clear()

    retrieved = adapter.gateway.retrieve_payout(paid.account_id, payout.id)

    assert retrieved.id == payout.id and retrieved.account_id == paid.account_id
    if adapter.sent is not None:
        sent = _last_request(adapter)
        assert (sent.method, sent.path, sent.headers["Stripe-Account"]) \
            == ("GET", f"/v1/payouts/{payout.id}", paid.account_id)


def test_a_dispute_reads_back_with_its_charge_amount_status_and_reason(adapter):
    paid = _paid(adapter)
    dispute_id = "dp_contract" if adapter.sent is not None else \
        adapter.gateway.open_dispute(paid.charge_id, Money(2_500, "EUR"), reason="product_not_received").id
    adapter.sent and adapter.sent.clear()

    dispute = adapter.gateway.retrieve_dispute(dispute_id)

    assert isinstance(dispute, Dispute) and dispute.id == dispute_id and dispute.reason
    if adapter.sent is None:
        assert (dispute.charge_id, dispute.amount, dispute.status, dispute.reason) \
            == (paid.charge_id, Money(2_500, "EUR"), DisputeStatus.needs_response, "product_not_received")
    else:
        sent = _last_request(adapter)
        assert (sent.method, sent.path) == ("GET", f"/v1/disputes/{dispute_id}")


def test_the_platforms_balance_transactions_of_a_period_are_listed(adapter):
    since = int(time.time()) - 60
    paid = _paid(adapter)
    _transfer(adapter, paid)
    adapter.sent and adapter.sent.clear()

    transactions = list(adapter.gateway.list_balance_transactions(created_gte=since, created_lt=since + 3600))

    assert transactions and all(isinstance(transaction, BalanceTransaction) for transaction in transactions)
    if adapter.sent is None:
        by_type = {transaction.type: transaction for transaction in transactions}
        assert set(by_type) == {"charge", "transfer"}
        assert (by_type["charge"].amount, by_type["charge"].source) == (ORDER_TOTAL, paid.charge_id)
        assert (by_type["transfer"].amount, by_type["transfer"].fee) == (-SELLER_SHARE, Money(0, "EUR"))
    else:
        sent = adapter.sent[0]
        assert (sent.method, sent.path) == ("GET", "/v1/balance_transactions")
        assert _fields(sent, "created[gte]", "created[lt]") == {"created[gte]": str(since),
                                                                 "created[lt]": str(since + 3600)}


# Events of a connected account name it (`account`), and both adapters verify it into the event.

def _connect_event(account: object) -> bytes:
    return json.dumps({"id": "evt_9", "object": "event", "type": "payout.paid", "created": 1764500000,
                       "account": account, "data": {"object": {"id": "po_1", "object": "payout"}}}).encode()


def test_an_event_of_a_connected_account_verifies_with_its_account(adapter):
    body = _connect_event("acct_seller")

    event = adapter.gateway.construct_event(body, signature_header(body, WEBHOOK_SECRET))

    assert (event.type, event.object_type, event.object_id, event.account) \
        == ("payout.paid", "payout", "po_1", "acct_seller")


@pytest.mark.parametrize("account", [42, "", "a" * 256])
def test_an_event_whose_account_is_no_account_id_is_refused(adapter, account):
    body = _connect_event(account)

    with pytest.raises(InvalidSignature):
        adapter.gateway.construct_event(body, signature_header(body, WEBHOOK_SECRET))


# Stripe's refusals of Connect requests, as stripe-mock never sends them, reach the caller as the port's errors.

@pytest.mark.parametrize("path, code", [("/v1/transfers", "balance_insufficient"),
                                        ("/v1/transfers", "insufficient_capabilities_for_transfer"),
                                        ("/v1/payouts", "balance_insufficient")])
def test_a_connect_request_stripe_refuses_is_a_gateway_error_with_stripes_code(stripe_mock_url, path, code):
    refusing = AnsweringHTTPClient(path, 400, {"type": "invalid_request_error", "code": code, "message": "Refused."})
    gateway = stripe_gateway_on(refusing, stripe_mock_url)
    call = {"/v1/transfers": lambda: gateway.create_transfer(
                amount=SELLER_SHARE, destination="acct_1", source_transaction="ch_1", transfer_group="order-7",
                idempotency_key="tr:7:3", metadata={}),
            "/v1/payouts": lambda: gateway.create_payout(account_id="acct_1", amount=SELLER_SHARE,
                                                         idempotency_key="po:1", metadata={})}[path]

    with pytest.raises(GatewayError) as error:
        call()

    assert error.value.code == code


def test_a_reversal_key_stripe_saw_with_other_parameters_is_idempotency_key_reused(stripe_mock_url):
    refusing = AnsweringHTTPClient("/reversals", 400, {"type": "idempotency_error", "message": "Keys for idempotent "
                                   "requests can only be used with the same parameters they were first used with."})
    gateway = stripe_gateway_on(refusing, stripe_mock_url)

    with pytest.raises(IdempotencyKeyReused):
        gateway.create_transfer_reversal("tr_1", amount=Money(100, "EUR"), idempotency_key="rev:41:3", metadata={})
