"""Addresses are checked against their country's rules: postal code patterns and required regions."""
from __future__ import annotations

import pytest

ADDRESSES = "/api/v1/me/addresses"
BASE = {"name": "Ada Lovelace", "line1": "1 Main Street", "city": "Somewhere"}


@pytest.mark.parametrize("country, region, postal_code, stored_region, stored_postal_code", [
    ("US", "CA", "94105", "CA", "94105"),
    ("US", "ca", "94105-1234", "CA", "94105-1234"),
    ("US", "California", "94105", "CA", "94105"),
    ("CA", "ON", "k1a 0b1", "ON", "K1A 0B1"),
    ("AU", "NSW", "2000", "NSW", "2000"),
    ("GB", "", "ec1y  8sy", "", "EC1Y 8SY"),
    ("DE", "", "10115", "", "10115"),
    ("FR", "", "75008", "", "75008"),
    ("PT", "", "1250-096", "", "1250-096"),
    ("NL", "", "1234 ab", "", "1234 AB"),
    ("ES", "Madrid", "28039", "M", "28039"),
    ("IT", "MI", "20121", "MI", "20121"),
    ("JP", "Tokyo", "154-0023", "東京都", "154-0023"),
    ("BR", "SP", "01310-100", "SP", "01310-100"),
    # Countries whose rules name no pattern take the code as given, within its length.
    ("AQ", "", "Base 7", "", "BASE 7"),
    ("IE", "", "", "", ""),
])
def test_an_address_fitting_its_country_is_stored_in_standard_form(client, buyer, country, region, postal_code,
                                                                   stored_region, stored_postal_code):
    response = client.post(ADDRESSES, json={**BASE, "country": country, "region": region,
                                            "postal_code": postal_code}, headers=buyer.headers)

    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["region"], response.get_json()["postal_code"]) == (stored_region,
                                                                                  stored_postal_code)


@pytest.mark.parametrize("fields, faulty_field", [
    ({"country": "US", "region": "CA", "postal_code": "9410"}, "postal_code"),
    ({"country": "US", "region": "CA", "postal_code": "94105-12"}, "postal_code"),
    ({"country": "US", "region": "CA", "postal_code": ""}, "postal_code"),
    ({"country": "US", "region": "", "postal_code": "94105"}, "region"),
    ({"country": "US", "region": "Bavaria", "postal_code": "94105"}, "region"),
    ({"country": "CA", "region": "ON", "postal_code": "K1A0B"}, "postal_code"),
    ({"country": "CA", "region": "", "postal_code": "K1A 0B1"}, "region"),
    ({"country": "AU", "region": "XX", "postal_code": "2000"}, "region"),
    ({"country": "GB", "postal_code": "EC1Y 8SYX"}, "postal_code"),
    ({"country": "DE", "postal_code": "1011"}, "postal_code"),
    ({"country": "PT", "postal_code": "1250096"}, "postal_code"),
    ({"country": "NL", "postal_code": "0123 AB"}, "postal_code"),
    ({"country": "JP", "region": "Tokyo", "postal_code": "1540-023"}, "postal_code"),
    ({"country": "ZZ", "postal_code": "12345"}, "country"),
    ({"country": "pt", "postal_code": "1250-096"}, "country"),
    ({"country": "PT", "postal_code": "1250-096", "phone": "call me"}, "phone"),
    ({"country": "PT", "postal_code": "x" * 21}, "postal_code"),
    ({"country": "PT", "postal_code": "1250-096", "name": "   "}, "name"),
    ({"country": "PT", "postal_code": "1250-096", "line1": None}, "line1"),
])
def test_an_address_breaking_its_countrys_rules_is_refused_naming_the_field(client, buyer, sql, fields,
                                                                            faulty_field):
    response = client.post(ADDRESSES, json={**BASE, **fields}, headers=buyer.headers)

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"
    assert list(response.get_json()["errors"]) == [faulty_field]
    assert sql("SELECT count(*) FROM platform.addresses") == [(0,)]


def test_an_empty_change_is_refused(client, buyer):
    address = client.post(ADDRESSES, json={**BASE, "country": "DE", "postal_code": "10115"},
                          headers=buyer.headers).get_json()

    response = client.patch(f"{ADDRESSES}/{address['id']}", json={}, headers=buyer.headers)

    assert response.status_code == 422


def test_a_field_outside_the_address_is_refused(client, buyer, sql):
    response = client.post(ADDRESSES, json={**BASE, "country": "DE", "postal_code": "10115", "is_default": False,
                                            "user_id": 1}, headers=buyer.headers)

    assert response.status_code == 422
    assert sql("SELECT count(*) FROM platform.addresses") == [(0,)]
