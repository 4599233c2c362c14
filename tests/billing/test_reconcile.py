"""Reconciliation: the ledger's movements of the processor balance against the processor's balance transactions."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from billing import jobs, postings, reconcile
from billing.ledger_models import TransactionKind
from marketplace.accounts.models import MemberRole
from tenants.uow import UnitOfWork
from tests.billing.money_support import charge, connect, earn_and_transfer, eur, post

TODAY = date.today().isoformat()


@pytest.fixture
def gateway(app):
    return app.extensions["payment_gateway"]


@pytest.fixture
def acme(make_seller):
    return make_seller("acme")


@pytest.fixture
def clean_ledger(gateway, acme):
    """Two paid orders transferred to the seller: charges and transfers, in the ledger and at the processor alike."""
    account = connect(gateway, acme.id)
    earn_and_transfer(gateway, acme.id, account, eur(10_000), "order-1")
    earn_and_transfer(gateway, acme.id, account, eur(2_500), "order-2")
    return account


def reconcile_command(app, *arguments: str):
    return app.test_cli_runner().invoke(args=["billing", "reconcile", *arguments])


def test_a_clean_ledger_reconciles_without_a_difference(app, clean_ledger):
    result = reconcile_command(app, "--from", TODAY, "--to", TODAY)

    assert result.exit_code == 0, result.output
    assert "4 matched, 0 differences" in result.output


def test_every_injected_difference_is_reported_and_the_command_fails(app, gateway, acme, clean_ledger):
    # The processor was paid, and refunded a buyer, and the ledger heard of neither.
    unknown_charge = charge(gateway, eur(3_000), "order-3")
    refunded = gateway.create_refund(payment_intent_id=gateway.retrieve_charge(unknown_charge).payment_intent_id,
                                     amount=eur(700), idempotency_key="re:3", metadata={})
    # The ledger recorded a transfer of 10.00 that the processor made of 9.00 ...
    charge_id = charge(gateway, eur(1_000), "order-4")
    transfer = gateway.create_transfer(amount=eur(900), destination=clean_ledger, source_transaction=charge_id,
                                       transfer_group="order-4", idempotency_key="tr:order-4", metadata={})
    post(TransactionKind.TRANSFER, "tr:order-4", postings.transfer(acme.id, eur(1_000)), tenant_id=acme.id,
         gateway_source=transfer.id)
    # ... and a movement naming no processor object at all.
    post(TransactionKind.TRANSFER, "tr:unknown", postings.transfer(acme.id, eur(50)), tenant_id=acme.id)

    result = reconcile_command(app, "--from", TODAY)

    assert result.exit_code == 1
    for expected in (f"missing_in_ledger {refunded.id} EUR: ledger 0, gateway -700",
                     f"missing_in_ledger {unknown_charge} EUR: ledger 0, gateway 2883",
                     f"amount_mismatch {transfer.id} EUR: ledger -1000, gateway -900",
                     "missing_at_gateway tr:unknown EUR: ledger -50, gateway 0"):
        assert expected in result.output, result.output


def test_the_daily_run_records_its_report_once_and_operators_read_it(app, client, operator, gateway, acme,
                                                                     clean_ledger, sign_up, make_seller):
    post(TransactionKind.TRANSFER, "tr:unknown", postings.transfer(acme.id, eur(50)), tenant_id=acme.id)
    with app.app_context():
        report_id = reconcile.record_daily_report(gateway, date.today())
        assert reconcile.record_daily_report(gateway, date.today()) is None

    response = client.get("/api/v1/operator/reconciliation", headers=operator.headers)

    assert response.status_code == 200
    [shown] = response.get_json()
    assert shown["id"] == report_id
    assert (shown["matched_count"], shown["difference_count"]) == (4, 1)
    assert shown["differences"] == [{"kind": "missing_at_gateway", "source": "tr:unknown", "currency": "EUR",
                                     "ledger_amount": -50, "gateway_amount": 0}]
    seller_owner = sign_up("owner@acme.test")
    make_seller("shop", {seller_owner.user_id: MemberRole.OWNER})
    assert client.get("/api/v1/operator/reconciliation", headers=seller_owner.headers).status_code == 403


def test_a_period_outside_the_movements_has_nothing_to_reconcile(app, gateway, clean_ledger):
    tomorrow = datetime.combine(date.today() + timedelta(days=1), time.min, tzinfo=timezone.utc)
    with app.app_context(), UnitOfWork() as uow:
        report = reconcile.reconcile(uow.session, gateway, tomorrow, tomorrow + timedelta(days=1))
    assert (report.matched_count, report.differences) == (0, [])


def test_the_scheduler_records_yesterdays_report(app, client, operator, gateway, monkeypatch):
    monkeypatch.setitem(app.config, "PAYOUT_RUN_HOUR", 0)
    with app.app_context():
        jobs.reconcile_yesterday()
        jobs.reconcile_yesterday()

    [report] = client.get("/api/v1/operator/reconciliation", headers=operator.headers).get_json()
    yesterday = datetime.combine(datetime.now(timezone.utc).date() - timedelta(days=1), time.min, tzinfo=timezone.utc)
    assert report["period_start"] == yesterday.isoformat()
    assert report["difference_count"] == 0
