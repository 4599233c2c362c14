"""Fixtures of the worker tests: the tables the test jobs write."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from tenants.shards import shards
from tests.workers import jobs


@pytest.fixture(scope="session")
def job_tables(app):
    with shards.engine().begin() as connection:
        connection.execute(text("CREATE SCHEMA IF NOT EXISTS workers_test"))
        jobs.metadata.create_all(connection)
    yield
    with shards.engine().begin() as connection:
        connection.execute(text("DROP SCHEMA workers_test CASCADE"))


@pytest.fixture(autouse=True)
def empty_job_tables(job_tables):
    yield
    with shards.engine().begin() as connection:
        connection.execute(text("TRUNCATE workers_test.job_runs, workers_test.deliveries RESTART IDENTITY"))

