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
