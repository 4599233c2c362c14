"""A seller's balance: available, pending, receivable and paid out, as billing/postings.py defines them."""
from __future__ import annotations

from billing import ledger, postings
from billing.ledger_models import TransactionKind
from marketplace.accounts.models import MemberRole
from tenants.uow import UnitOfWork
from tests.billing.money_support import eur, post, settle

BALANCE = "/api/v1/sellers/{slug}/balance"


def figures(client, headers, slug="acme") -> list[dict]:
    response = client.get(BALANCE.format(slug=slug), headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["balances"]


def test_each_movement_moves_the_figures_it_should(client, owner, acme):
    # An order: 100.00 charged, 12.00 commission, 3.20 processing fee borne by the seller: 84.80 earned.
    settle(acme.id, eur(10_000), commission=eur(1_200), fee=eur(320), key="settle:1")
    assert figures(client, owner.headers) == [
        {"currency": "EUR", "available": 0, "pending": 8_480, "receivable": 0, "paid_out": 0}]

    post(TransactionKind.TRANSFER, "tr:1", postings.transfer(acme.id, eur(8_480)), tenant_id=acme.id)
    assert figures(client, owner.headers)[0] == {
        "currency": "EUR", "available": 8_480, "pending": 0, "receivable": 0, "paid_out": 0}

    payout = post(TransactionKind.PAYOUT, "payout:po_1", postings.payout(acme.id, eur(8_480)), tenant_id=acme.id)
    assert figures(client, owner.headers)[0] == {
        "currency": "EUR", "available": 0, "pending": 0, "receivable": 0, "paid_out": 8_480}

    # A refund after the transfer that could not be reversed: the seller owes it, as a receivable.
    post(TransactionKind.REFUND, "refund:re_1", postings.refund(acme.id, eur(2_000), eur(240)), tenant_id=acme.id)
    post(TransactionKind.REFUND, "receivable:re_1", postings.receivable(acme.id, eur(1_760)), tenant_id=acme.id)
    assert figures(client, owner.headers)[0] == {
        "currency": "EUR", "available": 0, "pending": 0, "receivable": 1_760, "paid_out": 8_480}

    # The payout failed: its correction takes it out of "paid out" and makes the money available again.
    with UnitOfWork() as uow:
        ledger.reverse(uow, payout.id, "payout-failed:po_1", "failed")
        uow.commit()
    assert figures(client, owner.headers)[0] == {
        "currency": "EUR", "available": 8_480, "pending": 0, "receivable": 1_760,
        "paid_out": 0}


def test_a_seller_without_money_sees_zeros_in_its_currency(client, owner, acme):
    assert figures(client, owner.headers) == [
        {"currency": acme.currency, "available": 0, "pending": 0, "receivable": 0, "paid_out": 0}]


def test_a_seller_reads_only_its_own_balance(client, owner, acme, make_seller, sign_up):
    rival_owner = sign_up("owner@rival.test")
    rival = make_seller("rival", {rival_owner.user_id: MemberRole.OWNER})
    settle(rival.id, eur(5_000), key="settle:rival")

    other = client.get(BALANCE.format(slug="rival"), headers=owner.headers)
    unknown = client.get(BALANCE.format(slug="nobody"), headers=owner.headers)

    assert other.status_code == 403 and other.get_json()["code"] == "forbidden"
    assert unknown.status_code == 404
    assert client.get(BALANCE.format(slug="acme")).status_code == 401
    assert figures(client, rival_owner.headers, "rival")[0]["pending"] == 5_000
    assert figures(client, owner.headers)[0]["pending"] == 0


def test_operators_see_every_sellers_balance_page_by_page(client, operator, owner, acme, make_seller):
    rival = make_seller("rival")
    make_seller("idle")
    settle(acme.id, eur(1_000), key="settle:acme")
    settle(rival.id, eur(2_000), key="settle:rival")

    first = client.get("/api/v1/operator/balances?page_size=1", headers=operator.headers)
    second = client.get("/api/v1/operator/balances?page_size=1&page=2", headers=operator.headers)

    assert [seller["seller"] for seller in first.get_json() + second.get_json()] == ["acme", "rival"]
    assert second.get_json()[0]["balances"][0]["pending"] == 2_000
    assert client.get("/api/v1/operator/balances", headers=owner.headers).status_code == 403
