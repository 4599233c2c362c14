"""Bad checkouts and payments: one clear JSON error each, and nothing reserved, ordered or charged."""
from __future__ import annotations

import uuid

from marketplace.catalog.models import Product, ProductStatus, Variant
from tenants.uow import UnitOfWork
from tests.checkout.conftest import check_out, pay, put_in_cart, stock_of


def test_a_checkout_without_an_idempotency_key_is_refused(app, client, offer, shopper, row_counts):
    seller_offer = offer("oak")
    buyer = shopper()
    put_in_cart(app, buyer, seller_offer)
    before = row_counts()
    for headers in ({}, {"Idempotency-Key": ""}, {"Idempotency-Key": "k" * 256}):
        response = client.post("/api/v1/checkout", json={}, headers={**buyer.headers, **headers})
        assert (response.status_code, response.get_json()["code"]) == (400, "idempotency_key_required")
    assert row_counts() == before
    assert stock_of(seller_offer.tenant, seller_offer.variant_id) == (5, 0)


def test_an_empty_cart_or_no_address_is_refused(app, client, offer, shopper, sign_up):
    buyer = shopper()
    empty = check_out(client, buyer)
    assert (empty.status_code, empty.get_json()["code"]) == (409, "cart_empty")
    homeless = sign_up("nowhere@example.com")
    put_in_cart(app, homeless, offer("oak"))
    response = check_out(client, homeless)
    assert response.status_code == 422
    assert "shipping_address_id" in response.get_json()["errors"]


def test_lines_of_a_suspended_seller_or_an_unpublished_product_are_refused_and_nothing_is_held(
        app, client, offer, shopper, operator, sql):
    active, suspended, withdrawn = offer("oak"), offer("iron"), offer("linen")
    client.post(f"/api/v1/operator/tenants/{suspended.tenant.slug}/suspend", json={"reason": "Review"},
                headers=operator.headers)
    with app.app_context(), UnitOfWork(withdrawn.tenant) as uow:
        uow.session.get(Product, withdrawn.product_id).status = ProductStatus.DRAFT
        uow.commit()
    for blocked in (suspended, withdrawn):
        buyer = shopper()
        put_in_cart(app, buyer, active, 2)
        put_in_cart(app, buyer, blocked, 1)
        response = check_out(client, buyer)
        body = response.get_json()
        assert (response.status_code, body["code"]) == (409, "lines_unavailable")
        assert len(body["errors"]) == 1
    assert stock_of(active.tenant, active.variant_id) == (5, 0)
    assert sql("SELECT count(*) FROM platform.marketplace_orders")[0][0] == 0


def test_more_than_in_stock_names_the_line_and_what_is_left(app, client, offer, shopper):
    seller_offer = offer("oak", stock=2)
    buyer = shopper()
    put_in_cart(app, buyer, seller_offer, 3)
    response = check_out(client, buyer)
    assert response.status_code == 409
    assert list(response.get_json()["errors"].values()) == [["Only 2 available (3 in your cart)."]]


def test_a_stale_cart_is_bought_at_todays_price_and_a_stale_total_is_refused(app, client, offer, shopper):
    seller_offer = offer("oak", price_amount=1000)
    buyer = shopper()
    put_in_cart(app, buyer, seller_offer, 1)
    with app.app_context(), UnitOfWork(seller_offer.tenant) as uow:
        uow.session.get(Variant, seller_offer.variant_id).price_amount = 1200
        uow.commit()
    stale = check_out(client, buyer, expected_total_amount=1000 + 450)
    assert (stale.status_code, stale.get_json()["code"]) == (409, "total_changed")
    assert stock_of(seller_offer.tenant, seller_offer.variant_id) == (5, 0)
    fresh = check_out(client, buyer, expected_total_amount=1200 + 450)
    assert fresh.status_code == 201
    assert fresh.get_json()["sellers"][0]["lines"][0]["unit_price_amount"] == 1200


def test_another_buyers_order_is_not_found(app, client, offer, shopper):
    owner, stranger = shopper(), shopper()
    put_in_cart(app, owner, offer("oak"))
    order = check_out(client, owner).get_json()
    assert client.get(f"/api/v1/orders/{order['id']}", headers=stranger.headers).status_code == 404
    paying = pay(client, stranger, order["id"])
    assert (paying.status_code, paying.get_json()["code"]) == (404, "not_found")
    assert client.get("/api/v1/orders", headers=stranger.headers).get_json() == []
    assert client.get(f"/api/v1/orders/{order['id']}", headers=owner.headers).get_json()["status"] == \
        "awaiting_payment"


def test_a_declined_card_leaves_the_order_payable(app, client, offer, shopper):
    buyer = shopper()
    put_in_cart(app, buyer, offer("oak"))
    order = check_out(client, buyer, key=uuid.uuid4().hex).get_json()
    declined = pay(client, buyer, order["id"], card="4000000000009995")
    assert (declined.status_code, declined.get_json()["code"]) == (402, "payment_declined")
    view = client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).get_json()
    assert (view["status"], view["payment"]["last_payment_error"]) == ("awaiting_payment", "insufficient_funds")
    assert pay(client, buyer, order["id"]).get_json()["status"] == "paid"


def test_a_gateway_that_does_not_answer_keeps_the_order_and_a_retry_with_the_key_finishes_it(
        app, client, offer, shopper, monkeypatch, sql):
    from billing.gateway.port import GatewayError
    from billing.gateway.registry import current_gateway

    buyer = shopper()
    put_in_cart(app, buyer, offer("oak"))
    with app.app_context():
        gateway = current_gateway()

    def unreachable(**_):
        raise GatewayError("api_connection_error", "Could not connect to Stripe.")

    with monkeypatch.context() as patch:
        patch.setattr(gateway, "create_payment_intent", unreachable)
        first = check_out(client, buyer, key="retry-me")
    assert (first.status_code, first.get_json()["code"]) == (503, "payment_gateway_unavailable")
    assert sql("SELECT status, gateway_payment_id FROM platform.payments") == [("pending", None)]

    retried = check_out(client, buyer, key="retry-me")
    assert retried.status_code == 201
    assert retried.get_json()["payment"]["status"] == "requires_payment_method"
    assert sql("SELECT count(*) FROM platform.marketplace_orders")[0][0] == 1
