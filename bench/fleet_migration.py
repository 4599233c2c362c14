"""Fleet migration over 1,000 tenants on two servers: all at head (goal <= 30 s), then one additive revision
(goal <= 5 min).

Anchors, on one connection per server and without Alembic: for the fleet at
head, a loop reading each schema's alembic_version; for the revision, a loop
of one ALTER TABLE per schema, each in its own transaction. The revision is
measured several times by adding a new one before each run.
"""
from __future__ import annotations

import shutil
import statistics
import tempfile
from pathlib import Path

from bench.support import bench_database, figure_line, goal_line, median_and_p95, timed
from migrations import MIGRATIONS_DIR, head_revision
from tenants.fleet import FleetReport, MigrationStatus, load_tenants, migrate_fleet
from tenants.provisioning import provision_tenant
from tenants.shards import shards

TENANT_COUNT = 1000
AT_HEAD_RUNS = 5
REVISION_RUNS = 3
LOCK_TIMEOUT_MS = 5000
GOAL_AT_HEAD_SECONDS = 30
GOAL_REVISION_SECONDS = 300

REVISION_TEMPLATE = '''"""bench: products.bench_note_{number}"""
from alembic import op
import sqlalchemy as sa

revision = "bench{number}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("products", sa.Column("bench_note_{number}", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("products", "bench_note_{number}")
'''


def anchor_read_versions(schemas_by_shard: dict[str, list[str]]) -> None:
    for shard_key, schema_names in schemas_by_shard.items():
        with shards.engine(shard_key).connect() as conn:
            for schema_name in schema_names:
                conn.exec_driver_sql(f'SELECT version_num FROM "{schema_name}".alembic_version').all()


def anchor_alter_tables(schemas_by_shard: dict[str, list[str]], column: str) -> None:
    for shard_key, schema_names in schemas_by_shard.items():
        with shards.engine(shard_key).connect() as conn:
            for schema_name in schema_names:
                with conn.begin():
                    conn.exec_driver_sql(f'ALTER TABLE "{schema_name}".products ADD COLUMN {column} text')


def add_revision(tree: Path, number: int, down_revision: str) -> str:
    revision_file = tree / "versions" / f"bench{number}.py"
    revision_file.write_text(REVISION_TEMPLATE.format(number=number, down_revision=down_revision))
    return f"bench{number}"


def checked(report: FleetReport, expected: MigrationStatus) -> FleetReport:
    """The report, after making sure every tenant did what the figure claims."""
    if len(report.with_status(expected)) != TENANT_COUNT:
        raise RuntimeError(f"expected {TENANT_COUNT} {expected.value}, got {len(report.migrated)} migrated, "
                           f"{len(report.skipped)} skipped, {len(report.failed)} failed: {report.failed[:3]}")
    return report


def measure_at_head(schemas_by_shard: dict[str, list[str]]) -> None:
    run_seconds, anchor_seconds = [], []
    for _ in range(AT_HEAD_RUNS):
        anchor_seconds.append(timed(lambda: anchor_read_versions(schemas_by_shard)))
        report = checked(migrate_fleet(lock_timeout_ms=LOCK_TIMEOUT_MS), MigrationStatus.SKIPPED)
        run_seconds.append(report.seconds)
    print(figure_line(f"{TENANT_COUNT} tenants at head, whole run", run_seconds,
                      "one SELECT of alembic_version per schema", anchor_seconds), flush=True)
    print(goal_line(f"<= {GOAL_AT_HEAD_SECONDS} s", max(run_seconds) <= GOAL_AT_HEAD_SECONDS), flush=True)


def measure_revision(schemas_by_shard: dict[str, list[str]], tree: Path) -> None:
    run_seconds, anchor_seconds, tenant_seconds = [], [], []
    revision = head_revision("tenant")
    for number in range(1, REVISION_RUNS + 1):
        anchor_seconds.append(timed(lambda: anchor_alter_tables(schemas_by_shard, f"anchor_note_{number}")))
        revision = add_revision(tree, number, revision)
        report = checked(migrate_fleet(lock_timeout_ms=LOCK_TIMEOUT_MS, tenant_tree=tree), MigrationStatus.MIGRATED)
        run_seconds.append(report.seconds)
        tenant_seconds += [tenant.seconds for tenant in report.migrated]
    print(figure_line(f"one additive revision over {TENANT_COUNT} tenants, whole run", run_seconds,
                      "one ALTER TABLE per schema, sequential", anchor_seconds, unit="s"), flush=True)
    median, p95 = median_and_p95(tenant_seconds)
    print(f"  per tenant inside a worker: median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
          f" ({len(tenant_seconds)} tenant migrations)", flush=True)
    print(goal_line(f"<= {GOAL_REVISION_SECONDS} s", max(run_seconds) <= GOAL_REVISION_SECONDS), flush=True)


def main() -> None:
    print(f"== fleet migration, {TENANT_COUNT} tenants ==", flush=True)
    with bench_database("fleet", two_servers=True), tempfile.TemporaryDirectory() as scratch:
        provision_seconds = [timed(lambda: provision_tenant(f"fleet-{index:05d}", f"Fleet shop {index}"))
                             for index in range(TENANT_COUNT)]
        print(f"(set-up: {TENANT_COUNT} tenants provisioned in {sum(provision_seconds):.1f} s, "
              f"median {statistics.median(provision_seconds) * 1000:.1f} ms)", flush=True)
        schemas_by_shard: dict[str, list[str]] = {}
        for tenant in load_tenants():
            schemas_by_shard.setdefault(tenant.shard_key, []).append(tenant.schema_name)
        print("(tenants per server: " + ", ".join(f"{key} {len(names)}" for key, names in schemas_by_shard.items())
              + ")", flush=True)
        measure_at_head(schemas_by_shard)
        tree = Path(scratch) / "tenant"
        shutil.copytree(MIGRATIONS_DIR / "tenant", tree, ignore=shutil.ignore_patterns("__pycache__"))
        measure_revision(schemas_by_shard, tree)


if __name__ == "__main__":
    main()
