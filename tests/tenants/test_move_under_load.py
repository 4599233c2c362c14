"""A tenant with 2,000 products moves while 8 threads keep writing stock movements and reading its storefront."""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

from marketplace.accounts.models import MemberRole, Membership
from tenants.move import MoveSettings, run_move, set_outbox_drain, start_or_resume_move
from tenants.move_models import MoveStatus, MoveStep
from tenants.outbox import set_commit_relay
from tenants.provisioning import provision_tenant
from tenants.registry import get_tenant_by_id
from tenants.shards import shards
from tenants.uow import UnitOfWork
from tests.conftest import SECOND_SHARD
from tests.tenants.move_support import catalog_state, outbox_message_count, schema_exists, seed_catalog
from workers.move_drain import install_move_drain
from workers.relay import install_commit_relay_if_enabled

PRODUCT_COUNT = 2000
GRACE_SECONDS = 2
THREAD_COUNT = 8
SHOP = "oak-shop"
WAIT_SECONDS = 60


@dataclass
class Traffic:
    """What the seller's and buyers' threads did, and what went wrong."""

    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    movements_by_variant: Counter = field(default_factory=Counter)
    refused_writes: int = 0
    failures: list = field(default_factory=list)
    reads: int = 0

    @property
    def writes(self) -> int:
        with self.lock:
            return sum(self.movements_by_variant.values())

    def wait_for(self, condition, what: str) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while not condition():
            assert not self.failures, self.failures[:3]
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.01)

    def wait_for_more_writes(self, count: int) -> None:
        target = self.writes + count
        self.wait_for(lambda: self.writes >= target, f"{count} more writes")


@pytest.fixture
def shop(app, sign_up):
    owner = sign_up("owner@oak.example")
    with app.app_context():
        tenant = provision_tenant(SHOP, "Oak Shop", shard_key="default")
        with UnitOfWork() as uow:
            uow.session.add(Membership(user_id=owner.user_id, tenant_id=tenant.id, role=MemberRole.OWNER))
            uow.commit()
    seed_catalog(tenant, PRODUCT_COUNT)
    with shards.engine(tenant.shard_key).connect() as conn:
        variants = conn.execute(text(
            f'SELECT p.id, v.id, p.slug FROM "{tenant.schema_name}".variants v JOIN "{tenant.schema_name}".products p'
            " ON p.id = v.product_id")).all()
    return tenant, owner, variants


@pytest.fixture
def outbox_left_to_the_move(app):
    """No relay on commit: the tenant's messages wait in the outbox, for the move's drain to relay them."""
    set_commit_relay(None)
    install_move_drain()
    yield
    set_outbox_drain(None)
    install_commit_relay_if_enabled(app.config)


def seller_and_buyer(app, traffic: Traffic, owner, variants, seed: int) -> None:
    """Record a stock movement (retried while the seller is moving), then read the product as a buyer."""
    client = app.test_client()
    chooser = random.Random(seed)
    while not traffic.stop.is_set():
        product_id, variant_id, product_slug = chooser.choice(variants)
        _write_until_accepted(client, traffic, owner, product_id, variant_id)
        read = client.get(f"/api/v1/products/{SHOP}/{product_slug}")
        with traffic.lock:
            traffic.reads += 1
            if read.status_code != 200:
                traffic.failures.append(("read", read.status_code, read.get_json(silent=True)))


def _write_until_accepted(client, traffic: Traffic, owner, product_id: int, variant_id: int) -> None:
    path = f"/api/v1/sellers/{SHOP}/products/{product_id}/variants/{variant_id}/stock-movements"
    while True:
        response = client.post(path, json={"quantity_delta": 1, "reason": "receipt"}, headers=owner.headers)
        with traffic.lock:
            if response.status_code == 201:
                traffic.movements_by_variant[variant_id] += 1
                return
            if response.status_code == 503 and response.get_json()["code"] == "tenant_moving" \
                    and int(response.headers["Retry-After"]) >= 1:
                traffic.refused_writes += 1
            else:
                traffic.failures.append(("write", response.status_code, response.get_json(silent=True)))
                return
        time.sleep(0.02)


def test_a_tenant_moves_while_its_seller_writes_and_buyers_read_and_nothing_is_lost(
        app, shop, outbox_left_to_the_move):
    tenant, owner, variants = shop
    before = catalog_state(tenant.id)
    traffic = Traffic()
    messages_before = outbox_message_count(tenant.id)
    _write_until_accepted(app.test_client(), traffic, owner, *variants[0][:2])
    messages_per_write = outbox_message_count(tenant.id) - messages_before
    threads = [threading.Thread(target=seller_and_buyer, args=(app, traffic, owner, variants, seed), daemon=True)
               for seed in range(THREAD_COUNT)]

    def keep_the_seller_busy(step: MoveStep, _view) -> None:
        if step is MoveStep.COPIED:
            traffic.wait_for_more_writes(40)  # changes after the snapshot, for the catch-up and the delta
        if step is MoveStep.FROZEN:
            traffic.wait_for(lambda: traffic.refused_writes > 0, "a write refused by the freeze")

    for thread in threads:
        thread.start()
    try:
        traffic.wait_for_more_writes(20)
        with app.app_context():
            # A grace period as in production (shorter): a request that resolved the old shard just before
            # the flip meets the retired source's refusal (503, then a retry), not a dropped schema.
            view = run_move(start_or_resume_move(tenant, SECOND_SHARD), MoveSettings(grace_seconds=GRACE_SECONDS),
                            on_step=keep_the_seller_busy)
        traffic.wait_for_more_writes(20)  # and the seller works on its new server
    finally:
        traffic.stop.set()
        for thread in threads:
            thread.join(timeout=WAIT_SECONDS)

    after = catalog_state(tenant.id)
    assert traffic.failures == []
    assert (view.status, get_tenant_by_id(tenant.id).shard_key) == (MoveStatus.DONE, SECOND_SHARD)
    assert traffic.refused_writes > 0 and traffic.reads > 0 and view.changes_applied > 0
    assert after.product_count == before.product_count == PRODUCT_COUNT
    assert after.movement_count == before.movement_count + traffic.writes
    expected_stock = {variant_id: stock + traffic.movements_by_variant[variant_id]
                      for variant_id, stock in before.stock_by_variant.items()}
    assert after.stock_by_variant == after.movement_sum_by_variant == expected_stock
    # Every accepted write left its messages, and those on the old server were relayed before the flip.
    assert messages_per_write >= 1
    assert outbox_message_count(tenant.id) == messages_before + messages_per_write * traffic.writes
    assert outbox_message_count(tenant.id, pending_only=True, shard_keys=["default"]) == 0
    assert not schema_exists("default", tenant.schema_name)
