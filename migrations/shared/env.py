"""Alembic environment of the shared (`platform`) schema of the control database.

Run through `flask db upgrade` (migrations/environment.py says how it is called).
"""
from migrations.environment import run_schema_migrations
from tenants.db import SHARED_SCHEMA

run_schema_migrations(SHARED_SCHEMA)
