"""Sellers manage their shipping rates: owners and managers write, members and operators read, sellers apart."""
from __future__ import annotations

import pytest

from marketplace.accounts.models import MemberRole

FLAT = {"name": "Standard", "countries": ["PT", "ES", "PT"], "kind": "flat", "amount": 450}
BANDS = {"name": "By weight", "countries": ["*"], "kind": "weight_bands",
         "weight_bands": [{"up_to_grams": 1000, "amount": 500}, {"up_to_grams": 5000, "amount": 900}],
         "free_over_amount": 10000, "position": 2}


@pytest.fixture
def team(sign_up, make_seller):
    owner, manager, staff = (sign_up(f"{role}@acme.example") for role in ("owner", "manager", "staff"))
    make_seller("acme", {owner.user_id: MemberRole.OWNER, manager.user_id: MemberRole.MANAGER,
                         staff.user_id: MemberRole.STAFF})
    return {"owner": owner, "manager": manager, "staff": staff}


RATES = "/api/v1/sellers/acme/shipping-rates"


def add(client, member, rate=FLAT) -> dict:
    response = client.post(RATES, json=rate, headers=member.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_manager_adds_a_flat_rate_in_the_sellers_currency(client, team):
    rate = add(client, team["manager"])

    assert {key: rate[key] for key in ("name", "countries", "kind", "amount", "weight_bands", "free_over_amount",
                                       "position", "currency")} == {
        "name": "Standard", "countries": ["ES", "PT"], "kind": "flat", "amount": 450, "weight_bands": [],
        "free_over_amount": None, "position": 0, "currency": "USD"}
    assert client.get(f"{RATES}/{rate['id']}", headers=team["staff"].headers).get_json() == rate


def test_the_list_follows_position_then_id(client, team):
    by_weight = add(client, team["owner"], BANDS)
    standard = add(client, team["owner"])
    express = add(client, team["owner"], {**FLAT, "name": "Express", "amount": 1500, "position": 1})

    listed = client.get(RATES, headers=team["staff"].headers).get_json()

    assert [rate["id"] for rate in listed] == [standard["id"], express["id"], by_weight["id"]]


def test_a_change_keeps_the_other_fields(client, team):
    rate = add(client, team["owner"], BANDS)

    response = client.patch(f"{RATES}/{rate['id']}", json={"free_over_amount": None, "countries": ["DE"]},
                            headers=team["manager"].headers)

    assert response.status_code == 200
    assert response.get_json() == {**rate, "free_over_amount": None, "countries": ["DE"],
                                   "updated_at": response.get_json()["updated_at"]}


def test_switching_to_flat_needs_an_amount_and_no_bands(client, team):
    rate = add(client, team["owner"], BANDS)

    refused = client.patch(f"{RATES}/{rate['id']}", json={"kind": "flat"}, headers=team["owner"].headers)
    switched = client.patch(f"{RATES}/{rate['id']}", json={"kind": "flat", "amount": 700, "weight_bands": []},
                            headers=team["owner"].headers)

    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"amount", "weight_bands"}
    assert switched.status_code == 200
    assert (switched.get_json()["kind"], switched.get_json()["amount"]) == ("flat", 700)


def test_a_deleted_rate_is_gone(client, team):
    rate = add(client, team["owner"])

    response = client.delete(f"{RATES}/{rate['id']}", headers=team["owner"].headers)

    assert response.status_code == 204
    assert client.get(f"{RATES}/{rate['id']}", headers=team["owner"].headers).status_code == 404
    assert client.get(RATES, headers=team["owner"].headers).get_json() == []


def test_staff_read_the_rates_but_cannot_change_them(client, team):
    rate = add(client, team["owner"])
    staff = team["staff"].headers

    answers = [client.post(RATES, json=FLAT, headers=staff),
               client.patch(f"{RATES}/{rate['id']}", json={"amount": 1}, headers=staff),
               client.delete(f"{RATES}/{rate['id']}", headers=staff)]

    assert [answer.status_code for answer in answers] == [403, 403, 403]
    assert client.get(RATES, headers=staff).get_json() == [rate]


def test_operators_read_but_outsiders_do_not(client, team, operator, buyer):
    rate = add(client, team["owner"])

    assert client.get(RATES, headers=operator.headers).get_json() == [rate]
    assert client.post(RATES, json=FLAT, headers=operator.headers).status_code == 403
    assert client.get(RATES, headers=buyer.headers).status_code == 403
    assert client.get(RATES).status_code == 401


def test_a_suspended_sellers_rates_are_read_only(client, team, operator):
    rate = add(client, team["owner"])
    assert client.post("/api/v1/operator/tenants/acme/suspend", json={"reason": "unpaid invoices"},
                       headers=operator.headers).status_code == 200

    response = client.patch(f"{RATES}/{rate['id']}", json={"amount": 1}, headers=team["owner"].headers)

    assert response.status_code == 403 and response.get_json()["code"] == "tenant_suspended"
    assert client.get(RATES, headers=team["owner"].headers).get_json() == [rate]


def test_one_sellers_rates_are_invisible_to_another(client, team, sign_up, make_seller):
    rate = add(client, team["owner"])
    rival = sign_up("owner@rival.example")
    make_seller("rival", {rival.user_id: MemberRole.OWNER})
    rival_rates = "/api/v1/sellers/rival/shipping-rates"

    answers = [client.get(f"{rival_rates}/{rate['id']}", headers=rival.headers),
               client.patch(f"{rival_rates}/{rate['id']}", json={"amount": 1}, headers=rival.headers),
               client.delete(f"{rival_rates}/{rate['id']}", headers=rival.headers),
               client.get(f"{RATES}/{rate['id']}", headers=rival.headers)]

    assert [answer.status_code for answer in answers] == [404, 404, 404, 403]
    assert client.get(rival_rates, headers=rival.headers).get_json() == []
    assert client.get(f"{RATES}/{rate['id']}", headers=team["owner"].headers).get_json() == rate


def test_every_change_of_a_rate_is_audited_with_before_and_after(client, team, operator):
    rate = add(client, team["owner"])
    client.patch(f"{RATES}/{rate['id']}", json={"amount": 500}, headers=team["manager"].headers)
    client.delete(f"{RATES}/{rate['id']}", headers=team["owner"].headers)

    entries = client.get("/api/v1/operator/audit-log", headers=operator.headers).get_json()

    by_action = {entry["action"]: entry for entry in entries if entry["target_type"] == "shipping_rate"}
    assert set(by_action) == {"shipping_rate.create", "shipping_rate.update", "shipping_rate.delete"}
    update = by_action["shipping_rate.update"]
    assert update["actor_email"] == "manager@acme.example"
    assert (update["before"]["amount"], update["after"]["amount"]) == (450, 500)
    assert by_action["shipping_rate.delete"]["before"]["countries"] == ["ES", "PT"]


@pytest.mark.parametrize("rate, faulty_fields", [
    ({**FLAT, "amount": None}, {"amount"}),
    ({"name": "x", "countries": ["PT"], "kind": "flat"}, {"amount"}),
    ({**FLAT, "weight_bands": [{"up_to_grams": 10, "amount": 1}]}, {"weight_bands"}),
    ({**BANDS, "weight_bands": []}, {"weight_bands"}),
    ({**BANDS, "amount": 100}, {"amount"}),
    ({**BANDS, "weight_bands": [{"up_to_grams": 500, "amount": 1}, {"up_to_grams": 500, "amount": 2}]},
     {"weight_bands"}),
    ({**BANDS, "weight_bands": [{"up_to_grams": 0, "amount": 1}]}, {"weight_bands"}),
    ({**BANDS, "weight_bands": [{"up_to_grams": 100, "amount": -1}]}, {"weight_bands"}),
    ({**FLAT, "countries": []}, {"countries"}),
    ({**FLAT, "countries": ["ZZ"]}, {"countries"}),
    ({**FLAT, "countries": ["pt"]}, {"countries"}),
    ({**FLAT, "countries": ["**"]}, {"countries"}),
    ({**FLAT, "amount": -1}, {"amount"}),
    ({**FLAT, "amount": 10**13}, {"amount"}),
    ({**FLAT, "amount": "450"}, {"amount"}),
    ({**FLAT, "kind": "by_price"}, {"kind"}),
    ({**FLAT, "name": "  "}, {"name"}),
    ({**FLAT, "free_over_amount": -5}, {"free_over_amount"}),
    ({**FLAT, "currency": "EUR"}, {"currency"}),
])
def test_a_rate_that_is_not_whole_is_refused_naming_the_field(client, team, rate, faulty_fields):
    response = client.post(RATES, json=rate, headers=team["owner"].headers)

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == faulty_fields
    assert client.get(RATES, headers=team["owner"].headers).get_json() == []
