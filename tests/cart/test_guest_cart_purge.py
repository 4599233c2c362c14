"""Guest carts nobody came back to are purged by the hourly job; buyers' carts and recent guest carts stay."""
from __future__ import annotations

from tests.workers.support import run_jobs
from workers.scheduler import build_scheduler


def backdate_carts(sql, days: int) -> None:
    sql("UPDATE platform.carts SET updated_at = now() - make_interval(days => :days)", days=days)


def run_the_scheduler(app) -> None:
    build_scheduler(app.config).enqueue_jobs()
    run_jobs(app)


def test_the_scheduler_purges_guest_carts_unchanged_longer_than_the_retention(
        app, client, guest_cart, buyer_cart, open_seller, sql):
    aurora = open_seller("aurora-ceramics")
    guest_cart.add(aurora, aurora.variant_on_sale("blue-mug"))
    buyer_cart.add(aurora, aurora.variant_on_sale("plate"))
    backdate_carts(sql, app.config["GUEST_CART_RETENTION_DAYS"] + 1)

    run_the_scheduler(app)

    assert sql("SELECT buyer_user_id IS NOT NULL FROM platform.carts") == [(True,)]
    assert sql("SELECT count(*) FROM platform.cart_lines") == [(1,)]
    assert client.get("/api/v1/cart", headers=guest_cart.headers).status_code == 404


def test_changing_a_guest_cart_keeps_it_from_the_purge(app, guest_cart, open_seller, sql):
    aurora = open_seller("aurora-ceramics")
    mug = aurora.variant_on_sale("blue-mug")
    guest_cart.add(aurora, mug)
    [line] = guest_cart.lines()
    backdate_carts(sql, app.config["GUEST_CART_RETENTION_DAYS"] + 1)

    guest_cart.change(line["id"], 2)
    run_the_scheduler(app)

    assert [line["quantity"] for line in guest_cart.lines()] == [2]
