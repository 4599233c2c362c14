"""With APP_ENV=production nothing starts on development defaults: not `make run`, not the web app."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace import create_app
from marketplace.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_in_production_without_settings_exits_naming_each_problem_and_starts_nothing(tmp_path):
    environ = {name: value for name, value in os.environ.items()
               if name not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    environ.update(APP_ENV="production", VAR_DIR=str(tmp_path / "var"))

    completed = subprocess.run([sys.executable, "-m", "scripts.run"], cwd=ROOT, env=environ,
                               capture_output=True, text=True, timeout=60)

    assert completed.returncode == 2
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        assert name in completed.stderr
    assert not (tmp_path / "var").exists()  # no embedded PostgreSQL or Redis was started


def test_the_web_app_refuses_the_development_secret_key_in_production(database_url, redis_server):
    with pytest.raises(ConfigError) as error:
        create_app({"APP_ENV": "production", "DATABASE_URL": database_url, "REDIS_URL": redis_server.url})

    assert [problem.split(":")[0] for problem in error.value.problems] == ["SECRET_KEY"]


def test_the_web_app_refuses_the_stripe_gateway_without_its_secret_key_and_webhook_secret(database_url, redis_server):
    with pytest.raises(ConfigError) as error:
        create_app({"PAYMENT_GATEWAY": "stripe", "DATABASE_URL": database_url, "REDIS_URL": redis_server.url})

    assert [problem.split(":")[0] for problem in error.value.problems] == ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]


def test_the_stripe_gateways_app_takes_stripe_webhooks_and_has_no_test_gateway_page(app):
    stripe_app = create_app({**{key: app.config[key] for key in ("DATABASE_URL", "SHARD_URLS", "REDIS_URL",
                                                                 "DB_POOL_SIZE")},
                             "LOG_LEVEL": "CRITICAL", "PAYMENT_GATEWAY": "stripe", "STRIPE_SECRET_KEY": "sk_test_abc",
                             "STRIPE_WEBHOOK_SECRET": "whsec_abc"})

    paths = stripe_app.extensions["marketplace_api"].spec.to_dict()["paths"]

    assert stripe_app.extensions["payment_gateway"].name == "stripe"
    assert "/api/v1/webhooks/stripe" in paths
    assert not [path for path in paths if path.startswith("/api/v1/test-gateway")]
