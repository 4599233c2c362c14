"""A seller's life by API: apply, approval, a team, suspension and resumption, on either shard."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from tenants.provisioning import provision_tenant
from tenants.shards import shards


def schema_exists(shard_key: str, schema_name: str) -> bool:
    with shards.engine(shard_key).connect() as connection:
        return connection.scalar(text("SELECT count(*) FROM pg_namespace WHERE nspname = :name"),
                                 {"name": schema_name}) == 1


def notification_kinds(client, user) -> list[str]:
    return [notification["kind"] for notification in client.get("/api/v1/me/notifications",
                                                                 headers=user.headers).get_json()]


@pytest.mark.parametrize("shard_key", ["default", "second"])
def test_an_applicant_becomes_owner_builds_a_team_and_lives_through_a_suspension(
        app, client, sign_up, operator, apply, jobs, sql, mailbox, shard_key):
    if shard_key == "second":
        with app.app_context():
            provision_tenant("first-shop", "First Shop")  # the next seller goes to the emptier shard
    applicant = sign_up("ada@acme.example")
    clerk = sign_up("clerk@acme.example")

    application = apply(applicant).get_json()
    approved = client.post(f"/api/v1/operator/applications/{application['id']}/approve", headers=operator.headers)
    jobs()

    assert approved.status_code == 200
    assert approved.get_json()["status"] == "approved"
    assert approved.get_json()["tenant_slug"] == "acme-tools"
    [(schema_name, placed_on, currency, country)] = sql(
        "SELECT schema_name, shard_key, currency, country FROM platform.tenants WHERE slug = 'acme-tools'")
    assert placed_on == shard_key
    assert schema_exists(shard_key, schema_name)
    assert (currency, country) == ("EUR", "PT")
    profile = client.get("/api/v1/me", headers=applicant.headers).get_json()
    assert [(m["slug"], m["role"]) for m in profile["memberships"]] == [("acme-tools", "owner")]
    assert "seller_application_approved" in notification_kinds(client, applicant)

    invite = client.post("/api/v1/sellers/acme-tools/members/invites",
                         json={"email": "clerk@acme.example", "role": "staff"}, headers=applicant.headers)
    invite_token = mailbox.token_for("clerk@acme.example")
    accepted = client.post("/api/v1/member-invites/accept", json={"token": invite_token}, headers=clerk.headers)

    assert invite.status_code == 201
    assert accepted.status_code == 200
    assert accepted.get_json() == {"slug": "acme-tools", "display_name": "Acme Tools", "role": "staff"}
    members = client.get("/api/v1/sellers/acme-tools/members", headers=clerk.headers).get_json()
    assert {(m["email"], m["role"]) for m in members} == {("ada@acme.example", "owner"),
                                                          ("clerk@acme.example", "staff")}

    suspended = client.post("/api/v1/operator/tenants/acme-tools/suspend", json={"reason": "Unpaid invoices"},
                            headers=operator.headers)
    write_while_suspended = client.patch("/api/v1/sellers/acme-tools/settings", json={"description": "Back soon"},
                                         headers=applicant.headers)
    read_while_suspended = client.get("/api/v1/sellers/acme-tools/settings", headers=applicant.headers)

    assert suspended.get_json()["status"] == "suspended"
    assert write_while_suspended.status_code == 403
    assert write_while_suspended.get_json()["code"] == "tenant_suspended"
    assert read_while_suspended.status_code == 200

    resumed = client.post("/api/v1/operator/tenants/acme-tools/resume", json={}, headers=operator.headers)
    write_after_resume = client.patch("/api/v1/sellers/acme-tools/settings", json={"description": "Open again"},
                                      headers=applicant.headers)

    assert resumed.get_json()["status"] == "active"
    assert write_after_resume.status_code == 200
    assert write_after_resume.get_json()["description"] == "Open again"
    actions = [entry["action"] for entry in
               client.get("/api/v1/operator/audit-log?tenant=acme-tools", headers=operator.headers).get_json()]
    assert actions == ["storefront_settings.update", "tenant.resume", "tenant.suspend", "member_invite.accept",
                       "member_invite.create", "seller_application.approve"]
