"""Whole responses of the public catalog reads, served from Redis on a hit.

A hit returns the stored body and headers (`X-Pagination` included) as they
are: no query-string parsing, no serialisation, which were most of a cached
read's cost (profiled with bench/catalog_http.py). The entry is stamped with
the generations of the cache scopes the response depends on, so every
invalidation of `marketplace.core.cache` makes it stale as well: those the route
names, and those the view recorded while computing (`depend_on`).

The decorator goes above flask-smorest's: a miss runs the validated view and
only a 200 is stored, so a query string that fails validation is never stored
and a hit implies the same query string was valid. Query parameters are
normalised by name only (a stable sort), because which of a repeated
parameter's values counts depends on their order.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from functools import wraps
from typing import Callable

from flask import current_app, request

from marketplace.core.cache import CachedResponse, cached_response, recording_dependencies, store_response
from marketplace.core.errors import ApiError

# Set by the app or the server after the view returns; never part of a stored response.
_UNSTORED_HEADERS = frozenset({"content-length", "set-cookie", "x-request-id"})

# Per endpoint, this process's hits and misses ("<endpoint>:hit", "<endpoint>:miss"): what the
# benchmarks and tests read to tell whether a change emptied more than it should.
lookups = Counter()


def cached_responses(scopes: Callable[..., tuple[str, ...]]) -> Callable:
    """Serve a `MethodView` GET from the response cache; `scopes(**view_args)` names the scopes it depends on.

    If `scopes` raises a domain error (an unknown seller, say), the view runs
    uncached and reports it.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                view_scopes = scopes(**kwargs)
            except ApiError:
                return view(*args, **kwargs)
            lookup = cached_response(view_scopes, _response_name(request.endpoint, kwargs))
            if lookup.response is not None:
                lookups[f"{request.endpoint}:hit"] += 1
                return current_app.response_class(lookup.response.body, status=200,
                                                  headers=lookup.response.headers)
            lookups[f"{request.endpoint}:miss"] += 1
            with recording_dependencies() as recorded:
                response = view(*args, **kwargs)
            if response.status_code == 200 and not response.is_streamed and "Set-Cookie" not in response.headers:
                headers = [(name, value) for name, value in response.headers.items()
                           if name.lower() not in _UNSTORED_HEADERS]
                store_response(lookup, CachedResponse(headers, response.get_data()), recorded)
            return response

        return wrapper

    return decorator


def _response_name(endpoint: str | None, view_args: dict) -> str:
    # sorted() is stable: repeated parameters keep the order of their values.
    query = sorted(request.args.items(multi=True), key=lambda pair: pair[0])
    canonical = repr((sorted(view_args.items()), query)).encode()
    return f"{endpoint}:{hashlib.sha256(canonical).hexdigest()[:32]}"
