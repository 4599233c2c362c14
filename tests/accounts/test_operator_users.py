"""The operators' user list: filtering by email and paging through it."""
from __future__ import annotations

import json

import pytest

from marketplace.accounts import services


@pytest.fixture
def many_users(app):
    """25 accounts straight through the service (no HTTP, no argon2 per login)."""
    with app.app_context():
        return [services.register_user(f"user{number:02d}@example.com", "a long password", f"User {number}")
                for number in range(25)]


def test_users_can_be_filtered_by_part_of_the_email_in_any_case(client, operator, register):
    register("ada@lovelace.org")
    register("grace@navy.mil")

    response = client.get("/api/v1/operator/users?email=LOVELACE", headers=operator.headers)

    assert [user["email"] for user in response.get_json()] == ["ada@lovelace.org"]


def test_wildcards_in_the_filter_match_only_themselves(client, operator, register):
    register("ada@lovelace.org")
    register("100%_real@example.com")

    response = client.get("/api/v1/operator/users?email=%25_", headers=operator.headers)

    assert [user["email"] for user in response.get_json()] == ["100%_real@example.com"]


def test_users_come_in_pages_with_the_totals_in_a_header(client, operator, many_users):
    response = client.get("/api/v1/operator/users?page=2&page_size=10", headers=operator.headers)

    assert response.status_code == 200
    assert [user["email"] for user in response.get_json()] == [f"user{n:02d}@example.com" for n in range(9, 19)]
    pagination = json.loads(response.headers["X-Pagination"])
    assert pagination["total"] == 26
    assert pagination["total_pages"] == 3
    assert pagination["next_page"] == 3


def test_a_page_past_the_end_is_empty(client, operator, many_users):
    response = client.get("/api/v1/operator/users?page=4&page_size=10", headers=operator.headers)

    assert response.status_code == 200
    assert response.get_json() == []
    assert json.loads(response.headers["X-Pagination"])["total"] == 26


@pytest.mark.parametrize("query, field", [
    ("page=0", "page"),
    ("page=abc", "page"),
    ("page=10001", "page"),
    ("page_size=0", "page_size"),
    ("page_size=101", "page_size"),
    ("email=", "email"),
    ("email=" + "x" * 255, "email"),
])
def test_bad_list_parameters_are_refused_with_the_field_named(client, operator, query, field):
    response = client.get(f"/api/v1/operator/users?{query}", headers=operator.headers)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_the_largest_page_number_is_still_served(client, operator):
    response = client.get("/api/v1/operator/users?page=10000", headers=operator.headers)

    assert response.status_code == 200
    assert response.get_json() == []
