"""Helpers of the worker tests: write outbox messages, run queued jobs in-process, count what jobs did."""
from __future__ import annotations

from sqlalchemy import func, select

from tenants.models import TenantRef
from tenants.outbox import OutboxMessage
from tenants.shards import DEFAULT_SHARD, shards
from tenants.uow import UnitOfWork
from tests.workers import jobs
from workers.queues import QUEUE_NAMES, get_queue
from workers.worker import run_queued_jobs


def write_message(job: str, payload: dict, queue: str = "default", tenant: TenantRef | None = None) -> int:
    with UnitOfWork(tenant) as uow:
        message = uow.add_message(job, payload, queue=queue)
        uow.commit()
    return message.id


def job_id_of(message_id: int, tenant: TenantRef | None = None) -> str:
    """The RQ job id of a message written by `write_message` (ids are per shard)."""
    return f"outbox-{tenant.shard_key if tenant else DEFAULT_SHARD}-{message_id}"


def load_message(message_id: int, tenant: TenantRef | None = None) -> OutboxMessage | None:
    with UnitOfWork(tenant) as uow:
        message = uow.session.get(OutboxMessage, message_id)
        # Detached now, so that leaving the block (a rollback) does not expire what was read.
        uow.session.expunge_all()
    return message


def count_messages() -> int:
    """Outbox rows on every shard."""
    total = 0
    for shard_key in shards.keys:
        with UnitOfWork(shard_key=shard_key) as uow:
            total += uow.session.scalar(select(func.count()).select_from(OutboxMessage))
    return total


def count_queued_jobs() -> int:
    return sum(get_queue(name).count for name in QUEUE_NAMES)


def run_jobs(app) -> None:
    """Run every queued job in this process, then return."""
    run_queued_jobs(app)


def count_runs(run_key: str) -> int:
    with shards.engine().connect() as connection:
        return connection.scalar(select(func.count()).where(jobs.job_runs.c.run_key == run_key))


def count_deliveries(delivery_key: str) -> int:
    with shards.engine().connect() as connection:
        return connection.scalar(select(func.count()).where(jobs.deliveries.c.delivery_key == delivery_key))
