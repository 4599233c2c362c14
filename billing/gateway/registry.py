"""The gateway the app was configured with (PAYMENT_GATEWAY): built once per app, reached by `current_gateway()`."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask, current_app

from billing.gateway.port import PaymentGateway

GATEWAY_NAMES = ("test", "stripe")
EXTENSION_KEY = "payment_gateway"


def build_gateway(settings: Mapping[str, Any]) -> PaymentGateway:
    """The adapter PAYMENT_GATEWAY names, with its STRIPE_* settings (checked at start-up by the config)."""
    if settings["PAYMENT_GATEWAY"] == "stripe":
        from billing.gateway.stripe_gateway import StripeGateway

        return StripeGateway(secret_key=settings["STRIPE_SECRET_KEY"],
                             webhook_secret=settings["STRIPE_WEBHOOK_SECRET"],
                             api_base=settings.get("STRIPE_API_BASE"))
    from billing.gateway.test_gateway import TestGateway

    return TestGateway(webhook_secret=settings["STRIPE_WEBHOOK_SECRET"])


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = build_gateway(app.config)


def current_gateway() -> PaymentGateway:
    return current_app.extensions[EXTENSION_KEY]
