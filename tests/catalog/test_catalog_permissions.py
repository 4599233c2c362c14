"""Who may call each catalog endpoint: every role of the seller writes, operators read, nobody else gets in.

Each endpoint is called on fresh objects, so that the outcome depends on the
caller alone; a refused write must leave everything as it was, and a refusal
never carries the seller's data.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

import pytest

from marketplace.accounts.models import MemberRole

numbers = itertools.count(1)


@dataclass(frozen=True)
class Endpoint:
    method: str
    success_status: int
    # Arranges what the call needs (as the shop's staff) and returns (path, JSON body).
    prepare: Callable


def _draft(catalog) -> dict:
    number = next(numbers)
    product = catalog.create_product(f"product-{number}")
    catalog.add_variant(product["id"], f"SKU-{number}")
    return catalog.product(product["id"])


def _published(catalog) -> dict:
    return catalog.publish(_draft(catalog)["id"])


def _variant_path(product: dict) -> str:
    return f"/products/{product['id']}/variants/{product['variants'][0]['id']}"


def _import(catalog) -> dict:
    return catalog.call("POST", "/product-imports", 202, data=b"product_slug,title,sku,price_amount\nmug,Mug,M-1,9\n",
                        content_type="text/csv")


SELLER_READS = {
    "list products": Endpoint("GET", 200, lambda c: ("/products", None)),
    "get product": Endpoint("GET", 200, lambda c: (f"/products/{_draft(c)['id']}", None)),
    "list variants": Endpoint("GET", 200, lambda c: (f"/products/{_draft(c)['id']}/variants", None)),
    "get variant": Endpoint("GET", 200, lambda c: (_variant_path(_draft(c)), None)),
    "list stock movements": Endpoint("GET", 200, lambda c: (f"{_variant_path(_draft(c))}/stock-movements", None)),
    "get import": Endpoint("GET", 200, lambda c: (f"/product-imports/{_import(c)['id']}", None)),
}
SELLER_WRITES = {
    "create product": Endpoint("POST", 201, lambda c: ("/products", {"slug": f"new-{next(numbers)}", "title": "New"})),
    "update product": Endpoint("PATCH", 200, lambda c: (f"/products/{_draft(c)['id']}", {"title": "Renamed"})),
    "archive product (DELETE)": Endpoint("DELETE", 204, lambda c: (f"/products/{_draft(c)['id']}", None)),
    "publish": Endpoint("POST", 200, lambda c: (f"/products/{_draft(c)['id']}/publish", None)),
    "unpublish": Endpoint("POST", 200, lambda c: (f"/products/{_published(c)['id']}/unpublish", None)),
    "archive": Endpoint("POST", 200, lambda c: (f"/products/{_draft(c)['id']}/archive", None)),
    "add variant": Endpoint("POST", 201, lambda c: (f"/products/{_draft(c)['id']}/variants",
                                                    {"sku": f"NEW-{next(numbers)}", "price_amount": 100})),
    "update variant": Endpoint("PATCH", 200, lambda c: (_variant_path(_draft(c)), {"price_amount": 5})),
    "delete variant": Endpoint("DELETE", 204, lambda c: (_variant_path(_draft(c)), None)),
    "record stock movement": Endpoint("POST", 201, lambda c: (f"{_variant_path(_draft(c))}/stock-movements",
                                                              {"quantity_delta": 4, "reason": "receipt"})),
    "upload import": Endpoint("POST", 202, lambda c: ("/product-imports", "csv")),
}
IMPORT_FILE = b"product_slug,title,sku,price_amount\nbowl,Bowl,B-1,9\n"

# actor -> (status of seller reads, status of seller writes); None means the endpoint's success status.
SELLER_MATRIX = {
    "anonymous": (401, 401),
    "buyer": (403, 403),
    "staff": (None, None),
    "manager": (None, None),
    "owner": (None, None),
    "operator": (None, 403),
    "other seller's owner": (403, 403),
}


@pytest.fixture
def actors(request, shop, sign_up, make_seller):
    """Headers of the actor a test is about (only that one is signed up: accounts are slow to make on purpose)."""

    def rival_owner():
        owner = sign_up("owner@rival.example")
        make_seller("rival", {owner.user_id: MemberRole.OWNER})
        return owner

    makers = {
        "staff": lambda: shop.staff,
        "manager": lambda: request.getfixturevalue("shop_team")["manager"],
        "owner": lambda: request.getfixturevalue("shop_team")["owner"],
        "buyer": lambda: request.getfixturevalue("buyer"),
        "operator": lambda: request.getfixturevalue("operator"),
        "other seller's owner": rival_owner,
    }
    return lambda actor: {} if actor == "anonymous" else makers[actor]().headers


def call(client, shop, endpoint: Endpoint, path: str, body, headers):
    if body == "csv":
        return client.open(f"{shop.url}{path}", method=endpoint.method, headers=headers, data=IMPORT_FILE,
                           content_type="text/csv")
    return client.open(f"{shop.url}{path}", method=endpoint.method, headers=headers, json=body)


@pytest.mark.parametrize("actor", SELLER_MATRIX)
def test_seller_endpoints_answer_each_actor_as_the_matrix_says(client, shop, catalog, actors, catalog_state, actor):
    read_status, write_status = SELLER_MATRIX[actor]
    headers = actors(actor)
    outcomes, expected = {}, {}
    for name, endpoint in {**SELLER_READS, **SELLER_WRITES}.items():
        path, body = endpoint.prepare(catalog)
        wanted = (read_status if name in SELLER_READS else write_status) or endpoint.success_status
        before = catalog_state(shop.tenant)

        response = call(client, shop, endpoint, path, body, headers)

        outcomes[name], expected[name] = response.status_code, wanted
        if wanted in (401, 403):
            assert set(response.get_json()) == {"code", "message"}, name
            assert catalog_state(shop.tenant) == before, name
    assert outcomes == expected


OPERATOR_ENDPOINTS = {
    "create category": ("POST", 201, lambda make: ("/api/v1/operator/categories",
                                                   {"name": "New", "slug": f"new-{next(numbers)}"})),
    "change category": ("PATCH", 200, lambda make: (f"/api/v1/operator/categories/{make(f'c-{next(numbers)}')}",
                                                    {"name": "Renamed"})),
    "delete category": ("DELETE", 204, lambda make: (f"/api/v1/operator/categories/{make(f'c-{next(numbers)}')}",
                                                     None)),
}


@pytest.mark.parametrize("actor", SELLER_MATRIX)
def test_only_operators_write_the_category_tree_and_anyone_reads_it(client, actors, make_category, sql, actor):
    headers = actors(actor)
    outcomes, expected = {}, {}
    for name, (method, success_status, prepare) in OPERATOR_ENDPOINTS.items():
        path, body = prepare(make_category)
        before = sql("SELECT * FROM platform.categories ORDER BY id")

        response = client.open(path, method=method, headers=headers, json=body)

        wanted = success_status if actor == "operator" else 401 if actor == "anonymous" else 403
        outcomes[name], expected[name] = response.status_code, wanted
        if wanted != success_status:
            assert sql("SELECT * FROM platform.categories ORDER BY id") == before, name
    outcomes["read tree"] = client.get("/api/v1/categories", headers=headers).status_code
    expected["read tree"] = 200
    assert outcomes == expected


def test_a_product_id_of_another_seller_is_unknown_under_ones_own_url(client, catalog, sign_up, make_seller):
    theirs = catalog.published_product()
    rival_owner = sign_up("owner@rival.example")
    rival = make_seller("rival", {rival_owner.user_id: MemberRole.OWNER})

    response = client.get(f"/api/v1/sellers/{rival.slug}/products/{theirs['id']}", headers=rival_owner.headers)

    assert response.status_code == 404
    assert set(response.get_json()) == {"code", "message"}
