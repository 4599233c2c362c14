"""The background jobs: RQ's queues and registries, read-only but for requeueing a failed job.

Our own page rather than rq-dashboard: its only release (0.9.0) writes its
script and styles inline (`<script>` blocks, `style=` attributes), which the
console's Content-Security-Policy refuses, and posts its actions without a
CSRF token; it would also bring three dependencies for what RQ's registries
already tell.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import flash, redirect, render_template, url_for
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job

from marketplace.core.errors import NotFound
from marketplace.web.console.blueprint import blp
from workers.queues import QUEUE_NAMES, get_queue

# The newest failures of each queue shown; the rest are counted.
FAILED_SHOWN = 20


class FailedJobNotFound(NotFound):
    def __init__(self, job_id: str):
        super().__init__(f"There is no failed job {job_id} in the queue.")


@dataclass(frozen=True)
class QueueCounts:
    name: str
    queued: int
    started: int
    scheduled: int
    deferred: int
    failed: int
    finished: int


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    call: str
    failed_at: datetime | None
    error: str


@blp.get("/jobs")
def jobs():
    queues = [get_queue(name) for name in QUEUE_NAMES]
    counts = [QueueCounts(name=queue.name, queued=queue.count, started=queue.started_job_registry.count,
                          scheduled=queue.scheduled_job_registry.count, deferred=queue.deferred_job_registry.count,
                          failed=queue.failed_job_registry.count, finished=queue.finished_job_registry.count)
              for queue in queues]
    failed = [job for queue in queues for job in _failed_jobs(queue)]
    return render_template("console/jobs.html", counts=counts, failed=failed)


@blp.post("/jobs/<queue_name>/<job_id>/requeue")
def requeue_job(queue_name: str, job_id: str):
    if queue_name not in QUEUE_NAMES:
        raise FailedJobNotFound(job_id)
    queue = get_queue(queue_name)
    try:
        queue.failed_job_registry.requeue(job_id)
    except (NoSuchJobError, InvalidJobOperation):
        raise FailedJobNotFound(job_id) from None
    flash(f"Job {job_id} is queued again on {queue_name}.", "success")
    return redirect(url_for("console.jobs"))


def _failed_jobs(queue) -> list[FailedJob]:
    job_ids = queue.failed_job_registry.get_job_ids(0, FAILED_SHOWN - 1, desc=True)
    return [FailedJob(id=job.id, queue=queue.name, call=job.func_name or "", failed_at=job.ended_at,
                      error=_error_of(job))
            for job in Job.fetch_many(job_ids, connection=queue.connection) if job is not None]


def _error_of(job: Job) -> str:
    """The exception itself: the last line of the traceback RQ kept with the job's failed result."""
    result = job.latest_result()
    lines = [line for line in (result.exc_string or "").splitlines() if line.strip()] if result else []
    return lines[-1] if lines else ""
