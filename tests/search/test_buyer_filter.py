"""Every request our query builder sends to OpenSearch carries the buyer filter, whatever the query."""
from __future__ import annotations

from hypothesis import given, strategies as st

from marketplace.search.opensearch_dsl import buyer_filter, search_body, suggest_body
from marketplace.search.query import AttributeFilter, SearchQuery, SortOrder, SuggestQuery

VISIBLE_ONLY = [{"term": {"published": True}}, {"term": {"seller_active": True}}]

queries = st.builds(
    SearchQuery,
    text=st.text(max_size=50),
    category_ids=st.lists(st.integers(min_value=1), max_size=3).map(tuple),
    seller_slugs=st.lists(st.text(min_size=1, max_size=10), max_size=3).map(tuple),
    price_min=st.none() | st.integers(min_value=0),
    price_max=st.none() | st.integers(min_value=0),
    in_stock=st.booleans(),
    min_rating=st.none() | st.floats(min_value=0, max_value=5),
    attributes=st.lists(st.builds(AttributeFilter, name=st.text(min_size=1, max_size=10),
                                  values=st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=3)
                                  .map(tuple)), max_size=3).map(tuple),
    sort=st.sampled_from(SortOrder),
    seller_id=st.none() | st.integers(min_value=1),
)


hidden_sellers = st.lists(st.integers(min_value=1), max_size=5)


def hides(hidden_seller_ids: list[int]) -> list[dict]:
    """The clause a request needs to keep the sellers the registry says are not active out of it."""
    if not hidden_seller_ids:
        return []
    return [{"bool": {"must_not": [{"terms": {"seller_id": sorted(hidden_seller_ids)}}]}}]


@given(queries, hidden_sellers)
def test_a_search_request_always_filters_on_published_products_of_active_sellers(query, hidden_seller_ids):
    body = search_body(query, hidden_seller_ids=hidden_seller_ids)

    assert body["query"]["bool"]["filter"][:2] == VISIBLE_ONLY
    assert all(clause in body["query"]["bool"]["filter"] for clause in hides(hidden_seller_ids))
    if query.seller_id is not None:
        assert {"term": {"seller_id": query.seller_id}} in body["query"]["bool"]["filter"]


@given(st.text(min_size=1, max_size=100), st.none() | st.integers(min_value=1), hidden_sellers)
def test_a_suggest_request_always_filters_on_published_products_of_active_sellers(prefix, seller_id,
                                                                                   hidden_seller_ids):
    body = suggest_body(SuggestQuery(prefix=prefix, seller_id=seller_id), hidden_seller_ids=hidden_seller_ids)

    assert body["query"]["bool"]["filter"] == buyer_filter(hidden_seller_ids, seller_id)
    assert body["query"]["bool"]["filter"][:2] == VISIBLE_ONLY
    assert all(clause in body["query"]["bool"]["filter"] for clause in hides(hidden_seller_ids))


def test_buyer_text_never_reaches_a_query_parser():
    body = search_body(SearchQuery(text='title:x* AND "y'), hidden_seller_ids=[])

    assert "query_string" not in str(body) and "simple_query_string" not in str(body)
    assert [clause["multi_match"]["query"] for clause in body["query"]["bool"]["must"]] == ["title:x*", "AND", '"y']
