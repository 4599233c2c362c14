"""Moving a tenant to another shard: nothing lost, resumable, rolled back when the copy is wrong."""
from __future__ import annotations

import pytest

from tenants.move import DrainTimeout, MoveSettings, get_move, run_move, set_outbox_drain, start_or_resume_move
from tenants.move_models import MoveStatus, MoveStep
from tenants.provisioning import provision_tenant
from tenants.registry import get_tenant_by_id
from tests.conftest import SECOND_SHARD
from tests.tenants.move_support import (
    catalog_state, outbox_message_count, receive_stock, schema_exists, seed_catalog,
)
from workers.move_drain import install_move_drain

NO_GRACE = MoveSettings(grace_seconds=0)


@pytest.fixture
def tenant_on_default(app):
    with app.app_context():
        return provision_tenant("oak-shop", "Oak Shop", shard_key="default")


def test_a_moved_tenant_holds_the_same_rows_on_its_new_shard_and_its_old_schema_is_gone(app, tenant_on_default):
    seed_catalog(tenant_on_default, 50, movements_per_variant=3)
    before = catalog_state(tenant_on_default.id)

    with app.app_context():
        move_id = start_or_resume_move(tenant_on_default, SECOND_SHARD)
        view = run_move(move_id, NO_GRACE)

    after = catalog_state(tenant_on_default.id)
    assert (view.status, view.step) == (MoveStatus.DONE, MoveStep.SOURCE_DROPPED)
    assert get_tenant_by_id(tenant_on_default.id).shard_key == SECOND_SHARD
    assert after.fingerprints == before.fingerprints
    assert (after.product_count, after.movement_count) == (50, 150)
    assert not schema_exists("default", tenant_on_default.schema_name)
    assert not schema_exists("default", tenant_on_default.schema_name + "_move")


def test_a_step_that_fails_leaves_the_seller_writable_and_running_the_move_again_finishes_it(
        app, tenant_on_default, sql):
    seed_catalog(tenant_on_default, 10)
    # A message of the tenant that nothing relays: the drain waits for it in vain.
    sql("INSERT INTO shard.outbox_messages (job, queue, payload, tenant_id)"
        " VALUES ('marketplace.search.jobs.index_products', 'search', '{}', :tenant_id)", tenant_id=tenant_on_default.id)
    with app.app_context():
        move_id = start_or_resume_move(tenant_on_default, SECOND_SHARD)
        with pytest.raises(DrainTimeout):
            run_move(move_id, MoveSettings(grace_seconds=0, drain_timeout_seconds=0.2))
    stalled = get_move(move_id)
    receive_stock(tenant_on_default, 3)  # no 503: the failure lifted the freeze

    install_move_drain()
    try:
        with app.app_context():
            finished = run_move(start_or_resume_move(tenant_on_default, SECOND_SHARD), NO_GRACE)
    finally:
        set_outbox_drain(None)

    assert (stalled.status, stalled.step) == (MoveStatus.RUNNING, MoveStep.CAUGHT_UP)
    assert stalled.error.startswith("DrainTimeout")
    assert (finished.id, finished.status, finished.error, finished.attempts) == (move_id, MoveStatus.DONE, None, 2)
    assert catalog_state(tenant_on_default.id).movement_count == 10 + 1
    assert outbox_message_count(tenant_on_default.id, pending_only=True) == 0
