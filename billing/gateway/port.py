"""What the marketplace asks of a payment processor, in Stripe's terms.

Every adapter (the stateful `TestGateway`, the `StripeGateway` on the official
`stripe` package) answers these calls with the same frozen values, so nothing
outside `billing/gateway/` ever sees a Stripe object or a gateway row. Amounts
are `Money` (integer minor units); ids are the processor's (`pi_…`, `re_…`,
`evt_…`). Each call that creates or changes something takes the idempotency
key the caller derives from its own records (`pi:{order}`, `re:{refund}`),
so a retried call never charges, cancels or refunds twice.

A declined card is not an exception: `confirm_payment_intent` answers the
intent back in `requires_payment_method` with `last_payment_error` set, as
Stripe leaves it, and the order stays payable.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Mapping, Protocol

from billing.money import Money

# Stripe's webhook signature tolerance: an event older than this is refused.
WEBHOOK_TOLERANCE_SECONDS = 300


class PaymentIntentStatus(str, enum.Enum):
    requires_payment_method = "requires_payment_method"
    requires_confirmation = "requires_confirmation"
    requires_action = "requires_action"
    processing = "processing"
    requires_capture = "requires_capture"
    canceled = "canceled"
    succeeded = "succeeded"


class RefundStatus(str, enum.Enum):
    pending = "pending"
    requires_action = "requires_action"
    succeeded = "succeeded"
    failed = "failed"
    canceled = "canceled"


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: PaymentIntentStatus
    amount: Money
    # The marketplace order this intent pays for (Stripe's `transfer_group`, later joined by transfers).
    transfer_group: str | None
    client_secret: str | None
    metadata: Mapping[str, str] = field(default_factory=dict)
    # Stripe's decline code (or error code) of the last failed attempt, e.g. "card_declined", "insufficient_funds".
    last_payment_error: str | None = None
    # Amount captured and not yet refunded; zero until the intent succeeds.
    amount_refundable: int = 0
    # The charge that paid it (`ch_…`, the `source_transaction` of transfers to sellers); None until it is paid.
    latest_charge: str | None = None


@dataclass(frozen=True)
class Refund:
    id: str
    payment_intent_id: str
    amount: Money
    status: RefundStatus
    metadata: Mapping[str, str] = field(default_factory=dict)
    failure_reason: str | None = None


@dataclass(frozen=True)
class Charge:
    """The money a paid intent captured: `charge.*` events name it, and refunds come out of it."""

    id: str
    payment_intent_id: str | None
    amount: Money
    amount_refunded: int


@dataclass(frozen=True)
class WebhookEvent:
    """A verified event: its id (stored once), its type, and the object it names (re-read before acting)."""

    id: str
    type: str
    object_type: str
    object_id: str
    created: int


class GatewayError(Exception):
    """The processor refused a request; `code` is Stripe's error code (e.g. "idempotency_key_in_use")."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class IdempotencyKeyReused(GatewayError):
    """A key was sent again with other parameters (Stripe's `idempotency_error`)."""


class InvalidSignature(Exception):
    """A webhook payload whose signature or timestamp does not verify."""


class PaymentGateway(Protocol):
    """The port; `billing.gateway.registry.current_gateway()` gives the one the app was configured with."""

    name: str

    def create_payment_intent(self, *, amount: Money, transfer_group: str, idempotency_key: str,
                              metadata: Mapping[str, str]) -> PaymentIntent: ...

    def confirm_payment_intent(self, intent_id: str, *, payment_method: str, idempotency_key: str) -> PaymentIntent: ...

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntent: ...

    def cancel_payment_intent(self, intent_id: str, *, idempotency_key: str) -> PaymentIntent: ...

    def create_refund(self, *, payment_intent_id: str, amount: Money, idempotency_key: str,
                      metadata: Mapping[str, str]) -> Refund: ...

    def retrieve_refund(self, refund_id: str) -> Refund: ...

    def list_refunds(self, payment_intent_id: str) -> list[Refund]:
        """Every refund of the intent, newest first (as Stripe lists them), whoever made it."""
        ...

    def retrieve_charge(self, charge_id: str) -> Charge: ...

    def construct_event(self, payload: bytes, signature_header: str) -> WebhookEvent:
        """Verify Stripe-Signature on the raw body (tolerance WEBHOOK_TOLERANCE_SECONDS), or raise InvalidSignature."""
        ...
