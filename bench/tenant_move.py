"""Online tenant move: 10,000 products and 100,000 stock movements, between two PostgreSQL servers.

Figures: the whole move and its freeze (the seller's writes refused, from the
freeze to the flip), while a writer keeps recording stock movements. Goal:
freeze under 2 s. Anchor: `pg_dump -Fc -n <schema> | pg_restore` of the same
schema to the other server, timed just before each move (an offline copy,
with nothing captured, frozen or verified).
"""
from __future__ import annotations

import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pgserver
import psycopg
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bench.support import BENCH_VAR_DIR, bench_database, figure_line, goal_line, median_and_p95, psycopg_url
from marketplace.core.embedded import drop_embedded_database, embedded_database_url
from tenants.move import MoveSettings, run_move, start_or_resume_move
from tenants.move_sql import TENANT_MOVING_SQLSTATE
from tenants.provisioning import provision_tenant
from tenants.registry import get_tenant_by_id
from tenants.shards import DEFAULT_SHARD, shards

PRODUCT_COUNT = 10_000
MOVEMENTS_PER_VARIANT = 10
MOVES = 3
GOAL_FREEZE_SECONDS = 2.0
SECOND_SHARD = "second"
PG_BIN = Path(pgserver.__file__).resolve().parent / "pginstall" / "bin"


@contextmanager
def second_server_database() -> Iterator[str]:
    url = embedded_database_url(BENCH_VAR_DIR / "shard2", database=f"bench_move_{uuid.uuid4().hex[:6]}")
    try:
        yield url
    finally:
        shards.dispose()
        drop_embedded_database(url)


def seed_catalog(tenant_id: int) -> None:
    tenant = get_tenant_by_id(tenant_id)
    with shards.engine(tenant.shard_key).begin() as conn:
        conn.execute(text(f'SET LOCAL search_path TO "{tenant.schema_name}"'))
        conn.execute(text("INSERT INTO products (slug, title, description, status, published_at)"
                          " SELECT 'product-' || n, 'Product ' || n, repeat('A fine product. ', 10), 'published',"
                          " now() FROM generate_series(1, :count) n"), {"count": PRODUCT_COUNT})
        conn.execute(text("INSERT INTO variants (product_id, sku, price_amount, currency, stock_on_hand)"
                          " SELECT id, 'SKU-' || id, 1000 + id, 'USD', :movements FROM products"),
                     {"movements": MOVEMENTS_PER_VARIANT})
        conn.execute(text("INSERT INTO stock_movements (variant_id, quantity_delta, reason, note)"
                          " SELECT v.id, 1, 'receipt', 'seed' FROM variants v, generate_series(1, :movements)"),
                     {"movements": MOVEMENTS_PER_VARIANT})


class StockWriter:
    """Records a stock movement every few milliseconds wherever the registry says the tenant lives; retries refusals."""

    def __init__(self, tenant_id: int):
        self.tenant_id = tenant_id
        self.stop = threading.Event()
        self.written = 0
        self.refused = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "StockWriter":
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        self.thread.join()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self._write_one()
                self.written += 1
            except DBAPIError as error:
                if getattr(error.orig, "sqlstate", None) != TENANT_MOVING_SQLSTATE:
                    raise
                self.refused += 1
            time.sleep(0.005)

    def _write_one(self) -> None:
        tenant = get_tenant_by_id(self.tenant_id)
        with shards.engine(tenant.shard_key).begin() as conn:
            conn.execute(text(f'SET LOCAL search_path TO "{tenant.schema_name}"'))
            variant_id = 1 + self.written % PRODUCT_COUNT
            conn.execute(text("INSERT INTO stock_movements (variant_id, quantity_delta, reason) "
                              "VALUES (:variant_id, 1, 'receipt')"), {"variant_id": variant_id})
            conn.execute(text("UPDATE variants SET stock_on_hand = stock_on_hand + 1 WHERE id = :variant_id"),
                         {"variant_id": variant_id})


def dump_and_restore_seconds(schema_name: str, source_url: str, target_server_url: str) -> float:
    """`pg_dump -Fc -n schema | pg_restore` into a scratch database on the target server, timed."""
    scratch = f"bench_restore_{uuid.uuid4().hex[:6]}"
    admin = psycopg_url(target_server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{scratch}"')
    scratch_url = _with_database(admin, scratch)
    try:
        started = time.perf_counter()
        dump = subprocess.Popen([PG_BIN / "pg_dump", "-Fc", "-n", schema_name, "-d", psycopg_url(source_url)],
                                stdout=subprocess.PIPE)
        subprocess.run([PG_BIN / "pg_restore", "--no-owner", "-d", scratch_url], stdin=dump.stdout, check=True)
        dump.stdout.close()
        if dump.wait() != 0:
            raise RuntimeError("pg_dump failed")
        return time.perf_counter() - started
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{scratch}"')


def _with_database(url: str, database: str) -> str:
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + database + ("?" + query if query else "")


def main() -> None:
    print("== online tenant move ==", flush=True)
    with bench_database("move") as default_url, second_server_database() as second_url:
        shards.configure({DEFAULT_SHARD: default_url, SECOND_SHARD: second_url}, pool_size=2)
        move_seconds, freeze_seconds, anchor_seconds = [], [], []
        for run in range(1, MOVES + 1):
            # A fresh seller each run, always from `default`: the same work every time.
            tenant = provision_tenant(f"bench-mover-{run}", f"Bench Mover {run}", shard_key=DEFAULT_SHARD)
            seed_catalog(tenant.id)
            anchor_seconds.append(dump_and_restore_seconds(tenant.schema_name, default_url, second_url))
            with StockWriter(tenant.id) as writer:
                started = time.perf_counter()
                view = run_move(start_or_resume_move(tenant, SECOND_SHARD), MoveSettings(grace_seconds=0))
                move_seconds.append(time.perf_counter() - started)
            freeze_seconds.append(view.freeze_seconds)
            print(f"  run {run}: {view.status.value} in {move_seconds[-1]:.2f} s, freeze "
                  f"{view.freeze_seconds * 1000:.0f} ms, {view.changes_applied} changes copied after the snapshot, "
                  f"writer: {writer.written} writes, {writer.refused} refused", flush=True)
        print(figure_line(f"move of {PRODUCT_COUNT:,} products and {PRODUCT_COUNT * MOVEMENTS_PER_VARIANT:,} "
                          "stock movements", move_seconds, "pg_dump -Fc -n | pg_restore", anchor_seconds, unit="s"),
              flush=True)
        freeze_median, _ = median_and_p95(freeze_seconds)
        print(f"freeze (writes refused): median {freeze_median * 1000:.0f} ms, max {max(freeze_seconds) * 1000:.0f} ms",
              flush=True)
        print(goal_line(f"freeze < {GOAL_FREEZE_SECONDS:.0f} s", max(freeze_seconds) < GOAL_FREEZE_SECONDS), flush=True)


if __name__ == "__main__":
    main()
