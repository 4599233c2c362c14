"""Fixtures of the worker tests: the tables the test jobs write, and a way to switch the fast path off."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from tenants.outbox import set_commit_relay
from tenants.shards import shards
from tests.workers import jobs
from workers.relay import install_commit_relay


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


@pytest.fixture
def fast_path_off(app):
    """Commits leave their outbox rows pending, as when a process dies between commit and enqueue."""
    set_commit_relay(None)
    yield
    install_commit_relay()
