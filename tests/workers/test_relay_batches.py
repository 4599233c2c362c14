"""Batched jobs: the messages of one job swept together run as one job of their ids, each message dispatched."""
from __future__ import annotations

import pytest
from rq.job import Job

from marketplace.core.extensions import redis_client
from tenants.uow import UnitOfWork
from tests.workers.support import count_runs, job_id_of, load_message, run_jobs
from workers import relay
from workers.queues import get_queue
from workers.relay import BatchedJob, sweep_outbox

RECORD_RUN = "tests.workers.jobs.record_run"
RECORD_RUNS = "tests.workers.jobs.record_runs"
BATCH_SIZE = 3


@pytest.fixture
def record_run_batched(monkeypatch):
    """record_run's messages swept together run as record_runs jobs of up to BATCH_SIZE keys."""
    monkeypatch.setitem(relay.BATCHED_JOBS, RECORD_RUN, BatchedJob(
        batch_job=RECORD_RUNS, item_key="run_key", list_key="run_keys", max_size=BATCH_SIZE))


def write_messages(*messages: tuple[str, dict, str]) -> list[int]:
    """(job, payload, queue) messages committed in one transaction, in order; their ids."""
    with UnitOfWork() as uow:
        written = [uow.add_message(job, payload, queue=queue) for job, payload, queue in messages]
        uow.commit()
    return [message.id for message in written]


def queued_jobs(queue_name: str) -> list[tuple[str, dict]]:
    return [(job.func_name, job.kwargs) for job in get_queue(queue_name).get_jobs()]


def test_swept_messages_of_a_batched_job_run_as_jobs_of_at_most_its_size(app, fast_path_off, record_run_batched):
    message_ids = write_messages(
        *[(RECORD_RUN, {"run_key": f"batched-{n}"}, "default") for n in range(4)],
        ("tests.workers.jobs.deliver_once", {"delivery_key": "alone"}, "default"),
        *[(RECORD_RUN, {"run_key": f"batched-{n}"}, "default") for n in range(4, 7)],
        # Another queue's: a job of its own.
        (RECORD_RUN, {"run_key": "other-queue"}, "orders"))

    swept_count = sweep_outbox()
    queued = {name: queued_jobs(name) for name in ("default", "orders")}
    batch = Job.fetch(f"{job_id_of(message_ids[0])}-batch-{BATCH_SIZE}", connection=redis_client.client)
    run_jobs(app)

    assert swept_count == len(message_ids)
    assert queued == {
        "default": [(RECORD_RUNS, {"run_keys": ["batched-0", "batched-1", "batched-2"]}),
                    (RECORD_RUNS, {"run_keys": ["batched-3", "batched-4", "batched-5"]}),
                    ("tests.workers.jobs.deliver_once", {"delivery_key": "alone"}),
                    (RECORD_RUN, {"run_key": "batched-6"})],
        "orders": [(RECORD_RUN, {"run_key": "other-queue"})],
    }
    assert batch.meta["outbox_ids"] == message_ids[:3]
    assert all(load_message(message_id).dispatched_at is not None for message_id in message_ids)
    assert [count_runs(f"batched-{n}") for n in range(7)] == [1] * 7
    assert count_runs("other-queue") == 1


def test_messages_relayed_on_commit_run_each_as_its_own_job(app, record_run_batched):
    message_ids = write_messages(*[(RECORD_RUN, {"run_key": f"committed-{n}"}, "default") for n in range(2)])

    jobs = [Job.fetch(job_id_of(message_id), connection=redis_client.client) for message_id in message_ids]
    run_jobs(app)

    assert [(job.func_name, job.kwargs) for job in jobs] == [
        (RECORD_RUN, {"run_key": "committed-0"}), (RECORD_RUN, {"run_key": "committed-1"})]
    assert count_runs("committed-0") == count_runs("committed-1") == 1
