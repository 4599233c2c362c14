"""Rate limits per client address on the endpoints a script would hammer, counted in the app's Redis.

flask-limiter does the counting (fixed windows, one Redis key per address,
endpoint and window). Each limit is a setting (RATE_LIMIT_REGISTER="10/hour",
...) validated at start-up and read per request; RATE_LIMIT_ENABLED=false
turns them all off (the test suite does, except in the tests of the limits).

The client address is `request.remote_addr`: behind TRUSTED_PROXY_COUNT
proxies ProxyFix has already taken it from their X-Forwarded-For, and with
none no header can choose it. A refusal is our error shape with Retry-After:

    429 {"code": "rate_limited", "message": "Too many requests ..."}   Retry-After: 1800

Apply a limit outermost on a view (so that even malformed requests count) and
document its answer with `@blp.alt_response(429, **TOO_MANY_REQUESTS)`. The
login limits (accounts/ratelimit.py) are a different rule and stay apart.
"""
from __future__ import annotations

import math
import time
from typing import Callable

from flask import Flask, current_app, jsonify
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address

from marketplace.core.errors import error_body
from marketplace.core.extensions import redis_client

limiter = Limiter(key_func=get_remote_address, strategy="fixed-window", key_prefix="ratelimit",
                  headers_enabled=False)

# The 429 of a limited operation in the OpenAPI document: our error shape and the Retry-After header.
TOO_MANY_REQUESTS = {
    "schema": "Error",
    "description": "Too many requests from this client address; try again after Retry-After seconds.",
    "headers": {"Retry-After": {"description": "Seconds until the limit's window ends.",
                                "schema": {"type": "integer", "minimum": 1}}},
}


def init_app(app: Flask) -> None:
    """Count in the app's Redis (its connection pool) and answer breaches in our error shape."""
    app.config.update(RATELIMIT_STORAGE_URI="redis://",
                      RATELIMIT_STORAGE_OPTIONS={"connection_pool": redis_client.client.connection_pool})
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)


def _too_many_requests(error: RateLimitExceeded):
    # From the window's end, rounded up: a client that waits Retry-After seconds finds the window over.
    # (`reset_at` is already a second past it, so rounding that up again would overstate the wait.)
    window_ends_at = limiter.current_limit.window.reset_time
    seconds_left = max(1, math.ceil(window_ends_at - time.time()))
    body = error_body(429, "Too many requests from this address; try again later.")
    return jsonify(body), 429, {"Retry-After": str(seconds_left)}


def _limits_disabled() -> bool:
    return not current_app.config["RATE_LIMIT_ENABLED"]


def _per_client_address(setting: str, scope: str | None = None) -> Callable:
    """A limit whose rate is the setting's value; endpoints that give one `scope` share one count."""
    rate = lambda: current_app.config[setting]  # noqa: E731  (read per request: tests may change it)
    if scope:
        return limiter.shared_limit(rate, scope=scope, exempt_when=_limits_disabled)
    return limiter.limit(rate, exempt_when=_limits_disabled)


register = _per_client_address("RATE_LIMIT_REGISTER")
password_reset = _per_client_address("RATE_LIMIT_PASSWORD_RESET")
invite_acceptance = _per_client_address("RATE_LIMIT_INVITE_ACCEPTANCE")
# The marketplace's and a storefront's search share one count: a scraper could alternate between them.
search = _per_client_address("RATE_LIMIT_SEARCH", scope="search")
suggest = _per_client_address("RATE_LIMIT_SUGGEST")
