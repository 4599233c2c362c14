"""The one rounding rule for ratings: every place that shows an average star rating uses `average_rating`.

Only integers are stored (a total of stars and a count of visible reviews);
the average is computed on read, from the exact fraction total/count, to two
decimals, half up. Float division and Python's `round` (half to even, on a
binary value) would show 3.62 for 29 stars over 8 reviews where this shows 3.63.
"""
from __future__ import annotations

from fractions import Fraction

HUNDREDTHS = 100


def average_rating(rating_total: int, rating_count: int) -> float | None:
    """The mean of the stars, to two decimals (half up), or None without reviews."""
    if rating_count <= 0:
        return None
    hundredths = Fraction(rating_total * HUNDREDTHS, rating_count) + Fraction(1, 2)
    return (hundredths.numerator // hundredths.denominator) / HUNDREDTHS
