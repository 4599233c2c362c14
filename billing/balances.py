"""A seller's figures per currency, read from the ledger as billing/postings.py defines them.

    available  = connected_balance                 (transferred, not paid out yet)
    pending    = payable − connected_balance       (earned, not transferred yet)
    receivable = receivable                        (what the seller owes the platform)
    paid out   = Σ payout transactions, less the corrections of those that failed

Every figure of many sellers comes from two grouped queries, whatever their number.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from billing.ledger_models import AccountKind, LedgerAccount, LedgerPosting, LedgerTransaction, TransactionKind
from billing.money import Money


@dataclass(frozen=True)
class SellerBalance:
    currency: str
    available: Money
    pending: Money
    receivable: Money
    paid_out: Money


def seller_balances(session: Session, tenant_ids: Iterable[int], as_of: datetime | None = None
                    ) -> dict[int, list[SellerBalance]]:
    """Each seller's figures in every currency it has an account in (currency order); [] for one with none."""
    tenant_ids = list(tenant_ids)
    totals = _signed_totals(session, tenant_ids, as_of)
    paid_out = _paid_out(session, tenant_ids, as_of)
    balances: dict[int, list[SellerBalance]] = {tenant_id: [] for tenant_id in tenant_ids}
    for tenant_id, currency in sorted({(tenant_id, currency) for tenant_id, _, currency in totals}):
        def total(kind: AccountKind) -> int:
            return totals.get((tenant_id, kind, currency), 0) * kind.normal_side.value

        connected = total(AccountKind.CONNECTED_BALANCE)
        balances[tenant_id].append(SellerBalance(
            currency=currency,
            available=Money(connected, currency),
            pending=Money(total(AccountKind.SELLER_PAYABLE) - connected, currency),
            receivable=Money(total(AccountKind.SELLER_RECEIVABLE), currency),
            paid_out=Money(paid_out.get((tenant_id, currency), 0), currency),
        ))
    return balances


def _signed_totals(session: Session, tenant_ids: list[int], as_of: datetime | None
                   ) -> dict[tuple[int, AccountKind, str], int]:
    statement = (select(LedgerAccount.tenant_id, LedgerAccount.kind, LedgerAccount.currency,
                        func.coalesce(func.sum(LedgerPosting.amount), 0))
                 .outerjoin(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
                 .where(LedgerAccount.tenant_id.in_(tenant_ids))
                 .group_by(LedgerAccount.tenant_id, LedgerAccount.kind, LedgerAccount.currency))
    if as_of is not None:
        statement = statement.outerjoin(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id).where(
            or_(LedgerTransaction.id.is_(None), LedgerTransaction.occurred_at < as_of))
    return {(tenant_id, kind, currency): int(total) for tenant_id, kind, currency, total in session.execute(statement)}


def _paid_out(session: Session, tenant_ids: list[int], as_of: datetime | None) -> dict[tuple[int, str], int]:
    # A payout debits the seller's payable; the correction of a failed one credits it back.
    reversed_transaction = aliased(LedgerTransaction)
    statement = (select(LedgerAccount.tenant_id, LedgerPosting.currency, func.sum(LedgerPosting.amount))
                 .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
                 .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
                 .outerjoin(reversed_transaction, reversed_transaction.id == LedgerTransaction.reverses_id)
                 .where(LedgerAccount.tenant_id.in_(tenant_ids), LedgerAccount.kind == AccountKind.SELLER_PAYABLE,
                        or_(LedgerTransaction.kind == TransactionKind.PAYOUT,
                            reversed_transaction.kind == TransactionKind.PAYOUT))
                 .group_by(LedgerAccount.tenant_id, LedgerPosting.currency))
    if as_of is not None:
        statement = statement.where(LedgerTransaction.occurred_at < as_of)
    return {(tenant_id, currency): int(total) for tenant_id, currency, total in session.execute(statement)}


def sellers_with_available_money(session: Session) -> list[tuple[int, str]]:
    """(seller, currency) of every positive connected balance: what a payout run looks at, in seller order."""
    statement = (select(LedgerAccount.tenant_id, LedgerAccount.currency)
                 .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
                 .where(LedgerAccount.kind == AccountKind.CONNECTED_BALANCE)
                 .group_by(LedgerAccount.tenant_id, LedgerAccount.currency)
                 .having(func.sum(LedgerPosting.amount) > 0)
                 .order_by(LedgerAccount.tenant_id, LedgerAccount.currency))
    return [(tenant_id, currency) for tenant_id, currency in session.execute(statement)]

