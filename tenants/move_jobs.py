"""RQ entry point of tenant moves (queued by the operator endpoint's outbox message). Safe to run again."""
from __future__ import annotations

import logging

from flask import current_app

from tenants.move import MoveBusy, MoveSettings, run_move

log = logging.getLogger(__name__)


def run_tenant_move(move_id: int) -> None:
    """Run the move's remaining steps; a failed step raises, and RQ's retry resumes the move.

    The payload key is not `tenant_id`: the message comes from the operator's
    control-database transaction, bound to no tenant (workers/outbox_jobs.py).
    """
    try:
        view = run_move(move_id, MoveSettings.from_config(current_app.config))
    except MoveBusy:
        # Someone (the CLI, another delivery of this job) is running it: theirs to finish.
        log.info("tenant move %s is running elsewhere", move_id, extra={"move_id": move_id})
        return
    log.info("tenant move %s %s at step %s", move_id, view.status.value, view.step.value,
             extra={"move_id": move_id, "tenant_id": view.tenant_id})
