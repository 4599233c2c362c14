"""Provisioning: a registry row, then the whole schema on the chosen shard or nothing, finished by its job."""
from __future__ import annotations

import pytest
from sqlalchemy import MetaData, text

from marketplace import create_app
from migrations import MIGRATIONS_DIR, head_revision
from tenants import provisioning, tenant_schema
from tenants.models import TenantRef
from tenants.provisioning import SlugTaken, complete_provisioning, provision_tenant
from tenants.registry import TenantNotFound, get_tenant_by_slug
from tenants.shards import UnknownShard, shards
from tests.shard_support import tenant_schemas, tenant_schemas_by_shard, tenant_sql
from tests.workers.support import run_jobs
from tenants.slugs import InvalidSlug
from tenants.tenant_schema import TenantSchema, TenantSchemaNotRegistered, registered_tenant_schema


class InjectedFailure(Exception):
    """Raised on purpose by a provisioning step."""


def _registry_slugs() -> list[str]:
    with shards.engine().connect() as conn:
        return conn.execute(text("SELECT slug FROM platform.tenants ORDER BY id")).scalars().all()


def _recorded_version(tenant: TenantRef) -> list[str]:
    return [row[0] for row in tenant_sql(tenant, "SELECT version_num FROM alembic_version")]


def _fail_after(step):
    def failing_step(*args, **kwargs):
        step(*args, **kwargs)
        raise InjectedFailure(step.__name__)

    return failing_step


def test_provisioned_tenant_has_its_schema_at_head(app):
    tenant = provision_tenant("acme", "Acme Tools")

    assert _registry_slugs() == ["acme"]
    assert tenant_schemas() == [tenant.schema_name]
    assert _recorded_version(tenant) == [head_revision("tenant")]


def test_new_tenants_go_to_the_shard_with_the_fewest_unless_one_is_named(app):
    placed = [provision_tenant(f"shop-{index}", f"Shop {index}") for index in range(3)]
    named = provision_tenant("named-shop", "Named Shop", shard_key="default")

    assert [tenant.shard_key for tenant in placed] == ["default", "second", "default"]
    assert named.shard_key == "default"
    assert tenant_schemas_by_shard() == {
        "default": sorted([placed[0].schema_name, placed[2].schema_name, named.schema_name]),
        "second": [placed[1].schema_name],
    }
    assert get_tenant_by_slug("shop-1").shard_key == "second"


def test_an_unknown_shard_is_refused_and_changes_nothing(app):
    with pytest.raises(UnknownShard):
        provision_tenant("acme", "Acme Tools", shard_key="nowhere")

    assert _registry_slugs() == []
    assert tenant_schemas() == []


@pytest.mark.parametrize("step", ["_create_schema", "_create_tables", "_record_version"])
def test_a_failure_mid_way_leaves_no_schema_and_its_job_finishes_the_tenant(app, monkeypatch, step):
    with monkeypatch.context() as patch:
        patch.setattr(provisioning, step, _fail_after(getattr(provisioning, step)))
        provision_tenant("acme", "Acme Tools")

    assert tenant_schemas() == []
    with pytest.raises(TenantNotFound):
        get_tenant_by_slug("acme")

    run_jobs(app)  # the outbox message of the registration

    tenant = get_tenant_by_slug("acme")
    assert tenant_schemas() == [tenant.schema_name]
    assert _recorded_version(tenant) == [head_revision("tenant")]


def test_completing_a_provisioning_twice_builds_nothing_twice(app):
    tenant = provision_tenant("acme", "Acme Tools")

    assert complete_provisioning(tenant.id) is False
    run_jobs(app)

    assert tenant_schemas() == [tenant.schema_name]


def test_taken_slug_is_refused_and_changes_nothing(app):
    first = provision_tenant("acme", "Acme Tools")

    with pytest.raises(SlugTaken):
        provision_tenant("acme", "Another Acme")

    assert _registry_slugs() == ["acme"]
    assert tenant_schemas() == [first.schema_name]


@pytest.mark.parametrize("slug, reason", [
    ("ab", "3 to 40 characters"),
    ("a" * 41, "3 to 40 characters"),
    ("Acme", "lowercase"),
    ("acme tools", "lowercase"),
    ("-acme", "start and end"),
    ("acme-", "start and end"),
    ("ac--me", "single hyphens"),
    ("acme_tools", "lowercase"),
    ('acme"; DROP SCHEMA platform; --', "lowercase"),
    ("tenant_1", "lowercase"),
    ("admin", "reserved"),
    ("api", "reserved"),
    ("operator", "reserved"),
    ("tenants", "reserved"),
])
def test_invalid_and_reserved_slugs_are_refused(app, slug, reason):
    with pytest.raises(InvalidSlug, match=reason):
        provision_tenant(slug, "Some Shop")

    assert _registry_slugs() == []
    assert tenant_schemas() == []


def test_schema_name_comes_from_the_tenant_id_never_from_the_slug(app):
    first = provision_tenant("tenant-7", "Looks Like A Schema")
    second = provision_tenant("shop-2", "Second Shop")

    assert first.schema_name == f"tenant_{first.id}"
    assert second.schema_name == f"tenant_{second.id}"
    assert tenant_schemas() == sorted([first.schema_name, second.schema_name])


@pytest.mark.parametrize("registered", [
    None,  # nothing registered at start-up
    TenantSchema(MetaData(), MIGRATIONS_DIR / "tenant"),  # registered before any model module was imported
], ids=["nothing registered", "no tables registered"])
def test_provisioning_refuses_without_registered_tenant_tables_and_changes_nothing(app, monkeypatch, registered):
    monkeypatch.setattr(tenant_schema, "_registered", registered)

    with pytest.raises(TenantSchemaNotRegistered, match="register_tenant_schema"):
        provision_tenant("acme", "Acme Tools")

    assert _registry_slugs() == []
    assert tenant_schemas() == []


def test_the_app_registers_every_tenant_table_and_the_tenant_tree_at_start_up(app, monkeypatch):
    monkeypatch.setattr(tenant_schema, "_registered", None)

    create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SHARD_URLS": app.config["SHARD_URLS"],
                "REDIS_URL": app.config["REDIS_URL"],
                "LOG_LEVEL": app.config["LOG_LEVEL"]})

    registered = registered_tenant_schema()
    assert {"tenant.products", "tenant.storefront_settings"} <= set(registered.metadata.tables)
    assert registered.migration_tree == MIGRATIONS_DIR / "tenant"
