"""One shard's server stops: its sellers answer 503, every other seller keeps working, its messages wait."""
from __future__ import annotations

import os
import uuid

import pytest

from marketplace.accounts.models import MemberRole
from marketplace.core.embedded import embedded_database_url
from migrations import upgrade_shard
from tenants.provisioning import provision_tenant
from tenants.shards import shards
from tests.conftest import TEST_VAR_DIR
from tests.workers.support import load_message, write_message
from workers.queues import QUEUE_NAMES, get_queue
from workers.relay import sweep_outbox

RECORD_RUN = "tests.workers.jobs.record_run"


def queued_jobs():
    return [job for name in QUEUE_NAMES for job in get_queue(name).get_jobs()]


def _stop_server(database_url: str) -> None:
    """Stop the PostgreSQL server that `database_url` (an embedded one) names: `pg_ctl stop`, as an operator would."""
    import pgserver

    server = pgserver.get_server(TEST_VAR_DIR / "shard3" / "pg", cleanup_mode="stop")
    assert str(server.get_postmaster_info().socket_dir) in database_url
    pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


@pytest.fixture
def third_shard(app):
    """A third server, shard `third`, that the test may stop; the shard map is put back afterwards."""
    if os.environ.get("SECOND_SHARD_URL"):
        pytest.fail("this test stops an embedded server; run it without SECOND_SHARD_URL")
    url = embedded_database_url(TEST_VAR_DIR / "shard3", database=f"test_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    upgrade_shard(url)
    urls = shards.urls
    shards.configure({**urls, "third": url}, pool_size=app.config["DB_POOL_SIZE"])
    yield url
    shards.configure(urls, pool_size=app.config["DB_POOL_SIZE"])


def test_a_stopped_shard_makes_only_its_sellers_unavailable(app, client, sign_up, make_seller, third_shard,
                                                           fast_path_off):
    owner = sign_up("owner@example.com")
    with app.app_context():
        lost = provision_tenant("lost-shop", "Lost Shop", shard_key="third")
    kept = make_seller("kept-shop", {owner.user_id: MemberRole.OWNER})
    with app.app_context():
        lost_message_id = write_message(RECORD_RUN, {"run_key": "lost"}, tenant=lost)
        kept_message_id = write_message(RECORD_RUN, {"run_key": "kept"}, tenant=kept)

    _stop_server(third_shard)

    lost_storefront = client.get(f"/api/v1/sellers/{lost.slug}")
    kept_storefront = client.get(f"/api/v1/sellers/{kept.slug}")
    kept_write = client.patch(f"/api/v1/sellers/{kept.slug}/settings", json={"description": "Still open"},
                              headers=owner.headers)
    readiness = client.get("/readyz")
    with app.app_context():
        swept = sweep_outbox()

    assert lost_storefront.status_code == 503
    assert lost_storefront.get_json()["code"] == "unavailable"
    assert lost_storefront.headers["Retry-After"]
    assert kept_storefront.status_code == 200
    assert kept_write.status_code == 200
    assert readiness.status_code == 503
    assert readiness.get_json()["checks"]["postgres:third"] == "unavailable"
    assert readiness.get_json()["checks"]["postgres"] == "ok"
    # The sweep of the stopped shard fails alone: the other shards' messages still go out.
    assert swept >= 1
    assert load_message(kept_message_id, kept).dispatched_at is not None
    assert (kept.shard_key, kept_message_id) in {(job.meta["outbox_shard"], job.meta["outbox_id"])
                                                 for job in queued_jobs()}
    assert ("third", lost_message_id) not in {(job.meta["outbox_shard"], job.meta["outbox_id"])
                                              for job in queued_jobs()}
