"""Requests refused at the edge, before any view runs or the database is asked.

The limits on the request line and the headers are the ones gunicorn applied
by default (4094 bytes, 100 fields of 8190 bytes); gunicorn.conf.py raises
gunicorn's own limits above them, so that a request between the two is
answered here in the one JSON error shape instead of gunicorn's HTML page.
"""
from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from marketplace.core.errors import ApiError

MAX_REQUEST_LINE_BYTES = 4094
MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD_BYTES = 8190


class RequestLineTooLong(ApiError):
    status, code = 414, "uri_too_long"

    def __init__(self) -> None:
        super().__init__(f"The request line is longer than {MAX_REQUEST_LINE_BYTES} bytes.")


class HeadersTooLarge(ApiError):
    status, code = 431, "header_fields_too_large"


def init_edge(app: Flask) -> None:
    """Check every request before its view; register after the request ids, so that refusals carry one too."""
    app.before_request(refuse_at_the_edge)


def refuse_at_the_edge() -> None:
    _check_request_line()
    _check_headers()
    # A NUL can never be part of a slug or any other path value; PostgreSQL would refuse the lookup.
    if "\x00" in request.path:
        raise NotFound()
    _check_streamed_body_size()


def _check_request_line() -> None:
    # gunicorn hands over the target as sent (RAW_URI); other servers give its decoded parts.
    target = request.environ.get("RAW_URI") or request.full_path
    line_bytes = len(request.method) + 1 + len(target) + 1 + len(request.environ.get("SERVER_PROTOCOL", ""))
    if line_bytes > MAX_REQUEST_LINE_BYTES:
        raise RequestLineTooLong()


def _check_headers() -> None:
    if len(request.headers) > MAX_HEADER_FIELDS:
        raise HeadersTooLarge(f"The request has more than {MAX_HEADER_FIELDS} header fields.")
    for name, value in request.headers.items():
        if len(name) + 2 + len(value) > MAX_HEADER_FIELD_BYTES:  # WSGI gives headers as latin-1: one char a byte
            raise HeadersTooLarge(f"A header field is longer than {MAX_HEADER_FIELD_BYTES} bytes.")


def _check_streamed_body_size() -> None:
    """A chunked body (no Content-Length) over MAX_CONTENT_LENGTH is a 413, as it is with a Content-Length.

    Werkzeug limits such a stream to MAX_CONTENT_LENGTH but its `readall`
    stops at the limit without looking for more (pallets/werkzeug#2620), so a
    larger body reached the JSON parser cut short and was answered "not valid
    JSON". The body is read here once (Flask caches it for the view) and one
    byte past the limit shows whether the client sent more.
    """
    if request.content_length is not None or "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
        return
    if "wsgi.input_terminated" not in request.environ:
        return  # the server does not end the stream for us: werkzeug hands the view an empty body
    limit = request.max_content_length
    if limit is not None and len(request.get_data(cache=True)) >= limit and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()
