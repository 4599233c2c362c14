"""Facets and suggestions in one order for both backends, so that they answer alike.

Each backend counts and matches in its own way (GROUP BY, aggregations);
these helpers put what they found in the order buyers see: most products
first, ties by name; one suggestion per title.
"""
from __future__ import annotations

from typing import Iterable

from marketplace.search.port import CategoryCount, SellerCount, Suggestion, ValueCount

MAX_FACET_VALUES = 50
MAX_ATTRIBUTE_VALUES = 20


def ordered_categories(counts: Iterable[CategoryCount]) -> list[CategoryCount]:
    ordered = sorted((count for count in counts if count.count > 0), key=lambda c: (-c.count, c.category_id))
    return ordered[:MAX_FACET_VALUES]


def ordered_sellers(counts: Iterable[SellerCount]) -> list[SellerCount]:
    ordered = sorted((count for count in counts if count.count > 0), key=lambda c: (-c.count, c.seller_slug))
    return ordered[:MAX_FACET_VALUES]


def ordered_attributes(counts: Iterable[tuple[str, str, int]]) -> dict[str, list[ValueCount]]:
    """(name, value, count) triples as {name: values}, names alphabetical, each name's top values."""
    by_name: dict[str, list[ValueCount]] = {}
    for name, value, count in counts:
        if count > 0:
            by_name.setdefault(name, []).append(ValueCount(value, count))
    return {
        name: sorted(values, key=lambda v: (-v.count, v.value))[:MAX_ATTRIBUTE_VALUES]
        for name, values in sorted(by_name.items())
    }


def distinct_suggestions(candidates: Iterable[Suggestion], limit: int) -> list[Suggestion]:
    """The first `limit` suggestions with different titles (many sellers sell an "iPhone 15")."""
    seen: set[str] = set()
    suggestions = []
    for candidate in candidates:
        key = candidate.text.casefold()
        if key not in seen:
            seen.add(key)
            suggestions.append(candidate)
        if len(suggestions) == limit:
            break
    return suggestions
