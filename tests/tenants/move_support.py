"""Arranging and reading a tenant that moves between the two test shards."""
from __future__ import annotations

import time

from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tenants import move_sql
from tenants.models import TenantRef
from tenants.move import tenant_tables
from tenants.outbox import OutboxMessage
from tenants.registry import get_tenant_by_id
from tenants.shards import shards

# What tests/tenants/move_process.py prints once it has recorded the step it stops after.
PAUSED = "paused after {}"


def seed_catalog(tenant: TenantRef, product_count: int, movements_per_variant: int = 1) -> None:
    """`product_count` published products `product-<n>` with one variant each, whose stock is the sum of its movements (+1 each)."""
    with shards.engine(tenant.shard_key).begin() as conn:
        conn.execute(text(f'SET LOCAL search_path TO "{tenant.schema_name}"'))
        conn.execute(text(
            "INSERT INTO products (slug, title, attributes, status, published_at)"
            " SELECT 'product-' || n, 'Product ' || n, jsonb_build_object('size', n % 7), 'published', now()"
            " FROM generate_series(1, :count) n"), {"count": product_count})
        conn.execute(text(
            "INSERT INTO variants (product_id, sku, price_amount, currency, stock_on_hand)"
            " SELECT id, 'SKU-' || id, 1000 + id, 'USD', :movements FROM products ORDER BY id"),
            {"movements": movements_per_variant})
        conn.execute(text(
            "INSERT INTO stock_movements (variant_id, quantity_delta, reason, note)"
            " SELECT v.id, 1, 'receipt', 'seed' FROM variants v, generate_series(1, :movements)"),
            {"movements": movements_per_variant})


@dataclass(frozen=True)
class CatalogState:
    """What must be equal before and after a move, read wherever the registry says the tenant lives."""

    shard_key: str
    product_count: int
    movement_count: int
    stock_by_variant: dict[int, int]
    movement_sum_by_variant: dict[int, int]
    fingerprints: dict[str, move_sql.TableFingerprint]


def catalog_state(tenant_id: int) -> CatalogState:
    tenant = get_tenant_by_id(tenant_id)
    with shards.engine(tenant.shard_key).begin() as conn:
        conn.execute(text(f'SET LOCAL search_path TO "{tenant.schema_name}"'))
        product_count = conn.scalar(text("SELECT count(*) FROM products"))
        movement_count = conn.scalar(text("SELECT count(*) FROM stock_movements"))
        stock = dict(conn.execute(text("SELECT id, stock_on_hand FROM variants")).all())
        sums = dict(conn.execute(text(
            "SELECT v.id, coalesce(sum(m.quantity_delta), 0) FROM variants v"
            " LEFT JOIN stock_movements m ON m.variant_id = v.id GROUP BY v.id")).all())
    with move_sql.connect(tenant.shard_key) as connection:
        prints = move_sql.fingerprints(connection, tenant.schema_name, tenant_tables())
    return CatalogState(tenant.shard_key, product_count, movement_count, stock, sums, prints)


def outbox_message_count(tenant_id: int, *, pending_only: bool = False, shard_keys: list[str] | None = None) -> int:
    """The tenant's outbox messages on every shard (or those named)."""
    count = 0
    for shard_key in shard_keys or shards.keys:
        with Session(shards.engine(shard_key)) as session:
            query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.tenant_id == tenant_id)
            if pending_only:
                query = query.where(OutboxMessage.dispatched_at.is_(None))
            count += session.scalar(query)
    return count


def schema_exists(shard_key: str, schema_name: str) -> bool:
    with shards.engine(shard_key).connect() as conn:
        return bool(conn.scalar(text("SELECT count(*) FROM pg_namespace WHERE nspname = :name"),
                                {"name": schema_name}))


def receive_stock(tenant: TenantRef, quantity: int, retry_seconds: float = 5) -> None:
    """The seller receives stock on its first variant, wherever the registry says it lives.

    Refused as `tenant_moving`, it tries again for up to `retry_seconds`, as a
    client told Retry-After would: a killed mover's session, and the freeze it
    held, end a moment after its process does, once the server sees the socket close.
    """
    deadline = time.monotonic() + retry_seconds
    while True:
        try:
            return _receive_stock(tenant, quantity)
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) != move_sql.TENANT_MOVING_SQLSTATE or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _receive_stock(tenant: TenantRef, quantity: int) -> None:
    current = get_tenant_by_id(tenant.id)
    with shards.engine(current.shard_key).begin() as conn:
        conn.execute(text(f'SET LOCAL search_path TO "{current.schema_name}"'))
        variant_id = conn.scalar(text("SELECT min(id) FROM variants"))
        conn.execute(text("INSERT INTO stock_movements (variant_id, quantity_delta, reason) "
                          "VALUES (:variant_id, :quantity, 'receipt')"), {"variant_id": variant_id, "quantity": quantity})
        conn.execute(text("UPDATE variants SET stock_on_hand = stock_on_hand + :quantity WHERE id = :variant_id"),
                     {"variant_id": variant_id, "quantity": quantity})
