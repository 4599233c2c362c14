"""The application factory."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from billing.gateway import registry as payment_gateways
from marketplace import tables
from marketplace.config import load_settings
from marketplace.core import rate_limits
from marketplace.core.api_docs import SWAGGER_UI_URL
from marketplace.core.edge import init_edge
from marketplace.core.embedded import embedded_database_url, embedded_redis_url
from marketplace.core.errors import MarketplaceApi, register_error_handlers
from marketplace.core.extensions import redis_client, shards
from marketplace.core.integrity import register_integrity_handler
from marketplace.core.json_provider import OrjsonProvider
from marketplace.core.logging import configure_logging, init_request_ids
from marketplace.core.metrics import init_metrics
from marketplace.core.openapi import ContractPlugin
from marketplace.core.pagination import MAX_PAGE_NUMBER
from marketplace.web import init_web

API_SETTINGS = {
    "API_TITLE": "Marketplace API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "v1/openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": SWAGGER_UI_URL,
    # Swagger UI would otherwise send the document's URL to validator.swagger.io for a badge.
    "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
}


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides settings read from the environment (tests use it)."""
    settings = load_settings(overrides=config)
    if settings["DATABASE_URL"] is None:
        settings["DATABASE_URL"] = embedded_database_url(settings["VAR_DIR"])
    if settings["REDIS_URL"] is None:
        settings["REDIS_URL"] = embedded_redis_url(settings["VAR_DIR"])
    configure_logging(settings["LOG_LEVEL"])
    tables.register_tenant_schema()

    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    app.config.update(API_SETTINGS)
    app.config.update(settings)
    app.json.sort_keys = False

    shards.init_app(app)
    redis_client.init_app(app)
    rate_limits.init_app(app)
    payment_gateways.init_app(app)
    # One Api per app: flask-smorest keeps the app's OpenAPI spec on it.
    api = MarketplaceApi(app, spec_kwargs={"extra_plugins": [ContractPlugin(max_page_number=MAX_PAGE_NUMBER)]})
    app.extensions["marketplace_api"] = api
    register_error_handlers(app)
    register_integrity_handler(app)
    init_request_ids(app)
    init_edge(app)
    init_metrics(app)
    _register_blueprints(app, api)
    init_web(app)
    _register_commands(app)
    _trust_reverse_proxies(app)
    return app


def _register_blueprints(app: Flask, api: MarketplaceApi) -> None:
    from marketplace.accounts.api import blp as accounts_blp
    from marketplace.addresses.api import blp as addresses_blp
    from marketplace.core.api_docs import blp as api_docs_blp
    from marketplace.accounts.auth import init_auth
    from marketplace.audit.api import blp as audit_blp
    from marketplace.cart.api import blp as cart_blp
    from marketplace.catalog.api import blp as catalog_blp
    from marketplace.checkout.api import blp as checkout_blp
    from marketplace.commissions.api import blp as commissions_blp
    from marketplace.finance.api import blp as finance_blp
    from marketplace.health import blp as health_blp
    from marketplace.notifications.api import blp as notifications_blp
    from marketplace.orders.api import blp as seller_orders_blp
    from marketplace.orders.shipments_api import blp as fulfilment_blp
    from marketplace.orders.handling_api import blp as order_handling_blp
    from marketplace.orders.returns_api import blp as returns_blp
    from marketplace.payments.api import blp as payments_blp, test_gateway_blp
    from marketplace.payouts.api import blp as payouts_blp, test_gateway_blp as test_gateway_onboarding_blp
    from marketplace.plans.api import blp as plans_blp
    from marketplace.reviews.api import blp as reviews_blp
    from marketplace.search.api import blp as search_blp
    from marketplace.sellers.api import blp as sellers_blp
    from marketplace.shipping.api import blp as shipping_blp
    from marketplace.storefront.api import blp as storefront_blp
    from marketplace.webhooks.api import blp as webhooks_blp

    init_auth(app)
    app.register_blueprint(health_blp)
    app.register_blueprint(api_docs_blp)
    api.register_blueprint(accounts_blp, url_prefix="/api/v1")
    api.register_blueprint(notifications_blp, url_prefix="/api/v1")
    api.register_blueprint(search_blp, url_prefix="/api/v1")
    api.register_blueprint(catalog_blp, url_prefix="/api/v1")
    api.register_blueprint(sellers_blp, url_prefix="/api/v1")
    api.register_blueprint(audit_blp, url_prefix="/api/v1")
    api.register_blueprint(storefront_blp, url_prefix="/api/v1")
    api.register_blueprint(reviews_blp, url_prefix="/api/v1")
    api.register_blueprint(commissions_blp, url_prefix="/api/v1")
    api.register_blueprint(plans_blp, url_prefix="/api/v1")
    api.register_blueprint(addresses_blp, url_prefix="/api/v1")
    api.register_blueprint(shipping_blp, url_prefix="/api/v1")
    api.register_blueprint(checkout_blp, url_prefix="/api/v1")
    api.register_blueprint(payments_blp, url_prefix="/api/v1")
    if app.config["PAYMENT_GATEWAY"] == "test":
        api.register_blueprint(test_gateway_blp, url_prefix="/api/v1")
        api.register_blueprint(test_gateway_onboarding_blp, url_prefix="/api/v1")
    api.register_blueprint(cart_blp, url_prefix="/api/v1")
    api.register_blueprint(seller_orders_blp, url_prefix="/api/v1")
    api.register_blueprint(fulfilment_blp, url_prefix="/api/v1")
    api.register_blueprint(order_handling_blp, url_prefix="/api/v1")
    api.register_blueprint(returns_blp, url_prefix="/api/v1")
    api.register_blueprint(payouts_blp, url_prefix="/api/v1")
    api.register_blueprint(finance_blp, url_prefix="/api/v1")
    api.register_blueprint(webhooks_blp, url_prefix="/api/v1")


def _register_commands(app: Flask) -> None:
    from billing.cli import billing_cli
    from marketplace.accounts.cli import operators_cli
    from marketplace.cli import db_cli, seed_cli
    from marketplace.search.cli import search_cli
    from billing.cli import billing_cli
    from tenants.cli import tenants_cli

    for group in (billing_cli, db_cli, operators_cli, search_cli, seed_cli, tenants_cli):
        app.cli.add_command(group)


def _trust_reverse_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXY_COUNT proxies, take the client's address and scheme from their X-Forwarded-* headers.

    Without it every request would come from the proxy's address, and the
    login limits per address would lock everyone out at once. With 0 the
    headers are ignored: anyone can send them, so trusting them without a
    proxy would let a client pick the address it is limited by.
    """
    proxy_count = app.config["TRUSTED_PROXY_COUNT"]
    if proxy_count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxy_count, x_proto=proxy_count)
