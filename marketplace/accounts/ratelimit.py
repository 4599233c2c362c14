"""Login rate limits, kept in Redis so that every web process shares them.

Both limits count within LOGIN_LOCKOUT_SECONDS:

- per account: LOGIN_MAX_FAILURES_PER_ACCOUNT wrong passwords lock the account
  for a whole window from the last of them; while locked even the right
  password is refused, so guessing on gains nothing;
- per client address: LOGIN_MAX_ATTEMPTS_PER_IP attempts, right or wrong, in a
  fixed window, against one address trying many accounts.

Accounts are keyed by a digest of the lower-cased email: an email without an
account is limited exactly like one with an account (nothing to probe), and no
address is written to Redis in clear. Each count is one Lua script, so the
increment and the expiry are atomic and a crash cannot leave a counter that
never expires.
"""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Mapping

from flask import current_app
from redis import Redis

from marketplace.core.errors import RateLimited
from marketplace.core.extensions import redis_client

# KEYS[1] the counter; ARGV[1] the window in seconds; ARGV[2] the count at which the window
# starts again (0: never). Returns the new count and the seconds left in the window.
_COUNT_IN_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 or count == tonumber(ARGV[2]) or redis.call('TTL', KEYS[1]) < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return {count, redis.call('TTL', KEYS[1])}
"""


@dataclass(frozen=True)
class LoginLimits:
    max_failures_per_account: int
    max_attempts_per_ip: int
    window_seconds: int

    @classmethod
    def from_config(cls, config: Mapping) -> "LoginLimits":
        return cls(max_failures_per_account=config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
                   max_attempts_per_ip=config["LOGIN_MAX_ATTEMPTS_PER_IP"],
                   window_seconds=config["LOGIN_LOCKOUT_SECONDS"])


@contextmanager
def guarded_password_check(email: str, client_ip: str | None, *, failure: type[Exception]) -> Iterator[None]:
    """Wrap a password check: refuse it (429) when a limit is reached, count it if it raises `failure`.

    A check that passes clears the account's failures.
    """
    limits = LoginLimits.from_config(current_app.config)
    redis = redis_client.client
    count_attempt_from(redis, client_ip, limits)
    ensure_account_not_locked(redis, email, limits)
    try:
        yield
    except failure:
        record_failure(redis, email, limits)
        raise
    redis.delete(_account_key(email))


def count_attempt_from(redis: Redis, client_ip: str | None, limits: LoginLimits) -> None:
    """Count one attempt from this address; RateLimited past the limit."""
    attempts, seconds_left = _count_in_window(redis, _ip_key(client_ip), limits.window_seconds, restart_at=0)
    if attempts > limits.max_attempts_per_ip:
        raise RateLimited("Too many login attempts from this address; try again later.", seconds_left)


def ensure_account_not_locked(redis: Redis, email: str, limits: LoginLimits) -> None:
    with redis.pipeline() as pipe:
        failures, seconds_left = pipe.get(_account_key(email)).ttl(_account_key(email)).execute()
    if failures is not None and int(failures) >= limits.max_failures_per_account and seconds_left > 0:
        raise RateLimited("Too many failed logins for this account; try again later.", seconds_left)


def record_failure(redis: Redis, email: str, limits: LoginLimits) -> None:
    # The failure that reaches the limit restarts the window: the lock lasts a full window.
    _count_in_window(redis, _account_key(email), limits.window_seconds, restart_at=limits.max_failures_per_account)


def _count_in_window(redis: Redis, key: str, window_seconds: int, *, restart_at: int) -> tuple[int, int]:
    count, seconds_left = redis.register_script(_COUNT_IN_WINDOW)(keys=[key], args=[window_seconds, restart_at])
    return int(count), int(seconds_left)


def _account_key(email: str) -> str:
    return "ratelimit:login:account:" + hashlib.sha256(email.lower().encode()).hexdigest()


def _ip_key(client_ip: str | None) -> str:
    return f"ratelimit:login:ip:{client_ip or 'unknown'}"
