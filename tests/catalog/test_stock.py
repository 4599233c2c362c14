"""Stock changes only through movements: stock on hand is their sum and never goes below zero."""
from __future__ import annotations

import itertools
import threading

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from marketplace.catalog import services
from marketplace.catalog.models import StockReason
from marketplace.catalog.stock import InsufficientStock

product_numbers = itertools.count(1)


def movements_url(product: dict, variant: dict) -> str:
    return f"/products/{product['id']}/variants/{variant['id']}/stock-movements"


def test_movements_change_stock_and_are_listed_newest_first_with_the_stock_after_each(catalog, shop):
    product = catalog.create_product()
    variant = catalog.add_variant(product["id"])

    received = catalog.move_stock(product["id"], variant["id"], 10, "receipt")
    catalog.move_stock(product["id"], variant["id"], -3, "adjustment")
    catalog.move_stock(product["id"], variant["id"], 1, "return")

    movements = catalog.call("GET", movements_url(product, variant), 200)
    assert [(m["reason"], m["quantity_delta"], m["stock_on_hand"]) for m in movements] == \
        [("return", 1, 8), ("adjustment", -3, 7), ("receipt", 10, 10)]
    assert received["created_by_user_id"] == shop.staff.user_id
    assert catalog.product(product["id"])["variants"][0]["stock_on_hand"] == 8


def test_a_movement_that_would_make_stock_negative_is_a_409_and_changes_nothing(catalog):
    product = catalog.create_product()
    variant = catalog.add_variant(product["id"])
    catalog.move_stock(product["id"], variant["id"], 2, "receipt")
    before = catalog.product(product["id"])

    body = catalog.call("POST", movements_url(product, variant), 409,
                        json={"quantity_delta": -3, "reason": "adjustment"})

    assert body["code"] == "insufficient_stock"
    assert catalog.product(product["id"]) == before
    assert len(catalog.call("GET", movements_url(product, variant), 200)) == 1


def test_a_receipt_that_would_take_stock_past_what_can_be_stored_is_a_422_naming_the_quantity(
        catalog, shop, tenant_sql):
    product = catalog.create_product()
    variant = catalog.add_variant(product["id"])
    # Arranged in SQL: the ~215 receipts of the largest size it would take over HTTP say nothing more.
    tenant_sql(shop.tenant, "UPDATE variants SET stock_on_hand = 2147483000 WHERE id = :id", id=variant["id"])
    before = catalog.product(product["id"])

    body = catalog.call("POST", movements_url(product, variant), 422,
                        json={"quantity_delta": 1000, "reason": "receipt"})

    assert body["code"] == "validation_error"
    assert list(body["errors"]) == ["quantity_delta"]
    assert catalog.product(product["id"]) == before
    assert catalog.call("GET", movements_url(product, variant), 200) == []


@pytest.mark.parametrize("reason", ["sale", "reservation", "reservation_release"])
def test_sales_and_reservations_cannot_be_recorded_through_the_api(catalog, reason):
    product = catalog.create_product()
    variant = catalog.add_variant(product["id"])

    body = catalog.call("POST", movements_url(product, variant), 422, json={"quantity_delta": 1, "reason": reason})

    assert list(body["errors"]) == ["reason"]
    assert catalog.call("GET", movements_url(product, variant), 200) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from([StockReason.RECEIPT, StockReason.ADJUSTMENT, StockReason.RETURN]),
                                st.integers(min_value=-40, max_value=40).filter(bool)), max_size=15))
def test_stock_on_hand_is_the_sum_of_movements_after_any_sequence_of_changes(app, shop, tenant_sql, steps):
    with app.app_context():
        product = services.create_product(shop.tenant, {"slug": f"product-{next(product_numbers)}",
                                                        "title": "P", "description": "", "category_id": None,
                                                        "attributes": {}, "images": []})
        variant = services.create_variant(shop.tenant, product.id, {
            "sku": f"SKU-{product.id}", "options": {}, "price_amount": 100, "compare_at_amount": None,
            "weight_grams": None, "low_stock_threshold": 0})
        expected_stock = 0
        for reason, quantity_delta in steps:
            try:
                services.record_stock_movement(shop.tenant, product.id, variant.id, quantity_delta, reason, "",
                                               shop.staff.user_id)
                expected_stock += quantity_delta
            except InsufficientStock:
                assert expected_stock + quantity_delta < 0

    [(stock_on_hand, movement_sum)] = tenant_sql(
        shop.tenant, "SELECT v.stock_on_hand, coalesce(sum(m.quantity_delta), 0) FROM variants v "
                     "LEFT JOIN stock_movements m ON m.variant_id = v.id WHERE v.id = :id GROUP BY v.id", id=variant.id)
    assert stock_on_hand == movement_sum == expected_stock >= 0


def test_two_concurrent_movements_never_take_stock_below_zero(app, catalog, shop, tenant_sql):
    product = catalog.create_product()
    variant = catalog.add_variant(product["id"])
    outcomes: list[str] = []

    def take_one(start: threading.Barrier) -> None:
        with app.app_context():
            start.wait()
            try:
                services.record_stock_movement(shop.tenant, product["id"], variant["id"], -1,
                                               StockReason.ADJUSTMENT, "", shop.staff.user_id)
                outcomes.append("taken")
            except InsufficientStock:
                outcomes.append("refused")

    for _ in range(5):  # each round: one unit in stock, two buyers of it at the same moment
        catalog.move_stock(product["id"], variant["id"], 1, "receipt")
        start = threading.Barrier(2)
        threads = [threading.Thread(target=take_one, args=(start,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(outcomes) == ["refused"] * 5 + ["taken"] * 5
    [(stock_on_hand, movement_sum)] = tenant_sql(
        shop.tenant, "SELECT v.stock_on_hand, sum(m.quantity_delta) FROM variants v "
                     "JOIN stock_movements m ON m.variant_id = v.id WHERE v.id = :id GROUP BY v.id", id=variant["id"])
    assert stock_on_hand == movement_sum == 0
