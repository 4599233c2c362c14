"""CSRF on every form and the security headers of every page.

Flask-WTF keeps a CSRF secret in the page session and checks the token of
every unsafe request to a page (the API is exempt: it takes bearer tokens,
which a browser never sends by itself). Pages get a Content-Security-Policy
without inline script or style, and may not be framed.
"""
from __future__ import annotations

from flask import Flask, Response, g, request
from flask_wtf.csrf import CSRFProtect

from marketplace.web.sessions import is_page_request

csrf = CSRFProtect()

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "https:"],
    "connect-src": ["'self'"],
    "frame-src": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def allow_in_policy(directive: str, *sources: str) -> None:
    """Widen this response's Content-Security-Policy (a page embedding Stripe's Payment Element, say)."""
    extra = g.setdefault("csp_extra_sources", {})
    extra.setdefault(directive, []).extend(sources)


def init_app(app: Flask) -> None:
    # Checked by `_protect_pages` on pages only, not on every view of the app (the API has none to give).
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    # The token lives as long as the login: a form left open for an afternoon still posts.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)
    app.before_request(_protect_pages)
    app.after_request(_add_page_headers)


def _protect_pages() -> None:
    if request.method in UNSAFE_METHODS and is_page_request(request):
        csrf.protect()


def _add_page_headers(response: Response) -> Response:
    if not is_page_request(request):
        return response
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Content-Security-Policy"] = _policy()
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def _policy() -> str:
    extra = g.get("csp_extra_sources", {})
    directives = {name: sources + extra.get(name, []) for name, sources in CONTENT_SECURITY_POLICY.items()}
    for name, sources in directives.items():
        if len(sources) > 1 and "'none'" in sources:
            sources.remove("'none'")
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())
