"""The HTTP surface every client relies on: one error format, OpenAPI, health."""
from __future__ import annotations

import json
import logging
import socket
from contextlib import closing

import pytest
from sqlalchemy import create_engine

from marketplace import create_app, health
from marketplace.core.extensions import RedisClient


def test_unknown_path_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"
    assert response.get_json()["message"]


def test_wrong_method_is_a_json_405_with_allowed_methods(client):
    response = client.post("/healthz")

    assert response.status_code == 405
    assert response.get_json()["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_unexpected_exception_is_a_json_500_without_internals(app):
    failing_app = create_app({**{key: app.config[key] for key in ("DATABASE_URL", "SHARD_URLS", "REDIS_URL")},
                              "LOG_LEVEL": "CRITICAL"})

    @failing_app.get("/api/v1/explode")
    def explode():
        raise RuntimeError("secret internals")

    response = failing_app.test_client().get("/api/v1/explode")

    assert response.status_code == 500
    assert response.get_json() == {"code": "internal_error",
                                   "message": "Something went wrong on our side; the error was logged."}


def test_openapi_document_describes_the_api(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = json.loads(response.data)
    assert document["info"]["title"] == "Marketplace API"
    assert any(path.startswith("/api/v1/") for path in document["paths"])


def test_interactive_docs_are_served(client):
    response = client.get("/api/docs")

    assert response.status_code == 200
    assert b"swagger" in response.data.lower()


def test_every_response_carries_a_request_id(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})

    assert response.headers["X-Request-ID"] == "abc-123"


@pytest.mark.parametrize("bad_id", ["", "x" * 65, "spaces are bad"])
def test_a_malformed_request_id_is_replaced(client, bad_id):
    response = client.get("/healthz", headers={"X-Request-ID": bad_id})

    assert response.headers["X-Request-ID"] != bad_id
    assert len(response.headers["X-Request-ID"]) == 32


def test_readyz_reports_postgres_redis_and_search_ready(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json()["checks"] == {"postgres": "ok", "postgres:second": "ok", "redis": "ok", "search": "ok"}


def test_readyz_names_an_unreachable_postgres_without_the_drivers_words(client, monkeypatch, caplog):
    unreachable = create_engine(f"postgresql+psycopg://app:s3cret-pw@127.0.0.1:{closed_port()}/marketplace",
                                connect_args={"connect_timeout": 2})
    monkeypatch.setattr(health.shards, "engine", lambda *args, **kwargs: unreachable)

    with caplog.at_level(logging.WARNING, logger="marketplace.health"):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "not_ready",
                                   "checks": {"postgres": "unavailable", "postgres:second": "unavailable",
                                              "redis": "ok", "search": "unavailable"}}
    assert "s3cret" not in response.get_data(as_text=True)
    assert "Connection refused" in caplog.text


def test_readyz_names_an_unreachable_redis_without_the_drivers_words(app, client, monkeypatch, caplog):
    unreachable = RedisClient()
    unreachable.configure(f"redis://127.0.0.1:{closed_port()}/0")
    monkeypatch.setitem(app.extensions, "redis", unreachable)

    with caplog.at_level(logging.WARNING, logger="marketplace.health"):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "not_ready",
                                   "checks": {"postgres": "ok", "postgres:second": "ok",
                                              "redis": "unavailable", "search": "ok"}}
    assert "Connection refused" not in response.get_data(as_text=True)
    assert "ConnectionError" in caplog.text


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with closing(socket.create_server(("127.0.0.1", 0))) as probe:
        return probe.getsockname()[1]
