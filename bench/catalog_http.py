"""Catalog reads over HTTP: the marketplace listing and product detail, beside a minimal Flask endpoint.

100 sellers x 100 products are seeded straight into their schemas (the
listing rows through the catalog's own `sync_listings`). The real app is
served by gunicorn (2 gthread workers of 4 threads, on 127.0.0.1), and so is
the anchor, a minimal Flask app with one JSON endpoint: the framework ceiling
on the same set-up. wrk drives each at 32 connections, 10 s a run, 3 runs interleaved
(anchor, listing, detail), after a warm-up that reads every path once (the
runs measure cached reads, what buyers mostly get); figures are medians over
the runs.

Goals: listing >= 40% and product detail >= 60% of the anchor's requests/s,
p95 < 50 ms for both.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass

from flask import Flask, jsonify
from sqlalchemy import select, text

from bench.support import BENCH_VAR_DIR, bench_database, bench_redis, goal_line, gunicorn
from marketplace.catalog.listing import sync_listings
from marketplace.catalog.models import Product
from tenants.models import TenantRef
from tenants.provisioning import provision_tenant
from tenants.uow import UnitOfWork

SELLER_COUNT = 100
PRODUCTS_PER_SELLER = 100
VARIANTS_PER_PRODUCT = 3
WORKERS = 2
# Threads let a worker serve another request while one waits on Redis or PostgreSQL.
THREADS_PER_WORKER = 4
CONNECTIONS = 32
WRK_THREADS = 2
RUN_SECONDS = 10
RUNS = 3
# Buyers read hot products; a thousand distinct detail pages, each cached after its first read.
HOT_PRODUCT_COUNT = 1000
GOAL_LISTING_SHARE = 0.40
GOAL_DETAIL_SHARE = 0.60
GOAL_P95_MS = 50.0

# Per product: `variants` sizes, each with a price and a stock receipt; one image; a rating.
SEED_PRODUCTS = """
    INSERT INTO products (slug, title, description, status, category_id, attributes, rating_total, rating_count,
                          published_at)
    SELECT 'product-' || n, 'Product ' || n || ' of ' || :seller, repeat('A fine thing. ', 20), 'published',
           (CAST(:category_ids AS bigint[]))[1 + n % cardinality(CAST(:category_ids AS bigint[]))],
           jsonb_build_object('material', 'stoneware', 'colour', 'blue'),
           (n % 5) * 4, n % 5, now() - make_interval(mins => n)
    FROM generate_series(1, :product_count) AS n
"""
SEED_VARIANTS = """
    INSERT INTO variants (product_id, sku, options, price_amount, compare_at_amount, currency, stock_on_hand)
    SELECT p.id, p.slug || '-' || v, jsonb_build_object('size', (ARRAY['S', 'M', 'L'])[v]),
           500 + (p.id * 37 + v * 100) % 9500, CASE WHEN v = 1 THEN 12000 END, :currency, (p.id + v) % 4
    FROM products p, generate_series(1, :variant_count) AS v
"""
SEED_STOCK = """
    INSERT INTO stock_movements (variant_id, quantity_delta, reason, note)
    SELECT id, stock_on_hand, 'receipt', 'bench seed' FROM variants WHERE stock_on_hand > 0
"""
SEED_IMAGES = """
    INSERT INTO product_images (product_id, url, alt, position)
    SELECT id, 'https://img.example/' || slug || '.jpg', title, 0 FROM products
"""

WRK_SCRIPT = """
local paths = {%(paths)s}
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("RESULT requests=%%d duration_us=%%d non_2xx=%%d socket_errors=%%d "
                         .. "p50_us=%%d p95_us=%%d p99_us=%%d\\n",
    summary.requests, summary.duration, errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""
RESULT_PATTERN = re.compile(
    r"RESULT requests=(\d+) duration_us=(\d+) non_2xx=(\d+) socket_errors=(\d+) p50_us=(\d+) p95_us=(\d+) p99_us=(\d+)"
)


def ceiling_app() -> Flask:
    """The anchor: Flask with one JSON endpoint and nothing else (gunicorn 'bench.catalog_http:ceiling_app()')."""
    app = Flask("ceiling")

    @app.get("/ping")
    def ping():
        return jsonify(ok=True)

    return app


@dataclass(frozen=True)
class RunResult:
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    failures: int


# Tools and servers

def ensure_wrk() -> str:
    """The wrk binary, installed with apt-get if missing (Debian package `wrk`)."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("(installing wrk with apt-get)", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit("catalog_http needs the load generator wrk: install it (Debian/Ubuntu: apt-get install wrk) "
                     "and run the benchmark again.")


# Seed

def seed_catalog() -> tuple[list[tuple[str, str]], list[int]]:
    """100 sellers with 100 published products each; returns every (seller slug, product slug) and the categories."""
    category_ids = seed_categories()
    products = []
    for index in range(SELLER_COUNT):
        tenant = provision_tenant(f"seller-{index:03d}", f"Seller {index:03d}")
        seed_seller(tenant, category_ids)
        products += [(tenant.slug, f"product-{number}") for number in range(1, PRODUCTS_PER_SELLER + 1)]
    return products, category_ids


def seed_categories() -> list[int]:
    """Five departments of four aisles each; returns every id, departments first."""
    with UnitOfWork() as uow:
        department_ids = [uow.session.scalar(text(
            "INSERT INTO platform.categories (name, slug) VALUES (:name, :slug) RETURNING id"),
            {"name": f"Department {top}", "slug": f"department-{top}"}) for top in range(5)]
        aisle_ids = [uow.session.scalar(text(
            "INSERT INTO platform.categories (name, slug, parent_id) VALUES (:name, :slug, :parent) RETURNING id"),
            {"name": f"Aisle {top}.{aisle}", "slug": f"aisle-{top}-{aisle}", "parent": parent})
            for top, parent in enumerate(department_ids) for aisle in range(4)]
        uow.commit()
    return department_ids + aisle_ids


def seed_seller(tenant: TenantRef, category_ids: list[int]) -> None:
    """The seller's products, each in an aisle (a leaf category)."""
    with UnitOfWork(tenant) as uow:
        uow.session.execute(text(SEED_PRODUCTS), {"seller": tenant.slug, "category_ids": category_ids[5:],
                                                  "product_count": PRODUCTS_PER_SELLER})
        uow.session.execute(text(SEED_VARIANTS), {"currency": tenant.currency,
                                                  "variant_count": VARIANTS_PER_PRODUCT})
        uow.session.execute(text(SEED_STOCK))
        uow.session.execute(text(SEED_IMAGES))
        sync_listings(uow, tenant, uow.session.scalars(select(Product.id)).all())
        uow.commit()


# Load

def listing_paths(category_ids: list[int]) -> list[str]:
    """What buyers browse: pages of each sort, and category (department and aisle), seller, price and stock filters."""
    base = "/api/v1/products?page_size=20"
    paths = [f"{base}&sort={sort}&page={page}" for sort in ("newest", "price_asc", "price_desc")
             for page in range(1, 6)]
    paths += [f"{base}&category_id={category}" for category in category_ids]
    paths += [f"{base}&seller=seller-{index:03d}" for index in range(0, SELLER_COUNT, 10)]
    paths += [f"{base}&min_price=1000&max_price=3000&in_stock=true", f"{base}&in_stock=true&sort=price_asc"]
    return paths


def detail_paths(products: list[tuple[str, str]]) -> list[str]:
    hot = random.Random(7).sample(products, HOT_PRODUCT_COUNT)
    return [f"/api/v1/products/{seller}/{product}" for seller, product in hot]


def warm_up(base_url: str, paths: list[str]) -> None:
    """Read every path once, so that each run measures what buyers mostly get: cached reads."""
    for path in paths:
        with urllib.request.urlopen(base_url + path, timeout=30) as response:
            response.read()


def run_wrk(wrk: str, base_url: str, paths: list[str], seconds: int) -> RunResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"paths": ", ".join(f'"{path}"' for path in paths)})
    try:
        output = subprocess.run(
            [wrk, "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "-s", script.name, base_url],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    match = RESULT_PATTERN.search(output)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    requests, duration_us, non_2xx, socket_errors, p50, p95, p99 = map(int, match.groups())
    return RunResult(requests_per_second=requests / (duration_us / 1e6), p50_ms=p50 / 1000, p95_ms=p95 / 1000,
                     p99_ms=p99 / 1000, failures=non_2xx + socket_errors)


def median_result(results: list[RunResult]) -> RunResult:
    return RunResult(*(statistics.median(getattr(result, name) for result in results)
                       for name in ("requests_per_second", "p50_ms", "p95_ms", "p99_ms")),
                     failures=sum(result.failures for result in results))


def result_line(label: str, result: RunResult, ceiling: RunResult | None = None) -> str:
    share = f" | {result.requests_per_second / ceiling.requests_per_second:.0%} of the anchor" if ceiling else ""
    failures = f", {result.failures} FAILED requests" if result.failures else ""
    return (f"{label}: {result.requests_per_second:,.0f} req/s, p50 {result.p50_ms:.1f} ms, "
            f"p95 {result.p95_ms:.1f} ms, p99 {result.p99_ms:.1f} ms (median of {RUNS} x {RUN_SECONDS} s"
            f"{failures}){share}")


def main() -> None:
    print(f"== catalog reads over HTTP: {SELLER_COUNT} sellers x {PRODUCTS_PER_SELLER} products, gunicorn "
          f"{WORKERS} workers x {THREADS_PER_WORKER} threads, wrk {CONNECTIONS} connections ==", flush=True)
    wrk = ensure_wrk()
    BENCH_VAR_DIR.mkdir(parents=True, exist_ok=True)
    with bench_database("catalog_http") as database_url, bench_redis() as redis_url:
        started = time.perf_counter()
        products, category_ids = seed_catalog()
        print(f"(set-up: {len(products):,} products seeded in {time.perf_counter() - started:.1f} s)", flush=True)
        environment = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"}
        with gunicorn("wsgi:app", "/healthz", environment, WORKERS, THREADS_PER_WORKER) as app_url, \
                gunicorn("bench.catalog_http:ceiling_app()", "/ping", environment, WORKERS,
                         THREADS_PER_WORKER) as ceiling_url:
            targets = {
                "anchor": (ceiling_url, ["/ping"]),
                "listing": (app_url, listing_paths(category_ids)),
                "detail": (app_url, detail_paths(products)),
            }
            for base_url, paths in targets.values():
                warm_up(base_url, paths)
            runs: dict[str, list[RunResult]] = {name: [] for name in targets}
            for _ in range(RUNS):
                for name, (base_url, paths) in targets.items():
                    runs[name].append(run_wrk(wrk, base_url, paths, RUN_SECONDS))
    report({name: median_result(results) for name, results in runs.items()}, len(targets["listing"][1]))


def report(results: dict[str, RunResult], listing_variant_count: int) -> None:
    anchor = results["anchor"]
    print(result_line("anchor, minimal Flask endpoint", anchor), flush=True)
    print(result_line(f"marketplace listing ({listing_variant_count} query variants, 20 per page)",
                      results["listing"], anchor), flush=True)
    print(result_line(f"product detail ({HOT_PRODUCT_COUNT} hot products)", results["detail"], anchor), flush=True)
    listing_share = results["listing"].requests_per_second / anchor.requests_per_second
    detail_share = results["detail"].requests_per_second / anchor.requests_per_second
    print(goal_line(f"listing >= {GOAL_LISTING_SHARE:.0%} of the anchor", listing_share >= GOAL_LISTING_SHARE))
    print(goal_line(f"detail >= {GOAL_DETAIL_SHARE:.0%} of the anchor", detail_share >= GOAL_DETAIL_SHARE))
    print(goal_line(f"p95 < {GOAL_P95_MS:.0f} ms (listing and detail)",
                    max(results["listing"].p95_ms, results["detail"].p95_ms) < GOAL_P95_MS))
    print(goal_line("no failed requests", not any(result.failures for result in results.values())), flush=True)


if __name__ == "__main__":
    main()
