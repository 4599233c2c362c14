"""Properties of money that must hold for every input: allocation adds up, and the ledger always balances."""
from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from sqlalchemy import func, select

from billing import ledger, settlement
from billing.ledger import AccountRef, credit, debit
from billing.ledger_models import PER_SELLER_KINDS, AccountKind, LedgerAccount, LedgerPosting, LedgerTransaction, \
    TransactionKind
from billing.money import Money, allocate, percentage
from billing.settlement import seller_splits
from billing.settlement_models import SellerSettlement, SettledRefund
from tenants.uow import UnitOfWork
from tests.billing import paid_orders

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


# Settlement: any split of any order adds up, and any refunds of it keep the books whole

@given(charged=st.integers(min_value=50, max_value=10**9), fee_per_mille=st.integers(min_value=0, max_value=200),
       part_totals=st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=6).filter(any),
       commission_rates=st.lists(st.integers(min_value=0, max_value=10_000), min_size=6, max_size=6))
def test_seller_splits_share_any_charge_and_fee_exactly_by_the_parts(charged, fee_per_mille, part_totals,
                                                                       commission_rates):
    # `charged` differs from the parts' sum as an order-level discount (or surcharge) would make it.
    fee = Money(charged * fee_per_mille // 1000, "EUR")
    part_by_tenant = {tenant_id: total for tenant_id, total in enumerate(part_totals, start=1)}
    commissions = {tenant_id: total * commission_rates[tenant_id - 1] // 10_000
                   for tenant_id, total in part_by_tenant.items()}

    splits = seller_splits(Money(charged, "EUR"), fee, part_by_tenant, commissions)

    assert sum(split.gross.amount for split in splits) == charged
    assert sum(split.fee_share.amount for split in splits) == fee.amount
    for split in splits:
        assert abs(split.gross.amount - Fraction(charged * part_by_tenant[split.tenant_id], sum(part_totals))) < 1
        assert split.commission.amount == commissions[split.tenant_id]
        assert split.net == split.gross - split.commission - split.fee_share


LINE = st.builds(paid_orders.Line, unit_price=st.integers(min_value=1, max_value=100_000),
                 quantity=st.integers(min_value=1, max_value=5), commission=st.just(0))
CART_PARTS = st.lists(st.tuples(st.lists(st.tuples(LINE, st.integers(min_value=0, max_value=3_000)),
                                         min_size=1, max_size=4),
                                st.integers(min_value=0, max_value=2_000)),
                      min_size=1, max_size=3)
# Each refund: which seller part (index, wrapped), what fraction of what is left of it (per mille), and whether
# it succeeds before the order settles.
REFUNDS = st.lists(st.tuples(st.integers(min_value=0, max_value=2), st.integers(min_value=1, max_value=1000),
                             st.booleans()), max_size=6)


def _cart(tenant_ids, cart_parts) -> paid_orders.Cart:
    """The generated parts on distinct sellers, each line's commission its rate (basis points) of its total."""
    return paid_orders.Cart(parts=tuple(
        paid_orders.SellerPart(tenant_id=tenant_id, shipping=shipping, lines=tuple(
            paid_orders.Line(line.unit_price, line.quantity,
                             percentage(Money(line.unit_price * line.quantity, "USD"), basis_points).amount)
            for line, basis_points in lines))
        for tenant_id, (lines, shipping) in zip(tenant_ids, cart_parts)))


@pytest.fixture
def three_sellers_and_a_buyer(make_seller, shopper):
    shopper()
    return [make_seller("acme"), make_seller("bolt"), make_seller("cask")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cart_parts=CART_PARTS, refunds=REFUNDS)
def test_random_carts_and_refunds_settle_to_what_was_charged_and_never_return_more_commission_than_taken(
        app, three_sellers_and_a_buyer, cart_parts, refunds):
    with app.app_context():
        cart = _cart([tenant.id for tenant in three_sellers_and_a_buyer], cart_parts)
        order_id = paid_orders.write_paid_order(paid_orders.any_user_id(), cart)
        refunded_by_tenant: dict[int, int] = defaultdict(int)
        early, late = [], []
        for number, (part_index, per_mille, before_settlement) in enumerate(refunds):
            part = cart.parts[part_index % len(cart.parts)]
            amount = (part.total - refunded_by_tenant[part.tenant_id]) * per_mille // 1000
            if amount == 0:
                continue
            refunded_by_tenant[part.tenant_id] += amount
            refund_id = paid_orders.write_succeeded_refund(order_id, part.tenant_id, amount, f"k{number}")
            (early if before_settlement else late).append(refund_id)

        for refund_id in early:
            assert settlement.settle_refund(refund_id) is False  # waits for the settlement
        assert settlement.settle_order(order_id) is True
        for refund_id in early + late:
            assert settlement.settle_refund(refund_id) is True

        with UnitOfWork() as uow:
            settled = {row.tenant_id: row for row in uow.session.scalars(
                select(SellerSettlement).where(SellerSettlement.order_id == order_id))}
            posted = list(uow.session.scalars(select(SettledRefund).where(SettledRefund.order_id == order_id)))
            ledger_sums = _order_ledger_sums(uow, order_id)
            uow.session.expunge_all()  # read on after the block (its rollback would expire them)

    charged, fee, refunded = cart.total, paid_orders.processing_fee(cart.total), sum(refunded_by_tenant.values())
    returned = {tenant_id: sum(r.commission_returned for r in posted if r.tenant_id == tenant_id)
                for tenant_id in settled}
    borne = {tenant_id: sum(r.seller_share for r in posted if r.tenant_id == tenant_id) for tenant_id in settled}
    sellers_keep = sum(row.net - borne[tenant_id] for tenant_id, row in settled.items())
    platform_keeps = sum(row.commission - returned[tenant_id] for tenant_id, row in settled.items())
    assert sellers_keep + platform_keeps + fee + refunded == charged
    assert sum(row.fee_share for row in settled.values()) == fee
    for tenant_id, row in settled.items():
        assert all(r.commission_returned >= 0 for r in posted)
        assert 0 <= returned[tenant_id] <= row.commission
        if refunded_by_tenant[tenant_id] == row.gross:
            assert returned[tenant_id] == row.commission
    # The ledger says the same: what each seller is owed, what the platform keeps, what stays at the processor.
    assert ledger_sums["unbalanced"] == []
    for tenant_id, row in settled.items():
        assert -ledger_sums[(AccountKind.SELLER_PAYABLE, tenant_id)] == row.net - borne[tenant_id]
    assert -ledger_sums[(AccountKind.COMMISSION_REVENUE, None)] == platform_keeps
    assert ledger_sums[(AccountKind.GATEWAY_BALANCE, None)] == charged - fee - refunded
    assert ledger_sums[(AccountKind.PROCESSING_FEES, None)] == 0


def _order_ledger_sums(uow: UnitOfWork, order_id: int) -> dict:
    """Signed sums of the order's postings by (account kind, seller), and the ids of its unbalanced transactions."""
    rows = uow.session.execute(
        select(LedgerAccount.kind, LedgerAccount.tenant_id, func.sum(LedgerPosting.amount))
        .join(LedgerPosting, LedgerPosting.account_id == LedgerAccount.id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.transaction_id)
        .where(LedgerTransaction.order_id == order_id).group_by(LedgerAccount.kind, LedgerAccount.tenant_id))
    sums: dict = defaultdict(int, {(kind, tenant_id): int(total) for kind, tenant_id, total in rows})
    sums["unbalanced"] = list(uow.session.scalars(
        select(LedgerPosting.transaction_id).join(LedgerTransaction)
        .where(LedgerTransaction.order_id == order_id)
        .group_by(LedgerPosting.transaction_id, LedgerPosting.currency).having(func.sum(LedgerPosting.amount) != 0)))
    return sums
