"""Parity: a provisioned tenant schema equals the tenant migration tree replayed from base.

Provisioning builds tables from the models and stamps head; fleet migrations
replay revisions. If the two drifted apart, old and new tenants would differ
in ways no test of either alone would notice, so both are read back from
pg_catalog and compared fact by fact.
"""
from __future__ import annotations

import difflib

from sqlalchemy import Connection, text

from tenants.fleet import tenant_tree_config, upgrade_tenant_schema
from tenants.provisioning import provision_tenant
from tenants.shards import shards

# Named like a tenant schema so that the per-test cleanup drops it too.
REPLAY_SCHEMA = "tenant_999999999"
SCHEMA_PLACEHOLDER = "<tenant>"

RELATIONS = """
    SELECT 'relation ' || c.relname || ' kind=' || c.relkind::text
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema AND c.relkind <> 'i'
"""
# Columns are compared by name, not position: a later revision can only
# append a column, while a model may declare it anywhere.
COLUMNS = """
    SELECT 'column ' || c.relname || '.' || a.attname || ': ' || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE ' NULL' END
           || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '<none>')
           || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
"""
CONSTRAINTS = """
    SELECT 'constraint ' || c.relname || '.' || k.conname || ' type=' || k.contype::text || ': '
           || pg_get_constraintdef(k.oid)
    FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema
"""
INDEXES = """
    SELECT 'index ' || i.tablename || '.' || i.indexname || ': ' || i.indexdef
    FROM pg_indexes i
    WHERE i.schemaname = :schema
"""
SEQUENCES = """
    SELECT 'sequence ' || c.relname || ': ' || format_type(s.seqtypid, NULL) || ' start=' || s.seqstart
           || ' increment=' || s.seqincrement || ' cycle=' || s.seqcycle::text
    FROM pg_sequence s
    JOIN pg_class c ON c.oid = s.seqrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema
"""


def schema_facts(connection: Connection, schema_name: str) -> list[str]:
    """Every structural fact of a schema plus its recorded revisions, with the schema's own name neutralised."""
    facts = []
    for query in (RELATIONS, COLUMNS, CONSTRAINTS, INDEXES, SEQUENCES):
        facts += connection.execute(text(query), {"schema": schema_name}).scalars().all()
    facts += [f"alembic_version {version}" for version in connection.execute(
        text(f'SELECT version_num FROM "{schema_name}".alembic_version')).scalars()]
    return sorted(fact.replace(f'"{schema_name}"', SCHEMA_PLACEHOLDER).replace(schema_name, SCHEMA_PLACEHOLDER)
                  for fact in facts)


def schema_diff(provisioned: list[str], replayed: list[str]) -> list[str]:
    return list(difflib.unified_diff(provisioned, replayed, "provisioned (models + stamp)",
                                     "replayed (tenant tree from base)", lineterm="", n=0))


def replay_tenant_tree(connection: Connection, schema_name: str) -> None:
    connection.exec_driver_sql(f'CREATE SCHEMA "{schema_name}"')
    upgrade_tenant_schema(connection, schema_name, tenant_tree_config(), lock_timeout_ms=5000)


def test_provisioned_schema_equals_the_replayed_migration_tree(app):
    tenant = provision_tenant("acme", "Acme Tools")
    with shards.engine().begin() as connection:
        replay_tenant_tree(connection, REPLAY_SCHEMA)

    with shards.engine().connect() as connection:
        provisioned = schema_facts(connection, tenant.schema_name)
        replayed = schema_facts(connection, REPLAY_SCHEMA)

    assert any(fact.startswith("column products.") for fact in provisioned), provisioned
    diff = schema_diff(provisioned, replayed)
    assert not diff, "tenant schema drifted from the migration tree:\n" + "\n".join(diff)


def test_comparison_names_a_column_the_migration_tree_lacks(app):
    tenant = provision_tenant("acme", "Acme Tools")
    with shards.engine().begin() as connection:
        replay_tenant_tree(connection, REPLAY_SCHEMA)
        connection.exec_driver_sql(f'ALTER TABLE "{tenant.schema_name}".products ADD COLUMN subtitle text')

    with shards.engine().connect() as connection:
        diff = schema_diff(schema_facts(connection, tenant.schema_name), schema_facts(connection, REPLAY_SCHEMA))

    assert "-column products.subtitle: text NULL default=<none> identity= generated=" in diff
