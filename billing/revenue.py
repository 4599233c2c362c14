"""The platform's revenue by period and currency, from its own ledger accounts.

    commission           commission_revenue's credits − debits (commission given back on refunds lowers it)
    plan fees            plan_fees' credits − debits
    processing fees net  processing_fees' debits − credits: what the processor charged, less the shares
                         sellers bear (the platform's own cost of processing)
    net revenue          commission + plan fees − processing fees net
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from billing.ledger_models import AccountKind, LedgerAccount, LedgerPosting, LedgerTransaction

PERIODS = ("day", "week", "month", "year")


@dataclass(frozen=True)
class Revenue:
    period_start: datetime
    currency: str
    commission: int
    plan_fees: int
    processing_fees_net: int

    @property
    def net_revenue(self) -> int:
        return self.commission + self.plan_fees - self.processing_fees_net


def revenue_by_period(session: Session, period: str, start: datetime | None = None, end: datetime | None = None
                      ) -> list[Revenue]:
    """Revenue per `period` (a PERIODS unit, in UTC) and currency, oldest first, within [start, end) if given."""
    if period not in PERIODS:
        raise ValueError(f"A period is one of {', '.join(PERIODS)}.")
    period_start = func.date_trunc(period, func.timezone("UTC", LedgerTransaction.occurred_at))

    def total(kind: AccountKind):
        # On the account's normal side; processing fees are a cost, counted positive when charged.
        sign = kind.normal_side.value
        return func.coalesce(func.sum(case((LedgerAccount.kind == kind, LedgerPosting.amount * sign), else_=0)), 0)

    statement = (select(period_start, LedgerPosting.currency, total(AccountKind.COMMISSION_REVENUE),
                        total(AccountKind.PLAN_FEES), total(AccountKind.PROCESSING_FEES))
                 .select_from(LedgerTransaction)
                 .join(LedgerPosting, LedgerPosting.transaction_id == LedgerTransaction.id)
                 .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
                 .where(LedgerAccount.kind.in_((AccountKind.COMMISSION_REVENUE, AccountKind.PLAN_FEES,
                                                AccountKind.PROCESSING_FEES)))
                 .group_by(period_start, LedgerPosting.currency)
                 .order_by(period_start, LedgerPosting.currency))
    if start is not None:
        statement = statement.where(LedgerTransaction.occurred_at >= start)
    if end is not None:
        statement = statement.where(LedgerTransaction.occurred_at < end)
    return [Revenue(started.replace(tzinfo=timezone.utc), currency, int(commission), int(plan_fees), int(fees))
            for started, currency, commission, plan_fees, fees in session.execute(statement)]

