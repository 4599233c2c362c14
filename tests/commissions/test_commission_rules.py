"""Operators manage the commission rules: one per scope, each change in the audit log, others refused."""
from __future__ import annotations

import json

import pytest

from marketplace.accounts.models import MemberRole
from tests.bad_input import BadBodyTests, BodyEndpoint
from tests.commissions.conftest import RULES_URL


@pytest.fixture
def acme(make_seller):
    return make_seller("acme")


def audit_entries(client, operator, action: str) -> list[dict]:
    return client.get("/api/v1/operator/audit-log", query_string={"action": action},
                      headers=operator.headers).get_json()


def test_an_operator_creates_reads_changes_and_deletes_a_rule_each_with_an_audit_entry(
        client, operator, rules, acme, make_category):
    kitchen = make_category("kitchen")

    created = rules.create(seller="acme", category_id=kitchen, basis_points=1250, fixed_fee_amount=30,
                           currency="USD")
    read = rules.call("GET", f"{RULES_URL}/{created['id']}", 200)
    changed = rules.call("PATCH", f"{RULES_URL}/{created['id']}", 200, json={"basis_points": 900,
                                                                            "fixed_fee_amount": 0, "currency": None})
    rules.call("DELETE", f"{RULES_URL}/{created['id']}", 204)

    assert read == created
    assert {key: created[key] for key in ("seller", "category_id", "basis_points", "fixed_fee_amount", "currency")} \
        == {"seller": "acme", "category_id": kitchen, "basis_points": 1250, "fixed_fee_amount": 30, "currency": "USD"}
    assert (changed["basis_points"], changed["fixed_fee_amount"], changed["currency"]) == (900, 0, None)
    assert rules.call("GET", f"{RULES_URL}/{created['id']}", 404)["code"] == "not_found"
    [creation] = audit_entries(client, operator, "commission_rule.create")
    [change] = audit_entries(client, operator, "commission_rule.update")
    [deletion] = audit_entries(client, operator, "commission_rule.delete")
    assert creation["actor_user_id"] == operator.user_id and creation["tenant_slug"] == "acme"
    assert creation["after"]["basis_points"] == 1250
    assert (change["before"]["basis_points"], change["after"]["basis_points"]) == (1250, 900)
    assert deletion["before"]["basis_points"] == 900 and deletion["target_id"] == str(created["id"])


@pytest.mark.parametrize("scope", [{}, {"seller": "acme"}, {"category": True}, {"seller": "acme", "category": True}])
def test_a_second_rule_for_the_same_scope_is_a_409_and_changes_nothing(rules, acme, make_category, rules_state,
                                                                      scope):
    body = {"seller": scope.get("seller")}
    if scope.get("category"):
        body["category_id"] = make_category("kitchen")
    rules.create(basis_points=1000, **body)
    before = rules_state()

    refused = rules.create(409, basis_points=500, **body)

    assert refused["code"] == "commission_rule_exists"
    assert rules_state() == before


def test_the_list_filters_by_seller_and_by_category_and_is_paginated(client, rules, make_seller, make_category):
    make_seller("acme"), make_seller("bolt")
    kitchen = make_category("kitchen")
    default = rules.create(basis_points=1000)
    acme_rule = rules.create(seller="acme", basis_points=700)
    acme_kitchen = rules.create(seller="acme", category_id=kitchen, basis_points=600)
    bolt_rule = rules.create(seller="bolt", basis_points=800)

    everything = client.get(RULES_URL, query_string={"page_size": 2}, headers=rules.headers)

    assert [rule["id"] for rule in everything.get_json()] == [default["id"], acme_rule["id"]]
    assert json.loads(everything.headers["X-Pagination"])["total"] == 4
    assert [rule["id"] for rule in rules.call("GET", f"{RULES_URL}?seller=acme", 200)] == [acme_rule["id"],
                                                                                            acme_kitchen["id"]]
    assert [rule["id"] for rule in rules.call("GET", f"{RULES_URL}?category_id={kitchen}", 200)] == [
        acme_kitchen["id"]]
    assert [rule["id"] for rule in rules.call("GET", f"{RULES_URL}?seller=bolt", 200)] == [bolt_rule["id"]]


def test_deleting_a_category_deletes_its_rules(rules, make_category, client, operator):
    kitchen = make_category("kitchen")
    rules.create(category_id=kitchen, basis_points=800)

    client.delete(f"/api/v1/operator/categories/{kitchen}", headers=operator.headers)

    assert rules.call("GET", RULES_URL, 200) == []


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", RULES_URL, None),
    ("POST", RULES_URL, {"basis_points": 1000}),
    ("GET", f"{RULES_URL}/resolve?seller=acme", None),
    ("GET", f"{RULES_URL}/{{rule}}", None),
    ("PATCH", f"{RULES_URL}/{{rule}}", {"basis_points": 1}),
    ("DELETE", f"{RULES_URL}/{{rule}}", None),
])
@pytest.mark.parametrize(("caller", "status"), [("anonymous", 401), ("buyer", 403), ("seller owner", 403)])
def test_only_operators_may_see_or_change_the_rules(client, rules, acme, rules_state, sign_up, make_seller,
                                                    method, path, body, caller, status):
    rule = rules.create(basis_points=1000)
    headers = {}
    if caller == "buyer":
        headers = sign_up("buyer@example.com").headers
    elif caller == "seller owner":
        owner = sign_up("owner@bolt.example")
        make_seller("bolt", {owner.user_id: MemberRole.OWNER})
        headers = owner.headers
    before = rules_state()

    response = client.open(path.format(rule=rule["id"]), method=method, json=body, headers=headers)

    assert response.status_code == status
    assert response.get_json()["code"] == ("unauthorized" if status == 401 else "forbidden")
    assert rules_state() == before


def test_an_unknown_rule_is_a_404_for_every_method(rules, rules_state):
    before = rules_state()

    for method, body in (("GET", None), ("PATCH", {"basis_points": 1}), ("DELETE", None)):
        assert rules.call(method, f"{RULES_URL}/424242", 404, json=body)["code"] == "not_found"
    assert rules_state() == before


# Bad bodies: a clear 422 naming the field, and nothing written (tests/bad_input.py).

BODY_ENDPOINTS = {
    "create rule": BodyEndpoint("POST", RULES_URL, "operator", {"seller": "acme", "basis_points": 1000},
                                frozenset({"basis_points"})),
    "change rule": BodyEndpoint("PATCH", RULES_URL + "/{rule}", "operator", {"basis_points": 900},
                                frozenset({"_schema"})),
}

INVALID_FIELDS = [
    ("create rule", {"basis_points": 10_001}, "basis_points"),
    ("create rule", {"basis_points": -1}, "basis_points"),
    ("create rule", {"basis_points": 12.5}, "basis_points"),
    ("create rule", {"basis_points": "1000"}, "basis_points"),
    ("create rule", {"basis_points": True}, "basis_points"),
    ("create rule", {"basis_points": None}, "basis_points"),
    ("create rule", {"seller": "nobody"}, "seller"),
    ("create rule", {"seller": ""}, "seller"),
    ("create rule", {"category_id": 999_999}, "category_id"),
    ("create rule", {"category_id": 0}, "category_id"),
    ("create rule", {"category_id": 2**63}, "category_id"),
    ("create rule", {"category_id": "kitchen"}, "category_id"),
    ("create rule", {"fixed_fee_amount": 30}, "currency"),
    ("create rule", {"currency": "USD"}, "currency"),
    ("create rule", {"fixed_fee_amount": -1, "currency": "USD"}, "fixed_fee_amount"),
    ("create rule", {"fixed_fee_amount": 1.5, "currency": "USD"}, "fixed_fee_amount"),
    ("create rule", {"fixed_fee_amount": 10**13, "currency": "USD"}, "fixed_fee_amount"),
    ("create rule", {"fixed_fee_amount": 30, "currency": "usd"}, "currency"),
    ("create rule", {"fixed_fee_amount": 30, "currency": "XYZ"}, "currency"),
    # acme sells in USD: a fee in EUR could never apply to its lines.
    ("create rule", {"fixed_fee_amount": 30, "currency": "EUR"}, "currency"),
    ("create rule", {"tenant_id": 1}, "tenant_id"),
    ("change rule", {"basis_points": 10_001}, "basis_points"),
    ("change rule", {"basis_points": None}, "basis_points"),
    ("change rule", {"fixed_fee_amount": 30}, "currency"),
    ("change rule", {"currency": "USD"}, "currency"),
    ("change rule", {"fixed_fee_amount": 30, "currency": "EUR"}, "currency"),
    ("change rule", {"seller": "acme"}, "seller"),
    ("change rule", {"category_id": 1}, "category_id"),
]


@pytest.fixture
def target_rule(rules, acme) -> dict:
    return rules.create(seller="acme", basis_points=1000)


@pytest.fixture
def send_body(client, operator, target_rule):
    def send(endpoint: str, **kwargs):
        spec = BODY_ENDPOINTS[endpoint]
        return client.open(spec.path.format(rule=target_rule["id"]), method=spec.method, headers=operator.headers,
                           **kwargs)

    return send


@pytest.fixture
def database_state(target_rule, rules_state):
    return rules_state


class TestBadBodies(BadBodyTests):
    endpoints = BODY_ENDPOINTS
    invalid_fields = INVALID_FIELDS
