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
  captured amount (`charge_already_refunded`, `amount_too_large`);
- a paid intent has one charge, `ch_…` named after it (`pi_X` is paid by
  `ch_X`), which holds what was captured and refunded.

Each change emits the event Stripe would (`payment_intent.succeeded`,
`payment_intent.payment_failed`, `payment_intent.requires_action`,
`payment_intent.canceled`, `refund.created` with `charge.refunded`): the event row and an outbox
message that delivers it are written in the same transaction as the change,
and the delivery job (billing/jobs.py) posts the body, signed as Stripe
signs it, to the webhook endpoint Stripe would call.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict
from typing import Any, Callable, Mapping

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from billing.gateway.models import (
    TestGatewayEvent, TestGatewayIdempotencyKey, TestGatewayPaymentIntent, TestGatewayRefund,
)
from billing.gateway.port import (
    Charge, GatewayError, IdempotencyKeyReused, PaymentIntent, PaymentIntentStatus, Refund, RefundStatus, WebhookEvent,
)
from billing.gateway.signatures import signature_header, verify_event
from billing.money import Money
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

        return _intent_from_dict(self._idempotent(idempotency_key, request, create))

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

        return _intent_from_dict(self._idempotent(idempotency_key, request, confirm))

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

        return _intent_from_dict(self._idempotent(idempotency_key, request, cancel))

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
            intent_row.amount_refunded += amount.amount
            row = TestGatewayRefund(id=_new_id("re"), payment_intent_id=payment_intent_id, amount=amount.amount,
                                    currency=amount.currency, status=RefundStatus.succeeded.value,
                                    metadata_=dict(metadata))
            uow.session.add(row)
            self._emit(uow, "refund.created", _stripe_json(row))
            self._emit(uow, "charge.refunded", _charge_json(intent_row))
            return _refund(row)

        return _refund_from_dict(self._idempotent(idempotency_key, request, refund))

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
            return _charge(row)

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
        self._emit(uow, "payment_intent.succeeded", _stripe_json(row))

    def _fail(self, uow: UnitOfWork, row: TestGatewayPaymentIntent, decline_code: str) -> None:
        row.status, row.last_payment_error = PaymentIntentStatus.requires_payment_method.value, decline_code
        self._emit(uow, "payment_intent.payment_failed", _stripe_json(row))

    def _emit(self, uow: UnitOfWork, event_type: str, event_object: dict[str, Any]) -> None:
        event_id = _new_id("evt")
        body = {"id": event_id, "object": "event", "api_version": EVENT_API_VERSION, "created": int(time.time()),
                "type": event_type, "livemode": False, "pending_webhooks": 1,
                "data": {"object": event_object}}
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


def _charge_id_of(intent_id: str) -> str:
    return CHARGE_PREFIX + intent_id.removeprefix(INTENT_PREFIX)


def _intent_id_of(charge_id: str) -> str:
    return INTENT_PREFIX + charge_id.removeprefix(CHARGE_PREFIX)


def _charge(row: TestGatewayPaymentIntent) -> Charge:
    return Charge(id=_charge_id_of(row.id), payment_intent_id=row.id, amount=Money(row.amount_received, row.currency),
                  amount_refunded=row.amount_refunded)


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


def _to_json(value: PaymentIntent | Refund) -> dict:
    as_dict = asdict(value)
    as_dict["amount"] = {"amount": value.amount.amount, "currency": value.amount.currency}
    as_dict["status"] = value.status.value
    return as_dict


def _intent_from_dict(stored: dict) -> PaymentIntent:
    return PaymentIntent(**{**stored, "amount": Money(**stored["amount"]),
                            "status": PaymentIntentStatus(stored["status"])})


def _refund_from_dict(stored: dict) -> Refund:
    return Refund(**{**stored, "amount": Money(**stored["amount"]), "status": RefundStatus(stored["status"])})


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
