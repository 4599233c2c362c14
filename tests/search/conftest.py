"""Fixtures of the search suite: both backends, a real OpenSearch node, and a small catalog.

`backend` is parametrized over PostgreSQL and OpenSearch, so every test that
takes it runs against both (the contract). The OpenSearch node is started
once per session from the Maven Central jars (`make opensearch-deps`) unless
OPENSEARCH_URL points at one already; if it cannot start, the tests that
need it fail with the reason: they are never skipped.
"""
from __future__ import annotations

import os
import uuid

import pytest

from marketplace.search.opensearch_backend import OpenSearchBackend
from marketplace.search.postgres_backend import PostgresSearchBackend
from scripts.opensearch_node import NodeFailed, OpenSearchNode
from tests.search.catalog import Catalog
from tests.search.shop import build_shop

# Above the 9201 of `make opensearch`, so a developer's node and the tests' do not meet.
TEST_NODE_PORT = 9211


@pytest.fixture(scope="session")
def opensearch_url(tmp_path_factory):
    given = os.environ.get("OPENSEARCH_URL")
    if given:
        yield given
        return
    node = OpenSearchNode(tmp_path_factory.mktemp("opensearch"), port=TEST_NODE_PORT, heap="1g")
    try:
        url = node.start()
    except NodeFailed as failure:
        pytest.fail(f"the OpenSearch node for the search suite did not start: {failure}", pytrace=False)
    yield url
    node.stop()


@pytest.fixture(scope="session")
def index_prefix():
    # A prefix per run: runs sharing a node (OPENSEARCH_URL) never see each other's indices.
    return f"test_{os.getpid()}_{uuid.uuid4().hex[:6]}_"


@pytest.fixture(params=["postgresql", "opensearch"])
def backend(request, app):
    """Each backend in turn, installed as the app's search backend for the test."""
    if request.param == "postgresql":
        chosen = PostgresSearchBackend()
    else:
        chosen = OpenSearchBackend.from_url(request.getfixturevalue("opensearch_url"),
                                            prefix=request.getfixturevalue("index_prefix"),
                                            retry_backoff_seconds=0.05)
    previous = app.extensions.get("search_backend")
    app.extensions["search_backend"] = chosen
    yield chosen
    app.extensions["search_backend"] = previous
    if isinstance(chosen, OpenSearchBackend):
        chosen.client.indices.delete(index=f"{chosen.names.prefix}*", ignore_unavailable=True)


@pytest.fixture
def opensearch_backend(app, opensearch_url, index_prefix):
    """The OpenSearch backend alone, for what only it has (indices, aliases, dedicated sellers)."""
    chosen = OpenSearchBackend.from_url(opensearch_url, prefix=index_prefix, retry_backoff_seconds=0.05)
    previous = app.extensions.get("search_backend")
    app.extensions["search_backend"] = chosen
    yield chosen
    app.extensions["search_backend"] = previous
    chosen.client.indices.delete(index=f"{index_prefix}*", ignore_unavailable=True)


@pytest.fixture
def install_backend(app):
    """Install a backend the test built (pointed somewhere odd, or wrapped) as the app's, until the test ends."""
    previous = app.extensions.get("search_backend")

    def install(chosen):
        app.extensions["search_backend"] = chosen
        return chosen

    yield install
    app.extensions["search_backend"] = previous


@pytest.fixture
def catalog(app) -> Catalog:
    return Catalog(app)


@pytest.fixture(autouse=True)
def app_context(app):
    """Services and backends read the app's configuration: every test runs inside its context."""
    with app.app_context():
        yield


@pytest.fixture
def shop(backend, catalog):
    """The small catalog of `tests/search/shop.py`, indexed in the backend under test."""
    built = build_shop(catalog)
    backend.refresh()
    return built
