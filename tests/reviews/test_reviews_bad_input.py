"""Bad input on every reviews endpoint: a JSON error with the right status, and nothing changed."""
from __future__ import annotations

import pytest

from tests.bad_input import BadBodyTests, BodyEndpoint
from tests.reviews.conftest import PUBLIC_REVIEWS, REVIEWS

TOO_LONG = "x" * 5001


@pytest.fixture
def owner(account, add_member):
    owner = account("owner@example.com")
    add_member(owner)
    return owner


BODY_ENDPOINTS = {
    "review": BodyEndpoint("POST", REVIEWS, "buyer", {"order_line_id": "{bought_line}", "rating": 5, "body": "Good."},
                           frozenset({"order_line_id", "rating"})),
    "reply": BodyEndpoint("POST", "/api/v1/sellers/shop/reviews/{review_id}/reply", "owner", {"body": "Thanks!"}),
    "hide": BodyEndpoint("POST", "/api/v1/operator/reviews/shop/{review_id}/hide", "operator", {"reason": "Spam"}),
    "unhide": BodyEndpoint("POST", "/api/v1/operator/reviews/shop/{review_id}/unhide", "operator",
                           {"reason": "Fine"}),
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


@pytest.fixture
def send_body(client, buyer, owner, operator, review_id, bought_line):
    callers = {"buyer": buyer, "owner": owner, "operator": operator}

    def send(endpoint: str, **request):
        spec = BODY_ENDPOINTS[endpoint]
        if "json" in request and isinstance(request["json"], dict):
            # The purchase to review exists only once the test's fixtures made it.
            request["json"] = {key: bought_line if value == "{bought_line}" else value
                               for key, value in request["json"].items()}
        return client.open(spec.path.format(review_id=review_id), method=spec.method,
                           headers=callers[spec.caller].headers, **request)

    return send


@pytest.fixture
def database_state(review_state):
    return review_state


class TestBadBodies(BadBodyTests):
    endpoints = BODY_ENDPOINTS
    invalid_fields = INVALID_FIELDS


@pytest.mark.parametrize("missing", ["order_line_id", "rating"])
def test_a_review_without_a_required_field_is_a_422(send_body, review_state, missing):
    body = BODY_ENDPOINTS["review"].valid_body
    before = review_state()

    response = send_body("review", json={key: value for key, value in body.items() if key != missing})

    assert response.status_code == 422
    assert missing in response.get_json()["errors"]
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
