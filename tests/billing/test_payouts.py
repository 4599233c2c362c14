"""Payout schedules and runs: due sellers paid once, the others skipped with the reason; the bank's answer lands."""
from __future__ import annotations

from datetime import date

import pytest

from billing import jobs, payouts
from billing.gateway.port import WebhookEvent
from billing.payout_models import PayoutRunTrigger
from marketplace.accounts.models import MemberRole
from tests.billing.money_support import connect, earn_and_transfer, eur
from tests.concurrency import run_together
from tests.workers.support import run_jobs

RUNS = "/api/v1/operator/payout-runs"
# A Wednesday, and a Friday.
WEDNESDAY, FRIDAY = date(2026, 11, 25), date(2026, 11, 27)


@pytest.fixture
def gateway(app):
    return app.extensions["payment_gateway"]


def start_run(client, operator) -> dict:
    response = client.post(RUNS, headers=operator.headers)
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def run_results(client, operator, run_id: int) -> list[dict]:
    run = client.get(f"{RUNS}/{run_id}", headers=operator.headers).get_json()
    assert run["status"] == "finished"
    return [{key: result[key] for key in ("seller", "outcome", "available_amount", "reason")}
            for result in run["results"]]


def gateway_payouts(sql) -> list[tuple]:
    return sql("SELECT account_id, amount, status FROM platform.test_gateway_payouts ORDER BY created_at")


def balance(client, headers, slug: str = "acme") -> dict:
    return client.get(f"/api/v1/sellers/{slug}/balance", headers=headers).get_json()["balances"][0]


def test_a_run_pays_out_each_due_seller_once_and_a_second_run_pays_nothing_again(
        app, client, operator, owner, acme, gateway, sql):
    account = connect(gateway, acme.id)
    net = earn_and_transfer(gateway, acme.id, account, eur(10_000), "order-1")

    first = start_run(client, operator)
    assert first["status"] == "queued"
    run_jobs(app)
    assert run_results(client, operator, first["id"]) == [
        {"seller": "acme", "outcome": "paid", "available_amount": net.amount, "reason": None}]
    assert gateway_payouts(sql) == [(account, net.amount, "pending")]
    assert balance(client, owner.headers) == {"currency": "EUR", "available": 0, "pending": 0, "receivable": 0,
                                              "paid_out": net.amount}

    second = start_run(client, operator)
    run_jobs(app)
    assert run_results(client, operator, second["id"]) == []
    assert len(gateway_payouts(sql)) == 1


def test_two_runs_at_once_pay_a_seller_once(app, client, operator, acme, gateway, sql):
    account = connect(gateway, acme.id)
    net = earn_and_transfer(gateway, acme.id, account, eur(10_000), "order-1")
    with app.app_context():
        runs = [payouts.start_run(PayoutRunTrigger.OPERATOR, WEDNESDAY) for _ in range(2)]

    outcomes = run_together(app, *[lambda run_id=run_id: payouts.execute_run(gateway, run_id, 1_000)
                                   for run_id in runs])

    assert outcomes == ["done", "done"]
    results = sorted((result["outcome"], result["reason"]) for run_id in runs
                     for result in client.get(f"{RUNS}/{run_id}", headers=operator.headers).get_json()["results"])
    assert results == [("paid", None), ("skipped", "nothing available")]
    assert gateway_payouts(sql) == [(account, net.amount, "pending")]
    assert sql("SELECT count(*) FROM platform.ledger_transactions WHERE kind = 'payout'") == [(1,)]


def test_a_run_skips_sellers_below_their_minimum_or_without_payouts_enabled(
        app, client, operator, owner, make_seller, gateway, sql):
    small = make_seller("small", {owner.user_id: MemberRole.OWNER})
    blocked = make_seller("blocked")
    paid = make_seller("paid")
    for seller, charged in ((small, 1_000), (blocked, 10_000), (paid, 10_000)):
        earn_and_transfer(gateway, seller.id, connect(gateway, seller.id), eur(charged), f"order-{seller.slug}")
    # The processor disabled the seller's payouts after its money was transferred (its account.updated).
    sql("UPDATE platform.payout_accounts SET payouts_enabled = false WHERE tenant_id = :id", id=blocked.id)
    schedule = client.put("/api/v1/sellers/small/payout-schedule", headers=owner.headers,
                          json={"frequency": "daily", "minimum_amount": 2_000})
    assert schedule.status_code == 200, schedule.get_json()

    run = start_run(client, operator)
    run_jobs(app)

    outcomes = {result["seller"]: (result["outcome"], result["reason"])
                for result in run_results(client, operator, run["id"])}
    assert outcomes == {
        "small": ("skipped", "below the minimum of 2000 minor units"),
        "blocked": ("skipped", "payouts not enabled on the seller's payout account"),
        "paid": ("paid", None),
    }
    assert len(gateway_payouts(sql)) == 1
    assert balance(client, owner.headers, "small")["available"] == 1_000 - 30 - 29


def test_scheduled_runs_pay_weekly_sellers_on_their_weekday_and_manual_ones_never(app, acme, make_seller, gateway,
                                                                                  client, operator, owner):
    manual = make_seller("manual", {owner.user_id: MemberRole.OWNER})
    for seller in (acme, manual):
        earn_and_transfer(gateway, seller.id, connect(gateway, seller.id), eur(10_000), f"order-{seller.slug}")
    assert client.put("/api/v1/sellers/acme/payout-schedule", headers=owner.headers,
                      json={"frequency": "weekly", "weekday": 4}).status_code == 200
    assert client.put("/api/v1/sellers/manual/payout-schedule", headers=owner.headers,
                      json={"frequency": "manual"}).status_code == 200

    with app.app_context():
        wednesday = payouts.start_run(PayoutRunTrigger.SCHEDULED, WEDNESDAY)
        assert payouts.start_run(PayoutRunTrigger.SCHEDULED, WEDNESDAY) is None  # one scheduled run a day
    run_jobs(app)
    assert {(r["seller"], r["outcome"], r["reason"]) for r in run_results(client, operator, wednesday)} == {
        ("acme", "skipped", "not due: the seller is paid out on Fridays"),
        ("manual", "skipped", "not due: the seller is paid out when an operator starts a run")}

    with app.app_context():
        friday = payouts.start_run(PayoutRunTrigger.SCHEDULED, FRIDAY)
    run_jobs(app)
    assert {(r["seller"], r["outcome"]) for r in run_results(client, operator, friday)} == {
        ("acme", "paid"), ("manual", "skipped")}


def test_a_failed_payout_puts_the_money_back_once_even_if_its_event_comes_twice(
        app, client, operator, owner, acme, gateway, sql):
    account = connect(gateway, acme.id)
    net = earn_and_transfer(gateway, acme.id, account, eur(10_000), "order-1")
    run = start_run(client, operator)
    run_jobs(app)
    payout_id = client.get(f"{RUNS}/{run['id']}", headers=operator.headers).get_json()["results"][0][
        "gateway_payout_id"]

    failed = gateway.settle_payout(account, payout_id, paid=False, failure_code="account_closed")
    run_jobs(app)  # the gateway's event is delivered to the webhook endpoint and handled
    with app.app_context():  # and delivered again (a retry under another event id)
        payouts.record_payout_outcome(failed, WebhookEvent(id="evt_again", type="payout.failed",
                                                           object_type="payout", object_id=payout_id,
                                                           created=0, account=account))

    result = client.get(f"{RUNS}/{run['id']}", headers=operator.headers).get_json()["results"][0]
    assert (result["payout_status"], result["failure_code"]) == ("failed", "account_closed")
    assert balance(client, owner.headers) == {"currency": "EUR", "available": net.amount, "pending": 0,
                                              "receivable": 0, "paid_out": 0}
    assert sql("SELECT count(*) FROM platform.ledger_transactions WHERE kind = 'correction'") == [(1,)]

    # The money is paid out again by the next run.
    again = start_run(client, operator)
    run_jobs(app)
    assert [r["outcome"] for r in run_results(client, operator, again["id"])] == ["paid"]


def test_a_paid_payout_is_recorded_as_paid(app, client, operator, acme, gateway):
    account = connect(gateway, acme.id)
    earn_and_transfer(gateway, acme.id, account, eur(10_000), "order-1")
    run = start_run(client, operator)
    run_jobs(app)
    payout_id = client.get(f"{RUNS}/{run['id']}", headers=operator.headers).get_json()["results"][0][
        "gateway_payout_id"]

    gateway.settle_payout(account, payout_id, paid=True)
    run_jobs(app)

    result = client.get(f"{RUNS}/{run['id']}", headers=operator.headers).get_json()["results"][0]
    assert result["payout_status"] == "paid"


def test_a_payout_event_on_another_sellers_account_changes_nothing(app, client, operator, acme, make_seller,
                                                                   gateway):
    other = make_seller("other")
    account = connect(gateway, acme.id)
    other_account = connect(gateway, other.id)
    earn_and_transfer(gateway, acme.id, account, eur(10_000), "order-1")
    run = start_run(client, operator)
    run_jobs(app)
    payout_id = client.get(f"{RUNS}/{run['id']}", headers=operator.headers).get_json()["results"][0][
        "gateway_payout_id"]
    failed = gateway.settle_payout(account, payout_id, paid=False)
    forged = type(failed)(**{**failed.__dict__, "account_id": other_account})

    with app.app_context():
        payouts.record_payout_outcome(forged, WebhookEvent(id="evt_x", type="payout.failed", object_type="payout",
                                                           object_id=payout_id, created=0, account=other_account))

    result = client.get(f"{RUNS}/{run['id']}", headers=operator.headers).get_json()["results"][0]
    assert result["payout_status"] == "pending"


def test_payout_schedules_are_changed_by_owners_and_managers_only(client, sign_up, make_seller):
    staff, manager, outsider = (sign_up(f"{role}@shop.test") for role in ("staff", "manager", "outsider"))
    make_seller("shop", {staff.user_id: MemberRole.STAFF, manager.user_id: MemberRole.MANAGER})
    weekly = {"frequency": "weekly", "weekday": 0, "minimum_amount": 5_000}

    assert client.put("/api/v1/sellers/shop/payout-schedule", headers=staff.headers, json=weekly).status_code == 403
    assert client.get("/api/v1/sellers/shop/payout-schedule", headers=outsider.headers).status_code == 403
    assert client.put("/api/v1/sellers/shop/payout-schedule", headers=manager.headers, json=weekly).status_code == 200
    assert client.get("/api/v1/sellers/shop/payout-schedule", headers=staff.headers).get_json() == {
        **weekly, "effective_minimum_amount": 5_000}


@pytest.mark.parametrize("body, field", [
    ({"frequency": "weekly"}, "weekday"),
    ({"frequency": "daily", "weekday": 2}, "weekday"),
    ({"frequency": "hourly"}, "frequency"),
    ({"frequency": "daily", "minimum_amount": -1}, "minimum_amount"),
])
def test_a_bad_payout_schedule_is_refused_and_changes_nothing(client, owner, acme, body, field):
    response = client.put("/api/v1/sellers/acme/payout-schedule", headers=owner.headers, json=body)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert client.get("/api/v1/sellers/acme/payout-schedule", headers=owner.headers).get_json() == {
        "frequency": "daily", "weekday": None, "minimum_amount": None, "effective_minimum_amount": 1_000}


def test_payout_runs_are_for_operators(client, owner, acme):
    assert client.post(RUNS, headers=owner.headers).status_code == 403
    assert client.get(RUNS, headers=owner.headers).status_code == 403
    assert client.get(f"{RUNS}/1", headers=owner.headers).status_code == 403


def test_an_unknown_payout_run_is_404(client, operator):
    response = client.get(f"{RUNS}/999", headers=operator.headers)
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"



def test_the_scheduler_starts_one_payout_run_a_day_from_the_payout_hour(app, client, operator, acme, gateway,
                                                                        monkeypatch, sql):
    earn_and_transfer(gateway, acme.id, connect(gateway, acme.id), eur(10_000), "order-1")
    monkeypatch.setitem(app.config, "PAYOUT_RUN_HOUR", 0)

    with app.app_context():
        jobs.start_scheduled_payout_run()
        jobs.start_scheduled_payout_run()
    run_jobs(app)

    [run] = client.get(RUNS, headers=operator.headers).get_json()
    assert (run["trigger"], [result["outcome"] for result in run["results"]]) == ("scheduled", ["paid"])
    assert len(gateway_payouts(sql)) == 1


def test_a_payout_that_fails_after_it_was_paid_puts_the_money_back(app, client, operator, owner, acme, gateway, sql):
    account = connect(gateway, acme.id)
    net = earn_and_transfer(gateway, acme.id, account, eur(10_000), "order-1")
    run = start_run(client, operator)
    run_jobs(app)
    payout_id = client.get(f"{RUNS}/{run['id']}", headers=operator.headers).get_json()["results"][0][
        "gateway_payout_id"]
    paid = gateway.settle_payout(account, payout_id, paid=True)
    run_jobs(app)
    # The bank returns it later: the processor now says failed.
    sql("UPDATE platform.test_gateway_payouts SET status = 'failed', failure_code = 'account_closed' "
        "WHERE id = :id", id=payout_id)
    returned = gateway.retrieve_payout(account, payout_id)

    with app.app_context():
        payouts.record_payout_outcome(returned, WebhookEvent(id="evt_returned", type="payout.failed",
                                                             object_type="payout", object_id=payout_id, created=0,
                                                             account=account))
        payouts.record_payout_outcome(paid, WebhookEvent(id="evt_late_paid", type="payout.paid",
                                                         object_type="payout", object_id=payout_id, created=0,
                                                         account=account))

    result = client.get(f"{RUNS}/{run['id']}", headers=operator.headers).get_json()["results"][0]
    assert (result["payout_status"], result["failure_code"]) == ("failed", "account_closed")
    assert balance(client, owner.headers)["available"] == net.amount


def test_a_seller_lists_its_own_payouts_only(app, client, operator, owner, acme, make_seller, sign_up, gateway):
    rival_owner = sign_up("owner@rival.test")
    rival = make_seller("rival", {rival_owner.user_id: MemberRole.OWNER})
    net = earn_and_transfer(gateway, acme.id, connect(gateway, acme.id), eur(10_000), "order-1")
    earn_and_transfer(gateway, rival.id, connect(gateway, rival.id), eur(5_000), "order-2")
    run = start_run(client, operator)
    run_jobs(app)

    response = client.get("/api/v1/sellers/acme/payouts", headers=owner.headers)

    assert response.status_code == 200
    assert [(payout["run_id"], payout["amount"], payout["status"]) for payout in response.get_json()] == [
        (run["id"], net.amount, "pending")]
    assert client.get("/api/v1/sellers/rival/payouts", headers=owner.headers).status_code == 403
