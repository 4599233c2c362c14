"""JSON logs that carry the request id, the user and the tenant.

Each record gets `request_id`, `user_id` and `tenant` from the request
context when there is one; jobs set the same fields through `job_context`.
"""
from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

# Jobs have no request; they put their ids here instead.
log_context: contextvars.ContextVar[dict] = contextvars.ContextVar("log_context", default={})

_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        fields = dict(log_context.get())
        if has_request_context():
            fields.setdefault("request_id", g.get("request_id"))
            fields.setdefault("user_id", g.get("user_id"))
            fields.setdefault("tenant", g.get("tenant_slug"))
        for name in ("request_id", "user_id", "tenant", "job_id"):
            setattr(record, name, fields.get(name))
        return True


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s %(tenant)s %(job_id)s",
        rename_fields={"levelname": "level", "asctime": "time"},
    ))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def init_request_ids(app: Flask) -> None:
    """Give every request an id (the caller's X-Request-ID if well formed) and echo it back."""

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def echo_request_id(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response
