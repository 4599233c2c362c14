"""Accounts fixtures: signing up and in over HTTP, operators, sellers with members, row counts."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import text

from marketplace.accounts import services
from marketplace.accounts.models import MemberRole, Membership
from tenants.models import TenantRef
from tenants.provisioning import provision_tenant
from tenants.shards import shards
from tenants.uow import UnitOfWork

PASSWORD = "correct horse battery"


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
def sign_up(register, log_in):
    """Register and log in; returns a SignedIn."""

    def sign_up_as(email: str, password: str = PASSWORD) -> SignedIn:
        user_id = register(email, password).get_json()["id"]
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
        tables = ("users", "api_tokens", "memberships", "notifications", "outbox_messages", "tenants")
        with shards.engine().connect() as conn:
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
