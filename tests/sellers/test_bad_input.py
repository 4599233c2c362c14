"""Bad input on every sellers endpoint: a JSON error with the right status, and no change in the database."""
from __future__ import annotations

import pytest

from marketplace.accounts.models import MemberRole
from tests.bad_input import BadBodyTests, BodyEndpoint
from tests.sellers.conftest import APPLICATION

BODY_ENDPOINTS = {
    "apply": BodyEndpoint("POST", "/seller-applications", "buyer", APPLICATION,
                          frozenset({"shop_name", "wanted_slug", "contact_email", "country", "currency"})),
    "reject": BodyEndpoint("POST", "/operator/applications/{application_id}/reject", "operator",
                           {"reason": "Incomplete"}, frozenset({"reason"})),
    "invite": BodyEndpoint("POST", "/sellers/acme-tools/members/invites", "owner",
                           {"email": "new@example.com", "role": "staff"}, frozenset({"email", "role"})),
    "accept invite": BodyEndpoint("POST", "/member-invites/accept", "buyer", {"token": "a-token"},
                                  frozenset({"token"})),
    "change role": BodyEndpoint("PATCH", "/sellers/acme-tools/members/{staff_id}", "owner", {"role": "manager"},
                                frozenset({"role"})),
    "suspend": BodyEndpoint("POST", "/operator/tenants/acme-tools/suspend", "operator", {"reason": "Review"},
                            frozenset({"reason"})),
    "close": BodyEndpoint("POST", "/operator/tenants/acme-tools/close", "operator", {"reason": "Gone"},
                          frozenset({"reason"})),
    "move": BodyEndpoint("POST", "/operator/tenants/acme-tools/move", "operator", {"to": "second"},
                         frozenset({"to"})),
    # The reason is optional: an empty body resumes.
    "resume": BodyEndpoint("POST", "/operator/tenants/acme-tools/resume", "operator", {"reason": "Fixed"}),
    "replace settings": BodyEndpoint("PUT", "/sellers/acme-tools/settings", "owner", {"display_name": "Acme"},
                                     frozenset({"display_name"})),
    "change settings": BodyEndpoint("PATCH", "/sellers/acme-tools/settings", "owner", {"description": "New"},
                                    frozenset({"_schema"})),
}

INVALID_FIELDS = [
    ("apply", {"shop_name": "   "}, "shop_name"),
    ("apply", {"shop_name": "x" * 121}, "shop_name"),
    ("apply", {"wanted_slug": 42}, "wanted_slug"),
    ("apply", {"wanted_slug": "acme-tools\n"}, "wanted_slug"),
    ("apply", {"contact_email": "not-an-email"}, "contact_email"),
    ("apply", {"country": "XX"}, "country"),
    ("apply", {"country": "PRT"}, "country"),
    ("apply", {"currency": "BTC"}, "currency"),
    ("apply", {"currency": None}, "currency"),
    ("apply", {"description": "x" * 2001}, "description"),
    ("apply", {"status": "approved"}, "status"),
    ("reject", {"reason": ""}, "reason"),
    ("reject", {"reason": "x" * 1001}, "reason"),
    ("reject", {"status": "approved"}, "status"),
    ("invite", {"email": "nope"}, "email"),
    ("invite", {"role": "admin"}, "role"),
    ("invite", {"role": None}, "role"),
    ("invite", {"token": "chosen-by-me"}, "token"),
    ("accept invite", {"token": ""}, "token"),
    ("accept invite", {"token": "x" * 201}, "token"),
    ("accept invite", {"token": 42}, "token"),
    ("change role", {"role": "admin"}, "role"),
    ("change role", {"user_id": 1}, "user_id"),
    ("suspend", {"reason": "  "}, "reason"),
    ("suspend", {"status": "closed"}, "status"),
    ("close", {"reason": ["a", "list"]}, "reason"),
    ("resume", {"reason": "x" * 1001}, "reason"),
    ("move", {"to": ""}, "to"),
    ("move", {"to": "x" * 41}, "to"),
    ("move", {"to": 42}, "to"),
    ("move", {"from": "default"}, "from"),
    ("resume", {"status": "active"}, "status"),
    ("replace settings", {"display_name": ""}, "display_name"),
    ("replace settings", {"logo_url": "ftp://cdn.example.com/logo.png"}, "logo_url"),
    ("replace settings", {"logo_url": "javascript:alert(1)"}, "logo_url"),
    ("replace settings", {"banner_url": "not a url"}, "banner_url"),
    ("replace settings", {"banner_url": "https://cdn.example.com/" + "x" * 2000}, "banner_url"),
    ("replace settings", {"support_email": "nope"}, "support_email"),
    ("replace settings", {"custom_domain": "localhost"}, "custom_domain"),
    ("replace settings", {"custom_domain": "-bad-.example.com"}, "custom_domain"),
    ("replace settings", {"custom_domain": "a..example.com"}, "custom_domain"),
    ("replace settings", {"custom_domain": "192.168.0.1"}, "custom_domain"),
    ("replace settings", {"custom_domain": "x" * 64 + ".example.com"}, "custom_domain"),
    ("replace settings", {"description": "x" * 2001}, "description"),
    ("replace settings", {"shipping_policy": "x" * 20001}, "shipping_policy"),
    ("replace settings", {"id": 2}, "id"),
    ("change settings", {"display_name": None}, "display_name"),
    ("change settings", {"returns_policy": 7}, "returns_policy"),
    ("change settings", {"logo_url": "file:///etc/passwd"}, "logo_url"),
]

BAD_QUERIES = [
    "/operator/applications?status=maybe",
    "/operator/applications?page=0",
    "/operator/tenants?status=sleeping",
    "/operator/tenants?q=",
    "/operator/tenants?page_size=500",
    "/operator/tenants/acme-tools/exports?page=0",
    "/operator/audit-log?tenant=",
    "/operator/audit-log?action=" + "x" * 81,
    "/seller-applications?page_size=0",
    "/sellers/acme-tools/members/invites?page=-1",
]


@pytest.fixture
def scene(client, sign_up, register, make_seller, operator) -> dict:
    owner = sign_up("owner@acme.example")
    staff_id = register("staff@acme.example").get_json()["id"]
    tenant = make_seller("acme-tools", {owner.user_id: MemberRole.OWNER, staff_id: MemberRole.STAFF})
    buyer = sign_up("buyer@example.com")
    application = client.post("/api/v1/seller-applications", headers=buyer.headers,
                              json={**APPLICATION, "wanted_slug": "bobs-bikes"}).get_json()
    return {"owner": owner, "buyer": buyer, "operator": operator, "tenant": tenant,
            "ids": {"application_id": application["id"], "staff_id": staff_id}}


@pytest.fixture
def database_state(row_counts, sql, scene):
    """Row counts plus what a request could change in place."""
    settings_table = f'"{scene["tenant"].schema_name}".storefront_settings'

    def snapshot():
        return (row_counts(),
                sql("SELECT slug, status, display_name FROM platform.tenants ORDER BY id"),
                sql("SELECT user_id, role FROM platform.memberships ORDER BY id"),
                sql("SELECT status, rejection_reason FROM platform.seller_applications ORDER BY id"),
                sql(f"SELECT * FROM {settings_table}"))

    return snapshot


@pytest.fixture
def send_body(client, scene):
    def send(endpoint: str, **request):
        spec = BODY_ENDPOINTS[endpoint]
        return client.open("/api/v1" + spec.path.format(**scene["ids"]), method=spec.method,
                           headers=scene[spec.caller].headers, **request)

    return send


class TestBadBodies(BadBodyTests):
    endpoints = BODY_ENDPOINTS
    invalid_fields = INVALID_FIELDS


@pytest.mark.parametrize("path", BAD_QUERIES)
def test_a_bad_filter_or_page_is_a_422(client, scene, path):
    caller = scene["owner"] if path.startswith("/sellers/") else scene["operator"]

    response = client.get("/api/v1" + path, headers=caller.headers)

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"


@pytest.mark.parametrize("path", ["/operator/applications/abc/approve", "/sellers/acme-tools/members/abc"])
def test_a_path_id_that_is_not_a_number_is_a_404(client, scene, path):
    response = client.open("/api/v1" + path, method="PATCH" if "members" in path else "POST", json={"role": "staff"},
                           headers=scene["operator"].headers)

    assert response.status_code == 404
