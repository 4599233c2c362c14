"""The HTTP surface every client relies on: one error format, OpenAPI, health."""
from __future__ import annotations

import json

import pytest

from marketplace import create_app


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
    failing_app = create_app({**{key: app.config[key] for key in ("DATABASE_URL", "REDIS_URL")},
                              "LOG_LEVEL": "CRITICAL"})

    @failing_app.get("/explode")
    def explode():
        raise RuntimeError("secret internals")

    response = failing_app.test_client().get("/explode")

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
    assert response.get_json()["checks"] == {"postgres": "ok", "redis": "ok", "search": "ok"}
