"""Rate limits per client address on registration, password reset, invite acceptance, search and suggestions.

Counted in the real Redis; a refusal is 429 in our error shape with Retry-After.
"""
from __future__ import annotations

import pytest

from marketplace import create_app
from marketplace.config import ConfigError, load_settings


@pytest.fixture
def limits_on(app, monkeypatch):
    """The limits on (the suite turns them off), with small rates a test reaches in a few requests."""
    for name, rate in {"RATE_LIMIT_ENABLED": True, "RATE_LIMIT_REGISTER": "3/hour",
                       "RATE_LIMIT_INVITE_ACCEPTANCE": "2/hour", "RATE_LIMIT_SEARCH": "3/minute",
                       "RATE_LIMIT_SUGGEST": "4/minute", "RATE_LIMIT_PASSWORD_RESET": "2/hour"}.items():
        monkeypatch.setitem(app.config, name, rate)
    return app.config


def register_from(client, email: str, client_ip: str = "192.0.2.10"):
    return client.post("/api/v1/auth/register", environ_base={"REMOTE_ADDR": client_ip},
                       json={"email": email, "password": "correct horse battery", "full_name": "Ada"})


def assert_rate_limited(response, window_seconds: int) -> None:
    assert response.status_code == 429
    assert response.get_json() == {"code": "rate_limited",
                                   "message": "Too many requests from this address; try again later."}
    assert 1 <= int(response.headers["Retry-After"]) <= window_seconds


def test_registrations_past_the_limit_are_refused_with_retry_after_and_create_nothing(limits_on, app, client,
                                                                                       sql):
    for number in range(3):
        assert register_from(client, f"user{number}@example.com").status_code == 201

    response = register_from(client, "one-too-many@example.com")

    assert_rate_limited(response, window_seconds=3600)
    assert sql("SELECT count(*) FROM platform.users WHERE email = 'one-too-many@example.com'") == [(0,)]
    # Counted in the app's Redis, which every web process shares.
    assert any(b"192.0.2.10" in key for key in app.extensions["redis"].client.keys("*ratelimit*"))


def test_the_registration_limit_counts_each_client_address_apart(limits_on, client):
    for number in range(4):
        register_from(client, f"user{number}@example.com", client_ip="192.0.2.10")

    refused = register_from(client, "again@example.com", client_ip="192.0.2.10")
    response = register_from(client, "neighbour@example.com", client_ip="192.0.2.11")

    assert (refused.status_code, response.status_code) == (429, 201)


def test_malformed_registrations_count_too(limits_on, client):
    for _ in range(3):
        assert client.post("/api/v1/auth/register", json={"email": "x"}).status_code == 422

    assert register_from(client, "ada@example.com", client_ip="127.0.0.1").status_code == 429


def test_invite_acceptance_past_the_limit_is_refused(limits_on, client, buyer):
    for _ in range(2):
        response = client.post("/api/v1/member-invites/accept", json={"token": "guessed-" + "x" * 30},
                               headers=buyer.headers)
        assert response.status_code == 404

    response = client.post("/api/v1/member-invites/accept", json={"token": "guessed-" + "y" * 30},
                           headers=buyer.headers)

    assert_rate_limited(response, window_seconds=3600)


def test_marketplace_and_storefront_searches_share_one_count(limits_on, client):
    assert client.get("/api/v1/search?q=teapot").status_code == 200
    assert client.get("/api/v1/sellers/acme/search?q=teapot").status_code == 404
    assert client.get("/api/v1/search?q=kettle").status_code == 200

    assert_rate_limited(client.get("/api/v1/sellers/acme/search?q=cup"), window_seconds=60)
    assert_rate_limited(client.get("/api/v1/search?q=cup"), window_seconds=60)


def test_suggestions_have_their_own_limit(limits_on, client):
    for _ in range(3):
        client.get("/api/v1/search?q=teapot")
    for prefix in ("t", "te", "tea", "teap"):
        assert client.get(f"/api/v1/search/suggest?q={prefix}").status_code == 200

    assert_rate_limited(client.get("/api/v1/search/suggest?q=teapo"), window_seconds=60)


def test_turning_the_limits_off_lets_a_refused_client_in(limits_on, client, monkeypatch, app):
    statuses = [client.get("/api/v1/search?q=teapot").status_code for _ in range(4)]
    monkeypatch.setitem(app.config, "RATE_LIMIT_ENABLED", False)

    response = client.get("/api/v1/search?q=teapot")

    assert (statuses[-1], response.status_code) == (429, 200)


@pytest.fixture
def proxied_app(app):
    """The app behind one trusted reverse proxy, with the limits on."""
    return create_app({
        **{key: app.config[key] for key in ("DATABASE_URL", "SHARD_URLS", "REDIS_URL", "DB_POOL_SIZE", "LOG_LEVEL", "TESTING")},
        "TRUSTED_PROXY_COUNT": 1, "RATE_LIMIT_SEARCH": "2/minute",
    })


def search_through_proxy(proxied_app, client_ip: str):
    return proxied_app.test_client().get("/api/v1/search?q=teapot", environ_base={"REMOTE_ADDR": "10.0.0.2"},
                                         headers={"X-Forwarded-For": client_ip})


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_count(proxied_app):
    for _ in range(2):
        assert search_through_proxy(proxied_app, "198.51.100.7").status_code == 200

    assert search_through_proxy(proxied_app, "198.51.100.7").status_code == 429
    assert search_through_proxy(proxied_app, "198.51.100.8").status_code == 200


def test_password_reset_requests_past_the_limit_are_refused_and_mail_nothing(limits_on, client, buyer, mailbox):
    def ask_for_reset():
        return client.post("/api/v1/auth/password-reset", json={"email": buyer.email},
                           environ_base={"REMOTE_ADDR": "192.0.2.20"})

    assert [ask_for_reset().status_code for _ in range(2)] == [202, 202]
    mailed_before = len(mailbox.to(buyer.email))

    response = ask_for_reset()

    assert_rate_limited(response, window_seconds=3600)
    assert len(mailbox.to(buyer.email)) == mailed_before


@pytest.mark.parametrize("raw", ["ten per hour", "10", "0/hour"])
def test_a_malformed_rate_is_refused_at_start_up_by_name(raw):
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"RATE_LIMIT_SEARCH": raw})

    assert [problem.split("=")[0] for problem in error.value.problems] == ["RATE_LIMIT_SEARCH"]


@pytest.mark.parametrize("method, path", [
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/member-invites/accept"),
    ("post", "/api/v1/auth/password-reset"),
    ("get", "/api/v1/search"),
    ("get", "/api/v1/search/suggest"),
    ("get", "/api/v1/sellers/{slug}/search"),
])
def test_the_openapi_document_shows_each_limited_operations_429_with_retry_after(client, method, path):
    document = client.get("/api/v1/openapi.json").get_json()

    too_many = document["paths"][path][method]["responses"]["429"]

    assert too_many["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}
    assert too_many["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
