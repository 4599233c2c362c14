"""Alembic environment of one tenant schema.

The fleet migrator (`flask tenants migrate`) calls it once per tenant with an
open connection in a transaction and the schema name in
`config.attributes["tenant_schema"]`. Revisions in this tree name no schema:
`SET LOCAL search_path` points them at the tenant's, and the version table
lives there too. Nothing here imports the models: revisions are written by
hand (the parity test holds them to the models), so no target metadata.
"""
from alembic import context

config = context.config
connection = config.attributes["connection"]
schema_name = config.attributes["tenant_schema"]

connection.exec_driver_sql(f'SET LOCAL search_path TO "{schema_name}"')
context.configure(
    connection=connection,
    version_table_schema=schema_name,
)
with context.begin_transaction():
    context.run_migrations()
