"""SaaS plans' tables: the plans operators define, the plan each seller is on, and the monthly invoices.

A plan has a monthly fee (minor units and its currency; no currency for a
free plan), an optional commission override in basis points and an optional
product limit. One plan is the default (`is_default`): the plan of every
seller that was never moved to another, so a seller without a subscription
row is on it (billing/plans.py resolves that).

A subscription records the plan of the current monthly period and, when an
operator changed it, the plan of the periods from `next_plan_from` (the first
day of a later month): a change never alters the period under way.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint,
    func, text,
)
from sqlalchemy.orm import Mapped, mapped_column

from billing.money import BASIS_POINTS_PER_WHOLE
from tenants.db import SharedBase, Timestamps

PLAN_NAME_MAX_LENGTH = 80
PLAN_NAME_CONSTRAINT = "uq_plans_name"
INVOICE_PERIOD_CONSTRAINT = "uq_plan_invoices_tenant_id_period_start"


class Plan(Timestamps, SharedBase):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(PLAN_NAME_MAX_LENGTH))
    monthly_fee_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The fee's currency; null for a free plan, which any seller may be on whatever it sells in.
    currency: Mapped[str | None] = mapped_column(String(3))
    # Replaces the marketplace's default commission rule for the plan's sellers (billing/commission.py).
    commission_basis_points: Mapped[int | None] = mapped_column(Integer)
    # Products not archived a seller may have; null for no limit.
    product_limit: Mapped[int | None] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    __table_args__ = (
        UniqueConstraint("name", name=PLAN_NAME_CONSTRAINT),
        # One default plan.
        Index("uq_plans_default", "is_default", unique=True, postgresql_where=text("is_default")),
        CheckConstraint("monthly_fee_amount >= 0", name="monthly_fee_not_negative"),
        CheckConstraint("(monthly_fee_amount = 0) = (currency IS NULL)", name="monthly_fee_has_currency"),
        CheckConstraint(f"commission_basis_points BETWEEN 0 AND {BASIS_POINTS_PER_WHOLE}",
                        name="commission_basis_points_range"),
        CheckConstraint("product_limit >= 0", name="product_limit_not_negative"),
    )


class PlanSubscription(SharedBase):
    """The plan a seller is on, and the plan it moves to at the start of a later period."""

    __tablename__ = "plan_subscriptions"

    tenant_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tenants.id", ondelete="CASCADE"),
                                           primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    next_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    # The first day (UTC) of the first period on `next_plan_id`.
    next_plan_from: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())

    __table_args__ = (
        CheckConstraint("(next_plan_id IS NULL) = (next_plan_from IS NULL)", name="next_plan_has_start"),
    )


class PlanInvoice(SharedBase):
    """A seller's plan fee for one monthly period, as charged: once per (seller, period)."""

    __tablename__ = "plan_invoices"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tenants.id"))
    # The first day (UTC) of the month charged for.
    period_start: Mapped[date] = mapped_column(Date)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    # The plan's name and fee when charged: a later change of the plan changes no invoice.
    plan_name: Mapped[str] = mapped_column(String(PLAN_NAME_MAX_LENGTH))
    fee_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # The part of the fee the seller's pending balance could not cover: moved to its receivable.
    owed_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("tenant_id", "period_start", name=INVOICE_PERIOD_CONSTRAINT),
        CheckConstraint("fee_amount > 0", name="fee_positive"),
        CheckConstraint("owed_amount BETWEEN 0 AND fee_amount", name="owed_within_fee"),
    )
