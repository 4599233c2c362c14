"""The OpenAPI document as a contract: our error shape, the responses every operation may send, real limits.

flask-smorest documents what the views declare; this module documents what
the server does around them. Errors use our one shape (`ErrorSchema`, the body
of `marketplace.core.errors.error_body`), not flask-smorest's default. A JSON body
may be malformed (400) or too large (413) anywhere; any operation may meet a
backing service that is down (503); a path naming no row is a 404. Ids in
paths are BIGINT-sized (`IdConverter`), so a larger number is a 404 from
routing instead of a database error. `tests/test_openapi_conformance.py`
drives every operation from this document and fails on anything it does not
say.
"""
from __future__ import annotations

import http
import inspect
from typing import Any

from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api
from flask_smorest.pagination import PaginationMetadataSchema
from flask_smorest.utils import prepare_response
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.routing import IntegerConverter

from marketplace.core.partial_updates import AtLeastOneField

# Every table's id is a PostgreSQL bigint.
MAX_ID = 2**63 - 1

ERROR_CODES = """Codes by status (a client may rely on them; new ones may be added):

- 400 `bad_request`, `invalid_webhook`, `idempotency_key_required`: the body is not valid JSON, or the request is
  malformed (a webhook: its signature does not verify; a checkout: no usable `Idempotency-Key` header).
- 401 `unauthorized`: no valid bearer token.
- 403 `forbidden`, `email_not_verified`, `tenant_suspended`, `tenant_closed`, `plan_limit_reached`: signed in, but
  not allowed (or not yet; `plan_limit_reached`: the seller's plan allows no more products).
- 404 `not_found`, `token_not_found`: no such resource, or not visible to the caller.
- 405 `method_not_allowed`: the path exists, but not with this method (`Allow` lists the methods).
- 409 `conflict`, `slug_taken`, `sku_taken`, `email_taken`, `domain_taken`, `category_cycle`, `category_in_use`,
  `illegal_transition`, `no_variants`, `last_variant`, `insufficient_stock`, `already_reviewed`, `already_replied`,
  `already_member`, `invite_used`, `invite_email_mismatch`, `last_owner`, `application_decided`,
  `email_already_verified`, `token_used`, `move_running`, `commission_rule_exists`, `address_limit_reached`,
  `cart_empty`, `lines_unavailable`, `no_shipping_option`, `total_changed`, `idempotency_key_reused`, `in_progress`,
  `checkout_interrupted`, `checkout_timed_out`, `order_not_payable`, `not_purchasable`, `currency_mismatch`,
  `cart_line_limit_reached`, `duplicate_event`, `refund_exceeds_remaining`, `open_orders`, `not_delivered`,
  `return_window_closed`, `plan_name_taken`: the request clashes with the current state.
- 410 `invite_expired`, `invite_revoked`, `token_expired`, `token_replaced`: the invite or mailed token can no
  longer be used.
- 402 `payment_declined`: the card was declined; the order stays payable until it expires.
- 413 `payload_too_large`: the body is larger than the server accepts.
- 414 `uri_too_long`: the request line is longer than the server reads.
- 415 `unsupported_media_type`: the body's content type is not one the operation takes.
- 422 `validation_error`: a field is missing or invalid; `errors` names each one.
- 431 `header_fields_too_large`: too many header fields, or one too long.
- 429 `rate_limited`: too many attempts; wait the `Retry-After` seconds.
- 500 `internal_error`: a fault of the server (logged); never an answer to bad input.
- 503 `unavailable`, `tenant_moving`, `payment_gateway_unavailable`: a backing service (database, cache, search,
  the payment processor) is unavailable, or the seller's data is moving to another server (its writes wait a
  second or two; reads go on); retry after `Retry-After`."""


class ErrorSchema(Schema):
    class Meta:
        description = "Every error response: a stable code, a sentence, and the failing fields.\n\n" + ERROR_CODES

    code = fields.String(required=True, metadata={
        "description": "A stable machine-readable word (see the list above).", "example": "validation_error"})
    message = fields.String(required=True, metadata={
        "description": "What went wrong, for people.", "example": "The request is not valid."})
    errors = fields.Raw(metadata={
        "type": "object",
        "description": "The failing fields, each with its messages; a nested body nests the same way "
                       "(e.g. `{\"images\": {\"0\": {\"url\": [\"Not a valid URL.\"]}}}`), and `_schema` holds "
                       "errors of the body as a whole. Absent when no single field is at fault.",
        "additionalProperties": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]},
        "example": {"email": ["Not a valid email address."]},
    })


RETRY_AFTER = {"description": "Seconds to wait before trying again.", "schema": {"type": "integer", "minimum": 1}}
RETRY_AFTER_ALWAYS = {**RETRY_AFTER, "required": True}
PAGINATION_HEADER = {
    "description": "Where this page sits in the list: a JSON object sent as the header's text.",
    "content": {"application/json": {"schema": PaginationMetadataSchema}},
}
# Paths carry their /api/v1 prefix, so the server is the host the document was read from.
SERVERS = [{"url": "/", "description": "The host serving this document"}]
# Statuses some operation answers with a header the client needs.
HEADERS_BY_STATUS = {429: {"Retry-After": RETRY_AFTER_ALWAYS}, 503: {"Retry-After": RETRY_AFTER}}
# The name of 413 changed with Python's http module (REQUEST_ENTITY_TOO_LARGE, then CONTENT_TOO_LARGE).
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"


class WholeMatch(validate.Regexp):
    """A pattern the whole value must match, as the document's `pattern` (ECMA-262) means it.

    marshmallow's Regexp uses `re.match`, whose `$` also matches before a final
    newline: a slug "oak" plus a newline would pass the server while the document refuses it.
    """

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a positive integer that fits a bigint id; anything else does not match (404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's name)
        super().__init__(map, min=1, max=MAX_ID)


def _id_parameter_schema(converter: IdConverter) -> dict:
    return {"type": "integer", "format": "int64", "minimum": converter.min, "maximum": converter.max}


class ContractPlugin(BasePlugin):
    """Adds to each operation and schema what the server enforces outside the views' own declarations.

    A schema's docstring becomes its description, as a view's docstring becomes its summary.
    """

    def __init__(self, max_page_number: int):
        self.max_page_number = max_page_number
        self.spec = None

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        self.spec = spec

    def schema_helper(self, name, definition, **kwargs) -> dict:
        schema = kwargs.get("schema")
        schema_class = schema if isinstance(schema, type) else type(schema)
        extra = {}
        if schema_class.__doc__ and "description" not in definition:
            extra["description"] = inspect.cleandoc(schema_class.__doc__)
        if issubclass(schema_class, AtLeastOneField):
            extra["minProperties"] = 1
        return extra

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses.setdefault("400", "BAD_REQUEST")
                responses.setdefault("413", PAYLOAD_TOO_LARGE)
            if "{" in (path or ""):
                responses.setdefault("404", "NOT_FOUND")
            # marketplace/core/edge.py answers these before any view, on every operation.
            responses.setdefault("414", "REQUEST_URI_TOO_LONG")
            responses.setdefault("431", "REQUEST_HEADER_FIELDS_TOO_LARGE")
            responses.setdefault("503", "SERVICE_UNAVAILABLE")
            for status, response in responses.items():
                if int(status) >= 400 and isinstance(response, dict):
                    # An alt_response given only a description still sends our error body and headers.
                    error_schema = self.spec.components.get_ref("schema", "Error")
                    response.setdefault("content", {"application/json": {"schema": error_schema}})
                    if int(status) in HEADERS_BY_STATUS:
                        response.setdefault("headers", dict(HEADERS_BY_STATUS[int(status)]))
            for parameter in operation.get("parameters", []):
                if isinstance(parameter, dict) and parameter.get("in") == "query" and parameter.get("name") == "page":
                    # Checked in marketplace.core.pagination: an offset that deep is a scan, not browsing.
                    parameter["schema"]["maximum"] = self.max_page_number


class DocumentedApi(Api):
    """flask-smorest's Api whose document states our error shape, headers and id paths."""

    ERROR_SCHEMA = ErrorSchema
    # No catch-all `default` response: each status an operation may send is listed, so an undocumented one shows.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def init_app(self, app: Flask, *, spec_kwargs: dict[str, Any] | None = None) -> None:
        app.url_map.converters["id"] = IdConverter
        super().init_app(app, spec_kwargs={"servers": SERVERS, **(spec_kwargs or {})})
        self.register_converter(IdConverter, _id_parameter_schema)

    def _register_responses(self) -> None:
        self.spec.components.schema("Error", schema=self.ERROR_SCHEMA)
        # Every name, aliases included: views name 422 UNPROCESSABLE_ENTITY, which newer Pythons call an alias.
        for name, status in http.HTTPStatus.__members__.items():
            if status >= 400:
                self._register_error_response(name, status)
        self._register_error_response(PAYLOAD_TOO_LARGE, http.HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    def _register_error_response(self, name: str, status: http.HTTPStatus) -> None:
        response = {"description": status.phrase, "schema": self.ERROR_SCHEMA}
        if status in HEADERS_BY_STATUS:
            response["headers"] = dict(HEADERS_BY_STATUS[status])
        prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
        self.spec.components.response(name, response, lazy=True)

    def _register_pagination_header(self) -> None:
        # flask-smorest declares the header as an object; it is JSON text, which OpenAPI says with `content`.
        self.spec.components.header("PAGINATION", PAGINATION_HEADER, lazy=True)
