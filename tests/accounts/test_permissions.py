"""Who may see what: operators, seller members by role, buyers, strangers."""
from __future__ import annotations

import json

import pytest

from marketplace.accounts.models import MemberRole


@pytest.mark.parametrize("role, required, allowed", [
    (MemberRole.OWNER, MemberRole.OWNER, True),
    (MemberRole.OWNER, MemberRole.STAFF, True),
    (MemberRole.MANAGER, MemberRole.STAFF, True),
    (MemberRole.MANAGER, MemberRole.MANAGER, True),
    (MemberRole.MANAGER, MemberRole.OWNER, False),
    (MemberRole.STAFF, MemberRole.MANAGER, False),
])
def test_a_higher_role_may_do_what_a_lower_role_may(role, required, allowed):
    assert role.includes(required) is allowed


def test_an_operator_may_list_users(client, operator, buyer):
    response = client.get("/api/v1/operator/users", headers=operator.headers)

    assert response.status_code == 200
    assert {user["email"] for user in response.get_json()} == {operator.email, buyer.email}


def test_a_buyer_may_not_list_users(client, buyer):
    response = client.get("/api/v1/operator/users", headers=buyer.headers)

    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


def test_a_stranger_may_not_list_users(client):
    response = client.get("/api/v1/operator/users")

    assert response.status_code == 401


@pytest.mark.parametrize("role", list(MemberRole))
def test_every_member_may_see_the_members_of_their_seller(client, sign_up, make_seller, role):
    member = sign_up("member@example.com")
    owner = sign_up("owner@example.com")
    make_seller("acme-tools", {member.user_id: role, owner.user_id: MemberRole.OWNER})

    response = client.get("/api/v1/sellers/acme-tools/members", headers=member.headers)

    assert response.status_code == 200
    assert {(m["email"], m["role"]) for m in response.get_json()} == {
        ("member@example.com", role.value), ("owner@example.com", "owner")}


def test_members_are_listed_owners_first(client, sign_up, make_seller):
    staff = sign_up("aaron@example.com")
    manager = sign_up("beth@example.com")
    owner = sign_up("zoe@example.com")
    make_seller("acme-tools", {staff.user_id: MemberRole.STAFF, manager.user_id: MemberRole.MANAGER,
                               owner.user_id: MemberRole.OWNER})

    response = client.get("/api/v1/sellers/acme-tools/members", headers=staff.headers)

    assert [m["role"] for m in response.get_json()] == ["owner", "manager", "staff"]


def test_a_member_of_another_seller_may_not_see_the_members(client, sign_up, make_seller):
    insider = sign_up("insider@example.com")
    outsider = sign_up("outsider@example.com")
    make_seller("acme-tools", {insider.user_id: MemberRole.OWNER})
    make_seller("other-shop", {outsider.user_id: MemberRole.OWNER})

    response = client.get("/api/v1/sellers/acme-tools/members", headers=outsider.headers)

    assert response.status_code == 403


def test_a_buyer_may_not_see_the_members(client, buyer, make_seller):
    make_seller("acme-tools")

    response = client.get("/api/v1/sellers/acme-tools/members", headers=buyer.headers)

    assert response.status_code == 403


def test_an_operator_may_see_the_members_of_any_seller(client, operator, sign_up, make_seller):
    owner = sign_up("owner@example.com")
    make_seller("acme-tools", {owner.user_id: MemberRole.OWNER})

    response = client.get("/api/v1/sellers/acme-tools/members", headers=operator.headers)

    assert response.status_code == 200
    assert [m["email"] for m in response.get_json()] == ["owner@example.com"]


def test_an_unknown_seller_is_not_found(client, operator):
    response = client.get("/api/v1/sellers/no-such-shop/members", headers=operator.headers)

    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


def test_a_stranger_may_not_see_the_members(client, make_seller):
    make_seller("acme-tools")

    response = client.get("/api/v1/sellers/acme-tools/members")

    assert response.status_code == 401


def test_the_api_document_says_which_operations_need_a_bearer_token(client):
    document = json.loads(client.get("/api/v1/openapi.json").data)

    needs_token = {(path, method) for path, operations in document["paths"].items()
                   for method, operation in operations.items()
                   if method != "parameters" and operation.get("security")}

    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert {("/api/v1/me", "get"), ("/api/v1/operator/users", "get"),
            ("/api/v1/sellers/{slug}/members", "get"), ("/api/v1/me/notifications", "get")} <= needs_token
    assert ("/api/v1/auth/register", "post") not in needs_token
