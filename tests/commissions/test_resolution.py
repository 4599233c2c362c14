"""Which commission rule applies to a line: the most specific, a category's rule covering its subtree."""
from __future__ import annotations

import pytest


@pytest.fixture
def tree(make_category) -> dict[str, int]:
    """home > kitchen > mugs, and garden beside home."""
    home = make_category("home")
    kitchen = make_category("kitchen", home)
    return {"home": home, "kitchen": kitchen, "mugs": make_category("mugs", kitchen),
            "garden": make_category("garden")}


@pytest.fixture
def sellers(make_seller) -> None:
    make_seller("acme")
    make_seller("bolt")


def applied_basis_points(rules, seller: str, category_id: int | None) -> int | None:
    rule = rules.resolve(seller, category_id)["rule"]
    return rule["basis_points"] if rule else None


def test_the_most_specific_rule_applies_and_a_category_rule_covers_its_subtree(rules, tree, sellers):
    rules.create(basis_points=1000)
    rules.create(category_id=tree["home"], basis_points=900)
    rules.create(category_id=tree["kitchen"], basis_points=800)
    rules.create(seller="acme", basis_points=700)
    rules.create(seller="acme", category_id=tree["home"], basis_points=600)

    applied = {(seller, category): applied_basis_points(rules, seller, tree.get(category))
               for seller in ("acme", "bolt") for category in ("mugs", "kitchen", "home", "garden", None)}

    assert applied == {
        # Another seller: the nearest category rule up the tree, else the default.
        ("bolt", "mugs"): 800, ("bolt", "kitchen"): 800, ("bolt", "home"): 900, ("bolt", "garden"): 1000,
        ("bolt", None): 1000,
        # acme: its rule on a category above beats a nearer rule of every seller; else its own rule.
        ("acme", "mugs"): 600, ("acme", "kitchen"): 600, ("acme", "home"): 600, ("acme", "garden"): 700,
        ("acme", None): 700,
    }


def test_a_sellers_rule_on_a_nearer_category_beats_its_rule_further_up(rules, tree, sellers):
    rules.create(seller="acme", category_id=tree["home"], basis_points=600)
    rules.create(seller="acme", category_id=tree["kitchen"], basis_points=500)

    assert applied_basis_points(rules, "acme", tree["mugs"]) == 500
    assert applied_basis_points(rules, "acme", tree["home"]) == 600


def test_without_any_rule_the_marketplace_takes_nothing(rules, tree, sellers):
    resolution = rules.resolve("acme", tree["mugs"], line_total_amount=5000)

    assert resolution["rule"] is None
    assert resolution["commission_amount"] == 0
    assert resolution["category_path"] == [tree["mugs"], tree["kitchen"], tree["home"]]


def test_the_commission_is_the_rounded_percentage_plus_the_fixed_fee(rules, tree, sellers):
    rules.create(seller="acme", basis_points=1250, fixed_fee_amount=30, currency="USD")

    resolution = rules.resolve("acme", line_total_amount=1999)

    # 12.5% of 1999 is 249.875, rounded to 250; plus the fee of 30.
    assert resolution["commission_amount"] == 280
    assert resolution["currency"] == "USD"


def test_a_rule_whose_fee_is_in_another_currency_is_passed_over(rules, tree, sellers):
    rules.create(basis_points=1000)
    rules.create(category_id=tree["home"], basis_points=900, fixed_fee_amount=50, currency="EUR")

    resolution = rules.resolve("acme", tree["mugs"], line_total_amount=1000)

    # The sellers sell in USD: the EUR rule on home cannot apply, so the default does.
    assert resolution["rule"]["basis_points"] == 1000
    assert resolution["commission_amount"] == 100


def test_a_deleted_rule_lets_the_next_one_down_apply(rules, tree, sellers):
    rules.create(basis_points=1000)
    seller_rule = rules.create(seller="acme", basis_points=700)

    rules.call("DELETE", f"/api/v1/operator/commission-rules/{seller_rule['id']}", 204)

    assert applied_basis_points(rules, "acme", tree["home"]) == 1000


@pytest.mark.parametrize(("query", "field"), [
    ({}, "seller"),
    ({"seller": "nobody"}, "seller"),
    ({"seller": "acme", "category_id": 999999}, "category_id"),
    ({"seller": "acme", "category_id": 0}, "category_id"),
    ({"seller": "acme", "line_total_amount": -1}, "line_total_amount"),
    ({"seller": "acme", "line_total_amount": "12.5"}, "line_total_amount"),
])
def test_a_bad_resolution_query_is_a_422_naming_the_field(client, operator, sellers, query, field):
    response = client.get("/api/v1/operator/commission-rules/resolve", query_string=query, headers=operator.headers)

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"
    assert list(response.get_json()["errors"]) == [field]
