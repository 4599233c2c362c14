"""Liveness, readiness and metrics, outside the versioned API."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from marketplace.metrics import scrape
from marketplace.search import get_search_backend
from migrations import head_revision
from tenants.db import SHARED_SCHEMA
from tenants.shards import shards

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    """The process is alive and serving requests."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    """PostgreSQL, Redis and the search engine answer, and the shared schema is at the head revision."""
    checks = {"postgres": _check_postgres(), "redis": _check_redis(), "search": _check_search()}
    ready = all(check == "ok" for check in checks.values())
    return jsonify(status="ready" if ready else "not_ready", checks=checks), 200 if ready else 503


def _check_postgres() -> str:
    try:
        with shards.engine().connect() as conn:
            current = conn.execute(text(f'SELECT version_num FROM "{SHARED_SCHEMA}".alembic_version')).scalar()
    except Exception as error:  # any failure means not ready; the reason is reported
        return f"unreachable: {type(error).__name__}"
    expected = head_revision("shared")
    return "ok" if current == expected else f"migrations behind: at {current}, head is {expected}"


def _check_redis() -> str:
    try:
        current_app.extensions["redis"].client.ping()
    except Exception as error:  # any failure means not ready; the reason is reported
        return f"unreachable: {type(error).__name__}"
    return "ok"


def _check_search() -> str:
    # The backend keeps its own health call short (see its `health`), so a hung engine cannot stall the probe.
    try:
        health = get_search_backend().health()
    except Exception as error:  # any failure means not ready; the reason is reported
        return f"unreachable: {type(error).__name__}"
    return "ok" if health.healthy else f"unhealthy: {health.detail}"


@blp.get("/metrics")
def metrics():
    """Prometheus metrics of every web worker."""
    # content_type, not mimetype: Flask would append a second charset to the one the constant carries.
    return Response(scrape(), content_type=CONTENT_TYPE_LATEST)
