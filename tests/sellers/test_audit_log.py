"""The operators' audit log: newest first, filtered by seller and by action."""
from __future__ import annotations

import json

AUDIT_LOG = "/api/v1/operator/audit-log"


def suspend_and_resume(client, operator, slug: str) -> None:
    client.post(f"/api/v1/operator/tenants/{slug}/suspend", json={"reason": "Review"}, headers=operator.headers)
    client.post(f"/api/v1/operator/tenants/{slug}/resume", json={}, headers=operator.headers)


def test_the_log_is_filtered_by_seller_and_action(client, operator, make_seller):
    make_seller("acme-tools")
    make_seller("rival-shop")
    suspend_and_resume(client, operator, "acme-tools")
    suspend_and_resume(client, operator, "rival-shop")

    of_acme = client.get(f"{AUDIT_LOG}?tenant=acme-tools", headers=operator.headers).get_json()
    suspensions = client.get(f"{AUDIT_LOG}?action=tenant.suspend", headers=operator.headers).get_json()
    both = client.get(f"{AUDIT_LOG}?tenant=rival-shop&action=tenant.resume", headers=operator.headers).get_json()

    assert [(e["tenant_slug"], e["action"]) for e in of_acme] == [("acme-tools", "tenant.resume"),
                                                                   ("acme-tools", "tenant.suspend")]
    assert [e["tenant_slug"] for e in suspensions] == ["rival-shop", "acme-tools"]
    assert [(e["tenant_slug"], e["action"]) for e in both] == [("rival-shop", "tenant.resume")]


def test_an_unknown_seller_has_an_empty_log(client, operator, make_seller):
    make_seller("acme-tools")
    suspend_and_resume(client, operator, "acme-tools")

    response = client.get(f"{AUDIT_LOG}?tenant=no-such-shop", headers=operator.headers)

    assert response.status_code == 200
    assert response.get_json() == []


def test_the_log_is_paginated(client, operator, make_seller):
    make_seller("acme-tools")
    suspend_and_resume(client, operator, "acme-tools")
    suspend_and_resume(client, operator, "acme-tools")

    response = client.get(f"{AUDIT_LOG}?page_size=3&page=2", headers=operator.headers)

    assert [entry["action"] for entry in response.get_json()] == ["tenant.suspend"]
    assert json.loads(response.headers["X-Pagination"])["total"] == 4
