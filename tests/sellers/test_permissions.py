"""Who may call which sellers endpoint: buyer, rival owner, staff, manager, owner, operator, stranger."""
from __future__ import annotations

import pytest

from marketplace.accounts.models import MemberRole

ACTORS = ("buyer", "rival owner", "staff", "manager", "owner", "operator")
OPERATORS_ONLY = (403, 403, 403, 403, 403, 200)

# name: (method, path, body, expected status per actor in ACTORS order)
ENDPOINTS = {
    "list members": ("GET", "/sellers/acme-tools/members", None, (403, 403, 200, 200, 200, 200)),
    "read settings": ("GET", "/sellers/acme-tools/settings", None, (403, 403, 200, 200, 200, 200)),
    "replace settings": ("PUT", "/sellers/acme-tools/settings", {"display_name": "Acme"},
                         (403, 403, 403, 200, 200, 403)),
    "change settings": ("PATCH", "/sellers/acme-tools/settings", {"description": "New"},
                        (403, 403, 403, 200, 200, 403)),
    "invite": ("POST", "/sellers/acme-tools/members/invites", {"email": "new@example.com", "role": "staff"},
               (403, 403, 403, 201, 201, 403)),
    "list invites": ("GET", "/sellers/acme-tools/members/invites", None, (403, 403, 403, 200, 200, 403)),
    "withdraw invite": ("DELETE", "/sellers/acme-tools/members/invites/{invite_id}", None,
                        (403, 403, 403, 204, 204, 403)),
    "change role": ("PATCH", "/sellers/acme-tools/members/{staff_id}", {"role": "staff"},
                    (403, 403, 403, 403, 200, 403)),
    "remove member": ("DELETE", "/sellers/acme-tools/members/{staff_id}", None, (403, 403, 403, 403, 204, 403)),
    "my applications": ("GET", "/seller-applications", None, (200, 200, 200, 200, 200, 200)),
    "list applications": ("GET", "/operator/applications", None, OPERATORS_ONLY),
    "approve": ("POST", "/operator/applications/{application_id}/approve", None, OPERATORS_ONLY),
    "reject": ("POST", "/operator/applications/{application_id}/reject", {"reason": "No"}, OPERATORS_ONLY),
    "list tenants": ("GET", "/operator/tenants", None, OPERATORS_ONLY),
    "read tenant": ("GET", "/operator/tenants/acme-tools", None, OPERATORS_ONLY),
    "suspend": ("POST", "/operator/tenants/acme-tools/suspend", {"reason": "Review"}, OPERATORS_ONLY),
    "close": ("POST", "/operator/tenants/acme-tools/close", {"reason": "Gone"}, OPERATORS_ONLY),
    "list exports": ("GET", "/operator/tenants/acme-tools/exports", None, OPERATORS_ONLY),
    "audit log": ("GET", "/operator/audit-log", None, OPERATORS_ONLY),
}
# Each needs the tenant in the starting status of its transition.
TRANSITIONS = {"resume": "suspended", "activate": "pending"}


@pytest.fixture
def actors(team, sign_up, make_seller, operator) -> dict:
    rival = sign_up("rival@example.com")
    make_seller("rival-shop", {rival.user_id: MemberRole.OWNER})
    return {"buyer": sign_up("buyer@example.com"), "rival owner": rival, "staff": team.staff,
            "manager": team.manager, "owner": team.owner, "operator": operator}


@pytest.fixture
def path_ids(client, team, actors) -> dict[str, int]:
    invite = client.post("/api/v1/sellers/acme-tools/members/invites", json={"email": "old@example.com",
                                                                           "role": "staff"},
                         headers=team.owner.headers).get_json()
    application = client.post("/api/v1/seller-applications", headers=actors["buyer"].headers, json={
        "shop_name": "Bob's Bikes", "wanted_slug": "bobs-bikes", "contact_email": "bob@example.com",
        "country": "NL", "currency": "EUR"}).get_json()
    return {"invite_id": invite["id"], "application_id": application["id"], "staff_id": team.staff.user_id}


def call_as_everyone(client, actors, path_ids, method: str, path: str, body) -> dict[str, tuple[int, dict | None]]:
    # In ACTORS order: those who may succeed come last, so an earlier success never changes a later answer.
    return {name: _call(client, actors[name], method, "/api/v1" + path.format(**path_ids), body) for name in ACTORS}


def _call(client, actor, method, path, body):
    response = client.open(path, method=method, json=body, headers=actor.headers)
    return response.status_code, response.get_json(silent=True)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_actor_gets_the_status_their_role_allows(client, actors, path_ids, endpoint):
    method, path, body, expected = ENDPOINTS[endpoint]

    answers = call_as_everyone(client, actors, path_ids, method, path, body)

    assert {name: status for name, (status, _) in answers.items()} == dict(zip(ACTORS, expected))
    refusals = [answer for status, answer in answers.values() if status == 403]
    assert all(set(answer) == {"code", "message"} for answer in refusals)


@pytest.mark.parametrize("action, start", TRANSITIONS.items())
def test_only_operators_resume_or_activate_a_tenant(client, actors, path_ids, sql, action, start):
    sql("UPDATE platform.tenants SET status = :status WHERE slug = 'acme-tools'", status=start)

    answers = call_as_everyone(client, actors, path_ids, "POST", f"/operator/tenants/acme-tools/{action}", {})

    assert {name: status for name, (status, _) in answers.items()} == dict(zip(ACTORS, OPERATORS_ONLY))


def test_the_owner_of_another_seller_sees_none_of_this_sellers_data(client, actors, path_ids):
    rival = actors["rival owner"]
    client.put("/api/v1/sellers/acme-tools/settings", json={"display_name": "Acme", "support_email": "a@acme.example"},
               headers=actors["owner"].headers)

    answers = [client.get(f"/api/v1/sellers/acme-tools/{resource}", headers=rival.headers)
               for resource in ("settings", "members", "members/invites")]

    assert [answer.status_code for answer in answers] == [403, 403, 403]
    assert not any(b"acme.example" in answer.data for answer in answers)


def test_a_sellers_own_applications_list_never_shows_anothers(client, actors, path_ids):
    answers = call_as_everyone(client, actors, path_ids, "GET", "/seller-applications", None)

    assert [a["wanted_slug"] for a in answers["buyer"][1]] == ["bobs-bikes"]
    assert all(answer == [] for name, (_, answer) in answers.items() if name != "buyer")


@pytest.mark.parametrize("method, path", [
    (method, path) for method, path, _, _ in ENDPOINTS.values()
] + [("POST", "/seller-applications"), ("POST", "/member-invites/accept"),
     ("POST", "/operator/tenants/acme-tools/resume"), ("POST", "/operator/tenants/acme-tools/activate")])
def test_a_stranger_is_asked_to_sign_in(client, method, path):
    response = client.open("/api/v1" + path.format(invite_id=1, application_id=1, staff_id=1), method=method,
                           json={})

    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"


def test_a_members_endpoint_of_an_unknown_seller_is_a_404(client, actors):
    response = client.get("/api/v1/sellers/no-such-shop/settings", headers=actors["owner"].headers)

    assert response.status_code == 404
