"""Search: the port, its PostgreSQL and OpenSearch backends, the indexing jobs and the search API.

The backend is chosen by configuration: OPENSEARCH_URL set → OpenSearch,
unset → PostgreSQL full text in the shared schema (the embedded default).
"""
from __future__ import annotations

from typing import Mapping

from flask import current_app

from marketplace.search.port import SearchBackend


def get_search_backend() -> SearchBackend:
    """The app's search backend, built on first use."""
    backend = current_app.extensions.get("search_backend")
    if backend is None:
        backend = build_search_backend(current_app.config)
        current_app.extensions["search_backend"] = backend
    return backend


def build_search_backend(config: Mapping) -> SearchBackend:
    if config.get("OPENSEARCH_URL"):
        from marketplace.search.opensearch_backend import OpenSearchBackend

        return OpenSearchBackend.from_url(config["OPENSEARCH_URL"], prefix=config.get("OPENSEARCH_INDEX_PREFIX") or "")
    from marketplace.search.postgres_backend import PostgresSearchBackend

    return PostgresSearchBackend()
