"""A seller's statement for a period: every ledger movement of its money, and the balances it leads from and to.

Two running figures, per currency, both from the seller's own accounts:

    balance    = payable − receivable   what the platform owes the seller, net of
                                        what the seller owes it (an order's
                                        settlement raises it, a refund, a lost
                                        dispute, a plan fee or a payout lowers it)
    available  = connected_balance      transferred to the seller's connected account
                                        and not paid out yet (a transfer raises it,
                                        a reversal or a payout lowers it)

Each line is one ledger transaction touching the seller's accounts, with what
it changed of each figure, so the lines of a period sum exactly to the
change between its opening and closing figures. The period is [start, end)
of the transactions' `occurred_at`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from billing.ledger_models import AccountKind, LedgerAccount, LedgerPosting, LedgerTransaction, TransactionKind

BALANCE_KINDS = (AccountKind.SELLER_PAYABLE, AccountKind.SELLER_RECEIVABLE)


@dataclass(frozen=True)
class StatementLine:
    transaction_id: int
    occurred_at: datetime
    kind: TransactionKind
    external_id: str
    description: str
    order_id: int | None
    balance_change: int
    available_change: int


@dataclass(frozen=True)
class Statement:
    currency: str
    opening_balance: int
    closing_balance: int
    opening_available: int
    closing_available: int
    lines: list[StatementLine]


def seller_statements(session: Session, tenant_id: int, start: datetime, end: datetime) -> list[Statement]:
    """One statement per currency the seller has accounts in (currency order), for [start, end)."""
    opening = _figures_before(session, tenant_id, start)
    closing = _figures_before(session, tenant_id, end)
    lines = _lines(session, tenant_id, start, end)
    return [
        Statement(currency=currency,
                  opening_balance=opening.get(currency, (0, 0))[0], closing_balance=closing.get(currency, (0, 0))[0],
                  opening_available=opening.get(currency, (0, 0))[1],
                  closing_available=closing.get(currency, (0, 0))[1],
                  lines=[line for line_currency, line in lines if line_currency == currency])
        for currency in _currencies(session, tenant_id)
    ]


def _changes():
    """A posting's change of the balance (payable − receivable, so minus its signed amount) and of available."""
    balance_change = case((LedgerAccount.kind.in_(BALANCE_KINDS), -LedgerPosting.amount), else_=0)
    available_change = case((LedgerAccount.kind == AccountKind.CONNECTED_BALANCE, LedgerPosting.amount), else_=0)
    return func.coalesce(func.sum(balance_change), 0), func.coalesce(func.sum(available_change), 0)


def _seller_postings(statement, tenant_id: int):
    return (statement.join(LedgerPosting, LedgerPosting.transaction_id == LedgerTransaction.id)
            .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
            .where(LedgerAccount.tenant_id == tenant_id))


def _figures_before(session: Session, tenant_id: int, instant: datetime) -> dict[str, tuple[int, int]]:
    statement = _seller_postings(select(LedgerPosting.currency, *_changes()).select_from(LedgerTransaction),
                                 tenant_id).where(LedgerTransaction.occurred_at < instant).group_by(
        LedgerPosting.currency)
    return {currency: (int(balance), int(available)) for currency, balance, available in session.execute(statement)}


def _lines(session: Session, tenant_id: int, start: datetime, end: datetime) -> list[tuple[str, StatementLine]]:
    statement = _seller_postings(
        select(LedgerTransaction.id, LedgerTransaction.occurred_at, LedgerTransaction.kind,
               LedgerTransaction.external_id, LedgerTransaction.description, LedgerTransaction.order_id,
               LedgerPosting.currency, *_changes()).select_from(LedgerTransaction), tenant_id,
    ).where(LedgerTransaction.occurred_at >= start, LedgerTransaction.occurred_at < end).group_by(
        LedgerTransaction.id, LedgerPosting.currency).order_by(LedgerTransaction.occurred_at, LedgerTransaction.id)
    return [(currency, StatementLine(transaction_id, occurred_at, kind, external_id, description, order_id,
                                     int(balance), int(available)))
            for transaction_id, occurred_at, kind, external_id, description, order_id, currency, balance, available
            in session.execute(statement)]


def _currencies(session: Session, tenant_id: int) -> list[str]:
    return list(session.scalars(select(LedgerAccount.currency).where(LedgerAccount.tenant_id == tenant_id)
                                .distinct().order_by(LedgerAccount.currency)))
