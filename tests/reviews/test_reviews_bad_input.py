"""Bad input on every reviews endpoint: a JSON error with the right status, and nothing changed."""
from __future__ import annotations

import pytest

from tests.reviews.conftest import PUBLIC_REVIEWS, REVIEWS

TOO_LONG = "x" * 5001


@pytest.fixture
def owner(account, add_member):
    owner = account("owner@example.com")
    add_member(owner)
    return owner


@pytest.fixture
def endpoints(buyer, owner, operator, review_id, bought_line):
    """name -> (path, headers, a valid body)."""
    return {
        "review": (REVIEWS, buyer.headers, {"order_line_id": bought_line, "rating": 5, "body": "Good."}),
        "reply": (f"/api/v1/sellers/shop/reviews/{review_id}/reply", owner.headers, {"body": "Thanks!"}),
        "hide": (f"/api/v1/operator/reviews/shop/{review_id}/hide", operator.headers, {"reason": "Spam"}),
        "unhide": (f"/api/v1/operator/reviews/shop/{review_id}/unhide", operator.headers, {"reason": "Fine"}),
    }


INVALID_FIELDS = [
    ("review", {"rating": 0}, "rating"),
    ("review", {"rating": 6}, "rating"),
    ("review", {"rating": 4.5}, "rating"),
    ("review", {"rating": "5"}, "rating"),
    ("review", {"rating": True}, "rating"),
    ("review", {"rating": None}, "rating"),
    ("review", {"order_line_id": "one"}, "order_line_id"),
    ("review", {"order_line_id": 0}, "order_line_id"),
    ("review", {"order_line_id": 2**63}, "order_line_id"),
    ("review", {"body": TOO_LONG}, "body"),
    ("review", {"body": ["a", "list"]}, "body"),
    ("review", {"buyer_user_id": 1}, "buyer_user_id"),
    ("reply", {"body": ""}, "body"),
    ("reply", {"body": "   "}, "body"),
    ("reply", {"body": TOO_LONG}, "body"),
    ("reply", {"replied_at": "2026-01-01"}, "replied_at"),
    ("hide", {"reason": "x" * 1001}, "reason"),
    ("hide", {"is_hidden": False}, "is_hidden"),
    ("unhide", {"reason": 42}, "reason"),
]


@pytest.mark.parametrize("endpoint, change, field", INVALID_FIELDS)
def test_an_invalid_field_is_a_422_naming_it(client, endpoints, review_state, endpoint, change, field):
    path, headers, body = endpoints[endpoint]
    before = review_state()

    response = client.post(path, json={**body, **change}, headers=headers)

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"
    assert field in response.get_json()["errors"]
    assert review_state() == before


@pytest.mark.parametrize("missing", ["order_line_id", "rating"])
def test_a_review_without_a_required_field_is_a_422(client, endpoints, review_state, missing):
    path, headers, body = endpoints["review"]
    before = review_state()

    response = client.post(path, json={key: value for key, value in body.items() if key != missing},
                           headers=headers)

    assert response.status_code == 422
    assert missing in response.get_json()["errors"]
    assert review_state() == before


@pytest.mark.parametrize("endpoint", ["review", "reply", "hide", "unhide"])
def test_malformed_json_is_a_400(client, endpoints, review_state, endpoint):
    path, headers, _ = endpoints[endpoint]
    before = review_state()

    response = client.post(path, data="{not json", headers=headers, content_type="application/json")

    assert response.status_code == 400
    assert response.get_json()["code"] == "bad_request"
    assert review_state() == before


@pytest.mark.parametrize("endpoint", ["review", "reply", "hide"])
def test_a_body_over_the_size_limit_is_a_413(client, endpoints, review_state, endpoint):
    path, headers, _ = endpoints[endpoint]
    before = review_state()

    response = client.post(path, data='{"body": "' + "x" * (2 * 1024 * 1024) + '"}', headers=headers,
                           content_type="application/json")

    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"
    assert review_state() == before


@pytest.mark.parametrize("path", [PUBLIC_REVIEWS, "/api/v1/sellers/shop/reviews"])
def test_unknown_query_parameters_on_review_lists_are_a_422(client, owner, path):
    response = client.get(path, query_string={"rating": "5"}, headers=owner.headers)

    assert response.status_code == 422
    assert "rating" in response.get_json()["errors"]


def test_a_review_id_that_is_not_a_number_is_a_404(client, owner, review_state):
    before = review_state()

    response = client.post("/api/v1/sellers/shop/reviews/abc/reply", json={"body": "Hi"}, headers=owner.headers)

    assert response.status_code == 404
    assert review_state() == before
