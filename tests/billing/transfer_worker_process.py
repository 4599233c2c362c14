"""Real RQ workers forked from one process that built the app, for a test to SIGKILL at random points of jobs.

    python -m tests.billing.transfer_worker_process

It builds the app once and prints "ready". For each line read on stdin it
forks a worker (as RQ forks its work horses: the child opens its own
database connections) that works the settlement queue until it is empty,
and prints the worker's pid; the test SIGKILLs that pid (no cleanup of any
kind runs). Forking saves each trial the app's start-up, so 30 trials fit
in well under a minute.
"""
from __future__ import annotations

import os
import signal
import sys

READY = "ready"


def main() -> None:
    # Imported here: building the app is what the process does, not what importing this module does.
    from wsgi import app
    from marketplace.core.extensions import redis_client, shards
    from workers.queues import get_queue
    from workers.worker import InProcessAppWorker, prepare_for_jobs

    prepare_for_jobs(app)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed workers are reaped at once
    print(READY, flush=True)
    for _ in sys.stdin:
        pid = os.fork()
        if pid == 0:
            shards.forget_inherited_connections()
            with app.app_context():
                worker = InProcessAppWorker([get_queue("settlement")], app=app, connection=redis_client.client)
                worker.work(burst=True, logging_level="WARNING")
            os._exit(0)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
