"""The shipping options a seller offers a parcel: country match with a rest-of-world fallback, bands, free-over."""
from __future__ import annotations

import pytest

from marketplace.shipping.services import ShippingOption, create_rate, shipping_options

STANDARD_EU = {"name": "Standard EU", "countries": ["PT", "ES", "FR"], "kind": "flat", "amount": 450,
               "free_over_amount": 5000}
EXPRESS_PT = {"name": "Express PT", "countries": ["PT"], "kind": "flat", "amount": 1200, "position": 1}
WORLD_BY_WEIGHT = {"name": "World", "countries": ["*"], "kind": "weight_bands",
                   "weight_bands": [{"up_to_grams": 500, "amount": 900}, {"up_to_grams": 2000, "amount": 1800}]}


@pytest.fixture
def seller(app, make_seller):
    tenant = make_seller("acme")
    with app.app_context():
        rates = {rate["name"]: create_rate(tenant, None, rate)["id"]
                 for rate in (STANDARD_EU, EXPRESS_PT, WORLD_BY_WEIGHT)}
    return tenant, rates


def options(app, tenant, country: str, subtotal_amount: int = 1000,
            total_weight_grams: int | None = 300) -> list[tuple[str, int]]:
    with app.app_context():
        return [(option.name, option.amount) for option in
                shipping_options(tenant, country, subtotal_amount, total_weight_grams)]


def test_a_named_country_gets_its_rates_in_position_order(app, seller):
    tenant, rates = seller

    with app.app_context():
        offered = shipping_options(tenant, "PT", 1000, 300)

    assert offered == [ShippingOption(rates["Standard EU"], "Standard EU", 450, "USD"),
                       ShippingOption(rates["Express PT"], "Express PT", 1200, "USD")]


def test_a_country_no_rate_names_gets_the_rest_of_world_rates(app, seller):
    tenant, _ = seller

    assert options(app, tenant, "JP") == [("World", 900)]


def test_rest_of_world_rates_never_mix_with_the_rates_naming_the_country(app, seller):
    tenant, _ = seller

    assert options(app, tenant, "ES", total_weight_grams=1500) == [("Standard EU", 450)]


def test_without_a_rest_of_world_rate_an_unnamed_country_gets_nothing(app, make_seller):
    tenant = make_seller("eu-only")
    with app.app_context():
        create_rate(tenant, None, STANDARD_EU)

    assert options(app, tenant, "US") == []


@pytest.mark.parametrize("total_weight_grams, price", [
    (0, 900), (1, 900), (500, 900), (501, 1800), (2000, 1800), (2001, None), (None, None)])
def test_a_weight_band_covers_weights_up_to_and_including_its_limit(app, seller, total_weight_grams, price):
    tenant, _ = seller

    offered = options(app, tenant, "JP", total_weight_grams=total_weight_grams)

    assert offered == ([("World", price)] if price is not None else [])


@pytest.mark.parametrize("subtotal_amount, price", [(4999, 450), (5000, 0), (5001, 0), (0, 450)])
def test_a_subtotal_at_or_over_the_free_over_amount_ships_free(app, seller, subtotal_amount, price):
    tenant, _ = seller

    assert options(app, tenant, "FR", subtotal_amount=subtotal_amount) == [("Standard EU", price)]


def test_free_over_never_ships_a_parcel_too_heavy_for_the_bands(app, make_seller):
    tenant = make_seller("heavy")
    with app.app_context():
        create_rate(tenant, None, {**WORLD_BY_WEIGHT, "free_over_amount": 100})

    assert options(app, tenant, "JP", subtotal_amount=1000, total_weight_grams=400) == [("World", 0)]
    assert options(app, tenant, "JP", subtotal_amount=1000, total_weight_grams=2500) == []


def test_a_parcel_of_unknown_weight_gets_the_flat_rates_only(app, seller):
    tenant, _ = seller

    assert options(app, tenant, "PT", total_weight_grams=None) == [("Standard EU", 450), ("Express PT", 1200)]
    assert options(app, tenant, "JP", total_weight_grams=None) == []


def test_each_seller_offers_only_its_own_rates(app, seller, make_seller):
    other = make_seller("other")

    assert options(app, other, "PT") == []
