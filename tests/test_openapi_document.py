"""The OpenAPI document is valid OpenAPI 3, every reference in it resolves, and it states our error shape."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource

from marketplace.core.errors import ApiError
from marketplace.core.integrity import CONFLICTS_BY_CONSTRAINT
from marketplace.core.openapi import ERROR_CODES
from marketplace.sellers.schemas import ApplicationCreateSchema
from tenants.slugs import InvalidSlug, validate_slug


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
    codes = ({error.code for error in _subclasses(ApiError)} | {"payload_too_large"}
             | {conflict.code for conflict in CONFLICTS_BY_CONSTRAINT.values()})

    assert [code for code in sorted(codes) if f"`{code}`" not in ERROR_CODES] == []
    assert ERROR_CODES in document["components"]["schemas"]["Error"]["description"]


def test_rate_limited_answers_document_retry_after_and_lists_their_json_header(document):
    too_many = document["components"]["responses"]["TOO_MANY_REQUESTS"]
    pagination = document["components"]["headers"]["PAGINATION"]

    assert too_many["headers"]["Retry-After"]["required"] is True
    assert pagination["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PaginationMetadata"}
    assert document["servers"] == [{"url": "/", "description": "The host serving this document"}]


MAIN_OPERATIONS = [
    ("post", "/api/v1/auth/register"), ("post", "/api/v1/auth/token"), ("get", "/api/v1/me"), ("patch", "/api/v1/me"),
    ("post", "/api/v1/seller-applications"), ("post", "/api/v1/sellers/{slug}/products"),
    ("get", "/api/v1/sellers/{slug}/products"), ("get", "/api/v1/sellers/{slug}/products/{product_id}"),
    ("get", "/api/v1/products"), ("get", "/api/v1/products/{seller_slug}/{product_slug}"), ("get", "/api/v1/search"),
    ("post", "/api/v1/reviews"), ("get", "/api/v1/products/{seller_slug}/{product_slug}/reviews"),
]


def _examples(document: dict) -> list[tuple[str, dict, object]]:
    """(where, schema, example) of every request body and response example in the document."""
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            bodies = [("request", operation.get("requestBody", {}))]
            bodies += [(status, response) for status, response in operation["responses"].items()]
            for status, body in bodies:
                for media in body.get("content", {}).values():
                    if "example" in media:
                        found.append((f"{method} {path} {status}", media["schema"], media["example"]))
    return found


def test_the_main_operations_show_a_request_and_a_response_example(document):
    shown = {where.rsplit(" ", 1)[0] for where, _, _ in _examples(document)}
    with_body = {f"{method} {path}" for method, path in MAIN_OPERATIONS
                 if "requestBody" in document["paths"][path][method]}
    requests = {where.rsplit(" ", 1)[0] for where, _, _ in _examples(document) if where.endswith(" request")}

    assert [f"{method} {path}" for method, path in MAIN_OPERATIONS if f"{method} {path}" not in shown] == []
    assert sorted(with_body - requests) == []


def test_every_example_matches_its_schema(document):
    registry = Registry().with_resource("urn:openapi", Resource.opaque(document))
    mismatches = []
    for where, schema, example in _examples(document):
        validator = OAS30Validator(_rooted(schema), registry=registry, format_checker=FormatChecker())
        mismatches += [f"{where}: {error.message}" for error in validator.iter_errors(example)]

    assert mismatches == []


def _rooted(node):
    """The schema with its local references made absolute, so that they resolve in the registry's document."""
    if isinstance(node, dict):
        return {key: ("urn:openapi" + value if key == "$ref" and value.startswith("#") else _rooted(value))
                for key, value in node.items()}
    if isinstance(node, list):
        return [_rooted(value) for value in node]
    return node


def _operation_parameters(document: dict, method: str, path: str) -> dict[str, dict]:
    shared = document["paths"][path].get("parameters", [])
    own = document["paths"][path][method].get("parameters", [])
    return {parameter["name"]: parameter for parameter in shared + own}


def _request_schema(document: dict, method: str, path: str) -> dict:
    body = document["paths"][path][method]["requestBody"]["content"]["application/json"]
    return _resolve(document, body["schema"]["$ref"])


def test_the_limits_the_server_enforces_are_in_the_document(document):
    users = _operation_parameters(document, "get", "/api/v1/operator/users")
    search = _operation_parameters(document, "get", "/api/v1/search")
    product = _operation_parameters(document, "get", "/api/v1/sellers/{slug}/products/{product_id}")
    wanted_slug = _request_schema(document, "post", "/api/v1/seller-applications")["properties"]["wanted_slug"]
    product_change = _request_schema(document, "patch", "/api/v1/sellers/{slug}/products/{product_id}")
    new_product = _request_schema(document, "post", "/api/v1/sellers/{slug}/products")

    assert users["page"]["schema"]["maximum"] == 10_000
    assert "page × page_size must not exceed 10000" in search["page"]["description"]
    assert search["category"]["schema"]["items"]["maximum"] == product["product_id"]["schema"]["maximum"] == 2**63 - 1
    assert product["product_id"]["schema"]["minimum"] == 1
    assert new_product["properties"]["category_id"]["maximum"] == 2**63 - 1
    assert (wanted_slug["minLength"], wanted_slug["maxLength"]) == (3, 40)
    assert product_change["minProperties"] == 1


@settings(max_examples=300, deadline=None)
@given(slug=st.from_regex(r"\A[a-z0-9-]{0,42}\n?\Z") | st.text(max_size=42))
def test_the_documented_slug_pattern_is_the_rule_the_server_applies(slug):
    documented = ApplicationCreateSchema().fields["wanted_slug"].metadata
    fits_document = (documented["minLength"] <= len(slug) <= documented["maxLength"]
                     # fullmatch: `$` means the end of the text in the document's ECMA-262 regexes
                     and re.fullmatch(documented["pattern"], slug) is not None)
    try:
        validate_slug(slug)
        accepted = True
    except InvalidSlug as error:
        accepted = error.reason == "is reserved"

    assert fits_document == accepted
