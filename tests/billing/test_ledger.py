"""The ledger: balanced, immutable transactions posted once per external id; balances are sums of postings."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from billing import ledger
from billing.ledger import (
    COMMISSION_REVENUE, GATEWAY_BALANCE, PROCESSING_FEES, REFUNDS, AccountRef, AlreadyReversed, UnbalancedEntries, credit,
    debit, seller_payable, seller_receivable,
)
from billing.ledger_models import BALANCED_CONSTRAINT, AccountKind, TransactionKind
from billing.money import Money
from tenants.shards import shards
from tenants.uow import UnitOfWork
from tests.concurrency import run_together


def eur(amount: int) -> Money:
    return Money(amount, "EUR")


def payment_entries(tenant_id: int, paid: int = 10_000, commission: int = 1_200) -> list[ledger.Entry]:
    return [debit(GATEWAY_BALANCE, eur(paid)),
            credit(seller_payable(tenant_id), eur(paid - commission)),
            credit(COMMISSION_REVENUE, eur(commission))]


def post(kind, external_id, entries, **details):
    with UnitOfWork() as uow:
        transaction = ledger.post(uow, kind, external_id, entries, **details)
        uow.commit()
    return transaction


def balance_of(account: AccountRef, currency: str = "EUR", as_of=None) -> Money:
    with UnitOfWork() as uow:
        return ledger.balance(uow.session, account, currency, as_of=as_of)


@pytest.fixture
def seller(make_seller):
    return make_seller("acme")


def test_a_payment_credits_the_seller_and_the_commission_and_debits_the_gateway_balance(seller):
    transaction = post(TransactionKind.PAYMENT, "payment:pi_1", payment_entries(seller.id), description="order 1")

    assert [(posting.amount, posting.currency) for posting in transaction.postings] == [
        (10_000, "EUR"), (-8_800, "EUR"), (-1_200, "EUR")]
    assert balance_of(GATEWAY_BALANCE) == eur(10_000)
    assert balance_of(seller_payable(seller.id)) == eur(8_800)
    assert balance_of(COMMISSION_REVENUE) == eur(1_200)
    assert balance_of(GATEWAY_BALANCE, "USD") == Money(0, "USD")


def test_balances_are_the_sums_of_their_postings(seller):
    post(TransactionKind.PAYMENT, "payment:pi_1", payment_entries(seller.id))
    post(TransactionKind.PAYMENT, "payment:pi_2", payment_entries(seller.id, paid=5_000, commission=500))
    post(TransactionKind.TRANSFER, f"tr:1:{seller.id}",
         [debit(seller_payable(seller.id), eur(8_800)), credit(GATEWAY_BALANCE, eur(8_800))])
    post(TransactionKind.SETTLEMENT, "settle:1",
         [debit(PROCESSING_FEES, eur(320)), credit(GATEWAY_BALANCE, eur(320))])

    assert balance_of(GATEWAY_BALANCE) == eur(10_000 + 5_000 - 8_800 - 320)
    assert balance_of(seller_payable(seller.id)) == eur(8_800 + 4_500 - 8_800)
    assert balance_of(COMMISSION_REVENUE) == eur(1_200 + 500)
    assert balance_of(PROCESSING_FEES) == eur(320)


def test_posting_the_same_external_id_twice_records_it_once_and_returns_the_first(seller, sql):
    first = post(TransactionKind.PAYMENT, "payment:pi_1", payment_entries(seller.id))

    again = post(TransactionKind.PAYMENT, "payment:pi_1", payment_entries(seller.id, paid=99_999))

    assert again.id == first.id
    assert [posting.amount for posting in again.postings] == [10_000, -8_800, -1_200]
    assert sql("SELECT count(*) FROM platform.ledger_postings") == [(3,)]
    assert balance_of(GATEWAY_BALANCE) == eur(10_000)


def test_two_posts_of_one_external_id_at_the_same_time_record_it_once(app, seller, sql):
    recorded_ids = []

    def post_the_payment():
        recorded_ids.append(post(TransactionKind.PAYMENT, "payment:pi_1", payment_entries(seller.id)).id)

    outcomes = run_together(app, post_the_payment, post_the_payment)

    assert outcomes == ["done", "done"]
    assert len(set(recorded_ids)) == 1
    assert sql("SELECT count(*) FROM platform.ledger_transactions") == [(1,)]
    assert balance_of(GATEWAY_BALANCE) == eur(10_000)
    assert balance_of(seller_payable(seller.id)) == eur(8_800)


def test_accounts_used_for_the_first_time_by_two_posts_at_once_are_created_once(app, make_seller, sql):
    sellers = [make_seller("acme"), make_seller("bolt")]

    def post_payment_of(external_id):
        return lambda: post(TransactionKind.PAYMENT, external_id,
                            [entry for seller in sellers for entry in payment_entries(seller.id)])

    outcomes = run_together(app, post_payment_of("payment:pi_1"), post_payment_of("payment:pi_2"))

    assert outcomes == ["done", "done"]
    assert sql("SELECT count(*) FROM platform.ledger_accounts") == [(4,)]
    assert balance_of(GATEWAY_BALANCE) == eur(40_000)


@pytest.mark.parametrize("entries", [
    [debit(GATEWAY_BALANCE, eur(100)), credit(COMMISSION_REVENUE, eur(99))],
    # Equal amounts in two currencies do not balance: currencies are never summed together.
    [debit(GATEWAY_BALANCE, eur(100)), credit(COMMISSION_REVENUE, Money(100, "USD"))],
    [debit(GATEWAY_BALANCE, eur(100))],
])
def test_entries_that_do_not_balance_in_each_currency_are_refused_and_record_nothing(app, entries, sql):
    with pytest.raises(UnbalancedEntries):
        post(TransactionKind.PAYMENT, "payment:pi_1", entries)

    assert sql("SELECT count(*) FROM platform.ledger_transactions") == [(0,)]


def test_a_transaction_may_balance_in_several_currencies_at_once(app):
    post(TransactionKind.PAYMENT, "payment:pi_1", [
        debit(GATEWAY_BALANCE, eur(100)), credit(COMMISSION_REVENUE, eur(100)),
        debit(GATEWAY_BALANCE, Money(500, "JPY")), credit(COMMISSION_REVENUE, Money(500, "JPY")),
    ])

    assert balance_of(COMMISSION_REVENUE, "EUR") == eur(100)
    assert balance_of(COMMISSION_REVENUE, "JPY") == Money(500, "JPY")


@pytest.mark.parametrize(("make_entry", "error"), [
    (lambda: debit(GATEWAY_BALANCE, eur(0)), ValueError),
    (lambda: debit(GATEWAY_BALANCE, eur(-5)), ValueError),
    (lambda: debit(GATEWAY_BALANCE, 1.5), TypeError),
    (lambda: debit(GATEWAY_BALANCE, 150), TypeError),
    (lambda: debit(AccountRef(AccountKind.SELLER_PAYABLE), eur(5)), ValueError),
    (lambda: debit(AccountRef(AccountKind.COMMISSION_REVENUE, tenant_id=1), eur(5)), ValueError),
])
def test_an_entry_is_a_positive_amount_of_money_on_an_account_of_the_catalogue(make_entry, error):
    with pytest.raises(error):
        make_entry()


@pytest.mark.parametrize(("external_id", "description"), [("", "empty id"), ("x" * 256, "long id"),
                                                          ("payment:pi_1", "x" * 501)])
def test_an_external_id_and_a_description_that_do_not_fit_are_refused(app, external_id, description, sql):
    with pytest.raises(ValueError):
        post(TransactionKind.PAYMENT, external_id, [debit(GATEWAY_BALANCE, eur(1)), credit(REFUNDS, eur(1))],
             description=description)

    assert sql("SELECT count(*) FROM platform.ledger_transactions") == [(0,)]


def test_the_ledger_is_not_written_from_a_transaction_bound_to_a_seller(seller, sql):
    with UnitOfWork(seller) as uow, pytest.raises(ValueError, match="control database"):
        ledger.post(uow, TransactionKind.PAYMENT, "payment:pi_1", payment_entries(seller.id))

    assert sql("SELECT count(*) FROM platform.ledger_transactions") == [(0,)]


# What the database itself refuses, whatever the Python code does.

def _accounts_for_raw_postings(sql) -> tuple[int, int]:
    post(TransactionKind.PAYMENT, "payment:pi_0",
         [debit(GATEWAY_BALANCE, eur(1)), credit(COMMISSION_REVENUE, eur(1))])
    ids = dict(sql("SELECT kind, id FROM platform.ledger_accounts"))
    return ids["gateway_balance"], ids["commission_revenue"]


def _raw(statements: list[str], **params) -> None:
    with shards.engine().begin() as connection:
        for statement in statements:
            connection.execute(text(statement), params)


def test_the_database_refuses_at_commit_a_transaction_whose_postings_do_not_sum_to_zero(app, sql):
    gateway_id, commission_id = _accounts_for_raw_postings(sql)

    with pytest.raises(IntegrityError, match="does not balance in EUR") as refusal:
        _raw(["INSERT INTO platform.ledger_transactions (id, kind, external_id) VALUES (100, 'payment', 'raw:1')",
              "INSERT INTO platform.ledger_postings (transaction_id, account_id, amount, currency)"
              " VALUES (100, :gateway, 500, 'EUR'), (100, :commission, -499, 'EUR')"],
             gateway=gateway_id, commission=commission_id)

    assert refusal.value.orig.diag.constraint_name == BALANCED_CONSTRAINT
    assert sql("SELECT count(*) FROM platform.ledger_transactions WHERE external_id = 'raw:1'") == [(0,)]


def test_the_database_refuses_at_commit_a_transaction_without_postings(app, sql):
    with pytest.raises(IntegrityError, match="has no postings"):
        _raw(["INSERT INTO platform.ledger_transactions (id, kind, external_id) VALUES (100, 'payment', 'raw:1')"])

    assert sql("SELECT count(*) FROM platform.ledger_transactions") == [(0,)]


def test_the_database_refuses_a_posting_that_unbalances_a_committed_transaction(app, sql):
    gateway_id, _ = _accounts_for_raw_postings(sql)
    transaction_id = sql("SELECT id FROM platform.ledger_transactions")[0][0]

    with pytest.raises(IntegrityError, match="does not balance"):
        _raw(["INSERT INTO platform.ledger_postings (transaction_id, account_id, amount, currency)"
              " VALUES (:transaction, :gateway, 700, 'EUR')"], transaction=transaction_id, gateway=gateway_id)

    assert balance_of(GATEWAY_BALANCE) == eur(1)


def test_the_database_refuses_a_posting_in_another_currency_than_its_account(app, sql):
    gateway_id, commission_id = _accounts_for_raw_postings(sql)

    with pytest.raises(IntegrityError, match="fk_ledger_postings_account_id_currency_ledger_accounts"):
        _raw(["INSERT INTO platform.ledger_transactions (id, kind, external_id) VALUES (100, 'payment', 'raw:1')",
              "INSERT INTO platform.ledger_postings (transaction_id, account_id, amount, currency)"
              " VALUES (100, :gateway, 500, 'USD'), (100, :commission, -500, 'USD')"],
             gateway=gateway_id, commission=commission_id)


@pytest.mark.parametrize("statement", [
    "UPDATE platform.ledger_postings SET amount = amount * 2",
    "DELETE FROM platform.ledger_postings",
    "UPDATE platform.ledger_transactions SET description = 'rewritten'",
    "DELETE FROM platform.ledger_transactions",
])
def test_recorded_transactions_and_postings_can_be_neither_changed_nor_deleted(seller, sql, statement):
    post(TransactionKind.PAYMENT, "payment:pi_1", payment_entries(seller.id), description="order 1")

    with pytest.raises(IntegrityError, match="immutable"):
        _raw([statement])

    assert sql("SELECT description FROM platform.ledger_transactions") == [("order 1",)]
    assert sql("SELECT amount FROM platform.ledger_postings ORDER BY id") == [(10_000,), (-8_800,), (-1_200,)]


# Corrections

def test_a_reversal_negates_every_posting_and_brings_the_balances_back(seller):
    payment = post(TransactionKind.PAYMENT, "payment:pi_1", payment_entries(seller.id), order_id=None,
                   tenant_id=seller.id)

    with UnitOfWork() as uow:
        reversal = ledger.reverse(uow, payment.id, "correct:payment:pi_1", "posted to the wrong seller")
        uow.commit()

    assert reversal.kind == TransactionKind.CORRECTION and reversal.reverses_id == payment.id
    assert reversal.description == "posted to the wrong seller" and reversal.tenant_id == seller.id
    assert [posting.amount for posting in reversal.postings] == [-10_000, 8_800, 1_200]
    for account in (GATEWAY_BALANCE, seller_payable(seller.id), COMMISSION_REVENUE):
        assert balance_of(account) == eur(0)


def test_a_transaction_is_reversed_once_and_a_repeated_reversal_returns_the_first(seller, sql):
    payment = post(TransactionKind.PAYMENT, "payment:pi_1", payment_entries(seller.id))
    with UnitOfWork() as uow:
        first = ledger.reverse(uow, payment.id, "correct:1", "mistake")
        uow.commit()

    with UnitOfWork() as uow:
        repeated_id = ledger.reverse(uow, payment.id, "correct:1", "mistake").id
    with UnitOfWork() as uow, pytest.raises(AlreadyReversed) as refusal:
        ledger.reverse(uow, payment.id, "correct:2", "mistake again")

    assert repeated_id == first.id
    assert refusal.value.reversal_id == first.id
    assert sql("SELECT count(*) FROM platform.ledger_transactions") == [(2,)]
    assert balance_of(GATEWAY_BALANCE) == eur(0)


def test_two_different_reversals_of_one_transaction_at_the_same_time_reverse_it_once(app, seller, sql):
    payment = post(TransactionKind.PAYMENT, "payment:pi_1", payment_entries(seller.id))

    def reverse_as(external_id):
        def reverse_the_payment():
            with UnitOfWork() as uow:
                ledger.reverse(uow, payment.id, external_id, "duplicate payment")
                uow.commit()
        return reverse_the_payment

    outcomes = run_together(app, reverse_as("correct:a"), reverse_as("correct:b"))

    assert sorted(outcomes) == ["AlreadyReversed", "done"]
    assert sql("SELECT count(*) FROM platform.ledger_transactions WHERE reverses_id = :id", id=payment.id) == [(1,)]
    assert balance_of(GATEWAY_BALANCE) == eur(0)


def test_reversing_an_unknown_transaction_is_refused(app):
    with UnitOfWork() as uow, pytest.raises(ledger.LedgerTransactionNotFound):
        ledger.reverse(uow, 12345, "correct:12345", "typo")


# Balances over time and across sellers

def test_a_balance_as_of_an_instant_counts_only_what_occurred_before_it(seller):
    monday = datetime(2026, 11, 2, tzinfo=timezone.utc)
    post(TransactionKind.PAYMENT, "payment:pi_1", payment_entries(seller.id), occurred_at=monday)
    post(TransactionKind.PAYMENT, "payment:pi_2", payment_entries(seller.id, paid=3_000, commission=300),
         occurred_at=monday + timedelta(days=1))

    assert balance_of(seller_payable(seller.id), as_of=monday) == eur(0)
    assert balance_of(seller_payable(seller.id), as_of=monday + timedelta(days=1)) == eur(8_800)
    assert balance_of(seller_payable(seller.id), as_of=monday + timedelta(days=2)) == eur(8_800 + 2_700)
    with UnitOfWork() as uow:
        assert ledger.balances_by_tenant(uow.session, AccountKind.SELLER_PAYABLE, "EUR",
                                         as_of=monday + timedelta(days=1)) == {seller.id: eur(8_800)}


def test_balances_by_tenant_reads_every_sellers_balance_in_one_query(make_seller):
    acme, bolt, calm = make_seller("acme"), make_seller("bolt"), make_seller("calm")
    post(TransactionKind.PAYMENT, "payment:pi_1", payment_entries(acme.id))
    post(TransactionKind.PAYMENT, "payment:pi_2", payment_entries(bolt.id, paid=2_000, commission=200))
    post(TransactionKind.DISPUTE, "dispute:dp_1",
         [debit(seller_receivable(bolt.id), eur(700)), credit(GATEWAY_BALANCE, eur(700))])
    statements = []

    def record(connection, cursor, statement, *args):
        statements.append(statement)

    with UnitOfWork() as uow:
        event.listen(shards.engine(), "before_cursor_execute", record)
        try:
            payables = ledger.balances_by_tenant(uow.session, AccountKind.SELLER_PAYABLE, "EUR")
            named = ledger.balances_by_tenant(uow.session, AccountKind.SELLER_PAYABLE, "EUR",
                                              tenant_ids=[acme.id, calm.id])
        finally:
            event.remove(shards.engine(), "before_cursor_execute", record)

    assert payables == {acme.id: eur(8_800), bolt.id: eur(1_800)}
    assert named == {acme.id: eur(8_800), calm.id: eur(0)}
    assert len([statement for statement in statements if "ledger" in statement]) == 2
    with UnitOfWork() as uow:
        assert ledger.balances_by_tenant(uow.session, AccountKind.SELLER_RECEIVABLE, "EUR") == {bolt.id: eur(700)}


def post_many(transactions):
    with UnitOfWork() as uow:
        recorded = ledger.post_many(uow, transactions)
        uow.commit()
    return recorded


def payment(external_id: str, tenant_id: int, paid: int = 10_000) -> ledger.NewTransaction:
    return ledger.NewTransaction(TransactionKind.PAYMENT, external_id, payment_entries(tenant_id, paid=paid),
                                 description=external_id, gateway_source=external_id.removeprefix("payment:"))


def test_post_many_records_each_transaction_with_its_postings_in_a_few_statements(make_seller, sql):
    acme, bolt = make_seller("acme"), make_seller("bolt")
    transactions = [payment(f"payment:pi_{n}", seller.id) for n, seller in enumerate([acme, bolt, acme, bolt] * 25)]
    statements = []

    def record(connection, cursor, statement, *args):
        statements.append(statement)

    event.listen(shards.engine(), "before_cursor_execute", record)
    try:
        recorded = post_many(transactions)
    finally:
        event.remove(shards.engine(), "before_cursor_execute", record)

    assert sorted(recorded) == sorted(transaction.external_id for transaction in transactions)
    assert sql("SELECT count(*), count(DISTINCT gateway_source) FROM platform.ledger_transactions") == [(100, 100)]
    assert sql("SELECT count(*) FROM platform.ledger_postings") == [(300,)]
    assert sql("SELECT external_id FROM platform.ledger_transactions WHERE id = :id",
               id=recorded["payment:pi_7"]) == [("payment:pi_7",)]
    assert balance_of(GATEWAY_BALANCE) == eur(1_000_000)
    assert balance_of(seller_payable(acme.id)) == balance_of(seller_payable(bolt.id)) == eur(50 * 8_800)
    assert len([statement for statement in statements if "ledger" in statement]) <= 4


def test_post_many_records_an_external_id_recorded_before_or_twice_once_and_returns_the_first(seller, sql):
    first = post(TransactionKind.PAYMENT, "payment:pi_1", payment_entries(seller.id))

    recorded = post_many([payment("payment:pi_1", seller.id, paid=99_999), payment("payment:pi_2", seller.id),
                          payment("payment:pi_2", seller.id, paid=55_555)])

    assert recorded["payment:pi_1"] == first.id
    assert sql("SELECT count(*) FROM platform.ledger_transactions") == [(2,)]
    assert balance_of(GATEWAY_BALANCE) == eur(20_000)


def test_post_many_refuses_a_batch_with_one_unbalanced_transaction_and_records_nothing(seller, sql):
    unbalanced = ledger.NewTransaction(TransactionKind.PAYMENT, "payment:pi_2",
                                       [debit(GATEWAY_BALANCE, eur(100)), credit(COMMISSION_REVENUE, eur(99))])

    with pytest.raises(UnbalancedEntries):
        post_many([payment("payment:pi_1", seller.id), unbalanced])

    assert sql("SELECT count(*) FROM platform.ledger_transactions") == [(0,)]


def test_post_many_is_refused_from_a_transaction_bound_to_a_seller(seller):
    with UnitOfWork(seller) as uow, pytest.raises(ValueError, match="control database"):
        ledger.post_many(uow, [payment("payment:pi_1", seller.id)])
