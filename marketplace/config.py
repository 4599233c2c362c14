"""Settings read from the environment and validated once, at start-up.

Every setting has a name, a parser and a default; a malformed value stops the
process with one message that lists every problem, instead of failing later
in the middle of a request.
"""
from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from typing import Callable, Mapping

from limits import parse_many
from marketplace.mail.smtp import parse_smtp_url


SHARD_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


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


def _parse_hour(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 23:
        raise ValueError("must be an hour of the day, 0 to 23")
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


def _parse_shard_urls(raw: str) -> dict[str, str]:
    """`name=url,name=url`: the shard databases beside DATABASE_URL (which is the shard `default`)."""
    parse_url = _parse_url("postgresql", "postgresql+psycopg")
    shard_urls: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        name, separator, url = entry.partition("=")
        name = name.strip()
        if not separator or not SHARD_NAME.fullmatch(name):
            raise ValueError(f"{entry.split('=', 1)[0]!r}: each entry is name=url, the name in a-z, 0-9, _ and -")
        if name == "default" or name in shard_urls:
            raise ValueError(f"shard {name!r} named twice (DATABASE_URL is the shard 'default')")
        shard_urls[name] = parse_url(url.strip())
    return shard_urls


def _parse_rate(raw: str) -> str:
    """A rate such as "10/hour" or "5/minute;100/day" (flask-limiter's notation), checked and kept as text."""
    try:
        rates = parse_many(raw)
    except ValueError as error:
        raise ValueError('must be a rate such as "10/hour" or "5/minute;100/day"') from error
    if any(rate.amount < 1 for rate in rates):
        raise ValueError("must allow at least 1 request per window (turn limits off with RATE_LIMIT_ENABLED)")
    return raw.strip()


def _parse_nameservers(raw: str) -> tuple[tuple[str, int], ...]:
    """"127.0.0.1:5353,192.0.2.53" -> ((address, port), ...); the port defaults to 53."""
    nameservers = []
    for item in raw.split(","):
        address, _, port = item.strip().rpartition(":") if item.count(":") == 1 else (item.strip(), "", "")
        try:
            ipaddress.ip_address(address)
            nameservers.append((address, int(port) if port else 53))
        except ValueError as error:
            raise ValueError("must be IP addresses with an optional :port, separated by commas") from error
    return tuple(nameservers)


def _parse_app_env(raw: str) -> str:
    value = raw.strip().lower()
    if value not in APP_ENVS:
        raise ValueError(f"must be one of {', '.join(APP_ENVS)}")
    return value


def _parse_log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return level


def _parse_payment_gateway(raw: str) -> str:
    value = raw.strip().lower()
    if value not in PAYMENT_GATEWAYS:
        raise ValueError(f"must be one of {', '.join(PAYMENT_GATEWAYS)}")
    return value


APP_ENVS = ("development", "production")
PAYMENT_GATEWAYS = ("test", "stripe")
# Signs the test gateway's events; public, so the stripe gateway refuses it.
DEVELOPMENT_WEBHOOK_SECRET = "whsec_development_only_not_secret"
DEVELOPMENT_SECRET_KEY = "dev-only-secret-change-me"
# A signing key shorter than this is guessable offline; 32 characters of a random token are 190+ bits.
MIN_PRODUCTION_SECRET_KEY_LENGTH = 32


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
    Setting("SECRET_KEY", DEVELOPMENT_SECRET_KEY, str, "Flask secret key"),
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
    Setting("APP_ENV", "development", _parse_app_env,
            "development or production; production refuses development defaults (secret key, embedded servers)"),
    Setting("RATE_LIMIT_ENABLED", "true", _parse_bool, "apply the rate limits below (per client address)"),
    Setting("RATE_LIMIT_REGISTER", "10/hour", _parse_rate, "registrations per client address"),
    Setting("RATE_LIMIT_PASSWORD_RESET", "5/hour", _parse_rate, "password reset requests per client address"),
    Setting("RATE_LIMIT_INVITE_ACCEPTANCE", "20/hour", _parse_rate, "invite acceptances per client address"),
    Setting("RATE_LIMIT_SEARCH", "120/minute", _parse_rate,
            "searches (marketplace and storefronts together) per client address"),
    Setting("RATE_LIMIT_SUGGEST", "600/minute", _parse_rate, "suggestions while typing per client address"),
    Setting("DOMAIN_VERIFICATION_DAYS", "7", _parse_positive_int,
            "days a claimed custom domain stays pending, waiting for its proof, before it expires"),
    Setting("DOMAIN_RECHECK_SECONDS", "900", _parse_positive_int, "how often pending custom domains are checked again"),
    Setting("DOMAIN_CHECK_TIMEOUT_SECONDS", "5", _parse_positive_int,
            "timeout of each DNS lookup and HTTP request of a domain check"),
    Setting("DOMAIN_CHECK_NAMESERVERS", None, _parse_nameservers,
            "DNS servers of domain checks (ip[:port], comma-separated); unset: the system's resolver"),
    Setting("DOMAIN_CHECK_HTTP_PORT", "80", _parse_positive_int,
            "port of the http:// well-known URL a domain check fetches (tests serve it elsewhere)"),
    Setting("SMTP_URL", None, parse_smtp_url,
            "SMTP server of outgoing mail (smtp:// or smtps://, user and password optional); "
            "unset keeps every mail as a file under VAR_DIR/mail"),
    Setting("MAIL_FROM", "Marketplace <no-reply@marketplace.localhost>", str, "sender of every mail"),
    Setting("EMAIL_VERIFICATION_TTL_SECONDS", str(48 * 3600), _parse_positive_int,
            "lifetime of an email verification token (registration and email change)"),
    Setting("PASSWORD_RESET_TTL_SECONDS", "3600", _parse_positive_int, "lifetime of a password reset token"),
    Setting("OUTBOX_RETENTION_DAYS", "7", _parse_int,
            "days a dispatched outbox row is kept before the hourly purge deletes it"),
    Setting("NEAR_CACHE_MAX_AGE_SECONDS", "3", _parse_positive_int,
            "longest a process serves a cached value without Redis confirming it (near cache)"),
    Setting("SHARD_URLS", "", _parse_shard_urls,
            "more PostgreSQL servers for tenant schemas, `name=url,name=url` (DATABASE_URL is the shard "
            "`default` and the control database); new sellers go to the shard with the fewest"),
    Setting("TENANT_MOVE_GRACE_SECONDS", "30", _parse_int,
            "seconds a moved tenant's old schema is kept after the flip, for requests that read it just before"),
    Setting("TENANT_MOVE_FREEZE_TIMEOUT_MS", "2000", _parse_positive_int,
            "longest a tenant move's freeze waits for the writes in flight (seller writes answer 503 meanwhile)"),
    Setting("TENANT_MOVE_DRAIN_TIMEOUT_SECONDS", "30", _parse_positive_int,
            "longest a tenant move waits, frozen, for the tenant's outbox messages to be relayed"),
    Setting("ORDER_PAYMENT_MINUTES", "30", _parse_positive_int,
            "minutes a checked-out order waits for its payment before it expires (stock released, payment cancelled)"),
    Setting("ORDER_ACCEPTANCE_HOURS", "48", _parse_positive_int,
            "hours a seller has to accept or reject a paid order before it is cancelled (the default SLA)"),
    Setting("CHECKOUT_RESERVE_SECONDS", "20", _parse_positive_int,
            "longest a checkout may take to reserve stock; a crashed checkout is undone by the recovery job after it"),
    Setting("PAYMENT_GATEWAY", "test", _parse_payment_gateway,
            "payment processor: test (our stateful test gateway, Stripe's test cards) or stripe"),
    Setting("STRIPE_SECRET_KEY", None, str, "Stripe secret API key (sk_...); required with PAYMENT_GATEWAY=stripe"),
    Setting("STRIPE_WEBHOOK_SECRET", DEVELOPMENT_WEBHOOK_SECRET, str,
            "signing secret of the Stripe webhook endpoint (whsec_...); the test gateway signs its events with it"),
    Setting("STRIPE_API_BASE", None, _parse_url("http", "https"),
            "Stripe API base URL; unset: Stripe's own (tests point it at stripe-mock)"),
    Setting("GUEST_CART_RETENTION_DAYS", "30", _parse_positive_int,
            "days a guest cart is kept after its last change before the hourly purge deletes it"),
    Setting("RETURN_WINDOW_DAYS", "14", _parse_int,
            "days after delivery a buyer may return lines (a seller's own return_window_days wins); "
            "delivered orders are completed after it"),
    Setting("ORDER_ACCEPTANCE_MIN_HOURS", "24", _parse_positive_int,
            "fewest hours a seller may give itself to accept an order (its storefront setting `acceptance_hours`)"),
    Setting("ORDER_ACCEPTANCE_MAX_HOURS", "168", _parse_positive_int,
            "most hours a seller may give itself to accept an order (its storefront setting `acceptance_hours`)"),
    Setting("ORDER_SLA_SWEEP_SECONDS", "300", _parse_positive_int,
            "seconds between two runs of the job that cancels seller orders not accepted in time"),
    Setting("ORDER_SLA_BATCH_SIZE", "500", _parse_positive_int,
            "most overdue orders of one seller the SLA job cancels in one run (the next run goes on)"),
    Setting("PUBLIC_URL", "http://localhost:5000", _parse_url("http", "https"),
            "the marketplace's public address; the seller portal's pages (e.g. /portal/payouts) are under it"),
    Setting("TRANSFER_HOLD_DAYS", "7", _parse_int,
            "days after a seller's part is delivered before its share is transferred to the seller"),
    Setting("TRANSFER_SWEEP_SECONDS", "3600", _parse_positive_int,
            "seconds between two runs of the job that transfers sellers' due shares"),
    Setting("PAYOUT_MINIMUM_AMOUNT", "1000", _parse_int,
            "least available balance, in minor units, a payout run pays out (a seller's schedule may set its own)"),
    Setting("PAYOUT_RUN_HOUR", "6", _parse_hour,
            "hour of the day (UTC) from which the scheduler starts the day's payout run"),
    Setting("PLAN_INVOICE_SECONDS", "3600", _parse_positive_int,
            "seconds between two runs of the job that charges sellers their plan's monthly fee (once per month)"),
    Setting("WEBHOOKS_ALLOW_LOOPBACK", None, _parse_bool,
            "sellers' webhook endpoints may be loopback addresses, over http too; unset: true in development, "
            "false in production"),
    Setting("WEBHOOK_MAX_ATTEMPTS", "10", _parse_positive_int,
            "attempts of one webhook delivery before it is failed (the seller may replay it)"),
    Setting("WEBHOOK_RETRY_BASE_SECONDS", "30", _parse_int,
            "delay before a failed webhook delivery's first retry; each later retry waits twice the one before"),
    Setting("WEBHOOK_TIMEOUT_SECONDS", "10", _parse_positive_int,
            "connect and read timeout of each webhook POST"),
    Setting("WEBHOOK_SWEEP_SECONDS", "30", _parse_positive_int,
            "how often the scheduler queues the webhook deliveries due for a retry"),
    Setting("WEB_COOKIE_SECURE", "true", _parse_bool,
            "the pages' session cookie is sent over HTTPS only (browsers also send it to http://localhost)"),
    Setting("STRIPE_PUBLISHABLE_KEY", None, str,
            "Stripe publishable key (pk_...); set: the storefront's checkout takes the card in Stripe's Payment "
            "Element (js.stripe.com); unset: a card number field for the test gateway"),
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
    parsed.update(overrides)
    if parsed.get("WEBHOOKS_ALLOW_LOOPBACK") is None:
        # Loopback receivers are how a developer tries webhooks; in production one would reach the platform itself.
        parsed["WEBHOOKS_ALLOW_LOOPBACK"] = parsed.get("APP_ENV") != "production"
    if parsed.get("APP_ENV") == "production":
        problems.extend(production_problems(parsed))
    if parsed.get("PAYMENT_GATEWAY") == "stripe":
        problems.extend(stripe_problems(parsed))
    if problems:
        raise ConfigError(problems)
    return parsed


def production_problems(settings: Mapping[str, object]) -> list[str]:
    """What keeps these settings from running in production: development defaults that are safe only locally.

    The embedded servers keep their data in a folder of this machine and the
    development secret key is public, so production must name its own.
    """
    problems = []
    secret_key = settings.get("SECRET_KEY")
    if not secret_key or secret_key == DEVELOPMENT_SECRET_KEY:
        problems.append("SECRET_KEY: set a secret key of your own in production (the development one is public)")
    elif len(str(secret_key)) < MIN_PRODUCTION_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY: must be at least {MIN_PRODUCTION_SECRET_KEY_LENGTH} characters in production")
    # A malformed URL is absent from `settings` and already reported as such.
    if "DATABASE_URL" in settings and not settings["DATABASE_URL"]:
        problems.append("DATABASE_URL: required in production (unset starts an embedded PostgreSQL)")
    if "REDIS_URL" in settings and not settings["REDIS_URL"]:
        problems.append("REDIS_URL: required in production (unset starts an embedded Redis)")
    return problems


def stripe_problems(settings: Mapping[str, object]) -> list[str]:
    """What keeps the stripe gateway from running: it cannot charge without a key, nor trust a webhook without
    a secret of its own (the development one is public, so anyone could forge a payment)."""
    problems = []
    if not settings.get("STRIPE_SECRET_KEY"):
        problems.append("STRIPE_SECRET_KEY: required with PAYMENT_GATEWAY=stripe")
    webhook_secret = settings.get("STRIPE_WEBHOOK_SECRET")
    if not webhook_secret or webhook_secret == DEVELOPMENT_WEBHOOK_SECRET:
        problems.append("STRIPE_WEBHOOK_SECRET: set the webhook endpoint's signing secret with PAYMENT_GATEWAY=stripe "
                        "(the development one is public)")
    return problems
