"""Every recipe of the chart of accounts balances, whatever the amounts, and says who bears what."""
from __future__ import annotations

from collections import Counter

from hypothesis import given, strategies as st

from billing import postings
from billing.ledger import COMMISSION_REVENUE, GATEWAY_BALANCE, PROCESSING_FEES, connected_balance, seller_payable
from billing.ledger_models import Side
from billing.money import Money

EUR = "EUR"


def signed_by_account(entries) -> Counter:
    totals: Counter = Counter()
    for entry in entries:
        totals[entry.account] += entry.signed_amount
    return totals


def balances(entries) -> bool:
    return sum(entry.signed_amount for entry in entries) == 0


splits = st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(0, 10**5)), min_size=1,
                  max_size=5)


@given(splits, st.integers(0, 10**5))
def test_a_settlement_balances_and_credits_each_seller_its_net(parts, fee):
    seller_splits = [postings.SellerSplit(tenant_id, Money(gross, EUR), Money(min(commission, gross), EUR),
                                          Money(fee_share, EUR))
                     for tenant_id, (gross, commission, fee_share) in enumerate(parts, start=1)]
    charged = Money(sum(gross for gross, _, _ in parts), EUR)
    if not charged:
        return
    entries = postings.settlement(charged, Money(fee, EUR), seller_splits)

    totals = signed_by_account(entries)
    assert balances(entries) and all(entry.amount.amount > 0 for entry in entries)
    assert totals[GATEWAY_BALANCE] == charged.amount - fee  # what the processor holds for the platform
    for split in seller_splits:
        assert -totals[seller_payable(split.tenant_id)] == split.net.amount
    assert -totals[COMMISSION_REVENUE] == sum(split.commission.amount for split in seller_splits)
    assert totals[PROCESSING_FEES] == fee - sum(split.fee_share.amount for split in seller_splits)


def test_a_settlement_whose_sellers_do_not_add_up_to_the_charge_is_refused():
    split = postings.SellerSplit(1, Money(900, EUR), Money(90, EUR), Money(10, EUR))
    try:
        postings.settlement(Money(1000, EUR), Money(59, EUR), [split])
    except ValueError as error:
        assert "add up" in str(error)
    else:
        raise AssertionError("a settlement that loses 100 was posted")


@given(st.integers(1, 10**7), st.integers(0, 10**7))
def test_a_refund_balances_and_the_seller_bears_it_less_the_commission_given_back(refunded, commission):
    commission = min(commission, refunded)
    entries = postings.refund(7, Money(refunded, EUR), Money(commission, EUR))

    totals = signed_by_account(entries)
    assert balances(entries)
    assert (totals[GATEWAY_BALANCE], totals[seller_payable(7)], totals[COMMISSION_REVENUE]) == (
        -refunded, refunded - commission, commission)


@given(st.integers(1, 10**7))
def test_transfers_reversals_and_payouts_move_a_sellers_money_and_balance(amount):
    money = Money(amount, EUR)
    moved = postings.transfer(3, money) + postings.payout(3, money)

    assert all(balances(recipe) for recipe in (postings.transfer(3, money), postings.reversal(3, money),
                                                 postings.payout(3, money), postings.receivable(3, money),
                                                 postings.netting(3, money), postings.plan_fee(3, money),
                                                 postings.dispute_lost(3, money),
                                                 postings.dispute_funds_withdrawn(money),
                                                 postings.dispute_funds_reinstated(money)))
    # Transferred and paid out: nothing left at the seller's connected account, and the payable is settled.
    totals = signed_by_account(moved)
    assert (totals[connected_balance(3)], totals[seller_payable(3)], totals[GATEWAY_BALANCE]) == (
        0, amount, -amount)
    assert postings.transfer(3, money)[0].side is Side.DEBIT
