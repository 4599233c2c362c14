"""The operator's money view: the ledger, filtered and paginated, and the platform's revenue by period."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from billing import postings
from billing.ledger_models import TransactionKind
from marketplace.accounts.models import MemberRole
from tests.billing.money_support import eur, post, settle

LEDGER, REVENUE = "/api/v1/operator/ledger", "/api/v1/operator/revenue"


def at(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=timezone.utc)


@pytest.fixture
def two_sellers(make_seller):
    acme, rival = make_seller("acme"), make_seller("rival")
    settle(acme.id, eur(10_000), commission=eur(1_200), fee=eur(320), key="settle:1", occurred_at=at(2, 10))
    settle(rival.id, eur(4_000), commission=eur(480), fee=eur(146), key="settle:2", occurred_at=at(3))
    post(TransactionKind.TRANSFER, "tr:1", postings.transfer(acme.id, eur(8_480)), tenant_id=acme.id,
         occurred_at=at(10))
    post(TransactionKind.REFUND, "refund:1", postings.refund(rival.id, eur(1_000), eur(120)), tenant_id=rival.id,
         occurred_at=at(11))
    post(TransactionKind.INVOICE, "plan:acme:2026-11", postings.plan_fee(acme.id, eur(2_900)), tenant_id=acme.id,
         occurred_at=at(30))
    return acme, rival


def external_ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [transaction["external_id"] for transaction in response.get_json()]


def test_the_ledger_is_listed_newest_first_with_postings_and_filtered(client, operator, two_sellers):
    everything = client.get(LEDGER, headers=operator.headers)
    assert external_ids(everything) == ["plan:acme:2026-11", "refund:1", "tr:1", "settle:2", "settle:1"]
    assert everything.get_json()[2]["postings"] == [
        {"account": "connected_balance", "seller": "acme", "currency": "EUR", "amount": 8_480},
        {"account": "gateway_balance", "seller": None, "currency": "EUR", "amount": -8_480}]

    assert external_ids(client.get(f"{LEDGER}?seller=rival", headers=operator.headers)) == ["refund:1", "settle:2"]
    assert external_ids(client.get(f"{LEDGER}?kind=settlement", headers=operator.headers)) == ["settle:2", "settle:1"]
    assert external_ids(client.get(f"{LEDGER}?occurred_from=2026-11-01T00:00:00Z&occurred_to=2026-11-11T00:00:00Z",
                                   headers=operator.headers)) == ["tr:1", "settle:2"]
    page = client.get(f"{LEDGER}?page_size=2&page=2", headers=operator.headers)
    assert external_ids(page) == ["tr:1", "settle:2"]


@pytest.mark.parametrize("query", ["?seller=nobody", "?kind=gift", "?order_id=0", "?colour=red",
                                   "?occurred_from=2026-11-02T00:00:00Z&occurred_to=2026-11-01T00:00:00Z"])
def test_a_bad_ledger_filter_is_a_422(client, operator, query):
    response = client.get(LEDGER + query, headers=operator.headers)
    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"


def test_revenue_by_month_counts_commission_plan_fees_and_the_platforms_own_processing_cost(
        client, operator, two_sellers):
    response = client.get(f"{REVENUE}?period=month", headers=operator.headers)

    assert response.status_code == 200, response.get_json()
    assert response.get_json() == [
        # The sellers bear the whole processing fee here: the platform's own cost is zero.
        {"period_start": "2026-10-01T00:00:00+00:00", "currency": "EUR", "commission": 1_200, "plan_fees": 0,
         "processing_fees_net": 0, "net_revenue": 1_200},
        {"period_start": "2026-11-01T00:00:00+00:00", "currency": "EUR", "commission": 480 - 120, "plan_fees": 2_900,
         "processing_fees_net": 0, "net_revenue": 360 + 2_900},
    ]
    november = client.get(f"{REVENUE}?from=2026-11-01&to=2026-11-30", headers=operator.headers).get_json()
    assert [row["period_start"] for row in november] == ["2026-11-01T00:00:00+00:00"]
    assert client.get(f"{REVENUE}?period=fortnight", headers=operator.headers).status_code == 422


def test_the_money_view_is_for_operators_only(client, sign_up, make_seller):
    owner = sign_up("owner@acme.test")
    make_seller("acme", {owner.user_id: MemberRole.OWNER})
    for path in (LEDGER, REVENUE, "/api/v1/operator/balances"):
        assert client.get(path, headers=owner.headers).status_code == 403
        assert client.get(path).status_code == 401
