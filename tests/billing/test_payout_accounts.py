"""A seller's payout account: opened once by its owner, enabled only by the processor's account.updated event."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from sqlalchemy import select

from billing.gateway.registry import current_gateway
from billing.payout_account_models import PayoutAccount
from marketplace.accounts.models import MemberRole
from tenants.uow import UnitOfWork
from tests.billing.transfer_support import connect
from tests.workers.support import run_jobs


def payout_account_url(tenant) -> str:
    return f"/api/v1/sellers/{tenant.slug}/payout-account"


def accounts_at_gateway(app) -> int:
    from billing.gateway.models import TestGatewayAccount
    with app.app_context(), UnitOfWork() as uow:
        return len(uow.session.scalars(select(TestGatewayAccount.id)).all())


def test_an_owner_gets_an_onboarding_link_and_only_the_event_enables_payouts(app, client, make_seller, member_of):
    seller = make_seller("oak")
    owner = member_of(seller)

    opened = client.post(payout_account_url(seller), headers=owner.headers, json={"country": "PT"})

    assert opened.status_code == 200, opened.get_json()
    body = opened.get_json()
    link = urlparse(body["onboarding_url"])
    assert link.path == f"/api/v1/test-gateway/accounts/{body['account']['gateway_account_id']}/onboarding"
    assert parse_qs(link.query)["return_url"] == ["http://localhost:5000/portal/payouts"]
    assert body["account"]["payouts_enabled"] is False
    # Coming back from the onboarding page proves nothing: the flags wait for the processor.
    assert client.get(payout_account_url(seller), headers=owner.headers).get_json()["payouts_enabled"] is False

    assert client.post(link.path).status_code == 200
    assert client.get(payout_account_url(seller), headers=owner.headers).get_json()["payouts_enabled"] is False
    run_jobs(app)  # the gateway's account.updated reaches the webhook and its handler

    shown = client.get(payout_account_url(seller), headers=owner.headers).get_json()
    assert (shown["payouts_enabled"], shown["details_submitted"], shown["requirements_due"]) == (True, True, [])


def test_asking_again_gives_a_fresh_link_for_the_same_account(app, client, make_seller, member_of):
    seller = make_seller("oak")
    owner = member_of(seller)

    first = client.post(payout_account_url(seller), headers=owner.headers, json={"country": "PT"}).get_json()
    second = client.post(payout_account_url(seller), headers=owner.headers, json={}).get_json()

    assert first["account"]["gateway_account_id"] == second["account"]["gateway_account_id"]
    assert first["onboarding_url"] != second["onboarding_url"]
    assert accounts_at_gateway(app) == 1


def test_only_owners_see_or_open_the_payout_account(app, client, make_seller, member_of):
    seller = make_seller("oak")
    manager = member_of(seller, MemberRole.MANAGER)

    assert client.post(payout_account_url(seller), headers=manager.headers, json={"country": "PT"}).status_code == 403
    assert client.get(payout_account_url(seller), headers=manager.headers).status_code == 403
    assert accounts_at_gateway(app) == 0


def test_no_payout_account_yet_is_404_and_a_bad_country_is_422(app, client, make_seller, member_of):
    seller = make_seller("oak")
    owner = member_of(seller)

    assert client.get(payout_account_url(seller), headers=owner.headers).get_json()["code"] == "not_found"
    refused = client.post(payout_account_url(seller), headers=owner.headers, json={"country": "P1"})
    assert (refused.status_code, list(refused.get_json()["errors"])) == (422, ["country"])
    assert accounts_at_gateway(app) == 0


def test_an_event_for_one_sellers_account_never_touches_another_sellers(app, client, make_seller, member_of):
    oak, elm = make_seller("oak"), make_seller("elm")
    oak_owner, elm_owner = member_of(oak), member_of(elm)
    connect(app, client, oak, oak_owner)
    connect(app, client, elm, elm_owner, onboard=False)

    assert client.get(payout_account_url(oak), headers=oak_owner.headers).get_json()["payouts_enabled"] is True
    assert client.get(payout_account_url(elm), headers=elm_owner.headers).get_json()["payouts_enabled"] is False


def test_duplicate_and_unknown_account_events_change_nothing_more(app, client, make_seller, member_of):
    seller = make_seller("oak")
    owner = member_of(seller)
    connect(app, client, seller, owner)
    with app.app_context():
        stranger = current_gateway().create_connected_account(email="x@example.com", country="PT",
                                                              idempotency_key="acct:stranger", metadata={})
        current_gateway().complete_onboarding(stranger.id)
    run_jobs(app)
    # The same event delivered again (Stripe retries): stored once, nothing changes.
    with app.app_context(), UnitOfWork() as uow:
        rows = uow.session.execute(select(PayoutAccount.tenant_id, PayoutAccount.payouts_enabled)).all()

    assert rows == [(seller.id, True)]
