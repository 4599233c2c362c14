"""Hostile input at the edge of the API: every answer is the one JSON error shape with the right status."""
from __future__ import annotations

import io
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from marketplace.edge import MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_REQUEST_LINE_BYTES
from marketplace.request_parsing import MAX_JSON_DEPTH, HardenedParser
from tenants.shards import shards

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"


@contextmanager
def database_statements():
    """The SQL statements the app sends while the block runs."""
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = shards.engine()
    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.data[:300]
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


# 7. Deeply nested JSON

@pytest.mark.parametrize("path", [REGISTER, TOKEN])
@pytest.mark.parametrize("body", ["[" * 1500, '{"a":' * 1500, "[" * 1500 + "]" * 1500,
                                  '{"a":' * 1500 + "1" + "}" * 1500],
                         ids=["open arrays", "open objects", "closed arrays", "closed objects"])
def test_a_deeply_nested_body_is_a_400_on_unauthenticated_endpoints(client, row_counts, path, body):
    before = row_counts()

    response = client.post(path, data=body, content_type="application/json")

    assert_error_shape(response, 400, "bad_request")
    assert row_counts() == before


def test_a_well_formed_body_nested_deeper_than_the_limit_is_a_400_naming_the_limit(client):
    depth = MAX_JSON_DEPTH + 1
    body = '{"email": ' + "[" * depth + "]" * depth + "}"

    response = client.post(REGISTER, data=body, content_type="application/json")

    assert str(MAX_JSON_DEPTH) in assert_error_shape(response, 400, "bad_request")["message"]


def test_every_api_blueprint_parses_bodies_with_the_hardened_parser(app):
    parsers = {name: blueprint.ARGUMENTS_PARSER for name, blueprint in app.blueprints.items()
               if hasattr(blueprint, "ARGUMENTS_PARSER")}

    assert len(parsers) >= 8
    assert all(isinstance(parser, HardenedParser) for parser in parsers.values()), parsers


# 8. Bodies over MAX_CONTENT_LENGTH, with or without Content-Length

def test_a_chunked_body_over_the_limit_is_a_413_like_one_with_a_content_length(client, app, row_counts):
    body = b'{"email": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    before = row_counts()

    with_length = client.post(REGISTER, data=body, content_type="application/json")
    # A server that ends the chunked stream itself (gunicorn, werkzeug's) says so with wsgi.input_terminated.
    chunked = client.post(REGISTER, input_stream=io.BytesIO(body), content_type="application/json",
                          headers={"Transfer-Encoding": "chunked"},
                          environ_overrides={"wsgi.input_terminated": True})

    assert_error_shape(with_length, 413, "payload_too_large")
    assert_error_shape(chunked, 413, "payload_too_large")
    assert row_counts() == before


def test_a_chunked_body_within_the_limit_is_read_whole(client):
    body = b'{"email": "ada@example.com", "password": "correct horse battery", "full_name": "Ada"}'

    response = client.post(REGISTER, input_stream=io.BytesIO(body), content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})

    assert response.status_code == 201, response.get_json()


# 9. NUL characters

@pytest.mark.parametrize("path", [
    "/api/v1/sellers/%00/products",
    "/api/v1/sellers/%00",
    "/api/v1/sellers/acme%00/settings",
    "/api/v1/products/%00/oak-table",
    "/api/v1/products/acme/oak%00table",
    "/api/v1/operator/tenants/%00/suspend",
])
def test_a_nul_in_a_path_segment_is_a_404_without_asking_the_database(client, buyer, path):
    with database_statements() as statements:
        response = client.get(path, headers=buyer.headers)

    assert_error_shape(response, 404, "not_found")
    assert statements == []


def test_a_nul_in_a_body_field_is_a_422_naming_the_field(client, row_counts):
    before = row_counts()

    response = client.post(REGISTER, json={"email": "ada@example.com", "password": "correct horse battery",
                                           "full_name": "Ada\x00Lovelace"})

    body = assert_error_shape(response, 422, "validation_error")
    assert list(body["errors"]) == ["full_name"]
    assert row_counts() == before


def test_a_nul_in_a_nested_body_field_names_its_path(client, operator):
    response = client.post("/api/v1/operator/categories", headers=operator.headers,
                           json={"name": "Home", "slug": "home", "extra": {"deep": ["ok", "bad\x00"]}})

    body = assert_error_shape(response, 422, "validation_error")
    assert body["errors"] == {"extra": {"deep": {"1": ["Must not contain the NUL character (\\u0000)."]}}}


@pytest.mark.parametrize("path", ["/api/v1/search?q=oak%00", "/api/v1/products?seller=%00",
                                  "/api/v1/search/suggest?q=%00"])
def test_a_nul_in_a_query_field_is_a_422_naming_the_field(client, path):
    with database_statements() as statements:
        response = client.get(path)

    body = assert_error_shape(response, 422, "validation_error")
    assert list(body["errors"]) == [path.split("?")[1].split("=")[0]]
    assert statements == []
