"""Logging in and out with bearer tokens, and what makes a token stop working."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher

from marketplace.accounts.passwords import needs_rehash


def test_logging_in_returns_a_bearer_token_that_opens_the_account(register, log_in, client):
    register("ada@example.com")

    response = log_in("ada@example.com")

    assert response.status_code == 201
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.get_json()["email"] == "ada@example.com"


def test_a_token_expires_after_the_configured_lifetime(app, register, log_in):
    register("ada@example.com")

    body = log_in("ada@example.com").get_json()

    expires_at = datetime.fromisoformat(body["expires_at"])
    expected = datetime.now(timezone.utc) + timedelta(seconds=app.config["TOKEN_TTL_SECONDS"])
    assert abs(expires_at - expected) < timedelta(minutes=1)


def test_only_the_sha256_of_a_token_is_stored(register, log_in, sql):
    register("ada@example.com")

    token = log_in("ada@example.com").get_json()["access_token"]

    assert sql("SELECT token_hash FROM platform.api_tokens")[0][0] == hashlib.sha256(token.encode()).hexdigest()


def test_the_email_matches_in_any_letter_case(register, log_in):
    register("ada@example.com")

    response = log_in("ADA@Example.com")

    assert response.status_code == 201


def test_a_wrong_password_and_an_unknown_email_get_the_same_refusal(register, log_in, row_counts):
    register("ada@example.com")
    before = row_counts()

    wrong_password = log_in("ada@example.com", "not the password")
    unknown_user = log_in("nobody@example.com")

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.get_json() == unknown_user.get_json()
    assert wrong_password.headers["WWW-Authenticate"] == unknown_user.headers["WWW-Authenticate"]
    assert row_counts() == before


def test_a_disabled_account_cannot_log_in(register, log_in, sql):
    register("ada@example.com")
    sql("UPDATE platform.users SET is_active = false")

    response = log_in("ada@example.com")

    assert response.status_code == 401


def test_a_request_without_a_token_is_refused_with_a_bearer_challenge(client):
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_refused(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-real-token"})

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_under_another_scheme_is_refused(client, buyer):
    response = client.get("/api/v1/me", headers={"Authorization": f"Basic {buyer.token}"})

    assert response.status_code == 401


def test_an_expired_token_is_refused(client, buyer, sql):
    sql("UPDATE platform.api_tokens SET expires_at = now() - interval '1 second'")

    response = client.get("/api/v1/me", headers=buyer.headers)

    assert response.status_code == 401


def test_a_token_of_a_disabled_account_is_refused(client, buyer, sql):
    sql("UPDATE platform.users SET is_active = false")

    response = client.get("/api/v1/me", headers=buyer.headers)

    assert response.status_code == 401


def test_logging_out_revokes_the_token(client, buyer):
    logout = client.delete("/api/v1/auth/token", headers=buyer.headers)

    assert logout.status_code == 204
    assert client.get("/api/v1/me", headers=buyer.headers).status_code == 401
    assert client.delete("/api/v1/auth/token", headers=buyer.headers).status_code == 401


def test_logging_out_keeps_the_other_sessions(client, buyer, log_in):
    other_token = log_in(buyer.email).get_json()["access_token"]

    client.delete("/api/v1/auth/token", headers=buyer.headers)

    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {other_token}"}).status_code == 200


def test_a_hash_with_old_parameters_is_upgraded_at_login(register, log_in, sql):
    register("ada@example.com", password="an old password")
    weak_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("an old password")
    sql("UPDATE platform.users SET password_hash = :weak_hash", weak_hash=weak_hash)

    response = log_in("ada@example.com", "an old password")

    assert response.status_code == 201
    (stored_hash,), = sql("SELECT password_hash FROM platform.users")
    assert stored_hash != weak_hash
    assert not needs_rehash(stored_hash)
    assert log_in("ada@example.com", "an old password").status_code == 201
