"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile)."""
from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches `password_hash`.

    With no hash (no such user) a verification against a throw-away hash is
    still spent, so the response time does not tell which emails have accounts.
    """
    if password_hash is None:
        _matches(_unknown_user_hash(), password)
        return False
    return _matches(password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """True if the hash was made with other parameters than today's (rehash it on the next login)."""
    return _hasher.check_needs_rehash(password_hash)


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    return _hasher.hash("no user has this password")
