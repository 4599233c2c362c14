"""How long after a seller's write the marketplace listing shows it, with a worker up, on two servers.

A seller's transaction may not write the listing (it lives in the control
database): the listing job applies it from an outbox message, and the same
process also applies it right after the commit (catalog/listing.py). Measured:
from the moment the seller's `update_product` call returns to the moment the
listing row carries the new version, polled every millisecond,
- as served: the after-commit apply, with the message as the guarantee;
- through the message alone (the after-commit apply switched off in this
  process): relay, RQ, one `python -m workers.worker` process, the job.
Anchor: the seller's write itself (the `update_product` call), in the same run.
Sellers are spread over both servers; p50 and p99 are printed.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import select

from bench.support import ROOT, SECOND_SHARD, bench_database, bench_redis
from marketplace.catalog import listing
from marketplace.catalog.models import ProductListing
from marketplace.catalog.schemas import ProductInputSchema
from marketplace.catalog.services import create_product, update_product
from tenants.models import TenantRef
from tenants.provisioning import provision_tenant
from tenants.shards import shards
from tenants.uow import UnitOfWork
from workers.relay import install_commit_relay

SELLER_COUNT = 10
PRODUCTS_PER_SELLER = 5
WRITES = int(os.environ.get("LISTING_LAG_WRITES", "300"))
POLL_SECONDS = 0.001
GIVE_UP_SECONDS = 30


def seed() -> list[tuple[TenantRef, int]]:
    products = []
    for index in range(SELLER_COUNT):
        tenant = provision_tenant(f"lag-{index:02d}", f"Lag shop {index}")
        for number in range(PRODUCTS_PER_SELLER):
            product = create_product(tenant, ProductInputSchema().load({"slug": f"p-{number}", "title": "Start"}))
            products.append((tenant, product.id))
    return products


def listed_version(tenant: TenantRef, product_id: int) -> int | None:
    with UnitOfWork() as uow:
        return uow.session.scalar(select(ProductListing.product_version).where(
            ProductListing.tenant_id == tenant.id, ProductListing.product_id == product_id))


def measure(products: list[tuple[TenantRef, int]], label: str) -> tuple[list[float], list[float]]:
    """Per write: seconds from the write's return to the listing showing it, and seconds of the write itself."""
    lags, writes = [], []
    for index in range(WRITES):
        tenant, product_id = products[index % len(products)]
        started = time.perf_counter()
        written = update_product(tenant, product_id, {"title": f"{label} {index}"})
        returned = time.perf_counter()
        while (listed_version(tenant, product_id) or 0) < written.version:
            if time.perf_counter() - returned > GIVE_UP_SECONDS:
                raise RuntimeError(f"write {index} not visible after {GIVE_UP_SECONDS} s")
            time.sleep(POLL_SECONDS)
        lags.append(time.perf_counter() - returned)
        writes.append(returned - started)
    return lags, writes


def percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {statistics.median(samples) * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms"


@contextmanager
def worker(database_url: str, redis_url: str) -> Iterator[None]:
    environment = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                   "LOG_LEVEL": os.environ.get("BENCH_WORKER_LOG_LEVEL", "WARNING"),
                   "SHARD_URLS": f"{SECOND_SHARD}={shards.url(SECOND_SHARD)}"}
    process = subprocess.Popen([sys.executable, "-m", "workers.worker", "read_models", "search"], cwd=ROOT,
                               env=environment)
    try:
        time.sleep(3)  # its start-up is not part of any figure
        yield
    finally:
        process.terminate()
        process.wait(30)


def main() -> None:
    print(f"== write to visible in the marketplace listing, {WRITES} writes, {SELLER_COUNT} sellers on 2 servers ==",
          flush=True)
    with bench_database("listing_lag", two_servers=True) as database_url, bench_redis() as redis_url:
        install_commit_relay()
        products = seed()
        with worker(database_url, redis_url):
            lags, writes = measure(products, "served")
            print(f"as served (after-commit apply + message): {percentiles(lags)}"
                  f" | anchor, the write itself: {percentiles(writes)}", flush=True)
            after_commit_apply = listing._apply_after_commit
            listing._apply_after_commit = lambda uow, tenant, product_ids: None
            try:
                lags, writes = measure(products, "message")
            finally:
                listing._apply_after_commit = after_commit_apply
            print(f"message path alone (relay, RQ, worker, job): {percentiles(lags)}"
                  f" | anchor, the write itself: {percentiles(writes)}", flush=True)


if __name__ == "__main__":
    main()
