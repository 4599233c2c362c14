"""Updates write only the fields their service names, whatever a schema (or a caller) lets through."""
from __future__ import annotations

import pytest

from marketplace.catalog import services
from marketplace.catalog.categories import change_category
from marketplace.core.field_updates import UnwritableFields


def test_a_product_update_naming_its_status_is_refused_and_changes_nothing(app, shop, catalog, catalog_state):
    product = catalog.create_product()
    before = catalog_state(shop.tenant)

    with app.app_context(), pytest.raises(UnwritableFields) as refused:
        services.update_product(shop.tenant, product["id"], {"title": "Walnut table", "status": "published"})

    assert refused.value.field_names == ["status"]
    assert catalog_state(shop.tenant) == before


def test_a_variant_update_naming_its_stock_is_refused_and_changes_nothing(app, shop, catalog, catalog_state):
    product = catalog.create_product()
    variant = catalog.add_variant(product["id"])
    before = catalog_state(shop.tenant)

    with app.app_context(), pytest.raises(UnwritableFields) as refused:
        services.update_variant(shop.tenant, product["id"], variant["id"], {"price_amount": 1, "stock_on_hand": 500})

    assert refused.value.field_names == ["stock_on_hand"]
    assert catalog_state(shop.tenant) == before


def test_a_category_change_naming_its_id_is_refused_and_changes_nothing(app, shop, make_category, catalog_state):
    category_id = make_category("kitchen")
    before = catalog_state(shop.tenant)

    with app.app_context(), pytest.raises(UnwritableFields) as refused:
        change_category(None, category_id, {"name": "Cooking", "id": category_id + 100})

    assert refused.value.field_names == ["id"]
    assert catalog_state(shop.tenant) == before
