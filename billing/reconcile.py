"""Reconciliation: the ledger's movements of the platform's processor balance against the processor's own record.

For a period [start, end), the ledger side is every posting on
gateway_balance of a transaction that occurred in it, summed per gateway
object (the transaction's `gateway_source`: a charge, refund, transfer,
reversal or dispute) and currency; the processor's side is its balance
transactions created in it (`list_balance_transactions`), their `net`
summed per source object. Both count money in as positive. Every
difference is reported:

- missing_in_ledger: the processor moved money the ledger does not know of;
- missing_at_gateway: the ledger moved money the processor did not (or a
  ledger movement names no gateway object, so nothing can vouch for it);
- amount_mismatch: both know the object, with other amounts.

A daily run (billing/jobs.py) records its report; `flask billing reconcile` prints one.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing.gateway.port import PaymentGateway
from billing.ledger_models import AccountKind, LedgerAccount, LedgerPosting, LedgerTransaction
from billing.payout_models import ReconciliationReport
from tenants.uow import UnitOfWork

MISSING_IN_LEDGER, MISSING_AT_GATEWAY, AMOUNT_MISMATCH = "missing_in_ledger", "missing_at_gateway", "amount_mismatch"


@dataclass(frozen=True)
class Difference:
    kind: str
    # The gateway object (`ch_…`); for a ledger movement that names none, the ledger transaction's external id.
    source: str
    currency: str
    ledger_amount: int
    gateway_amount: int


@dataclass
class Report:
    period_start: datetime
    period_end: datetime
    matched_count: int = 0
    differences: list[Difference] = field(default_factory=list)


def reconcile(session: Session, gateway: PaymentGateway, start: datetime, end: datetime) -> Report:
    """Compare the ledger with the processor over [start, end) (see the module docstring)."""
    ledger_side, unsourced = _ledger_movements(session, start, end)
    gateway_side = _gateway_movements(gateway, start, end)
    report = Report(start, end)
    for key in sorted(ledger_side.keys() | gateway_side.keys()):
        source, currency = key
        in_ledger, at_gateway = ledger_side.get(key), gateway_side.get(key)
        if in_ledger == at_gateway:
            report.matched_count += 1
        elif in_ledger is None:
            report.differences.append(Difference(MISSING_IN_LEDGER, source, currency, 0, at_gateway))
        elif at_gateway is None:
            if in_ledger != 0:  # a movement and its correction: nothing moved
                report.differences.append(Difference(MISSING_AT_GATEWAY, source, currency, in_ledger, 0))
        else:
            report.differences.append(Difference(AMOUNT_MISMATCH, source, currency, in_ledger, at_gateway))
    report.differences += [Difference(MISSING_AT_GATEWAY, external_id, currency, amount, 0)
                           for external_id, currency, amount in unsourced]
    return report


def record_daily_report(gateway: PaymentGateway, day: date) -> int | None:
    """Reconcile one UTC day and store the report: its id; None if that day's report is stored already."""
    start = datetime.combine(day, time.min, tzinfo=timezone.utc)
    end = start + timedelta(days=1)
    with UnitOfWork() as uow:
        recorded = uow.session.scalar(select(ReconciliationReport.id).where(
            ReconciliationReport.period_start == start, ReconciliationReport.period_end == end))
        if recorded is not None:
            return None
        report = reconcile(uow.session, gateway, start, end)
        row = ReconciliationReport(period_start=start, period_end=end, matched_count=report.matched_count,
                                   difference_count=len(report.differences),
                                   differences=[asdict(difference) for difference in report.differences])
        uow.session.add(row)
        uow.session.flush()
        report_id = row.id
        uow.commit()
    return report_id


def _ledger_movements(session: Session, start: datetime, end: datetime
                      ) -> tuple[dict[tuple[str, str], int], list[tuple[str, str, int]]]:
    """Net gateway_balance movement per (gateway source, currency), and those of transactions naming no source."""
    moved = (select(LedgerTransaction.gateway_source, LedgerTransaction.external_id, LedgerPosting.currency,
                    func.sum(LedgerPosting.amount))
             .join(LedgerPosting, LedgerPosting.transaction_id == LedgerTransaction.id)
             .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
             .where(LedgerAccount.kind == AccountKind.GATEWAY_BALANCE,
                    LedgerTransaction.occurred_at >= start, LedgerTransaction.occurred_at < end)
             .group_by(LedgerTransaction.gateway_source, LedgerTransaction.external_id, LedgerPosting.currency))
    by_source: dict[tuple[str, str], int] = defaultdict(int)
    unsourced = []
    for source, external_id, currency, amount in session.execute(moved):
        if source is None:
            if amount:
                unsourced.append((external_id, currency, int(amount)))
        else:
            by_source[(source, currency)] += int(amount)
    return dict(by_source), sorted(unsourced)


def _gateway_movements(gateway: PaymentGateway, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
    by_source: dict[tuple[str, str], int] = defaultdict(int)
    for transaction in gateway.list_balance_transactions(created_gte=int(start.timestamp()),
                                                         created_lt=int(end.timestamp())):
        by_source[(transaction.source or transaction.id, transaction.net.currency)] += transaction.net.amount
    return dict(by_source)
