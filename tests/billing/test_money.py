"""billing.money: integer minor units, one currency at a time, splits that add up, one rounding rule."""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from billing.money import (
    CurrencyMismatch, Money, UnknownCurrency, allocate, exponent, format_amount, percentage,
)

CURRENCIES = st.sampled_from(["EUR", "USD", "JPY", "BHD", "KRW", "KWD"])
AMOUNTS = st.integers(min_value=-10**15, max_value=10**15)
MONEY = st.builds(Money, AMOUNTS, CURRENCIES)


@pytest.mark.parametrize(("currency", "digits"), [("EUR", 2), ("USD", 2), ("JPY", 0), ("KRW", 0), ("CLP", 0),
                                                   ("BHD", 3), ("KWD", 3), ("JOD", 3), ("OMR", 3), ("TND", 3)])
def test_each_currency_has_its_iso_minor_unit_digits(currency, digits):
    assert exponent(currency) == digits


@pytest.mark.parametrize("currency", ["XXX", "eur", "", "EURO", None])
def test_an_unknown_currency_code_is_refused(currency):
    with pytest.raises(UnknownCurrency):
        Money(100, currency)


@pytest.mark.parametrize("amount", [1.5, 1.0, "100", True, None])
def test_an_amount_must_be_a_whole_number_of_minor_units(amount):
    with pytest.raises(TypeError):
        Money(amount, "EUR")


def test_amounts_in_one_currency_add_subtract_negate_multiply_and_compare():
    price = Money(1999, "EUR")

    assert price + Money(1, "EUR") == Money(2000, "EUR")
    assert price - Money(2000, "EUR") == Money(-1, "EUR")
    assert -price == Money(-1999, "EUR")
    assert price * 3 == 3 * price == Money(5997, "EUR")
    assert Money(1, "EUR") < price <= Money(1999, "EUR") and price > Money(0, "EUR") >= Money(0, "EUR")


def test_multiplying_money_by_a_float_is_refused():
    with pytest.raises(TypeError):
        Money(100, "EUR") * 1.1


@given(MONEY, MONEY)
def test_arithmetic_and_ordering_across_currencies_are_refused(left, right):
    if left.currency == right.currency:
        return
    for combine in (lambda: left + right, lambda: left - right, lambda: left < right, lambda: left <= right,
                    lambda: left > right, lambda: left >= right):
        with pytest.raises(CurrencyMismatch):
            combine()
    assert left != right


# allocate's properties (sums, shares, zeros, mirrors) are in test_money_properties.py.

def test_allocate_breaks_ties_in_favour_of_the_earlier_weight():
    assert allocate(Money(100, "EUR"), [1, 1, 1]) == [Money(34, "EUR"), Money(33, "EUR"), Money(33, "EUR")]
    assert allocate(Money(-100, "EUR"), [1, 1, 1]) == [Money(-34, "EUR"), Money(-33, "EUR"), Money(-33, "EUR")]
    assert allocate(Money(5, "JPY"), [0, 1, 1]) == [Money(0, "JPY"), Money(3, "JPY"), Money(2, "JPY")]


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1], [1.5, 1]])
def test_allocate_refuses_weights_that_cannot_split_anything(weights):
    with pytest.raises((ValueError, TypeError)):
        allocate(Money(100, "EUR"), weights)


@pytest.mark.parametrize(("amount", "basis_points", "expected"), [
    (1000, 1250, 125),      # exact
    (100, 1250, 13),        # 12.5 → 13: a half goes away from zero
    (-100, 1250, -13),      # -12.5 → -13
    (101, 1250, 13),        # 12.625 → 13
    (99, 1250, 12),         # 12.375 → 12
    (1, 4999, 0),           # 0.4999 → 0
    (1, 5000, 1),           # 0.5 → 1
    (12345, 0, 0),
    (12345, 10000, 12345),
])
def test_percentage_rounds_to_the_nearest_unit_and_halves_away_from_zero(amount, basis_points, expected):
    assert percentage(Money(amount, "EUR"), basis_points) == Money(expected, "EUR")


@given(MONEY, st.integers(min_value=0, max_value=10_000))
def test_percentage_is_the_exact_value_rounded_half_away_from_zero(amount, basis_points):
    exact = Fraction(amount.amount * basis_points, 10_000)

    result = percentage(amount, basis_points)

    assert abs(result.amount - exact) <= Fraction(1, 2)
    if abs(result.amount - exact) == Fraction(1, 2):
        assert abs(result.amount) > abs(exact)
    assert percentage(-amount, basis_points) == -result
    assert result.currency == amount.currency


def test_percentage_refuses_fractional_basis_points():
    with pytest.raises(TypeError):
        percentage(Money(100, "EUR"), 12.5)


@pytest.mark.parametrize(("money", "text"), [
    (Money(1999, "EUR"), "19.99"), (Money(-5, "EUR"), "-0.05"), (Money(500, "JPY"), "500"),
    (Money(1250, "BHD"), "1.250"), (Money(0, "USD"), "0.00"), (Money(-7, "KRW"), "-7"),
])
def test_an_amount_is_displayed_with_its_currency_digits(money, text):
    assert format_amount(money) == text
