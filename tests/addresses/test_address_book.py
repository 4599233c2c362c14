"""A buyer's address book: adding, reading, changing and deleting addresses, and the one default."""
from __future__ import annotations

import pytest

from marketplace.addresses.models import MAX_ADDRESSES_PER_USER

ADDRESSES = "/api/v1/me/addresses"
PORTO = {"name": "Ada Lovelace", "line1": "Rua das Flores 12", "city": "Porto", "postal_code": "4050-262",
         "country": "PT"}
SAN_FRANCISCO = {"name": "Ada Lovelace", "line1": "500 Howard St", "city": "San Francisco", "region": "CA",
                 "postal_code": "94105", "country": "US", "phone": "+1 415 555 0100"}


def add(client, buyer, address=PORTO, expected_status=201) -> dict:
    response = client.post(ADDRESSES, json=address, headers=buyer.headers)
    assert response.status_code == expected_status, response.get_json()
    return response.get_json()


def listed(client, buyer) -> list[dict]:
    return client.get(ADDRESSES, headers=buyer.headers).get_json()


def default_ids(client, buyer) -> list[int]:
    return [address["id"] for address in listed(client, buyer) if address["is_default"]]


def test_the_first_address_becomes_the_default(client, buyer):
    address = add(client, buyer)

    assert address["is_default"] is True
    assert {key: address[key] for key in PORTO} == PORTO
    assert address["line2"] == "" and address["region"] == "" and address["phone"] is None


def test_a_later_address_is_not_the_default_until_made_one(client, buyer):
    first, second = add(client, buyer), add(client, buyer, SAN_FRANCISCO)

    response = client.post(f"{ADDRESSES}/{second['id']}/default", headers=buyer.headers)

    assert second["is_default"] is False
    assert response.status_code == 200 and response.get_json()["is_default"] is True
    assert default_ids(client, buyer) == [second["id"]]
    assert client.get(f"{ADDRESSES}/{first['id']}", headers=buyer.headers).get_json()["is_default"] is False


def test_the_list_shows_the_default_first_then_the_newest(client, buyer):
    first = add(client, buyer)
    second = add(client, buyer, SAN_FRANCISCO)
    third = add(client, buyer, {**PORTO, "line1": "Rua de Santa Catarina 1"})

    assert [address["id"] for address in listed(client, buyer)] == [first["id"], third["id"], second["id"]]


def test_deleting_the_default_promotes_the_newest_remaining_address(client, buyer):
    first = add(client, buyer)
    second = add(client, buyer, SAN_FRANCISCO)
    third = add(client, buyer, {**PORTO, "line1": "Rua de Santa Catarina 1"})

    response = client.delete(f"{ADDRESSES}/{first['id']}", headers=buyer.headers)

    assert response.status_code == 204
    assert default_ids(client, buyer) == [third["id"]]
    assert {address["id"] for address in listed(client, buyer)} == {second["id"], third["id"]}


def test_deleting_another_address_keeps_the_default(client, buyer):
    first, second = add(client, buyer), add(client, buyer, SAN_FRANCISCO)

    client.delete(f"{ADDRESSES}/{second['id']}", headers=buyer.headers)

    assert default_ids(client, buyer) == [first["id"]]


def test_deleting_the_last_address_leaves_an_empty_book_and_the_next_one_is_the_default(client, buyer):
    first = add(client, buyer)
    client.delete(f"{ADDRESSES}/{first['id']}", headers=buyer.headers)

    assert listed(client, buyer) == []
    assert add(client, buyer, SAN_FRANCISCO)["is_default"] is True


def test_a_change_keeps_the_other_fields_and_is_checked_against_the_country(client, buyer):
    address = add(client, buyer, SAN_FRANCISCO)

    response = client.patch(f"{ADDRESSES}/{address['id']}", json={"line2": "Suite 300", "region": "new york",
                                                                  "postal_code": "10001-1234"},
                            headers=buyer.headers)

    assert response.status_code == 200
    assert response.get_json() == {**address, "line2": "Suite 300", "region": "NY", "postal_code": "10001-1234",
                                   "updated_at": response.get_json()["updated_at"]}


def test_moving_an_address_to_another_country_needs_a_postal_code_of_that_country(client, buyer, sql):
    address = add(client, buyer, SAN_FRANCISCO)

    response = client.patch(f"{ADDRESSES}/{address['id']}", json={"country": "CA"}, headers=buyer.headers)

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"postal_code", "region"}
    assert sql("SELECT country, postal_code FROM platform.addresses") == [("US", "94105")]


def test_another_buyers_address_is_not_found(client, buyer, sign_up):
    address = add(client, buyer)
    stranger = sign_up("stranger@example.com")

    answers = [client.get(f"{ADDRESSES}/{address['id']}", headers=stranger.headers),
               client.patch(f"{ADDRESSES}/{address['id']}", json={"city": "Lisboa"}, headers=stranger.headers),
               client.delete(f"{ADDRESSES}/{address['id']}", headers=stranger.headers),
               client.post(f"{ADDRESSES}/{address['id']}/default", headers=stranger.headers)]

    assert [answer.status_code for answer in answers] == [404, 404, 404, 404]
    assert listed(client, stranger) == []
    assert listed(client, buyer) == [address]


def test_the_address_book_is_full_at_its_limit(client, buyer, sql):
    for number in range(MAX_ADDRESSES_PER_USER):
        add(client, buyer, {**PORTO, "line1": f"Rua das Flores {number}"})

    response = client.post(ADDRESSES, json=SAN_FRANCISCO, headers=buyer.headers)

    assert response.status_code == 409
    assert response.get_json()["code"] == "address_limit_reached"
    assert sql("SELECT count(*) FROM platform.addresses") == [(MAX_ADDRESSES_PER_USER,)]


def test_the_address_book_needs_a_sign_in(client):
    assert client.get(ADDRESSES).status_code == 401
    assert client.post(ADDRESSES, json=PORTO).status_code == 401


def test_the_database_refuses_a_second_default(buyer, client, sql):
    first, second = add(client, buyer), add(client, buyer, SAN_FRANCISCO)

    with pytest.raises(Exception, match="uq_addresses_default_user_id"):
        sql("UPDATE platform.addresses SET is_default = true WHERE id = :id", id=second["id"])

    assert default_ids(client, buyer) == [first["id"]]
