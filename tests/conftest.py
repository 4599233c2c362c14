"""Fixtures shared by every test: real PostgreSQL, Redis and SMTP, one app, a clean slate per test.

With DATABASE_URL unset the embedded PostgreSQL under var/test is started (or
joined); either way each pytest run gets a database of its own, dropped at the
end, so parallel runs never meet. Each run also starts its own redis-server
and its own SMTP server, which keeps the mail sent as files (`mailbox`).
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from marketplace import create_app
from marketplace.accounts import services
from marketplace.accounts.models import MemberRole, Membership
from marketplace.core.embedded import EmbeddedRedis, drop_embedded_database, embedded_database_url
from marketplace.mail.local_server import LocalMailServer
from migrations import upgrade_shard, upgrade_shared
from tenants.models import TenantRef
from tenants.provisioning import provision_tenant
from tenants.shards import shards
from tenants.uow import UnitOfWork
from tests.mailbox import Mailbox
from tenants.outbox import set_commit_relay
from workers.relay import install_commit_relay, install_commit_relay_if_enabled

ROOT = Path(__file__).resolve().parent.parent
TEST_VAR_DIR = Path(os.environ.get("TEST_VAR_DIR", ROOT / "var" / "test"))
PASSWORD = "correct horse battery"
SECOND_SHARD = "second"


def _test_database_url() -> str:
    name = f"test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    given = os.environ.get("DATABASE_URL")
    if not given:
        return embedded_database_url(TEST_VAR_DIR, database=name)
    import psycopg

    plain = given.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = given.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    url = base + ("?" + query if query else "")
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _second_shard_url() -> str:
    """A database on a second PostgreSQL server: SECOND_SHARD_URL's, or a second embedded data directory."""
    given = os.environ.get("SECOND_SHARD_URL")
    if given:
        return given
    return embedded_database_url(TEST_VAR_DIR / "shard2", database=f"test_{os.getpid()}_{uuid.uuid4().hex[:6]}")


@pytest.fixture(scope="session")
def database_url():
    url = _test_database_url()
    upgrade_shard(url)
    upgrade_shared(url)
    yield url
    shards.dispose()
    drop_embedded_database(url)


@pytest.fixture(scope="session")
def second_shard_url(database_url):
    """The shard `second`: every test app has two servers, and new sellers alternate between them."""
    url = _second_shard_url()
    upgrade_shard(url)
    yield url
    shards.dispose()
    if not os.environ.get("SECOND_SHARD_URL"):
        drop_embedded_database(url)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mail_server(tmp_path_factory):
    server = LocalMailServer(tmp_path_factory.mktemp("mail"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(database_url, second_shard_url, redis_server, mail_server):
    app = create_app({
        "DATABASE_URL": database_url,
        "SHARD_URLS": {SECOND_SHARD: second_shard_url},
        "REDIS_URL": redis_server.url,
        "SMTP_URL": mail_server.url,
        "TESTING": True,
        "LOG_LEVEL": "WARNING",
        "DB_POOL_SIZE": 5,
        # Unrelated tests sign many accounts up from one address; the limits' own tests turn them on.
        "RATE_LIMIT_ENABLED": False,
    })
    install_commit_relay_if_enabled(app.config)  # as wsgi.py and the worker do
    return app


@pytest.fixture(autouse=True)
def clean_state(request):
    """Empty every platform table, drop every tenant schema, flush Redis and empty the mailbox after each test."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    for shard_key in shards.keys:
        with shards.engine(shard_key).begin() as conn:
            _empty_shard(conn)
    app.extensions["redis"].client.flushdb()
    # Redis's invalidation message would do it too, but not before the next test's first read on a busy box.
    app.extensions["redis"].near_cache.forget_everything()
    Mailbox(request.getfixturevalue("mail_server").folder, deliver=lambda: None).clear()


def _empty_shard(conn) -> None:
    """Empty the shared tables this database holds and drop its tenant schemas."""
    tables = conn.execute(text(
        "SELECT schemaname || '.' || tablename FROM pg_tables"
        " WHERE schemaname IN ('platform', 'shard') AND tablename <> 'alembic_version'"
    )).scalars().all()
    if tables:
        conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
    schemas = conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'")).scalars().all()
    for schema in schemas:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def fast_path_off(app):
    """Commits leave their outbox rows pending, as when a process dies between commit and enqueue."""
    set_commit_relay(None)
    yield
    install_commit_relay()


@pytest.fixture
def mailbox(app, mail_server) -> Mailbox:
    """The mail sent so far; reading it first runs the queued jobs, which are what send mail."""
    from tests.workers.support import run_jobs

    return Mailbox(mail_server.folder, deliver=lambda: run_jobs(app))


@pytest.fixture
def client(app):
    return app.test_client()


# Accounts signed in over HTTP, operators, sellers with members, and state checks.
@dataclass(frozen=True)
class SignedIn:
    user_id: int
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def register(client):
    """Register an account over HTTP; returns the response."""

    def register_account(email: str, password: str = PASSWORD, full_name: str = "Ada Lovelace"):
        return client.post("/api/v1/auth/register",
                           json={"email": email, "password": password, "full_name": full_name})

    return register_account


@pytest.fixture
def log_in(client):
    """Log in over HTTP; returns the response."""

    def log_in_as(email: str, password: str = PASSWORD, client_ip: str = "192.0.2.1"):
        return client.post("/api/v1/auth/token", json={"email": email, "password": password},
                           environ_base={"REMOTE_ADDR": client_ip})

    return log_in_as


@pytest.fixture
def sign_up(app, register, log_in):
    """Register and log in; returns a SignedIn.

    The address counts as verified unless `verified=False` (the tests of
    verification itself go through the mail).
    """

    def sign_up_as(email: str, password: str = PASSWORD, verified: bool = True) -> SignedIn:
        user_id = register(email, password).get_json()["id"]
        if verified:
            with app.app_context():
                services.mark_email_verified(user_id)
        token = log_in(email, password).get_json()["access_token"]
        return SignedIn(user_id=user_id, email=email, password=password, token=token)

    return sign_up_as


@pytest.fixture
def buyer(sign_up) -> SignedIn:
    return sign_up("buyer@example.com")


@pytest.fixture
def operator(app, log_in) -> SignedIn:
    with app.app_context():
        account, _ = services.make_operator("ops@example.com", PASSWORD, "Olga Operator")
    token = log_in(account.email).get_json()["access_token"]
    return SignedIn(user_id=account.id, email=account.email, password=PASSWORD, token=token)


@pytest.fixture
def make_seller(app):
    """Provision a tenant and give it members: make_seller("acme", {user_id: MemberRole.OWNER})."""

    def make(slug: str, members: dict[int, MemberRole] | None = None) -> TenantRef:
        with app.app_context():
            tenant = provision_tenant(slug, slug.replace("-", " ").title())
            with UnitOfWork() as uow:
                uow.session.add_all(Membership(user_id=user_id, tenant_id=tenant.id, role=role)
                                    for user_id, role in (members or {}).items())
                uow.commit()
        return tenant

    return make


@pytest.fixture
def row_counts(app):
    """Rows per platform table, to show that a refused request changed nothing."""

    def count() -> dict[str, int]:
        with shards.engine().connect() as conn:
            tables = conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'platform' AND tablename <> 'alembic_version'"
            )).scalars().all()
            return {table: conn.execute(text(f"SELECT count(*) FROM platform.{table}")).scalar_one()
                    for table in tables}

    return count


@pytest.fixture
def sql(app):
    """Run one statement on the shared schema and return its rows (for arranging and checking state)."""

    def run(statement: str, **params):
        with shards.engine().begin() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else None

    return run
