"""The outbox relay: committed outbox rows become RQ jobs.

Two paths move a row. The fast path runs right after the unit of work that
wrote it commits; the sweeper, run periodically by the scheduler, takes every
row still undispatched (Redis was down, the process died between commit and
enqueue). Both lock the rows they take with FOR UPDATE SKIP LOCKED and mark
them dispatched in the same transaction, so two relays never take the same
row. Every shard database has its own outbox: the fast path relays the
shard its unit of work committed on, and the sweeper sweeps every shard in
turn, one shard's failure (its server is down) delaying that shard's rows
only. RQ does not deduplicate by job id (enqueuing an id already queued runs it
twice, seen with rq 3.0.0), and a crash between enqueue and commit can still
enqueue a row twice: delivery is at least once and every job is idempotent.

Some jobs are cheaper done many at once (BATCHED_JOBS): the messages of such
a job that a sweep takes together become one job of their list of ids, and
each is marked dispatched with it. The fast path enqueues each message as
itself, as a sweep does a message of any other job: a commit relays one
business transaction's messages, rarely two of one job, and a job of one
keeps its own id and retries. The batch job is as idempotent as the job of
one (run again, it does only what is not done).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterable, Mapping

from redis import RedisError
from sqlalchemy import Select, func, select

from billing.settlement import SETTLE_ORDER_JOB, SETTLE_ORDERS_JOB, SETTLEMENT_BATCH_SIZE
from tenants.db import utcnow
from tenants.outbox import OutboxMessage, set_commit_relay
from tenants.shards import shards
from tenants.uow import UnitOfWork, delete_in_batches
from workers.queues import RETRY_POLICY, UnknownQueue, get_queue

log = logging.getLogger(__name__)

SWEEP_BATCH_SIZE = 100
# Rows deleted per transaction by the purge: a large backlog never holds one long transaction.
PURGE_BATCH_SIZE = 5000


@dataclass(frozen=True)
class BatchedJob:
    """How the messages of one job become a job of many: `batch_job`, given the list of their `item_key` values
    as `list_key`, at most `max_size` of them."""

    batch_job: str
    item_key: str
    list_key: str
    max_size: int


# Jobs (named as outbox messages name them) whose messages taken together run as one job. Only a job whose
# messages need no order among the other jobs of their queue belongs here: the batch takes the place of its first
# message. Settling orders in batches makes each table's reads and writes one statement (billing/settlement.py).
BATCHED_JOBS: dict[str, BatchedJob] = {
    SETTLE_ORDER_JOB: BatchedJob(batch_job=SETTLE_ORDERS_JOB, item_key="order_id", list_key="order_ids",
                                 max_size=SETTLEMENT_BATCH_SIZE),
}


@dataclass(frozen=True)
class BatchOutcome:
    taken_count: int
    dispatched_count: int
    last_taken_id: int
    redis_failed: bool


def install_commit_relay() -> None:
    """Relay outbox rows to RQ as soon as the transaction that wrote them commits."""
    set_commit_relay(relay_committed_messages)


def install_commit_relay_if_enabled(config: Mapping[str, Any]) -> None:
    """The fast path, unless OUTBOX_RELAY_ON_COMMIT is off.

    Each process's entry point calls it after create_app (wsgi.py, the
    worker): the app factory knows nothing of the workers.
    """
    if config["OUTBOX_RELAY_ON_COMMIT"]:
        install_commit_relay()


def relay_committed_messages(shard_key: str, message_ids: Iterable[int]) -> None:
    """The fast path: enqueue the rows a unit of work has just committed in `shard_key`'s outbox.

    Never raises: the caller's business transaction is already committed, and
    a row left pending is the sweeper's to deliver.
    """
    try:
        _relay_batch(shard_key, _pending_messages().where(OutboxMessage.id.in_(list(message_ids))),
                     batched=False)
    except Exception:
        log.exception("outbox relay after commit failed; the sweeper will deliver the rows",
                      extra={"shard": shard_key})


def sweep_outbox(batch_size: int = SWEEP_BATCH_SIZE) -> int:
    """Enqueue every undispatched outbox row of every shard; return how many were enqueued.

    A shard whose database fails is logged and left for the next sweep: the
    other shards' messages go on.
    """
    dispatched_count = 0
    for shard_key in shards.keys:
        try:
            dispatched_count += sweep_shard_outbox(shard_key, batch_size)
        except Exception:
            log.exception("outbox sweep of shard %s failed; its rows wait for the next sweep", shard_key,
                          extra={"shard": shard_key})
    return dispatched_count


def sweep_shard_outbox(shard_key: str, batch_size: int = SWEEP_BATCH_SIZE) -> int:
    """Enqueue every undispatched row of one shard's outbox, oldest first; return how many were enqueued.

    One transaction per batch keeps locks short. Paging by id makes the sweep
    end even when rows cannot be enqueued (they stay pending for the next
    sweep); a Redis failure ends it at once, as every further row would fail too.
    """
    dispatched_count = 0
    after_id = 0
    while True:
        batch = _relay_batch(shard_key, _pending_messages().where(OutboxMessage.id > after_id).limit(batch_size),
                             batched=True)
        dispatched_count += batch.dispatched_count
        if batch.redis_failed or batch.taken_count < batch_size:
            return dispatched_count
        after_id = batch.last_taken_id


def purge_dispatched_messages(retention_days: int, batch_size: int = PURGE_BATCH_SIZE) -> int:
    """Delete, on every shard, the rows dispatched more than `retention_days` ago; return how many.

    A dispatched row's work is RQ's from then on; the row is kept a while for
    debugging, not forever (its payload may name people). Pending rows are
    never touched. Deletes in batches, one transaction each, until a batch
    comes back short; rows another purge holds are skipped, not waited for.
    A shard that fails is logged and purged next time.
    """
    dispatched_before = func.now() - timedelta(days=retention_days)
    deleted_count = 0
    for shard_key in shards.keys:
        try:
            deleted_count += delete_in_batches(OutboxMessage, OutboxMessage.dispatched_at < dispatched_before,
                                               batch_size, shard_key=shard_key)
        except Exception:
            log.exception("outbox purge of shard %s failed", shard_key, extra={"shard": shard_key})
    log.info("%d dispatched outbox rows purged", deleted_count,
             extra={"deleted_count": deleted_count, "retention_days": retention_days})
    return deleted_count


def _pending_messages() -> Select:
    # SKIP LOCKED: rows another relay holds are its to deliver, not ours to wait for.
    return (
        select(OutboxMessage)
        .where(OutboxMessage.dispatched_at.is_(None))
        .order_by(OutboxMessage.id)
        .with_for_update(skip_locked=True)
    )


def _relay_batch(shard_key: str, pending_messages: Select, batched: bool) -> BatchOutcome:
    """Enqueue the messages `pending_messages` takes (a batched job's as one if `batched`), mark them dispatched."""
    with UnitOfWork(shard_key=shard_key) as uow:
        messages = uow.session.scalars(pending_messages).all()
        jobs = _jobs_of(messages) if batched else [[message] for message in messages]
        dispatched_count, redis_failed = _dispatch(shard_key, jobs)
        uow.commit()
    return BatchOutcome(
        taken_count=len(messages),
        dispatched_count=dispatched_count,
        last_taken_id=messages[-1].id if messages else 0,
        redis_failed=redis_failed,
    )


def _dispatch(shard_key: str, jobs: list[list[OutboxMessage]]) -> tuple[int, bool]:
    """Enqueue each job of messages in order; return how many messages were enqueued and whether Redis failed."""
    dispatched_count = 0
    for job_messages in jobs:
        for message in job_messages:
            message.dispatch_attempts += 1
        try:
            _enqueue(shard_key, job_messages)
        except UnknownQueue as error:
            _record_failures(job_messages, error)
            continue
        except RedisError as error:
            _record_failures(job_messages, error)
            return dispatched_count, True
        dispatched_at = utcnow()
        for message in job_messages:
            message.dispatched_at = dispatched_at
        dispatched_count += len(job_messages)
    return dispatched_count, False


def _jobs_of(messages: list[OutboxMessage]) -> list[list[OutboxMessage]]:
    """The jobs `messages` become, in order of their first message: each alone, but those of a batched job.

    Messages of a batched job join its open batch of the same queue and
    tenant (the worker acts for one tenant per job), up to its size; one whose
    payload holds more than the batched value is not batched.
    """
    jobs: list[list[OutboxMessage]] = []
    open_batches: dict[tuple[str, str, int | None], list[OutboxMessage]] = {}
    for message in messages:
        batched = BATCHED_JOBS.get(message.job)
        if batched is None or set(message.payload) != {batched.item_key}:
            jobs.append([message])
            continue
        key = (message.job, message.queue, message.tenant_id)
        batch = open_batches.get(key)
        if batch is None or len(batch) == batched.max_size:
            batch = open_batches[key] = []
            jobs.append(batch)
        batch.append(message)
    return jobs


def _enqueue(shard_key: str, job_messages: list[OutboxMessage]) -> None:
    first = job_messages[0]
    meta = {"outbox_id": first.id, "outbox_shard": shard_key, "tenant_id": first.tenant_id}
    if len(job_messages) == 1:
        # The payload goes in `kwargs=` so that its keys never clash with RQ's own options.
        get_queue(first.queue).enqueue(first.job, kwargs=first.payload, job_id=first.job_id(shard_key), meta=meta,
                                       retry=RETRY_POLICY)
        return
    batched = BATCHED_JOBS[first.job]
    get_queue(first.queue).enqueue(
        batched.batch_job,
        kwargs={batched.list_key: [message.payload[batched.item_key] for message in job_messages]},
        job_id=f"{first.job_id(shard_key)}-batch-{len(job_messages)}",
        meta={**meta, "outbox_ids": [message.id for message in job_messages]},
        retry=RETRY_POLICY,
    )


def _record_failures(messages: list[OutboxMessage], error: Exception) -> None:
    for message in messages:
        _record_failure(message, error)


def _record_failure(message: OutboxMessage, error: Exception) -> None:
    message.last_error = f"{type(error).__name__}: {error}"
    log.warning(
        "outbox message %s not enqueued, left pending: %s", message.id, message.last_error,
        extra={"outbox_id": message.id, "job": message.job, "queue": message.queue},
    )
