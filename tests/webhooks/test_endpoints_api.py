"""Owners and managers register, change, rotate and delete webhook endpoints; bad URLs and other sellers are refused."""
from __future__ import annotations

import pytest

from marketplace.accounts.models import MemberRole
from tests.webhooks.conftest import (deliveries, drive_deliveries, endpoints_url, register_endpoint,
                                     signature_is_valid)
from tests.workers.support import run_jobs

PUBLIC_URL = "https://erp.example.com/hooks"


@pytest.fixture
def seller(make_seller):
    return make_seller("oak")


@pytest.fixture
def owner(seller, member_of):
    return member_of(seller)


def endpoint_count(client, tenant, member) -> int:
    return len(client.get(endpoints_url(tenant), headers=member.headers).get_json())


def test_an_owner_registers_an_endpoint_and_sees_its_secret_only_once(client, seller, owner):
    response = register_endpoint(client, seller, owner, PUBLIC_URL, ["seller_order.created", "shipment.created"])

    assert response.status_code == 201
    created = response.get_json()
    assert created["secret"].startswith("mwhsec_") and len(created["secret"]) > 40
    assert (created["url"], created["event_types"], created["active"]) == (
        PUBLIC_URL, ["seller_order.created", "shipment.created"], True)
    shown = client.get(f"{endpoints_url(seller)}/{created['id']}", headers=owner.headers).get_json()
    listed = client.get(endpoints_url(seller), headers=owner.headers).get_json()
    assert "secret" not in shown and all("secret" not in endpoint for endpoint in listed)
    assert [endpoint["id"] for endpoint in listed] == [created["id"]]


def test_a_staff_member_may_not_manage_endpoints(client, seller, member_of):
    staff = member_of(seller, MemberRole.STAFF)

    response = register_endpoint(client, seller, staff, PUBLIC_URL)

    assert response.status_code == 403
    assert client.get(endpoints_url(seller), headers=staff.headers).status_code == 403


@pytest.mark.parametrize("url", [
    "http://erp.example.com/hooks",          # plain http to a public host
    "https://10.0.0.1/hooks",                # private
    "https://192.168.1.20/hooks",            # private
    "https://169.254.169.254/latest/meta-data",  # link-local: a cloud's metadata service
    "https://[::ffff:10.0.0.1]/hooks",       # a private IPv4 address written as IPv6
    "https://[fe80::1]/hooks",               # link-local IPv6
    "https://224.0.0.1/hooks",               # multicast
    "https://0.0.0.0/hooks",                 # unspecified
    "https://240.0.0.1/hooks",               # reserved
    "https://100.64.0.1/hooks",              # carrier-grade NAT, not the public internet
    "ftp://erp.example.com/hooks",
    "https:///hooks",
    "https://user:password@erp.example.com/hooks",
    "https://erp.example.com:99999/hooks",
    "not a url",
    "https://[::1/hooks",
])
def test_a_url_webhooks_may_not_reach_is_a_422_naming_the_url_and_changes_nothing(client, seller, owner, url):
    response = register_endpoint(client, seller, owner, url)

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"
    assert list(response.get_json()["errors"]) == ["url"]
    assert endpoint_count(client, seller, owner) == 0


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hooks", "https://localhost/hooks", "http://[::1]:8080/hooks",
                                 "https://hooks.localhost/x"])
def test_loopback_urls_are_refused_where_loopback_is_not_allowed(app, client, seller, owner, url, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_LOOPBACK", False)

    response = register_endpoint(client, seller, owner, url)

    assert response.status_code == 422
    assert "Loopback" in response.get_json()["errors"]["url"][0]
    assert endpoint_count(client, seller, owner) == 0


def test_loopback_urls_over_http_are_allowed_in_development(client, seller, owner):
    assert register_endpoint(client, seller, owner, "http://127.0.0.1:8080/hooks").status_code == 201


@pytest.mark.parametrize("event_types", [["order.created"], [], ["seller_order.awaiting_acceptance"]])
def test_an_unknown_event_type_is_a_422_and_changes_nothing(client, seller, owner, event_types):
    response = register_endpoint(client, seller, owner, PUBLIC_URL, event_types)

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["event_types"]
    assert endpoint_count(client, seller, owner) == 0


def test_a_change_to_a_bad_url_is_a_422_and_the_endpoint_stays_as_it_was(client, seller, owner):
    created = register_endpoint(client, seller, owner, PUBLIC_URL).get_json()
    url = f"{endpoints_url(seller)}/{created['id']}"

    refused = client.patch(url, headers=owner.headers, json={"url": "https://10.1.2.3/hooks"})
    changed = client.patch(url, headers=owner.headers, json={"event_types": ["shipment.created"],
                                                             "description": "Warehouse"})

    assert refused.status_code == 422
    assert changed.status_code == 200
    assert (changed.get_json()["url"], changed.get_json()["event_types"], changed.get_json()["description"]) == (
        PUBLIC_URL, ["shipment.created"], "Warehouse")
    assert client.patch(url, headers=owner.headers, json={}).status_code == 422


def test_after_a_rotation_deliveries_are_signed_with_the_new_secret_only(app, client, offer, member_of, routed_order,
                                                                        receiver):
    seller_offer = offer("elm")
    owner = member_of(seller_offer.tenant)
    created = register_endpoint(client, seller_offer.tenant, owner, receiver.url).get_json()

    rotated = client.post(f"{endpoints_url(seller_offer.tenant)}/{created['id']}/rotate-secret", headers=owner.headers)
    routed_order([seller_offer])
    run_jobs(app)

    assert rotated.status_code == 200
    new_secret = rotated.get_json()["secret"]
    assert new_secret != created["secret"] and rotated.get_json()["secret_rotated_at"]
    [request] = receiver.received
    assert signature_is_valid(request, new_secret) and not signature_is_valid(request, created["secret"])


def test_a_deleted_endpoint_is_gone_with_its_deliveries_and_gets_nothing_more(app, client, offer, member_of,
                                                                              routed_order, receiver):
    seller_offer = offer("elm")
    owner = member_of(seller_offer.tenant)
    created = register_endpoint(client, seller_offer.tenant, owner, receiver.url).get_json()
    routed_order([seller_offer])
    url = f"{endpoints_url(seller_offer.tenant)}/{created['id']}"

    assert client.delete(url, headers=owner.headers).status_code == 204
    drive_deliveries(app, rounds=1)

    assert client.get(url, headers=owner.headers).status_code == 404
    assert client.delete(url, headers=owner.headers).status_code == 404
    assert deliveries(app, seller_offer.tenant) == []


def test_another_seller_can_neither_see_nor_touch_this_sellers_endpoints_and_deliveries(
        app, client, offer, member_of, make_seller, routed_order, receiver):
    seller_offer = offer("elm")
    owner = member_of(seller_offer.tenant)
    register_endpoint(client, seller_offer.tenant, owner, "https://elm.example.com/hooks", ["shipment.created"])
    endpoint = register_endpoint(client, seller_offer.tenant, owner, receiver.url).get_json()
    routed_order([seller_offer])
    [delivery] = deliveries(app, seller_offer.tenant)
    other = make_seller("pine")
    other_owner = member_of(other)
    register_endpoint(client, other, other_owner, "https://pine.example.com/hooks")  # its own endpoint 1
    mine, theirs = endpoints_url(seller_offer.tenant), endpoints_url(other)

    assert endpoint["id"] == 2
    assert client.get(f"{theirs}/{endpoint['id']}", headers=other_owner.headers).status_code == 404
    assert client.get(f"{theirs}/{endpoint['id']}/deliveries", headers=other_owner.headers).status_code == 404
    assert client.delete(f"{theirs}/{endpoint['id']}", headers=other_owner.headers).status_code == 404
    assert client.post(f"/api/v1/sellers/pine/webhook-deliveries/{delivery.id}/replay",
                       headers=other_owner.headers).status_code == 404
    assert client.get(mine, headers=other_owner.headers).status_code == 403
    assert client.post(f"/api/v1/sellers/elm/webhook-deliveries/{delivery.id}/replay",
                       headers=other_owner.headers).status_code == 403
    assert client.patch(f"{mine}/{endpoint['id']}", headers=other_owner.headers,
                        json={"active": False}).status_code == 403
    assert client.get(f"{mine}/{endpoint['id']}", headers=owner.headers).get_json()["active"] is True
    assert [(row.attempts, row.status.value) for row in deliveries(app, seller_offer.tenant)] == [(1, "succeeded")]
