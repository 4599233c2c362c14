"""The console's applications queue: approving, and rejecting with a reason the applicant is told."""
from __future__ import annotations

from playwright.sync_api import expect

from marketplace.sellers.jobs import notify_application_decided
from tests.web.browser import assert_accessible
from tests.web.console_support import OPERATOR_EMAIL, api_headers, applied, as_operator


def test_an_operator_approves_one_application_and_rejects_another_with_a_reason(app, page, account, client):
    approved_id = applied(app, account, "ana@example.com", "Ana Ceramics", "ana-ceramics")
    rejected_id = applied(app, account, "rui@example.com", "Rui Knives", "rui-knives")
    as_operator(page, account, "/console/applications")
    assert_accessible(page)

    page.get_by_role("button", name="Approve Ana Ceramics").click()
    expect(page.get_by_text("Approved: Ana Ceramics is open as the seller ana-ceramics.")).to_be_visible()

    page.get_by_role("link", name="Reject Rui Knives…").click()
    page.get_by_role("button", name="Reject the application").click()  # no reason: refused beside the field
    assert page.locator("#reason-errors").inner_text() == "This field is required."
    assert_accessible(page)
    page.get_by_label("Reason").fill("We only take sellers with their own workshop.")
    page.get_by_role("button", name="Reject the application").click()
    expect(page.get_by_text("Rejected: Rui Knives. The applicant is told why.")).to_be_visible()
    expect(page.get_by_text("No pending applications.")).to_be_visible()

    with app.app_context():
        notify_application_decided(rejected_id)
        notify_application_decided(approved_id)
    headers = api_headers(client, "rui@example.com")
    [mine] = client.get("/api/v1/seller-applications", headers=headers).get_json()
    assert (mine["status"], mine["rejection_reason"]) == ("rejected", "We only take sellers with their own workshop.")
    notices = client.get("/api/v1/me/notifications", headers=headers).get_json()
    assert any("We only take sellers with their own workshop." in notice["body"] for notice in notices)
    assert client.get("/api/v1/operator/tenants/ana-ceramics", headers=api_headers(client, OPERATOR_EMAIL)).get_json()[
        "owner_emails"] == ["ana@example.com"]
