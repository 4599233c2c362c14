"""The double-entry ledger: every movement of money after a payment, as balanced, immutable transactions.

    with UnitOfWork() as uow:
        ledger.post(uow, TransactionKind.PAYMENT, "payment:pi_123", [
            debit(GATEWAY_BALANCE, Money(1000, "EUR")),
            credit(seller_payable(seller.id), Money(880, "EUR")),
            credit(COMMISSION_REVENUE, Money(120, "EUR")),
        ], order_id=order.id)
        uow.commit()

Rules (TigerBeetle's, see STYLE.md): an entry is immutable; a transaction
balances per currency (its debits equal its credits in each currency); a
correction is a new transaction negating an earlier one (`reverse`); each
transaction has an external id unique across the ledger, so posting the same
thing twice records it once and returns the first (jobs may run twice); a
balance is the sum of postings. The database enforces the first two
(billing/ledger_models.py); this module refuses bad entries before they get there.

Amounts are `Money`, never floats; an entry's amount is positive and its side
says which way it goes. A posting stores it signed (debit positive, credit
negative). `balance` answers on the account's normal side: what a seller's
payable account owes that seller is a positive amount.

The ledger lives in the control database, so it is written from a unit of
work bound to no tenant; `post` does not commit, its caller's service does.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from billing.ledger_models import (
    DESCRIPTION_MAX_LENGTH, EXTERNAL_ID_MAX_LENGTH, AccountKind, LedgerAccount, LedgerPosting, LedgerTransaction, Side,
    TransactionKind,
)
from billing.money import Money
from tenants.shards import DEFAULT_SHARD
from tenants.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class AccountRef:
    """An account of the catalogue, in any currency: a kind, and the seller for per-seller kinds."""

    kind: AccountKind
    tenant_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind.is_per_seller and self.tenant_id is None:
            raise ValueError(f"A {self.kind.value} account belongs to a seller: give its tenant_id.")
        if not self.kind.is_per_seller and self.tenant_id is not None:
            raise ValueError(f"A {self.kind.value} account is the platform's: it has no tenant_id.")


GATEWAY_BALANCE = AccountRef(AccountKind.GATEWAY_BALANCE)
COMMISSION_REVENUE = AccountRef(AccountKind.COMMISSION_REVENUE)
PROCESSING_FEES = AccountRef(AccountKind.PROCESSING_FEES)
REFUNDS = AccountRef(AccountKind.REFUNDS)
DISPUTE_LOSSES = AccountRef(AccountKind.DISPUTE_LOSSES)
PLAN_FEES = AccountRef(AccountKind.PLAN_FEES)


def seller_payable(tenant_id: int) -> AccountRef:
    return AccountRef(AccountKind.SELLER_PAYABLE, tenant_id)


def seller_receivable(tenant_id: int) -> AccountRef:
    return AccountRef(AccountKind.SELLER_RECEIVABLE, tenant_id)


def connected_balance(tenant_id: int) -> AccountRef:
    return AccountRef(AccountKind.CONNECTED_BALANCE, tenant_id)


@dataclass(frozen=True, slots=True)
class Entry:
    """One side of a transaction: a positive amount debited or credited to an account."""

    account: AccountRef
    side: Side
    amount: Money

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Money):
            raise TypeError(f"An entry's amount is Money, not {type(self.amount).__name__}.")
        if self.amount.amount <= 0:
            raise ValueError(f"An entry's amount is positive (its side gives the direction), not {self.amount}.")

    @property
    def signed_amount(self) -> int:
        """The posting's stored amount: positive for a debit, negative for a credit."""
        return self.side.value * self.amount.amount


def debit(account: AccountRef, amount: Money) -> Entry:
    return Entry(account, Side.DEBIT, amount)


def credit(account: AccountRef, amount: Money) -> Entry:
    return Entry(account, Side.CREDIT, amount)


class UnbalancedEntries(ValueError):
    """Entries whose debits and credits differ in some currency: `differences` maps it to debits minus credits."""

    def __init__(self, differences: dict[str, int]):
        self.differences = differences
        super().__init__("Debits and credits differ: " + ", ".join(
            f"{currency} by {difference}" for currency, difference in sorted(differences.items())))


class LedgerTransactionNotFound(LookupError):
    def __init__(self, transaction_id: int):
        self.transaction_id = transaction_id
        super().__init__(f"No ledger transaction {transaction_id}.")


class AlreadyReversed(Exception):
    """The transaction was corrected already, by `reversal_id`: a transaction is reversed at most once."""

    def __init__(self, transaction_id: int, reversal_id: int):
        self.transaction_id = transaction_id
        self.reversal_id = reversal_id
        super().__init__(f"Ledger transaction {transaction_id} was reversed already by {reversal_id}.")


def post(uow: UnitOfWork, kind: TransactionKind, external_id: str, entries: Sequence[Entry], *,
         description: str = "", occurred_at: datetime | None = None, order_id: int | None = None,
         tenant_id: int | None = None, gateway_source: str | None = None) -> LedgerTransaction:
    """Record `entries` as one transaction under `external_id`; if that id is recorded already, return that one.

    The entries must balance in each currency (UnbalancedEntries otherwise).
    Accounts are created on first use. `occurred_at` defaults to now (the
    database's clock); `order_id` and `tenant_id` are for filtering.
    `gateway_source` names the processor's object behind a movement of
    gateway_balance (a charge, refund, transfer, reversal or dispute):
    reconciliation matches the processor's balance transactions by it.
    Concurrent posts of one external id record it once: the second waits for
    the first's commit and returns its transaction.
    """
    return _post(uow, kind, external_id, entries, description=description, occurred_at=occurred_at,
                 order_id=order_id, tenant_id=tenant_id, reverses_id=None, gateway_source=gateway_source)


@dataclass(frozen=True)
class NewTransaction:
    """A transaction `post_many` records: `post`'s arguments, as one value."""

    kind: TransactionKind
    external_id: str
    entries: Sequence[Entry]
    description: str = ""
    order_id: int | None = None
    tenant_id: int | None = None
    gateway_source: str | None = None


def post_many(uow: UnitOfWork, transactions: Sequence[NewTransaction]) -> dict[str, int]:
    """Record many transactions at once, by `post`'s rules; the id of each by external id.

    A few statements whatever their number: one claims every external id, one
    creates the accounts used for the first time, one reads the accounts' ids,
    one inserts the postings. An external id recorded already (before, or twice
    in `transactions`) keeps its first transaction, whose id is returned. They
    all occur now (the database's clock).
    """
    _require_control_database(uow)
    for transaction in transactions:
        _require_valid(transaction.external_id, transaction.description, transaction.entries)
    if not transactions:
        return {}
    session = uow.session
    # Claimed in external id order, so that two batches claiming some of the same ids cannot deadlock.
    to_claim = sorted({transaction.external_id: transaction for transaction in reversed(transactions)}.values(),
                      key=lambda transaction: transaction.external_id)
    claimed_ids = dict(session.execute(
        pg_insert(LedgerTransaction)
        .values([{"kind": transaction.kind, "external_id": transaction.external_id,
                  "description": transaction.description, "order_id": transaction.order_id,
                  "tenant_id": transaction.tenant_id, "gateway_source": transaction.gateway_source}
                 for transaction in to_claim])
        .on_conflict_do_nothing()
        .returning(LedgerTransaction.external_id, LedgerTransaction.id)
    ).all())
    claimed = [transaction for transaction in to_claim if transaction.external_id in claimed_ids]
    if claimed:
        account_ids = _account_ids(session, [entry for transaction in claimed for entry in transaction.entries])
        session.execute(insert(LedgerPosting), [
            {"transaction_id": claimed_ids[transaction.external_id],
             "account_id": account_ids[_account_key(entry)], "amount": entry.signed_amount,
             "currency": entry.amount.currency}
            for transaction in claimed for entry in transaction.entries
        ])
    recorded_before = [transaction.external_id for transaction in to_claim
                       if transaction.external_id not in claimed_ids]
    if recorded_before:
        claimed_ids.update(session.execute(
            select(LedgerTransaction.external_id, LedgerTransaction.id)
            .where(LedgerTransaction.external_id.in_(recorded_before))).all())
    return claimed_ids


def reverse(uow: UnitOfWork, transaction_id: int, external_id: str, reason: str,
            occurred_at: datetime | None = None) -> LedgerTransaction:
    """Correct transaction `transaction_id` with a new one under `external_id` negating each of its postings.

    Idempotent by `external_id` like `post`; a transaction already reversed
    under another external id raises AlreadyReversed.
    """
    original = uow.session.get(LedgerTransaction, transaction_id)
    if original is None:
        raise LedgerTransactionNotFound(transaction_id)
    opposite_entries = [
        Entry(AccountRef(posting.account.kind, posting.account.tenant_id),
              Side.CREDIT if posting.amount > 0 else Side.DEBIT, Money(abs(posting.amount), posting.currency))
        for posting in original.postings
    ]
    return _post(uow, TransactionKind.CORRECTION, external_id, opposite_entries, description=reason,
                 occurred_at=occurred_at, order_id=original.order_id, tenant_id=original.tenant_id,
                 reverses_id=original.id, gateway_source=original.gateway_source)


def balance(session: Session, account: AccountRef, currency: str, as_of: datetime | None = None) -> Money:
    """The balance of `account` in `currency`, on the account's normal side, from postings before `as_of`.

    `as_of` is an instant: the balance then counts what occurred strictly
    before it (a period's closing balance is the balance as of its end).
    """
    signed_total = select(func.coalesce(func.sum(LedgerPosting.amount), 0)).join(LedgerAccount).where(
        LedgerAccount.kind == account.kind,
        LedgerAccount.tenant_id.is_not_distinct_from(account.tenant_id),
        LedgerAccount.currency == currency,
    )
    signed_total = _before(signed_total, as_of)
    return _on_normal_side(account.kind, int(session.execute(signed_total).scalar_one()), currency)


def balances_by_tenant(session: Session, kind: AccountKind, currency: str, tenant_ids: Iterable[int] | None = None,
                       as_of: datetime | None = None) -> dict[int, Money]:
    """The balance of every seller's account of `kind` in `currency` (or of `tenant_ids` only), in one query.

    Sellers named in `tenant_ids` without such an account have a zero balance;
    with no `tenant_ids`, only sellers with an account are listed.
    """
    if not kind.is_per_seller:
        raise ValueError(f"{kind.value} is a platform account, not one per seller.")
    signed_totals = (select(LedgerAccount.tenant_id, func.sum(LedgerPosting.amount))
                     .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
                     .where(LedgerAccount.kind == kind, LedgerAccount.currency == currency)
                     .group_by(LedgerAccount.tenant_id))
    balances: dict[int, Money] = {}
    if tenant_ids is not None:
        tenant_ids = list(tenant_ids)
        signed_totals = signed_totals.where(LedgerAccount.tenant_id.in_(tenant_ids))
        balances = {tenant_id: Money.zero(currency) for tenant_id in tenant_ids}
    for tenant_id, signed_total in session.execute(_before(signed_totals, as_of)):
        balances[tenant_id] = _on_normal_side(kind, int(signed_total), currency)
    return balances


def _post(uow: UnitOfWork, kind: TransactionKind, external_id: str, entries: Sequence[Entry], *, description: str,
          occurred_at: datetime | None, order_id: int | None, tenant_id: int | None,
          reverses_id: int | None, gateway_source: str | None = None) -> LedgerTransaction:
    _require_control_database(uow)
    _require_valid(external_id, description, entries)
    session = uow.session
    # Claiming the external id first: a concurrent post of the same id waits here for this one's commit.
    claimed_id = session.execute(
        pg_insert(LedgerTransaction)
        .values(kind=kind, external_id=external_id, description=description, order_id=order_id,
                tenant_id=tenant_id, reverses_id=reverses_id, gateway_source=gateway_source,
                **({"occurred_at": occurred_at} if occurred_at is not None else {}))
        # No target: a second reversal of one transaction (unique reverses_id) is caught below, not raised here.
        .on_conflict_do_nothing()
        .returning(LedgerTransaction.id)
    ).scalar_one_or_none()
    if claimed_id is None:
        return _already_recorded(session, external_id, reverses_id)
    account_ids = _account_ids(session, entries)
    session.execute(insert(LedgerPosting), [
        {"transaction_id": claimed_id, "account_id": account_ids[_account_key(entry)],
         "amount": entry.signed_amount, "currency": entry.amount.currency}
        for entry in entries
    ])
    return session.get(LedgerTransaction, claimed_id)


def _require_control_database(uow: UnitOfWork) -> None:
    # One transaction writes one database: the ledger's is the control database.
    if uow.tenant is not None or uow.shard_key != DEFAULT_SHARD:
        raise ValueError("The ledger is in the control database: post from a unit of work bound to no tenant.")


def _require_valid(external_id: str, description: str, entries: Sequence[Entry]) -> None:
    if not 0 < len(external_id) <= EXTERNAL_ID_MAX_LENGTH:
        raise ValueError(f"A ledger transaction's external id has 1 to {EXTERNAL_ID_MAX_LENGTH} characters.")
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValueError(f"A ledger transaction's description has at most {DESCRIPTION_MAX_LENGTH} characters.")
    _require_balanced(entries)


def _require_balanced(entries: Sequence[Entry]) -> None:
    if not entries:
        raise ValueError("A ledger transaction needs entries.")
    differences: dict[str, int] = defaultdict(int)
    for entry in entries:
        differences[entry.amount.currency] += entry.signed_amount
    unbalanced = {currency: difference for currency, difference in differences.items() if difference}
    if unbalanced:
        raise UnbalancedEntries(unbalanced)


def _already_recorded(session: Session, external_id: str, reverses_id: int | None) -> LedgerTransaction:
    recorded = session.execute(
        select(LedgerTransaction).where(LedgerTransaction.external_id == external_id)
    ).scalar_one_or_none()
    if recorded is not None:
        return recorded
    reversal_id = session.execute(
        select(LedgerTransaction.id).where(LedgerTransaction.reverses_id == reverses_id)
    ).scalar_one()
    raise AlreadyReversed(reverses_id, reversal_id)


AccountKey = tuple[AccountKind, int | None, str]


def _account_key(entry: Entry) -> AccountKey:
    return entry.account.kind, entry.account.tenant_id, entry.amount.currency


def _account_ids(session: Session, entries: Sequence[Entry]) -> dict[AccountKey, int]:
    """The ids of the entries' accounts, creating those used for the first time."""
    # In one fixed order, so that two transactions creating the same accounts cannot deadlock.
    keys = sorted({_account_key(entry) for entry in entries},
                  key=lambda key: (key[0].value, key[1] or 0, key[2]))
    session.execute(
        pg_insert(LedgerAccount)
        .values([{"kind": kind, "tenant_id": tenant_id, "currency": currency} for kind, tenant_id, currency in keys])
        .on_conflict_do_nothing(constraint="uq_ledger_accounts_kind_tenant_id_currency")
    )
    # A separate statement, so that (read committed) it sees an account a concurrent transaction just created.
    rows = session.execute(
        select(LedgerAccount.id, LedgerAccount.kind, LedgerAccount.tenant_id, LedgerAccount.currency).where(or_(*(
            and_(LedgerAccount.kind == kind, LedgerAccount.tenant_id.is_not_distinct_from(tenant_id),
                 LedgerAccount.currency == currency)
            for kind, tenant_id, currency in keys
        )))
    )
    return {(kind, tenant_id, currency): account_id for account_id, kind, tenant_id, currency in rows}


def _before(statement, as_of: datetime | None):
    if as_of is None:
        return statement
    return (statement.join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
            .where(LedgerTransaction.occurred_at < as_of))


def _on_normal_side(kind: AccountKind, signed_total: int, currency: str) -> Money:
    return Money(signed_total * kind.normal_side.value, currency)
