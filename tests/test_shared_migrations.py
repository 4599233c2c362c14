"""The shared migration tree builds exactly the tables the models declare."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from marketplace.tables import shared_metadata
from tenants.db import SHARED_SCHEMA
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
