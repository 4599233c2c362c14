"""The worker and scheduler processes: forked work horses, the command line, periodic sweeps."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from marketplace.accounts.tokens import token_digest
from marketplace.core.extensions import redis_client
from tenants.provisioning import provision_tenant
from tenants.shards import shards
from tests.workers import jobs
from tests.workers.support import count_runs, job_id_of, load_message, run_jobs, write_message
from workers.queues import get_queue
from workers.scheduler import build_scheduler
from workers.worker import AppWorker, parse_arguments
from tests.shard_support import database_environment

ROOT = Path(__file__).resolve().parents[2]
RECORD_RUN = "tests.workers.jobs.record_run"


def idle_backend_pids(engine: Engine) -> set[int]:
    """Server process ids of every connection idle in the pool (all checked out at once, then returned)."""
    connections = [engine.connect() for _ in range(engine.pool.checkedin())]
    try:
        return {connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() for connection in connections}
    finally:
        for connection in connections:
            connection.close()


def test_work_horse_uses_database_connections_of_its_own(app):
    write_message(RECORD_RUN, {"run_key": "forked"})
    parent_backend_pids = idle_backend_pids(shards.engine())
    worker = AppWorker([get_queue("default")], app=app, connection=redis_client.client)

    worker.work(burst=True, logging_level=app.config["LOG_LEVEL"])

    with shards.engine().connect() as connection:
        horse_backend_pid = connection.scalar(select(jobs.job_runs.c.backend_pid))
    assert parent_backend_pids
    assert horse_backend_pid not in parent_backend_pids
    assert idle_backend_pids(shards.engine()) == parent_backend_pids


@pytest.mark.parametrize("mode", [[], ["--in-process"]], ids=["forked", "in-process"])
def test_worker_command_runs_queued_jobs_and_logs_their_job_and_tenant(app, database_url, mode):
    tenant = provision_tenant("acme-tools", "Acme Tools")
    message_id = write_message(RECORD_RUN, {"run_key": "from-command"}, queue="orders", tenant=tenant)
    environment = {**os.environ, **database_environment(app.config), "LOG_LEVEL": "INFO"}

    finished = subprocess.run(
        [sys.executable, "-m", "workers.worker", "--burst", *mode, "orders"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )

    log_lines = [json.loads(line) for line in finished.stderr.splitlines() if line.startswith("{")]
    assert finished.returncode == 0, finished.stderr
    assert count_runs("from-command") == 1
    assert {"message": "run recorded", "job_id": job_id_of(message_id, tenant), "tenant": tenant.id} in [
        {key: line.get(key) for key in ("message", "job_id", "tenant")} for line in log_lines
    ]


def test_worker_command_refuses_an_unknown_queue(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_arguments(["orders", "emails"])

    assert exit_info.value.code == 2
    assert "unknown queue(s): emails" in capsys.readouterr().err


def test_scheduled_sweep_delivers_messages_the_fast_path_missed(app, fast_path_off):
    message_id = write_message(RECORD_RUN, {"run_key": "missed"})
    scheduler = build_scheduler(app.config)

    scheduler.enqueue_jobs()
    run_jobs(app)

    assert load_message(message_id).dispatched_at is not None
    assert count_runs("missed") == 1


def test_scheduler_purges_tokens_ended_longer_ago_than_the_retention(app, sql, buyer):
    sql("INSERT INTO platform.api_tokens (user_id, token_hash, expires_at, revoked_at) VALUES "
        "(:user_id, 'expired long ago', now() - make_interval(days => :days + 1), NULL), "
        "(:user_id, 'revoked long ago', now() + interval '1 day', now() - make_interval(days => :days + 1)), "
        "(:user_id, 'expired lately', now() - interval '1 hour', NULL)",
        user_id=buyer.user_id, days=app.config["TOKEN_RETENTION_DAYS"])
    scheduler = build_scheduler(app.config)

    scheduler.enqueue_jobs()
    run_jobs(app)

    assert sorted(label for (label,) in sql("SELECT token_hash FROM platform.api_tokens")) == sorted(
        ["expired lately", token_digest(buyer.token)])



def test_scheduler_purges_outbox_rows_dispatched_longer_ago_than_the_retention(app, sql):
    sql("INSERT INTO shard.outbox_messages (job, queue, payload, created_at, dispatched_at) VALUES "
        "(:job, 'default', '{\"run_key\": \"long ago\"}', now() - interval '30 days', "
        " now() - make_interval(days => :days + 1)), "
        "(:job, 'default', '{\"run_key\": \"lately\"}', now() - interval '30 days', now() - interval '1 hour'), "
        "(:job, 'default', '{\"run_key\": \"pending\"}', now() - interval '30 days', NULL)",
        job=RECORD_RUN, days=app.config["OUTBOX_RETENTION_DAYS"])
    scheduler = build_scheduler(app.config)

    scheduler.enqueue_jobs()
    run_jobs(app)

    # Other periodic jobs write messages of their own (the day's payout run): only this job's are looked at.
    kept = sorted(payload["run_key"] for (payload,) in sql("SELECT payload FROM shard.outbox_messages WHERE job = :job",
                                                           job=RECORD_RUN))
    assert kept == ["lately", "pending"]
