"""The current user: profile, memberships, name and password."""
from __future__ import annotations

from marketplace.accounts.models import MemberRole


def test_me_shows_the_account_and_its_seller_memberships(client, buyer, make_seller):
    make_seller("zebra-goods", {buyer.user_id: MemberRole.STAFF})
    make_seller("acme-tools", {buyer.user_id: MemberRole.OWNER})
    make_seller("not-mine")

    response = client.get("/api/v1/me", headers=buyer.headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == buyer.user_id
    assert body["email"] == buyer.email
    assert body["memberships"] == [
        {"slug": "acme-tools", "display_name": "Acme Tools", "role": "owner"},
        {"slug": "zebra-goods", "display_name": "Zebra Goods", "role": "staff"},
    ]


def test_a_buyer_has_no_memberships(client, buyer):
    response = client.get("/api/v1/me", headers=buyer.headers)

    assert response.get_json()["memberships"] == []


def test_patching_me_changes_the_name(client, buyer):
    response = client.patch("/api/v1/me", headers=buyer.headers, json={"full_name": " Grace Hopper "})

    assert response.status_code == 200
    assert response.get_json()["full_name"] == "Grace Hopper"
    assert client.get("/api/v1/me", headers=buyer.headers).get_json()["full_name"] == "Grace Hopper"


def test_the_email_cannot_be_changed_through_patch(client, buyer, row_counts):
    response = client.patch("/api/v1/me", headers=buyer.headers,
                            json={"full_name": "Grace Hopper", "email": "grace@example.com"})

    assert response.status_code == 422
    assert "email" in response.get_json()["errors"]
    assert client.get("/api/v1/me", headers=buyer.headers).get_json()["email"] == buyer.email


def test_changing_the_password_swaps_which_password_logs_in(client, buyer, log_in):
    response = client.post("/api/v1/me/password", headers=buyer.headers,
                           json={"current_password": buyer.password, "new_password": "a brand new secret"})

    assert response.status_code == 204
    assert log_in(buyer.email, buyer.password).status_code == 401
    assert log_in(buyer.email, "a brand new secret").status_code == 201


def test_changing_the_password_revokes_every_other_token(client, buyer, log_in):
    other_token = log_in(buyer.email).get_json()["access_token"]

    client.post("/api/v1/me/password", headers=buyer.headers,
                json={"current_password": buyer.password, "new_password": "a brand new secret"})

    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {other_token}"}).status_code == 401
    assert client.get("/api/v1/me", headers=buyer.headers).status_code == 200


def test_a_wrong_current_password_changes_nothing(client, buyer, log_in, sql):
    hash_before = sql("SELECT password_hash FROM platform.users")[0][0]

    response = client.post("/api/v1/me/password", headers=buyer.headers,
                           json={"current_password": "not my password", "new_password": "a brand new secret"})

    assert response.status_code == 422
    assert "current_password" in response.get_json()["errors"]
    assert sql("SELECT password_hash FROM platform.users")[0][0] == hash_before
    assert log_in(buyer.email, buyer.password).status_code == 201
