"""Login rate limits: per account (lockout) and per client address, kept in the real Redis."""
from __future__ import annotations

import time

import pytest

from marketplace import create_app
from tests.conftest import PASSWORD


@pytest.fixture
def limits(app, monkeypatch):
    """Small limits, so that a test reaches them in a few requests."""
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ACCOUNT", 3)
    monkeypatch.setitem(app.config, "LOGIN_MAX_ATTEMPTS_PER_IP", 10)
    monkeypatch.setitem(app.config, "LOGIN_LOCKOUT_SECONDS", 60)
    return app.config


def fail_logins(log_in, email: str, times: int, client_ip: str = "192.0.2.1") -> None:
    for _ in range(times):
        assert log_in(email, "a wrong password", client_ip=client_ip).status_code == 401


def test_an_account_is_locked_after_too_many_failures_even_for_the_right_password(limits, register, log_in):
    register("ada@example.com")
    fail_logins(log_in, "ada@example.com", limits["LOGIN_MAX_FAILURES_PER_ACCOUNT"])

    response = log_in("ada@example.com")

    assert response.status_code == 429
    assert response.get_json()["code"] == "rate_limited"
    assert 0 < int(response.headers["Retry-After"]) <= limits["LOGIN_LOCKOUT_SECONDS"]


def test_the_lock_holds_from_every_address(limits, register, log_in):
    register("ada@example.com")
    fail_logins(log_in, "ada@example.com", limits["LOGIN_MAX_FAILURES_PER_ACCOUNT"])

    response = log_in("ada@example.com", client_ip="198.51.100.7")

    assert response.status_code == 429


def test_the_lock_ends_when_the_window_has_passed(app, limits, register, log_in):
    register("ada@example.com")
    fail_logins(log_in, "ada@example.com", limits["LOGIN_MAX_FAILURES_PER_ACCOUNT"])
    assert log_in("ada@example.com").status_code == 429

    # Let the window run out now rather than waiting for it: every counter expires in 50 ms.
    redis = app.extensions["redis"].client
    for key in redis.scan_iter("ratelimit:login:*"):
        redis.pexpire(key, 50)
    time.sleep(0.2)
    response = log_in("ada@example.com")

    assert response.status_code == 201


def test_a_successful_login_forgives_earlier_failures(limits, register, log_in):
    register("ada@example.com")
    fail_logins(log_in, "ada@example.com", limits["LOGIN_MAX_FAILURES_PER_ACCOUNT"] - 1)
    assert log_in("ada@example.com").status_code == 201

    fail_logins(log_in, "ada@example.com", limits["LOGIN_MAX_FAILURES_PER_ACCOUNT"] - 1)
    response = log_in("ada@example.com")

    assert response.status_code == 201


def test_an_unknown_email_is_locked_like_a_known_one(limits, log_in):
    fail_logins(log_in, "nobody@example.com", limits["LOGIN_MAX_FAILURES_PER_ACCOUNT"])

    response = log_in("nobody@example.com")

    assert response.status_code == 429


def test_one_locked_account_leaves_the_others_alone(limits, register, log_in):
    register("ada@example.com")
    register("grace@example.com")
    fail_logins(log_in, "ada@example.com", limits["LOGIN_MAX_FAILURES_PER_ACCOUNT"])

    response = log_in("grace@example.com", client_ip="198.51.100.7")

    assert response.status_code == 201


def test_too_many_attempts_from_one_address_are_refused(limits, register, log_in):
    register("ada@example.com")
    for attempt in range(limits["LOGIN_MAX_ATTEMPTS_PER_IP"]):
        # Each attempt names another account, so no account lock is reached.
        log_in(f"guess{attempt}@example.com", "a wrong password", client_ip="203.0.113.9")

    refused = log_in("ada@example.com", client_ip="203.0.113.9")
    elsewhere = log_in("ada@example.com", client_ip="198.51.100.7")

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= limits["LOGIN_LOCKOUT_SECONDS"]
    assert elsewhere.status_code == 201


def test_wrong_current_passwords_count_towards_the_lock(limits, client, buyer):
    for _ in range(limits["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        wrong = client.post("/api/v1/me/password", headers=buyer.headers,
                            json={"current_password": "a wrong password", "new_password": "a brand new secret"})
        assert wrong.status_code == 422

    response = client.post("/api/v1/me/password", headers=buyer.headers,
                           json={"current_password": buyer.password, "new_password": "a brand new secret"})

    assert response.status_code == 429


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_change_the_limited_address(limits, register,
                                                                                             client):
    register("ada@example.com")
    for attempt in range(limits["LOGIN_MAX_ATTEMPTS_PER_IP"]):
        # Each attempt claims another client address; the app must keep counting the socket's.
        client.post("/api/v1/auth/token", json={"email": f"guess{attempt}@example.com", "password": "wrong one"},
                    environ_base={"REMOTE_ADDR": "203.0.113.9"},
                    headers={"X-Forwarded-For": f"198.51.100.{attempt}"})

    refused = client.post("/api/v1/auth/token", json={"email": "ada@example.com", "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "203.0.113.9"}, headers={"X-Forwarded-For": "192.0.2.200"})

    assert refused.status_code == 429


@pytest.fixture
def proxied_client(app):
    """A client of an app behind one trusted reverse proxy at 10.0.0.2, with small login limits."""
    proxied_app = create_app({
        **{key: app.config[key] for key in ("DATABASE_URL", "SHARD_URLS", "REDIS_URL", "DB_POOL_SIZE", "LOG_LEVEL", "TESTING")},
        "TRUSTED_PROXY_COUNT": 1, "LOGIN_MAX_ATTEMPTS_PER_IP": 10,
    })
    return proxied_app.test_client()


def log_in_through_proxy(proxied_client, email: str, client_ip: str, password: str = PASSWORD):
    return proxied_client.post("/api/v1/auth/token", json={"email": email, "password": password},
                               environ_base={"REMOTE_ADDR": "10.0.0.2"}, headers={"X-Forwarded-For": client_ip})


def test_behind_a_trusted_proxy_each_forwarded_client_address_has_its_own_limit(proxied_client, register):
    register("ada@example.com")
    for attempt in range(10):
        log_in_through_proxy(proxied_client, f"guess{attempt}@example.com", "203.0.113.9", password="wrong one")

    refused = log_in_through_proxy(proxied_client, "ada@example.com", "203.0.113.9")
    elsewhere = log_in_through_proxy(proxied_client, "ada@example.com", "198.51.100.7")

    assert refused.status_code == 429
    assert elsewhere.status_code == 201
