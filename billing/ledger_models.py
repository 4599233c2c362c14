"""The ledger's tables: accounts, transactions and their postings, and the database rules that keep them honest.

A posting's `amount` is a signed number of minor units: a debit is positive,
a credit negative. A transaction balances when its postings sum to zero in
each currency it touches. Two rules are the database's, not Python's, so that
no code path (a raw SQL fix, a future job) can break them:

- immutable: a trigger refuses UPDATE and DELETE of transactions and
  postings (a correction is a new, reversing transaction);
- balanced: a deferred constraint trigger refuses, at commit, a transaction
  that has no postings or whose postings do not sum to zero per currency.

The trigger functions and triggers are declared here (in the metadata's and
the tables' `info`, and created after the tables by `create_all`) and, as a
frozen copy, in shared revision 0019; tests/test_shared_migrations.py checks
that the migrated database has exactly these.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger, CheckConstraint, DateTime, ForeignKey, ForeignKeyConstraint, String, UniqueConstraint, event,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tenants.db import SHARED_SCHEMA, SharedBase, checked_enum


class Side(enum.Enum):
    """The side of an entry; its value is the sign a posting of that side carries."""

    DEBIT = 1
    CREDIT = -1


class AccountKind(str, enum.Enum):
    """The catalogue of accounts, each with the side its balance normally lives on.

    Debit-normal (assets and expenses; their balance is debits minus credits):
    - gateway_balance: the platform's cash at the payment processor;
    - seller_receivable (per seller): what a seller owes the platform (a refund or a
      lost dispute that could not be taken back from a transfer, an unpaid plan fee);
    - connected_balance (per seller): the seller's money transferred to its
      connected account at the processor and not paid out to its bank yet (the
      seller's payable still counts it: a payout settles both);
    - processing_fees: what the processor charged the platform;
    - refunds: money given back to buyers that no seller and no commission bears;
    - dispute_losses: disputes lost that no seller bears.

    Credit-normal (liabilities and revenue; their balance is credits minus debits):
    - seller_payable (per seller): what the platform owes a seller, until transferred;
    - commission_revenue: the platform's commission;
    - plan_fees: sellers' SaaS plan fees.
    """

    GATEWAY_BALANCE = "gateway_balance"
    SELLER_PAYABLE = "seller_payable"
    SELLER_RECEIVABLE = "seller_receivable"
    CONNECTED_BALANCE = "connected_balance"
    COMMISSION_REVENUE = "commission_revenue"
    PROCESSING_FEES = "processing_fees"
    REFUNDS = "refunds"
    DISPUTE_LOSSES = "dispute_losses"
    PLAN_FEES = "plan_fees"

    @property
    def normal_side(self) -> Side:
        return Side.CREDIT if self in _CREDIT_NORMAL_KINDS else Side.DEBIT

    @property
    def is_per_seller(self) -> bool:
        """Whether an account of this kind belongs to one seller (tenant), rather than to the platform."""
        return self in PER_SELLER_KINDS


_CREDIT_NORMAL_KINDS = frozenset({AccountKind.SELLER_PAYABLE, AccountKind.COMMISSION_REVENUE, AccountKind.PLAN_FEES})
PER_SELLER_KINDS = (AccountKind.SELLER_PAYABLE, AccountKind.SELLER_RECEIVABLE, AccountKind.CONNECTED_BALANCE)
_PER_SELLER_KIND_VALUES = ", ".join(f"'{kind.value}'" for kind in PER_SELLER_KINDS)


class TransactionKind(str, enum.Enum):
    """What a ledger transaction records. A new kind is a one-line migration of the check constraint."""

    PAYMENT = "payment"
    SETTLEMENT = "settlement"
    REFUND = "refund"
    TRANSFER = "transfer"
    # A transfer reversal at the gateway (money taken back from a seller's connected account).
    REVERSAL = "reversal"
    PAYOUT = "payout"
    INVOICE = "invoice"
    DISPUTE = "dispute"
    # A new transaction negating every posting of an earlier one (`reverses_id`): the ledger's only "edit".
    CORRECTION = "correction"


class LedgerAccount(SharedBase):
    """One account: a kind, the seller it belongs to (per-seller kinds only) and one currency.

    Created on first use; never changed or deleted (postings refer to it).
    """

    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[AccountKind] = mapped_column(checked_enum(AccountKind, "ledger_account_kind"))
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # NULLS NOT DISTINCT: one platform account per kind and currency, too.
        UniqueConstraint("kind", "tenant_id", "currency", postgresql_nulls_not_distinct=True),
        # What postings' (account_id, currency) foreign key points at: a posting's currency is its account's.
        UniqueConstraint("id", "currency"),
        CheckConstraint(f"(tenant_id IS NOT NULL) = (kind IN ({_PER_SELLER_KIND_VALUES}))", name="seller_matches_kind"),
    )


EXTERNAL_ID_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 500


class LedgerTransaction(SharedBase):
    """A set of postings recorded at once, under an external id unique across the ledger.

    The external id names the thing recorded ("payment:pi_…", "settle:{order}",
    "tr:{order}:{seller}"), so that recording it again finds the first one.
    `occurred_at` is when it happened in the world (balances `as_of` use it);
    `created_at` when it was recorded.
    """

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[TransactionKind] = mapped_column(checked_enum(TransactionKind, "ledger_transaction_kind"))
    external_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX_LENGTH), unique=True)
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX_LENGTH), server_default="")
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # For filtering a seller's or an order's money; the postings say whose accounts moved.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("marketplace_orders.id"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    # A correction names the transaction it negates; unique, so nothing is corrected twice.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"), unique=True)
    # The gateway object that moved the platform's balance at the processor (`ch_…`, `re_…`, `tr_…`, `trr_…`,
    # a dispute's `dp_…`): what reconciliation (billing/reconcile.py) matches the balance transactions by.
    gateway_source: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_MAX_LENGTH), index=True)

    postings: Mapped[list["LedgerPosting"]] = relationship(
        back_populates="transaction", order_by="LedgerPosting.id", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint("(kind = 'correction') = (reverses_id IS NOT NULL)", name="correction_names_what_it_reverses"),
    )


class LedgerPosting(SharedBase):
    """One line of a transaction: a signed amount (debit positive, credit negative) on one account."""

    __tablename__ = "ledger_postings"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(BigInteger, index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="postings")
    account: Mapped[LedgerAccount] = relationship(lazy="joined")

    __table_args__ = (
        ForeignKeyConstraint(["account_id", "currency"], ["ledger_accounts.id", "ledger_accounts.currency"]),
        CheckConstraint("amount <> 0", name="posting_amount_not_zero"),
    )


# The constraint name the balance check reports, so that callers can tell it from other failures.
BALANCED_CONSTRAINT = "ledger_transaction_balanced"

# Trigger functions by name, body only (the parity test compares them with the migrated database's).
LEDGER_TRIGGER_FUNCTIONS = {
    "ledger_refuse_change": """
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'restrict_violation',
        MESSAGE = TG_TABLE_NAME || ' rows are immutable: record a reversing transaction instead';
END
""",
    # Runs at commit for every transaction and posting inserted; checks the whole transaction each time
    # (a handful of postings), so that a posting added later to a committed transaction is checked too.
    "ledger_check_balanced": f"""
DECLARE
    checked_id bigint;
    unbalanced_currency text;
BEGIN
    IF TG_TABLE_NAME = 'ledger_transactions' THEN
        checked_id := NEW.id;
    ELSE
        checked_id := NEW.transaction_id;
    END IF;
    IF NOT EXISTS (SELECT FROM {SHARED_SCHEMA}.ledger_postings WHERE transaction_id = checked_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = '{BALANCED_CONSTRAINT}',
            MESSAGE = 'ledger transaction ' || checked_id || ' has no postings';
    END IF;
    SELECT currency INTO unbalanced_currency FROM {SHARED_SCHEMA}.ledger_postings
        WHERE transaction_id = checked_id GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'check_violation', CONSTRAINT = '{BALANCED_CONSTRAINT}',
            MESSAGE = 'ledger transaction ' || checked_id || ' does not balance in ' || unbalanced_currency;
    END IF;
    RETURN NULL;
END
""",
}

# Each table's triggers as pg_get_triggerdef() prints them, so that the parity test compares them word for word.
LedgerTransaction.__table__.info["triggers"] = {
    "ledger_transactions_immutable": (
        f"CREATE TRIGGER ledger_transactions_immutable BEFORE DELETE OR UPDATE ON {SHARED_SCHEMA}.ledger_transactions"
        f" FOR EACH ROW EXECUTE FUNCTION {SHARED_SCHEMA}.ledger_refuse_change()"
    ),
    "ledger_transactions_balanced": (
        f"CREATE CONSTRAINT TRIGGER ledger_transactions_balanced AFTER INSERT ON {SHARED_SCHEMA}.ledger_transactions"
        f" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {SHARED_SCHEMA}.ledger_check_balanced()"
    ),
}
LedgerPosting.__table__.info["triggers"] = {
    "ledger_postings_immutable": (
        f"CREATE TRIGGER ledger_postings_immutable BEFORE DELETE OR UPDATE ON {SHARED_SCHEMA}.ledger_postings"
        f" FOR EACH ROW EXECUTE FUNCTION {SHARED_SCHEMA}.ledger_refuse_change()"
    ),
    "ledger_postings_balanced": (
        f"CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON {SHARED_SCHEMA}.ledger_postings"
        f" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {SHARED_SCHEMA}.ledger_check_balanced()"
    ),
}
SharedBase.metadata.info.setdefault("trigger_functions", {}).update(LEDGER_TRIGGER_FUNCTIONS)


def _function_ddl(name: str, body: str) -> str:
    return (f"CREATE OR REPLACE FUNCTION {SHARED_SCHEMA}.{name}() RETURNS trigger LANGUAGE plpgsql"
            f" AS $function${body}$function$")


@event.listens_for(LedgerPosting.__table__, "after_create")
def _create_ledger_triggers(table, connection, **kwargs) -> None:
    """create_all() builds what the migration builds (the postings table comes last: it refers to the other two)."""
    for name, body in LEDGER_TRIGGER_FUNCTIONS.items():
        connection.exec_driver_sql(_function_ddl(name, body))
    for ledger_table in (LedgerTransaction.__table__, LedgerPosting.__table__):
        for definition in ledger_table.info["triggers"].values():
            connection.exec_driver_sql(definition)
