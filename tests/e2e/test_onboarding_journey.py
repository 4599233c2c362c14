"""Issue 3's journey end to end, by API only: a user becomes a seller whose products buyers can see.

apply → approve → invite staff (by mail) → staff creates a product with a variant and stock → publish →
visible in the marketplace listing, its detail and the seller's profile → suspend → gone → resume → back.
"""
from __future__ import annotations

API = "/api/v1"


def listed_slugs(client) -> list[str]:
    response = client.get(f"{API}/products")
    assert response.status_code == 200
    return [item["slug"] for item in response.get_json()]


def test_a_new_seller_is_approved_builds_a_catalog_and_disappears_while_suspended(client, sign_up, operator,
                                                                                  mailbox):
    owner = sign_up("ada@acme.example")
    clerk = sign_up("clerk@acme.example")
    buyer = sign_up("bea@buyer.example")

    application = client.post(f"{API}/seller-applications", headers=owner.headers, json={
        "shop_name": "Acme Tools", "wanted_slug": "acme-tools", "contact_email": "shop@acme.example",
        "country": "PT", "currency": "EUR", "description": "Hand tools"}).get_json()
    approval = client.post(f"{API}/operator/applications/{application['id']}/approve", headers=operator.headers)
    client.post(f"{API}/sellers/acme-tools/members/invites", headers=owner.headers,
                json={"email": "clerk@acme.example", "role": "staff"})
    invite_token = mailbox.token_for("clerk@acme.example")
    accepted = client.post(f"{API}/member-invites/accept", headers=clerk.headers, json={"token": invite_token})

    assert approval.status_code == 200
    assert accepted.get_json()["role"] == "staff"

    product = client.post(f"{API}/sellers/acme-tools/products", headers=clerk.headers, json={
        "slug": "claw-hammer", "title": "Claw Hammer", "description": "Ash handle",
        "attributes": {"material": "steel"}}).get_json()
    product_path = f"{API}/sellers/acme-tools/products/{product['id']}"
    variant = client.post(f"{product_path}/variants", headers=clerk.headers, json={
        "sku": "HAM-16", "options": {"weight": "16oz"}, "price_amount": 2450, "currency": "EUR"}).get_json()
    stocked = client.post(f"{product_path}/variants/{variant['id']}/stock-movements", headers=clerk.headers,
                          json={"quantity_delta": 12, "reason": "receipt"})

    assert stocked.status_code == 201
    assert "claw-hammer" not in listed_slugs(client)  # still a draft

    published = client.post(f"{product_path}/publish", headers=clerk.headers)
    detail = client.get(f"{API}/products/acme-tools/claw-hammer")
    profile = client.get(f"{API}/sellers/acme-tools")

    assert published.status_code == 200
    assert listed_slugs(client) == ["claw-hammer"]
    assert detail.status_code == 200
    assert [(v["sku"], v["price_amount"], v["in_stock"]) for v in detail.get_json()["variants"]] == [
        ("HAM-16", 2450, True)]
    assert profile.status_code == 200

    client.post(f"{API}/operator/tenants/acme-tools/suspend", headers=operator.headers, json={"reason": "audit"})

    assert listed_slugs(client) == []
    assert client.get(f"{API}/products/acme-tools/claw-hammer").status_code == 404
    assert client.get(f"{API}/sellers/acme-tools").status_code == 404
    assert client.patch(product_path, headers=clerk.headers, json={"title": "Hammer"}).status_code == 403

    client.post(f"{API}/operator/tenants/acme-tools/resume", headers=operator.headers, json={})

    assert listed_slugs(client) == ["claw-hammer"]
    assert client.get(f"{API}/products/acme-tools/claw-hammer", headers=buyer.headers).status_code == 200
