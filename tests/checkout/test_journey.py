"""Three sellers, one cart: checkout → pay with a test card → three seller orders, each in its own schema."""
from __future__ import annotations

from sqlalchemy import select

from marketplace.orders.models import SellerOrder, SellerOrderLine
from tenants.uow import UnitOfWork
from tests.checkout.conftest import FLAT_SHIPPING, check_out, pay, put_in_cart, stock_of
from tests.workers.support import run_jobs


def test_one_cart_from_three_sellers_becomes_one_payment_and_three_seller_orders(app, client, offer, shopper):
    offers = [offer("oak", 1000, 5), offer("iron", 2500, 5), offer("linen", 700, 5)]
    buyer = shopper()
    for quantity, seller_offer in enumerate(offers, start=1):
        put_in_cart(app, buyer, seller_offer, quantity)

    checkout = check_out(client, buyer)

    assert checkout.status_code == 201, checkout.get_json()
    order = checkout.get_json()
    assert order["status"] == "awaiting_payment"
    assert order["subtotal_amount"] == 1000 * 1 + 2500 * 2 + 700 * 3
    assert order["shipping_amount"] == 3 * FLAT_SHIPPING
    assert order["total_amount"] == order["subtotal_amount"] + order["shipping_amount"]
    assert [part["seller"] for part in order["sellers"]] == ["oak", "iron", "linen"]
    assert order["payment"]["status"] == "requires_payment_method"
    assert [stock_of(o.tenant, o.variant_id) for o in offers] == [(5, 1), (5, 2), (5, 3)]

    paid = pay(client, buyer, order["id"])
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json()["status"] == "paid"
    run_jobs(app)

    view = client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()
    assert {part["status"] for part in view["sellers"]} == {"awaiting_acceptance"}
    assert [stock_of(o.tenant, o.variant_id) for o in offers] == [(4, 0), (3, 0), (2, 0)]
    for seller_offer, quantity in zip(offers, (1, 2, 3)):
        with app.app_context(), UnitOfWork(seller_offer.tenant) as uow:
            seller_orders = uow.session.scalars(select(SellerOrder)).all()
            assert [(o.marketplace_order_id, o.status.value) for o in seller_orders] == [
                (order["id"], "awaiting_acceptance")]
            lines = uow.session.scalars(select(SellerOrderLine)).all()
            # Each seller holds its own line only.
            assert [(line.variant_id, line.quantity) for line in lines] == [(seller_offer.variant_id, quantity)]

    listing = client.get("/api/v1/orders", headers=buyer.headers).get_json()
    assert [(o["id"], o["status"], o["payment_status"]) for o in listing] == [(order["id"], "paid", "succeeded")]


def test_the_commission_rule_that_applied_is_frozen_on_each_line(app, client, offer, shopper, operator, sql):
    seller_offer = offer("oak", 10000, 5)
    rule = client.post("/api/v1/operator/commission-rules", json={"seller": "oak", "basis_points": 1250},
                       headers=operator.headers)
    assert rule.status_code == 201, rule.get_json()
    buyer = shopper()
    put_in_cart(app, buyer, seller_offer, 2)

    order = check_out(client, buyer).get_json()
    client.patch(f"/api/v1/operator/commission-rules/{rule.get_json()['id']}", json={"basis_points": 3000},
                 headers=operator.headers)

    [(amount, snapshot)] = sql("SELECT commission_amount, commission_rule FROM platform.marketplace_order_lines "
                               "WHERE order_id = :id", id=order["id"])
    assert amount == 2500  # 12.5% of 200.00, as the rule was at checkout
    assert (snapshot["rule_id"], snapshot["basis_points"]) == (rule.get_json()["id"], 1250)


def test_sellers_see_on_hand_reserved_and_available_stock_and_cannot_sell_what_is_reserved(
        app, client, offer, shopper, sign_up):
    from marketplace.accounts.models import MemberRole, Membership

    seller_offer = offer("oak", 1000, stock=5)
    staff = sign_up("staff@oak.example")
    with app.app_context(), UnitOfWork() as uow:
        uow.session.add(Membership(user_id=staff.user_id, tenant_id=seller_offer.tenant.id, role=MemberRole.STAFF))
        uow.commit()
    buyer = shopper()
    put_in_cart(app, buyer, seller_offer, 3)
    assert check_out(client, buyer).status_code == 201
    variant_path = f"/api/v1/sellers/oak/products/{seller_offer.product_id}/variants/{seller_offer.variant_id}"

    variant = client.get(variant_path, headers=staff.headers).get_json()
    assert (variant["stock_on_hand"], variant["stock_reserved"], variant["stock_available"]) == (5, 3, 2)
    refused = client.post(f"{variant_path}/stock-movements", headers=staff.headers,
                          json={"quantity_delta": -3, "reason": "adjustment"})
    assert (refused.status_code, refused.get_json()["code"]) == (409, "insufficient_stock")
    assert client.get(variant_path, headers=staff.headers).get_json()["stock_on_hand"] == 5


def test_the_buyers_order_list_is_one_query(app, client, offer, shopper):
    from sqlalchemy import event

    from tenants.shards import shards

    buyer = shopper()
    for slug in ("oak", "iron"):
        seller_offer = offer(slug)
        put_in_cart(app, buyer, seller_offer, 1)
        assert check_out(client, buyer).status_code == 201
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = shards.engine()
        event.listen(engine, "before_cursor_execute", record)
        try:
            listing = client.get("/api/v1/orders", headers=buyer.headers).get_json()
        finally:
            event.remove(engine, "before_cursor_execute", record)

    assert [[part["seller"] for part in order["sellers"]] for order in listing] == [["iron"], ["oak"]]
    assert len([statement for statement in statements if "marketplace_orders" in statement]) == 1
