"""Checkout under contention, retries, crashes and racing payment signals: never an oversell, nothing twice."""
from __future__ import annotations

import os
import select as io_select
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func, select, text

from billing.gateway.port import PaymentIntentStatus, WebhookEvent
from billing.gateway.registry import current_gateway
from marketplace.checkout import payments, recovery
from marketplace.checkout.payments import ROUTE_ORDER_JOB
from marketplace.orders import routing
from marketplace.orders.models import SellerOrder, StockReservation
from marketplace.orders.models import AcceptanceHours
from marketplace.orders.routing import route_order
from tenants.outbox import OutboxMessage
from tenants.uow import UnitOfWork
from tests.checkout.checkout_process import PAUSED
from tests.checkout.conftest import check_out, pay, put_in_cart, stock_of
from tests.concurrency import run_together
from tests.workers.support import run_jobs

ROOT = Path(__file__).resolve().parents[2]


def reservations_of(app, tenant) -> list[tuple[int, str]]:
    with app.app_context(), UnitOfWork(tenant) as uow:
        return [(row.quantity, row.status.value) for row in uow.session.scalars(select(StockReservation))]


def test_200_concurrent_checkouts_for_10_in_stock_make_exactly_10_orders(app, offer, shopper):
    scarce = offer("oak", 1000, stock=10)
    buyers = [shopper() for _ in range(200)]
    for buyer in buyers:
        put_in_cart(app, buyer, scarce, 1)

    def attempt(buyer):
        return check_out(app.test_client(), buyer).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(attempt, buyers))

    assert statuses.count(201) == 10
    assert statuses.count(409) == 190
    assert stock_of(scarce.tenant, scarce.variant_id) == (10, 10)
    assert reservations_of(app, scarce.tenant) == [(1, "held")] * 10


def test_50_concurrent_retries_of_one_checkout_make_one_order_and_one_payment(app, offer, shopper, sql):
    seller_offer = offer("oak", 1000, stock=5)
    buyer = shopper()
    put_in_cart(app, buyer, seller_offer, 2)
    key = uuid.uuid4().hex

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(lambda _: check_out(app.test_client(), buyer, key), range(50)))

    created = [response.get_json() for response in responses if response.status_code == 201]
    others = {(response.status_code, response.get_json()["code"]) for response in responses
              if response.status_code != 201}
    assert created and all(body == created[0] for body in created)
    assert others <= {(409, "in_progress")}
    assert sql("SELECT count(*) FROM platform.marketplace_orders")[0][0] == 1
    assert sql("SELECT count(*), count(gateway_payment_id) FROM platform.payments")[0] == (1, 1)
    assert stock_of(seller_offer.tenant, seller_offer.variant_id) == (5, 2)
    replay = check_out(app.test_client(), buyer, key)
    assert (replay.status_code, replay.get_json()) == (201, created[0])
    reused = check_out(app.test_client(), buyer, key, expected_total_amount=1)
    assert (reused.status_code, reused.get_json()["code"]) == (409, "idempotency_key_reused")


def test_a_checkout_killed_between_two_sellers_is_undone_by_the_recovery_job(app, offer, shopper, sql,
                                                                             database_url, second_shard_url,
                                                                             redis_server, mail_server):
    first, second = offer("oak", 1000, stock=3), offer("iron", 2000, stock=3)
    buyer = shopper()
    put_in_cart(app, buyer, first, 2)
    put_in_cart(app, buyer, second, 1)
    key = uuid.uuid4().hex
    environment = {**os.environ, "DATABASE_URL": database_url, "SHARD_URLS": f"second={second_shard_url}",
                   "REDIS_URL": redis_server.url, "SMTP_URL": mail_server.url, "LOG_LEVEL": "WARNING",
                   "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "tests.checkout.checkout_process", str(buyer.user_id), key],
                               cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        readable, _, _ = io_select.select([process.stdout], [], [], 60)
        assert readable and process.stdout.readline().strip() == PAUSED, process.stderr.read() if not readable else ""
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert stock_of(first.tenant, first.variant_id) == (3, 2)

    # Not before the attempt's reserve deadline: the checkout might still be alive.
    with app.app_context():
        assert recovery.recover_checkouts()["undone"] == 0
    sql("UPDATE platform.checkout_attempts SET reserve_deadline = now() - interval '1 hour'")
    with app.app_context():
        assert recovery.recover_checkouts()["undone"] == 1

    assert stock_of(first.tenant, first.variant_id) == (3, 0)
    assert stock_of(second.tenant, second.variant_id) == (3, 0)
    assert reservations_of(app, first.tenant) == [(2, "released")]
    assert sql("SELECT count(*) FROM platform.marketplace_orders")[0][0] == 0
    retry = check_out(app.test_client(), buyer, key)
    assert (retry.status_code, retry.get_json()["code"]) == (409, "checkout_interrupted")
    # The cart is intact: a new key checks it out.
    assert check_out(app.test_client(), buyer).status_code == 201


def test_the_webhook_and_the_confirmation_racing_make_one_paid_order_and_one_routing(app, client, offer, shopper):
    seller_offer = offer("oak", 1000, stock=5)
    buyer = shopper()
    put_in_cart(app, buyer, seller_offer, 1)
    order = check_out(client, buyer).get_json()
    with app.app_context():
        gateway = current_gateway()
        with UnitOfWork() as uow:
            intent_id = uow.session.scalar(text(
                "SELECT gateway_payment_id FROM platform.payments WHERE order_id = :id"), {"id": order["id"]})
        intent = gateway.confirm_payment_intent(intent_id, payment_method="4242424242424242",
                                                idempotency_key=f"test:{intent_id}")
        assert intent.status == PaymentIntentStatus.succeeded

    succeeded = WebhookEvent(id=f"evt_{uuid.uuid4().hex}", type="payment_intent.succeeded",
                             object_type="payment_intent", object_id=intent.id, created=int(time.time()))
    confirmation = lambda: payments.record_intent(intent)  # noqa: E731 - what the client's confirmation runs
    webhook = lambda: payments.on_payment_intent_event(intent, succeeded)  # noqa: E731 - what the webhook job runs
    outcomes = run_together(app, *([confirmation, webhook] * 5))
    assert outcomes == ["done"] * 10
    run_jobs(app)

    with app.app_context(), UnitOfWork() as uow:
        routings = uow.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.job == ROUTE_ORDER_JOB))
    assert routings == 1
    with app.app_context(), UnitOfWork(seller_offer.tenant) as uow:
        assert uow.session.scalar(select(func.count()).select_from(SellerOrder)) == 1
    assert client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()["status"] == "paid"


def test_routing_run_twice_or_cut_short_makes_one_seller_order_per_seller(app, client, offer, shopper):
    offers = [offer("oak", 1000, stock=5), offer("iron", 2000, stock=5)]
    buyer = shopper()
    for seller_offer in offers:
        put_in_cart(app, buyer, seller_offer, 2)
    order = check_out(client, buyer).get_json()
    assert pay(client, buyer, order["id"]).status_code == 200

    with app.app_context():
        # Cut short: the first seller's order is written, its part never marked routed.
        paid = routing._paid_order(order["id"])
        routing._seller_order_in_schema(paid, paid.parts[0], AcceptanceHours(default=48, minimum=24, maximum=168))
        assert route_order(order["id"], AcceptanceHours(default=48, minimum=24, maximum=168)) == 2
        assert route_order(order["id"], AcceptanceHours(default=48, minimum=24, maximum=168)) == 0
    run_jobs(app)

    for seller_offer in offers:
        with app.app_context(), UnitOfWork(seller_offer.tenant) as uow:
            assert uow.session.scalar(select(func.count()).select_from(SellerOrder)) == 1
        assert stock_of(seller_offer.tenant, seller_offer.variant_id) == (3, 0)


def test_expiry_releases_the_stock_and_cancels_the_payment(app, client, offer, shopper, sql):
    seller_offer = offer("oak", 1000, stock=5)
    buyer = shopper()
    put_in_cart(app, buyer, seller_offer, 3)
    order = check_out(client, buyer).get_json()
    declined = pay(client, buyer, order["id"], card="4000000000000002")
    assert (declined.status_code, declined.get_json()["code"]) == (402, "payment_declined")
    assert stock_of(seller_offer.tenant, seller_offer.variant_id) == (5, 3)

    sql("UPDATE platform.marketplace_orders SET expires_at = now() - interval '1 minute'")
    with app.app_context():
        assert payments.expire_overdue_orders() == 1
        assert payments.expire_overdue_orders() == 0
        intent_id = sql("SELECT gateway_payment_id FROM platform.payments")[0][0]
        assert current_gateway().retrieve_payment_intent(intent_id).status == PaymentIntentStatus.canceled
    run_jobs(app)

    assert stock_of(seller_offer.tenant, seller_offer.variant_id) == (5, 0)
    view = client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()
    assert (view["status"], view["payment"]["status"]) == ("expired", "canceled")
    late = pay(client, buyer, order["id"])
    assert (late.status_code, late.get_json()["code"]) == (409, "order_not_payable")


