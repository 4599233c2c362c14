"""Storefront settings: defaults, replacing and changing them, the custom domain, what the storefront reads."""
from __future__ import annotations

from marketplace.accounts.models import MemberRole
from marketplace.storefront.settings import get_storefront_settings

SETTINGS = "/api/v1/sellers/acme-tools/settings"
FULL_SETTINGS = {
    "display_name": "Acme Tools & Co",
    "description": "Hand tools, forged in Porto.",
    "logo_url": "https://cdn.example.com/acme/logo.png",
    "banner_url": "http://cdn.example.com/acme/banner.jpg",
    "shipping_policy": "Ships in 2 days.",
    "returns_policy": "30 days, no questions.",
    "support_email": "help@acme.example",
    "custom_domain": "shop.acme.example",
    "acceptance_hours": 72,
}


def test_a_seller_without_settings_shows_its_registry_name(client, team):
    response = client.get(SETTINGS, headers=team.staff.headers)

    assert response.status_code == 200
    assert response.get_json() == {"display_name": "Acme Tools", "description": "", "logo_url": None,
                                   "banner_url": None, "shipping_policy": "", "returns_policy": "",
                                   "support_email": None, "custom_domain": None, "acceptance_hours": None}


def test_put_replaces_every_setting(client, team):
    client.put(SETTINGS, json=FULL_SETTINGS, headers=team.owner.headers)

    response = client.put(SETTINGS, json={"display_name": "Acme"}, headers=team.manager.headers)

    assert response.status_code == 200
    assert response.get_json() == {"display_name": "Acme", "description": "", "logo_url": None, "banner_url": None,
                                   "shipping_policy": "", "returns_policy": "", "support_email": None,
                                   "custom_domain": None, "acceptance_hours": None}


def test_patch_changes_only_the_given_settings(client, team):
    client.put(SETTINGS, json=FULL_SETTINGS, headers=team.owner.headers)

    response = client.patch(SETTINGS, json={"returns_policy": "14 days.", "logo_url": None},
                            headers=team.manager.headers)

    assert response.status_code == 200
    assert response.get_json() == {**FULL_SETTINGS, "returns_policy": "14 days.", "logo_url": None}
    assert client.get(SETTINGS, headers=team.staff.headers).get_json() == response.get_json()


def test_the_display_name_becomes_the_sellers_name(client, team, operator):
    client.patch(SETTINGS, json={"display_name": "Acme Tools & Co"}, headers=team.owner.headers)

    response = client.get("/api/v1/operator/tenants/acme-tools", headers=operator.headers)

    assert response.get_json()["display_name"] == "Acme Tools & Co"


def test_a_custom_domain_is_stored_in_lower_case_without_its_final_dot(client, team, sql):
    response = client.patch(SETTINGS, json={"custom_domain": "Shop.Acme.Example."}, headers=team.owner.headers)

    assert response.get_json()["custom_domain"] == "shop.acme.example"
    assert sql("SELECT hostname, is_primary FROM platform.tenant_domains") == [("shop.acme.example", True)]


def test_a_custom_domain_another_seller_has_verified_is_a_409(client, team, sign_up, make_seller, sql):
    rival = sign_up("rival@example.com")
    make_seller("rival-shop", {rival.user_id: MemberRole.OWNER})
    client.patch("/api/v1/sellers/rival-shop/settings", json={"custom_domain": "shop.acme.example"},
                 headers=rival.headers)
    sql("UPDATE platform.tenant_domains SET status = 'verified'")  # the rival proved it

    response = client.patch(SETTINGS, json={"custom_domain": "shop.acme.example", "description": "Ours"},
                            headers=team.owner.headers)

    assert response.status_code == 409
    assert response.get_json()["code"] == "domain_taken"
    assert client.get(SETTINGS, headers=team.owner.headers).get_json()["description"] == ""
    assert sql("SELECT t.slug FROM platform.tenant_domains d JOIN platform.tenants t ON t.id = d.tenant_id") == \
        [("rival-shop",)]


def test_moving_to_another_domain_frees_the_old_one(client, team, sql):
    client.patch(SETTINGS, json={"custom_domain": "old.acme.example"}, headers=team.owner.headers)

    client.patch(SETTINGS, json={"custom_domain": "new.acme.example"}, headers=team.owner.headers)

    assert sql("SELECT hostname FROM platform.tenant_domains") == [("new.acme.example",)]


def test_the_storefront_reads_the_settings_through_the_service(app, client, team):
    client.put(SETTINGS, json=FULL_SETTINGS, headers=team.owner.headers)

    with app.app_context():
        settings = get_storefront_settings(team.tenant)

    assert settings == FULL_SETTINGS


def test_settings_changes_are_audited_with_before_and_after(client, team, operator):
    client.patch(SETTINGS, json={"shipping_policy": "Ships in 2 days."}, headers=team.manager.headers)

    [entry] = client.get("/api/v1/operator/audit-log?action=storefront_settings.update",
                         headers=operator.headers).get_json()

    assert entry["actor_email"] == "manager@acme.example"
    assert (entry["before"]["shipping_policy"], entry["after"]["shipping_policy"]) == ("", "Ships in 2 days.")
