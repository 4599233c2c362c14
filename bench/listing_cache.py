"""The listing cache's hit rate while sellers' stock changes, beside the same reads without writes.

100 sellers x 100 products are seeded as in bench/catalog_http.py. Buyers
read listing pages (the same 52 query variants: sorts and pages, categories,
sellers, price and stock filters) from threads of the app in this process,
while writer processes (other workers, as sellers' requests or checkout
would be) record 20 stock changes a second in all, each on a random variant of a
random seller's product, through the catalog service (a sale of one, or a
receipt of one when the variant has none left). Three runs of RUN_SECONDS
each, after a warm-up that reads every page once:

- no writes: the anchor, what the cache can do at best;
- stock changes, with the narrow invalidation (what the code does);
- stock changes, each also bumping the marketplace scope: the invalidation
  the listing had before (every catalog change emptied every page).

The hit rate is the response cache's own count of hits and misses of
`GET /products` (`storefront.response_cache.lookups`). Goal: at least 90%
with stock changes.
"""
from __future__ import annotations

import multiprocessing
import random
import threading
import time

from sqlalchemy import select

from bench.catalog_http import SELLER_COUNT, listing_paths, seed_catalog
from bench.support import BENCH_VAR_DIR, bench_database, bench_redis, goal_line
from marketplace.app import create_app
from marketplace.catalog.models import StockReason, Variant
from marketplace.catalog.services import record_stock_movement
from marketplace.catalog.stock import InsufficientStock
from marketplace.core.cache import MARKET_SCOPE, invalidate
from marketplace.core.extensions import redis_client
from marketplace.storefront import response_cache
from tenants.models import Tenant, TenantRef
from tenants.shards import DEFAULT_SHARD, shards
from tenants.uow import UnitOfWork

RUN_SECONDS = 15
READER_THREADS = 2
# Four writers of 5 changes/s each: one alone falls behind on a busy two-core machine.
WRITER_PROCESSES = 4
WRITER_START_SECONDS = 5
CHANGES_PER_SECOND = 20
GOAL_HIT_RATE = 0.90
LISTING_ENDPOINT = "storefront.Products"


def sellers() -> list[TenantRef]:
    with UnitOfWork() as uow:
        return [tenant.ref() for tenant in uow.session.scalars(select(Tenant).order_by(Tenant.id))]


def variants_of(tenant: TenantRef) -> list[tuple[int, int]]:
    """Every (product id, variant id) of the seller."""
    with UnitOfWork(tenant) as uow:
        return [tuple(row) for row in uow.session.execute(select(Variant.product_id, Variant.id))]


def change_stock(tenant: TenantRef, product_id: int, variant_id: int) -> None:
    """A sale of one, or a receipt of one when the variant has none left."""
    try:
        record_stock_movement(tenant, product_id, variant_id, -1, StockReason.SALE, "bench", actor_user_id=None)
    except InsufficientStock:
        record_stock_movement(tenant, product_id, variant_id, 1, StockReason.RECEIPT, "bench", actor_user_id=None)


def write_stock_changes(database_url: str, redis_url: str, catalog: dict[TenantRef, list[tuple[int, int]]],
                        start, stop, also_bump_market: bool, changes, seed: int) -> None:
    """Its share of CHANGES_PER_SECOND stock changes, paced, over every seller, from `start` to `stop`."""
    shards.configure({DEFAULT_SHARD: database_url}, pool_size=2)
    redis_client.configure(redis_url)
    chooser = random.Random(seed)
    tenants = list(catalog)
    start.wait()
    started, made = time.monotonic(), 0
    while not stop.is_set():
        tenant = chooser.choice(tenants)
        product_id, variant_id = chooser.choice(catalog[tenant])
        change_stock(tenant, product_id, variant_id)
        if also_bump_market:
            invalidate(MARKET_SCOPE)  # what every catalog change did before
        made += 1
        with changes.get_lock():
            changes.value += 1
        # Paced on the schedule, not on the last change: a slow change is caught up.
        delay = started + made / (CHANGES_PER_SECOND / WRITER_PROCESSES) - time.monotonic()
        if delay > 0:
            stop.wait(delay)


def read_listing(app, paths: list[str], stop: threading.Event, seed: int, failures: list[str]) -> None:
    chooser = random.Random(seed)
    client = app.test_client()
    while not stop.is_set():
        path = chooser.choice(paths)
        response = client.get(path)
        if response.status_code != 200:
            failures.append(f"{path}: {response.status_code}")


def run(app, paths: list[str], writer: dict | None = None, also_bump_market: bool = False,
        seed: int = 0) -> tuple[float, int, int, int]:
    """Returns (hit rate, reads, stock changes, failed reads and writer failures) of one run."""
    processes = multiprocessing.get_context("spawn")
    start, stop, changes = processes.Event(), processes.Event(), processes.Value("i", 0)
    failures: list[str] = []
    threads = [threading.Thread(target=read_listing, args=(app, paths, stop, reader, failures))
               for reader in range(READER_THREADS)]
    # Started (and their imports done) before the clock runs.
    writers = [processes.Process(target=write_stock_changes,
                                 kwargs={**writer, "start": start, "stop": stop, "also_bump_market": also_bump_market,
                                         "changes": changes, "seed": seed * WRITER_PROCESSES + number})
               for number in range(WRITER_PROCESSES if writer is not None else 0)]
    for process in writers:
        process.start()
    time.sleep(WRITER_START_SECONDS if writers else 0)
    hits_before = response_cache.lookups[f"{LISTING_ENDPOINT}:hit"]
    misses_before = response_cache.lookups[f"{LISTING_ENDPOINT}:miss"]
    start.set()
    for thread in threads:
        thread.start()
    time.sleep(RUN_SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    for process in writers:
        process.join(60)
        if process.exitcode != 0:
            failures.append(f"writer exit code {process.exitcode}")
    hits = response_cache.lookups[f"{LISTING_ENDPOINT}:hit"] - hits_before
    misses = response_cache.lookups[f"{LISTING_ENDPOINT}:miss"] - misses_before
    return hits / max(hits + misses, 1), hits + misses, changes.value, len(failures)


def main() -> None:
    print(f"== listing cache hit rate: {SELLER_COUNT} sellers, {CHANGES_PER_SECOND} stock changes/s, "
          f"{READER_THREADS} reader threads, {RUN_SECONDS} s a run ==", flush=True)
    BENCH_VAR_DIR.mkdir(parents=True, exist_ok=True)
    with bench_database("listing_cache") as database_url, bench_redis() as redis_url:
        started = time.perf_counter()
        products, category_ids = seed_catalog()
        app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
                          "RATE_LIMIT_ENABLED": False})
        with app.app_context():
            catalog = {tenant: variants_of(tenant) for tenant in sellers()}
            writer = {"database_url": database_url, "redis_url": redis_url, "catalog": catalog}
            paths = listing_paths(category_ids)
            client = app.test_client()
            for path in paths:
                client.get(path)
            print(f"(set-up: {len(products):,} products seeded, {len(paths)} listing pages read once, "
                  f"in {time.perf_counter() - started:.1f} s)", flush=True)
            results = {
                "no writes (anchor)": run(app, paths, None),
                "stock changes, narrow invalidation": run(app, paths, writer),
                "stock changes, marketplace-wide invalidation (before)": run(app, paths, writer, True, seed=1),
            }
    for label, (hit_rate, reads, changes, failures) in results.items():
        failed = f", {failures} FAILED reads" if failures else ""
        print(f"{label}: hit rate {hit_rate:.1%} of {reads:,} listing reads, {changes / RUN_SECONDS:.1f} stock "
              f"changes/s{failed}", flush=True)
    narrow_hit_rate, _, narrow_changes, _ = results["stock changes, narrow invalidation"]
    reached = narrow_changes / RUN_SECONDS
    print(goal_line(f"hit rate >= {GOAL_HIT_RATE:.0%} with {CHANGES_PER_SECOND} stock changes/s",
                    narrow_hit_rate >= GOAL_HIT_RATE and reached >= 0.9 * CHANGES_PER_SECOND))
    if reached < 0.9 * CHANGES_PER_SECOND:
        print(f"  (the writers made {reached:.1f} changes/s only: the machine was too busy for the goal's rate)")
    print(goal_line("no failed reads", not any(result[3] for result in results.values())), flush=True)


if __name__ == "__main__":
    main()
