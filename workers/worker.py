"""The RQ worker: `python -m workers.worker [--burst] [--in-process] [QUEUE ...]`.

It builds the app once, then serves the given queues (default: all of them,
highest priority first). Every job runs inside the app context with its job id
and tenant in the log context, so its log lines can be traced. The worker runs
RQ's scheduler too, which moves retries whose backoff has elapsed back onto
their queue.

By default each job runs in a work horse, a child forked for it: a job that
leaks or crashes takes only its horse down. `--in-process` runs jobs in the
worker itself (RQ's SimpleWorker), warm: for the `search` queue, whose jobs
are many, short and idempotent, the fork, fresh connections and cold caches
cost more than the job (bench/search.py). `make run` serves `search` so.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import logging
import pkgutil
from contextlib import contextmanager
from typing import Iterable, Iterator

from flask import Flask
from rq import Queue, SimpleWorker, Worker
from rq.executions import Execution
from rq.job import Job

import marketplace
from marketplace.app import create_app
from marketplace.core.extensions import redis_client
from marketplace.core.logging import log_context
from marketplace.search import get_search_backend
from tenants.shards import shards
from workers.outbox_jobs import OutboxJob
from workers.queues import QUEUE_NAMES, get_queue
from workers.move_drain import install_move_drain
from workers.relay import install_commit_relay_if_enabled

log = logging.getLogger(__name__)


@contextmanager
def job_log_context(job: Job) -> Iterator[None]:
    """Put the job's id and tenant on every log line written inside the block."""
    token = log_context.set({"job_id": job.id, "tenant": job.meta.get("tenant_id")})
    try:
        yield
    finally:
        log_context.reset(token)


class AppJobs:
    """Worker mixin: jobs run in a fresh app context as `OutboxJob`s, and a job out of retries is logged.

    Mixed into RQ's forking `Worker` here and into its in-process
    `SimpleWorker` (`InProcessAppWorker`), so both run jobs the same way.
    """

    def __init__(self, *args, app: Flask, **kwargs):
        # Jobs that take a tenant id are held to their outbox row's tenant (workers/outbox_jobs.py).
        kwargs.setdefault("job_class", OutboxJob)
        super().__init__(*args, **kwargs)
        self.app = app

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        with job_log_context(job), self.app.app_context():
            return super().perform_job(job, queue, execution)

    def handle_job_failure(self, job: Job, queue: Queue, started_job_registry=None, exc_string: str = "",
                           execution: Execution | None = None) -> None:
        # Read before RQ decrements the count of retries left.
        out_of_retries = not job.should_retry
        super().handle_job_failure(job, queue, started_job_registry, exc_string, execution)
        if out_of_retries:
            with job_log_context(job):
                log.error(
                    "job %s failed with no retry left; it is kept in the failed job registry", job.id,
                    extra={"job": job.func_name, "queue": job.origin, "outbox_id": job.meta.get("outbox_id")},
                )


class InProcessAppWorker(AppJobs, SimpleWorker):
    """RQ's worker without work horses: jobs run one after the other in this process."""


def run_queued_jobs(app: Flask, queue_names: Iterable[str] = QUEUE_NAMES) -> None:
    """Run every job queued on these queues in this process, and the jobs they queue in turn, then return.

    For a command that must see its follow-up work done before it ends
    (`flask seed demo`); a job that fails stays scheduled for its retry.
    """
    queues = [get_queue(name) for name in QUEUE_NAMES if name in queue_names]
    worker = InProcessAppWorker(queues, app=app, connection=redis_client.client)
    worker.work(burst=True, logging_level=app.config["LOG_LEVEL"])


class AppWorker(AppJobs, Worker):
    """RQ's forking worker: each job runs in a work horse, a child process forked for it."""

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        # The first code RQ runs in the forked child. Pooled connections
        # inherited from the parent share its sockets: the child must open
        # its own, and must not close the parent's. Doing it here rather than
        # in os.register_at_fork limits it to work horses, without a
        # process-wide hook that cannot be removed.
        shards.forget_inherited_connections()
        super().main_work_horse(job, queue)


def prepare_for_jobs(app: Flask) -> None:
    """Do once, before the first job, what every job would otherwise pay for again.

    Measured with bench/search.py, a 1,000-product indexing job cost 251 ms of
    CPU in a work horse against 40 ms in a warm process: each horse imported
    the job modules and the search backend afresh, and ran a full garbage
    collection over the ~190,000 objects it inherited (copying their memory
    pages as it went). Importing here, and freezing what exists now out of the
    collector's sight (`gc.freeze`), leaves that in the parent; an in-process
    worker's collections skip those long-lived objects too.
    """
    for module_name in _job_module_names():
        importlib.import_module(module_name)
    with app.app_context():
        get_search_backend()  # imports and builds the configured backend; it opens no connection yet
    gc.freeze()


def _job_module_names() -> list[str]:
    """`marketplace.<area>.jobs` of every business area that has one."""
    names = [f"marketplace.{area.name}.jobs" for area in pkgutil.iter_modules(marketplace.__path__) if area.ispkg]
    return [name for name in names if importlib.util.find_spec(name) is not None]


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m workers.worker", description="Run an RQ worker.")
    parser.add_argument(
        "queues", nargs="*", metavar="QUEUE",
        help=f"queues to serve, from {', '.join(QUEUE_NAMES)} (default: all); always served in that order",
    )
    parser.add_argument("--burst", action="store_true", help="process the jobs queued now, then exit")
    parser.add_argument("--in-process", action="store_true",
                        help="run jobs in this process instead of a forked work horse each (for the search queue)")
    arguments = parser.parse_args(argv)
    unknown = sorted(set(arguments.queues) - set(QUEUE_NAMES))
    if unknown:
        parser.error(f"unknown queue(s): {', '.join(unknown)}")
    return arguments


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    app = create_app()
    # Jobs write outbox rows too (a follow-up job): relay them on commit, as the web app does.
    install_commit_relay_if_enabled(app.config)
    install_move_drain()
    chosen = arguments.queues or QUEUE_NAMES
    queues = [get_queue(name) for name in QUEUE_NAMES if name in chosen]
    worker_class = InProcessAppWorker if arguments.in_process else AppWorker
    worker = worker_class(queues, app=app, connection=redis_client.client)
    prepare_for_jobs(app)
    # The scheduler is what moves a retry back onto its queue once its backoff has elapsed.
    worker.work(burst=arguments.burst, with_scheduler=True, logging_level=app.config["LOG_LEVEL"])


if __name__ == "__main__":
    main()
