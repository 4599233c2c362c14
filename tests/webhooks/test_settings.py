"""Loopback endpoints are for development: allowed there unless turned off, refused in production unless turned on."""
from __future__ import annotations

import pytest

from marketplace.config import ConfigError, load_settings

PRODUCTION = {"APP_ENV": "production", "SECRET_KEY": "x" * 40, "DATABASE_URL": "postgresql://db/marketplace",
              "REDIS_URL": "redis://cache:6379/0"}


@pytest.mark.parametrize("environ, allowed", [
    ({}, True),
    ({"WEBHOOKS_ALLOW_LOOPBACK": "false"}, False),
    (PRODUCTION, False),
    ({**PRODUCTION, "WEBHOOKS_ALLOW_LOOPBACK": "true"}, True),
])
def test_loopback_webhooks_are_allowed_in_development_and_not_in_production_unless_said(environ, allowed):
    assert load_settings(environ)["WEBHOOKS_ALLOW_LOOPBACK"] is allowed


def test_a_malformed_webhook_setting_is_refused_by_name():
    with pytest.raises(ConfigError, match="WEBHOOK_MAX_ATTEMPTS"):
        load_settings({"WEBHOOK_MAX_ATTEMPTS": "0"})
