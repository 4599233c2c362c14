"""Configuration fails fast with a message naming every bad setting."""
import pytest

from marketplace.config import ConfigError, load_settings


def test_defaults_are_valid_with_an_empty_environment():
    settings = load_settings(environ={})

    assert settings["DATABASE_URL"] is None
    assert settings["PORT"] == 8000
    assert settings["TRUSTED_PROXY_COUNT"] == 0
    assert settings["TOKEN_RETENTION_DAYS"] == 7
    assert settings["SMTP_URL"] is None
    assert settings["OUTBOX_RETENTION_DAYS"] == 7


@pytest.mark.parametrize("name, value", [
    ("DATABASE_URL", "mysql://localhost/db"),
    ("REDIS_URL", "localhost:6379"),
    ("PORT", "eighty"),
    ("PORT", "-1"),
    ("LOG_LEVEL", "LOUD"),
    ("OUTBOX_RELAY_ON_COMMIT", "maybe"),
    ("TRUSTED_PROXY_COUNT", "-1"),
    ("TRUSTED_PROXY_COUNT", "one"),
    ("TOKEN_RETENTION_DAYS", "-7"),
    ("SMTP_URL", "http://mail.example.com"),
    ("SMTP_URL", "smtp://"),
    ("SMTP_URL", "smtp://mail.example.com:99999"),
    ("EMAIL_VERIFICATION_TTL_SECONDS", "0"),
    ("PASSWORD_RESET_TTL_SECONDS", "soon"),
    ("OUTBOX_RETENTION_DAYS", "-1"),
    ("PAYMENT_GATEWAY", "paypal"),
    ("STRIPE_API_BASE", "localhost:12111"),
])
def test_a_malformed_setting_is_refused_by_name(name, value):
    with pytest.raises(ConfigError) as error:
        load_settings(environ={name: value})

    assert name in str(error.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"PORT": "x", "DB_POOL_SIZE": "y"})

    assert len(error.value.problems) == 2


def test_the_trusted_proxy_count_is_read_as_a_number():
    assert load_settings(environ={"TRUSTED_PROXY_COUNT": "2"})["TRUSTED_PROXY_COUNT"] == 2


PRODUCTION_READY = {
    "APP_ENV": "production",
    "SECRET_KEY": "k" * 48,
    "DATABASE_URL": "postgresql+psycopg://app@db.internal/marketplace",
    "REDIS_URL": "redis://cache.internal:6379/0",
}


def test_app_env_is_development_unless_set():
    assert load_settings(environ={})["APP_ENV"] == "development"


def test_an_unknown_app_env_is_refused():
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"APP_ENV": "staging"})

    assert "APP_ENV='staging'" in str(error.value)


def test_production_starts_with_its_own_secret_key_database_and_redis():
    settings = load_settings(environ=PRODUCTION_READY)

    assert settings["APP_ENV"] == "production"


def test_production_names_every_development_default_at_once():
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"APP_ENV": "production"})

    assert [problem.split(":")[0] for problem in error.value.problems] == ["SECRET_KEY", "DATABASE_URL", "REDIS_URL"]


@pytest.mark.parametrize("secret_key", ["dev-only-secret-change-me", "short-but-mine", ""])
def test_production_refuses_the_development_a_short_or_no_secret_key(secret_key):
    with pytest.raises(ConfigError) as error:
        load_settings(environ={**PRODUCTION_READY, "SECRET_KEY": secret_key})

    assert [problem.split(":")[0] for problem in error.value.problems] == ["SECRET_KEY"]


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_an_embedded_server(missing):
    environ = {name: value for name, value in PRODUCTION_READY.items() if name != missing}

    with pytest.raises(ConfigError) as error:
        load_settings(environ=environ)

    assert [problem.split(":")[0] for problem in error.value.problems] == [missing]
    assert "embedded" in error.value.problems[0]


def test_production_reports_malformed_and_missing_settings_together():
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"APP_ENV": "production", "PORT": "x", "DATABASE_URL": "mysql://db/x"})

    names = sorted(problem.split("=")[0].split(":")[0] for problem in error.value.problems)
    assert names == ["DATABASE_URL", "PORT", "REDIS_URL", "SECRET_KEY"]


def test_the_payment_gateway_is_the_test_gateway_unless_set():
    settings = load_settings(environ={})

    assert settings["PAYMENT_GATEWAY"] == "test"
    assert settings["STRIPE_WEBHOOK_SECRET"]  # the test gateway signs its events with a development secret


@pytest.mark.parametrize("environ, missing", [
    ({}, ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]),
    ({"STRIPE_SECRET_KEY": "sk_live_abc"}, ["STRIPE_WEBHOOK_SECRET"]),
    ({"STRIPE_WEBHOOK_SECRET": "whsec_abc"}, ["STRIPE_SECRET_KEY"]),
])
def test_the_stripe_gateway_refuses_to_start_without_its_key_and_its_own_webhook_secret(environ, missing):
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"PAYMENT_GATEWAY": "stripe", **environ})

    assert [problem.split(":")[0] for problem in error.value.problems] == missing


def test_the_stripe_gateway_starts_with_its_key_and_webhook_secret():
    settings = load_settings(environ={"PAYMENT_GATEWAY": "stripe", "STRIPE_SECRET_KEY": "sk_live_abc",
                                      "STRIPE_WEBHOOK_SECRET": "whsec_abc"})

    assert (settings["PAYMENT_GATEWAY"], settings["STRIPE_SECRET_KEY"]) == ("stripe", "sk_live_abc")
