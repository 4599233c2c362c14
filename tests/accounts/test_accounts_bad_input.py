"""Bad input on every accounts endpoint: a clear JSON error with the right status, and no change in the database."""
from __future__ import annotations

import pytest

from tests.bad_input import BadBodyTests, BodyEndpoint

LONG_EMAIL = "a" * 243 + "@example.com"  # 255 characters

BODY_ENDPOINTS = {
    "register": BodyEndpoint("POST", "/api/v1/auth/register", "anyone",
                             {"email": "new@example.com", "password": "a long password", "full_name": "New Person"},
                             frozenset({"email", "password", "full_name"})),
    "log in": BodyEndpoint("POST", "/api/v1/auth/token", "anyone",
                           {"email": "buyer@example.com", "password": "a long password"},
                           frozenset({"email", "password"})),
    "update me": BodyEndpoint("PATCH", "/api/v1/me", "buyer", {"full_name": "New Name"}, frozenset({"full_name"})),
    "change password": BodyEndpoint("POST", "/api/v1/me/password", "buyer",
                                    {"current_password": "correct horse battery", "new_password": "a brand new secret"},
                                    frozenset({"current_password", "new_password"})),
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


@pytest.fixture
def send_body(client, buyer):
    def send(endpoint: str, **request):
        spec = BODY_ENDPOINTS[endpoint]
        headers = buyer.headers if spec.caller == "buyer" else {}
        return client.open(spec.path, method=spec.method, headers=headers, **request)

    return send


class TestBadBodies(BadBodyTests):
    endpoints = BODY_ENDPOINTS
    invalid_fields = INVALID_FIELDS


@pytest.mark.parametrize("path", ["/api/v1/sellers/acme-tools/members?page=0",
                                  "/api/v1/sellers/acme-tools/members?page_size=500"])
def test_bad_paging_of_the_members_list_is_a_422(client, operator, make_seller, path):
    make_seller("acme-tools")

    response = client.get(path, headers=operator.headers)

    assert response.status_code == 422
