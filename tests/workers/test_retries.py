"""Retries: a failing job backs off per the retry policy, then rests in the failed job registry."""
from __future__ import annotations

import logging

import pytest
from rq.job import Job, JobStatus

from marketplace.core.extensions import redis_client
from tenants.db import utcnow
from tests.workers.support import count_runs, job_id_of, run_jobs, write_message
from workers.queues import RETRY_POLICY, get_queue


def test_failing_job_is_retried_with_backoff_then_kept_in_the_failed_registry(app, caplog):
    message_id = write_message("tests.workers.jobs.fail", {"run_key": "doomed"})
    job_id = job_id_of(message_id)
    retries = get_queue("default").scheduled_job_registry
    backoff_seconds = []

    for _ in RETRY_POLICY.intervals:
        run_jobs(app)
        backoff_seconds.append((retries.get_scheduled_time(job_id) - utcnow()).total_seconds())
        # Fast-forward: what RQ's scheduler does once the backoff has elapsed.
        retries.requeue(job_id)
    with caplog.at_level(logging.ERROR, logger="workers.worker"):
        run_jobs(app)

    assert backoff_seconds == pytest.approx(RETRY_POLICY.intervals, abs=3)
    assert count_runs("doomed") == RETRY_POLICY.max + 1
    assert Job.fetch(job_id, connection=redis_client.client).get_status() == JobStatus.FAILED
    assert job_id in get_queue("default").failed_job_registry
    assert [record.job_id for record in caplog.records if "no retry left" in record.getMessage()] == [job_id]
