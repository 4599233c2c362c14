"""The shared migration tree builds exactly the tables the models declare."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

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
