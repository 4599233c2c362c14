"""The facets of the PostgreSQL search backend: counted over the matching documents, or read from stored counts.

Each facet counts the documents matching the search under every selection
but its own (multi-select). Two ways to the same exact numbers:

- counted (`_counted`): one statement over the matching documents that some
  facet counts, grouped by small keys (integers, short arrays), never JSON;
- stored (`_stored`): `platform.search_facet_counts`, each seller's counts
  by facet value, stock and currency, rewritten from its documents in the
  transaction of every write to them (`recount_facets`). A search without
  text or rating floor reads there the facets it selected nothing in, or
  the one it selected in alone: those count over every visible document,
  which is what made a broad search slow.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import psycopg
from sqlalchemy import (
    BigInteger, ColumnElement, Integer, and_, any_, case, cast, exists, func, or_, select, true, tuple_,
)
from sqlalchemy.dialects import postgresql

from marketplace.search.models import SearchAttributeSet, SearchDocument, SearchFacetCount
from marketplace.search.port import CategoryCount, Facets, PriceRangeCount, SellerCount
from marketplace.search.query import SearchQuery, price_ranges
from marketplace.search.results import ordered_attributes, ordered_categories, ordered_sellers
from tenants.locks import lock_sellers_facet_counts
from tenants.models import Tenant, TenantStatus

# The facets, by the name of the selection they leave out; an attribute's is `attribute_facet(name)`.
CATEGORY, SELLER, PRICE, ATTRIBUTE = "category", "seller", "price", "attribute"

doc = SearchDocument.__table__.c
attribute_set = SearchAttributeSet.__table__.c
facet_count = SearchFacetCount.__table__.c


def attribute_facet(name: str) -> str:
    return f"{ATTRIBUTE}:{name}"


@dataclass(frozen=True)
class FacetCounts:
    """Each facet's counts by value, before they are ordered and the sellers named."""

    sellers: dict[int, int]
    categories: dict[int, int]
    price_ranges: dict[int, int]
    attributes: dict[tuple[str, str], int]

    def with_facet_of(self, other: "FacetCounts", facet: str) -> "FacetCounts":
        """These counts, but for one facet's (one attribute's), taken from `other`."""
        if facet == SELLER:
            return replace(self, sellers=other.sellers)
        if facet == CATEGORY:
            return replace(self, categories=other.categories)
        if facet == PRICE:
            return replace(self, price_ranges=other.price_ranges)
        name = facet.removeprefix(f"{ATTRIBUTE}:")
        kept = {pair: count for pair, count in self.attributes.items() if pair[0] != name}
        return replace(self, attributes=kept | other.attributes)


def count_and_facets(session, query: SearchQuery, common_filters: list[ColumnElement[bool]],
                     selections: dict[str, ColumnElement[bool]],
                     attribute_set_ids: dict[str, list[int]]) -> tuple[int, Facets]:
    """The number of documents matching the search, and its facets.

    `common_filters` are what every facet counts under (the buyer filter,
    the text, stock, currency, rating); `selections` the buyer's choices by
    the facet each leaves out; `attribute_set_ids` the sets each attribute
    selection accepts.
    """
    # The stored counts are by seller, stock and currency: they answer common filters of those alone.
    stored_fit = not query.text and query.min_rating is None
    if stored_fit and not selections:
        stored = _stored(session, query, None)
        return sum(stored.sellers.values()), _facets(session, stored)
    if stored_fit and len(selections) == 1:
        # The selected facet counts over every visible document: stored. The others count under it.
        (facet,) = selections
        total, counted = _counted(session, [*common_filters, *selections.values()], selections)
        return total, _facets(session, counted.with_facet_of(_stored(session, query, facet), facet))
    total, counted = _counted(session, [*common_filters, *_failing_at_most_one(list(selections.values())),
                                        *_in_sets_failing_at_most_one(attribute_set_ids)], selections)
    return total, _facets(session, counted)


def _facets(session, counts: FacetCounts) -> Facets:
    return Facets(
        categories=ordered_categories(CategoryCount(category_id, count)
                                      for category_id, count in counts.categories.items()),
        sellers=ordered_sellers(_named_sellers(session, counts.sellers)),
        price_ranges=[PriceRangeCount(low, high, counts.price_ranges.get(index, 0))
                      for index, (low, high) in enumerate(price_ranges())],
        attributes=ordered_attributes((name, value, count) for (name, value), count in counts.attributes.items()),
    )


def _named_sellers(session, counts: dict[int, int]) -> list[SellerCount]:
    """The seller facet, each seller named as one of its visible documents names it."""
    seller_ids = [seller_id for seller_id, count in counts.items() if count > 0]
    if not seller_ids:
        return []
    # Read from the index of visible documents: the slug and name buyers see on this seller's hits (they
    # differ between its documents only while a rename is being reindexed).
    seller = select(func.unnest(cast(seller_ids, postgresql.ARRAY(BigInteger))).label("id")).subquery("seller")
    card = (select(doc.seller_slug, doc.seller_name)
            .where(doc.tenant_id == seller.c.id, doc.published, doc.seller_active).limit(1).lateral("card"))
    names = {row.id: (row.seller_slug, row.seller_name) for row in session.execute(
        select(seller.c.id, card.c.seller_slug, card.c.seller_name).select_from(seller.join(card, true())))}
    return [SellerCount(seller_id, *names[seller_id], counts[seller_id]) for seller_id in seller_ids
            if seller_id in names]


def _price_bucket(ranges: list[tuple[int, int | None]]) -> ColumnElement[int]:
    """The index of the price facet's range a document's price falls in (NULL without a price)."""
    return case((doc.min_price_amount.is_(None), None),
                *[(doc.min_price_amount < high, index) for index, (_, high) in enumerate(ranges) if high],
                else_=len(ranges) - 1)


# Counted over the matching documents

def _counted(session, conditions: list[ColumnElement[bool]],
             selections: dict[str, ColumnElement[bool]]) -> tuple[int, FacetCounts]:
    """The total and every facet in one statement: one pass over the documents `conditions` keep.

    Each row carries one flag per selection (whether it passes it). One
    GROUP BY GROUPING SETS counts the rows by seller, by category path, by
    price range and by attribute set, the flags part of every grouping: small
    keys (integers, short arrays), small hash tables. The attribute sets'
    groups are then added up by attribute name and value, each set expanded
    once. Each facet adds up the groups that pass every selection but its
    own. Exact: the counts a GROUP BY per facet, each with its own WHERE,
    would give.
    """
    flag_names = {facet: f"passes_{index}" for index, facet in enumerate(selections)}
    matching = (select(doc.tenant_id, doc.category_path_ids, _price_bucket(price_ranges()).label("bucket"),
                       doc.attribute_set_id,
                       *[selection.label(flag_names[facet]) for facet, selection in selections.items()])
                .where(*conditions).subquery("matching"))
    row = matching.c
    flags = [row[name] for name in flag_names.values()]
    keyed = select(
        func.grouping(row.tenant_id, row.category_path_ids, row.bucket, row.attribute_set_id).label("grouping"),
        row.tenant_id, row.category_path_ids, row.bucket, row.attribute_set_id, *flags, func.count().label("count"),
    ).group_by(func.grouping_sets(*[tuple_(key, *flags) for key in (row.tenant_id, row.category_path_ids,
                                                                    row.bucket, row.attribute_set_id)])
               ).subquery("keyed")
    key = keyed.c
    key_flags = [key[name] for name in flag_names.values()]
    pair = func.jsonb_each_text(attribute_set.attributes).table_valued("key", "value").lateral("pair")
    expanded = [key.grouping, key.tenant_id, key.category_path_ids, key.bucket, pair.c.key.label("attribute_name"),
                pair.c.value.label("attribute_value"), *key_flags]
    grouped = select(*expanded, cast(func.sum(key.count), BigInteger).label("count")).select_from(
        keyed.outerjoin(SearchAttributeSet, attribute_set.id == key.attribute_set_id).outerjoin(pair, true())
    ).group_by(*expanded)
    groups = [_Group(row, flag_names) for row in session.execute(grouped).all()]
    return sum(_counts_by_seller(groups, None).values()), FacetCounts(
        sellers=_counts_by_seller(groups, SELLER),
        categories=_category_counts(groups),
        price_ranges=_price_range_counts(groups),
        attributes=_attribute_counts(groups, selections),
    )


def _failing_at_most_one(selections: list[ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    """The rows some facet counts: those failing one selection at most (a row failing two counts nowhere)."""
    if len(selections) < 2:
        return []
    return [or_(*[and_(*[other for other in selections if other is not left_out]) for left_out in selections])]


def _in_sets_failing_at_most_one(attribute_set_ids: dict[str, list[int]]) -> list[ColumnElement[bool]]:
    """Under two attribute selections or more, the rows some facet counts are in the sets failing one at most.

    Implied by `_failing_at_most_one`, but as one list of sets: the index
    of visible documents by attribute set then reads those rows alone.
    """
    if len(attribute_set_ids) < 2:
        return []
    passed = Counter(set_id for set_ids in attribute_set_ids.values() for set_id in set_ids)
    kept = sorted(set_id for set_id, count in passed.items() if count >= len(attribute_set_ids) - 1)
    return [doc.attribute_set_id == any_(cast(kept, postgresql.ARRAY(Integer)))]


# GROUPING(tenant_id, category_path_ids, bucket, attribute_set_id): a bit for each one a row is not grouped by.
BY_SELLER, BY_CATEGORY_PATH, BY_PRICE_BUCKET, BY_ATTRIBUTE_SET = 0b0111, 0b1011, 0b1101, 0b1110


class _Group:
    """One row of the grouping: which grouping, its key, the selections its rows fail, how many rows."""

    def __init__(self, row, flag_names: dict[str, str]):
        self.row = row
        self.by = row.grouping
        self.count = row.count
        self.failed = {facet for facet, name in flag_names.items() if not getattr(row, name)}

    def passes_all_but(self, facet: str | None) -> bool:
        """Whether its rows pass every selection, that of `facet` aside."""
        return not (self.failed - {facet})


def _counts_by_seller(groups: list[_Group], facet: str | None) -> dict[int, int]:
    """Rows per seller id passing every selection but that of `facet` (every one if None)."""
    counts: dict[int, int] = {}
    for group in groups:
        if group.by == BY_SELLER and group.passes_all_but(facet):
            counts[group.row.tenant_id] = counts.get(group.row.tenant_id, 0) + group.count
    return counts


def _category_counts(groups: list[_Group]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for group in groups:
        if group.by == BY_CATEGORY_PATH and group.passes_all_but(CATEGORY):
            for category_id in group.row.category_path_ids or []:
                counts[category_id] = counts.get(category_id, 0) + group.count
    return counts


def _price_range_counts(groups: list[_Group]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for group in groups:
        if group.by == BY_PRICE_BUCKET and group.row.bucket is not None and group.passes_all_but(PRICE):
            counts[group.row.bucket] = counts.get(group.row.bucket, 0) + group.count
    return counts


def _attribute_counts(groups: list[_Group], selections: dict[str, ColumnElement[bool]]) -> dict[tuple[str, str], int]:
    """Attributes nobody selected are counted under every selection; a selected one without its own."""
    counts: dict[tuple[str, str], int] = {}
    for group in groups:
        name, value = group.row.attribute_name, group.row.attribute_value
        if group.by != BY_ATTRIBUTE_SET or name is None:  # a set without attributes
            continue
        facet = attribute_facet(name)
        if group.passes_all_but(facet if facet in selections else None):
            counts[(name, value)] = counts.get((name, value), 0) + group.count
    return counts


# Stored per seller

def _stored(session, query: SearchQuery, facet: str | None) -> FacetCounts:
    """One facet's counts (every facet's if None) over every visible document the common filters keep.

    Only for a search without text or rating floor: the counts are by stock
    and currency, nothing finer. The registry is read now, as the documents'
    buyer filter reads it: a suspended seller counts nowhere.
    """
    conditions = [exists().where(Tenant.id == facet_count.tenant_id, Tenant.status == TenantStatus.ACTIVE)]
    if query.seller_id is not None:
        conditions.append(facet_count.tenant_id == query.seller_id)
    if query.in_stock:
        conditions.append(facet_count.in_stock)
    if query.currency is not None:
        conditions.append(facet_count.currency == query.currency)
    if facet is not None and facet.startswith(f"{ATTRIBUTE}:"):
        conditions += [facet_count.facet == ATTRIBUTE, facet_count.facet_key == facet.removeprefix(f"{ATTRIBUTE}:")]
    elif facet is not None:
        conditions.append(facet_count.facet == facet)
    rows = session.execute(
        select(facet_count.facet, facet_count.facet_key, facet_count.facet_value,
               cast(func.sum(facet_count.document_count), BigInteger).label("count"))
        .where(*conditions).group_by(facet_count.facet, facet_count.facet_key, facet_count.facet_value)
    ).all()
    return FacetCounts(
        sellers={int(row.facet_key): row.count for row in rows if row.facet == SELLER},
        categories={int(row.facet_key): row.count for row in rows if row.facet == CATEGORY},
        price_ranges={int(row.facet_key): row.count for row in rows if row.facet == PRICE},
        attributes={(row.facet_key, row.facet_value): row.count for row in rows if row.facet == ATTRIBUTE},
    )


def recount_facets(connection: psycopg.Connection, seller_ids: list[int]) -> None:
    """Rewrite the sellers' stored counts from their documents, in the transaction that just wrote these.

    Two writers of one seller take turns from here to their commit: the
    second one's recount, a statement started after the first committed,
    sees both writes. Sellers are taken in id order, so that two writers of
    several never wait for each other in a cycle. A seller's documents are
    read through the index of visible ones (a few milliseconds for 5,000).
    """
    if not seller_ids:
        return
    lock_sellers_facet_counts(connection, seller_ids)
    with connection.cursor() as cursor:
        cursor.execute(_DELETE_FACET_COUNTS, {"seller_ids": seller_ids})
        cursor.execute(_COUNT_FACETS, {"seller_ids": seller_ids})


def _sql(expression: ColumnElement) -> str:
    """The SQL of an expression of constants and columns, as written into a statement of ours."""
    return str(expression.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def _table(model) -> str:
    return f"{model.__table__.schema}.{model.__tablename__}"


_DELETE_FACET_COUNTS = f"DELETE FROM {_table(SearchFacetCount)} WHERE tenant_id = ANY(%(seller_ids)s)"
# Each visible document counts once for its seller, once for every category of its path, once for its price's
# range and once for each of its attributes, by stock and currency. The price ranges are the query's
# (`price_ranges`): a change of their edges needs the counts rewritten (`flask search reindex`).
_COUNT_FACETS = f"""
    WITH visible AS MATERIALIZED (
        SELECT tenant_id, in_stock, currency, category_path_ids, attribute_set_id,
               {_sql(_price_bucket(price_ranges()))} AS price_bucket
        FROM {_table(SearchDocument)} WHERE tenant_id = ANY(%(seller_ids)s) AND published AND seller_active
    )
    INSERT INTO {_table(SearchFacetCount)} (tenant_id, in_stock, currency, facet, facet_key, facet_value,
                                            document_count)
    SELECT tenant_id, in_stock, currency, '{SELLER}', tenant_id::text, '', count(*)
    FROM visible GROUP BY tenant_id, in_stock, currency
    UNION ALL
    SELECT tenant_id, in_stock, currency, '{CATEGORY}', category_id::text, '', count(*)
    FROM visible CROSS JOIN unnest(category_path_ids) AS category_id
    GROUP BY tenant_id, in_stock, currency, category_id
    UNION ALL
    SELECT tenant_id, in_stock, currency, '{PRICE}', price_bucket::text, '', count(*)
    FROM visible WHERE price_bucket IS NOT NULL GROUP BY tenant_id, in_stock, currency, price_bucket
    UNION ALL
    SELECT by_set.tenant_id, by_set.in_stock, by_set.currency, '{ATTRIBUTE}', pair.key, pair.value,
           sum(by_set.documents)
    FROM (SELECT tenant_id, in_stock, currency, attribute_set_id, count(*) AS documents
          FROM visible GROUP BY tenant_id, in_stock, currency, attribute_set_id) AS by_set
    JOIN {_table(SearchAttributeSet)} AS attribute_set ON attribute_set.id = by_set.attribute_set_id
    CROSS JOIN jsonb_each_text(attribute_set.attributes) AS pair
    GROUP BY by_set.tenant_id, by_set.in_stock, by_set.currency, pair.key, pair.value
"""
