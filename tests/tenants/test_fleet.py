"""Fleet migrations: 50 tenants over two shards, one new revision, one tenant that cannot take it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from migrations import MIGRATIONS_DIR, head_revision
from tenants.fleet import MigrationStatus, migrate_fleet, read_versions
from tenants.provisioning import provision_tenant
from tenants.shards import shards

TENANT_COUNT = 50
LOCK_TIMEOUT_MS = 300

# The tree's head when the test runs, and the additive revision the test adds on top of it.
HEAD = head_revision("tenant")
NEW_REVISION = "tfleettest"

ADDITIVE_REVISION = f'''"""catalog: product notes and subtitles

Revision ID: {NEW_REVISION}
Revises: {HEAD}
"""
from alembic import op
import sqlalchemy as sa

revision = "{NEW_REVISION}"
down_revision = "{HEAD}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "product_notes",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.add_column("products", sa.Column("subtitle", sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column("products", "subtitle")
    op.drop_table("product_notes")
'''


@pytest.fixture
def tenant_tree_with_new_revision(tmp_path) -> Path:
    """A copy of the tenant tree with one more, additive revision."""
    tree = tmp_path / "tenant"
    shutil.copytree(MIGRATIONS_DIR / "tenant", tree, ignore=shutil.ignore_patterns("__pycache__"))
    (tree / "versions" / "9999_product_notes.py").write_text(ADDITIVE_REVISION)
    return tree


@pytest.fixture
def fleet(app):
    return [provision_tenant(f"shop-{index:02d}", f"Shop {index}") for index in range(TENANT_COUNT)]


@pytest.fixture
def products_table_locked(fleet):
    """Another transaction holds the products table of one tenant, as a long-running write would."""
    busy_tenant = fleet[17]
    connection = shards.engine(busy_tenant.shard_key).connect()
    transaction = connection.begin()
    connection.exec_driver_sql(f'LOCK TABLE "{busy_tenant.schema_name}".products IN ACCESS EXCLUSIVE MODE')
    yield busy_tenant, transaction
    if transaction.is_active:
        transaction.rollback()
    connection.close()


def _schemas_with(table: str, column: str) -> set[str]:
    """The schemas, on every shard, whose `table` has `column`."""
    found: set[str] = set()
    for shard_key in shards.keys:
        with shards.engine(shard_key).connect() as conn:
            found.update(conn.execute(text(
                "SELECT table_schema FROM information_schema.columns"
                " WHERE table_name = :table AND column_name = :column"
            ), {"table": table, "column": column}).scalars())
    return found


def test_a_busy_tenant_fails_alone_and_the_others_migrate(fleet, products_table_locked, tenant_tree_with_new_revision):
    busy_tenant, _ = products_table_locked

    report = migrate_fleet(lock_timeout_ms=LOCK_TIMEOUT_MS, jobs=2, tenant_tree=tenant_tree_with_new_revision)

    assert {tenant.shard_key for tenant in fleet} == {"default", "second"}
    assert len(report.migrated) == TENANT_COUNT - 1
    [failure] = report.failed
    assert (failure.slug, failure.from_revision, failure.to_revision) == (busy_tenant.slug, HEAD, HEAD)
    assert "lock timeout" in failure.error
    others = {tenant.schema_name for tenant in fleet} - {busy_tenant.schema_name}
    assert _schemas_with("products", "subtitle") == others
    # Its transaction rolled back whole: not even the table created before the lock wait survived.
    assert _schemas_with("product_notes", "body") == others
    assert read_versions(fleet)[busy_tenant.schema_name] == (HEAD,)


def test_rerun_completes_the_failed_tenant_and_a_third_run_skips_all(
    fleet, products_table_locked, tenant_tree_with_new_revision
):
    busy_tenant, lock = products_table_locked
    migrate_fleet(lock_timeout_ms=LOCK_TIMEOUT_MS, jobs=2, tenant_tree=tenant_tree_with_new_revision)
    lock.rollback()

    rerun = migrate_fleet(lock_timeout_ms=LOCK_TIMEOUT_MS, jobs=2, tenant_tree=tenant_tree_with_new_revision)
    third_run = migrate_fleet(lock_timeout_ms=LOCK_TIMEOUT_MS, jobs=2, tenant_tree=tenant_tree_with_new_revision)

    assert [(tenant.slug, tenant.from_revision, tenant.to_revision) for tenant in rerun.migrated] == [
        (busy_tenant.slug, HEAD, NEW_REVISION)]
    assert len(rerun.skipped) == TENANT_COUNT - 1
    assert rerun.failed == []
    assert len(third_run.skipped) == TENANT_COUNT
    assert _schemas_with("products", "subtitle") == {tenant.schema_name for tenant in fleet}


def test_report_lists_every_tenant_with_its_revisions(fleet, tenant_tree_with_new_revision):
    report = migrate_fleet(lock_timeout_ms=LOCK_TIMEOUT_MS, jobs=2, tenant_tree=tenant_tree_with_new_revision)

    assert [tenant.slug for tenant in report.tenants] == [tenant.slug for tenant in fleet]
    assert {(t.status, t.from_revision, t.to_revision, t.error) for t in report.tenants} == {
        (MigrationStatus.MIGRATED, HEAD, NEW_REVISION, None)}
    assert all(tenant.seconds > 0 for tenant in report.tenants)


def test_only_the_named_tenants_are_migrated(fleet, tenant_tree_with_new_revision):
    chosen = [fleet[3].slug, fleet[40].slug]

    report = migrate_fleet(chosen, lock_timeout_ms=LOCK_TIMEOUT_MS, jobs=2, tenant_tree=tenant_tree_with_new_revision)

    assert [tenant.slug for tenant in report.migrated] == chosen
    assert _schemas_with("products", "subtitle") == {fleet[3].schema_name, fleet[40].schema_name}
