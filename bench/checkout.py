"""Checkout of a three-seller cart over HTTP, 16 concurrent buyers, beside pgbench running its SQL.

`.venv/bin/python -m bench.checkout` (about 2 minutes; CHECKOUT_BENCH_SECONDS and CHECKOUT_BENCH_RUNS
shorten it).

Three sellers (placed on two PostgreSQL servers) sell 100 products each, with
plenty of stock and a flat shipping rate to Portugal; 16 buyers, each with a
default address in Porto, check out over and over. Before each checkout a
buyer's cart gets one line per seller, a random product of each, written
straight into platform.cart_lines (the cart is not what is measured). The app
is served by gunicorn (WORKERS gthread workers of THREADS_PER_WORKER threads,
on 127.0.0.1); each of the 16 client threads is one buyer on one keep-alive
connection, and times `POST /api/v1/checkout` alone. The CPU the app's
processes and their PostgreSQL backends spent per checkout is printed too.

First, one checkout is run in this process with log_statement=all on both
servers: its statements are printed and counted per seller, for carts of 1
and of 3 lines per seller (the issue wants a fixed number per seller).

Anchor, in the same run: pgbench (the embedded server's own), 16 clients on 2
threads, as long, extended protocol as psycopg uses it, with a script of the
statements that checkout sent, in its order and with its transactions: the
token lookup; the attempt (its key, the cart, the address, the sellers, the
order id); per seller, the tenant transaction (variants locked, earlier
reservations read, shipping rates read, stock_reserved updated, reservation
inserted); the order with its seller parts, lines (and their commission
rule) and payment, the cart emptied, the attempt completed; the payment read,
the test gateway's intent, the payment updated, the order read back and the
response stored. Left out: the connection upkeep the app adds (pool
pre-ping, RESET ALL on return, DEALLOCATE ALL after a rollback), which the
statement counts show. pgbench runs on the first server only, against three
twin sellers seeded there as the real ones are, and buyers of its own whose
carts are never emptied (its cart-line DELETE finds nothing). One pgbench
transaction is one checkout. Runs alternate (pgbench, HTTP), RUNS of
RUN_SECONDS each, after a short warm-up of both; figures are medians.

Goals (issue 11): checkouts/s >= 50% of pgbench's, p95 < 150 ms.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
from flask import Flask

from bench.support import (BENCH_VAR_DIR, SECOND_SHARD, bench_database, bench_redis, goal_line, gunicorn,
                           psycopg_url)
from marketplace.accounts.services import issue_token, mark_email_verified, register_user
from marketplace.addresses.services import add_address
from marketplace.app import create_app
from marketplace.cart.models import Cart
from marketplace.config import load_settings
from marketplace.catalog.models import Product, ProductStatus, StockMovement, StockReason, Variant
from marketplace.shipping.services import create_rate
from tenants.models import TenantRef
from tenants.provisioning import provision_tenant
from tenants.shards import DEFAULT_SHARD, shards
from tenants.uow import UnitOfWork

SELLER_COUNT = 3
PRODUCTS_PER_SELLER = 100
STOCK_PER_VARIANT = 1_000_000_000
PRICE_AMOUNT = 1000
FLAT_SHIPPING = 450
CURRENCY = "USD"
CLIENTS = 16
PGBENCH_THREADS = 2
WORKERS = 2
# A worker thread waits on PostgreSQL most of a checkout: 16 of them in all, one per client.
THREADS_PER_WORKER = 8
RUN_SECONDS = int(os.environ.get("CHECKOUT_BENCH_SECONDS", "15"))
RUNS = int(os.environ.get("CHECKOUT_BENCH_RUNS", "3"))
GOAL_SHARE = 0.50
GOAL_P95_MS = 150.0
PASSWORD = "correct horse battery staple"
PORTO = {"name": "Ada Lovelace", "line1": "Rua das Flores 12", "line2": "", "city": "Porto",
         "postal_code": "4050-262", "region": "", "country": "PT", "phone": None}


@dataclass(frozen=True)
class Offer:
    tenant_id: int
    product_id: int
    variant_id: int


@dataclass(frozen=True)
class Buyer:
    user_id: int
    cart_id: int
    token: str


# Seed

def seed_seller(slug: str, shard_key: str | None = None) -> tuple[TenantRef, list[Offer]]:
    """A seller with PRODUCTS_PER_SELLER published products of one variant each, and a flat rate to PT."""
    tenant = provision_tenant(slug, slug.replace("-", " ").title(), shard_key=shard_key)
    create_rate(tenant, None, {"name": "Standard", "countries": ["PT"], "kind": "flat", "amount": FLAT_SHIPPING})
    offers = []
    with UnitOfWork(tenant) as uow:
        for number in range(1, PRODUCTS_PER_SELLER + 1):
            product = Product(slug=f"thing-{number}", title=f"Thing {number} of {slug}",
                              status=ProductStatus.PUBLISHED)
            uow.session.add(product)
            uow.session.flush()
            variant = Variant(product_id=product.id, sku=f"{slug.upper()}-{number}", price_amount=PRICE_AMOUNT,
                              currency=CURRENCY, weight_grams=500, stock_on_hand=STOCK_PER_VARIANT)
            uow.session.add(variant)
            uow.session.flush()
            uow.session.add(StockMovement(variant_id=variant.id, quantity_delta=STOCK_PER_VARIANT,
                                          reason=StockReason.RECEIPT))
            offers.append(Offer(tenant.id, product.id, variant.id))
        uow.commit()
    return tenant, offers


def seed_buyer(label: str) -> Buyer:
    """A verified buyer with a default address in Porto, an empty cart and a bearer token (no HTTP login:
    it is rate limited)."""
    email = f"{label}-{uuid.uuid4().hex[:8]}@example.com"
    account = register_user(email, PASSWORD, "Ada Lovelace")
    mark_email_verified(account.id)
    token = issue_token(email, PASSWORD, ttl_seconds=3600)
    add_address(account.id, dict(PORTO))
    with UnitOfWork() as uow:
        cart = Cart(buyer_user_id=account.id, currency=CURRENCY)
        uow.session.add(cart)
        uow.commit()
    return Buyer(account.id, cart.id, token.access_token)


# Carts, filled outside the measured request

# A refused checkout leaves its lines behind: they go, and the new ones come, in one statement.
FILL_CART = """
    WITH gone AS (DELETE FROM platform.cart_lines WHERE cart_id = %(cart_id)s),
         cart AS (UPDATE platform.carts SET currency = %(currency)s WHERE id = %(cart_id)s RETURNING id)
    INSERT INTO platform.cart_lines (cart_id, tenant_id, product_id, variant_id, quantity, unit_price_amount,
                                     stock_available)
    SELECT cart.id, line.tenant_id, line.product_id, line.variant_id, 1, %(price)s, 1
    FROM cart, unnest(%(tenant_ids)s::bigint[], %(product_ids)s::bigint[], %(variant_ids)s::bigint[])
         AS line (tenant_id, product_id, variant_id)
"""


def fill_cart(connection: psycopg.Connection, buyer: Buyer, offers: list[Offer]) -> None:
    connection.execute(FILL_CART, {
        "currency": CURRENCY, "cart_id": buyer.cart_id, "price": PRICE_AMOUNT,
        "tenant_ids": [offer.tenant_id for offer in offers], "product_ids": [offer.product_id for offer in offers],
        "variant_ids": [offer.variant_id for offer in offers]})


def random_cart(catalog: list[list[Offer]], pick: random.Random, lines_per_seller: int = 1) -> list[Offer]:
    return [offer for offers in catalog for offer in pick.sample(offers, lines_per_seller)]


# The statements of one checkout, as the servers log them

LOG_ENTRY = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) \w+ \[(\d+)\] (\w+):  (.*)$")
STATEMENT = re.compile(r"^(?:statement|execute [^:]*): (.*)$", re.S)


@dataclass(frozen=True)
class LoggedStatement:
    logged_at: str  # the server's clock to the millisecond: both servers run on this machine
    server: str
    pid: int
    sql: str


def server_log(database_url: str) -> Path:
    """The log file of the embedded server a URL names (pgserver logs to <pgdata>/log)."""
    with psycopg.connect(psycopg_url(database_url), autocommit=True) as connection:
        return Path(connection.execute("SHOW data_directory").fetchone()[0]) / "log"


def logged_statements(log_path: Path, offset: int, server: str) -> list[LoggedStatement]:
    """Every statement the server logged after `offset`, a multi-line statement as one."""
    entries: list[tuple[str, int, str, list[str]]] = []
    with open(log_path, encoding="utf-8", errors="replace") as log:
        log.seek(offset)
        for line in log.read().splitlines():
            match = LOG_ENTRY.match(line)
            if match:
                entries.append((match.group(1), int(match.group(2)), match.group(3), [match.group(4)]))
            elif entries:
                entries[-1][3].append(line)
    statements = []
    for logged_at, pid, level, lines in entries:
        found = STATEMENT.match("\n".join(lines)) if level == "LOG" else None
        if found:
            statements.append(LoggedStatement(logged_at, server, pid, " ".join(found.group(1).split())))
    return statements


def set_statement_logging(database_url: str, on: bool) -> None:
    """log_statement=all on the whole (bench-only) server, existing sessions included (a reload, not a restart)."""
    with psycopg.connect(psycopg_url(database_url), autocommit=True) as connection:
        connection.execute("ALTER SYSTEM SET log_statement = 'all'" if on else "ALTER SYSTEM RESET log_statement")
        connection.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)  # backends read the reloaded file before their next command


def record_one_checkout(app: Flask, buyer: Buyer, server_urls: dict[str, str]
                        ) -> tuple[list[LoggedStatement], dict]:
    """The statements each server received during one checkout of the buyer's cart (through the app's test
    client), and its response."""
    logs = {server: server_log(url) for server, url in server_urls.items()}
    for url in server_urls.values():
        set_statement_logging(url, on=True)
    offsets = {server: log.stat().st_size for server, log in logs.items()}
    try:
        response = post_checkout_in_process(app, buyer)
    finally:
        for url in server_urls.values():
            set_statement_logging(url, on=False)
    if response.status_code != 201:
        raise RuntimeError(f"checkout answered {response.status_code}: {response.get_data(as_text=True)}")
    statements = [statement for server, log in logs.items()
                  for statement in logged_statements(log, offsets[server], server)
                  if "pg_reload_conf" not in statement.sql and "ALTER SYSTEM" not in statement.sql]
    statements.sort(key=lambda statement: statement.logged_at)  # stable: a server's own order stays
    return statements, response.get_json()


def post_checkout_in_process(app: Flask, buyer: Buyer):
    with app.test_client() as client:
        return client.post("/api/v1/checkout", json={},
                           headers={"Authorization": f"Bearer {buyer.token}", "Idempotency-Key": uuid.uuid4().hex})


@dataclass(frozen=True)
class Transaction:
    server: str
    owner: str  # "control" or the tenant schema it was bound to
    statements: list[str]


TENANT_SCHEMA = re.compile(r'\b(tenant_\d+)\b')


def transactions_of(statements: list[LoggedStatement]) -> list[Transaction]:
    """Statements grouped per connection into BEGIN … COMMIT/ROLLBACK; a statement outside one is its own."""
    open_ones: dict[tuple[str, int], list[str]] = {}
    done: list[Transaction] = []

    def close(key: tuple[str, int], sqls: list[str]) -> None:
        schemas = {schema for sql in sqls for schema in TENANT_SCHEMA.findall(sql)}
        done.append(Transaction(key[0], ",".join(sorted(schemas)) or "control", sqls))

    for statement in statements:
        key = (statement.server, statement.pid)
        word = statement.sql.split(" ", 1)[0].upper()
        if key in open_ones:
            open_ones[key].append(statement.sql)
            if word in ("COMMIT", "ROLLBACK"):
                close(key, open_ones.pop(key))
        elif word == "BEGIN":
            open_ones[key] = [statement.sql]
        else:
            close(key, [statement.sql])
    for key, sqls in open_ones.items():
        close(key, sqls)
    return done


# Set-up

@dataclass(frozen=True)
class Marketplace:
    catalog: list[list[Offer]]  # per seller, what the buyers buy
    seller_schemas: list[str]
    buyers: list[Buyer]
    twins: list[tuple[int, str]]  # pgbench's sellers on the first server: (tenant id, schema)
    anchor_buyers: list[Buyer]


def app_environment(database_url: str, redis_url: str) -> dict[str, str]:
    """The settings of the app under test, as environment variables."""
    return {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
            "SHARD_URLS": f"{SECOND_SHARD}={shards.url(SECOND_SHARD)}", "VAR_DIR": str(BENCH_VAR_DIR)}


def seed(app: Flask) -> Marketplace:
    """The sellers (spread over both servers by placement), their twins on the first server, and the buyers."""
    with app.app_context():
        sellers = [seed_seller(f"seller-{index}") for index in range(SELLER_COUNT)]
        if len({tenant.shard_key for tenant, _ in sellers}) < 2:
            raise RuntimeError("the sellers should be spread over both servers")
        twins = [seed_seller(f"twin-{index}", shard_key=DEFAULT_SHARD) for index in range(SELLER_COUNT)]
        buyers = [seed_buyer("buyer") for _ in range(CLIENTS)]
        anchor_buyers = [seed_buyer("anchor") for _ in range(CLIENTS)]
    if any([offer.variant_id for offer in offers] != list(range(1, PRODUCTS_PER_SELLER + 1)) for _, offers in twins):
        raise RuntimeError("pgbench picks the twins' variants as 1 to PRODUCTS_PER_SELLER")
    # pgbench's buyers keep one cart of one line per twin, read at every checkout and never emptied.
    anchor_cart = random_cart([offers for _, offers in twins], random.Random(1))
    with psycopg.connect(psycopg_url(app.config["DATABASE_URL"]), autocommit=True) as connection:
        for buyer in anchor_buyers:
            fill_cart(connection, buyer, anchor_cart)
    return Marketplace([offers for _, offers in sellers], [tenant.schema_name for tenant, _ in sellers], buyers,
                       [(tenant.id, tenant.schema_name) for tenant, _ in twins], anchor_buyers)


def statement_counts(app: Flask, market: Marketplace, server_urls: dict[str, str]
                     ) -> tuple[dict[int, list[Transaction]], dict]:
    """Lines per seller → the transactions of one checkout with that many lines at each seller; and the
    response of the 1-line one (pgbench stores one like it)."""
    pick, buyer = random.Random(2), market.buyers[0]
    counted, responses = {}, {}
    for lines_per_seller in (1, 3):
        # Once unlogged first, so that the logged one finds pools and caches as in a steady state.
        for logged in (False, True):
            with psycopg.connect(psycopg_url(server_urls["first"]), autocommit=True) as connection:
                fill_cart(connection, buyer, random_cart(market.catalog, pick, lines_per_seller))
            if logged:
                statements, responses[lines_per_seller] = record_one_checkout(app, buyer, server_urls)
                counted[lines_per_seller] = transactions_of(statements)
            else:
                post_checkout_in_process(app, buyer)
    return counted, responses[1]


# The anchor: pgbench with one checkout's statements (1 line per seller), as the servers logged them

PGBENCH_AUTH = """
BEGIN;
SELECT platform.api_tokens.id, platform.users.id AS id_1, platform.users.email, platform.users.is_operator, platform.users.email_verified_at IS NOT NULL AS anon_1 FROM platform.api_tokens JOIN platform.users ON platform.users.id = platform.api_tokens.user_id WHERE platform.api_tokens.token_hash = 'anchor-' || :buyer::text AND platform.api_tokens.revoked_at IS NULL AND platform.api_tokens.expires_at > now() AND platform.users.is_active IS true;
ROLLBACK;
"""
PGBENCH_OPEN_ATTEMPT = """
BEGIN;
SELECT platform.checkout_attempts.id FROM platform.checkout_attempts WHERE platform.checkout_attempts.buyer_user_id = :buyer AND platform.checkout_attempts.idempotency_key = :key::text;
SELECT platform.cart_lines.id, platform.cart_lines.tenant_id, platform.cart_lines.variant_id, platform.cart_lines.quantity, platform.carts.currency FROM platform.cart_lines JOIN platform.carts ON platform.carts.id = platform.cart_lines.cart_id WHERE platform.carts.buyer_user_id = :buyer ORDER BY platform.cart_lines.tenant_id, platform.cart_lines.variant_id;
SELECT platform.addresses.id, platform.addresses.user_id, platform.addresses.name, platform.addresses.line1, platform.addresses.line2, platform.addresses.city, platform.addresses.region, platform.addresses.postal_code, platform.addresses.country, platform.addresses.phone, platform.addresses.is_default, platform.addresses.created_at, platform.addresses.updated_at FROM platform.addresses WHERE platform.addresses.user_id = :buyer AND platform.addresses.is_default;
SELECT platform.tenants.id, platform.tenants.slug, platform.tenants.display_name, platform.tenants.status, platform.tenants.schema_name, platform.tenants.shard_key, platform.tenants.plan_code, platform.tenants.currency, platform.tenants.country, platform.tenants.created_at, platform.tenants.updated_at FROM platform.tenants WHERE platform.tenants.id IN (%(tenant_ids)s) ORDER BY platform.tenants.id;
SELECT now() AS now_1;
SELECT nextval(pg_get_serial_sequence('platform.marketplace_orders', 'id')) AS order_id
\\gset
INSERT INTO platform.checkout_attempts (buyer_user_id, idempotency_key, request_hash, order_id, status, seller_tenant_ids, reserve_deadline) VALUES (:buyer, :key::text, '%(hash)s', :order_id, 'reserving', ARRAY[%(tenant_ids)s]::bigint[], now() + interval '20 seconds') ON CONFLICT ON CONSTRAINT checkout_attempts_key DO NOTHING RETURNING platform.checkout_attempts.id AS attempt_id
\\gset
SELECT platform.checkout_attempts.id, platform.checkout_attempts.buyer_user_id, platform.checkout_attempts.idempotency_key, platform.checkout_attempts.request_hash, platform.checkout_attempts.order_id, platform.checkout_attempts.status, platform.checkout_attempts.seller_tenant_ids, platform.checkout_attempts.reserve_deadline, platform.checkout_attempts.response_status, platform.checkout_attempts.response_body, platform.checkout_attempts.created_at, platform.checkout_attempts.updated_at FROM platform.checkout_attempts WHERE platform.checkout_attempts.id = :attempt_id;
COMMIT;
"""
PGBENCH_RESERVE = """
BEGIN;
SET LOCAL search_path TO "%(schema)s";
SELECT %(schema)s.variants.id, %(schema)s.variants.sku, %(schema)s.variants.options, %(schema)s.variants.price_amount, %(schema)s.variants.currency, %(schema)s.variants.weight_grams, %(schema)s.variants.stock_on_hand, %(schema)s.variants.stock_reserved, %(schema)s.products.id AS product_id, %(schema)s.products.title, %(schema)s.products.status, %(schema)s.products.category_id FROM %(schema)s.variants JOIN %(schema)s.products ON %(schema)s.products.id = %(schema)s.variants.product_id WHERE %(schema)s.variants.id IN (:%(variant)s) ORDER BY %(schema)s.variants.id FOR UPDATE OF variants;
SELECT %(schema)s.stock_reservations.variant_id, %(schema)s.stock_reservations.quantity FROM %(schema)s.stock_reservations WHERE %(schema)s.stock_reservations.order_id = :order_id;
SELECT %(schema)s.shipping_rates.id, %(schema)s.shipping_rates.name, %(schema)s.shipping_rates.countries, %(schema)s.shipping_rates.kind, %(schema)s.shipping_rates.amount, %(schema)s.shipping_rates.weight_bands, %(schema)s.shipping_rates.free_over_amount, %(schema)s.shipping_rates.position, %(schema)s.shipping_rates.created_at, %(schema)s.shipping_rates.updated_at FROM %(schema)s.shipping_rates ORDER BY %(schema)s.shipping_rates.position, %(schema)s.shipping_rates.id;
UPDATE %(schema)s.variants SET stock_reserved=(%(schema)s.variants.stock_reserved + anon_1.delta), updated_at=now() FROM (SELECT unnest(ARRAY[:%(variant)s]::bigint[]) AS variant_id, unnest(ARRAY[1]) AS delta) AS anon_1 WHERE %(schema)s.variants.id = anon_1.variant_id RETURNING %(schema)s.variants.id;
INSERT INTO %(schema)s.stock_reservations (order_id, variant_id, quantity, status) VALUES (:order_id, :%(variant)s, 1, 'held') RETURNING %(schema)s.stock_reservations.id;
SELECT clock_timestamp() < now() + interval '20 seconds' AS anon_1;
COMMIT;
"""
PGBENCH_WRITE_ORDER_HEAD = """
BEGIN;
SELECT platform.checkout_attempts.id, platform.checkout_attempts.buyer_user_id, platform.checkout_attempts.idempotency_key, platform.checkout_attempts.request_hash, platform.checkout_attempts.order_id, platform.checkout_attempts.status, platform.checkout_attempts.seller_tenant_ids, platform.checkout_attempts.reserve_deadline, platform.checkout_attempts.response_status, platform.checkout_attempts.response_body, platform.checkout_attempts.created_at, platform.checkout_attempts.updated_at FROM platform.checkout_attempts WHERE platform.checkout_attempts.id = :attempt_id FOR UPDATE;
SELECT now() AS now_1;
INSERT INTO platform.marketplace_orders (id, buyer_user_id, currency, status, subtotal_amount, shipping_amount, total_amount, shipping_address, expires_at, paid_at) VALUES (:order_id, :buyer, 'USD', 'awaiting_payment', %(subtotal)d, %(shipping)d, %(total)d, '%(address)s'::jsonb, now() + interval '30 minutes', NULL) RETURNING platform.marketplace_orders.created_at;
"""
PGBENCH_WRITE_ORDER_SELLER = """
INSERT INTO platform.marketplace_order_sellers (order_id, tenant_id, seller_name, shipping_rate_id, shipping_name, subtotal_amount, shipping_amount, total_amount, seller_order_id, routed_at) VALUES (:order_id, %(tenant_id)d, 'Twin seller', 1, 'Standard', %(price)d, %(shipping)d, %(seller_total)d, NULL, NULL) RETURNING platform.marketplace_order_sellers.id, platform.marketplace_order_sellers.status;
SELECT platform.commission_rules.id, platform.commission_rules.tenant_id, platform.commission_rules.category_id, platform.commission_rules.basis_points, platform.commission_rules.fixed_fee_amount, platform.commission_rules.currency, platform.commission_rules.created_at, platform.commission_rules.updated_at FROM platform.commission_rules WHERE (platform.commission_rules.tenant_id = %(tenant_id)d OR platform.commission_rules.tenant_id IS NULL) AND (platform.commission_rules.category_id IN (NULL) AND (1 != 1) OR platform.commission_rules.category_id IS NULL) AND (platform.commission_rules.currency = 'USD' OR platform.commission_rules.currency IS NULL);
INSERT INTO platform.marketplace_order_lines (order_id, tenant_id, product_id, variant_id, sku, title, quantity, unit_price_amount, options, line_total_amount, commission_amount, commission_rule) VALUES (:order_id, %(tenant_id)d, :%(variant)s, :%(variant)s, 'TWIN-SKU', 'A twin thing', 1, %(price)d, '{}'::jsonb, %(price)d, 0, '%(rule)s'::jsonb) RETURNING platform.marketplace_order_lines.id;
"""
PGBENCH_WRITE_ORDER_TAIL = """
INSERT INTO platform.payments (order_id, gateway, gateway_payment_id, amount, currency, client_secret, last_payment_error) VALUES (:order_id, 'test', NULL, %(total)d, 'USD', NULL, NULL) RETURNING platform.payments.id AS payment_id, platform.payments.status, platform.payments.created_at, platform.payments.updated_at
\\gset
DELETE FROM platform.cart_lines WHERE platform.cart_lines.id IN (-1, -2, -3);
UPDATE platform.carts SET currency=NULL, updated_at=now() WHERE platform.carts.buyer_user_id = :buyer AND NOT (EXISTS (SELECT platform.cart_lines.id FROM platform.cart_lines WHERE platform.cart_lines.cart_id = platform.carts.id)) RETURNING platform.carts.id;
UPDATE platform.checkout_attempts SET status='completed', updated_at=now() WHERE platform.checkout_attempts.id = :attempt_id;
COMMIT;
"""
PGBENCH_FINISH_PAYMENT = """
BEGIN;
SELECT platform.payments.id, platform.payments.order_id, platform.payments.gateway, platform.payments.gateway_payment_id, platform.payments.amount, platform.payments.currency, platform.payments.status, platform.payments.client_secret, platform.payments.last_payment_error, platform.payments.created_at, platform.payments.updated_at FROM platform.payments WHERE platform.payments.order_id = :order_id;
ROLLBACK;
BEGIN;
INSERT INTO platform.test_gateway_idempotency_keys (key, request_fingerprint, response) VALUES ('pi-' || :order_id::text, '%(hash)s', '{}'::jsonb) ON CONFLICT (key) DO NOTHING RETURNING platform.test_gateway_idempotency_keys.key;
INSERT INTO platform.test_gateway_payment_intents (id, amount, currency, status, transfer_group, client_secret, metadata, payment_method, last_payment_error, amount_received, amount_refunded) VALUES ('pi_anchor_' || :order_id::text, %(total)d, 'USD', 'requires_payment_method', 'order_' || :order_id::text, 'pi_anchor_secret_xs2HfdHnlA081RA6dCYN1Bl9', '{"order_id": "0"}'::jsonb, NULL, NULL, 0, 0) RETURNING platform.test_gateway_payment_intents.created_at, platform.test_gateway_payment_intents.updated_at;
UPDATE platform.test_gateway_idempotency_keys SET response='%(intent)s'::jsonb WHERE platform.test_gateway_idempotency_keys.key = 'pi-' || :order_id::text;
COMMIT;
BEGIN;
UPDATE platform.payments SET gateway_payment_id='pi_anchor_' || :order_id::text, status='requires_payment_method', client_secret='pi_anchor_secret_xs2HfdHnlA081RA6dCYN1Bl9', updated_at=now() WHERE platform.payments.id = :payment_id AND platform.payments.gateway_payment_id IS NULL;
COMMIT;
BEGIN;
SELECT platform.marketplace_orders.id, platform.marketplace_orders.buyer_user_id, platform.marketplace_orders.currency, platform.marketplace_orders.status, platform.marketplace_orders.subtotal_amount, platform.marketplace_orders.shipping_amount, platform.marketplace_orders.total_amount, platform.marketplace_orders.shipping_address, platform.marketplace_orders.expires_at, platform.marketplace_orders.paid_at, platform.marketplace_orders.created_at FROM platform.marketplace_orders WHERE platform.marketplace_orders.id = :order_id;
SELECT platform.payments.id, platform.payments.order_id, platform.payments.gateway, platform.payments.gateway_payment_id, platform.payments.amount, platform.payments.currency, platform.payments.status, platform.payments.client_secret, platform.payments.last_payment_error, platform.payments.created_at, platform.payments.updated_at FROM platform.payments WHERE platform.payments.order_id = :order_id;
SELECT platform.marketplace_order_sellers.id, platform.marketplace_order_sellers.order_id, platform.marketplace_order_sellers.tenant_id, platform.marketplace_order_sellers.seller_name, platform.marketplace_order_sellers.shipping_rate_id, platform.marketplace_order_sellers.shipping_name, platform.marketplace_order_sellers.subtotal_amount, platform.marketplace_order_sellers.shipping_amount, platform.marketplace_order_sellers.total_amount, platform.marketplace_order_sellers.status, platform.marketplace_order_sellers.seller_order_id, platform.marketplace_order_sellers.routed_at, platform.tenants.slug FROM platform.marketplace_order_sellers JOIN platform.tenants ON platform.tenants.id = platform.marketplace_order_sellers.tenant_id WHERE platform.marketplace_order_sellers.order_id = :order_id ORDER BY platform.marketplace_order_sellers.tenant_id;
SELECT platform.marketplace_order_lines.id, platform.marketplace_order_lines.order_id, platform.marketplace_order_lines.tenant_id, platform.marketplace_order_lines.product_id, platform.marketplace_order_lines.variant_id, platform.marketplace_order_lines.sku, platform.marketplace_order_lines.title, platform.marketplace_order_lines.quantity, platform.marketplace_order_lines.unit_price_amount, platform.marketplace_order_lines.options, platform.marketplace_order_lines.line_total_amount, platform.marketplace_order_lines.commission_amount, platform.marketplace_order_lines.commission_rule FROM platform.marketplace_order_lines WHERE platform.marketplace_order_lines.order_id = :order_id ORDER BY platform.marketplace_order_lines.tenant_id, platform.marketplace_order_lines.id;
UPDATE platform.checkout_attempts SET response_status=201, response_body='%(response)s'::jsonb WHERE platform.checkout_attempts.id = :attempt_id;
COMMIT;
"""
# A rule snapshot as checkout freezes it when no rule applies.
NO_RULE = {"rule_id": None, "currency": None, "tenant_id": None, "category_id": None, "basis_points": 0,
           "rule_updated_at": None, "fixed_fee_amount": 0}


def sql_json(value: object) -> str:
    """`value` as a JSON string literal's body: quotes doubled, and no `:` before a digit (pgbench would take
    `:25` in a time for a variable)."""
    return re.sub(r":(?=\d)", r"\\u003a", json.dumps(value)).replace("'", "''")


def pgbench_script(twins: list[tuple[int, str]], first_buyer: int, response: dict) -> str:
    """One checkout of one line at each twin seller: the statements of `record_one_checkout`, in its order."""
    variables = {f"v{index}": f"\\set v{index} random(1, {PRODUCTS_PER_SELLER})" for index in range(len(twins))}
    subtotal, shipping = PRICE_AMOUNT * len(twins), FLAT_SHIPPING * len(twins)
    values = {"tenant_ids": ", ".join(str(tenant_id) for tenant_id, _ in twins), "hash": "0" * 64,
              "subtotal": subtotal, "shipping": shipping, "total": subtotal + shipping, "price": PRICE_AMOUNT,
              "seller_total": PRICE_AMOUNT + FLAT_SHIPPING, "address": sql_json(PORTO), "rule": sql_json(NO_RULE),
              "intent": sql_json(response["payment"]), "response": sql_json(response)}
    parts = [f"\\set buyer {first_buyer} + :client_id", "\\set key random(1, 9000000000000000000)",
             *variables.values(), PGBENCH_AUTH, PGBENCH_OPEN_ATTEMPT % values]
    parts += [PGBENCH_RESERVE % {"schema": schema, "variant": variable}
              for (_, schema), variable in zip(twins, variables)]
    parts.append(PGBENCH_WRITE_ORDER_HEAD % values)
    parts += [PGBENCH_WRITE_ORDER_SELLER % {**values, "tenant_id": tenant_id, "variant": variable}
              for (tenant_id, _), variable in zip(twins, variables)]
    parts += [PGBENCH_WRITE_ORDER_TAIL % values, PGBENCH_FINISH_PAYMENT % values]
    return "\n".join(parts)


@dataclass(frozen=True)
class RunResult:
    per_second: float
    p50_ms: float
    p95_ms: float
    failures: int
    # CPU per checkout, HTTP runs only: the app's gunicorn processes, the PostgreSQL backends serving them,
    # and this process's client threads (cart filling included).
    app_cpu_ms: float = 0.0
    database_cpu_ms: float = 0.0
    client_cpu_ms: float = 0.0


def pgbench_binary() -> str:
    """pgbench of the embedded server's own version (the pgserver wheel ships it), else the one on PATH."""
    import pgserver  # the embedded server's wheel, as marketplace.core.embedded uses it

    bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pgbench"
    found = str(bundled) if bundled.exists() else shutil.which("pgbench")
    if not found:
        raise SystemExit("checkout needs pgbench (Debian/Ubuntu: apt-get install postgresql-client).")
    return found


def run_pgbench(pgbench: str, database_url: str, script: str, seconds: int) -> RunResult:
    plain = psycopg_url(database_url)
    database = plain.split("/", 3)[3].split("?", 1)[0]
    host = re.search(r"host=([^&]+)", plain).group(1)
    with tempfile.TemporaryDirectory(dir=BENCH_VAR_DIR, prefix="pgbench-") as folder:
        script_path = Path(folder) / "checkout.sql"
        script_path.write_text(script)
        finished = subprocess.run(
            [pgbench, "-n", "-M", "extended", "-c", str(CLIENTS), "-j", str(PGBENCH_THREADS), "-T", str(seconds),
             "-f", str(script_path), "-l", "--log-prefix", str(Path(folder) / "latency"),
             "-h", host, "-U", "postgres", database],
            capture_output=True, text=True, cwd=folder)
        if finished.returncode != 0:
            raise RuntimeError(f"pgbench failed:\n{finished.stdout}\n{finished.stderr}")
        # Per transaction: client, number, latency in µs, ...
        latencies = [int(line.split()[2]) / 1000 for log in Path(folder).glob("latency.*")
                     for line in log.read_text().splitlines()]
    tps = float(re.search(r"tps = ([\d.]+)", finished.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", finished.stdout)
    p50, p95 = percentiles(latencies)
    return RunResult(tps, p50, p95, int(failed.group(1)) if failed else 0)


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    return statistics.median(samples_ms), statistics.quantiles(samples_ms, n=20, method="inclusive")[-1]


# Load over HTTP

def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def app_processes(base_url: str) -> list[psutil.Process]:
    """The gunicorn master serving `base_url` and its workers."""
    bind = base_url.removeprefix("http://")
    masters = [process for process in psutil.process_iter(["cmdline"])
               if bind in " ".join(process.info["cmdline"] or [])]
    return masters + [child for master in masters for child in master.children()]


def database_backends(database_url: str, except_pids: set[int]) -> list[psutil.Process]:
    """The PostgreSQL backends (either server) connected to the bench database, but for `except_pids`."""
    database = psycopg_url(database_url).split("/", 3)[3].split("?", 1)[0]
    return [process for process in psutil.process_iter(["cmdline"])
            if process.pid not in except_pids
            and " ".join(process.info["cmdline"] or []).startswith(f"postgres: postgres {database} ")]


def run_http(base_url: str, database_url: str, market: Marketplace, seconds: float) -> RunResult:
    """CLIENTS buyers, each on its own thread and keep-alive connection, checking out until `seconds` pass."""
    host, port = base_url.removeprefix("http://").split(":")
    start = threading.Barrier(CLIENTS + 1)
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    failures: list[str] = []
    deadline = [0.0]
    cart_backends: set[int] = set()  # the clients' own, filling carts: not the app's

    def buyer_loop(index: int) -> None:
        buyer, pick = market.buyers[index], random.Random(index)
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        headers = {"Authorization": f"Bearer {buyer.token}", "Content-Type": "application/json"}
        with psycopg.connect(psycopg_url(database_url), autocommit=True) as carts:
            cart_backends.add(carts.info.backend_pid)
            start.wait()
            while time.perf_counter() < deadline[0]:
                fill_cart(carts, buyer, random_cart(market.catalog, pick))
                started = time.perf_counter()
                connection.request("POST", "/api/v1/checkout", body=b"{}",
                                   headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
                response = connection.getresponse()
                body = response.read()
                if response.status == 201:
                    latencies[index].append((time.perf_counter() - started) * 1000)
                else:
                    failures.append(f"{response.status} {body[:200]!r}")
        connection.close()

    threads = [threading.Thread(target=buyer_loop, args=(index,)) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    app, backends = app_processes(base_url), database_backends(database_url, cart_backends)
    app_cpu, database_cpu, client_cpu = cpu_seconds(app), cpu_seconds(backends), time.process_time()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    app_cpu, database_cpu = cpu_seconds(app) - app_cpu, cpu_seconds(backends) - database_cpu
    client_cpu = time.process_time() - client_cpu
    if failures:
        print(f"  ({len(failures)} checkouts failed, e.g. {failures[0]})", flush=True)
    done = [latency for per_buyer in latencies for latency in per_buyer]
    p50, p95 = percentiles(done)
    return RunResult(len(done) / elapsed, p50, p95, len(failures), *(seconds * 1000 / len(done) for seconds in
                                                                     (app_cpu, database_cpu, client_cpu)))


def median_result(results: list[RunResult]) -> RunResult:
    medians = {name: statistics.median(getattr(result, name) for result in results)
               for name in ("per_second", "p50_ms", "p95_ms", "app_cpu_ms", "database_cpu_ms", "client_cpu_ms")}
    return RunResult(**medians, failures=sum(result.failures for result in results))


# Report

UPKEEP = {";", "RESET ALL", "DEALLOCATE ALL"}


def is_upkeep(transaction: Transaction) -> bool:
    """The pool's pre-ping (`;`), its BEGIN; RESET ALL; COMMIT on return, psycopg's DEALLOCATE ALL after a
    ROLLBACK: connection upkeep, not the checkout's own SQL."""
    return all(sql in UPKEEP or sql in ("BEGIN", "COMMIT") for sql in transaction.statements)


def statement_report(counted: dict[int, list[Transaction]], seller_schemas: list[str]) -> list[str]:
    lines = ["SQL statements of one checkout from 3 sellers, as the servers logged them (BEGIN/COMMIT included):",
             f"  {'':44}" + "".join(f"{f'{n} line(s)/seller':>18}" for n in counted)]

    def row(label: str, count_of) -> str:
        return f"  {label:44}" + "".join(f"{count_of(transactions):>18}" for transactions in counted.values())

    def statements(transactions: list[Transaction], keep) -> int:
        return sum(len(transaction.statements) for transaction in transactions if keep(transaction))

    lines.append(row("control database", lambda ts: statements(
        ts, lambda t: t.owner == "control" and not is_upkeep(t))))
    for number, schema in enumerate(seller_schemas, start=1):
        lines.append(row(f"seller {number} ({schema}), its tenant transaction",
                         lambda ts, schema=schema: statements(ts, lambda t: t.owner == schema)))
    lines.append(row("connection upkeep (pre-ping, RESET ALL, ...)", lambda ts: statements(ts, is_upkeep)))
    lines.append(row("total", lambda ts: statements(ts, lambda t: True)))
    per_seller = {lines_per_seller: [statements(ts, lambda t, schema=schema: t.owner == schema)
                                     for schema in seller_schemas] for lines_per_seller, ts in counted.items()}
    lines.append(row("transactions, upkeep aside",
                     lambda ts: sum(1 for t in ts if t.statements[0] == "BEGIN" and not is_upkeep(t))))
    lines.append(goal_line("a fixed number of statements per seller, whatever its lines",
                           len({tuple(counts) for counts in per_seller.values()}) == 1))
    return lines


def statement_listing(transactions: list[Transaction]) -> list[str]:
    """The checkout's own statements in order, one per line, cut short; upkeep as one count per gap."""
    lines, upkeep = [], 0
    for transaction in transactions:
        if is_upkeep(transaction):
            upkeep += len(transaction.statements)
            continue
        if upkeep:
            lines.append(f"    ({upkeep} upkeep statement(s))")
            upkeep = 0
        lines.append(f"  [{transaction.server} server, {transaction.owner}]")
        lines += [f"    {sql[:110]}" for sql in transaction.statements]
    if upkeep:
        lines.append(f"    ({upkeep} upkeep statement(s))")
    return lines


def result_line(label: str, result: RunResult, unit: str, anchor: RunResult | None = None) -> str:
    share = f" | {result.per_second / anchor.per_second:.0%} of the anchor's rate" if anchor else ""
    failures = f", {result.failures} FAILED" if result.failures else ""
    return (f"{label}: {result.per_second:,.1f} {unit}, p50 {result.p50_ms:.1f} ms, p95 {result.p95_ms:.1f} ms "
            f"(median of {RUNS} x {RUN_SECONDS} s{failures}){share}")


# The run

def prepare_anchor_buyers(database_url: str, market: Marketplace) -> int:
    """pgbench's buyers have consecutive ids and a token hash it can write ('anchor-<id>'); the first id."""
    ids = [buyer.user_id for buyer in market.anchor_buyers]
    if ids != list(range(ids[0], ids[0] + len(ids))):
        raise RuntimeError(f"pgbench's buyers should have consecutive ids: {ids}")
    with psycopg.connect(psycopg_url(database_url), autocommit=True) as connection:
        connection.execute("UPDATE platform.api_tokens SET token_hash = 'anchor-' || user_id WHERE user_id = ANY(%s)",
                           (ids,))
    return ids[0]


def main() -> None:
    print(f"== checkout over HTTP: {SELLER_COUNT} sellers on 2 servers, {CLIENTS} concurrent buyers, gunicorn "
          f"{WORKERS} workers x {THREADS_PER_WORKER} threads | anchor: pgbench -c {CLIENTS} -j {PGBENCH_THREADS}, "
          f"the same statements ==", flush=True)
    pgbench = pgbench_binary()
    BENCH_VAR_DIR.mkdir(parents=True, exist_ok=True)
    with bench_database("checkout", two_servers=True) as database_url, bench_redis() as redis_url:
        server_urls = {"first": database_url, "second": shards.url(SECOND_SHARD)}
        environment = {**os.environ, **app_environment(database_url, redis_url)}
        app = create_app(load_settings(environment))
        started = time.perf_counter()
        market = seed(app)
        first_anchor_buyer = prepare_anchor_buyers(database_url, market)
        print(f"(set-up: {time.perf_counter() - started:.1f} s)", flush=True)
        counted, response = statement_counts(app, market, server_urls)
        for line in statement_report(counted, market.seller_schemas):
            print(line)
        print("The statements of the 1-line-per-seller checkout (pgbench's script runs these, upkeep aside):")
        for line in statement_listing(counted[1]):
            print(line)
        script = pgbench_script(market.twins, first_anchor_buyer, response)
        shards.dispose()
        with gunicorn("wsgi:app", "/healthz", environment, WORKERS, THREADS_PER_WORKER) as app_url:
            run_http(app_url, database_url, market, 3)  # warm-up: imports, pools
            run_pgbench(pgbench, database_url, script, 3)
            runs: dict[str, list[RunResult]] = {"pgbench": [], "http": []}
            for _ in range(RUNS):
                runs["pgbench"].append(run_pgbench(pgbench, database_url, script, RUN_SECONDS))
                runs["http"].append(run_http(app_url, database_url, market, RUN_SECONDS))
    report(median_result(runs["http"]), median_result(runs["pgbench"]))


def report(checkout: RunResult, anchor: RunResult) -> None:
    print(result_line("anchor, pgbench running one checkout's statements", anchor, "checkouts/s"))
    print(result_line("POST /api/v1/checkout (3 sellers, 1 line each)", checkout, "checkouts/s", anchor))
    print(f"  CPU per checkout: app (gunicorn workers) {checkout.app_cpu_ms:.1f} ms, its PostgreSQL backends "
          f"{checkout.database_cpu_ms:.1f} ms, the bench's client threads {checkout.client_cpu_ms:.1f} ms "
          f"({os.cpu_count()} cores in all)")
    print(goal_line(f"checkout rate >= {GOAL_SHARE:.0%} of pgbench's",
                    checkout.per_second >= GOAL_SHARE * anchor.per_second))
    print(goal_line(f"p95 < {GOAL_P95_MS:.0f} ms", checkout.p95_ms < GOAL_P95_MS))
    print(goal_line("no failed checkout", not checkout.failures and not anchor.failures), flush=True)


if __name__ == "__main__":
    main()
