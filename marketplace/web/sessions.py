"""Cookie sessions for pages only.

The JSON API signs callers in with bearer tokens and never sets a cookie
(a cookie session on every API request was a measurable cost of a cached
read, bench/catalog_http.py). Pages need one: it carries the login, the CSRF
secret and flash messages. The cookie is signed with SECRET_KEY, HttpOnly,
SameSite=Lax and Secure unless WEB_COOKIE_SECURE is off (plain-HTTP
development on another host than localhost).
"""
from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface

SESSION_COOKIE_NAME = "marketplace_session"
# Paths served by the API and the probes: never a cookie there.
COOKIELESS_PATH_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics")


def is_page_request(request: Request) -> bool:
    """Whether this request is for a page (or a page's asset) rather than the API or a probe."""
    return not request.path.startswith(COOKIELESS_PATH_PREFIXES) and request.path != "/api"


class PageSessions(SecureCookieSessionInterface):
    """A signed cookie session on page requests; the null session (refusing writes) elsewhere."""

    def open_session(self, app, request):
        if not is_page_request(request):
            return None
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["WEB_COOKIE_SECURE"],
        PERMANENT_SESSION_LIFETIME=app.config["TOKEN_TTL_SECONDS"],
    )
    app.session_interface = PageSessions()
