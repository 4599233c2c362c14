"""What the marketplace asks of a payment processor, in Stripe's terms.

Every adapter (the stateful `TestGateway`, the `StripeGateway` on the official
`stripe` package) answers these calls with the same frozen values, so nothing
outside `billing/gateway/` ever sees a Stripe object or a gateway row. Amounts
are `Money` (integer minor units); ids are the processor's (`pi_…`, `re_…`,
`evt_…`). Each call that creates or changes something takes the idempotency
key the caller derives from its own records (`pi:{order}`, `re:{refund}`),
so a retried call never charges, cancels or refunds twice.

Stripe Connect (issue 13): each seller is an Express connected account
(`acct_…`), onboarded through an Account Link; transfers (`tr_…`) move a
seller's share of a charge to its account (`source_transaction` is that
charge), reversals (`trr_…`) take some back, payouts (`po_…`) leave a
connected account for its bank. Disputes (`dp_…`) and the platform's
balance transactions (`txn_…`, for reconciliation) are read only.

A declined card is not an exception: `confirm_payment_intent` answers the
intent back in `requires_payment_method` with `last_payment_error` set, as
Stripe leaves it, and the order stays payable.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterator, Mapping, Protocol, Sequence

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
    # The processor's fee taken from it (its balance transaction's `fee`): what settlement spreads over sellers.
    fee: Money


@dataclass(frozen=True)
class ChargeFee:
    """The charge that paid an intent and the processor's fee of it: what settlement needs of a payment."""

    charge_id: str
    fee: Money


class PayoutStatus(str, enum.Enum):
    pending = "pending"
    in_transit = "in_transit"
    paid = "paid"
    failed = "failed"
    canceled = "canceled"


class DisputeStatus(str, enum.Enum):
    warning_needs_response = "warning_needs_response"
    warning_under_review = "warning_under_review"
    warning_closed = "warning_closed"
    needs_response = "needs_response"
    under_review = "under_review"
    won = "won"
    lost = "lost"
    prevented = "prevented"


@dataclass(frozen=True)
class ConnectedAccount:
    """A seller's Express account: it can be paid (transfers) once onboarded, and paid out once payouts are enabled."""

    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    # Stripe's `requirements.currently_due`: what the seller must still provide on the onboarding page.
    requirements_due: tuple[str, ...]
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountLink:
    """A single-use onboarding page address for one account; it expires (unix time) within minutes."""

    url: str
    expires_at: int


@dataclass(frozen=True)
class Transfer:
    id: str
    amount: Money
    destination: str
    # The charge (`ch_…`) whose funds it moves: a transfer never exceeds what is left of that charge.
    source_transaction: str | None
    transfer_group: str | None
    amount_reversed: Money
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TransferReversal:
    id: str
    transfer_id: str
    amount: Money
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Payout:
    id: str
    account_id: str
    amount: Money
    status: PayoutStatus
    # Stripe's payout failure code (e.g. "account_closed") once it failed.
    failure_code: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Dispute:
    id: str
    charge_id: str
    payment_intent_id: str | None
    amount: Money
    status: DisputeStatus
    # Stripe's dispute reason, e.g. "fraudulent", "product_not_received".
    reason: str


@dataclass(frozen=True)
class BalanceTransaction:
    """One movement of the platform's Stripe balance: what reconciliation compares the ledger with.

    `type` is Stripe's (charge, refund, transfer, transfer_refund for a
    reversal, adjustment for a dispute's withdrawal or reinstatement, ...);
    `amount` is signed (negative leaves the balance), `net` = amount − fee.
    """

    id: str
    type: str
    amount: Money
    fee: Money
    net: Money
    # The object that moved the money (`ch_…`, `re_…`, `tr_…`, `trr_…`, `dp_…`).
    source: str | None
    created: int


@dataclass(frozen=True)
class WebhookEvent:
    """A verified event: its id (stored once), its type, and the object it names (re-read before acting).

    `account` is the connected account an event happened on (`acct_…`,
    Stripe's Connect events: `account.updated`, `payout.*`); None for the
    platform's own events. A payout is read back on that account.
    """

    id: str
    type: str
    object_type: str
    object_id: str
    created: int
    account: str | None = None


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

    def charge_fees(self, payment_intent_ids: Sequence[str]) -> dict[str, ChargeFee]:
        """The charge and fee of each paid intent of `payment_intent_ids`, by intent id; unpaid ones are left out.

        What `retrieve_payment_intent` then `retrieve_charge` answer, for many
        intents at once: settlement reads a whole batch of orders' fees so.
        """
        ...

    # --- Stripe Connect ---

    def create_connected_account(self, *, email: str, country: str, idempotency_key: str,
                                 metadata: Mapping[str, str]) -> ConnectedAccount:
        """An Express account requesting the card_payments and transfers capabilities; nothing enabled yet."""
        ...

    def retrieve_account(self, account_id: str) -> ConnectedAccount: ...

    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str,
                            idempotency_key: str) -> AccountLink:
        """An `account_onboarding` link; returning from it proves nothing (`account.updated` does)."""
        ...

    def create_transfer(self, *, amount: Money, destination: str, source_transaction: str, transfer_group: str,
                        idempotency_key: str, metadata: Mapping[str, str]) -> Transfer:
        """Move part of a charge to a connected account whose transfers capability is active.

        Refused ("insufficient_capabilities_for_transfer") to an account not
        yet onboarded, and ("balance_insufficient") past what is left of the
        source charge: captured − refunded − transferred + reversed.
        """
        ...

    def retrieve_transfer(self, transfer_id: str) -> Transfer: ...

    def create_transfer_reversal(self, transfer_id: str, *, amount: Money, idempotency_key: str,
                                 metadata: Mapping[str, str]) -> TransferReversal:
        """Take back part of a transfer, never more than amount − amount_reversed."""
        ...

    def create_payout(self, *, account_id: str, amount: Money, idempotency_key: str,
                      metadata: Mapping[str, str]) -> Payout:
        """Pay a connected account's available balance out to its bank (a request made as that account)."""
        ...

    def retrieve_payout(self, account_id: str, payout_id: str) -> Payout: ...

    def retrieve_dispute(self, dispute_id: str) -> Dispute: ...

    def list_balance_transactions(self, *, created_gte: int, created_lt: int) -> Iterator[BalanceTransaction]:
        """The platform's balance transactions created in [created_gte, created_lt) (unix times), newest first.

        Pages are fetched as the iterator is read, so a month of them never sits in memory at once.
        """
        ...

    def construct_event(self, payload: bytes, signature_header: str) -> WebhookEvent:
        """Verify Stripe-Signature on the raw body (tolerance WEBHOOK_TOLERANCE_SECONDS), or raise InvalidSignature."""
        ...
