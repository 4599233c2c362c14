"""The record of mails sent (shared schema): what went to whom, once per dedupe key. Never the body."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from tenants.db import SharedBase


class MailDelivery(SharedBase):
    """A mail handed to the SMTP server. `dedupe_key` makes a re-delivered job send nothing.

    The body is not kept: it may carry a one-time token.
    """

    __tablename__ = "mail_deliveries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
