"""Properties of money that must hold for every input: allocation adds up, and the ledger always balances."""
from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from billing import ledger
from billing.ledger import AccountRef, credit, debit
from billing.ledger_models import PER_SELLER_KINDS, AccountKind, TransactionKind
from billing.money import Money, allocate
from tenants.uow import UnitOfWork

CURRENCIES = st.sampled_from(["EUR", "USD", "JPY", "BHD", "KRW", "KWD"])
AMOUNTS = st.integers(min_value=-10**15, max_value=10**15)
MONEY = st.builds(Money, AMOUNTS, CURRENCIES)
# Zeros are frequent on purpose: a seller without shipping, a line without discount.
WEIGHT = st.one_of(st.just(0), st.integers(min_value=1, max_value=10**6))
WEIGHTS = st.lists(WEIGHT, min_size=1, max_size=20).filter(any)


# allocate(total, weights)

@given(MONEY, WEIGHTS)
def test_allocated_parts_sum_exactly_to_the_total_in_its_currency(total, weights):
    parts = allocate(total, weights)

    assert len(parts) == len(weights)
    assert sum(part.amount for part in parts) == total.amount
    assert {part.currency for part in parts} == {total.currency}


@given(MONEY, WEIGHTS)
def test_each_part_is_within_one_minor_unit_of_its_exact_share_and_a_zero_weight_gets_nothing(total, weights):
    parts = allocate(total, weights)

    for part, weight in zip(parts, weights):
        exact_share = Fraction(total.amount * weight, sum(weights))
        assert abs(part.amount - exact_share) < 1
        if weight == 0:
            assert part.amount == 0


@given(MONEY, WEIGHTS)
def test_allocating_a_negative_total_mirrors_the_positive_one(total, weights):
    assert allocate(-total, weights) == [-part for part in allocate(total, weights)]


@given(MONEY.filter(lambda money: money.amount >= 0), WEIGHTS)
def test_a_larger_weight_never_gets_a_smaller_part(total, weights):
    parts = allocate(total, weights)

    for heavier in range(len(weights)):
        for lighter in range(len(weights)):
            if weights[heavier] > weights[lighter]:
                assert parts[heavier].amount >= parts[lighter].amount


@given(MONEY, WEIGHTS, st.integers(min_value=2, max_value=1000))
def test_only_the_proportions_of_the_weights_matter(total, weights, factor):
    assert allocate(total, [weight * factor for weight in weights]) == allocate(total, weights)


@given(MONEY, st.integers(min_value=1, max_value=20))
def test_all_zero_weights_are_refused_whatever_the_total(total, weight_count):
    # The rule: nothing says where the money should go, so allocate refuses rather than guess (or divide by zero).
    with pytest.raises(ValueError, match="positive"):
        allocate(total, [0] * weight_count)


# The ledger: random sequences of balanced transactions

PLATFORM_KINDS = [kind for kind in AccountKind if not kind.is_per_seller]
SELLER_COUNT = 2
# An account as (kind, index of a seller or None): the sellers are made per test, their ids known only then.
ACCOUNT_CHOICES = st.one_of(
    st.tuples(st.sampled_from(PLATFORM_KINDS), st.none()),
    st.tuples(st.sampled_from(list(PER_SELLER_KINDS)), st.integers(min_value=0, max_value=SELLER_COUNT - 1)),
)
LEDGER_CURRENCIES = st.sampled_from(["EUR", "JPY", "BHD"])
# One currency's part of a transaction: debits to some accounts, their total credited to others in proportions.
CURRENCY_LEG = st.tuples(
    LEDGER_CURRENCIES,
    st.lists(st.tuples(ACCOUNT_CHOICES, st.integers(min_value=1, max_value=10**12)), min_size=1, max_size=4),
    st.lists(st.tuples(ACCOUNT_CHOICES, WEIGHT), min_size=1, max_size=4).filter(lambda legs: any(w for _, w in legs)),
)
# A step: post a transaction of one or two currency legs, or reverse the n-th transaction posted so far.
STEPS = st.lists(st.one_of(
    st.tuples(st.just("post"), st.lists(CURRENCY_LEG, min_size=1, max_size=2)),
    st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=50)),
), min_size=1, max_size=8)


def _entries(legs, sellers) -> list[ledger.Entry]:
    def account(choice) -> AccountRef:
        kind, seller_index = choice
        return AccountRef(kind, None if seller_index is None else sellers[seller_index].id)

    entries = []
    for currency, debits, credit_weights in legs:
        entries += [debit(account(choice), Money(amount, currency)) for choice, amount in debits]
        debited = Money(sum(amount for _, amount in debits), currency)
        parts = allocate(debited, [weight for _, weight in credit_weights])
        entries += [credit(account(choice), part) for (choice, _), part in zip(credit_weights, parts) if part]
    return entries


@pytest.fixture
def two_sellers(make_seller):
    return [make_seller("acme"), make_seller("bolt")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_random_balanced_transactions_and_reversals_keep_every_transaction_and_the_whole_ledger_balanced(
        two_sellers, sql, steps):
    # CASCADE: tables referring to ledger transactions (settlement records) are emptied with them.
    sql("TRUNCATE platform.ledger_postings, platform.ledger_transactions, platform.ledger_accounts CASCADE")
    expected_signed_balances: dict[tuple[AccountRef, str], int] = defaultdict(int)
    posted_ids: list[int] = []

    for number, (action, detail) in enumerate(steps):
        with UnitOfWork() as uow:
            if action == "post":
                entries = _entries(detail, two_sellers)
                transaction = ledger.post(uow, TransactionKind.PAYMENT, f"random:{number}", entries)
            elif posted_ids:
                try:
                    transaction = ledger.reverse(uow, posted_ids[detail % len(posted_ids)], f"random:{number}", "test")
                except ledger.AlreadyReversed:
                    continue
            else:
                continue
            for posting in transaction.postings:
                account = AccountRef(posting.account.kind, posting.account.tenant_id)
                expected_signed_balances[account, posting.currency] += posting.amount
            uow.commit()
        posted_ids.append(transaction.id)

    unbalanced = sql("SELECT transaction_id, currency FROM platform.ledger_postings"
                     " GROUP BY transaction_id, currency HAVING sum(amount) <> 0")
    every_account = [(AccountRef(AccountKind(kind), tenant_id), currency) for kind, tenant_id, currency
                      in sql("SELECT kind, tenant_id, currency FROM platform.ledger_accounts")]
    debits_minus_credits: dict[str, int] = defaultdict(int)
    with UnitOfWork() as uow:
        for account, currency in every_account:
            account_balance = ledger.balance(uow.session, account, currency)
            normal_sign = account.kind.normal_side.value
            # Balances are sums: what an account shows is what was posted to it, on its normal side.
            assert account_balance == Money(expected_signed_balances[account, currency] * normal_sign, currency)
            debits_minus_credits[currency] += account_balance.amount * normal_sign
    assert set(expected_signed_balances) <= set(every_account)
    assert unbalanced == []
    # Debit-normal balances equal credit-normal balances in every currency: the whole ledger sums to zero.
    assert {currency: total for currency, total in debits_minus_credits.items() if total} == {}
