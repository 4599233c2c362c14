"""Fixtures of the sellers tests: a seller with a full team, applications, and running the sellers' jobs."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from marketplace.accounts.models import MemberRole
from tenants.models import TenantRef
from tests.conftest import SignedIn
from tests.workers.support import run_jobs

APPLICATION = {
    "shop_name": "Acme Tools",
    "wanted_slug": "acme-tools",
    "contact_email": "shop@acme.example",
    "country": "PT",
    "currency": "EUR",
    "description": "Hand tools, forged in Porto.",
}


@dataclass(frozen=True)
class Team:
    """The seller acme-tools with one member of each role."""

    tenant: TenantRef
    owner: SignedIn
    manager: SignedIn
    staff: SignedIn


@pytest.fixture
def team(sign_up, make_seller) -> Team:
    owner = sign_up("owner@acme.example")
    manager = sign_up("manager@acme.example")
    staff = sign_up("staff@acme.example")
    tenant = make_seller("acme-tools", {owner.user_id: MemberRole.OWNER, manager.user_id: MemberRole.MANAGER,
                                        staff.user_id: MemberRole.STAFF})
    return Team(tenant=tenant, owner=owner, manager=manager, staff=staff)


@pytest.fixture
def apply(client):
    """Submit a seller application as `applicant`, with `changes` to the valid one above; returns the response."""

    def submit(applicant: SignedIn, **changes):
        return client.post("/api/v1/seller-applications", json={**APPLICATION, **changes}, headers=applicant.headers)

    return submit


@pytest.fixture
def jobs(app):
    """Run every queued job in this process (the outbox relay queued them at commit)."""
    return lambda: run_jobs(app)
