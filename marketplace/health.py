"""Liveness, readiness and metrics, outside the versioned API."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from marketplace.core.metrics import scrape
from marketplace.search import get_search_backend
from migrations import head_revision
from tenants.db import SHARED_SCHEMA
from tenants.shards import shards

blp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

# What /readyz says of each component.
READY, UNAVAILABLE, MIGRATIONS_BEHIND = "ok", "unavailable", "migrations_behind"


@blp.get("/healthz")
def healthz():
    """The process is alive and serving requests."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    """Every PostgreSQL server, Redis and the search engine answer, and the shared schema is at the head revision.

    `postgres` is the control database (shard `default`); each further shard
    is `postgres:<name>`. Each check answers one word ("ok", "unavailable", "migrations_behind"):
    the probe is public, so the driver's error text, which may name hosts,
    users or paths, goes to the log instead.
    """
    checks = {"postgres": _check_postgres()}
    checks.update({f"postgres:{shard_key}": _check_shard(shard_key) for shard_key in shards.keys[1:]})
    checks.update(redis=_check_redis(), search=_check_search())
    ready = all(check == READY for check in checks.values())
    return jsonify(status="ready" if ready else "not_ready", checks=checks), 200 if ready else 503


def _check_postgres() -> str:
    try:
        with shards.engine().connect() as conn:
            current = conn.execute(text(f'SELECT version_num FROM "{SHARED_SCHEMA}".alembic_version')).scalar()
    except Exception:  # any failure means not ready
        log.warning("readiness: PostgreSQL is unavailable", exc_info=True)
        return UNAVAILABLE
    expected = head_revision("shared")
    if current != expected:
        log.warning("readiness: the shared schema is at %s, the head is %s", current, expected)
        return MIGRATIONS_BEHIND
    return READY


def _check_shard(shard_key: str) -> str:
    try:
        with shards.engine(shard_key).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # any failure means not ready
        log.warning("readiness: the PostgreSQL server of shard %s is unavailable", shard_key, exc_info=True)
        return UNAVAILABLE
    return READY


def _check_redis() -> str:
    try:
        current_app.extensions["redis"].client.ping()
    except Exception:  # any failure means not ready
        log.warning("readiness: Redis is unavailable", exc_info=True)
        return UNAVAILABLE
    return READY


def _check_search() -> str:
    # The backend keeps its own health call short (see its `health`), so a hung engine cannot stall the probe.
    try:
        health = get_search_backend().health()
    except Exception:  # any failure means not ready
        log.warning("readiness: the search engine is unavailable", exc_info=True)
        return UNAVAILABLE
    if not health.healthy:
        log.warning("readiness: the search engine is unhealthy: %s", health.detail)
        return UNAVAILABLE
    return READY


@blp.get("/metrics")
def metrics():
    """Prometheus metrics of every web worker."""
    # content_type, not mimetype: Flask would append a second charset to the one the constant carries.
    return Response(scrape(), content_type=CONTENT_TYPE_LATEST)
