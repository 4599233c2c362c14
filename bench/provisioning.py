"""Tenant provisioning on two servers: median and p95 over 200 provisions, with 100 and with 2,000 tenants there.

Goal: p95 at most 150 ms, and flat as the fleet grows. Anchor: a bare
transaction that creates a schema and one table, timed alternately with the
provisions so both see the same machine load and catalog size.
"""
from __future__ import annotations

from sqlalchemy import Engine

from bench.support import bench_database, figure_line, goal_line, median_and_p95, timed
from tenants.provisioning import provision_tenant
from tenants.shards import shards

MEASURED_PROVISIONS = 200
EXISTING_TENANT_COUNTS = (100, 2000)
GOAL_P95_SECONDS = 0.150

ANCHOR_TABLE = """
    CREATE TABLE "{schema}".products (
        id BIGSERIAL PRIMARY KEY,
        slug VARCHAR(120) NOT NULL UNIQUE,
        title VARCHAR(200) NOT NULL
    )
"""


class TenantCounter:
    """Hands out unique slugs and counts the tenants made."""

    def __init__(self) -> None:
        self.count = 0

    def provision(self) -> None:
        self.count += 1
        provision_tenant(f"bench-{self.count:05d}", f"Bench shop {self.count}")


def anchor_schema_and_table(engine: Engine, index: int) -> None:
    schema = f"anchor_{index}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        conn.exec_driver_sql(ANCHOR_TABLE.format(schema=schema))


def drop_anchor_schemas(engine: Engine, count: int) -> None:
    with engine.begin() as conn:
        for index in range(count):
            conn.exec_driver_sql(f'DROP SCHEMA "anchor_{index}" CASCADE')


def measure_at(existing_count: int, tenants: TenantCounter) -> tuple[list[float], list[float]]:
    """Seconds of each measured provision and of each anchor, once `existing_count` tenants exist."""
    engine = shards.engine()
    while tenants.count < existing_count:
        tenants.provision()
    provision_seconds: list[float] = []
    anchor_seconds: list[float] = []
    for index in range(MEASURED_PROVISIONS):
        anchor_seconds.append(timed(lambda: anchor_schema_and_table(engine, index)))
        provision_seconds.append(timed(tenants.provision))
    drop_anchor_schemas(engine, MEASURED_PROVISIONS)
    return provision_seconds, anchor_seconds


def main() -> None:
    print("== tenant provisioning ==", flush=True)
    medians = []
    with bench_database("provisioning", two_servers=True):
        tenants = TenantCounter()
        for existing_count in EXISTING_TENANT_COUNTS:
            provision_seconds, anchor_seconds = measure_at(existing_count, tenants)
            median, p95 = median_and_p95(provision_seconds)
            medians.append(median)
            print(figure_line(f"provision with {existing_count} existing tenants", provision_seconds,
                              "CREATE SCHEMA + one CREATE TABLE", anchor_seconds), flush=True)
            print(goal_line(f"p95 <= {GOAL_P95_SECONDS * 1000:.0f} ms", p95 <= GOAL_P95_SECONDS), flush=True)
    print(f"growth: median at {EXISTING_TENANT_COUNTS[-1]} tenants is {medians[-1] / medians[0]:.2f}x"
          f" the median at {EXISTING_TENANT_COUNTS[0]}", flush=True)


if __name__ == "__main__":
    main()
