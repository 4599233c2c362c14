"""TestGateway: a payment processor that keeps Stripe's rules, with its state in the shared schema.

It behaves like a remote processor, not like a mock: each call is its own
short transaction on the control database (a unit of work of its own, never
the caller's), so a caller's rollback does not undo a charge, exactly as with
Stripe. The rules it keeps are Stripe's:

- an amount is more than zero and at most MAX_AMOUNT minor units; the
  currency is an ISO 4217 code in use (`Money` refuses any other);
- a PaymentIntent moves only along Stripe's transitions: confirm from
  `requires_payment_method` / `requires_confirmation`; a test card decides
  the outcome (TEST_PAYMENT_METHODS); `requires_action` waits for
  `authenticate` (the buyer's 3-D Secure page); cancel from any state but
  `succeeded` and `canceled`; anything else is `payment_intent_unexpected_state`;
- an idempotency key replayed with the same parameters answers what its
  first request answered; with other parameters, `IdempotencyKeyReused`;
- a refund needs a succeeded intent and never exceeds what is left of the
  captured amount (`charge_already_refunded`, `amount_too_large`); a charge
  with an open or lost dispute is not refunded (`charge_disputed`);
- a paid intent has one charge, `ch_…` named after it (`pi_X` is paid by
  `ch_X`), which holds what was captured and refunded.

Stripe Connect, with the same care:

- a new Express account has its card_payments and transfers capabilities
  `inactive`, and charges and payouts disabled, until the seller finishes the
  hosted onboarding page, which `complete_onboarding` stands for (it emits
  `account.updated` on that account); an account link's url is the path of
  that test page (ONBOARDING_PAGE_PATH);
- a transfer needs a destination whose transfers capability is active
  (`insufficient_capabilities_for_transfer`), a paid source charge in the
  transfer's currency, and never exceeds what is left of that charge:
  captured − refunded − transferred from it + reversed back (`balance_insufficient`);
- a reversal never exceeds the transfer's amount − amount_reversed
  (`amount_too_large`), nor the destination's available balance: money paid out
  to a bank cannot be pulled back (`balance_insufficient`); it emits `transfer.reversed`;
- a connected account's available balance, per currency, is transfers in −
  reversals − payouts not failed; a payout never exceeds it
  (`balance_insufficient`) and needs payouts enabled (`payouts_not_allowed`);
  `settle_payout` (the bank's answer) emits `payout.paid` or `payout.failed`,
  and a failed payout's money is back in the balance;
- `open_dispute` (the card network's chargeback) takes the disputed amount
  from the platform's balance (`charge.dispute.created`,
  `charge.dispute.funds_withdrawn`); `close_dispute` emits
  `charge.dispute.closed`, and when won gives it back
  (`charge.dispute.funds_reinstated`);
- every movement of the platform's balance is a balance transaction with
  Stripe's type: `charge` (with Stripe's standard processing fee,
  PROCESSING_FEE_BASIS_POINTS + PROCESSING_FEE_FIXED: 2.9% + 30 minor units,
  whatever the currency; no other fee is charged, not even a dispute's),
  `refund`, `transfer`, `transfer_refund` (a reversal) and `adjustment` (a
  dispute's withdrawal or reinstatement). Payouts move connected accounts'
  balances, not the platform's, so they have none here.

Each change emits the event Stripe would (`payment_intent.succeeded`,
`payment_intent.payment_failed`, `payment_intent.requires_action`,
`payment_intent.canceled`, `refund.created` with `charge.refunded`,
`transfer.created`, `payout.created`, and the Connect events above): the event row and an outbox
message that delivers it are written in the same transaction as the change,
and the delivery job (billing/jobs.py) posts the body, signed as Stripe
signs it, to the webhook endpoint Stripe would call. An event that happened
on a connected account carries that account as `account`, as Stripe's do.
"""
from __future__ import annotations

import enum
import hashlib
import json
import secrets
import time
import typing
from dataclasses import fields
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Mapping, Sequence
from urllib.parse import urlencode

from sqlalchemy import and_, func, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert

from billing.gateway.models import (
    TestGatewayAccount, TestGatewayBalanceTransaction, TestGatewayDispute, TestGatewayEvent,
    TestGatewayIdempotencyKey, TestGatewayPaymentIntent, TestGatewayPayout, TestGatewayRefund, TestGatewayTransfer,
    TestGatewayTransferReversal,
)
from billing.gateway.port import (
    AccountLink, BalanceTransaction, Charge, ChargeFee, ConnectedAccount, Dispute, DisputeStatus, GatewayError,
    IdempotencyKeyReused, PaymentIntent, PaymentIntentStatus, Payout, PayoutStatus, Refund, RefundStatus, Transfer,
    TransferReversal, WebhookEvent,
)
from billing.gateway.signatures import signature_header, verify_event
from billing.money import Money, percentage
from tenants.db import utcnow
from tenants.locks import lock_first
from tenants.uow import UnitOfWork

# Stripe's largest amount: eight digits of minor units ($999,999.99).
MAX_AMOUNT = 99_999_999
# Stripe's metadata limits: 50 keys, keys up to 40 characters, values up to 500.
MAX_METADATA_KEYS, MAX_METADATA_KEY_LENGTH, MAX_METADATA_VALUE_LENGTH = 50, 40, 500
# The API version the events say they were rendered in.
EVENT_API_VERSION = "2026-10-28.endive"
DELIVER_EVENT_JOB = "billing.jobs.deliver_test_gateway_event"

SUCCEED, AUTHENTICATE = "succeed", "authenticate"
# Stripe's test cards (number and PaymentMethod id) and what confirming with each does:
# succeed, ask for 3-D Secure, or decline with a decline code.
TEST_PAYMENT_METHODS: dict[str, str] = {
    "4242424242424242": SUCCEED, "pm_card_visa": SUCCEED,
    "4000000000000002": "card_declined", "pm_card_chargeDeclined": "card_declined",
    "4000000000009995": "insufficient_funds", "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
    "4000002500003155": AUTHENTICATE, "pm_card_authenticationRequired": AUTHENTICATE,
}
AUTHENTICATION_FAILURE = "payment_intent_authentication_failure"
INTENT_PREFIX, CHARGE_PREFIX = "pi_", "ch_"

CONFIRMABLE = {PaymentIntentStatus.requires_payment_method, PaymentIntentStatus.requires_confirmation}
NOT_CANCELABLE = {PaymentIntentStatus.succeeded, PaymentIntentStatus.canceled}

# Stripe's standard card pricing, taken from every charge: 2.9% + 30 minor units of its currency.
PROCESSING_FEE_BASIS_POINTS, PROCESSING_FEE_FIXED = 290, 30
# The test page that stands for Stripe's hosted onboarding (an Account Link's url; the page comes with issue 14).
ONBOARDING_PAGE_PATH = "/api/v1/test-gateway/accounts/{account_id}/onboarding"
# Stripe's Account Links expire a few minutes after they are made.
ACCOUNT_LINK_TTL_SECONDS = 300
REQUESTED_CAPABILITIES = ("card_payments", "transfers")
# What an Express account must still give on the onboarding page (Stripe's `requirements.currently_due`).
ONBOARDING_REQUIREMENTS = ("business_type", "external_account", "tos_acceptance.date", "tos_acceptance.ip")
# Stripe's failure code when the bank returns a payout and the test names none.
DEFAULT_PAYOUT_FAILURE = "could_not_process"
# Payouts whose money has left their account's balance: all but the failed and canceled ones.
PAYOUTS_HOLDING_FUNDS = (PayoutStatus.pending.value, PayoutStatus.in_transit.value, PayoutStatus.paid.value)
OPEN_DISPUTE_STATUSES = {DisputeStatus.needs_response, DisputeStatus.under_review,
                         DisputeStatus.warning_needs_response, DisputeStatus.warning_under_review}
# Stripe's page of a list; the iterator fetches the next one as it is read.
BALANCE_TRANSACTIONS_PAGE_SIZE = 100


class TestGateway:
    """The `test` adapter of the PaymentGateway port (see the module docstring for its rules)."""

    __test__ = False  # a class named Test* that pytest must not collect
    name = "test"

    def __init__(self, webhook_secret: str):
        self.webhook_secret = webhook_secret

    # --- the port ---

    def create_payment_intent(self, *, amount: Money, transfer_group: str, idempotency_key: str,
                              metadata: Mapping[str, str]) -> PaymentIntent:
        _check_amount(amount)
        _check_metadata(metadata)
        request = {"operation": "create_payment_intent", "amount": amount.amount, "currency": amount.currency,
                   "transfer_group": transfer_group, "metadata": dict(metadata)}

        def create(uow: UnitOfWork) -> PaymentIntent:
            intent_id = _new_id("pi")
            row = TestGatewayPaymentIntent(
                id=intent_id, amount=amount.amount, currency=amount.currency,
                status=PaymentIntentStatus.requires_payment_method.value, transfer_group=transfer_group,
                client_secret=f"{intent_id}_secret_{secrets.token_urlsafe(18)}", metadata_=dict(metadata),
                amount_received=0, amount_refunded=0)
            uow.session.add(row)
            return _intent(row)

        return _from_json(PaymentIntent, self._idempotent(idempotency_key, request, create))

    def confirm_payment_intent(self, intent_id: str, *, payment_method: str, idempotency_key: str) -> PaymentIntent:
        request = {"operation": "confirm_payment_intent", "intent": intent_id, "payment_method": payment_method}

        def confirm(uow: UnitOfWork) -> PaymentIntent:
            row = _locked_intent(uow, intent_id)
            if PaymentIntentStatus(row.status) not in CONFIRMABLE:
                raise _unexpected_state(row, "confirm")
            outcome = TEST_PAYMENT_METHODS.get(payment_method)
            if outcome is None:
                raise GatewayError("resource_missing", f"No such PaymentMethod: '{payment_method}'")
            row.payment_method = payment_method
            if outcome == SUCCEED:
                self._succeed(uow, row)
            elif outcome == AUTHENTICATE:
                row.status, row.last_payment_error = PaymentIntentStatus.requires_action.value, None
                self._emit(uow, "payment_intent.requires_action", _stripe_json(row))
            else:
                self._fail(uow, row, decline_code=outcome)
            return _intent(row)

        return _from_json(PaymentIntent, self._idempotent(idempotency_key, request, confirm))

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntent:
        with UnitOfWork() as uow:
            return _intent(_intent_row(uow, intent_id))

    def cancel_payment_intent(self, intent_id: str, *, idempotency_key: str) -> PaymentIntent:
        request = {"operation": "cancel_payment_intent", "intent": intent_id}

        def cancel(uow: UnitOfWork) -> PaymentIntent:
            row = _locked_intent(uow, intent_id)
            if PaymentIntentStatus(row.status) in NOT_CANCELABLE:
                raise _unexpected_state(row, "cancel")
            row.status = PaymentIntentStatus.canceled.value
            self._emit(uow, "payment_intent.canceled", _stripe_json(row))
            return _intent(row)

        return _from_json(PaymentIntent, self._idempotent(idempotency_key, request, cancel))

    def create_refund(self, *, payment_intent_id: str, amount: Money, idempotency_key: str,
                      metadata: Mapping[str, str]) -> Refund:
        _check_amount(amount)
        _check_metadata(metadata)
        request = {"operation": "create_refund", "payment_intent": payment_intent_id, "amount": amount.amount,
                   "currency": amount.currency, "metadata": dict(metadata)}

        def refund(uow: UnitOfWork) -> Refund:
            intent_row = _locked_intent(uow, payment_intent_id)
            if intent_row.status != PaymentIntentStatus.succeeded.value:
                raise _unexpected_state(intent_row, "refund")
            refundable = Money(intent_row.amount_received - intent_row.amount_refunded, intent_row.currency)
            if not refundable:
                raise GatewayError("charge_already_refunded",
                                   f"PaymentIntent {payment_intent_id} has already been refunded.")
            if amount > refundable:  # CurrencyMismatch for a refund in another currency: a caller's bug
                raise GatewayError("amount_too_large", f"Refund amount ({amount.amount}) is greater than "
                                                       f"the unrefunded amount ({refundable.amount}).")
            if _charged_back(uow, intent_row):
                raise GatewayError("charge_disputed", f"The charge of {payment_intent_id} has been charged back.")
            intent_row.amount_refunded += amount.amount
            row = TestGatewayRefund(id=_new_id("re"), payment_intent_id=payment_intent_id, amount=amount.amount,
                                    currency=amount.currency, status=RefundStatus.succeeded.value,
                                    metadata_=dict(metadata))
            uow.session.add(row)
            _record_balance_transaction(uow, "refund", -amount, source=row.id)
            self._emit(uow, "refund.created", _stripe_json(row))
            self._emit(uow, "charge.refunded", _charge_json(intent_row))
            return _refund(row)

        return _from_json(Refund, self._idempotent(idempotency_key, request, refund))

    def retrieve_refund(self, refund_id: str) -> Refund:
        with UnitOfWork() as uow:
            row = uow.session.get(TestGatewayRefund, refund_id)
            if row is None:
                raise GatewayError("resource_missing", f"No such refund: '{refund_id}'")
            return _refund(row)

    def list_refunds(self, payment_intent_id: str) -> list[Refund]:
        with UnitOfWork() as uow:
            _intent_row(uow, payment_intent_id)
            rows = uow.session.scalars(select(TestGatewayRefund)
                                       .where(TestGatewayRefund.payment_intent_id == payment_intent_id)
                                       .order_by(TestGatewayRefund.created_at.desc(), TestGatewayRefund.id.desc()))
            return [_refund(row) for row in rows]

    def retrieve_charge(self, charge_id: str) -> Charge:
        with UnitOfWork() as uow:
            row = uow.session.get(TestGatewayPaymentIntent, _intent_id_of(charge_id)) \
                if charge_id.startswith(CHARGE_PREFIX) else None
            if row is None or not row.amount_received:
                raise GatewayError("resource_missing", f"No such charge: '{charge_id}'")
            fee = uow.session.scalar(select(TestGatewayBalanceTransaction.fee).where(
                TestGatewayBalanceTransaction.type == "charge", TestGatewayBalanceTransaction.source == charge_id))
            return _charge(row, fee or 0)

    def charge_fees(self, payment_intent_ids: Sequence[str]) -> dict[str, ChargeFee]:
        intent, charge_transaction = TestGatewayPaymentIntent, TestGatewayBalanceTransaction
        charge_id = literal(CHARGE_PREFIX) + func.substr(intent.id, len(INTENT_PREFIX) + 1)
        with UnitOfWork() as uow:
            # One query for them all; like retrieve_charge, a paid intent whose charge has no fee recorded has 0.
            rows = uow.session.execute(
                select(intent.id, intent.currency, charge_transaction.fee)
                .outerjoin(charge_transaction, and_(charge_transaction.type == "charge",
                                                    charge_transaction.source == charge_id))
                .where(intent.id.in_(list(payment_intent_ids)), intent.amount_received > 0))
            return {intent_id: ChargeFee(_charge_id_of(intent_id), Money(fee or 0, currency))
                    for intent_id, currency, fee in rows}

    # --- the port: Stripe Connect ---

    def create_connected_account(self, *, email: str, country: str, idempotency_key: str,
                                 metadata: Mapping[str, str]) -> ConnectedAccount:
        _check_metadata(metadata)
        if len(country) != 2 or not country.isascii() or not country.isalpha():
            raise GatewayError("country_unsupported", f"Country '{country}' is unknown or unsupported.")
        request = {"operation": "create_connected_account", "email": email, "country": country.upper(),
                   "metadata": dict(metadata)}

        def create(uow: UnitOfWork) -> ConnectedAccount:
            row = TestGatewayAccount(id=_new_id("acct"), email=email, country=country.upper(),
                                     capabilities=dict.fromkeys(REQUESTED_CAPABILITIES, "inactive"),
                                     charges_enabled=False, payouts_enabled=False, details_submitted=False,
                                     metadata_=dict(metadata))
            uow.session.add(row)
            return _account(row)

        return _from_json(ConnectedAccount, self._idempotent(idempotency_key, request, create))

    def retrieve_account(self, account_id: str) -> ConnectedAccount:
        with UnitOfWork() as uow:
            return _account(_account_row(uow, account_id))

    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str,
                            idempotency_key: str) -> AccountLink:
        request = {"operation": "create_account_link", "account": account_id, "refresh_url": refresh_url,
                   "return_url": return_url}

        def link(uow: UnitOfWork) -> AccountLink:
            _account_row(uow, account_id)
            query = urlencode({"link": secrets.token_urlsafe(18), "refresh_url": refresh_url,
                               "return_url": return_url})
            return AccountLink(url=f"{ONBOARDING_PAGE_PATH.format(account_id=account_id)}?{query}",
                               expires_at=int(time.time()) + ACCOUNT_LINK_TTL_SECONDS)

        return _from_json(AccountLink, self._idempotent(idempotency_key, request, link))

    def create_transfer(self, *, amount: Money, destination: str, source_transaction: str, transfer_group: str,
                        idempotency_key: str, metadata: Mapping[str, str]) -> Transfer:
        _check_amount(amount)
        _check_metadata(metadata)
        request = {"operation": "create_transfer", "amount": amount.amount, "currency": amount.currency,
                   "destination": destination, "source_transaction": source_transaction,
                   "transfer_group": transfer_group, "metadata": dict(metadata)}

        def transfer(uow: UnitOfWork) -> Transfer:
            # The charge's lock serializes every transfer out of it: two at once never share its remainder.
            source = _locked_charge(uow, source_transaction)
            account = _account_row(uow, destination)
            if account.capabilities.get("transfers") != "active":
                raise GatewayError("insufficient_capabilities_for_transfer",
                                   f"Your destination account {destination} needs to have at least one of the "
                                   f"following capabilities enabled: transfers, crypto_transfers, legacy_payments.")
            if amount.currency != source.currency:
                # Stripe names no code for this one, only its type.
                raise GatewayError("invalid_request_error",
                                   f"The currency of source_transaction's balance transaction "
                                   f"({source.currency.lower()}) must be the same as the transfer currency "
                                   f"({amount.currency.lower()}).")
            left = _left_to_transfer(uow, source)
            if amount > left:
                raise GatewayError("balance_insufficient",
                                   f"Insufficient funds in source_transaction {source_transaction}: "
                                   f"{left.amount} left to transfer, {amount.amount} requested.")
            row = TestGatewayTransfer(id=_new_id("tr"), amount=amount.amount, currency=amount.currency,
                                      destination=destination, source_payment_intent_id=source.id,
                                      transfer_group=transfer_group, amount_reversed=0, metadata_=dict(metadata))
            uow.session.add(row)
            _record_balance_transaction(uow, "transfer", -amount, source=row.id)
            self._emit(uow, "transfer.created", _transfer_json(row))
            return _transfer(row)

        return _from_json(Transfer, self._idempotent(idempotency_key, request, transfer))

    def retrieve_transfer(self, transfer_id: str) -> Transfer:
        with UnitOfWork() as uow:
            return _transfer(_transfer_row(uow, transfer_id))

    def create_transfer_reversal(self, transfer_id: str, *, amount: Money, idempotency_key: str,
                                 metadata: Mapping[str, str]) -> TransferReversal:
        _check_amount(amount)
        _check_metadata(metadata)
        request = {"operation": "create_transfer_reversal", "transfer": transfer_id, "amount": amount.amount,
                   "currency": amount.currency, "metadata": dict(metadata)}

        def reverse(uow: UnitOfWork) -> TransferReversal:
            # The destination's lock first (as a payout takes it), then the transfer's.
            destination = _transfer_row(uow, transfer_id).destination
            _account_row(uow, destination, for_update=True)
            row = _transfer_row(uow, transfer_id, for_update=True)
            reversible = Money(row.amount - row.amount_reversed, row.currency)
            if amount > reversible:  # CurrencyMismatch for a reversal in another currency: a caller's bug
                raise GatewayError("amount_too_large", f"Reversal amount ({amount.amount}) is greater than what is "
                                                       f"left of the transfer ({reversible.amount}).")
            available = _available_balance(uow, destination, row.currency)
            if amount > available:
                raise GatewayError("balance_insufficient",
                                   f"The destination account {destination} has {available.amount} available, "
                                   f"less than the reversal's {amount.amount}.")
            row.amount_reversed += amount.amount
            reversal = TestGatewayTransferReversal(id=_new_id("trr"), transfer_id=transfer_id, amount=amount.amount,
                                                   currency=amount.currency, metadata_=dict(metadata))
            uow.session.add(reversal)
            _record_balance_transaction(uow, "transfer_refund", amount, source=reversal.id)
            self._emit(uow, "transfer.reversed", _transfer_json(row))
            return _reversal(reversal)

        return _from_json(TransferReversal, self._idempotent(idempotency_key, request, reverse))

    def create_payout(self, *, account_id: str, amount: Money, idempotency_key: str,
                      metadata: Mapping[str, str]) -> Payout:
        _check_amount(amount)
        _check_metadata(metadata)
        request = {"operation": "create_payout", "account": account_id, "amount": amount.amount,
                   "currency": amount.currency, "metadata": dict(metadata)}

        def pay_out(uow: UnitOfWork) -> Payout:
            # The account's lock serializes what leaves its balance: payouts and reversals.
            account = _account_row(uow, account_id, for_update=True)
            if not account.payouts_enabled:
                raise GatewayError("payouts_not_allowed", f"Payouts are not enabled on account {account_id}.")
            available = _available_balance(uow, account_id, amount.currency)
            if amount > available:
                raise GatewayError("balance_insufficient",
                                   f"You have insufficient funds in your Stripe account: {available.amount} "
                                   f"{amount.currency} available, {amount.amount} requested.")
            row = TestGatewayPayout(id=_new_id("po"), account_id=account_id, amount=amount.amount,
                                    currency=amount.currency, status=PayoutStatus.pending.value,
                                    metadata_=dict(metadata))
            uow.session.add(row)
            self._emit(uow, "payout.created", _payout_json(row), account=account_id)
            return _payout(row)

        return _from_json(Payout, self._idempotent(idempotency_key, request, pay_out))

    def retrieve_payout(self, account_id: str, payout_id: str) -> Payout:
        with UnitOfWork() as uow:
            return _payout(_payout_row(uow, account_id, payout_id))

    def retrieve_dispute(self, dispute_id: str) -> Dispute:
        with UnitOfWork() as uow:
            return _dispute(_dispute_row(uow, dispute_id))

    def list_balance_transactions(self, *, created_gte: int, created_lt: int) -> Iterator[BalanceTransaction]:
        newest_first = (TestGatewayBalanceTransaction.created_at.desc(), TestGatewayBalanceTransaction.id.desc())
        query = (select(TestGatewayBalanceTransaction)
                 .where(TestGatewayBalanceTransaction.created_at >= _timestamp(created_gte),
                        TestGatewayBalanceTransaction.created_at < _timestamp(created_lt))
                 .order_by(*newest_first).limit(BALANCE_TRANSACTIONS_PAGE_SIZE))
        last_seen = None
        while True:
            with UnitOfWork() as uow:
                page_query = query if last_seen is None else query.where(
                    tuple_(TestGatewayBalanceTransaction.created_at, TestGatewayBalanceTransaction.id) < last_seen)
                page = list(uow.session.scalars(page_query))
                transactions = [_balance_transaction(row) for row in page]
                last_seen = (page[-1].created_at, page[-1].id) if page else None
            yield from transactions
            if len(page) < BALANCE_TRANSACTIONS_PAGE_SIZE:
                return

    def construct_event(self, payload: bytes, signature_header: str) -> WebhookEvent:
        return verify_event(payload, signature_header, self.webhook_secret)

    # --- what only the test gateway does ---

    def authenticate(self, intent_id: str, approve: bool) -> PaymentIntent:
        """The buyer's answer on the 3-D Secure page: approved, the payment succeeds; refused, it fails.

        Either way the intent leaves `requires_action`; a refused one is
        payable again with another card, as at Stripe.
        """
        with UnitOfWork() as uow:
            row = _locked_intent(uow, intent_id)
            if row.status != PaymentIntentStatus.requires_action.value:
                raise _unexpected_state(row, "authenticate")
            if approve:
                self._succeed(uow, row)
            else:
                self._fail(uow, row, decline_code=AUTHENTICATION_FAILURE)
            intent = _intent(row)
            uow.commit()
        return intent

    def complete_onboarding(self, account_id: str) -> ConnectedAccount:
        """What the seller finishing Stripe's hosted onboarding does: charges, transfers and payouts enabled.

        Emits `account.updated` on that account; nothing (no event) if it was onboarded already.
        """
        with UnitOfWork() as uow:
            row = _account_row(uow, account_id, for_update=True)
            if not row.details_submitted:
                row.details_submitted = row.charges_enabled = row.payouts_enabled = True
                row.capabilities = dict.fromkeys(REQUESTED_CAPABILITIES, "active")
                self._emit(uow, "account.updated", _account_json(row), account=account_id)
            account = _account(row)
            uow.commit()
        return account

    def settle_payout(self, account_id: str, payout_id: str, paid: bool, failure_code: str | None = None) -> Payout:
        """The bank's answer to a pending payout: `payout.paid`, or `payout.failed` and its money back in the balance."""
        with UnitOfWork() as uow:
            _account_row(uow, account_id, for_update=True)
            row = _payout_row(uow, account_id, payout_id)
            if row.status not in (PayoutStatus.pending.value, PayoutStatus.in_transit.value):
                raise GatewayError("payout_unexpected_state", f"Payout {payout_id} is already {row.status}.")
            if paid:
                row.status = PayoutStatus.paid.value
            else:
                row.status, row.failure_code = PayoutStatus.failed.value, failure_code or DEFAULT_PAYOUT_FAILURE
            self._emit(uow, f"payout.{row.status}", _payout_json(row), account=account_id)
            payout = _payout(row)
            uow.commit()
        return payout

    def open_dispute(self, charge_id: str, amount: Money, reason: str) -> Dispute:
        """A buyer's bank disputes a charge: the amount leaves the platform's balance at once, as at Stripe."""
        _check_amount(amount)
        with UnitOfWork() as uow:
            intent_row = _locked_charge(uow, charge_id)
            if uow.session.scalar(select(TestGatewayDispute.id)
                                  .where(TestGatewayDispute.payment_intent_id == intent_row.id)):
                raise GatewayError("charge_disputed", f"Charge {charge_id} is already disputed.")
            disputable = Money(intent_row.amount_received - intent_row.amount_refunded, intent_row.currency)
            if amount > disputable:
                raise GatewayError("amount_too_large", f"A dispute of {amount.amount} exceeds the charge's "
                                                       f"unrefunded {disputable.amount}.")
            row = TestGatewayDispute(id=_new_id("dp"), payment_intent_id=intent_row.id, amount=amount.amount,
                                     currency=amount.currency, status=DisputeStatus.needs_response.value,
                                     reason=reason)
            uow.session.add(row)
            _record_balance_transaction(uow, "adjustment", -amount, source=row.id)
            self._emit(uow, "charge.dispute.created", _dispute_json(row))
            self._emit(uow, "charge.dispute.funds_withdrawn", _dispute_json(row))
            dispute = _dispute(row)
            uow.commit()
        return dispute

    def close_dispute(self, dispute_id: str, won: bool) -> Dispute:
        """The card network's decision: `charge.dispute.closed`; a won dispute's money comes back (`funds_reinstated`)."""
        with UnitOfWork() as uow:
            row = _dispute_row(uow, dispute_id, for_update=True)
            if DisputeStatus(row.status) not in OPEN_DISPUTE_STATUSES:
                raise GatewayError("dispute_unexpected_state", f"Dispute {dispute_id} is already {row.status}.")
            row.status = (DisputeStatus.won if won else DisputeStatus.lost).value
            self._emit(uow, "charge.dispute.closed", _dispute_json(row))
            if won:
                _record_balance_transaction(uow, "adjustment", Money(row.amount, row.currency), source=row.id)
                self._emit(uow, "charge.dispute.funds_reinstated", _dispute_json(row))
            dispute = _dispute(row)
            uow.commit()
        return dispute

    def client_secret_matches(self, intent_id: str, client_secret: str) -> bool:
        """Whether `client_secret` is the intent's: the 3-D Secure page is for the buyer holding it only."""
        with UnitOfWork() as uow:
            stored = uow.session.scalar(select(TestGatewayPaymentIntent.client_secret)
                                        .where(TestGatewayPaymentIntent.id == intent_id))
        return stored is not None and secrets.compare_digest(stored, client_secret)

    def signed_delivery(self, event_id: str) -> tuple[bytes, str] | None:
        """The body of an undelivered event and its Stripe-Signature, signed now (as each of Stripe's attempts is).

        None once the event is delivered.
        """
        with UnitOfWork() as uow:
            event = uow.session.get(TestGatewayEvent, event_id)
            if event is None or event.delivered_at is not None:
                return None
            body = event.body.encode()
        return body, signature_header(body, self.webhook_secret)

    def mark_delivered(self, event_id: str) -> None:
        with UnitOfWork() as uow:
            uow.session.execute(update(TestGatewayEvent).where(TestGatewayEvent.id == event_id)
                                .values(delivered_at=utcnow()))
            uow.commit()

    # --- inside one call's transaction ---

    def _succeed(self, uow: UnitOfWork, row: TestGatewayPaymentIntent) -> None:
        row.status, row.last_payment_error = PaymentIntentStatus.succeeded.value, None
        row.amount_received = row.amount
        charged = Money(row.amount, row.currency)
        fee = percentage(charged, PROCESSING_FEE_BASIS_POINTS) + Money(PROCESSING_FEE_FIXED, row.currency)
        _record_balance_transaction(uow, "charge", charged, source=_charge_id_of(row.id), fee=fee)
        self._emit(uow, "payment_intent.succeeded", _stripe_json(row))

    def _fail(self, uow: UnitOfWork, row: TestGatewayPaymentIntent, decline_code: str) -> None:
        row.status, row.last_payment_error = PaymentIntentStatus.requires_payment_method.value, decline_code
        self._emit(uow, "payment_intent.payment_failed", _stripe_json(row))

    def _emit(self, uow: UnitOfWork, event_type: str, event_object: dict[str, Any],
              account: str | None = None) -> None:
        """The event Stripe sends of a change; `account` is the connected account it happened on, if any."""
        event_id = _new_id("evt")
        body = {"id": event_id, "object": "event", "api_version": EVENT_API_VERSION, "created": int(time.time()),
                "type": event_type, "livemode": False, "pending_webhooks": 1,
                "data": {"object": event_object}}
        if account is not None:
            body["account"] = account
        uow.session.add(TestGatewayEvent(id=event_id, type=event_type, body=json.dumps(body)))
        uow.add_message(DELIVER_EVENT_JOB, {"event_id": event_id}, queue="default")

    def _idempotent(self, key: str, request: dict[str, Any], perform: Callable[[UnitOfWork], Any]) -> dict:
        """Run `perform` once per key, in one transaction with the key's record; a replay answers the stored result.

        The key's row is inserted first: a concurrent request with the same
        key waits on it, then finds the first one's answer (or, if that one
        failed and rolled back, runs in its place).
        """
        fingerprint = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        with UnitOfWork() as uow:
            claimed = uow.session.execute(
                insert(TestGatewayIdempotencyKey)
                .values(key=key, request_fingerprint=fingerprint, response={})
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(TestGatewayIdempotencyKey.key)
            ).scalar_one_or_none()
            if claimed is None:
                stored = uow.session.get(TestGatewayIdempotencyKey, key)
                if stored.request_fingerprint != fingerprint:
                    raise IdempotencyKeyReused(
                        "idempotency_error",
                        f"Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with; {key!r} was used with other parameters.")
                return stored.response
            response = _to_json(perform(uow))
            uow.session.execute(update(TestGatewayIdempotencyKey).where(TestGatewayIdempotencyKey.key == key)
                                .values(response=response))
            uow.commit()
        return response


def _check_amount(amount: Money) -> None:
    if amount.amount < 1:
        raise GatewayError("amount_too_small", "Amount must be at least 1 minor unit.")
    if amount.amount > MAX_AMOUNT:
        raise GatewayError("amount_too_large", f"Amount must be no more than {MAX_AMOUNT} minor units.")


def _check_metadata(metadata: Mapping[str, str]) -> None:
    too_long = [key for key, value in metadata.items()
                if len(key) > MAX_METADATA_KEY_LENGTH or len(str(value)) > MAX_METADATA_VALUE_LENGTH]
    if len(metadata) > MAX_METADATA_KEYS or too_long:
        raise GatewayError("parameter_invalid_metadata",
                           f"Metadata holds at most {MAX_METADATA_KEYS} keys of up to {MAX_METADATA_KEY_LENGTH} "
                           f"characters, values of up to {MAX_METADATA_VALUE_LENGTH}.")


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _intent_row(uow: UnitOfWork, intent_id: str, for_update: bool = False) -> TestGatewayPaymentIntent:
    query = select(TestGatewayPaymentIntent).where(TestGatewayPaymentIntent.id == intent_id)
    row = lock_first(uow.session, query) if for_update else uow.session.scalar(query)
    if row is None:
        raise GatewayError("resource_missing", f"No such payment_intent: '{intent_id}'")
    return row


def _locked_intent(uow: UnitOfWork, intent_id: str) -> TestGatewayPaymentIntent:
    return _intent_row(uow, intent_id, for_update=True)


def _unexpected_state(row: TestGatewayPaymentIntent, action: str) -> GatewayError:
    return GatewayError("payment_intent_unexpected_state",
                        f"You cannot {action} this PaymentIntent because it has a status of {row.status}.")


def _intent(row: TestGatewayPaymentIntent) -> PaymentIntent:
    return PaymentIntent(
        id=row.id, status=PaymentIntentStatus(row.status), amount=Money(row.amount, row.currency),
        transfer_group=row.transfer_group, client_secret=row.client_secret, metadata=dict(row.metadata_),
        last_payment_error=row.last_payment_error, amount_refundable=row.amount_received - row.amount_refunded,
        latest_charge=_charge_id_of(row.id) if row.amount_received else None)


def _locked_charge(uow: UnitOfWork, charge_id: str) -> TestGatewayPaymentIntent:
    """The paying intent of a charge, locked: what is left of the charge is decided under this lock."""
    query = select(TestGatewayPaymentIntent).where(TestGatewayPaymentIntent.id == _intent_id_of(charge_id))
    row = lock_first(uow.session, query) if charge_id.startswith(CHARGE_PREFIX) else None
    if row is None or not row.amount_received:
        raise GatewayError("resource_missing", f"No such charge: '{charge_id}'")
    return row


def _charged_back(uow: UnitOfWork, intent_row: TestGatewayPaymentIntent) -> bool:
    """Whether the intent's charge has a dispute that is open or lost: the buyer's bank took the money back."""
    return uow.session.scalar(select(TestGatewayDispute.id).where(
        TestGatewayDispute.payment_intent_id == intent_row.id,
        TestGatewayDispute.status != DisputeStatus.won.value)) is not None


def _charge_id_of(intent_id: str) -> str:
    return CHARGE_PREFIX + intent_id.removeprefix(INTENT_PREFIX)


def _intent_id_of(charge_id: str) -> str:
    return INTENT_PREFIX + charge_id.removeprefix(CHARGE_PREFIX)


def _charge(row: TestGatewayPaymentIntent, fee: int) -> Charge:
    return Charge(id=_charge_id_of(row.id), payment_intent_id=row.id, amount=Money(row.amount_received, row.currency),
                  amount_refunded=row.amount_refunded, fee=Money(fee, row.currency))


def _charge_json(row: TestGatewayPaymentIntent) -> dict[str, Any]:
    """The intent's charge as Stripe renders it in a `charge.*` event."""
    return {"id": _charge_id_of(row.id), "object": "charge", "amount": row.amount_received,
            "amount_captured": row.amount_received, "amount_refunded": row.amount_refunded,
            "currency": row.currency.lower(), "payment_intent": row.id,
            "refunded": row.amount_refunded == row.amount_received, "status": "succeeded",
            "metadata": dict(row.metadata_)}


def _refund(row: TestGatewayRefund) -> Refund:
    return Refund(id=row.id, payment_intent_id=row.payment_intent_id, amount=Money(row.amount, row.currency),
                  status=RefundStatus(row.status), metadata=dict(row.metadata_), failure_reason=row.failure_reason)


def _to_json(value: Any) -> dict:
    """A port value as the JSON an idempotency key's record keeps (Money as its two fields, enums as values)."""
    stored = {}
    for value_field in fields(value):
        item = getattr(value, value_field.name)
        if isinstance(item, Money):
            item = {"amount": item.amount, "currency": item.currency}
        elif isinstance(item, enum.Enum):
            item = item.value
        elif isinstance(item, tuple):
            item = list(item)
        elif isinstance(item, Mapping):
            item = dict(item)
        stored[value_field.name] = item
    return stored


def _from_json(value_type: type, stored: dict) -> Any:
    """The port value `_to_json` stored, rebuilt by its declared field types."""
    hints = typing.get_type_hints(value_type)
    values = {}
    for name, item in stored.items():
        hint = hints[name]
        if hint is Money:
            item = Money(**item)
        elif isinstance(hint, type) and issubclass(hint, enum.Enum):
            item = hint(item)
        elif typing.get_origin(hint) is tuple:
            item = tuple(item)
        values[name] = item
    return value_type(**values)


def _stripe_json(row: TestGatewayPaymentIntent | TestGatewayRefund) -> dict[str, Any]:
    """The object as Stripe renders it in an event's `data.object` (the fields a receiver reads)."""
    common = {"id": row.id, "amount": row.amount, "currency": row.currency.lower(), "status": row.status,
              "metadata": dict(row.metadata_)}
    if isinstance(row, TestGatewayRefund):
        return {**common, "object": "refund", "payment_intent": row.payment_intent_id,
                "failure_reason": row.failure_reason}
    error = {"code": "card_declined", "decline_code": row.last_payment_error} if row.last_payment_error else None
    return {**common, "object": "payment_intent", "amount_received": row.amount_received,
            "transfer_group": row.transfer_group, "payment_method": row.payment_method,
            "last_payment_error": error}


# --- Stripe Connect's records ---

def _account_row(uow: UnitOfWork, account_id: str, for_update: bool = False) -> TestGatewayAccount:
    query = select(TestGatewayAccount).where(TestGatewayAccount.id == account_id)
    row = lock_first(uow.session, query) if for_update else uow.session.scalar(query)
    if row is None:
        raise GatewayError("resource_missing", f"No such account: '{account_id}'")
    return row


def _transfer_row(uow: UnitOfWork, transfer_id: str, for_update: bool = False) -> TestGatewayTransfer:
    query = select(TestGatewayTransfer).where(TestGatewayTransfer.id == transfer_id)
    row = lock_first(uow.session, query) if for_update else uow.session.scalar(query)
    if row is None:
        raise GatewayError("resource_missing", f"No such transfer: '{transfer_id}'")
    return row


def _payout_row(uow: UnitOfWork, account_id: str, payout_id: str) -> TestGatewayPayout:
    """A payout of that account only: another account's payout id is as unknown to it as at Stripe."""
    row = uow.session.scalar(select(TestGatewayPayout)
                             .where(TestGatewayPayout.id == payout_id, TestGatewayPayout.account_id == account_id))
    if row is None:
        raise GatewayError("resource_missing", f"No such payout: '{payout_id}'")
    return row


def _dispute_row(uow: UnitOfWork, dispute_id: str, for_update: bool = False) -> TestGatewayDispute:
    query = select(TestGatewayDispute).where(TestGatewayDispute.id == dispute_id)
    row = lock_first(uow.session, query) if for_update else uow.session.scalar(query)
    if row is None:
        raise GatewayError("resource_missing", f"No such dispute: '{dispute_id}'")
    return row


def _left_to_transfer(uow: UnitOfWork, source: TestGatewayPaymentIntent) -> Money:
    """What a charge can still fund: captured − refunded − transferred from it + reversed back."""
    transferred, reversed_back = uow.session.execute(
        select(func.coalesce(func.sum(TestGatewayTransfer.amount), 0),
               func.coalesce(func.sum(TestGatewayTransfer.amount_reversed), 0))
        .where(TestGatewayTransfer.source_payment_intent_id == source.id)).one()
    return Money(source.amount_received - source.amount_refunded - int(transferred) + int(reversed_back),
                 source.currency)


def _available_balance(uow: UnitOfWork, account_id: str, currency: str) -> Money:
    """A connected account's balance in `currency`: transfers in − reversals − payouts not failed or canceled."""
    transferred_in = select(func.coalesce(func.sum(TestGatewayTransfer.amount - TestGatewayTransfer.amount_reversed),
                                          0)).where(TestGatewayTransfer.destination == account_id,
                                                    TestGatewayTransfer.currency == currency)
    paid_out = select(func.coalesce(func.sum(TestGatewayPayout.amount), 0)).where(
        TestGatewayPayout.account_id == account_id, TestGatewayPayout.currency == currency,
        TestGatewayPayout.status.in_(PAYOUTS_HOLDING_FUNDS))
    return Money(int(uow.session.scalar(transferred_in)) - int(uow.session.scalar(paid_out)), currency)


def _record_balance_transaction(uow: UnitOfWork, transaction_type: str, amount: Money, source: str,
                                fee: Money | None = None) -> None:
    uow.session.add(TestGatewayBalanceTransaction(
        id=_new_id("txn"), type=transaction_type, amount=amount.amount, currency=amount.currency,
        fee=fee.amount if fee else 0, source=source))


def _timestamp(unix_time: int) -> datetime:
    return datetime.fromtimestamp(unix_time, timezone.utc)


def _account(row: TestGatewayAccount) -> ConnectedAccount:
    return ConnectedAccount(id=row.id, charges_enabled=row.charges_enabled, payouts_enabled=row.payouts_enabled,
                            details_submitted=row.details_submitted,
                            requirements_due=() if row.details_submitted else ONBOARDING_REQUIREMENTS,
                            metadata=dict(row.metadata_))


def _transfer(row: TestGatewayTransfer) -> Transfer:
    return Transfer(id=row.id, amount=Money(row.amount, row.currency), destination=row.destination,
                    source_transaction=_charge_id_of(row.source_payment_intent_id),
                    transfer_group=row.transfer_group, amount_reversed=Money(row.amount_reversed, row.currency),
                    metadata=dict(row.metadata_))


def _reversal(row: TestGatewayTransferReversal) -> TransferReversal:
    return TransferReversal(id=row.id, transfer_id=row.transfer_id, amount=Money(row.amount, row.currency),
                            metadata=dict(row.metadata_))


def _payout(row: TestGatewayPayout) -> Payout:
    return Payout(id=row.id, account_id=row.account_id, amount=Money(row.amount, row.currency),
                  status=PayoutStatus(row.status), failure_code=row.failure_code, metadata=dict(row.metadata_))


def _dispute(row: TestGatewayDispute) -> Dispute:
    return Dispute(id=row.id, charge_id=_charge_id_of(row.payment_intent_id), payment_intent_id=row.payment_intent_id,
                   amount=Money(row.amount, row.currency), status=DisputeStatus(row.status), reason=row.reason)


def _balance_transaction(row: TestGatewayBalanceTransaction) -> BalanceTransaction:
    return BalanceTransaction(id=row.id, type=row.type, amount=Money(row.amount, row.currency),
                              fee=Money(row.fee, row.currency), net=Money(row.amount - row.fee, row.currency),
                              source=row.source, created=int(row.created_at.timestamp()))


# Connect objects as Stripe renders them in an event's `data.object` (the fields a receiver reads).

def _account_json(row: TestGatewayAccount) -> dict[str, Any]:
    return {"id": row.id, "object": "account", "type": "express", "email": row.email, "country": row.country,
            "charges_enabled": row.charges_enabled, "payouts_enabled": row.payouts_enabled,
            "details_submitted": row.details_submitted, "capabilities": dict(row.capabilities),
            "requirements": {"currently_due": [] if row.details_submitted else list(ONBOARDING_REQUIREMENTS),
                             "disabled_reason": None if row.details_submitted else "requirements.past_due"},
            "metadata": dict(row.metadata_)}


def _transfer_json(row: TestGatewayTransfer) -> dict[str, Any]:
    return {"id": row.id, "object": "transfer", "amount": row.amount, "amount_reversed": row.amount_reversed,
            "currency": row.currency.lower(), "destination": row.destination,
            "source_transaction": _charge_id_of(row.source_payment_intent_id), "transfer_group": row.transfer_group,
            "reversed": row.amount_reversed == row.amount, "metadata": dict(row.metadata_)}


def _payout_json(row: TestGatewayPayout) -> dict[str, Any]:
    return {"id": row.id, "object": "payout", "amount": row.amount, "currency": row.currency.lower(),
            "status": row.status, "failure_code": row.failure_code, "metadata": dict(row.metadata_)}


def _dispute_json(row: TestGatewayDispute) -> dict[str, Any]:
    return {"id": row.id, "object": "dispute", "amount": row.amount, "currency": row.currency.lower(),
            "charge": _charge_id_of(row.payment_intent_id), "payment_intent": row.payment_intent_id,
            "status": row.status, "reason": row.reason}
