"""Settings read from the environment and validated once, at start-up.

Every setting has a name, a parser and a default; a malformed value stops the
process with one message that lists every problem, instead of failing later
in the middle of a request.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Mapping

from marketplace.mail.smtp import parse_smtp_url


class ConfigError(RuntimeError):
    """One or more settings are missing or malformed."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))


def _parse_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be zero or more")
    return value


def _parse_positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("must be 1 or more")
    return value


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be one of 1/0, true/false, yes/no, on/off")


def _parse_url(*schemes: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        scheme = raw.split("://", 1)[0] if "://" in raw else ""
        if scheme not in schemes:
            raise ValueError(f"must be a URL starting with one of {', '.join(s + '://' for s in schemes)}")
        return raw

    return parse


def _parse_log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return level


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    parse: Callable[[str], object]
    help: str


# The README's configuration table is this list; keep them together.
SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", None, _parse_url("postgresql", "postgresql+psycopg"),
            "PostgreSQL URL; unset starts the embedded server under VAR_DIR"),
    Setting("REDIS_URL", None, _parse_url("redis", "rediss", "unix"),
            "Redis URL; unset starts the embedded server under VAR_DIR"),
    Setting("VAR_DIR", "var", str, "folder for embedded server data"),
    Setting("SECRET_KEY", "dev-only-secret-change-me", str, "Flask secret key"),
    Setting("PORT", "8000", _parse_positive_int, "HTTP port of `make run`"),
    Setting("LOG_LEVEL", "INFO", _parse_log_level, "log level of the JSON logs"),
    Setting("DB_POOL_SIZE", "10", _parse_positive_int, "connections per process in the pool"),
    Setting("MAX_CONTENT_LENGTH", str(1024 * 1024), _parse_positive_int, "largest accepted request body in bytes"),
    Setting("TOKEN_TTL_SECONDS", str(14 * 24 * 3600), _parse_positive_int, "lifetime of a bearer token"),
    Setting("TOKEN_RETENTION_DAYS", "7", _parse_int,
            "days an expired or revoked bearer token is kept (for audit and debugging) before it is purged"),
    Setting("LOGIN_MAX_FAILURES_PER_ACCOUNT", "5", _parse_int,
            "failed logins for one account before it is locked for LOGIN_LOCKOUT_SECONDS"),
    Setting("LOGIN_MAX_ATTEMPTS_PER_IP", "30", _parse_int,
            "login attempts from one IP address within LOGIN_LOCKOUT_SECONDS"),
    Setting("LOGIN_LOCKOUT_SECONDS", "900", _parse_positive_int, "window of the login rate limits"),
    Setting("TRUSTED_PROXY_COUNT", "0", _parse_int,
            "reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none)"),
    Setting("OUTBOX_SWEEP_SECONDS", "10", _parse_positive_int, "how often the sweeper relays undispatched outbox rows"),
    Setting("OUTBOX_RELAY_ON_COMMIT", "true", _parse_bool,
            "enqueue outbox rows right after their transaction commits (the sweeper is the fallback)"),
    Setting("TENANT_LOCK_TIMEOUT_MS", "5000", _parse_int, "lock timeout of one tenant's migration"),
    Setting("OPENSEARCH_URL", None, _parse_url("http", "https"),
            "OpenSearch URL for search; unset searches with PostgreSQL full text"),
    Setting("OPENSEARCH_INDEX_PREFIX", "marketplace_", str,
            "prefix of the OpenSearch indices and aliases (several apps can share one cluster)"),
    Setting("SMTP_URL", None, parse_smtp_url,
            "SMTP server of outgoing mail (smtp:// or smtps://, user and password optional); "
            "unset keeps every mail as a file under VAR_DIR/mail"),
    Setting("MAIL_FROM", "Marketplace <no-reply@marketplace.localhost>", str, "sender of every mail"),
    Setting("EMAIL_VERIFICATION_TTL_SECONDS", str(48 * 3600), _parse_positive_int,
            "lifetime of an email verification token (registration and email change)"),
    Setting("PASSWORD_RESET_TTL_SECONDS", "3600", _parse_positive_int, "lifetime of a password reset token"),
    Setting("OUTBOX_RETENTION_DAYS", "7", _parse_int,
            "days a dispatched outbox row is kept before the hourly purge deletes it"),
)


def load_settings(environ: Mapping[str, str] | None = None, overrides: Mapping[str, object] | None = None) -> dict:
    """Parse every setting from `environ` (default: the process environment).

    `overrides` (used by tests and the embedded launcher) win over the
    environment and are taken as already parsed.
    """
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    parsed: dict[str, object] = {}
    problems: list[str] = []
    for setting in SETTINGS:
        if setting.name in overrides:
            parsed[setting.name] = overrides.pop(setting.name)
            continue
        raw = environ.get(setting.name, setting.default)
        if raw is None or raw == "":
            parsed[setting.name] = None
            continue
        try:
            parsed[setting.name] = setting.parse(raw)
        except ValueError as error:
            problems.append(f"{setting.name}={raw!r}: {error}")
    if problems:
        raise ConfigError(problems)
    parsed.update(overrides)
    return parsed

