"""One error format for every response that is not a success.

    {"code": "validation_error", "message": "...", "errors": {"email": ["..."]}}

`code` is a stable machine-readable word, `message` a sentence for people and
`errors` (when present) the failing fields. Services raise domain exceptions;
the table below turns each into a status and a code, so views stay thin.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from redis import RedisError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from marketplace.core.openapi import DocumentedApi
from tenants.move_sql import TENANT_MOVING_SQLSTATE
from tenants.provisioning import SlugTaken
from tenants.registry import TenantNotFound
from tenants.slugs import InvalidSlug

log = logging.getLogger(__name__)

CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

SELLER_NOT_FOUND_MESSAGE = "There is no seller with this slug."
# A tenant move's freeze lasts about a second (bench/tenant_move.py): a write retried after this goes through.
TENANT_MOVING_RETRY_AFTER_SECONDS = 2


class ApiError(Exception):
    """A domain failure that maps to an HTTP status. Subclass it per failure."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, errors: dict | None = None, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.headers = headers or {}


class NotFound(ApiError):
    status, code = 404, "not_found"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"

    def __init__(self, message: str = "Authentication is required.", **kwargs):
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class Conflict(ApiError):
    status, code = 409, "conflict"


class ValidationFailed(ApiError):
    status, code = 422, "validation_error"


class RateLimited(ApiError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after_seconds: int):
        super().__init__(message, headers={"Retry-After": str(max(1, int(retry_after_seconds)))})
        self.retry_after_seconds = retry_after_seconds


def error_body(status: int, message: str, errors: dict | None = None, code: str | None = None) -> dict:
    body = {"code": code or CODES_BY_STATUS.get(status, "error"), "message": message}
    if errors:
        body["errors"] = errors
    return body


def _flatten_webargs_errors(messages: dict) -> dict:
    """webargs nests field errors by location ({"json": {"email": [...]}}); clients want the fields."""
    flat: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


class MarketplaceApi(DocumentedApi):
    """flask-smorest's Api with our error format (and a document that states it)."""

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        if errors and error.code == 422:
            errors = _flatten_webargs_errors(errors)
        message = data.get("message") or _default_message(error)
        if error.code == 400 and errors and "json" in (data.get("messages") or {}):
            errors = None  # webargs reports malformed JSON as an error on the whole body
        if error.code >= 500:
            log.error("unhandled error", exc_info=getattr(error, "original_exception", None))
        headers = data.get("headers") or {}
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            headers.setdefault("Allow", ", ".join(error.valid_methods))
        return error_body(error.code, message, errors), error.code, headers


def _default_message(error: HTTPException) -> str:
    if error.code == 400:
        return "The request body is not valid JSON." if _is_json_error(error) else "The request is malformed."
    if error.code >= 500:
        return "Something went wrong on our side; the error was logged."
    return error.description or error.name


def _is_json_error(error: HTTPException) -> bool:
    messages = (getattr(error, "data", None) or {}).get("messages") or {}
    return "json" in messages


def register_error_handlers(app: Flask) -> None:
    def api_error(error: ApiError):
        return jsonify(error_body(error.status, error.message, error.errors, error.code)), error.status, error.headers

    def slug_taken(error: SlugTaken):
        return jsonify(error_body(409, str(error), code="slug_taken")), 409

    def tenant_not_found(error: TenantNotFound):
        # The message names no slug: it echoes nothing a client typed.
        return jsonify(error_body(404, SELLER_NOT_FOUND_MESSAGE)), 404

    def invalid_slug(error: InvalidSlug):
        return jsonify(error_body(422, "The slug is not valid.", {"slug": [f"The slug {error.reason}."]})), 422

    def data_error(error: DataError):
        # The database refused a value our validation let through (e.g. out of range).
        log.warning("database rejected a value: %s", error.orig)
        return jsonify(error_body(422, "A value is out of range for its field.")), 422

    def dependency_down(error: Exception):
        # PostgreSQL or Redis unreachable: the client may retry later.
        log.error("a backing service is unavailable: %s", error)
        return jsonify(error_body(503, "A backing service is unavailable; try again shortly.")), 503, \
            {"Retry-After": "5"}

    def database_error(error: DBAPIError):
        # The source of a tenant move refuses the tenant's writes during its freeze (tenants/move_sql.py).
        if getattr(error.orig, "sqlstate", None) == TENANT_MOVING_SQLSTATE:
            log.info("a write refused while its seller moves to another database server")
            return jsonify(error_body(503, "This seller is moving to another server; try again in a moment.",
                                      code="tenant_moving")), 503, \
                {"Retry-After": str(TENANT_MOVING_RETRY_AFTER_SECONDS)}
        return unhandled(error)

    def unhandled(error: Exception):
        if isinstance(error, HTTPException):
            return app.extensions["marketplace_api"].handle_http_exception(error)
        log.exception("unhandled exception")
        return jsonify(error_body(500, _default_message(InternalServerError()))), 500

    app.register_error_handler(ApiError, api_error)
    app.register_error_handler(SlugTaken, slug_taken)
    app.register_error_handler(TenantNotFound, tenant_not_found)
    app.register_error_handler(InvalidSlug, invalid_slug)
    app.register_error_handler(DataError, data_error)
    app.register_error_handler(RedisError, dependency_down)
    app.register_error_handler(OperationalError, dependency_down)
    app.register_error_handler(DBAPIError, database_error)
    app.register_error_handler(Exception, unhandled)
