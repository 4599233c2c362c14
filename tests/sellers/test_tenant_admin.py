"""Tenant administration: listing, the life-cycle state machine, a suspended or closed seller, the export."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from marketplace.catalog.models import Product, ProductStatus, Variant
from marketplace.core.cache import MARKET_SCOPE, cached, tenant_scope
from marketplace.sellers.jobs import export_tenant
from tenants.uow import UnitOfWork

TENANTS = "/api/v1/operator/tenants"
STATUSES = ["pending", "active", "suspended", "closed"]
LEGAL = {("pending", "activate"): "active", ("active", "suspend"): "suspended", ("suspended", "resume"): "active",
         ("active", "close"): "closed", ("suspended", "close"): "closed"}
ILLEGAL = [(status, action) for status in STATUSES for action in ("activate", "suspend", "resume", "close")
           if (status, action) not in LEGAL]


def transition(client, operator, slug: str, action: str, reason: str = "Operator decision"):
    return client.post(f"{TENANTS}/{slug}/{action}", json={"reason": reason}, headers=operator.headers)


def set_status(sql, slug: str, status: str) -> None:
    sql("UPDATE platform.tenants SET status = :status WHERE slug = :slug", status=status, slug=slug)


def test_operators_list_tenants_filtered_by_status_and_text(client, operator, make_seller, sql):
    make_seller("acme-tools")
    make_seller("brightline-cycles")
    make_seller("cedar-and-wick")
    set_status(sql, "cedar-and-wick", "suspended")

    active = client.get(f"{TENANTS}?status=active", headers=operator.headers).get_json()
    by_name = client.get(f"{TENANTS}?q=CYCLE", headers=operator.headers).get_json()
    paged = client.get(f"{TENANTS}?page_size=2&page=2", headers=operator.headers)

    assert [tenant["slug"] for tenant in active] == ["acme-tools", "brightline-cycles"]
    assert [tenant["slug"] for tenant in by_name] == ["brightline-cycles"]
    assert [tenant["slug"] for tenant in paged.get_json()] == ["cedar-and-wick"]
    assert json.loads(paged.headers["X-Pagination"])["total"] == 3


def test_a_tenants_detail_names_its_owners(client, operator, team):
    response = client.get(f"{TENANTS}/acme-tools", headers=operator.headers)

    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["member_count"], body["owner_emails"]) == ("active", 3, ["owner@acme.example"])


def test_an_unknown_tenant_is_a_404(client, operator):
    assert client.get(f"{TENANTS}/no-such-shop", headers=operator.headers).status_code == 404
    assert transition(client, operator, "no-such-shop", "suspend").status_code == 404


@pytest.mark.parametrize("start, action", list(LEGAL))
def test_each_legal_transition_moves_the_tenant_and_is_audited(client, operator, make_seller, sql, start, action):
    make_seller("acme-tools")
    set_status(sql, "acme-tools", start)

    response = transition(client, operator, "acme-tools", action)

    assert response.status_code == 200
    assert response.get_json()["status"] == LEGAL[(start, action)]
    [entry] = client.get(f"/api/v1/operator/audit-log?action=tenant.{action}", headers=operator.headers).get_json()
    assert (entry["before"], entry["after"]) == ({"status": start},
                                                 {"status": LEGAL[(start, action)], "reason": "Operator decision"})


@pytest.mark.parametrize("start, action", ILLEGAL)
def test_each_illegal_transition_is_a_409_that_changes_nothing(client, operator, make_seller, sql, row_counts,
                                                               start, action):
    make_seller("acme-tools")
    set_status(sql, "acme-tools", start)
    before = row_counts()

    response = transition(client, operator, "acme-tools", action)

    assert response.status_code == 409
    assert response.get_json()["code"] == "illegal_transition"
    assert sql("SELECT status FROM platform.tenants") == [(start,)]
    assert row_counts() == before


def test_a_status_change_drops_cached_reads_of_the_seller_and_the_marketplace(app, client, operator, make_seller):
    tenant = make_seller("acme-tools")
    with app.app_context():
        cached(tenant_scope(tenant.id), "profile", lambda: "before")
        cached(MARKET_SCOPE, "listing", lambda: "before")

    transition(client, operator, "acme-tools", "suspend")

    with app.app_context():
        assert cached(tenant_scope(tenant.id), "profile", lambda: "after") == "after"
        assert cached(MARKET_SCOPE, "listing", lambda: "after") == "after"


@pytest.mark.parametrize("method, path, body", [
    ("PATCH", "/api/v1/sellers/acme-tools/settings", {"description": "Sale!"}),
    ("PUT", "/api/v1/sellers/acme-tools/settings", {"display_name": "Acme"}),
    ("POST", "/api/v1/sellers/acme-tools/members/invites", {"email": "new@example.com", "role": "staff"}),
    ("PATCH", "/api/v1/sellers/acme-tools/members/{staff_id}", {"role": "manager"}),
    ("DELETE", "/api/v1/sellers/acme-tools/members/{staff_id}", None),
])
def test_a_suspended_sellers_portal_is_read_only(client, operator, team, row_counts, method, path, body):
    transition(client, operator, "acme-tools", "suspend")
    before = row_counts()

    response = client.open(path.format(staff_id=team.staff.user_id), method=method, json=body,
                           headers=team.owner.headers)

    assert response.status_code == 403
    assert response.get_json()["code"] == "tenant_suspended"
    assert row_counts() == before


@pytest.mark.parametrize("path", ["/api/v1/sellers/acme-tools/settings", "/api/v1/sellers/acme-tools/members",
                                  "/api/v1/sellers/acme-tools/members/invites"])
def test_a_suspended_sellers_portal_can_still_be_read(client, operator, team, path):
    transition(client, operator, "acme-tools", "suspend")

    response = client.get(path, headers=team.owner.headers)

    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/sellers/acme-tools/settings", "/api/v1/sellers/acme-tools/members"])
def test_a_closed_seller_is_shut_to_its_members_but_not_to_operators(client, operator, team, path):
    transition(client, operator, "acme-tools", "close")

    member_response = client.get(path, headers=team.owner.headers)
    operator_response = client.get(path, headers=operator.headers)

    assert member_response.status_code == 403
    assert member_response.get_json()["code"] == "tenant_closed"
    assert operator_response.status_code == 200


def add_product(tenant, slug: str, title: str, sku: str, price_amount: int) -> None:
    with UnitOfWork(tenant) as uow:
        product = Product(slug=slug, title=title, status=ProductStatus.PUBLISHED, attributes={"material": "steel"})
        product.variants.append(Variant(sku=sku, price_amount=price_amount, currency="EUR", options={"size": "M"},
                                        stock_on_hand=3))
        uow.session.add(product)
        uow.commit()


def test_closing_exports_the_catalog_as_json_and_csv(app, client, operator, team, tmp_path, monkeypatch, jobs):
    monkeypatch.setitem(app.config, "VAR_DIR", str(tmp_path))
    add_product(team.tenant, "claw-hammer", "Claw Hammer", "HAM-1", 2400)
    add_product(team.tenant, "tenon-saw", "Tenon Saw, 12 inch", "SAW-12", 3900)

    closed = transition(client, operator, "acme-tools", "close", reason="Seller asked to leave")
    jobs()

    assert closed.status_code == 200
    [export] = client.get(f"{TENANTS}/acme-tools/exports", headers=operator.headers).get_json()
    assert export["status"] == "done"
    folder = Path(export["path"])
    assert folder.parent == tmp_path / "exports" / "acme-tools"
    products = json.loads((folder / "products.json").read_text())
    assert [(p["slug"], p["title"], p["attributes"]) for p in products] == [
        ("claw-hammer", "Claw Hammer", {"material": "steel"}),
        ("tenon-saw", "Tenon Saw, 12 inch", {"material": "steel"}),
    ]
    with (folder / "variants.csv").open(newline="") as file:
        variants = list(csv.DictReader(file))
    assert [(v["sku"], v["price_amount"], v["currency"], json.loads(v["options"])) for v in variants] == [
        ("HAM-1", "2400", "EUR", {"size": "M"}), ("SAW-12", "3900", "EUR", {"size": "M"})]
    assert json.loads((folder / "order_lines.json").read_text()) == []
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        f"{name}.{extension}" for name in ("products", "product_images", "variants", "order_lines")
        for extension in ("json", "csv"))


def test_running_the_export_job_again_writes_nothing_new(app, client, operator, team, tmp_path, monkeypatch, sql):
    monkeypatch.setitem(app.config, "VAR_DIR", str(tmp_path))
    transition(client, operator, "acme-tools", "close")
    [(export_id,)] = sql("SELECT id FROM platform.tenant_exports")

    with app.app_context():
        export_tenant(export_id)
        first_path = sql("SELECT path, completed_at FROM platform.tenant_exports")
        export_tenant(export_id)

    assert sql("SELECT path, completed_at FROM platform.tenant_exports") == first_path
    assert len(list((tmp_path / "exports" / "acme-tools").iterdir())) == 1


def test_a_closed_seller_keeps_its_data(client, operator, team, sql):
    add_product(team.tenant, "claw-hammer", "Claw Hammer", "HAM-1", 2400)

    transition(client, operator, "acme-tools", "close")

    assert sql(f'SELECT slug FROM "{team.tenant.schema_name}".products') == [("claw-hammer",)]
    assert sql("SELECT count(*) FROM platform.memberships") == [(3,)]
