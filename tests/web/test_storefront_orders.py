"""The buyer's orders on the storefront: only their own, cancelling, returning and reviewing."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from marketplace.orders.shipments import ship
from marketplace.orders.tracking import record_seller_event
from tests.checkout.conftest import offer, shopper  # noqa: F401 - fixtures
from tests.orders.conftest import accept, routed_order, seller_lines, seller_order_status  # noqa: F401 - fixture
from tests.web.browser import assert_accessible
from tests.web.conftest import log_in


@pytest.fixture
def delivered_order(app, offer, routed_order):  # noqa: F811
    """A buyer's order of two units from oak, delivered: (buyer, order view)."""
    seller_offer = offer("oak")
    buyer, order = routed_order([seller_offer], quantity=2)
    seller_order_id = order["sellers"][0]["seller_order_id"]
    accept(app, seller_offer.tenant, seller_order_id)
    [(line_id, quantity)] = seller_lines(app, seller_offer.tenant, seller_order_id)
    with app.app_context():
        shipment = ship(seller_offer.tenant, None, seller_order_id, "DHL", "OAK-1",
                        [{"line_id": line_id, "quantity": quantity}])
        record_seller_event(seller_offer.tenant, None, shipment["id"], {"status": "delivered"})
    return buyer, order


def test_a_buyer_cannot_open_another_buyers_order(page, offer, routed_order, shopper):  # noqa: F811
    _, order = routed_order([offer("oak")])
    stranger = shopper()
    log_in(page, stranger.email)
    for path in (f"/orders/{order['id']}", f"/orders/{order['id']}/pay", f"/orders/{order['id']}/sellers/oak/cancel",
                 f"/orders/{order['id']}/sellers/oak/return", "/orders/99999999999999999999"):
        response = page.goto(path)
        assert response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        assert "Oak thing" not in page.content()
    page.goto("/orders")
    expect(page.get_by_text("You have no orders yet.")).to_be_visible()


def test_a_buyer_cancels_the_part_a_seller_has_not_accepted(page, app, offer, routed_order):  # noqa: F811
    oak = offer("oak")
    buyer, order = routed_order([oak])
    log_in(page, buyer.email, next_path=f"/orders/{order['id']}")
    page.get_by_role("link", name="Cancel the order from Oak").click()
    page.get_by_role("button", name="Cancel this order").click()
    expect(page.locator("#reason-errors")).to_have_text("This field is required.")
    assert_accessible(page)
    page.get_by_label("Why are you cancelling?").fill("Ordered by mistake")
    page.get_by_role("button", name="Cancel this order").click()
    expect(page.get_by_text("Your order from Oak is cancelled.")).to_be_visible()
    assert "Cancelled (buyer): Ordered by mistake" in page.content()
    assert seller_order_status(app, oak.tenant, order["sellers"][0]["seller_order_id"]) == "cancelled"


def test_a_buyer_asks_to_return_a_delivered_unit_and_reviews_the_product(page, delivered_order):
    buyer, order = delivered_order
    log_in(page, buyer.email, next_path=f"/orders/{order['id']}")
    assert_accessible(page)
    page.get_by_role("link", name="Return items to Oak").click()
    page.get_by_label("Oak thing (bought 2)").fill("3")
    page.get_by_label("Why are you returning these?").fill("Too small")
    page.get_by_role("button", name="Ask for the return").click()
    expect(page.locator("#return-lines-errors")).to_be_visible()  # more than delivered: refused beside the lines
    assert_accessible(page)
    page.get_by_label("Oak thing (bought 2)").fill("1")
    page.get_by_role("button", name="Ask for the return").click()
    expect(page.get_by_text("Your return request is sent to Oak.")).to_be_visible()
    assert "Too small" in page.locator("section", has_text="Returns").first.inner_text()

    page.get_by_role("link", name="Review Oak thing").click()
    page.get_by_role("button", name="Publish the review").click()
    expect(page.locator("#rating-errors")).to_have_text("Choose a rating.")
    assert_accessible(page)
    page.get_by_label("4 stars").check()
    page.get_by_label("Your review").fill("Sturdy, a little small.")
    page.get_by_role("button", name="Publish the review").click()
    expect(page.get_by_text("Thank you for your review.")).to_be_visible()
    page.goto("/s/oak/oak-thing")
    expect(page.get_by_text("Sturdy, a little small.")).to_be_visible()
    assert_accessible(page)
