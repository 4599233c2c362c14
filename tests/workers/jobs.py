"""Jobs run by the worker tests. Each leaves rows in the `workers_test` schema that a test can count."""
from __future__ import annotations

import logging

from flask import current_app
from rq import get_current_job
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

metadata = MetaData(schema="workers_test")

# One row per execution of a job: the count of runs, whichever job it was.
job_runs = Table(
    "job_runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("run_key", String(100), nullable=False),
    Column("job_id", String(100)),
    Column("backend_pid", Integer, nullable=False),
)

# The effect of `deliver_once`, unique per delivery key.
deliveries = Table(
    "deliveries", metadata,
    Column("delivery_key", String(100), primary_key=True),
    Column("job_id", String(100)),
)


def record_run(run_key: str) -> None:
    """Record one execution; deliberately not idempotent, so that tests can count executions.

    It reads the app's config first, as real jobs do: outside the app context it fails.
    """
    testing = current_app.config["TESTING"]
    with UnitOfWork() as uow:
        _insert_run(uow.session, run_key)
        uow.commit()
    log.info("run recorded", extra={"testing": testing})


def fail(run_key: str) -> None:
    """Record the attempt, then fail every time."""
    record_run(run_key)
    raise RuntimeError("this job always fails")


def deliver_once(delivery_key: str) -> None:
    """The job pattern to follow: safe to run twice.

    The effect is written under a unique key (ON CONFLICT DO NOTHING) in the
    transaction that does the work, so a second delivery finds it done.
    """
    with UnitOfWork() as uow:
        _insert_run(uow.session, delivery_key)
        uow.session.execute(
            pg_insert(deliveries)
            .values(delivery_key=delivery_key, job_id=get_current_job().id)
            .on_conflict_do_nothing(index_elements=["delivery_key"])
        )
        uow.commit()


def _insert_run(session: Session, run_key: str) -> None:
    session.execute(insert(job_runs).values(
        run_key=run_key, job_id=get_current_job().id, backend_pid=func.pg_backend_pid(),
    ))


def record_tenant_run(tenant_id: int, run_key: str) -> None:
    """Record one execution of work for a tenant (the tenant is not used: the worker checks it first)."""
    record_run(run_key)


def record_runs(run_keys: list[str]) -> None:
    """Record one execution of each key, in one transaction: the batch form of `record_run` (not idempotent either)."""
    with UnitOfWork() as uow:
        for run_key in run_keys:
            _insert_run(uow.session, run_key)
        uow.commit()
