"""The shared migration tree builds exactly the tables (and triggers) the models declare."""
import psycopg
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, text

from marketplace.tables import shard_metadata, shared_metadata
from tenants.db import SHARD_SCHEMA, SHARED_SCHEMA
from tenants.shards import shards


def test_shared_schema_after_migrations_matches_the_models(app):
    with shards.engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_schemas": True,
            "include_name": lambda name, type_, parent: type_ != "schema" or name == SHARED_SCHEMA,
            "version_table_schema": SHARED_SCHEMA,
        })
        differences = compare_metadata(context, shared_metadata)

    assert differences == []


def test_every_shard_database_has_the_shard_schema_the_models_declare(app):
    for shard_key in shards.keys:
        with shards.engine(shard_key).connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "include_schemas": True,
                "include_name": lambda name, type_, parent: type_ != "schema" or name == SHARD_SCHEMA,
                "version_table_schema": SHARD_SCHEMA,
            })
            differences = compare_metadata(context, shard_metadata)

        assert differences == [], shard_key


def _triggers_and_functions(engine: Engine) -> tuple[dict[str, str], dict[str, str]]:
    """The shared schema's own triggers (definition by name) and functions (body by name), as the server has them."""
    with engine.connect() as connection:
        triggers = connection.execute(text(
            "SELECT tgname, pg_get_triggerdef(pg_trigger.oid) FROM pg_trigger"
            " JOIN pg_class ON pg_class.oid = tgrelid JOIN pg_namespace ON pg_namespace.oid = relnamespace"
            " WHERE nspname = :schema AND NOT tgisinternal"), {"schema": SHARED_SCHEMA}).all()
        functions = connection.execute(text(
            "SELECT proname, prosrc FROM pg_proc JOIN pg_namespace ON pg_namespace.oid = pronamespace"
            " WHERE nspname = :schema"), {"schema": SHARED_SCHEMA}).all()
    return dict(triggers), dict(functions)


def _declared_triggers_and_functions() -> tuple[dict[str, str], dict[str, str]]:
    triggers = {name: definition for table in shared_metadata.tables.values()
                for name, definition in table.info.get("triggers", {}).items()}
    return triggers, shared_metadata.info.get("trigger_functions", {})


def test_the_migrations_and_the_models_create_the_same_triggers_in_the_shared_schema(app, database_url):
    # The models build their tables and triggers with create_all() in an empty database beside the test one.
    base_url, separator, query = database_url.partition("?")
    server_url, test_database_name = base_url.rsplit("/", 1)
    scratch_name = f"{test_database_name}_models"
    scratch_url = f"{server_url}/{scratch_name}{separator}{query}"
    admin_url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{scratch_name}"')
    scratch_engine = create_engine(scratch_url)
    try:
        with scratch_engine.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{SHARED_SCHEMA}"')
            shared_metadata.create_all(connection)
        built_by_models = _triggers_and_functions(scratch_engine)
    finally:
        scratch_engine.dispose()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)')

    migrated = _triggers_and_functions(shards.engine())

    assert migrated == built_by_models == _declared_triggers_and_functions()
    assert {"ledger_transactions_immutable", "ledger_postings_immutable", "ledger_transactions_balanced",
            "ledger_postings_balanced"} <= set(migrated[0])
