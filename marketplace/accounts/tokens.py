"""Opaque bearer tokens: random secrets handed to the client, stored only as SHA-256 digests."""
from __future__ import annotations

import hashlib
import secrets

TOKEN_TYPE = "Bearer"
_TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


def token_digest(token: str) -> str:
    """The stored form of a token. A fast hash is enough: the token is 256 random bits, not a password."""
    return hashlib.sha256(token.encode()).hexdigest()
