"""Seller applications: applying, slugs that are not free, approval, rejection, notifications, the audit trail."""
from __future__ import annotations

import pytest

from marketplace.sellers.jobs import notify_application_decided
from tests.sellers.conftest import APPLICATION


def decide(client, operator, application_id: int, decision: str, **body):
    return client.post(f"/api/v1/operator/applications/{application_id}/{decision}", json=body or None,
                       headers=operator.headers)


def test_an_application_is_pending_and_listed_for_its_applicant(client, buyer, apply):
    response = apply(buyer, country="pt", currency="eur")

    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["wanted_slug"], body["country"], body["currency"]) == \
        ("pending", "acme-tools", "PT", "EUR")
    mine = client.get("/api/v1/seller-applications", headers=buyer.headers).get_json()
    assert [application["id"] for application in mine] == [body["id"]]


def test_applicants_see_only_their_own_applications(client, sign_up, apply):
    ada = sign_up("ada@example.com")
    bob = sign_up("bob@example.com")
    apply(ada)
    apply(bob, wanted_slug="bobs-bikes")

    mine = client.get("/api/v1/seller-applications", headers=bob.headers).get_json()

    assert [application["wanted_slug"] for application in mine] == ["bobs-bikes"]


def test_a_slug_of_an_existing_seller_is_a_409_with_a_free_suggestion(client, buyer, apply, make_seller, row_counts):
    make_seller("acme-tools")
    make_seller("acme-tools-2")
    before = row_counts()

    response = apply(buyer)

    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == "slug_taken"
    assert body["errors"]["suggested_slug"] == ["acme-tools-3"]
    assert row_counts() == before


def test_a_slug_another_pending_application_wants_is_a_409(client, sign_up, apply):
    apply(sign_up("first@example.com"))

    response = apply(sign_up("second@example.com"))

    assert response.status_code == 409
    assert response.get_json()["errors"]["suggested_slug"] == ["acme-tools-2"]


def test_a_slug_of_a_rejected_application_is_free_again(client, sign_up, operator, apply):
    rejected = apply(sign_up("first@example.com")).get_json()
    decide(client, operator, rejected["id"], "reject", reason="Incomplete")

    response = apply(sign_up("second@example.com"))

    assert response.status_code == 201


def test_a_reserved_slug_is_a_409_with_a_suggestion(client, buyer, apply):
    response = apply(buyer, wanted_slug="admin")

    assert response.status_code == 409
    assert response.get_json()["errors"]["suggested_slug"] == ["admin-2"]


@pytest.mark.parametrize("slug", ["ab", "Acme", "acme tools", "acme--tools", "-acme", "x" * 41])
def test_a_malformed_slug_is_a_422(client, buyer, apply, row_counts, slug):
    before = row_counts()

    response = apply(buyer, wanted_slug=slug)

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["wanted_slug"]
    assert row_counts() == before


def test_operators_list_applications_by_status(client, sign_up, operator, apply):
    first = apply(sign_up("first@example.com")).get_json()
    second = apply(sign_up("second@example.com"), wanted_slug="second-shop").get_json()
    decide(client, operator, first["id"], "reject", reason="Incomplete")

    pending = client.get("/api/v1/operator/applications?status=pending", headers=operator.headers)
    everything = client.get("/api/v1/operator/applications", headers=operator.headers)

    assert [application["id"] for application in pending.get_json()] == [second["id"]]
    assert [application["applicant_email"] for application in everything.get_json()] == \
        ["first@example.com", "second@example.com"]


def test_approval_opens_the_shop_with_the_applicant_as_owner(client, buyer, operator, apply, sql):
    application = apply(buyer).get_json()

    response = decide(client, operator, application["id"], "approve")

    assert response.status_code == 200
    assert sql("SELECT t.slug, t.display_name, t.status, m.role FROM platform.tenants t "
               "JOIN platform.memberships m ON m.tenant_id = t.id WHERE m.user_id = :user_id",
               user_id=buyer.user_id) == [("acme-tools", "Acme Tools", "active", "owner")]


def test_the_approval_notification_is_recorded_once_however_often_the_job_runs(app, client, buyer, operator, apply):
    application = apply(buyer).get_json()
    decide(client, operator, application["id"], "approve")

    with app.app_context():
        notify_application_decided(application["id"])
        notify_application_decided(application["id"])

    notifications = client.get("/api/v1/me/notifications", headers=buyer.headers).get_json()
    assert [n["subject"] for n in notifications if n["kind"].startswith("seller_application")] == \
        ["Your shop Acme Tools is open"]


def test_rejection_keeps_the_reason_and_tells_the_applicant(app, client, buyer, operator, apply, sql):
    application = apply(buyer).get_json()

    response = decide(client, operator, application["id"], "reject", reason="We only take EU sellers for now.")
    with app.app_context():
        notify_application_decided(application["id"])

    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["rejection_reason"]) == \
        ("rejected", "We only take EU sellers for now.")
    assert sql("SELECT count(*) FROM platform.tenants") == [(0,)]
    notifications = client.get("/api/v1/me/notifications", headers=buyer.headers).get_json()
    [notice] = [n for n in notifications if n["kind"] == "seller_application_rejected"]
    assert "We only take EU sellers for now." in notice["body"]


@pytest.mark.parametrize("first, second", [("approve", "approve"), ("approve", "reject"),
                                           ("reject", "approve"), ("reject", "reject")])
def test_deciding_an_application_twice_is_a_409(client, buyer, operator, apply, row_counts, first, second):
    application = apply(buyer).get_json()
    decide(client, operator, application["id"], first, **({"reason": "No"} if first == "reject" else {}))
    before = row_counts()

    response = decide(client, operator, application["id"], second, **({"reason": "No"} if second == "reject" else {}))

    assert response.status_code == 409
    assert response.get_json()["code"] == "application_decided"
    assert row_counts() == before


def test_approving_when_the_slug_was_taken_meanwhile_is_a_409_and_decides_nothing(
        client, buyer, operator, apply, make_seller, row_counts):
    application = apply(buyer).get_json()
    make_seller("acme-tools")
    before = row_counts()

    response = decide(client, operator, application["id"], "approve")

    assert response.status_code == 409
    assert row_counts() == before
    pending = client.get("/api/v1/operator/applications?status=pending", headers=operator.headers).get_json()
    assert [a["id"] for a in pending] == [application["id"]]


def test_deciding_an_unknown_application_is_a_404(client, operator):
    response = decide(client, operator, 424242, "approve")

    assert response.status_code == 404


def test_every_decision_is_in_the_audit_log_with_who_and_before_and_after(client, sign_up, operator, apply):
    approved = apply(sign_up("first@example.com")).get_json()
    rejected = apply(sign_up("second@example.com"), wanted_slug="second-shop").get_json()
    decide(client, operator, approved["id"], "approve")
    decide(client, operator, rejected["id"], "reject", reason="Duplicate")

    entries = client.get("/api/v1/operator/audit-log", headers=operator.headers).get_json()

    decisions = [(e["action"], e["target_id"], e["actor_email"], e["before"]["status"], e["after"]["status"])
                 for e in entries if e["target_type"] == "seller_application"]
    assert decisions == [
        ("seller_application.reject", str(rejected["id"]), operator.email, "pending", "rejected"),
        ("seller_application.approve", str(approved["id"]), operator.email, "pending", "approved"),
    ]
    assert all(entry["created_at"] for entry in entries)


def test_the_application_form_is_the_one_documented(client):
    document = client.get("/api/v1/openapi.json").get_json()

    schema = document["components"]["schemas"]["ApplicationCreate"]

    assert set(schema["properties"]) == set(APPLICATION)
