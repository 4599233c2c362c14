"""A seller's payout account: its connected account at the payment processor, as the processor last described it.

One per seller (tenant). The processor's `account.updated` event, re-read
through the gateway port, is the only thing that changes the flags: the
seller coming back from onboarding proves nothing.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, String, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import SharedBase


class PayoutAccount(SharedBase):
    __tablename__ = "payout_accounts"

    tenant_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tenants.id"), primary_key=True)
    # The processor's id of the connected account (`acct_…`).
    gateway_account_id: Mapped[str] = mapped_column(String(255), unique=True)
    charges_enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Transfers and payouts go only to a seller whose account has this.
    payouts_enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    details_submitted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # What the processor still asks of the seller (its `requirements.currently_due`).
    requirements_due: Mapped[list[str]] = mapped_column(ARRAY(String(200)), server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
