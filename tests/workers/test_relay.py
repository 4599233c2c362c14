"""The outbox relay: what a commit, a rollback and a Redis outage do to follow-up work."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rq.job import Job

from marketplace.core.embedded import EmbeddedRedis
from marketplace.core.extensions import redis_client
from tenants.uow import UnitOfWork
from tests.workers.support import (
    count_messages, count_queued_jobs, count_runs, job_id_of, load_message, run_jobs, write_message,
)
from workers.queues import RETRY_POLICY, get_queue
from workers.relay import sweep_outbox
from tests.shard_support import database_environment

RECORD_RUN = "tests.workers.jobs.record_run"
ROOT = Path(__file__).resolve().parents[2]


def test_rolled_back_transaction_leaves_no_message_and_enqueues_nothing(app):
    with UnitOfWork() as uow:
        uow.add_message(RECORD_RUN, {"run_key": "rolled-back"})
        uow.session.flush()

    run_jobs(app)

    assert count_messages() == 0
    assert count_queued_jobs() == 0
    assert count_runs("rolled-back") == 0


def test_committed_message_is_enqueued_under_its_outbox_id_and_runs_once(app):
    message_id = write_message(RECORD_RUN, {"run_key": "committed"}, queue="orders")
    job = Job.fetch(job_id_of(message_id), connection=redis_client.client)
    message = load_message(message_id)

    run_jobs(app)

    assert (job.origin, job.func_name, job.kwargs) == ("orders", RECORD_RUN, {"run_key": "committed"})
    assert job.meta == {"outbox_id": message_id, "outbox_shard": "default", "tenant_id": None}
    assert (job.retries_left, job.retry_intervals) == (RETRY_POLICY.max, RETRY_POLICY.intervals)
    assert message.dispatched_at is not None
    assert count_runs("committed") == 1


def test_message_committed_while_redis_is_down_is_delivered_once_by_the_sweeper(app, tmp_path):
    app_redis_url = redis_client.url
    spare_redis = EmbeddedRedis(tmp_path)
    redis_client.configure(spare_redis.start())
    try:
        spare_redis.stop()
        message_id = write_message(RECORD_RUN, {"run_key": "outage"})
        pending_message = load_message(message_id)
        spare_redis.start()
        first_sweep_count = sweep_outbox()
        run_jobs(app)
        second_sweep_count = sweep_outbox()
        run_jobs(app)
    finally:
        redis_client.configure(app_redis_url)
        spare_redis.stop()

    assert pending_message.dispatched_at is None
    assert pending_message.dispatch_attempts == 1
    assert pending_message.last_error.startswith("ConnectionError")
    assert (first_sweep_count, second_sweep_count) == (1, 0)
    assert load_message(message_id).dispatched_at is not None
    assert count_runs("outage") == 1


def test_two_sweepers_at_once_enqueue_every_pending_message_exactly_once(app, fast_path_off):
    with UnitOfWork() as uow:
        messages = [uow.add_message(RECORD_RUN, {"run_key": f"swept-{n}"}) for n in range(200)]
        uow.commit()
    both_started = threading.Barrier(2)

    def sweep() -> int:
        both_started.wait()
        return sweep_outbox(batch_size=5)

    with ThreadPoolExecutor(max_workers=2) as pool:
        sweeps = [pool.submit(sweep) for _ in range(2)]
        dispatched_counts = [sweep.result() for sweep in sweeps]

    assert sum(dispatched_counts) == 200
    assert sorted(get_queue("default").get_job_ids()) == sorted(message.job_id("default") for message in messages)


def test_message_for_an_unknown_queue_stays_pending_with_the_reason(app):
    message_id = write_message(RECORD_RUN, {"run_key": "lost"}, queue="emails")

    sweep_count = sweep_outbox()

    message = load_message(message_id)
    assert sweep_count == 0
    assert message.dispatched_at is None
    assert message.dispatch_attempts == 2
    assert "unknown queue 'emails'" in message.last_error
    assert count_queued_jobs() == 0


def test_the_web_entry_point_relays_a_committed_row_at_once(app):
    """wsgi.py installs the fast path (the app factory no longer imports the workers): a commit is on RQ at once."""
    script = ("import wsgi\n"
              "from tests.workers.support import write_message\n"
              f"print(write_message({RECORD_RUN!r}, {{'run_key': 'wsgi'}}))\n")
    environ = {**os.environ, **database_environment(app.config), "LOG_LEVEL": "WARNING"}

    completed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True,
                               timeout=120)

    assert completed.returncode == 0, completed.stderr
    message_id = int(completed.stdout.split()[-1])
    assert Job.fetch(job_id_of(message_id), connection=redis_client.client).func_name == RECORD_RUN
    assert load_message(message_id).dispatched_at is not None
