"""Bad input on every accounts endpoint: a clear JSON error with the right status, and no change in the database."""
from __future__ import annotations

import pytest

LONG_EMAIL = "a" * 243 + "@example.com"  # 255 characters

# method, path, whether it needs a token, a valid body
BODY_ENDPOINTS = {
    "register": ("POST", "/api/v1/auth/register", False,
                 {"email": "new@example.com", "password": "a long password", "full_name": "New Person"}),
    "log in": ("POST", "/api/v1/auth/token", False, {"email": "buyer@example.com", "password": "a long password"}),
    "update me": ("PATCH", "/api/v1/me", True, {"full_name": "New Name"}),
    "change password": ("POST", "/api/v1/me/password", True,
                        {"current_password": "correct horse battery", "new_password": "a brand new secret"}),
}

INVALID_FIELDS = [
    ("register", {"email": "not-an-email"}, "email"),
    ("register", {"email": 42}, "email"),
    ("register", {"email": LONG_EMAIL}, "email"),
    ("register", {"password": "too short"}, "password"),
    ("register", {"password": "x" * 129}, "password"),
    ("register", {"password": None}, "password"),
    ("register", {"full_name": "   "}, "full_name"),
    ("register", {"full_name": "x" * 121}, "full_name"),
    ("register", {"is_operator": True}, "is_operator"),
    ("log in", {"email": "not-an-email"}, "email"),
    ("log in", {"password": ""}, "password"),
    ("log in", {"password": "x" * 129}, "password"),
    ("update me", {"full_name": ""}, "full_name"),
    ("update me", {"full_name": ["a", "list"]}, "full_name"),
    ("update me", {"email": "other@example.com"}, "email"),
    ("change password", {"new_password": "too short"}, "new_password"),
    ("change password", {"current_password": ""}, "current_password"),
    ("change password", {"new_password": 1234567890}, "new_password"),
]


@pytest.fixture
def database_state(row_counts, sql):
    """Row counts plus what a request could change in place (names, hashes, token revocations)."""

    def snapshot():
        return (row_counts(),
                sql("SELECT email, full_name, password_hash, is_operator FROM platform.users ORDER BY id"),
                sql("SELECT id, revoked_at FROM platform.api_tokens ORDER BY id"))

    return snapshot


def send(client, buyer, endpoint: str, **request):
    method, path, needs_token, _ = BODY_ENDPOINTS[endpoint]
    headers = buyer.headers if needs_token else {}
    return client.open(path, method=method, headers=headers, **request)


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
def test_malformed_json_is_a_400(client, buyer, database_state, endpoint):
    before = database_state()

    response = send(client, buyer, endpoint, data='{"email": ', content_type="application/json")

    assert response.status_code == 400
    assert response.get_json()["code"] == "bad_request"
    assert database_state() == before


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
def test_missing_fields_are_a_422_naming_each_field(client, buyer, database_state, endpoint):
    before = database_state()

    response = send(client, buyer, endpoint, json={})

    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "validation_error"
    assert set(body["errors"]) == set(BODY_ENDPOINTS[endpoint][3])
    assert database_state() == before


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
def test_a_body_that_is_not_an_object_is_a_422(client, buyer, database_state, endpoint):
    before = database_state()

    response = send(client, buyer, endpoint, json=["a", "list"])

    assert response.status_code == 422
    assert response.get_json()["errors"]
    assert database_state() == before


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
def test_an_oversized_body_is_a_413(app, client, buyer, database_state, endpoint):
    before = database_state()
    padding = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)

    response = send(client, buyer, endpoint, json={**BODY_ENDPOINTS[endpoint][3], "padding": padding})

    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"
    assert database_state() == before


@pytest.mark.parametrize("endpoint, changes, field", INVALID_FIELDS)
def test_an_invalid_or_unknown_field_is_a_422_naming_it(client, buyer, database_state, endpoint, changes, field):
    before = database_state()

    response = send(client, buyer, endpoint, json={**BODY_ENDPOINTS[endpoint][3], **changes})

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [field]
    assert database_state() == before


@pytest.mark.parametrize("path", ["/api/v1/sellers/acme-tools/members?page=0",
                                  "/api/v1/sellers/acme-tools/members?page_size=500"])
def test_bad_paging_of_the_members_list_is_a_422(client, operator, make_seller, path):
    make_seller("acme-tools")

    response = client.get(path, headers=operator.headers)

    assert response.status_code == 422
