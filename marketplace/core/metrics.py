"""Prometheus metrics of the web app, added up over every gunicorn worker.

Under gunicorn (gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR before any
worker starts) prometheus-client keeps each worker's numbers in files of that
directory, and a scrape, which any one worker answers, adds up the files of
all of them. Without it (tests, `flask run`) a scrape sees this process's own
registry.
"""
from __future__ import annotations

import os

from flask import Flask, request
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter("marketplace_http_requests", "HTTP requests answered, by method, route and status.",
                        ["method", "route", "status"])


def init_metrics(app: Flask) -> None:
    @app.after_request
    def count_request(response):
        # The route's pattern, not the path: one series per endpoint, however many slugs and ids are asked for.
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        return response


def scrape() -> bytes:
    """The metrics in Prometheus' text format: every worker's under gunicorn, else this process's."""
    if not os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        return generate_latest()
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return generate_latest(registry)
