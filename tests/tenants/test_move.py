"""Moving a tenant to another shard: nothing lost, resumable, rolled back when the copy is wrong."""
from __future__ import annotations

import pytest

from tenants.move import MoveSettings, run_move, start_or_resume_move
from tenants.move_models import MoveStatus, MoveStep
from tenants.provisioning import provision_tenant
from tenants.registry import get_tenant_by_id
from tests.conftest import SECOND_SHARD
from tests.tenants.move_support import catalog_state, schema_exists, seed_catalog

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
