"""Provisioning: one transaction that leaves a whole tenant or nothing at all."""
from __future__ import annotations

import pytest
from sqlalchemy import MetaData, text

from marketplace import create_app
from migrations import MIGRATIONS_DIR, head_revision
from tenants import provisioning, tenant_schema
from tenants.provisioning import SlugTaken, provision_tenant
from tenants.shards import shards
from tenants.slugs import InvalidSlug
from tenants.tenant_schema import TenantSchema, TenantSchemaNotRegistered, registered_tenant_schema


class InjectedFailure(Exception):
    """Raised on purpose by a provisioning step."""


def _registry_slugs() -> list[str]:
    with shards.engine().connect() as conn:
        return conn.execute(text("SELECT slug FROM platform.tenants ORDER BY id")).scalars().all()


def _tenant_schemas() -> list[str]:
    with shards.engine().connect() as conn:
        return conn.execute(text(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY nspname"
        )).scalars().all()


def _recorded_version(schema_name: str) -> list[str]:
    with shards.engine().connect() as conn:
        return conn.execute(text(f'SELECT version_num FROM "{schema_name}".alembic_version')).scalars().all()


def _fail_after(step):
    def failing_step(*args, **kwargs):
        step(*args, **kwargs)
        raise InjectedFailure(step.__name__)

    return failing_step


def test_provisioned_tenant_has_its_schema_at_head(app):
    tenant = provision_tenant("acme", "Acme Tools")

    assert _registry_slugs() == ["acme"]
    assert _tenant_schemas() == [tenant.schema_name]
    assert _recorded_version(tenant.schema_name) == [head_revision("tenant")]


@pytest.mark.parametrize("step", ["_create_schema", "_create_tables", "_record_version"])
def test_failure_mid_way_leaves_no_schema_and_no_registry_row(app, monkeypatch, step):
    monkeypatch.setattr(provisioning, step, _fail_after(getattr(provisioning, step)))

    with pytest.raises(InjectedFailure):
        provision_tenant("acme", "Acme Tools")

    assert _registry_slugs() == []
    assert _tenant_schemas() == []


def test_slug_of_a_failed_provisioning_can_be_provisioned_again(app, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(provisioning, "_record_version", _fail_after(provisioning._record_version))
        with pytest.raises(InjectedFailure):
            provision_tenant("acme", "Acme Tools")

    tenant = provision_tenant("acme", "Acme Tools")

    assert _registry_slugs() == ["acme"]
    assert _tenant_schemas() == [tenant.schema_name]


def test_taken_slug_is_refused_and_changes_nothing(app):
    first = provision_tenant("acme", "Acme Tools")

    with pytest.raises(SlugTaken):
        provision_tenant("acme", "Another Acme")

    assert _registry_slugs() == ["acme"]
    assert _tenant_schemas() == [first.schema_name]


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
    assert _tenant_schemas() == []


def test_schema_name_comes_from_the_tenant_id_never_from_the_slug(app):
    first = provision_tenant("tenant-7", "Looks Like A Schema")
    second = provision_tenant("shop-2", "Second Shop")

    assert first.schema_name == f"tenant_{first.id}"
    assert second.schema_name == f"tenant_{second.id}"
    assert _tenant_schemas() == sorted([first.schema_name, second.schema_name])


@pytest.mark.parametrize("registered", [
    None,  # nothing registered at start-up
    TenantSchema(MetaData(), MIGRATIONS_DIR / "tenant"),  # registered before any model module was imported
], ids=["nothing registered", "no tables registered"])
def test_provisioning_refuses_without_registered_tenant_tables_and_changes_nothing(app, monkeypatch, registered):
    monkeypatch.setattr(tenant_schema, "_registered", registered)

    with pytest.raises(TenantSchemaNotRegistered, match="register_tenant_schema"):
        provision_tenant("acme", "Acme Tools")

    assert _registry_slugs() == []
    assert _tenant_schemas() == []


def test_the_app_registers_every_tenant_table_and_the_tenant_tree_at_start_up(app, monkeypatch):
    monkeypatch.setattr(tenant_schema, "_registered", None)

    create_app({"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"],
                "LOG_LEVEL": app.config["LOG_LEVEL"]})

    registered = registered_tenant_schema()
    assert {"tenant.products", "tenant.storefront_settings"} <= set(registered.metadata.tables)
    assert registered.migration_tree == MIGRATIONS_DIR / "tenant"
