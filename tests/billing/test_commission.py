"""billing.commission: a rule's commission on a line, and the snapshot frozen on order lines."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from billing.commission import CommissionRule, FrozenRule, commission_for, rule_snapshot
from billing.money import CurrencyMismatch, Money


def rule(basis_points: int, fixed_fee_amount: int = 0, currency: str | None = None) -> CommissionRule:
    return CommissionRule(id=7, tenant_id=3, category_id=5, basis_points=basis_points,
                          fixed_fee_amount=fixed_fee_amount, currency=currency)


def test_the_commission_is_the_rounded_percentage_plus_the_fixed_fee():
    # 12.5% of 19.99 is 2.49875: 2.50, plus a 0.30 fee.
    assert commission_for(rule(1250, 30, "EUR"), Money(1999, "EUR")) == Money(280, "EUR")
    assert commission_for(rule(1000), Money(999, "JPY")) == Money(100, "JPY")


def test_without_a_rule_the_commission_is_zero():
    assert commission_for(None, Money(1999, "EUR")) == Money(0, "EUR")


def test_the_commission_never_exceeds_the_line_total():
    assert commission_for(rule(1000, 500, "EUR"), Money(200, "EUR")) == Money(200, "EUR")


def test_a_fee_in_another_currency_than_the_line_is_refused():
    with pytest.raises(CurrencyMismatch):
        commission_for(rule(1000, 30, "EUR"), Money(1000, "USD"))


def test_a_negative_line_total_is_refused():
    with pytest.raises(ValueError):
        commission_for(rule(1000), Money(-1, "EUR"))


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10**6),
       st.integers(min_value=0, max_value=10**12))
def test_the_frozen_snapshot_computes_the_same_commission_as_its_rule(basis_points, fee, line_total):
    live = rule(basis_points, fee, "EUR" if fee else None)

    frozen = FrozenRule.from_snapshot(rule_snapshot(live))

    assert commission_for(frozen, Money(line_total, "EUR")) == commission_for(live, Money(line_total, "EUR"))


def test_the_snapshot_of_no_rule_takes_nothing():
    snapshot = rule_snapshot(None)

    assert snapshot["rule_id"] is None
    assert commission_for(FrozenRule.from_snapshot(snapshot), Money(1999, "EUR")) == Money(0, "EUR")
