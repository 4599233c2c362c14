"""Who may do what on the seller and operator review endpoints; a refusal changes nothing."""
from __future__ import annotations

import pytest

from marketplace.accounts.models import MemberRole
from marketplace.reviews import services
from tests.conftest import SignedIn

CALLERS = ("anonymous", "buyer", "staff", "manager", "owner", "operator", "other seller's owner")

# endpoint -> (method, path template, body, expected status per caller)
ENDPOINTS = {
    "list seller reviews": ("GET", "/api/v1/sellers/shop/reviews", None,
                            {"anonymous": 401, "buyer": 403, "staff": 200, "manager": 200, "owner": 200,
                             "operator": 200, "other seller's owner": 403}),
    "reply": ("POST", "/api/v1/sellers/shop/reviews/{review_id}/reply", {"body": "Thanks!"},
              {"anonymous": 401, "buyer": 403, "staff": 201, "manager": 201, "owner": 201,
               "operator": 403, "other seller's owner": 403}),
    "hide": ("POST", "/api/v1/operator/reviews/shop/{review_id}/hide", {"reason": "Spam"},
             {"anonymous": 401, "buyer": 403, "staff": 403, "manager": 403, "owner": 403,
              "operator": 200, "other seller's owner": 403}),
    "unhide": ("POST", "/api/v1/operator/reviews/shop/{review_id}/unhide", {},
               {"anonymous": 401, "buyer": 403, "staff": 403, "manager": 403, "owner": 403,
                "operator": 200, "other seller's owner": 403}),
}


@pytest.fixture
def callers(account, buyer, operator, add_member, make_seller) -> dict[str, SignedIn | None]:
    """Each kind of caller, signed in (None for anonymous)."""
    accounts: dict[str, SignedIn | None] = {"anonymous": None, "buyer": buyer, "operator": operator}
    for role in (MemberRole.STAFF, MemberRole.MANAGER, MemberRole.OWNER):
        accounts[role.value] = account(f"{role.value}@example.com")
        add_member(accounts[role.value], role)
    rival_owner = account("rival@example.com")
    make_seller("rival", {rival_owner.user_id: MemberRole.OWNER})
    accounts["other seller's owner"] = rival_owner
    return accounts


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_permission_matrix(client, callers, shop, review_id, review_state, endpoint, caller):
    method, path, body, expected = ENDPOINTS[endpoint]
    if endpoint == "unhide":
        services.set_review_hidden(shop, review_id, True, operator_user_id=callers["operator"].user_id,
                                   reason="Setup")
    before = review_state()
    headers = callers[caller].headers if callers[caller] else {}

    response = client.open(path.format(review_id=review_id), method=method, json=body, headers=headers)

    assert response.status_code == expected[caller]
    if response.status_code >= 400:
        assert review_state() == before


def test_a_suspended_sellers_staff_cannot_reply(client, account, add_member, operator, review_id, review_state):
    owner = account("owner@example.com")
    add_member(owner)
    client.post("/api/v1/operator/tenants/shop/suspend", json={"reason": "Checks"}, headers=operator.headers)
    before = review_state()

    response = client.post(f"/api/v1/sellers/shop/reviews/{review_id}/reply", json={"body": "Thanks!"},
                           headers=owner.headers)

    assert response.status_code == 403
    assert response.get_json()["code"] == "tenant_suspended"
    assert review_state() == before
