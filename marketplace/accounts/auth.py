"""Who is calling: bearer-token authentication of requests.

`authenticate()` reads `Authorization: Bearer <token>`, checks the token and
keeps the principal in `g` for the rest of the request; `g.user_id` puts the
user in every log line. The permission checks in `permissions.py` build on it.
"""
from __future__ import annotations

from flask import Flask, g, request

from marketplace.accounts.services import Principal, authenticate_token
from marketplace.core.errors import Unauthorized

BEARER_SCHEME = "bearerAuth"


def init_auth(app: Flask) -> None:
    """Describe bearer tokens in the OpenAPI document (the permission decorators refer to it)."""
    app.extensions["marketplace_api"].spec.components.security_scheme(
        BEARER_SCHEME, {"type": "http", "scheme": "bearer", "description": "A token from POST /auth/token."}
    )


def authenticate() -> Principal:
    """The principal of this request's bearer token, else Unauthorized (401)."""
    if "principal" not in g:
        token = _bearer_token()
        if token is None:
            raise Unauthorized("Authentication is required: send the header Authorization: Bearer <token>.")
        g.principal = authenticate_token(token)
        g.user_id = g.principal.user_id
    return g.principal


def _bearer_token() -> str | None:
    authorization = request.authorization
    if authorization is None or authorization.type != "bearer":
        return None
    return authorization.token or None
