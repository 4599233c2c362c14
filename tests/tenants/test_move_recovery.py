"""A move killed (SIGKILL) after any step resumes to the same end state; a copy that differs is rolled back."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from tenants.move import MoveSettings, get_move, latest_move, run_move, start_or_resume_move
from tenants.move_models import MOVE_STEPS, MoveStatus, MoveStep
from tenants.provisioning import provision_tenant
from tenants.shards import shards
from tests.conftest import ROOT, SECOND_SHARD
from tests.tenants.move_support import PAUSED, catalog_state, receive_stock, schema_exists, seed_catalog

SHOP = "oak-shop"
PROCESS_TIMEOUT_SECONDS = 120


@pytest.fixture
def tenant_on_default(app):
    with app.app_context():
        tenant = provision_tenant(SHOP, "Oak Shop", shard_key="default")
    seed_catalog(tenant, 30, movements_per_variant=2)
    return tenant


@pytest.fixture
def move_environment(database_url, second_shard_url, redis_server, mail_server):
    """The environment of a real `flask` process on the test databases and servers."""
    return {**os.environ, "DATABASE_URL": database_url, "SHARD_URLS": f"{SECOND_SHARD}={second_shard_url}",
            "REDIS_URL": redis_server.url, "SMTP_URL": mail_server.url, "TENANT_MOVE_GRACE_SECONDS": "0",
            "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}


def kill_after(step: MoveStep, environment: dict) -> None:
    """Run the move in a process of its own until it has recorded `step`, then SIGKILL it."""
    process = subprocess.Popen([sys.executable, "-m", "tests.tenants.move_process", SHOP, SECOND_SHARD, step.value],
                               cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + PROCESS_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            readable, _, _ = select.select([process.stdout], [], [], 1)
            if readable and process.stdout.readline().strip() == PAUSED.format(step.value):
                return
            assert process.poll() is None, process.stderr.read()
        raise AssertionError(f"the move did not reach {step.value}")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


def test_a_move_killed_after_each_step_resumes_to_the_same_end_state(app, tenant_on_default, move_environment):
    expected = catalog_state(tenant_on_default.id)
    received = 0

    for step in MOVE_STEPS[1:]:
        kill_after(step, move_environment)
        # The seller keeps working between crashes: a crash never leaves it frozen.
        received += 1
        receive_stock(tenant_on_default, received)
    resumed = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "tenants", "move", SHOP,
                              "--to", SECOND_SHARD], cwd=ROOT, env=move_environment, capture_output=True, text=True,
                             timeout=PROCESS_TIMEOUT_SECONDS)

    after = catalog_state(tenant_on_default.id)
    move = latest_move(tenant_on_default.id)
    assert resumed.returncode == 0, resumed.stderr
    assert f"moved {SHOP} from default to {SECOND_SHARD}" in resumed.stdout
    assert (move.status, move.step, move.attempts) == (MoveStatus.DONE, MoveStep.SOURCE_DROPPED, len(MOVE_STEPS))
    assert after.shard_key == SECOND_SHARD
    assert after.fingerprints["products"] == expected.fingerprints["products"]
    assert after.movement_count == expected.movement_count + len(MOVE_STEPS) - 1
    assert after.stock_by_variant == after.movement_sum_by_variant
    assert sum(after.stock_by_variant.values()) == sum(expected.stock_by_variant.values()) + sum(range(received + 1))
    assert not schema_exists("default", tenant_on_default.schema_name)
    assert not schema_exists("default", tenant_on_default.schema_name + "_move")


def test_a_copy_that_differs_from_the_source_is_rolled_back_with_nothing_lost(app, tenant_on_default):
    before = catalog_state(tenant_on_default.id)

    def tamper_with_the_copy(step: MoveStep, _view) -> None:
        if step is MoveStep.DELTA_APPLIED:
            with shards.engine(SECOND_SHARD).begin() as conn:
                conn.execute(text(f'SET LOCAL search_path TO "{tenant_on_default.schema_name}"'))
                conn.execute(text("UPDATE products SET title = :title WHERE id = (SELECT min(id) FROM products)"),
                             {"title": "Not what the seller wrote"})

    with app.app_context():
        move_id = start_or_resume_move(tenant_on_default, SECOND_SHARD)
        view = run_move(move_id, MoveSettings(grace_seconds=0), on_step=tamper_with_the_copy)
    receive_stock(tenant_on_default, 5)  # the seller writes again at once

    after = catalog_state(tenant_on_default.id)
    assert view.status is MoveStatus.ROLLED_BACK
    assert "products" in view.error and "stock_movements" not in view.error
    assert after.shard_key == "default"
    assert after.fingerprints["products"] == before.fingerprints["products"]
    assert after.movement_count == before.movement_count + 1
    assert not schema_exists(SECOND_SHARD, tenant_on_default.schema_name)
    assert not schema_exists("default", tenant_on_default.schema_name + "_move")
    assert get_move(move_id).finished_at is not None
