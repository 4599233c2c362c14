"""Search requests for OpenSearch, built from the backend-neutral query (pure functions, no I/O).

Every request body built here carries the buyer filter (published products
of active sellers) in its `query`: `buyer_filter` is the first clause of
each, whatever the caller asked. The sellers the registry says are not
active now are a required argument of each builder, so no request can leave
them out. Facet selections (category, seller, price,
attributes) go to `post_filter`, and each facet's aggregation applies every
selection but its own, so a selected value never shrinks its own counts.

Buyer text never reaches a query parser: words go to `multi_match`
(analysed as plain text), so `"`, `(`, `:` or `*` cannot break a query.
"""
from __future__ import annotations

from typing import Any, Collection

from marketplace.search.query import SearchQuery, SortOrder, SuggestQuery, price_ranges

# name and value of an attribute, joined into one keyword (a control character no one types)
ATTRIBUTE_SEPARATOR = "\u001f"
TITLE_BOOST = 3
TEXT_FIELDS = [f"title^{TITLE_BOOST}", "description", "category_path_names^0.5"]
SUGGEST_FIELDS = ["title.suggest", "title.suggest._2gram", "title.suggest._3gram"]
FACET_BUCKETS = 200
ATTRIBUTE_PAIR_BUCKETS = 500

Clause = dict[str, Any]


def buyer_filter(hidden_seller_ids: Collection[int], seller_id: int | None = None) -> list[Clause]:
    """What a buyer may see: published products of active sellers (of one seller in a storefront).

    A document's `seller_active` follows the registry only once the status
    job has run; `hidden_seller_ids`, the sellers the registry says are not
    active at the moment of the query, hide them from the moment an operator
    suspended or closed them.
    """
    clauses: list[Clause] = [{"term": {"published": True}}, {"term": {"seller_active": True}}]
    if hidden_seller_ids:
        clauses.append({"bool": {"must_not": [{"terms": {"seller_id": sorted(hidden_seller_ids)}}]}})
    if seller_id is not None:
        clauses.append({"term": {"seller_id": seller_id}})
    return clauses


def attribute_pair(name: str, value: str) -> str:
    return f"{name}{ATTRIBUTE_SEPARATOR}{value}"


def search_body(query: SearchQuery, *, hidden_seller_ids: Collection[int]) -> dict[str, Any]:
    selections = _facet_selections(query)
    return {
        "from": query.offset,
        "size": query.page_size,
        "track_total_hits": True,
        "query": {"bool": {"filter": buyer_filter(hidden_seller_ids, query.seller_id) + _fixed_filters(query),
                           "must": _text_clauses(query.text)}},
        "post_filter": {"bool": {"filter": [clause for clauses in selections.values() for clause in clauses]}},
        "sort": _sort(query),
        "aggs": _aggregations(query, selections),
    }


def suggest_body(query: SuggestQuery, *, hidden_seller_ids: Collection[int]) -> dict[str, Any]:
    return {
        # Several sellers may sell the same title: ask for more, keep one per title.
        "size": query.limit * 5,
        "_source": ["title", "seller_slug", "product_slug"],
        "query": {"bool": {
            "filter": buyer_filter(hidden_seller_ids, query.seller_id),
            "must": [{"multi_match": {"query": query.prefix, "type": "bool_prefix", "operator": "and",
                                      "fields": SUGGEST_FIELDS}}],
        }},
        "sort": ["_score", {"title.keyword": "asc"}],
    }


def _text_clauses(text: str) -> list[Clause]:
    # One clause per word: each must match title, description or category (typos forgiven),
    # not necessarily the same field, as in the PostgreSQL backend.
    return [
        {"multi_match": {"query": word, "fields": TEXT_FIELDS, "fuzziness": "AUTO", "prefix_length": 1,
                         "operator": "and", "zero_terms_query": "all"}}
        for word in text.split()
    ]


def _fixed_filters(query: SearchQuery) -> list[Clause]:
    """Filters that are not facets: they narrow the hits and every count alike."""
    clauses: list[Clause] = []
    if query.currency is not None:
        clauses.append({"term": {"currency": query.currency}})
    if query.in_stock:
        clauses.append({"term": {"in_stock": True}})
    if query.min_rating is not None:
        clauses.append({"range": {"rating": {"gte": query.min_rating}}})
    return clauses


def _facet_selections(query: SearchQuery) -> dict[str, list[Clause]]:
    """The buyer's facet selections by facet ("category", "seller", "price", "attr:<name>")."""
    selections: dict[str, list[Clause]] = {}
    if query.category_ids:
        selections["category"] = [{"terms": {"category_path_ids": list(query.category_ids)}}]
    if query.seller_slugs:
        selections["seller"] = [{"terms": {"seller_slug": list(query.seller_slugs)}}]
    price_bounds = {bound: amount for bound, amount in (("gte", query.price_min), ("lte", query.price_max))
                    if amount is not None}
    if price_bounds:
        selections["price"] = [{"range": {"min_price_amount": price_bounds}}]
    for attribute in query.attributes:
        pairs = [attribute_pair(attribute.name, value) for value in attribute.values]
        selections[f"attr:{attribute.name}"] = [{"terms": {"attribute_pairs": pairs}}]
    return selections


def _all_but(selections: dict[str, list[Clause]], own: str) -> Clause:
    return {"bool": {"filter": [clause for facet, clauses in selections.items() if facet != own
                                for clause in clauses]}}


def _aggregations(query: SearchQuery, selections: dict[str, list[Clause]]) -> dict[str, Any]:
    aggregations: dict[str, Any] = {
        "categories": {"filter": _all_but(selections, "category"),
                       "aggs": {"values": {"terms": {"field": "category_path_ids", "size": FACET_BUCKETS}}}},
        "sellers": {"filter": _all_but(selections, "seller"),
                    "aggs": {"values": {"terms": {"field": "seller_id", "size": FACET_BUCKETS},
                                        "aggs": {"card": {"top_hits": {
                                            "size": 1, "_source": ["seller_slug", "seller_name"]}}}}}},
        "prices": {"filter": _all_but(selections, "price"),
                   "aggs": {"values": {"range": {"field": "min_price_amount", "ranges": [
                       {"from": low, **({"to": high} if high is not None else {})} for low, high in price_ranges()
                   ]}}}},
        # Unselected attributes: counted under every selection.
        "attributes": {"filter": _all_but(selections, ""),
                       "aggs": {"values": {"terms": {"field": "attribute_pairs", "size": ATTRIBUTE_PAIR_BUCKETS}}}},
    }
    # A selected attribute: counted without its own selection (the backend keeps this name's pairs;
    # an `include` regex would have to escape whatever names sellers choose).
    for index, attribute in enumerate(query.attributes):
        aggregations[f"attribute_{index}"] = {
            "filter": _all_but(selections, f"attr:{attribute.name}"),
            "aggs": {"values": {"terms": {"field": "attribute_pairs", "size": ATTRIBUTE_PAIR_BUCKETS}}},
        }
    return aggregations


def _sort(query: SearchQuery) -> list[Any]:
    # The same orders and tie-breaks as the PostgreSQL backend, so pages agree between the two.
    ties = [{"seller_id": "asc"}, {"product_id": "asc"}]
    newest = [{"published_at": {"order": "desc", "missing": "_last"}}, {"seller_id": "desc"}, {"product_id": "desc"}]
    if query.sort == SortOrder.PRICE_ASC:
        return [{"min_price_amount": {"order": "asc", "missing": "_last"}}, *ties]
    if query.sort == SortOrder.PRICE_DESC:
        return [{"min_price_amount": {"order": "desc", "missing": "_last"}}, *ties]
    if query.sort == SortOrder.RATING:
        return [{"rating": {"order": "desc", "missing": "_last"}}, {"rating_count": "desc"}, *ties]
    if query.sort == SortOrder.RELEVANCE and query.text:
        return ["_score", *newest]
    return newest
