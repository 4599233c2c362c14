"""The cart view: lines per seller with today's prices and stock, flags, subtotals and shipping options."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from marketplace.shipping.services import create_rate
from tenants.shards import shards

STANDARD_PT = {"name": "Standard PT", "countries": ["PT"], "kind": "flat", "amount": 450, "free_over_amount": 5000}
WORLD_BY_WEIGHT = {"name": "World", "countries": ["*"], "kind": "weight_bands",
                   "weight_bands": [{"up_to_grams": 1000, "amount": 900}, {"up_to_grams": 5000, "amount": 1800}]}
PORTO = {"name": "Ada Lovelace", "line1": "Rua das Flores 12", "city": "Porto", "postal_code": "4050-262",
         "country": "PT"}


@pytest.fixture
def aurora(open_seller):
    return open_seller("aurora-ceramics")


@pytest.fixture
def two_sellers(app, open_seller):
    """Two sellers with shipping rates; new sellers alternate between the two database servers."""
    sellers = [open_seller("aurora-ceramics"), open_seller("brightline-cycles")]
    with app.app_context():
        create_rate(sellers[0].tenant, None, STANDARD_PT)
        create_rate(sellers[1].tenant, None, WORLD_BY_WEIGHT)
    return sellers


def test_lines_are_grouped_per_seller_in_a_fixed_order_with_subtotals(buyer_cart, two_sellers):
    aurora, brightline = two_sellers
    bell = brightline.variant_on_sale("bell", price_amount=700)
    mug = aurora.variant_on_sale("blue-mug", price_amount=1250)
    plate = aurora.variant_on_sale("plate", price_amount=300)
    buyer_cart.add(brightline, bell, 1)
    buyer_cart.add(aurora, mug, 2)
    buyer_cart.add(aurora, plate, 1)

    cart = buyer_cart.view()

    assert [(group["seller"]["slug"], [line["variant_id"] for line in group["lines"]], group["subtotal_amount"])
            for group in cart["sellers"]] == [("aurora-ceramics", [mug, plate], 2800),
                                              ("brightline-cycles", [bell], 700)]
    assert (cart["subtotal_amount"], cart["line_count"], cart["currency"]) == (3500, 3, "USD")


def test_a_line_shows_what_the_buyer_needs_to_recognise_it(buyer_cart, aurora):
    mug = aurora.variant_on_sale("blue-mug", options={"size": "large"}, images=[
        {"url": "https://img.example/mug-front.jpg", "alt": "Front"},
        {"url": "https://img.example/mug-side.jpg", "alt": "Side"}])
    buyer_cart.add(aurora, mug)

    [line] = buyer_cart.lines()

    assert {key: line[key] for key in ("product_slug", "title", "sku", "options", "image_url")} == {
        "product_slug": "blue-mug", "title": "Blue Mug", "sku": "BLUE-MUG-1", "options": {"size": "large"},
        "image_url": "https://img.example/mug-front.jpg"}


def test_sellers_on_both_database_servers_share_one_cart(buyer_cart, two_sellers):
    aurora, brightline = two_sellers
    assert {aurora.tenant.shard_key, brightline.tenant.shard_key} == {"default", "second"}
    buyer_cart.add(aurora, aurora.variant_on_sale("blue-mug", price_amount=1250))
    buyer_cart.add(brightline, brightline.variant_on_sale("bell", price_amount=700))

    cart = buyer_cart.view(country="PT")

    assert [(group["seller"]["name"], group["lines"][0]["title"], group["lines"][0]["unit_price_amount"])
            for group in cart["sellers"]] == [("Aurora Ceramics", "Blue Mug", 1250),
                                              ("Brightline Cycles", "Bell", 700)]


def test_each_seller_offers_its_shipping_options_to_the_country_asked(buyer_cart, two_sellers):
    aurora, brightline = two_sellers
    buyer_cart.add(aurora, aurora.variant_on_sale("blue-mug", price_amount=1250))
    buyer_cart.add(brightline, brightline.variant_on_sale("bell", price_amount=700, weight_grams=400), 3)

    cart = buyer_cart.view(country="PT")

    assert cart["shipping_country"] == "PT" and "shipping_note" not in cart
    assert [[(option["name"], option["amount"]) for option in group["shipping_options"]]
            for group in cart["sellers"]] == [[("Standard PT", 450)], [("World", 1800)]]
    assert [[(option["name"], option["amount"]) for option in group["shipping_options"]]
            for group in buyer_cart.view(country="JP")["sellers"]] == [[], [("World", 1800)]]


def test_shipping_goes_to_the_buyers_default_address_unless_asked(client, buyer, buyer_cart, two_sellers):
    aurora, _ = two_sellers
    assert client.post("/api/v1/me/addresses", json=PORTO, headers=buyer.headers).status_code == 201
    buyer_cart.add(aurora, aurora.variant_on_sale("blue-mug", price_amount=2500), 2)

    cart = buyer_cart.view()

    assert cart["shipping_country"] == "PT"
    assert cart["sellers"][0]["shipping_options"] == [
        {"rate_id": cart["sellers"][0]["shipping_options"][0]["rate_id"], "name": "Standard PT", "amount": 0,
         "currency": "USD"}]  # 5000 of goods ships free


def test_without_a_destination_the_cart_says_how_to_get_shipping_options(guest_cart, two_sellers):
    aurora, _ = two_sellers
    guest_cart.add(aurora, aurora.variant_on_sale("blue-mug"))

    cart = guest_cart.view()

    assert cart["shipping_country"] is None
    assert "country" in cart["shipping_note"]
    assert cart["sellers"][0]["shipping_options"] == []


@pytest.mark.parametrize("query, field", [({"country": "pt"}, "country"), ({"country": "PRT"}, "country"),
                                          ({"country": "ZZ"}, "country"), ({"contry": "PT"}, "contry")])
def test_a_malformed_or_unknown_country_is_a_422(client, buyer, query, field):
    response = client.get("/api/v1/cart", query_string=query, headers=buyer.headers)

    assert (response.status_code, list(response.get_json()["errors"])) == (422, [field])


def test_a_price_changed_since_the_line_was_added_is_flagged_with_both_prices(buyer_cart, aurora):
    mug = aurora.variant_on_sale("blue-mug", price_amount=1000)
    buyer_cart.add(aurora, mug, 2)

    aurora.change_variant(mug, price_amount=1200)

    [line] = buyer_cart.lines()
    assert (line["price_changed"], line["added_unit_price_amount"], line["unit_price_amount"],
            line["line_total_amount"]) == (True, 1000, 1200, 2400)
    assert buyer_cart.view()["subtotal_amount"] == 2400


def test_a_line_is_flagged_when_fewer_are_available_than_it_holds(buyer_cart, aurora):
    mug = aurora.variant_on_sale("blue-mug", stock=5)
    buyer_cart.add(aurora, mug, 4)

    aurora.move_stock(mug, -3)

    [line] = buyer_cart.lines()
    assert (line["insufficient_stock"], line["available_quantity"], line["unavailable"]) == (True, 2, False)


def test_enough_stock_shows_no_flag_and_no_count(buyer_cart, aurora):
    mug = aurora.variant_on_sale("blue-mug", stock=5)
    buyer_cart.add(aurora, mug, 4)

    aurora.move_stock(mug, -1)

    [line] = buyer_cart.lines()
    assert (line["insufficient_stock"], line["available_quantity"]) == (False, None)


def test_an_unpublished_product_is_flagged_unavailable_and_left_out_of_the_subtotal(buyer_cart, aurora):
    mug = aurora.variant_on_sale("blue-mug", price_amount=1000)
    plate = aurora.variant_on_sale("plate", price_amount=300)
    buyer_cart.add(aurora, mug)
    buyer_cart.add(aurora, plate)

    aurora.catalog.call("POST", f"/products/{aurora.product_of(mug)}/unpublish", 200)

    cart = buyer_cart.view()
    assert [(line["variant_id"], line["unavailable"]) for line in cart["sellers"][0]["lines"]] == \
        [(mug, True), (plate, False)]
    assert (cart["sellers"][0]["subtotal_amount"], cart["subtotal_amount"]) == (300, 300)


def test_a_suspended_sellers_lines_are_flagged_unavailable_without_shipping(client, operator, buyer_cart,
                                                                           two_sellers):
    aurora, _ = two_sellers
    buyer_cart.add(aurora, aurora.variant_on_sale("blue-mug"))

    client.post(f"/api/v1/operator/tenants/{aurora.slug}/suspend", json={"reason": "Review"},
                headers=operator.headers)

    [group] = buyer_cart.view(country="PT")["sellers"]
    assert ([line["unavailable"] for line in group["lines"]], group["subtotal_amount"],
            group["shipping_options"]) == ([True], 0, [])


def test_a_deleted_variant_stays_in_the_cart_flagged_unavailable(buyer_cart, aurora):
    mug = aurora.variant_on_sale("blue-mug", price_amount=1000)
    product_id = aurora.product_of(mug)
    aurora.catalog.add_variant(product_id, "BLUE-MUG-2")
    buyer_cart.add(aurora, mug, 2)

    aurora.catalog.call("DELETE", f"/products/{product_id}/variants/{mug}", 204)

    [line] = buyer_cart.lines()
    assert (line["unavailable"], line["title"], line["unit_price_amount"], line["quantity"]) == (True, None, 1000, 2)
    assert buyer_cart.view()["subtotal_amount"] == 0


def test_the_view_reads_each_sellers_variants_in_one_query(buyer_cart, aurora):
    for number in range(4):
        buyer_cart.add(aurora, aurora.variant_on_sale(f"mug-{number}"))
    seller_queries = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "variants" in statement:
            seller_queries.append(statement)

    engine = shards.engine(aurora.tenant.shard_key)
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert len(buyer_cart.lines()) == 4
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert len(seller_queries) == 1
