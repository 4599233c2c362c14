"""SaaS plans: operators define them, a seller's plan changes from the next month, the catalog keeps to the
plan's product limit, the plan's commission override prices new orders, and each month's fee is charged once."""
from __future__ import annotations

from datetime import date

import psycopg
import pytest
from sqlalchemy import create_engine, select, text

from billing import ledger, plans
from billing.ledger import GATEWAY_BALANCE, PLAN_FEES, credit, debit, seller_payable, seller_receivable
from billing.ledger_models import LedgerTransaction, TransactionKind
from billing.money import Money
from marketplace.accounts.models import MemberRole, Membership
from migrations import script_directory, upgrade_shard, upgrade_shared
from tenants.uow import UnitOfWork
from tests.checkout.conftest import check_out, offer, put_in_cart, shopper  # noqa: F401 - fixtures used here
from tests.concurrency import run_together
from tests.workers.support import run_jobs

PLANS_URL = "/api/v1/operator/plans"
PRO = {"name": "Pro", "monthly_fee_amount": 2900, "currency": "USD", "commission_basis_points": 500,
       "product_limit": 100}


def this_month() -> date:
    return plans.period_start(plans.today_utc())


def next_month() -> date:
    return plans.next_period_start(plans.today_utc())


@pytest.fixture
def ops(client, operator):
    """The plans API as an operator: ops("POST", url, 201, json=...) returns the body, failing loudly otherwise."""

    def call(method: str, path: str, expected_status: int, **kwargs):
        response = client.open(path, method=method, headers=operator.headers, **kwargs)
        assert response.status_code == expected_status, response.get_json(silent=True)
        return response.get_json(silent=True)

    return call


@pytest.fixture
def owned_seller(sign_up, make_seller):
    """owned_seller("oak"): a seller and its owner (signed in)."""

    def make(slug: str):
        owner = sign_up(f"owner@{slug}.example")
        return make_seller(slug, {owner.user_id: MemberRole.OWNER}), owner

    return make


def default_plan_id(ops) -> int:
    return next(plan["id"] for plan in ops("GET", PLANS_URL, 200) if plan["is_default"])


def put_on_plan_now(app, ops, slug: str, plan_id: int) -> None:
    """Move a seller to a plan and open the next month's invoice run, which makes it the current plan."""
    ops("PUT", f"/api/v1/operator/tenants/{slug}/plan", 200, json={"plan_id": plan_id})
    with app.app_context(), UnitOfWork() as uow:
        plans.apply_plan_changes(uow.session, next_month())
        uow.commit()


def earn(app, tenant_id: int, amount: int) -> None:
    """The seller's pending balance grows by `amount` (what a settled order leaves it)."""
    with app.app_context(), UnitOfWork() as uow:
        ledger.post(uow, TransactionKind.SETTLEMENT, f"test-earning:{tenant_id}:{amount}",
                    [debit(GATEWAY_BALANCE, Money(amount, "USD")),
                     credit(seller_payable(tenant_id), Money(amount, "USD"))],
                    tenant_id=tenant_id)
        uow.commit()


def balance_of(app, account) -> int:
    with app.app_context(), UnitOfWork() as uow:
        return ledger.balance(uow.session, account, "USD").amount


# Operators define plans

def test_operators_create_read_list_and_change_plans(ops):
    created = ops("POST", PLANS_URL, 201, json=PRO)

    assert {key: created[key] for key in PRO} == PRO
    assert created["is_default"] is False
    assert ops("GET", f"{PLANS_URL}/{created['id']}", 200) == created
    listed = ops("GET", PLANS_URL, 200)
    assert [(plan["name"], plan["is_default"], plan["monthly_fee_amount"], plan["commission_basis_points"],
             plan["product_limit"]) for plan in listed] == [("Default", True, 0, None, None),
                                                            ("Pro", False, 2900, 500, 100)]
    changed = ops("PATCH", f"{PLANS_URL}/{created['id']}", 200,
                  json={"monthly_fee_amount": 3900, "product_limit": None})
    assert (changed["monthly_fee_amount"], changed["currency"], changed["product_limit"]) == (3900, "USD", None)
    assert ops("GET", f"{PLANS_URL}/{created['id']}", 200)["monthly_fee_amount"] == 3900


@pytest.mark.parametrize("body, field", [
    ({**PRO, "currency": None}, "currency"),                      # a fee without its currency
    ({**PRO, "monthly_fee_amount": 0}, "currency"),               # a currency without a fee
    ({**PRO, "currency": "XXQ"}, "currency"),
    ({**PRO, "monthly_fee_amount": -1}, "monthly_fee_amount"),
    ({**PRO, "monthly_fee_amount": "29.00"}, "monthly_fee_amount"),
    ({**PRO, "commission_basis_points": 10_001}, "commission_basis_points"),
    ({**PRO, "product_limit": -1}, "product_limit"),
    ({**PRO, "name": ""}, "name"),
    ({key: value for key, value in PRO.items() if key != "name"}, "name"),
])
def test_a_bad_plan_is_a_422_naming_the_field_and_writes_nothing(client, operator, row_counts, body, field):
    before = row_counts()

    response = client.post(PLANS_URL, json=body, headers=operator.headers)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert row_counts() == before


def test_a_plan_name_is_unique_and_a_bad_change_changes_nothing(ops):
    pro = ops("POST", PLANS_URL, 201, json=PRO)
    ops("POST", PLANS_URL, 201, json={**PRO, "name": "Pro Plus"})

    duplicate = ops("POST", PLANS_URL, 409, json=PRO)
    renamed = ops("PATCH", f"{PLANS_URL}/{pro['id']}", 409, json={"name": "Pro Plus"})
    fee_without_currency = ops("PATCH", f"{PLANS_URL}/{pro['id']}", 422, json={"currency": None})
    empty = ops("PATCH", f"{PLANS_URL}/{pro['id']}", 422, json={})

    assert duplicate["code"] == renamed["code"] == "plan_name_taken"
    assert "currency" in fee_without_currency["errors"]
    assert empty["code"] == "validation_error"
    assert ops("GET", f"{PLANS_URL}/{pro['id']}", 200) == pro
    ops("GET", f"{PLANS_URL}/999999", 404)


def test_only_operators_may_see_or_change_plans(client, sign_up, owned_seller, ops):
    pro = ops("POST", PLANS_URL, 201, json=PRO)
    _, owner = owned_seller("oak")

    for method, path, body in [("GET", PLANS_URL, None), ("POST", PLANS_URL, PRO),
                               ("GET", f"{PLANS_URL}/{pro['id']}", None),
                               ("PATCH", f"{PLANS_URL}/{pro['id']}", {"monthly_fee_amount": 1}),
                               ("PUT", "/api/v1/operator/tenants/oak/plan", {"plan_id": pro["id"]})]:
        response = client.open(path, method=method, json=body, headers=owner.headers)
        assert (response.status_code, response.get_json()["code"]) == (403, "forbidden"), (method, path)
    assert client.get(PLANS_URL).status_code == 401
    assert ops("GET", f"{PLANS_URL}/{pro['id']}", 200)["monthly_fee_amount"] == 2900
    assert client.get("/api/v1/sellers/oak/plan", headers=owner.headers).get_json()["next_plan"] is None


# A seller's plan

def test_a_plan_change_takes_effect_from_the_next_period(app, client, ops, owned_seller):
    _, owner = owned_seller("oak")
    pro = ops("POST", PLANS_URL, 201, json=PRO)

    changed = ops("PUT", "/api/v1/operator/tenants/oak/plan", 200, json={"plan_id": pro["id"]})
    seen_by_seller = client.get("/api/v1/sellers/oak/plan", headers=owner.headers).get_json()
    with app.app_context():
        charged_this_month = plans.invoice_period(this_month())

    assert changed == seen_by_seller
    assert (changed["plan"]["name"], changed["next_plan"]["name"]) == ("Default", "Pro")
    assert changed["next_plan_from"] == next_month().isoformat()
    assert changed["period_start"] == this_month().isoformat()
    assert charged_this_month == 0  # the current month stays on the free default plan

    with app.app_context():
        charged_next_month = plans.invoice_period(next_month())
    invoices = client.get("/api/v1/sellers/oak/invoices", headers=owner.headers).get_json()

    assert charged_next_month == 1
    assert [(invoice["period"], invoice["plan_name"], invoice["fee_amount"], invoice["currency"])
            for invoice in invoices] == [(f"{next_month():%Y-%m}", "Pro", 2900, "USD")]
    after = client.get("/api/v1/sellers/oak/plan", headers=owner.headers).get_json()
    assert (after["plan"]["name"], after["next_plan"], after["next_plan_from"]) == ("Pro", None, None)


def test_moving_a_seller_back_to_its_current_plan_cancels_the_pending_change(client, ops, owned_seller):
    _, owner = owned_seller("oak")
    pro = ops("POST", PLANS_URL, 201, json=PRO)
    ops("PUT", "/api/v1/operator/tenants/oak/plan", 200, json={"plan_id": pro["id"]})

    back = ops("PUT", "/api/v1/operator/tenants/oak/plan", 200, json={"plan_id": default_plan_id(ops)})

    assert (back["plan"]["name"], back["next_plan"], back["next_plan_from"]) == ("Default", None, None)
    assert client.get("/api/v1/sellers/oak/plan", headers=owner.headers).get_json() == back


def test_a_bad_plan_change_is_refused_and_changes_nothing(client, ops, owned_seller, row_counts):
    _, owner = owned_seller("oak")
    euro = ops("POST", PLANS_URL, 201, json={**PRO, "name": "Euro", "currency": "EUR"})
    plan_before = client.get("/api/v1/sellers/oak/plan", headers=owner.headers).get_json()
    before = row_counts()

    unknown_plan = ops("PUT", "/api/v1/operator/tenants/oak/plan", 422, json={"plan_id": 999999})
    other_currency = ops("PUT", "/api/v1/operator/tenants/oak/plan", 422, json={"plan_id": euro["id"]})
    unknown_seller = ops("PUT", "/api/v1/operator/tenants/nobody/plan", 404, json={"plan_id": euro["id"]})
    no_plan_id = ops("PUT", "/api/v1/operator/tenants/oak/plan", 422, json={})

    assert "plan_id" in unknown_plan["errors"] and "plan_id" in other_currency["errors"]
    assert "EUR" in other_currency["errors"]["plan_id"][0]
    assert unknown_seller["code"] == "not_found"
    assert "plan_id" in no_plan_id["errors"]
    assert row_counts() == before
    assert client.get("/api/v1/sellers/oak/plan", headers=owner.headers).get_json() == plan_before


def test_a_plan_fee_in_a_currency_one_of_its_sellers_does_not_sell_in_is_refused(app, ops, owned_seller):
    owned_seller("oak")  # sells in USD, on the default plan
    default_id = default_plan_id(ops)

    refused = ops("PATCH", f"{PLANS_URL}/{default_id}", 422, json={"monthly_fee_amount": 900, "currency": "EUR"})

    assert "oak" in refused["errors"]["currency"][0]
    assert ops("GET", f"{PLANS_URL}/{default_id}", 200)["monthly_fee_amount"] == 0


def test_a_seller_sees_only_its_own_plan_and_invoices(app, client, ops, owned_seller, sign_up):
    oak, oak_owner = owned_seller("oak")
    _, elm_owner = owned_seller("elm")
    pro = ops("POST", PLANS_URL, 201, json=PRO)
    for slug in ("oak", "elm"):
        put_on_plan_now(app, ops, slug, pro["id"])
    with app.app_context():
        plans.invoice_period(next_month())
    staff = sign_up("staff@oak.example")
    with app.app_context(), UnitOfWork() as uow:
        uow.session.add(Membership(user_id=staff.user_id, tenant_id=oak.id, role=MemberRole.STAFF))
        uow.commit()

    oak_invoices = client.get("/api/v1/sellers/oak/invoices", headers=oak_owner.headers).get_json()
    elm_plan_by_oak = client.get("/api/v1/sellers/elm/plan", headers=oak_owner.headers)
    elm_invoices_by_oak = client.get("/api/v1/sellers/elm/invoices", headers=oak_owner.headers)
    oak_invoices_by_staff = client.get("/api/v1/sellers/oak/invoices", headers=staff.headers)
    oak_plan_by_staff = client.get("/api/v1/sellers/oak/plan", headers=staff.headers)

    assert len(oak_invoices) == 1
    assert client.get("/api/v1/sellers/elm/invoices", headers=elm_owner.headers).get_json()[0]["id"] != \
        oak_invoices[0]["id"]
    assert elm_plan_by_oak.status_code == elm_invoices_by_oak.status_code == 403
    assert oak_invoices_by_staff.status_code == 403  # money: owners and managers only
    assert oak_plan_by_staff.get_json()["plan"]["name"] == "Pro"


# The product limit

def test_the_catalog_refuses_a_product_past_the_plan_limit_and_archived_ones_do_not_count(
        app, client, ops, owned_seller, sql):
    _, owner = owned_seller("oak")
    ops("PATCH", f"{PLANS_URL}/{default_plan_id(ops)}", 200, json={"product_limit": 2})
    products = "/api/v1/sellers/oak/products"

    first, second = (client.post(products, json={"slug": slug, "title": slug.title()}, headers=owner.headers)
                     for slug in ("oak-table", "oak-chair"))
    refused = client.post(products, json={"slug": "oak-bench", "title": "Oak Bench"}, headers=owner.headers)

    assert (first.status_code, second.status_code) == (201, 201)
    assert (refused.status_code, refused.get_json()["code"]) == (403, "plan_limit_reached")
    assert "2 products" in refused.get_json()["message"]
    assert [product["slug"] for product in client.get(products, headers=owner.headers).get_json()] == \
        ["oak-chair", "oak-table"]

    assert client.delete(f"{products}/{first.get_json()['id']}", headers=owner.headers).status_code == 204
    room_again = client.post(products, json={"slug": "oak-bench", "title": "Oak Bench"}, headers=owner.headers)
    restore = client.post(f"{products}/{first.get_json()['id']}/publish", headers=owner.headers)

    assert room_again.status_code == 201
    assert (restore.status_code, restore.get_json()["code"]) == (403, "plan_limit_reached")
    assert client.get(f"{products}/{first.get_json()['id']}", headers=owner.headers).get_json()["status"] == \
        "archived"


def test_two_creates_racing_for_the_last_place_under_the_limit_get_one_product(app, ops, owned_seller):
    from marketplace.catalog import services as catalog

    oak, _ = owned_seller("oak")
    ops("PATCH", f"{PLANS_URL}/{default_plan_id(ops)}", 200, json={"product_limit": 1})
    fields = {"title": "Thing", "description": "", "category_id": None, "attributes": {}, "images": []}

    outcomes = run_together(app, *(lambda slug=slug: catalog.create_product(oak, {**fields, "slug": slug})
                                   for slug in ("one", "two")))

    assert sorted(outcomes) == ["PlanLimitReached", "done"]


CSV_HEADER = "product_slug,title,sku,price_amount"


def test_a_csv_import_past_the_plan_limit_is_refused_and_the_job_keeps_to_the_limit(
        app, client, ops, owned_seller, sql):
    _, owner = owned_seller("oak")
    ops("PATCH", f"{PLANS_URL}/{default_plan_id(ops)}", 200, json={"product_limit": 2})
    imports_url, products = "/api/v1/sellers/oak/product-imports", "/api/v1/sellers/oak/products"
    two_new = "\n".join([CSV_HEADER, "oak-table,Oak Table,OAK-1,100", "oak-chair,Oak Chair,OAK-2,100",
                         "oak-table,Oak Table,OAK-3,100"]) + "\n"
    client.post(products, json={"slug": "first", "title": "First"}, headers=owner.headers)

    refused = client.post(imports_url, data=two_new.encode(), content_type="text/csv", headers=owner.headers)

    assert (refused.status_code, refused.get_json()["code"]) == (403, "plan_limit_reached")
    assert client.get(products, headers=owner.headers).get_json()[0]["slug"] == "first"

    one_new = "\n".join([CSV_HEADER, "oak-table,Oak Table,OAK-1,100", "first,First,FIRST-1,100"]) + "\n"
    queued = client.post(imports_url, data=one_new.encode(), content_type="text/csv", headers=owner.headers)
    assert queued.status_code == 202, queued.get_json()
    # Before the job runs, the seller takes the last place itself.
    client.post(products, json={"slug": "oak-stool", "title": "Oak Stool"}, headers=owner.headers)
    run_jobs(app)
    report = client.get(f"{imports_url}/{queued.get_json()['id']}", headers=owner.headers).get_json()

    assert (report["status"], report["imported_count"]) == ("done", 1)
    assert [(row_error["line"], list(row_error["errors"])) for row_error in report["row_errors"]] == \
        [(2, ["product_slug"])]
    assert "plan_limit_reached" in report["row_errors"][0]["errors"]["product_slug"][0]
    assert sorted(product["slug"] for product in client.get(products, headers=owner.headers).get_json()) == \
        ["first", "oak-stool"]


# The commission override

def test_the_plan_override_prices_new_orders_and_lines_already_placed_keep_their_commission(
        app, client, ops, offer, shopper, operator, sql):
    seller_offer = offer("oak", 10000, 5)
    client.post("/api/v1/operator/commission-rules", json={"basis_points": 1000}, headers=operator.headers)
    buyer = shopper()
    put_in_cart(app, buyer, seller_offer, 1)
    before_override = check_out(client, buyer).get_json()

    ops("PATCH", f"{PLANS_URL}/{default_plan_id(ops)}", 200, json={"commission_basis_points": 500})
    put_in_cart(app, buyer, seller_offer, 1)
    with_override = check_out(client, buyer).get_json()
    named = client.post("/api/v1/operator/commission-rules", json={"seller": "oak", "basis_points": 1250},
                        headers=operator.headers)
    put_in_cart(app, buyer, seller_offer, 1)
    with_seller_rule = check_out(client, buyer).get_json()

    lines = dict(sql("SELECT order_id, commission_amount FROM platform.marketplace_order_lines"))
    assert lines == {before_override["id"]: 1000, with_override["id"]: 500, with_seller_rule["id"]: 1250}
    [snapshot] = sql("SELECT commission_rule FROM platform.marketplace_order_lines WHERE order_id = :id",
                     id=with_override["id"])[0]
    assert (snapshot["rule_id"], snapshot["plan_name"], snapshot["basis_points"]) == (None, "Default", 500)
    assert named.status_code == 201


def test_a_category_rule_wins_over_the_plan_override_which_wins_over_the_default_rule(
        app, client, ops, owned_seller, operator):
    from marketplace.catalog.categories import create_category

    owned_seller("oak")
    with app.app_context():
        kitchen = create_category(None, "Kitchen", "kitchen", None, 0).id
        garden = create_category(None, "Garden", "garden", None, 0).id
    for rule in ({"basis_points": 1000}, {"category_id": kitchen, "basis_points": 1500}):
        assert client.post("/api/v1/operator/commission-rules", json=rule, headers=operator.headers).status_code == 201
    ops("PATCH", f"{PLANS_URL}/{default_plan_id(ops)}", 200, json={"commission_basis_points": 500})

    def resolve(category_id: int) -> dict:
        return client.get("/api/v1/operator/commission-rules/resolve", headers=operator.headers,
                          query_string={"seller": "oak", "category_id": category_id,
                                        "line_total_amount": 10000}).get_json()

    in_kitchen, in_garden = resolve(kitchen), resolve(garden)
    assert (in_kitchen["commission_amount"], in_kitchen["rule"]["category_id"], in_kitchen["plan_override"]) == \
        (1500, kitchen, None)
    assert (in_garden["commission_amount"], in_garden["rule"], in_garden["plan_override"]["basis_points"]) == \
        (500, None, 500)


# The monthly invoice

def test_the_invoice_job_charges_a_month_once_however_often_it_runs(app, ops, owned_seller):
    oak, _ = owned_seller("oak")
    pro = ops("POST", PLANS_URL, 201, json=PRO)
    put_on_plan_now(app, ops, "oak", pro["id"])
    earn(app, oak.id, 10000)

    with app.app_context():
        first_run = plans.invoice_period(next_month())
        second_run = plans.invoice_period(next_month())
        raced = run_together(app, *(lambda: plans.invoice_seller(oak.id, next_month()) for _ in range(3)))

    assert (first_run, second_run) == (1, 0)
    assert raced == ["done", "done", "done"]
    with app.app_context(), UnitOfWork() as uow:
        invoices = uow.session.scalars(select(LedgerTransaction).where(
            LedgerTransaction.kind == TransactionKind.INVOICE)).all()
        assert [transaction.external_id for transaction in invoices] == \
            [f"invoice:{oak.id}:{next_month():%Y-%m}"]
    assert balance_of(app, PLAN_FEES) == 2900
    assert balance_of(app, seller_payable(oak.id)) == 10000 - 2900
    assert balance_of(app, seller_receivable(oak.id)) == 0


def test_concurrent_invoice_runs_charge_each_seller_once(app, ops, owned_seller):
    pro = ops("POST", PLANS_URL, 201, json=PRO)
    sellers = [owned_seller(slug)[0] for slug in ("oak", "elm", "ash")]
    for seller in sellers:
        put_on_plan_now(app, ops, seller.slug, pro["id"])

    outcomes = run_together(app, *(lambda: plans.invoice_period(next_month()) for _ in range(2)))

    assert outcomes == ["done", "done"]
    assert balance_of(app, PLAN_FEES) == 3 * 2900
    for seller in sellers:
        assert balance_of(app, seller_receivable(seller.id)) == 2900  # nothing earned: all of it owed


def test_the_part_of_the_fee_the_pending_balance_cannot_cover_becomes_a_receivable(
        app, client, ops, owned_seller):
    oak, oak_owner = owned_seller("oak")
    elm, _ = owned_seller("elm")
    pro = ops("POST", PLANS_URL, 201, json=PRO)
    for seller, earned in ((oak, 1000), (elm, 5000)):
        put_on_plan_now(app, ops, seller.slug, pro["id"])
        earn(app, seller.id, earned)

    with app.app_context():
        assert plans.invoice_period(next_month()) == 2

    # oak had 10.00 pending: the fee takes it, and the other 19.00 is owed.
    assert balance_of(app, seller_payable(oak.id)) == 0
    assert balance_of(app, seller_receivable(oak.id)) == 1900
    assert balance_of(app, seller_payable(elm.id)) == 5000 - 2900
    assert balance_of(app, seller_receivable(elm.id)) == 0
    [invoice] = client.get("/api/v1/sellers/oak/invoices", headers=oak_owner.headers).get_json()
    assert (invoice["fee_amount"], invoice["owed_amount"]) == (2900, 1900)


def test_free_plans_and_inactive_sellers_are_not_invoiced(app, client, ops, owned_seller, operator):
    owned_seller("oak")  # on the free default plan
    _, elm_owner = owned_seller("elm")
    pro = ops("POST", PLANS_URL, 201, json=PRO)
    put_on_plan_now(app, ops, "elm", pro["id"])
    suspended = client.post("/api/v1/operator/tenants/elm/suspend", json={"reason": "Unpaid"},
                            headers=operator.headers)
    assert suspended.status_code == 200, suspended.get_json()

    with app.app_context():
        assert plans.invoice_period(next_month()) == 0
    assert balance_of(app, PLAN_FEES) == 0


def test_the_scheduler_runs_the_invoice_job_on_the_settlement_queue(app):
    from billing.jobs import invoice_plans
    from workers.scheduler import periodic_jobs

    [registration] = [job for job in periodic_jobs(app.config) if job["func"] is invoice_plans]

    assert registration["queue_name"] == "settlement"
    assert registration["interval"] == app.config["PLAN_INVOICE_SECONDS"]


def test_revision_0025_puts_every_existing_seller_on_the_free_default_plan(database_url):
    base_url, separator, query = database_url.partition("?")
    server_url, test_database_name = base_url.rsplit("/", 1)
    scratch_name = f"{test_database_name}_plans"
    scratch_url = f"{server_url}/{scratch_name}{separator}{query}"
    admin_url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{scratch_name}"')
    engine = create_engine(scratch_url)
    try:
        upgrade_shard(scratch_url)
        upgrade_shared(scratch_url, script_directory("shared").get_revision("0025").down_revision)
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO platform.tenants (slug, display_name) VALUES ('oak', 'Oak'), "
                                    "('elm', 'Elm')"))
        upgrade_shared(scratch_url, "0025")
        with engine.connect() as connection:
            default_plans = connection.execute(text(
                "SELECT name, monthly_fee_amount, currency, commission_basis_points, product_limit"
                " FROM platform.plans WHERE is_default")).all()
            subscribed = connection.execute(text(
                "SELECT tenants.slug, plans.is_default FROM platform.plan_subscriptions"
                " JOIN platform.tenants ON tenants.id = plan_subscriptions.tenant_id"
                " JOIN platform.plans ON plans.id = plan_subscriptions.plan_id ORDER BY tenants.slug")).all()
    finally:
        engine.dispose()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)')

    assert default_plans == [("Default", 0, None, None, None)]
    assert subscribed == [("elm", True), ("oak", True)]
