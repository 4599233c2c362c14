"""StripeGateway: the port on Stripe's API, through the official `stripe` package's StripeClient.

One PaymentIntent per marketplace order, its `transfer_group` the order, so
that the transfers to sellers can later be joined to the charge. Every call
that creates or changes something passes the caller's idempotency key as
Stripe's Idempotency-Key (`pi:{order}`, `re:{refund}`): a retried call is
answered Stripe's stored result. The API version is pinned
(STRIPE_API_VERSION), so an account's default version never changes what the
code reads. A declined confirmation is not an error of the port: the intent
is read back and returned, `requires_payment_method` with its decline code.

Connect: sellers' Express accounts, transfers from the platform's charges
(keys `tr:{order}:{seller}`, `rev:{refund}:{seller}`), and payouts, which are
requests made as the connected account (the Stripe-Account header).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Iterator, Mapping, Sequence

import stripe

from billing.gateway.port import (
    AccountLink, BalanceTransaction, Charge, ChargeFee, ConnectedAccount, Dispute, DisputeStatus, GatewayError,
    IdempotencyKeyReused, PaymentIntent, PaymentIntentStatus, Payout, PayoutStatus, Refund, RefundStatus, Transfer,
    TransferReversal, WebhookEvent,
)
from billing.gateway.signatures import verify_event
from billing.money import Money

# The API version every request sends (Stripe-Version): the one stripe 16.1 is generated for.
STRIPE_API_VERSION = "2026-10-28.endive"
# Stripe retries a request that failed on the network with the same idempotency key.
MAX_NETWORK_RETRIES = 2
# Stripe's largest page of a list; more pages are followed.
REFUNDS_PAGE_SIZE = 100
BALANCE_TRANSACTIONS_PAGE_SIZE = 100
# Requests in flight at once when many objects are read one by one (`charge_fees`): Stripe allows 25 reads
# a second in test mode, 100 live.
CONCURRENT_READS = 4
# What a seller's Express account asks for: taking card payments and receiving the platform's transfers.
REQUESTED_CAPABILITIES = {"card_payments": {"requested": True}, "transfers": {"requested": True}}


class StripeGateway:
    """The `stripe` adapter of the PaymentGateway port."""

    name = "stripe"

    def __init__(self, secret_key: str, webhook_secret: str, api_base: str | None = None,
                 http_client: stripe.HTTPClient | None = None):
        # `api_base` points the client at stripe-mock in tests; `http_client` lets tests see each request.
        self._client = stripe.StripeClient(
            secret_key, stripe_version=STRIPE_API_VERSION, max_network_retries=MAX_NETWORK_RETRIES,
            base_addresses={"api": api_base} if api_base else None, http_client=http_client)
        self._webhook_secret = webhook_secret

    def create_payment_intent(self, *, amount: Money, transfer_group: str, idempotency_key: str,
                              metadata: Mapping[str, str]) -> PaymentIntent:
        params = {
            "amount": amount.amount, "currency": amount.currency.lower(), "transfer_group": transfer_group,
            "metadata": dict(metadata),
            # Card payments confirmed by our server: no payment method that redirects the buyer elsewhere.
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
        with _gateway_errors():
            intent = self._client.v1.payment_intents.create(params=params, options=_keyed(idempotency_key))
        return _intent(intent)

    def confirm_payment_intent(self, intent_id: str, *, payment_method: str, idempotency_key: str) -> PaymentIntent:
        params = {"payment_method": payment_method, "expand": ["latest_charge"]}
        try:
            with _gateway_errors():
                intent = self._client.v1.payment_intents.confirm(intent_id, params=params,
                                                                 options=_keyed(idempotency_key))
        except _Declined:
            return self.retrieve_payment_intent(intent_id)
        return _intent(intent)

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntent:
        with _gateway_errors():
            intent = self._client.v1.payment_intents.retrieve(intent_id, params={"expand": ["latest_charge"]})
        return _intent(intent)

    def cancel_payment_intent(self, intent_id: str, *, idempotency_key: str) -> PaymentIntent:
        with _gateway_errors():
            intent = self._client.v1.payment_intents.cancel(intent_id, options=_keyed(idempotency_key))
        return _intent(intent)

    def create_refund(self, *, payment_intent_id: str, amount: Money, idempotency_key: str,
                      metadata: Mapping[str, str]) -> Refund:
        params = {"payment_intent": payment_intent_id, "amount": amount.amount, "metadata": dict(metadata)}
        with _gateway_errors():
            refund = self._client.v1.refunds.create(params=params, options=_keyed(idempotency_key))
        return _refund(refund)

    def retrieve_refund(self, refund_id: str) -> Refund:
        with _gateway_errors():
            refund = self._client.v1.refunds.retrieve(refund_id)
        return _refund(refund)

    def list_refunds(self, payment_intent_id: str) -> list[Refund]:
        params = {"payment_intent": payment_intent_id, "limit": REFUNDS_PAGE_SIZE}
        with _gateway_errors():
            return [_refund(refund) for refund in
                    self._client.v1.refunds.list(params=params).auto_paging_iter()]

    def retrieve_charge(self, charge_id: str) -> Charge:
        with _gateway_errors():
            # The fee is its balance transaction's, read in the same request.
            charge = self._client.v1.charges.retrieve(charge_id, params={"expand": ["balance_transaction"]})
        currency = charge.currency.upper()
        return Charge(id=charge.id, payment_intent_id=_id_of(charge.payment_intent),
                      amount=Money(charge.amount_captured, currency), amount_refunded=charge.amount_refunded,
                      fee=Money(charge.balance_transaction.fee if charge.balance_transaction else 0, currency))

    def charge_fees(self, payment_intent_ids: Sequence[str]) -> dict[str, ChargeFee]:
        # Stripe has no read of many objects by id: one request per intent, its charge and that charge's
        # balance transaction (the fee) expanded into it, where retrieve_payment_intent + retrieve_charge take two.
        # A few at a time, so that a batch of hundreds takes seconds, not minutes, within Stripe's read rate limit.
        with ThreadPoolExecutor(max_workers=CONCURRENT_READS) as pool:
            fees = dict(zip(payment_intent_ids, pool.map(self._charge_fee, payment_intent_ids)))
        return {intent_id: fee for intent_id, fee in fees.items() if fee is not None}

    def _charge_fee(self, intent_id: str) -> ChargeFee | None:
        with _gateway_errors():
            intent = self._client.v1.payment_intents.retrieve(
                intent_id, params={"expand": ["latest_charge.balance_transaction"]})
        charge = intent.latest_charge
        # A declined attempt leaves its failed charge as the latest: only a paid intent's charge counts.
        if intent.status != PaymentIntentStatus.succeeded.value or charge is None:
            return None
        fee = charge.balance_transaction.fee if charge.balance_transaction else 0
        return ChargeFee(charge.id, Money(fee, charge.currency.upper()))

    # --- Stripe Connect ---

    def create_connected_account(self, *, email: str, country: str, idempotency_key: str,
                                 metadata: Mapping[str, str]) -> ConnectedAccount:
        params = {"type": "express", "email": email, "country": country, "capabilities": REQUESTED_CAPABILITIES,
                  "metadata": dict(metadata)}
        with _gateway_errors():
            account = self._client.v1.accounts.create(params=params, options=_keyed(idempotency_key))
        return _account(account)

    def retrieve_account(self, account_id: str) -> ConnectedAccount:
        with _gateway_errors():
            account = self._client.v1.accounts.retrieve(account_id)
        return _account(account)

    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str,
                            idempotency_key: str) -> AccountLink:
        params = {"account": account_id, "refresh_url": refresh_url, "return_url": return_url,
                  "type": "account_onboarding"}
        with _gateway_errors():
            link = self._client.v1.account_links.create(params=params, options=_keyed(idempotency_key))
        return AccountLink(url=link.url, expires_at=link.expires_at)

    def create_transfer(self, *, amount: Money, destination: str, source_transaction: str, transfer_group: str,
                        idempotency_key: str, metadata: Mapping[str, str]) -> Transfer:
        params = {"amount": amount.amount, "currency": amount.currency.lower(), "destination": destination,
                  "source_transaction": source_transaction, "transfer_group": transfer_group,
                  "metadata": dict(metadata)}
        with _gateway_errors():
            transfer = self._client.v1.transfers.create(params=params, options=_keyed(idempotency_key))
        return _transfer(transfer)

    def retrieve_transfer(self, transfer_id: str) -> Transfer:
        with _gateway_errors():
            transfer = self._client.v1.transfers.retrieve(transfer_id)
        return _transfer(transfer)

    def create_transfer_reversal(self, transfer_id: str, *, amount: Money, idempotency_key: str,
                                 metadata: Mapping[str, str]) -> TransferReversal:
        params = {"amount": amount.amount, "metadata": dict(metadata)}
        with _gateway_errors():
            reversal = self._client.v1.transfers.reversals.create(transfer_id, params=params,
                                                                  options=_keyed(idempotency_key))
        return TransferReversal(id=reversal.id, transfer_id=_id_of(reversal.transfer),
                                amount=Money(reversal.amount, reversal.currency.upper()), metadata=_metadata(reversal))

    def create_payout(self, *, account_id: str, amount: Money, idempotency_key: str,
                      metadata: Mapping[str, str]) -> Payout:
        params = {"amount": amount.amount, "currency": amount.currency.lower(), "metadata": dict(metadata)}
        with _gateway_errors():
            payout = self._client.v1.payouts.create(
                params=params, options={**_keyed(idempotency_key), **_as_account(account_id)})
        return _payout(payout, account_id)

    def retrieve_payout(self, account_id: str, payout_id: str) -> Payout:
        with _gateway_errors():
            payout = self._client.v1.payouts.retrieve(payout_id, options=_as_account(account_id))
        return _payout(payout, account_id)

    def retrieve_dispute(self, dispute_id: str) -> Dispute:
        with _gateway_errors():
            dispute = self._client.v1.disputes.retrieve(dispute_id)
        return Dispute(id=dispute.id, charge_id=_id_of(dispute.charge), payment_intent_id=_id_of(dispute.payment_intent),
                       amount=Money(dispute.amount, dispute.currency.upper()), status=DisputeStatus(dispute.status),
                       reason=dispute.reason)

    def list_balance_transactions(self, *, created_gte: int, created_lt: int) -> Iterator[BalanceTransaction]:
        params = {"created": {"gte": created_gte, "lt": created_lt}, "limit": BALANCE_TRANSACTIONS_PAGE_SIZE}
        with _gateway_errors():
            pages = self._client.v1.balance_transactions.list(params=params).auto_paging_iter()
        while True:
            with _gateway_errors():  # each next page is a request of its own
                transaction = next(pages, None)
            if transaction is None:
                return
            yield _balance_transaction(transaction)

    def construct_event(self, payload: bytes, signature_header: str) -> WebhookEvent:
        return verify_event(payload, signature_header, self._webhook_secret)


class _Declined(Exception):
    """A confirmation Stripe declined (a CardError): the intent is read back, not raised."""


@contextmanager
def _gateway_errors() -> Iterator[None]:
    """Turn the stripe package's errors into the port's: a CardError into _Declined, the rest into GatewayError."""
    try:
        yield
    except stripe.CardError as error:
        raise _Declined() from error
    except stripe.IdempotencyError as error:
        raise IdempotencyKeyReused("idempotency_error", error.user_message or str(error)) from error
    except stripe.StripeError as error:
        raise GatewayError(error.code or type(error).__name__, error.user_message or str(error)) from error


def _keyed(idempotency_key: str) -> dict[str, Any]:
    return {"idempotency_key": idempotency_key}


def _as_account(account_id: str) -> dict[str, Any]:
    """A request made as the connected account (Stripe-Account), as payouts from its balance are."""
    return {"stripe_account": account_id}


def _intent(intent: stripe.PaymentIntent) -> PaymentIntent:
    error = intent.last_payment_error
    return PaymentIntent(
        id=intent.id, status=PaymentIntentStatus(intent.status),
        amount=Money(intent.amount, intent.currency.upper()), transfer_group=intent.transfer_group,
        client_secret=intent.client_secret, metadata=_metadata(intent),
        last_payment_error=_decline_code(error) if error else None,
        amount_refundable=_amount_refundable(intent), latest_charge=_id_of(intent.latest_charge))


def _id_of(expandable: str | stripe.StripeObject | None) -> str | None:
    """The id of a field Stripe sends as an id, or as the object when expanded."""
    return expandable if expandable is None or isinstance(expandable, str) else expandable.id


def _amount_refundable(intent: stripe.PaymentIntent) -> int:
    """Captured and not refunded: the expanded latest charge knows what was refunded; unexpanded, nothing was seen."""
    if intent.status != PaymentIntentStatus.succeeded.value:
        return 0
    charge = intent.latest_charge
    if isinstance(charge, stripe.Charge):
        return charge.amount_captured - charge.amount_refunded
    return intent.amount_received


def _refund(refund: stripe.Refund) -> Refund:
    return Refund(id=refund.id, payment_intent_id=refund.payment_intent,
                  amount=Money(refund.amount, refund.currency.upper()), status=RefundStatus(refund.status),
                  metadata=_metadata(refund), failure_reason=getattr(refund, "failure_reason", None))


def _account(account: stripe.Account) -> ConnectedAccount:
    requirements = account.requirements
    return ConnectedAccount(id=account.id, charges_enabled=bool(account.charges_enabled),
                            payouts_enabled=bool(account.payouts_enabled),
                            details_submitted=bool(account.details_submitted),
                            requirements_due=tuple(requirements.currently_due or ()) if requirements else (),
                            metadata=_metadata(account))


def _transfer(transfer: stripe.Transfer) -> Transfer:
    currency = transfer.currency.upper()
    return Transfer(id=transfer.id, amount=Money(transfer.amount, currency), destination=_id_of(transfer.destination),
                    source_transaction=_id_of(transfer.source_transaction), transfer_group=transfer.transfer_group,
                    amount_reversed=Money(transfer.amount_reversed, currency), metadata=_metadata(transfer))


def _payout(payout: stripe.Payout, account_id: str) -> Payout:
    return Payout(id=payout.id, account_id=account_id, amount=Money(payout.amount, payout.currency.upper()),
                  status=PayoutStatus(payout.status), failure_code=payout.failure_code, metadata=_metadata(payout))


def _balance_transaction(transaction: stripe.BalanceTransaction) -> BalanceTransaction:
    currency = transaction.currency.upper()
    return BalanceTransaction(id=transaction.id, type=transaction.type, amount=Money(transaction.amount, currency),
                              fee=Money(transaction.fee, currency), net=Money(transaction.net, currency),
                              source=_id_of(transaction.source), created=transaction.created)


def _metadata(stripe_object: stripe.StripeObject) -> dict[str, str]:
    return stripe_object.metadata.to_dict() if stripe_object.metadata else {}


def _decline_code(error: stripe.StripeObject) -> str | None:
    """A card's decline code (`insufficient_funds`), else the error's code (`payment_intent_authentication_failure`)."""
    return getattr(error, "decline_code", None) or getattr(error, "code", None)
