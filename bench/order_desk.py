"""The seller order desk over HTTP: pages of 50 of a seller's 100,000 orders, beside the same SQL run by psycopg.

`.venv/bin/python -m bench.order_desk` (about a minute; ORDER_DESK_BENCH_SAMPLES sets the requests per shape).

One seller gets 100,000 seller orders in one INSERT … SELECT generate_series:
paid over two years, mostly completed (as an established shop's history
is), a few thousand open ones awaiting acceptance, accepted or shipping;
buyer names from 40 first and 40 last names; totals from 5.00 to 300.00.
The table is then vacuumed and analysed, as autovacuum would leave it.

The app is served by gunicorn (1 gthread worker of 2 threads, on
127.0.0.1); one client on one keep-alive connection sends
`GET /api/v1/sellers/{slug}/orders` as a staff member, one request at a time,
for each query shape below (filters, search, sorts, a deep page), SAMPLES
times each, shapes interleaved, after a warm-up round. Each request is timed
whole (authentication, membership, the tenant's transaction, the count and
the page, JSON).

Anchor, in the same run: the same two statements the desk sends for a shape
(the count of the matching orders and the page of 50), compiled from the
desk's own query with its values inlined, run by psycopg on one connection
in one transaction, as the app runs them. Figures are medians and p95.

Goal (issue 12): p95 < 50 ms for every shape through the API.
"""
from __future__ import annotations

import http.client
import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import psycopg
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql

from bench.support import (BENCH_VAR_DIR, bench_database, bench_redis, figure_line, goal_line, gunicorn,
                           median_and_p95, psycopg_url)
from marketplace.accounts.models import MemberRole, Membership
from marketplace.accounts.services import issue_token, mark_email_verified, register_user
from marketplace.app import create_app
from marketplace.config import load_settings
from marketplace.core.pagination import PageRequest
from marketplace.orders import desk
from marketplace.orders.models import SellerOrderStatus
from tenants.models import TenantRef
from tenants.provisioning import provision_tenant
from tenants.uow import UnitOfWork

ORDER_COUNT = 100_000
PAGE_SIZE = 50
SAMPLES = int(os.environ.get("ORDER_DESK_BENCH_SAMPLES", "60"))
WORKERS = 1
THREADS_PER_WORKER = 2
GOAL_P95_MS = 50.0
PASSWORD = "correct horse battery"
# The seed's clock: orders were paid up to this moment, one every ~10.5 minutes over two years.
SEED_NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)

# n % 100 spreads statuses; the newest orders are the open ones, as in a live shop.
SEED_ORDERS = """
    INSERT INTO seller_orders (marketplace_order_id, buyer_user_id, buyer_name, status, currency, subtotal_amount,
                               shipping_amount, total_amount, shipping_name, shipping_address, paid_at,
                               acceptance_due_at, created_at, updated_at)
    SELECT 5000000 + n, 1000 + n % 7919,
           (ARRAY['Ada','Alan','Grace','Linus','Margaret','Ken','Barbara','Edsger','Donald','Frances','John',
                  'Radia','Tim','Vint','Hedy','Katherine','Dennis','Bjarne','Guido','Anita','Maria','Jose',
                  'Ana','Pedro','Sofia','Luis','Marta','Joao','Ines','Rui','Carla','Nuno','Helena','Tiago',
                  'Rita','Miguel','Paula','Bruno','Sara','Diogo'])[1 + n % 40] || ' ' ||
           (ARRAY['Lovelace','Turing','Hopper','Torvalds','Hamilton','Thompson','Liskov','Dijkstra','Knuth',
                  'Allen','Backus','Perlman','Berners-Lee','Cerf','Lamarr','Johnson','Ritchie','Stroustrup',
                  'Rossum','Borg','Silva','Santos','Ferreira','Pereira','Oliveira','Costa','Rodrigues',
                  'Martins','Sousa','Fernandes','Goncalves','Gomes','Lopes','Marques','Alves','Almeida',
                  'Ribeiro','Pinto','Carvalho','Teixeira'])[1 + (n / 40) % 40],
           CASE WHEN n > :order_count - 1500 THEN 'awaiting_acceptance'
                WHEN n > :order_count - 3000 THEN (ARRAY['accepted','partially_shipped','shipped'])[1 + n % 3]
                WHEN n > :order_count - 6000 THEN 'delivered'
                WHEN n % 100 < 5 THEN 'cancelled'
                WHEN n % 100 < 8 THEN 'rejected'
                ELSE 'completed' END,
           'EUR', 500 + (n * 7919) % 29500, 450, 950 + (n * 7919) % 29500, 'Standard',
           jsonb_build_object('name', 'Buyer ' || n, 'line1', 'Rua das Flores ' || n % 200, 'line2', '',
                              'city', 'Porto', 'region', '', 'postal_code', '4050-262', 'country', 'PT',
                              'phone', NULL),
           paid, paid + interval '48 hours', paid, paid
    FROM generate_series(1, :order_count) AS n,
         LATERAL (SELECT CAST(:now AS timestamptz) - (:order_count - n) * interval '631 seconds' AS paid) AS moment
"""


@dataclass(frozen=True)
class Shape:
    """One way the desk is used: a label, the query string, and the desk query it parses to."""

    label: str
    query_string: str
    query: desk.DeskQuery
    page: int = 1


def shapes() -> list[Shape]:
    month_ago, week_ago = SEED_NOW - timedelta(days=60), SEED_NOW - timedelta(days=30)
    due_soon = SEED_NOW + timedelta(hours=12)
    return [
        Shape("newest first (default)", "", desk.DeskQuery()),
        Shape("awaiting acceptance, soonest due", "status=awaiting_acceptance&sort=acceptance_due_at",
              desk.DeskQuery(statuses=(SellerOrderStatus.AWAITING_ACCEPTANCE,), sort="acceptance_due_at")),
        Shape("awaiting acceptance due within 12 h",
              f"status=awaiting_acceptance&due_before={_param(due_soon)}&sort=acceptance_due_at",
              desk.DeskQuery(statuses=(SellerOrderStatus.AWAITING_ACCEPTANCE,), due_before=due_soon,
                             sort="acceptance_due_at")),
        Shape("to ship (accepted or partly shipped)", "status=accepted&status=partially_shipped",
              desk.DeskQuery(statuses=(SellerOrderStatus.ACCEPTED, SellerOrderStatus.PARTIALLY_SHIPPED))),
        Shape("completed, placed in a 30-day window",
              f"status=completed&placed_from={_param(month_ago)}&placed_to={_param(week_ago)}",
              desk.DeskQuery(statuses=(SellerOrderStatus.COMPLETED,), placed_from=month_ago, placed_to=week_ago)),
        Shape("buyer name starts with 'mar'", "q=mar", desk.DeskQuery(search="mar")),
        Shape("buyer name 'maria s', oldest first", "q=maria+s&sort=paid_at",
              desk.DeskQuery(search="maria s", sort="paid_at")),
        Shape("one order number", "q=5012345", desk.DeskQuery(search="5012345")),
        Shape("largest totals first", "sort=-total_amount", desk.DeskQuery(sort="-total_amount")),
        Shape("cancelled, page 10", "status=cancelled&page=10",
              desk.DeskQuery(statuses=(SellerOrderStatus.CANCELLED,)), page=10),
        Shape("newest first, page 200", "page=200", desk.DeskQuery(), page=200),
    ]


def _param(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# Seed

def seed(app) -> tuple[TenantRef, str]:
    """The seller, its 100,000 orders, and a staff member's bearer token."""
    with app.app_context():
        tenant = provision_tenant("desk-seller", "Desk Seller", currency="EUR")
        email = f"staff-{uuid.uuid4().hex[:8]}@example.com"
        account = register_user(email, PASSWORD, "Sam Staff")
        mark_email_verified(account.id)
        with UnitOfWork() as uow:
            uow.session.add(Membership(user_id=account.id, tenant_id=tenant.id, role=MemberRole.STAFF))
            uow.commit()
        token = issue_token(email, PASSWORD, ttl_seconds=3600).access_token
        with UnitOfWork(tenant) as uow:
            uow.session.execute(text(SEED_ORDERS), {"order_count": ORDER_COUNT, "now": SEED_NOW})
            uow.commit()
    return tenant, token


def vacuum(database_url: str, tenant: TenantRef) -> None:
    with psycopg.connect(psycopg_url(database_url), autocommit=True) as conn:
        conn.execute(f'VACUUM ANALYZE "{tenant.schema_name}".seller_orders')


# The anchor: the desk's own statements, run by psycopg

def anchor_statements(tenant: TenantRef, shape: Shape) -> tuple[str, str]:
    """(count, page) as the desk sends them for `shape`, with values inlined (as fetch_page builds them)."""
    statement = desk.orders_statement(shape.query)
    page_request = PageRequest(number=shape.page, size=PAGE_SIZE)
    count = select(func.count()).select_from(statement.order_by(None).subquery())
    page = statement.limit(page_request.size).offset(page_request.offset)
    return _compiled(tenant, count), _compiled(tenant, page)


def _compiled(tenant: TenantRef, statement) -> str:
    return str(statement.compile(dialect=postgresql.dialect(), schema_translate_map={"tenant": tenant.schema_name},
                                 render_schema_translate=True, compile_kwargs={"literal_binds": True}))


def time_anchor(conn: psycopg.Connection, statements: tuple[str, str]) -> float:
    count, page = statements
    started = time.perf_counter()
    with conn.transaction():
        conn.execute(count).fetchone()
        conn.execute(page).fetchall()
    return time.perf_counter() - started


# Through the API

def time_request(connection: http.client.HTTPConnection, path: str, token: str) -> tuple[float, int]:
    """Seconds for the whole request and the number of orders it listed."""
    started = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
    return elapsed, len(json.loads(body))


def desk_path(slug: str, shape: Shape) -> str:
    query = "&".join(part for part in (shape.query_string, f"page_size={PAGE_SIZE}") if part)
    return f"/api/v1/sellers/{slug}/orders?{query}"


def main() -> None:
    print(f"== seller order desk over HTTP: 1 seller with {ORDER_COUNT:,} orders, pages of {PAGE_SIZE}, "
          f"gunicorn {WORKERS} worker x {THREADS_PER_WORKER} threads, 1 client | anchor: the same count and page "
          f"SQL by psycopg ==", flush=True)
    BENCH_VAR_DIR.mkdir(parents=True, exist_ok=True)
    with bench_database("order_desk") as database_url, bench_redis() as redis_url:
        environment = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
                       "VAR_DIR": str(BENCH_VAR_DIR)}
        app = create_app(load_settings(environment))
        started = time.perf_counter()
        tenant, token = seed(app)
        vacuum(database_url, tenant)
        print(f"(set-up: {ORDER_COUNT:,} seller orders seeded and vacuumed in {time.perf_counter() - started:.1f} s)",
              flush=True)
        desk_shapes = shapes()
        api_samples: dict[str, list[float]] = {shape.label: [] for shape in desk_shapes}
        anchor_samples: dict[str, list[float]] = {shape.label: [] for shape in desk_shapes}
        listed: dict[str, int] = {}
        with gunicorn("wsgi:app", "/healthz", environment, WORKERS, THREADS_PER_WORKER) as app_url, \
                psycopg.connect(psycopg_url(database_url)) as conn:
            address = urlsplit(app_url)
            client = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
            statements = {shape.label: anchor_statements(tenant, shape) for shape in desk_shapes}
            for round_number in range(SAMPLES + 1):  # round 0 warms up both
                for shape in desk_shapes:
                    anchor_seconds = time_anchor(conn, statements[shape.label])
                    api_seconds, listed[shape.label] = time_request(client, desk_path(tenant.slug, shape), token)
                    if round_number:
                        anchor_samples[shape.label].append(anchor_seconds)
                        api_samples[shape.label].append(api_seconds)
            client.close()
    report(desk_shapes, api_samples, anchor_samples, listed)


def report(desk_shapes: list[Shape], api_samples: dict[str, list[float]], anchor_samples: dict[str, list[float]],
           listed: dict[str, int]) -> None:
    for shape in desk_shapes:
        print(figure_line(f"{shape.label} ({listed[shape.label]} listed)", api_samples[shape.label],
                          "psycopg, same SQL", anchor_samples[shape.label]), flush=True)
    every_api = [sample for samples in api_samples.values() for sample in samples]
    every_anchor = [sample for samples in anchor_samples.values() for sample in samples]
    print(figure_line("every shape together", every_api, "psycopg, same SQL", every_anchor), flush=True)
    worst_p95_ms = max(median_and_p95(samples)[1] for samples in api_samples.values()) * 1000
    print(goal_line(f"p95 < {GOAL_P95_MS:.0f} ms for every shape (worst {worst_p95_ms:.1f} ms)",
                    worst_p95_ms < GOAL_P95_MS), flush=True)


if __name__ == "__main__":
    main()
