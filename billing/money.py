"""Amounts of money: integer minor units with an ISO 4217 currency, and the one place they are rounded.

A `Money` is a whole number of the currency's minor unit (cents, yen, fils)
with its currency code. Arithmetic between two currencies is refused
(`CurrencyMismatch`), an unknown code is refused (`UnknownCurrency`), and a
float is refused everywhere: nothing here ever holds a fraction of a minor
unit. The two operations that divide money (a share of a total, a
percentage) live here, each with its rule written down:

- `allocate(total, weights)` splits by largest remainder, so the parts always
  add up to the whole, and each is within one minor unit of its exact share.
- `percentage(amount, basis_points)` rounds half away from zero (see there).

The exponent table is ISO 4217's minor units of the currencies in use. It is
our own small table rather than CLDR's (as Babel ships it), because CLDR
gives display digits, which differ from ISO for some codes (IQD: ISO 3, CLDR 0),
and payment processors follow ISO.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

BASIS_POINTS_PER_WHOLE = 10_000

_ZERO_DECIMAL_CURRENCIES = (
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF",
    "XOF", "XPF",
)
_THREE_DECIMAL_CURRENCIES = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")
_FOUR_DECIMAL_CURRENCIES = ("CLF", "UYW")
_TWO_DECIMAL_CURRENCIES = (
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD", "BND",
    "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CNY", "COP", "COU",
    "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
    "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR",
    "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU",
    "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK",
    "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS",
    "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD",
    "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
)

# Digits after the decimal point of each currency in use (ISO 4217 "minor unit").
CURRENCY_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(_TWO_DECIMAL_CURRENCIES, 2),
    **dict.fromkeys(_ZERO_DECIMAL_CURRENCIES, 0),
    **dict.fromkeys(_THREE_DECIMAL_CURRENCIES, 3),
    **dict.fromkeys(_FOUR_DECIMAL_CURRENCIES, 4),
}


class UnknownCurrency(ValueError):
    def __init__(self, currency: object):
        super().__init__(f"{currency!r} is not an ISO 4217 currency code in use.")
        self.currency = currency


class CurrencyMismatch(ValueError):
    def __init__(self, left: str, right: str):
        super().__init__(f"Cannot combine amounts in {left} and {right}.")
        self.currencies = (left, right)


def exponent(currency: str) -> int:
    """The currency's minor-unit digits: 2 for EUR (cents), 0 for JPY, 3 for BHD; UnknownCurrency otherwise."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except (KeyError, TypeError):
        raise UnknownCurrency(currency) from None


def _require_int(value: object, what: str) -> int:
    # bool is an int subclass, and True cents is a bug, not an amount.
    if type(value) is not int:
        raise TypeError(f"{what} must be an int, not {type(value).__name__}.")
    return value


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of an ISO 4217 currency: Money(1999, "EUR") is €19.99, Money(500, "JPY") ¥500.

    Equal when amount and currency are; ordering and arithmetic across currencies raise CurrencyMismatch.
    """

    amount: int
    currency: str

    def __post_init__(self) -> None:
        _require_int(self.amount, "An amount")
        exponent(self.currency)

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    def _same_currency(self, other: "Money") -> int:
        if not isinstance(other, Money):
            raise TypeError(f"Cannot combine Money with {type(other).__name__}.")
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency)
        return other.amount

    def __add__(self, other: "Money") -> "Money":
        return Money(self.amount + self._same_currency(other), self.currency)

    def __sub__(self, other: "Money") -> "Money":
        return Money(self.amount - self._same_currency(other), self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int) -> "Money":
        return Money(self.amount * _require_int(factor, "A factor"), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: "Money") -> bool:
        return self.amount < self._same_currency(other)

    def __le__(self, other: "Money") -> bool:
        return self.amount <= self._same_currency(other)

    def __gt__(self, other: "Money") -> bool:
        return self.amount > self._same_currency(other)

    def __ge__(self, other: "Money") -> bool:
        return self.amount >= self._same_currency(other)

    def __bool__(self) -> bool:
        return self.amount != 0


def allocate(total: Money, weights: Sequence[int]) -> list[Money]:
    """Split `total` in proportion to `weights`, by largest remainder: the parts always sum to `total`.

    Each part first gets the floor of its exact share (total × weight / sum of
    weights, in minor units); the units left over go one each to the parts
    with the largest remainders, the earlier weight first on a tie. So every
    part is within one minor unit of its exact share, a zero weight gets
    zero, and the same input always gives the same split. A negative total
    is split as its opposite, then negated, so a refund mirrors its charge.
    Weights are non-negative ints, at least one of them positive.
    """
    if not weights:
        raise ValueError("allocate needs at least one weight.")
    for weight in weights:
        if _require_int(weight, "A weight") < 0:
            raise ValueError("Weights cannot be negative.")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError("At least one weight must be positive.")
    if total.amount < 0:
        return [-part for part in allocate(-total, weights)]
    floors_and_remainders = [divmod(total.amount * weight, weight_sum) for weight in weights]
    parts = [floor for floor, _ in floors_and_remainders]
    units_left = total.amount - sum(parts)
    by_largest_remainder = sorted(range(len(weights)), key=lambda index: (-floors_and_remainders[index][1], index))
    for index in by_largest_remainder[:units_left]:
        parts[index] += 1
    return [Money(part, total.currency) for part in parts]


def percentage(amount: Money, basis_points: int) -> Money:
    """`basis_points` hundredths of a percent of `amount` (1250 is 12.5%), rounded half away from zero.

    The one rounding rule for percentages: the exact value amount × bp / 10,000
    is rounded to the nearest minor unit, and an exact half goes away from
    zero (12.5 → 13, -12.5 → -13), in integers only. Chosen because it is
    symmetric, percentage(-x) == -percentage(x), so a full refund reverses
    exactly the commission its charge took; because it is the rule sellers
    check an invoice with (a calculator's, Decimal's ROUND_HALF_UP); and
    because its bias is confined to exact halves, at most half a minor unit
    per line. Banker's rounding would be unbiased on long sums of halves,
    but fees are rounded once per order line, not summed before rounding.
    """
    _require_int(basis_points, "Basis points")
    whole_units, remainder = divmod(abs(amount.amount) * abs(basis_points), BASIS_POINTS_PER_WHOLE)
    if 2 * remainder >= BASIS_POINTS_PER_WHOLE:
        whole_units += 1
    negative = (amount.amount < 0) != (basis_points < 0)
    return Money(-whole_units if negative else whole_units, amount.currency)


def format_amount(money: Money) -> str:
    """The amount as a decimal string with the currency's digits, for display: "19.99", "-0.05", "500", "1.250"."""
    digits = exponent(money.currency)
    sign = "-" if money.amount < 0 else ""
    if digits == 0:
        return f"{sign}{abs(money.amount)}"
    major, minor = divmod(abs(money.amount), 10 ** digits)
    return f"{sign}{major}.{minor:0{digits}d}"
