"""Hostile input at the edge of the API: every answer is the one JSON error shape with the right status."""
from __future__ import annotations

import http.client
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import UniqueConstraint, event, text

from marketplace import create_app
from marketplace.accounts.models import MemberRole
from marketplace.accounts.tokens import token_digest
from marketplace.core.edge import MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_REQUEST_LINE_BYTES
from marketplace.core.integrity import CONFLICTS_BY_CONSTRAINT
from marketplace.core.request_parsing import MAX_JSON_DEPTH, HardenedParser
from tenants.db import SharedBase, TenantBase
from tenants.shards import shards
from tenants.uow import UnitOfWork
from tests.shard_support import database_environment

ROOT = Path(__file__).resolve().parent.parent
REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"


@contextmanager
def database_statements():
    """The SQL statements the app sends while the block runs."""
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = shards.engine()
    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.data[:300]
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


# 7. Deeply nested JSON

@pytest.mark.parametrize("path", [REGISTER, TOKEN])
@pytest.mark.parametrize("body", ["[" * 1500, '{"a":' * 1500, "[" * 1500 + "]" * 1500,
                                  '{"a":' * 1500 + "1" + "}" * 1500],
                         ids=["open arrays", "open objects", "closed arrays", "closed objects"])
def test_a_deeply_nested_body_is_a_400_on_unauthenticated_endpoints(client, row_counts, path, body):
    before = row_counts()

    response = client.post(path, data=body, content_type="application/json")

    assert_error_shape(response, 400, "bad_request")
    assert row_counts() == before


def test_a_well_formed_body_nested_deeper_than_the_limit_is_a_400_naming_the_limit(client):
    depth = MAX_JSON_DEPTH + 1
    body = '{"email": ' + "[" * depth + "]" * depth + "}"

    response = client.post(REGISTER, data=body, content_type="application/json")

    assert str(MAX_JSON_DEPTH) in assert_error_shape(response, 400, "bad_request")["message"]


def test_every_api_blueprint_parses_bodies_with_the_hardened_parser(app):
    parsers = {name: blueprint.ARGUMENTS_PARSER for name, blueprint in app.blueprints.items()
               if hasattr(blueprint, "ARGUMENTS_PARSER")}

    assert len(parsers) >= 8
    assert all(isinstance(parser, HardenedParser) for parser in parsers.values()), parsers


# 8. Bodies over MAX_CONTENT_LENGTH, with or without Content-Length

def test_a_chunked_body_over_the_limit_is_a_413_like_one_with_a_content_length(client, app, row_counts):
    body = b'{"email": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    before = row_counts()

    with_length = client.post(REGISTER, data=body, content_type="application/json")
    # A server that ends the chunked stream itself (gunicorn, werkzeug's) says so with wsgi.input_terminated.
    chunked = client.post(REGISTER, input_stream=io.BytesIO(body), content_type="application/json",
                          headers={"Transfer-Encoding": "chunked"},
                          environ_overrides={"wsgi.input_terminated": True})

    assert_error_shape(with_length, 413, "payload_too_large")
    assert_error_shape(chunked, 413, "payload_too_large")
    assert row_counts() == before


def test_a_chunked_body_within_the_limit_is_read_whole(client):
    body = b'{"email": "ada@example.com", "password": "correct horse battery", "full_name": "Ada"}'

    response = client.post(REGISTER, input_stream=io.BytesIO(body), content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})

    assert response.status_code == 201, response.get_json()


# 9. NUL characters

@pytest.mark.parametrize("path", [
    "/api/v1/sellers/%00/products",
    "/api/v1/sellers/%00",
    "/api/v1/sellers/acme%00/settings",
    "/api/v1/products/%00/oak-table",
    "/api/v1/products/acme/oak%00table",
    "/api/v1/operator/tenants/%00/suspend",
])
def test_a_nul_in_a_path_segment_is_a_404_without_asking_the_database(client, buyer, path):
    with database_statements() as statements:
        response = client.get(path, headers=buyer.headers)

    assert_error_shape(response, 404, "not_found")
    assert statements == []


def test_a_nul_in_a_body_field_is_a_422_naming_the_field(client, row_counts):
    before = row_counts()

    response = client.post(REGISTER, json={"email": "ada@example.com", "password": "correct horse battery",
                                           "full_name": "Ada\x00Lovelace"})

    body = assert_error_shape(response, 422, "validation_error")
    assert list(body["errors"]) == ["full_name"]
    assert row_counts() == before


def test_a_nul_in_a_nested_body_field_names_its_path(client, sign_up, make_seller):
    owner = sign_up("owner@example.com")
    make_seller("acme", {owner.user_id: MemberRole.OWNER})
    image = {"url": "https://img.example/a.jpg", "alt": "Oak\x00table", "position": 0}

    response = client.post("/api/v1/sellers/acme/products", headers=owner.headers,
                           json={"slug": "oak-table", "title": "Oak table", "images": [image]})

    body = assert_error_shape(response, 422, "validation_error")
    assert body["errors"] == {"images": {"0": {"alt": ["Must not contain the NUL character (\\u0000)."]}}}
    assert client.get("/api/v1/sellers/acme/products", headers=owner.headers).get_json() == []


@pytest.mark.parametrize("path", ["/api/v1/search?q=oak%00", "/api/v1/products?seller=%00",
                                  "/api/v1/search/suggest?q=%00"])
def test_a_nul_in_a_query_field_is_a_422_naming_the_field(client, path):
    with database_statements() as statements:
        response = client.get(path)

    body = assert_error_shape(response, 422, "validation_error")
    assert list(body["errors"]) == [path.split("?")[1].split("=")[0]]
    assert statements == []


# 11. Races into a unique constraint

def _wait_until_a_request_waits_for_a_lock(timeout_seconds: float = 20) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        # A new transaction each time: PostgreSQL keeps one snapshot of pg_stat_activity per transaction.
        with shards.engine().connect() as conn:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )).scalar_one()
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("the request never waited for the competing transaction")


def _answer_while_a_competing_insert_commits(competing_insert: str, values: dict, send_request,
                                            schema: str = "platform"):
    """The answer to `send_request` when another transaction inserts a colliding row first.

    The competing row is inserted but not committed, so the request passes any
    check of its own and waits on the unique index; then the competitor commits.
    """
    with shards.engine().connect() as competing, ThreadPoolExecutor(max_workers=1) as pool:
        competing.exec_driver_sql(f'SET LOCAL search_path TO "{schema}"')
        competing.execute(text(competing_insert), values)
        answer = pool.submit(send_request)
        try:
            _wait_until_a_request_waits_for_a_lock()
        finally:
            competing.commit()  # also on failure, or the waiting request would never end
        return answer.result(timeout=30)


def test_an_invite_accepted_while_another_acceptance_commits_is_a_409_and_one_membership(
        client, sign_up, make_seller, sql):
    owner = sign_up("owner@example.com")
    newbie = sign_up("newbie@example.com")
    shop = make_seller("acme", {owner.user_id: MemberRole.OWNER})
    sql("INSERT INTO platform.member_invites (tenant_id, email, role, token_hash, expires_at) "
        "VALUES (:tenant_id, 'newbie@example.com', 'staff', :token_hash, now() + interval '1 day')",
        tenant_id=shop.id, token_hash=token_digest("the-invite-token"))

    # Another acceptance (say, of an earlier invite) makes the same person a member at the same moment.
    response = _answer_while_a_competing_insert_commits(
        "INSERT INTO memberships (user_id, tenant_id, role) VALUES (:user_id, :tenant_id, 'manager')",
        {"user_id": newbie.user_id, "tenant_id": shop.id},
        lambda: client.post("/api/v1/member-invites/accept", json={"token": "the-invite-token"},
                            headers=newbie.headers))

    assert_error_shape(response, 409, "already_member")
    assert sql("SELECT role FROM platform.memberships WHERE user_id = :user_id", user_id=newbie.user_id) == \
        [("manager",)]
    assert sql("SELECT accepted_at FROM platform.member_invites") == [(None,)]


def test_two_variants_racing_for_one_sku_are_one_variant_and_a_409(client, sign_up, make_seller):
    owner = sign_up("owner@example.com")
    shop = make_seller("acme", {owner.user_id: MemberRole.OWNER})
    products = "/api/v1/sellers/acme/products"
    product_id = client.post(products, json={"slug": "oak-table", "title": "Oak table"},
                             headers=owner.headers).get_json()["id"]

    response = _answer_while_a_competing_insert_commits(
        "INSERT INTO variants (product_id, sku, price_amount, currency) VALUES (:product_id, 'OAK-1', 100, 'EUR')",
        {"product_id": product_id},
        lambda: client.post(f"{products}/{product_id}/variants", json={"sku": "OAK-1", "price_amount": 200},
                            headers=owner.headers),
        schema=shop.schema_name)

    body = assert_error_shape(response, 409, "sku_taken")
    assert list(body["errors"]) == ["sku"]
    variants = client.get(f"{products}/{product_id}/variants", headers=owner.headers).get_json()
    assert [(variant["sku"], variant["price_amount"]) for variant in variants] == [("OAK-1", 100)]


def test_two_applications_racing_for_one_slug_are_one_application_and_a_409(client, sign_up, sql):
    rival, applicant = sign_up("rival@example.com"), sign_up("applicant@example.com")
    application = {"shop_name": "Acme Tools", "wanted_slug": "acme-tools", "contact_email": "shop@acme.example",
                   "country": "PT", "currency": "EUR", "description": "Tools."}

    response = _answer_while_a_competing_insert_commits(
        "INSERT INTO seller_applications (applicant_user_id, shop_name, wanted_slug, contact_email, country, "
        "currency, description, status) VALUES (:user_id, 'Rival', 'acme-tools', 'r@example.com', 'PT', 'EUR', "
        "'', 'pending')",
        {"user_id": rival.user_id},
        lambda: client.post("/api/v1/seller-applications", json=application, headers=applicant.headers))

    body = assert_error_shape(response, 409, "slug_taken")
    assert list(body["errors"]) == ["wanted_slug"]
    assert sql("SELECT applicant_user_id FROM platform.seller_applications") == [(rival.user_id,)]


def test_a_constraint_without_its_own_code_is_a_plain_409(app):
    conflicting_app = create_app({**{key: app.config[key] for key in ("DATABASE_URL", "SHARD_URLS", "REDIS_URL")},
                                  "LOG_LEVEL": "CRITICAL"})

    @conflicting_app.post("/api/v1/orphan-membership")
    def orphan_membership():
        with UnitOfWork() as uow:
            uow.session.execute(text("INSERT INTO platform.memberships (user_id, tenant_id, role) "
                                     "VALUES (-1, -1, 'staff')"))
            uow.commit()

    response = conflicting_app.test_client().post("/api/v1/orphan-membership")

    assert_error_shape(response, 409, "conflict")


def test_every_unique_rule_a_client_can_break_has_its_own_code():
    unique_rules = {index.name for table in [*SharedBase.metadata.tables.values(), *TenantBase.metadata.tables.values()]
                    for index in table.indexes if index.unique}
    unique_rules |= {constraint.name for table in [*SharedBase.metadata.tables.values(),
                                                   *TenantBase.metadata.tables.values()]
                     for constraint in table.constraints if isinstance(constraint, UniqueConstraint)}
    # Random tokens, schema names and job-written rows: no client request can collide on these.
    unreachable = {"uq_api_tokens_token_hash", "uq_member_invites_token_hash", "uq_tenants_schema_name",
                   "uq_notifications_dedupe_key", "uq_product_listings_tenant_id_product_slug",
                   "uq_mailed_tokens_token_hash", "uq_mail_deliveries_dedupe_key", "uq_audit_log_source_key",
                   "uq_search_attribute_sets_digest",
                   # Checkout's own keys: taken from sequences, the gateway, or claimed with ON CONFLICT by the saga.
                   "checkout_attempts_key", "uq_checkout_attempts_order_id", "uq_payments_order_id",
                   "uq_payments_gateway_payment_id", "marketplace_order_sellers_seller_key",
                   "stock_reservations_order_variant_key", "uq_seller_orders_marketplace_order_id",
                   "uq_seller_order_lines_marketplace_order_line_id",
                   # Made with ON CONFLICT DO NOTHING (a buyer's cart) or under the cart row's lock (its lines).
                   "uq_carts_buyer_user_id", "uq_carts_token_hash", "cart_lines_variant_key",
                   # A refund's key is looked up under its seller part's lock before the insert; the gateway's id.
                   "refunds_key", "uq_refunds_gateway_refund_id",
                   # The ledger's: written by jobs with ON CONFLICT (external ids, accounts); the rest structural.
                   "uq_ledger_transactions_external_id", "uq_ledger_transactions_reverses_id",
                   "uq_ledger_accounts_kind_tenant_id_currency", "uq_ledger_accounts_id_currency",
                   # Written only from the processor's answers, one connected account per seller.
                   "uq_payout_accounts_gateway_account_id",
                   # One transfer per (order, seller), claimed with ON CONFLICT by the transfer job.
                   "seller_transfers_order_seller_key",
                   # Payout runs: a scheduled run per day (ON CONFLICT DO NOTHING), a result per seller under its
                   # registry row's lock, a gateway payout id from the processor.
                   "uq_payout_runs_scheduled_run_on", "uq_payout_run_results_run_id_tenant_id_currency",
                   "uq_payout_run_results_gateway_payout_id",
                   # Plans: the default plan is made only with ON CONFLICT; invoices are claimed with ON CONFLICT.
                   "uq_plans_default", "uq_plan_invoices_tenant_id_period_start",
                   # Settlement's rows: written under the order row's lock, once (primary key or this).
                   "seller_settlements_order_seller_key"}

    assert unique_rules - unreachable == set(CONFLICTS_BY_CONSTRAINT)


# 12. Limits of the request line and headers; nothing long echoed back

def test_a_request_line_over_the_limit_is_a_json_414(client):
    response = client.get("/api/v1/products?seller=" + "x" * MAX_REQUEST_LINE_BYTES)

    assert_error_shape(response, 414, "uri_too_long")


def test_too_many_header_fields_are_a_json_431(client):
    headers = {f"X-Filler-{number}": "1" for number in range(MAX_HEADER_FIELDS + 1)}

    response = client.get("/healthz", headers=headers)

    assert_error_shape(response, 431, "header_fields_too_large")


def test_a_header_field_over_the_limit_is_a_json_431(client):
    response = client.get("/healthz", headers={"X-Filler": "x" * MAX_HEADER_FIELD_BYTES})

    assert_error_shape(response, 431, "header_fields_too_large")


@pytest.mark.parametrize("path", ["/api/v1/sellers/{slug}", "/api/v1/sellers/{slug}/products",
                                  "/api/v1/products/{slug}/oak-table", "/api/v1/products/acme/{slug}",
                                  "/api/v1/sellers/{slug}/search?q=oak", "/api/v1/sellers/{slug}/reviews"])
def test_a_404_does_not_echo_a_long_slug(client, buyer, make_seller, path):
    make_seller("acme")
    slug = "s" * 3000

    response = client.get(path.format(slug=slug), headers=buyer.headers)

    body = assert_error_shape(response, 404, "not_found")
    assert "sss" not in response.get_data(as_text=True)
    assert len(body["message"]) < 200


# 13. Metrics

def test_metrics_name_their_charset_once(client):
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["Content-Type"].count("charset") == 1


def _count_of_healthz_requests(metrics_text: str) -> float:
    series = 'marketplace_http_requests_total{method="GET",route="/healthz",status="200"} '
    return sum(float(line.removeprefix(series)) for line in metrics_text.splitlines() if line.startswith(series))


SERVE_THREE_HEALTH_CHECKS = ("from marketplace import create_app\n"
                             "client = create_app().test_client()\n"
                             "for _ in range(3): assert client.get('/healthz').status_code == 200\n")


def _start_process_serving_three_health_checks(app, metrics_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "LOG_LEVEL": "WARNING",
           **database_environment(app.config)}
    return subprocess.Popen([sys.executable, "-c", SERVE_THREE_HEALTH_CHECKS], env=env, cwd=ROOT)


def test_one_scrape_adds_up_the_requests_of_every_worker_process(client, app, tmp_path, monkeypatch):
    workers = [_start_process_serving_three_health_checks(app, tmp_path) for _ in range(2)]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    response = client.get("/metrics")

    assert _count_of_healthz_requests(response.get_data(as_text=True)) == 6


# Under a real gunicorn, configured by gunicorn.conf.py

@pytest.fixture(scope="module")
def gunicorn_url(app, tmp_path_factory):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    var_dir = tmp_path_factory.mktemp("var")
    # A previous run's metrics, which gunicorn must not add to this run's.
    (var_dir / "prometheus").mkdir()
    assert _start_process_serving_three_health_checks(app, var_dir / "prometheus").wait(timeout=120) == 0
    env = {**os.environ, **database_environment(app.config), "VAR_DIR": str(var_dir), "LOG_LEVEL": "WARNING"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                               "wsgi:app"], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_serving(url: str, server: subprocess.Popen, timeout_seconds: float = 60) -> None:
    """Ask /healthz until it answers: the app sees exactly one of these requests."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        try:
            # Long enough for a loaded machine: a probe given up on stays queued, and is served and counted later.
            with urllib.request.urlopen(f"{url}/healthz", timeout=60):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def _send(url: str, raw_request_head: bytes, body_chunks: list[bytes] = ()) -> tuple[int, str, bytes]:
    """Send a request byte for byte (its body chunked); return its status, Content-Type and body.

    The answer is read while the body is still being sent, as a browser or curl
    does: a server that refuses a body answers and closes before reading all of it.
    """
    host, port = url.removeprefix("http://").split(":")

    def send_request(connection):
        try:
            connection.sendall(raw_request_head)
            for chunk in body_chunks:
                connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            if body_chunks:
                connection.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server closed after answering

    with socket.create_connection((host, int(port)), timeout=30) as connection, \
            ThreadPoolExecutor(max_workers=1) as sender:
        sender.submit(send_request, connection)
        response = http.client.HTTPResponse(connection)
        response.begin()
        return response.status, response.getheader("Content-Type"), response.read()


def test_gunicorn_answers_a_chunked_body_over_the_limit_with_a_json_413(gunicorn_url):
    body = b'{"email": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    head = (b"POST /api/v1/auth/register HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")

    status, content_type, answer = _send(gunicorn_url, head, [body[i:i + 65536] for i in range(0, len(body), 65536)])

    assert (status, content_type) == (413, "application/json")
    assert json.loads(answer)["code"] == "payload_too_large"


@pytest.mark.parametrize("head, status, code", [
    (b"GET /api/v1/products?seller=" + b"x" * 5000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414, "uri_too_long"),
    (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n" + b"".join(b"X-Filler-%d: 1\r\n" % n for n in range(150))
     + b"\r\n", 431, "header_fields_too_large"),
    (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Filler: " + b"x" * 10000 + b"\r\n\r\n", 431,
     "header_fields_too_large"),
], ids=["long request line", "many headers", "long header"])
def test_gunicorn_leaves_requests_over_the_apps_limits_to_the_app(gunicorn_url, head, status, code):
    answer_status, content_type, answer = _send(gunicorn_url, head)

    assert (answer_status, content_type) == (status, "application/json")
    assert json.loads(answer)["code"] == code


def test_every_scrape_of_gunicorn_sees_the_requests_of_all_its_workers(gunicorn_url):
    for _ in range(20):
        with urllib.request.urlopen(f"{gunicorn_url}/healthz", timeout=10) as response:
            assert response.status == 200

    scrapes = []
    for _ in range(6):
        with urllib.request.urlopen(f"{gunicorn_url}/metrics", timeout=10) as response:
            scrapes.append(_count_of_healthz_requests(response.read().decode()))

    # Every scrape, whichever worker answers it, counts the startup probe and the 20, and nothing of the last run.
    assert scrapes == [21] * 6


# 14. The API docs work offline

def test_the_api_docs_load_everything_from_this_server(client):
    page = client.get("/api/docs").get_data(as_text=True)

    assets = re.findall(r'(?:src|href)="([^"]+)"', page)

    assert not re.search(r"(https?:)?//\w", page), "the page names another host"
    assert {asset.rsplit("/", 1)[1] for asset in assets} >= {"swagger-ui.css", "swagger-ui-bundle.js"}
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.data) > 1000


def test_an_unknown_docs_asset_is_a_json_404(client):
    response = client.get("/api/docs/assets/no-such-file.js")

    assert_error_shape(response, 404, "not_found")
