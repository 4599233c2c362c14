"""The OpenAPI document is a contract: every operation, driven from the document by schemathesis, keeps it.

For each caller (no one, a seller's owner, an operator), each operation of
/api/v1/openapi.json gets its documented examples, CONFORMANCE_EXAMPLES
generated requests that fit the document and as many that do not, sent to the
WSGI app (no network). The examples and half of the fitting requests name rows
that exist (the seller, its product and variant, a category, an application,
an invite, an import), so that path parameters reach real data and not only
404s. A response fails the suite if it is a 5xx, if its status is not
documented for the operation, or if its body, content type or headers do not
match what the document says for that status. Every failure is reported, with
a curl command that reproduces it.

Before an operation's requests, if the previous operation could write, the
database and Redis go back to one snapshot of that world (a copy of every
table, restored in foreign-key order): an operation that deletes, closes or
suspends cannot change what the next one sees, and with Hypothesis
derandomized a run is deterministic.

    CONFORMANCE_EXAMPLES=25 .venv/bin/python -m pytest tests/test_openapi_conformance.py
"""
from __future__ import annotations

import graphlib
import os
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance,
)
from sqlalchemy import func, text

from marketplace.accounts import services as accounts
from marketplace.accounts.models import MemberRole, Membership
from marketplace.core.extensions import redis_client
from marketplace.orders.models import SellerOrder, SellerOrderLine, SellerOrderStatus
from tenants.provisioning import provision_tenant
from tenants.shards import shards
from tenants.uow import UnitOfWork
from tests.workers.support import run_jobs

EXAMPLES_PER_OPERATION = int(os.environ.get("CONFORMANCE_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
PASSWORD = "correct horse battery"
SNAPSHOT_SCHEMA = "conformance_snapshot"


@dataclass
class World:
    """The rows the requests aim at, the callers' headers, and the snapshot to go back to."""

    path_parameters: dict[str, object]
    headers_by_caller: dict[str, dict[str, str]]
    tables: list[str] = field(default_factory=list)  # "schema.table", parents before children
    schemas: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def clean_state():
    """This module keeps one world for all its tests (the shared per-test cleanup would erase it)."""
    yield


def _ok(response, status: int) -> dict:
    assert response.status_code == status, response.get_json(silent=True)
    return response.get_json(silent=True)


def _log_in(client, email: str) -> dict[str, str]:
    token = _ok(client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD}), 201)["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _build_world(app) -> World:
    client = app.test_client()
    owner_id = _register(client, "owner@acme.example", "Olivia Owner")
    applicant_id = _register(client, "applicant@example.com", "Ann Applicant")
    with app.app_context():
        for user_id in (owner_id, applicant_id):  # applying to sell and accepting invites need a verified address
            accounts.mark_email_verified(user_id)
        accounts.make_operator("ops@example.com", PASSWORD, "Olga Operator")
        tenant = provision_tenant("acme", "Acme", currency="EUR")
        with UnitOfWork() as uow:
            uow.session.add(Membership(user_id=owner_id, tenant_id=tenant.id, role=MemberRole.OWNER))
            uow.commit()
    owner, operator = _log_in(client, "owner@acme.example"), _log_in(client, "ops@example.com")

    catalog = _catalog(client, owner, operator)
    rows = {"user_id": owner_id, **catalog, **_team_and_applications(client, owner),
            **_address_book(client, owner), **_shipping_rates(client, owner),
            **_cart(client, owner, catalog["variant_id"]), **_seller_order(app, tenant)}
    run_jobs(app)  # listings, search documents, the import: what buyers and sellers read
    return World(
        path_parameters={"slug": "acme", "seller_slug": "acme", "product_slug": "oak-table", **rows},
        headers_by_caller={"no one": {}, "seller owner": owner, "operator": operator},
    )


def _register(client, email: str, full_name: str) -> int:
    return _ok(client.post("/api/v1/auth/register",
                           json={"email": email, "password": PASSWORD, "full_name": full_name}), 201)["id"]


def _catalog(client, owner: dict, operator: dict) -> dict[str, int]:
    """A category, a published product "oak-table" with a variant in stock, a draft, and a CSV import."""
    category = _ok(client.post("/api/v1/operator/categories", headers=operator,
                               json={"name": "Home", "slug": "home"}), 201)
    product = _ok(client.post("/api/v1/sellers/acme/products", headers=owner, json={
        "slug": "oak-table", "title": "Oak Table", "category_id": category["id"],
        "images": [{"url": "https://img.example/oak.jpg", "alt": "The table"}]}), 201)
    product_url = f"/api/v1/sellers/acme/products/{product['id']}"
    variant = _ok(client.post(f"{product_url}/variants", headers=owner,
                              json={"sku": "OAK-1", "price_amount": 19900}), 201)
    _ok(client.post(f"{product_url}/variants/{variant['id']}/stock-movements", headers=owner,
                    json={"quantity_delta": 5, "reason": "receipt"}), 201)
    _ok(client.post(f"{product_url}/publish", headers=owner), 200)
    # Holds the slug the documented example of a product change asks for: a rename that must be a 409.
    _ok(client.post("/api/v1/sellers/acme/products", headers=owner,
                    json={"slug": "oak-dining-table", "title": "Oak Dining Table"}), 201)
    csv_file = b"product_slug,title,sku,price_amount\nwalnut-desk,Walnut Desk,WAL-1,9900\n"
    product_import = _ok(client.post("/api/v1/sellers/acme/product-imports", headers=owner,
                                     content_type="text/csv", data=csv_file), 202)
    return {"category_id": category["id"], "product_id": product["id"], "variant_id": variant["id"],
            "import_id": product_import["id"]}


def _team_and_applications(client, owner: dict) -> dict[str, int]:
    """An open invite to the seller's team, and another user's pending application for a shop."""
    invite = _ok(client.post("/api/v1/sellers/acme/members/invites", headers=owner,
                             json={"email": "new@acme.example", "role": "staff"}), 201)
    application = _ok(client.post("/api/v1/seller-applications", headers=_log_in(client, "applicant@example.com"),
                                  json={"shop_name": "Birch", "wanted_slug": "birch",
                                        "contact_email": "applicant@example.com", "country": "PT",
                                        "currency": "EUR"}), 201)
    return {"invite_id": invite["id"], "application_id": application["id"]}


def _address_book(client, owner: dict) -> dict[str, int]:
    """The owner's address book: a default address and another."""
    _ok(client.post("/api/v1/me/addresses", headers=owner, json={
        "name": "Olivia Owner", "line1": "Rua das Flores 12", "city": "Porto", "postal_code": "4050-262",
        "country": "PT"}), 201)
    address = _ok(client.post("/api/v1/me/addresses", headers=owner, json={
        "name": "Olivia Owner", "line1": "500 Howard St", "city": "San Francisco", "region": "CA",
        "postal_code": "94105", "country": "US"}), 201)
    return {"address_id": address["id"]}


def _shipping_rates(client, owner: dict) -> dict[str, int]:
    """A flat rate to two countries and a rest-of-world rate by weight."""
    _ok(client.post("/api/v1/sellers/acme/shipping-rates", headers=owner, json={
        "name": "Standard", "countries": ["PT", "ES"], "kind": "flat", "amount": 450}), 201)
    rate = _ok(client.post("/api/v1/sellers/acme/shipping-rates", headers=owner, json={
        "name": "World", "countries": ["*"], "kind": "weight_bands",
        "weight_bands": [{"up_to_grams": 1000, "amount": 900}], "free_over_amount": 20000}), 201)
    return {"rate_id": rate["id"]}


def _cart(client, owner: dict, variant_id: int) -> dict[str, int]:
    """The owner's cart, with a line of the published product's variant."""
    cart = _ok(client.post("/api/v1/cart/lines", headers=owner,
                           json={"seller": "acme", "variant_id": variant_id, "quantity": 1}), 201)
    return {"line_id": cart["sellers"][0]["lines"][0]["id"]}


def _seller_order(app, tenant) -> dict[str, int]:
    """A paid order at the seller, awaiting acceptance, with one line (written as routing writes it)."""
    with app.app_context(), UnitOfWork(tenant) as uow:
        order = SellerOrder(marketplace_order_id=1, buyer_user_id=1, buyer_name="Bea Buyer",
                            status=SellerOrderStatus.AWAITING_ACCEPTANCE, currency="EUR", subtotal_amount=19900,
                            shipping_amount=450, total_amount=20350, shipping_name="Standard",
                            shipping_address={"name": "Bea Buyer", "line1": "Rua das Flores 12", "line2": "",
                                              "city": "Porto", "region": "", "postal_code": "4050-262",
                                              "country": "PT", "phone": None},
                            paid_at=func.now(), acceptance_due_at=func.now() + timedelta(hours=48))
        uow.session.add(order)
        uow.session.flush()
        uow.session.add(SellerOrderLine(seller_order_id=order.id, marketplace_order_line_id=1, product_id=1,
                                        variant_id=1, sku="OAK-1", title="Oak Table", options={"size": "L"},
                                        quantity=1, unit_price_amount=19900, line_total_amount=19900,
                                        commission_amount=1990, commission_rule={}))
        uow.commit()
        return {"seller_order_id": order.id}


def _snapshot(world: World) -> None:
    with shards.engine().begin() as conn:
        rows = conn.execute(text(
            "SELECT schemaname, tablename FROM pg_tables WHERE (schemaname = 'platform' OR schemaname LIKE "
            "'tenant\\_%') AND tablename <> 'alembic_version'")).all()
        edges = conn.execute(text(
            "SELECT child.relnamespace::regnamespace::text || '.' || child.relname, "
            "       parent.relnamespace::regnamespace::text || '.' || parent.relname "
            "FROM pg_constraint c JOIN pg_class child ON child.oid = c.conrelid "
            "JOIN pg_class parent ON parent.oid = c.confrelid WHERE c.contype = 'f'")).all()
        tables = {f"{schema}.{table}" for schema, table in rows}
        order = graphlib.TopologicalSorter({table: set() for table in tables})
        for child, parent in edges:
            if child in tables and parent in tables and child != parent:
                order.add(child, parent)
        world.tables = list(order.static_order())
        world.schemas = {schema for schema, _ in rows}
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SNAPSHOT_SCHEMA} CASCADE; CREATE SCHEMA {SNAPSHOT_SCHEMA}"))
        for table in world.tables:
            conn.execute(text(f'CREATE TABLE {SNAPSHOT_SCHEMA}."{table}" AS SELECT * FROM {_quoted(table)}'))


def _restore(world: World) -> None:
    """Every table back to the snapshot, tenant schemas made since dropped, Redis emptied."""
    with shards.engine().begin() as conn:
        # A throwaway state: no need to wait for the disk.
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        for (schema,) in conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'")).all():
            if schema not in world.schemas:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        # DELETE, not TRUNCATE: these tables hold a few rows, and TRUNCATE makes new files for each table.
        for table in reversed(world.tables):
            conn.execute(text(f"DELETE FROM {_quoted(table)}"))
        for table in world.tables:
            conn.execute(text(f'INSERT INTO {_quoted(table)} SELECT * FROM {SNAPSHOT_SCHEMA}."{table}"'))
    redis_client.client.flushdb()
    redis_client.near_cache.forget_everything()


def _wipe() -> None:
    with shards.engine().begin() as conn:
        schemas = conn.execute(text(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' OR nspname = :snapshot"),
            {"snapshot": SNAPSHOT_SCHEMA}).scalars().all()
        for schema in schemas:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'platform' AND tablename <> 'alembic_version'"
        )).scalars().all()
        conn.execute(text("TRUNCATE " + ", ".join(f'platform."{name}"' for name in tables) + " CASCADE"))
    redis_client.client.flushdb()
    redis_client.near_cache.forget_everything()


def _quoted(table: str) -> str:
    schema, name = table.split(".", 1)
    return f'"{schema}"."{name}"'


@pytest.fixture(scope="module")
def world(app):
    built = _build_world(app)
    _snapshot(built)
    yield built
    _wipe()


@pytest.fixture(scope="module")
def api_schema(app, world):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _real_path_parameters(operation, world: World) -> dict[str, object]:
    names = {parameter.name for parameter in operation.path_parameters}
    return {name: value for name, value in world.path_parameters.items() if name in names}


def _strategies(api_schema, operation, world: World) -> list[tuple[str, object, int]]:
    """(label, strategy, examples to draw) for one operation: its documented examples, then generated data."""
    real = _real_path_parameters(operation, world)
    documented = [
        (f"example {number}", strategy.map(lambda case: _with_path_parameters(case, real)), 1)
        for number, strategy in enumerate(api_schema.get_strategies_from_examples(operation, fill_missing=True), 1)
    ]
    fitting = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    if real:
        fitting = st.one_of(fitting, operation.as_strategy(generation_mode=GenerationMode.POSITIVE,
                                                           path_parameters=real))
    not_fitting = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    return documented + [("positive", fitting, EXAMPLES_PER_OPERATION),
                         ("negative", not_fitting, EXAMPLES_PER_OPERATION)]


def _with_path_parameters(case, real: dict[str, object]):
    case.path_parameters = {**(case.path_parameters or {}), **real}
    return case


def _failures_of(operation, label: str, strategy, examples: int, headers: dict[str, str]) -> str | None:
    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
              report_multiple_bugs=False)
    @given(case=strategy)
    def send(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        send()
    except Unsatisfiable:
        return None  # nothing about the operation can be made invalid (e.g. no parameters at all)
    except (FailureGroup, Exception) as failure:  # noqa: BLE001 (every failure is reported, with its operation)
        return f"{operation.label} ({label}): {failure}"
    return None


@pytest.mark.slow
@pytest.mark.parametrize("caller", ["no one", "seller owner", "operator"])
def test_every_operation_keeps_the_document(api_schema, world, caller):
    headers = world.headers_by_caller[caller]
    failures = []
    changed_since_restore = True
    for result in api_schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"An operation cannot be read from the document: {result.err()}")
            continue
        operation = result.ok()
        # Reads change nothing, so only a write since the last restore makes the next one necessary.
        if changed_since_restore:
            _restore(world)
        changed_since_restore = operation.method.upper() not in ("GET", "HEAD")
        for label, strategy, examples in _strategies(api_schema, operation, world):
            failure = _failures_of(operation, label, strategy, examples, headers)
            if failure:
                failures.append(failure)

    assert not failures, f"{len(failures)} operation(s) broke the document as {caller}:\n\n" + "\n\n".join(failures)
