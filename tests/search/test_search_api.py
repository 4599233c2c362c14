"""The search endpoints over HTTP: answers, the storefront's scope, and bad input (never a 500)."""
from __future__ import annotations

import pytest

from marketplace.search.opensearch_backend import OpenSearchBackend
from tenants.models import TenantStatus


def test_a_buyer_searches_the_marketplace(client, shop):
    response = client.get("/api/v1/search?q=iphone&sort=price_asc&attr=colour:blue&attr=colour:black")

    body = response.get_json()
    assert response.status_code == 200
    assert [item["title"] for item in body["items"]] == ["iPhone 15 Pro Case", "iPhone 15"]
    assert (body["total"], body["page"], body["page_size"]) == (2, 1, 20)
    assert body["items"][0]["seller"] == {"id": shop.acme.id, "slug": "acme", "name": "Acme"}
    assert body["items"][0]["category_path"] == [{"id": shop.electronics, "name": "Electronics"},
                                                 {"id": shop.phones, "name": "Phones"}]
    assert {"id": shop.phones, "name": "Phones", "slug": "phones", "count": 2} in body["facets"]["categories"]
    assert body["facets"]["attributes"]["colour"] == [{"value": "black", "count": 1}, {"value": "blue", "count": 1}]


def test_a_storefront_search_stays_in_its_store(client, shop):
    response = client.get("/api/v1/sellers/globex/search?q=headphones")

    assert response.status_code == 200
    assert [item["title"] for item in response.get_json()["items"]] == ["Bluetooth Speaker"]


def test_a_suspended_or_unknown_storefront_is_not_found(client, catalog, shop):
    catalog.set_status(shop.globex, TenantStatus.SUSPENDED)

    suspended = client.get("/api/v1/sellers/globex/search?q=mug")
    unknown = client.get("/api/v1/sellers/nobody/search?q=mug")
    suggestions = client.get("/api/v1/search/suggest?q=sto&seller=globex")

    assert (suspended.status_code, unknown.status_code, suggestions.status_code) == (404, 404, 404)
    assert suspended.get_json()["code"] == "not_found"


def test_typing_iph_suggests_the_iphone(client, shop):
    response = client.get("/api/v1/search/suggest?q=iph")

    assert response.status_code == 200
    assert response.get_json()["suggestions"][0] == {"text": "iPhone 15", "seller_slug": "acme",
                                                      "product_slug": "iphone-15-1"}


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/search?sort=cheapest", "sort"),
    ("/api/v1/search?colour=blue", "colour"),
    ("/api/v1/search?page_size=1000", "page_size"),
    ("/api/v1/search?page=100000", "page"),
    ("/api/v1/search?page=200&page_size=100", "page"),
    ("/api/v1/search?page=0", "page"),
    ("/api/v1/search?price_min=500&price_max=100", "price_max"),
    ("/api/v1/search?price_min=-1", "price_min"),
    ("/api/v1/search?category=abc", "category"),
    ("/api/v1/search?min_rating=6", "min_rating"),
    ("/api/v1/search?attr=colour", "attr"),
    ("/api/v1/search?currency=usd", "currency"),
    ("/api/v1/search?q=" + "x" * 201, "q"),
    ("/api/v1/sellers/acme/search?seller=globex", "seller"),
    ("/api/v1/search/suggest", "q"),
    ("/api/v1/search/suggest?q=iph&limit=500", "limit"),
])
def test_bad_search_parameters_are_refused_with_the_field_named(client, shop, path, field):
    response = client.get(path)

    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "validation_error"
    assert field in body["errors"]


@pytest.mark.parametrize("text", ['"', "iphone AND (", "title:*", "[1 TO *]", "a~2^3", "\\", "/.*/", "{{", "&&||!",
                                  "%00", "🙂", "<script>"])
def test_query_syntax_characters_never_break_a_search(client, shop, text):
    search = client.get("/api/v1/search", query_string={"q": text})
    suggest = client.get("/api/v1/search/suggest", query_string={"q": text})
    storefront = client.get("/api/v1/sellers/acme/search", query_string={"q": text, "attr": f"{text}:{text}"})

    assert (search.status_code, suggest.status_code, storefront.status_code) == (200, 200, 200)


def test_an_unreachable_search_engine_is_a_503_not_a_500(app, client):
    unreachable = OpenSearchBackend.from_url("http://127.0.0.1:9", prefix="nowhere_", retry_backoff_seconds=0)
    previous = app.extensions.get("search_backend")
    app.extensions["search_backend"] = unreachable
    try:
        search = client.get("/api/v1/search?q=mug")
        suggest = client.get("/api/v1/search/suggest?q=mu")
    finally:
        app.extensions["search_backend"] = previous

    assert (search.status_code, suggest.status_code) == (503, 503)
    assert search.get_json()["code"] == "unavailable"
    assert search.headers["Retry-After"] == "5"
