"""Statements: every movement of a seller's money in a period, summing to the change of its balances."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from billing import postings
from billing.ledger_models import TransactionKind
from marketplace.accounts.models import MemberRole
from tests.billing.money_support import eur, post, settle

STATEMENTS = "/api/v1/sellers/{slug}/statements"


def at(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=timezone.utc)


@pytest.fixture
def november_of_acme(acme, make_seller):
    """October's order, then November's orders, refund, transfers, payout and plan fee; and another seller's order."""
    settle(acme.id, eur(5_000), key="settle:oct", occurred_at=at(20, 10))
    settle(acme.id, eur(10_000), commission=eur(1_200), fee=eur(320), key="settle:1", occurred_at=at(2))
    settle(acme.id, eur(4_000), commission=eur(480), fee=eur(146), key="settle:2", occurred_at=at(3))
    post(TransactionKind.TRANSFER, "tr:1", postings.transfer(acme.id, eur(8_480)), tenant_id=acme.id,
         occurred_at=at(10))
    post(TransactionKind.REFUND, "refund:1", postings.refund(acme.id, eur(1_000), eur(120)), tenant_id=acme.id,
         occurred_at=at(11))
    post(TransactionKind.PAYOUT, "payout:po_1", postings.payout(acme.id, eur(8_000)), tenant_id=acme.id,
         occurred_at=at(15))
    post(TransactionKind.INVOICE, "plan:2026-11", postings.plan_fee(acme.id, eur(2_900)), tenant_id=acme.id,
         occurred_at=at(30))
    settle(acme.id, eur(7_000), key="settle:dec", occurred_at=at(1, 12))
    settle(make_seller("rival").id, eur(9_999), key="settle:rival", occurred_at=at(5))


def test_a_months_statement_lists_every_movement_and_sums_to_the_change(client, owner, november_of_acme):
    response = client.get(STATEMENTS.format(slug="acme") + "?period=2026-11", headers=owner.headers)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["period_start"], body["period_end"]) == ("2026-11-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00")
    [statement] = body["statements"]
    assert [(line["external_id"], line["kind"], line["balance_change"], line["available_change"])
            for line in statement["lines"]] == [
        ("settle:1", "settlement", 8_480, 0),
        ("settle:2", "settlement", 3_374, 0),
        ("tr:1", "transfer", 0, 8_480),
        ("refund:1", "refund", -880, 0),
        ("payout:po_1", "payout", -8_000, -8_000),
        ("plan:2026-11", "invoice", -2_900, 0),
    ]
    assert (statement["opening_balance"], statement["opening_available"]) == (5_000, 0)
    assert statement["closing_balance"] == statement["opening_balance"] + sum(
        line["balance_change"] for line in statement["lines"]) == 5_074
    assert statement["closing_available"] == statement["opening_available"] + sum(
        line["available_change"] for line in statement["lines"]) == 480


def test_the_csv_statement_has_the_same_lines_between_opening_and_closing_rows(client, owner, november_of_acme):
    response = client.get(STATEMENTS.format(slug="acme") + ".csv?from=2026-11-01&to=2026-11-30",
                          headers=owner.headers)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["kind"] for row in rows] == ["opening", "settlement", "settlement", "transfer", "refund", "payout",
                                             "invoice", "closing"]
    assert int(rows[0]["balance_change"]) + sum(int(row["balance_change"]) for row in rows[1:-1]) == int(
        rows[-1]["balance_change"])


def test_a_seller_reads_only_its_own_statements(client, owner, acme, make_seller, sign_up):
    rival_owner = sign_up("owner@rival.test")
    make_seller("rival", {rival_owner.user_id: MemberRole.OWNER})

    assert client.get(STATEMENTS.format(slug="rival") + "?period=2026-11", headers=owner.headers).status_code == 403
    assert client.get(STATEMENTS.format(slug="rival") + ".csv?period=2026-11",
                      headers=owner.headers).status_code == 403
    assert client.get(STATEMENTS.format(slug="nobody") + "?period=2026-11", headers=owner.headers).status_code == 404


@pytest.mark.parametrize("query", ["", "?period=2026-13", "?period=nov", "?from=2026-11-02&to=2026-11-01",
                                   "?from=2026-11-01", "?period=2026-11&from=2026-11-01&to=2026-11-02",
                                   "?from=2024-01-01&to=2026-01-01", "?period=2026-11&colour=red"])
def test_a_bad_period_is_a_422(client, owner, acme, query):
    response = client.get(STATEMENTS.format(slug="acme") + query, headers=owner.headers)

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"
