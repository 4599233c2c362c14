"""The TestGateway's own records, in the shared schema: what a remote processor would hold on its side.

Nothing outside `billing/gateway/test_gateway.py` reads these tables; the
marketplace sees only the port's frozen values, as it would from Stripe.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, String, Text, false, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import SharedBase, Timestamps

# Stripe's ids and keys fit these lengths (an idempotency key is at most 255 characters).
OBJECT_ID_LENGTH = 64
IDEMPOTENCY_KEY_LENGTH = 255


class TestGatewayPaymentIntent(Timestamps, SharedBase):
    __tablename__ = "test_gateway_payment_intents"

    id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # A PaymentIntentStatus value; the legal moves are TestGateway's (Stripe's).
    status: Mapped[str] = mapped_column(String(30))
    transfer_group: Mapped[str | None] = mapped_column(String(200))
    client_secret: Mapped[str] = mapped_column(String(100))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB)
    # The payment method of the last confirmation (a test card number or a pm_card_* id).
    payment_method: Mapped[str | None] = mapped_column(String(100))
    last_payment_error: Mapped[str | None] = mapped_column(String(60))
    amount_received: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class TestGatewayRefund(SharedBase):
    __tablename__ = "test_gateway_refunds"

    id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), primary_key=True)
    payment_intent_id: Mapped[str] = mapped_column(
        # Named here: the naming convention's name would pass PostgreSQL's 63 characters.
        ForeignKey("test_gateway_payment_intents.id", ondelete="CASCADE", name="fk_test_gateway_refunds_intent"),
        index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(30))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB)
    failure_reason: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TestGatewayIdempotencyKey(SharedBase):
    """A key's first request (its fingerprint) and the answer every replay of it gets."""

    __tablename__ = "test_gateway_idempotency_keys"

    key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_LENGTH), primary_key=True)
    # SHA-256 of the operation and its parameters: a replay with other parameters is IdempotencyKeyReused.
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TestGatewayEvent(SharedBase):
    """An event as the gateway sends it: the exact JSON body that each delivery signs."""

    __tablename__ = "test_gateway_events"

    id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# --- Stripe Connect: the platform's connected accounts and the money moved to them ---

class TestGatewayAccount(Timestamps, SharedBase):
    """An Express connected account; onboarding (`complete_onboarding`) enables charges, transfers and payouts."""

    __tablename__ = "test_gateway_accounts"

    id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    country: Mapped[str] = mapped_column(String(2))
    # Each requested capability's Stripe status: {"card_payments": "inactive", "transfers": "active"}.
    capabilities: Mapped[dict[str, Any]] = mapped_column(JSONB)
    charges_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    payouts_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    details_submitted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB)


class TestGatewayTransfer(SharedBase):
    __tablename__ = "test_gateway_transfers"

    id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    destination: Mapped[str] = mapped_column(
        ForeignKey("test_gateway_accounts.id", ondelete="CASCADE", name="fk_test_gateway_transfers_destination"),
        index=True)
    # The paying intent of the source charge (`ch_X` is pi_X's): what a transfer may not exceed.
    source_payment_intent_id: Mapped[str] = mapped_column(
        ForeignKey("test_gateway_payment_intents.id", ondelete="CASCADE", name="fk_test_gateway_transfers_source"),
        index=True)
    transfer_group: Mapped[str | None] = mapped_column(String(200))
    amount_reversed: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TestGatewayTransferReversal(SharedBase):
    __tablename__ = "test_gateway_transfer_reversals"

    id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), primary_key=True)
    transfer_id: Mapped[str] = mapped_column(
        ForeignKey("test_gateway_transfers.id", ondelete="CASCADE", name="fk_test_gateway_reversals_transfer"),
        index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TestGatewayPayout(SharedBase):
    __tablename__ = "test_gateway_payouts"

    id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("test_gateway_accounts.id", ondelete="CASCADE", name="fk_test_gateway_payouts_account"),
        index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # A PayoutStatus value: pending until `settle_payout` (the bank's answer) makes it paid or failed.
    status: Mapped[str] = mapped_column(String(20))
    failure_code: Mapped[str | None] = mapped_column(String(60))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TestGatewayDispute(SharedBase):
    __tablename__ = "test_gateway_disputes"

    id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), primary_key=True)
    # The disputed charge's intent; a charge is disputed at most once, as at Stripe (checked under its lock).
    payment_intent_id: Mapped[str] = mapped_column(
        ForeignKey("test_gateway_payment_intents.id", ondelete="CASCADE", name="fk_test_gateway_disputes_intent"),
        index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TestGatewayBalanceTransaction(SharedBase):
    """A movement of the platform's balance, as Stripe lists them (`GET /v1/balance_transactions`)."""

    __tablename__ = "test_gateway_balance_transactions"
    __table_args__ = (Index("ix_test_gateway_balance_transactions_created", "created_at", "id"),
                      # A charge's fee is read by its source (`retrieve_charge`), once per order settled.
                      Index("ix_test_gateway_balance_transactions_source", "source"))

    id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
