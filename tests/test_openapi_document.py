"""The OpenAPI document is valid OpenAPI 3, every reference in it resolves, and it states our error shape."""
from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from marketplace.errors import ApiError
from marketplace.openapi import ERROR_CODES


@pytest.fixture(scope="module")
def document(app) -> dict:
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _references(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _references(value)]
    return []


def _resolve(document: dict, reference: str):
    assert reference.startswith("#/"), reference
    node = document
    for part in reference[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_document_is_valid_openapi_3(document):
    validate(document)


def test_every_reference_in_the_document_resolves(document):
    dangling = []
    for reference in sorted(set(_references(document))):
        try:
            _resolve(document, reference)
        except (KeyError, AssertionError):
            dangling.append(reference)

    assert dangling == []


def test_every_error_response_is_our_error_shape_with_no_catch_all(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "default" not in operation["responses"], (method, path)
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    response = _resolve(document, response["$ref"]) if "$ref" in response else response
                    schema = _resolve(document, response["content"]["application/json"]["schema"]["$ref"])
                    assert schema["properties"]["code"]["type"] == "string", (method, path, status)
                    assert set(schema["required"]) == {"code", "message"}, (method, path, status)


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


def test_the_error_schema_lists_every_code_the_server_sends(app, document):
    codes = {error.code for error in _subclasses(ApiError)} | {"slug_taken", "payload_too_large"}

    assert [code for code in sorted(codes) if f"`{code}`" not in ERROR_CODES] == []
    assert ERROR_CODES in document["components"]["schemas"]["Error"]["description"]


def test_rate_limited_answers_document_retry_after_and_lists_their_json_header(document):
    too_many = document["components"]["responses"]["TOO_MANY_REQUESTS"]
    pagination = document["components"]["headers"]["PAGINATION"]

    assert too_many["headers"]["Retry-After"]["required"] is True
    assert pagination["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PaginationMetadata"}
    assert document["servers"] == [{"url": "/", "description": "The host serving this document"}]
