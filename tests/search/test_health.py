"""/readyz counts the search engine in: ready while it answers, a quick 503 naming it when it does not.

The driver's error text goes to the log, never into the public answer.
"""
from __future__ import annotations

import logging
import socket
import time
from contextlib import closing

from sqlalchemy import text

from marketplace.search.opensearch_backend import HEALTH_TIMEOUT_SECONDS, OpenSearchBackend
from marketplace.search.postgres_backend import HEALTH_TIMEOUT_MS, PostgresSearchBackend
from tenants.shards import shards


def test_the_app_is_ready_while_its_search_engine_answers(client, backend):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ready",
                                   "checks": {"postgres": "ok", "postgres:second": "ok", "redis": "ok", "search": "ok"}}


def test_the_app_is_not_ready_when_opensearch_refuses_connections(client, install_backend, caplog):
    install_backend(OpenSearchBackend.from_url(f"http://127.0.0.1:{closed_port()}"))

    with caplog.at_level(logging.WARNING, logger="marketplace.health"):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "not_ready",
                                   "checks": {"postgres": "ok", "postgres:second": "ok", "redis": "ok",
                                              "search": "unavailable"}}
    assert "Connection refused" not in response.get_data(as_text=True)
    assert "ConnectionError" in caplog.text


def test_a_hung_opensearch_node_makes_readyz_answer_503_within_seconds(client, install_backend):
    # A socket that completes the TCP handshake and never answers: a node stuck in GC or a full disk.
    with closing(socket.create_server(("127.0.0.1", 0))) as hung_node:
        install_backend(OpenSearchBackend.from_url(f"http://127.0.0.1:{hung_node.getsockname()[1]}"))
        started = time.monotonic()

        response = client.get("/readyz")

        elapsed_seconds = time.monotonic() - started
    assert response.status_code == 503
    assert response.get_json()["checks"]["search"] == "unavailable"
    assert elapsed_seconds < HEALTH_TIMEOUT_SECONDS + 1


def test_the_app_is_not_ready_while_the_search_documents_cannot_be_read(client, install_backend, caplog):
    install_backend(PostgresSearchBackend())
    # A migration holding the table, say: PostgreSQL answers, the documents do not.
    with shards.engine().connect() as migration:
        migration.execute(text("LOCK TABLE platform.search_documents IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()

        with caplog.at_level(logging.WARNING, logger="marketplace.health"):
            response = client.get("/readyz")

        elapsed_seconds = time.monotonic() - started
        migration.rollback()
    assert response.status_code == 503
    assert response.get_json()["checks"]["postgres"] == "ok"
    assert response.get_json()["checks"]["search"] == "unavailable"
    assert "statement timeout" not in response.get_data(as_text=True)
    assert "canceling statement due to statement timeout" in caplog.text
    assert elapsed_seconds < HEALTH_TIMEOUT_MS / 1000 + 1


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with closing(socket.create_server(("127.0.0.1", 0))) as probe:
        return probe.getsockname()[1]
