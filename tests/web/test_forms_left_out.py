"""A form posted with its fields left out (a hand-made post, not the page's form) is refused beside its fields, never
a 500, and changes nothing; a field with a fallback uses it.

WTForms keeps a text field's default (None) when the post has no such key at all: every view reads text fields
through `marketplace.web.forms.text`.
"""
from __future__ import annotations

from marketplace.accounts.models import MemberRole
from tests.web.conftest import client_logged_in
from tests.web.console_support import api_headers
from tests.web.portal_support import seller_with_member

PLAN = {"name": "Pro", "monthly_fee_amount": 2900, "currency": "USD", "commission_basis_points": 800}


def test_an_operator_posting_plan_forms_without_their_fields_adds_no_plan_and_changes_none(client, account):
    account("ops@example.com", operator=True)
    operator = api_headers(client, "ops@example.com")
    client.post("/api/v1/operator/plans", json=PLAN, headers=operator)
    terms_before = plan_terms(client, operator)
    token = client_logged_in(client, "ops@example.com")

    added = client.post("/console/plans", data={"csrf_token": token})
    assert added.status_code == 422
    assert 'id="name-errors"' in added.get_data(as_text=True), added.get_data(as_text=True)
    for plan_id in terms_before:  # the free default plan (no fee, no currency) and Pro
        # The edit form starts from the plan: a field the post leaves out keeps its value.
        assert client.post(f"/console/plans/{plan_id}", data={"csrf_token": token}).status_code == 302

    assert plan_terms(client, operator) == terms_before


def plan_terms(client, headers) -> dict[int, dict]:
    plans = client.get("/api/v1/operator/plans", headers=headers).get_json()
    return {plan["id"]: {key: value for key, value in plan.items() if key not in ("created_at", "updated_at")}
            for plan in plans}


def test_a_manager_posting_the_payout_schedule_without_its_fields_gets_422_and_the_schedule_stays(
        client, make_seller, account):
    seller_with_member(make_seller, account, "oak", "manager@oak.test", MemberRole.MANAGER)
    manager = api_headers(client, "manager@oak.test")
    before = client.get("/api/v1/sellers/oak/payout-schedule", headers=manager).get_json()
    token = client_logged_in(client, "manager@oak.test")

    response = client.post("/portal/oak/money/schedule", data={"csrf_token": token})

    assert response.status_code == 422
    assert client.get("/api/v1/sellers/oak/payout-schedule", headers=manager).get_json() == before


def test_an_owner_connecting_payouts_without_a_country_field_or_one_on_record_is_asked_for_it(
        client, make_seller, account):
    seller_with_member(make_seller, account, "oak", "owner@oak.test")  # provisioned without a country
    owner = api_headers(client, "owner@oak.test")
    before = client.get("/api/v1/sellers/oak/payout-account", headers=owner)
    token = client_logged_in(client, "owner@oak.test")

    response = client.post("/portal/oak/payouts", data={"csrf_token": token})

    assert response.status_code == 422
    assert 'id="country-errors"' in response.get_data(as_text=True)
    after = client.get("/api/v1/sellers/oak/payout-account", headers=owner)
    assert (after.status_code, after.get_json()) == (before.status_code, before.get_json())  # nothing opened
