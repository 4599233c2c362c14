"""Payout schedules, payout runs with their per-seller results, and reconciliation reports (shared schema).

A seller's money reaches its bank in payout runs (billing/payouts.py): a run
looks at every seller with money on its connected account, pays out those due
by their schedule, and records one result per seller and currency. A paid
result names the gateway's payout, whose later fate (`payout.paid`,
`payout.failed`) lands on the same row.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, func, text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import SharedBase, checked_enum


class PayoutFrequency(str, enum.Enum):
    DAILY = "daily"
    # On one weekday (`weekday`: 0 is Monday).
    WEEKLY = "weekly"
    # Only when an operator starts a run: scheduled runs leave the seller's money where it is.
    MANUAL = "manual"


class PayoutSchedule(SharedBase):
    """When a seller is paid out, and the least worth paying; a seller without a row is paid daily."""

    __tablename__ = "payout_schedules"

    tenant_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tenants.id"), primary_key=True)
    frequency: Mapped[PayoutFrequency] = mapped_column(checked_enum(PayoutFrequency, "payout_frequency"))
    weekday: Mapped[int | None] = mapped_column(Integer)
    # Minor units of whichever currency is paid out; None: the PAYOUT_MINIMUM_AMOUNT setting.
    minimum_amount: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("(weekday IS NOT NULL) = (frequency = 'weekly')", name="weekday_only_when_weekly"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_in_week"),
        CheckConstraint("minimum_amount >= 0", name="minimum_amount_not_negative"),
    )


class PayoutRunTrigger(str, enum.Enum):
    SCHEDULED = "scheduled"
    OPERATOR = "operator"


class PayoutRunStatus(str, enum.Enum):
    QUEUED = "queued"
    FINISHED = "finished"


class PayoutRun(SharedBase):
    """One pass over the sellers; a scheduled run is unique per day, so the scheduler starting it twice is one run."""

    __tablename__ = "payout_runs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    trigger: Mapped[PayoutRunTrigger] = mapped_column(checked_enum(PayoutRunTrigger, "payout_run_trigger"))
    # The day whose schedules the run applies (a weekly seller is due on its weekday).
    run_on: Mapped[date] = mapped_column(Date)
    # The operator who started it; None for a scheduled run.
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[PayoutRunStatus] = mapped_column(checked_enum(PayoutRunStatus, "payout_run_status"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    results: Mapped[list["PayoutRunResult"]] = relationship(
        order_by="(PayoutRunResult.tenant_id, PayoutRunResult.currency)", lazy="selectin")

    __table_args__ = (
        # One scheduled run per day: the scheduler enqueuing it twice starts it once.
        Index("uq_payout_runs_scheduled_run_on", "run_on", unique=True, postgresql_where=text("trigger = 'scheduled'")),
    )


class PayoutOutcome(str, enum.Enum):
    PAID = "paid"
    SKIPPED = "skipped"
    FAILED = "failed"


class PayoutStatus(str, enum.Enum):
    """A paid result's payout as the gateway last reported it."""

    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"


class PayoutRunResult(SharedBase):
    """What a run did for one seller in one currency: paid (with its payout), skipped (why) or failed (why)."""

    __tablename__ = "payout_run_results"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payout_runs.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    # The seller's available balance when the run looked at it (minor units).
    available_amount: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[PayoutOutcome] = mapped_column(checked_enum(PayoutOutcome, "payout_outcome"))
    reason: Mapped[str | None] = mapped_column(String(500))
    gateway_payout_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payout_status: Mapped[PayoutStatus | None] = mapped_column(checked_enum(PayoutStatus, "payout_status"))
    failure_code: Mapped[str | None] = mapped_column(String(100))
    ledger_transaction_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("run_id", "tenant_id", "currency"),
        CheckConstraint("(outcome = 'paid') = (gateway_payout_id IS NOT NULL)", name="paid_names_its_payout"),
    )


class ReconciliationReport(SharedBase):
    """One comparison of the ledger with the gateway's balance transactions over [period_start, period_end)."""

    __tablename__ = "reconciliation_reports"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    period_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    matched_count: Mapped[int] = mapped_column(Integer)
    difference_count: Mapped[int] = mapped_column(Integer)
    # Each difference: {"kind", "source", "currency", "ledger_amount", "gateway_amount"}.
    differences: Mapped[list[dict]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
