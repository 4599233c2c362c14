"""Domains claimed before verification existed were never proved: the migration makes them pending."""
from __future__ import annotations

import psycopg
import pytest

from marketplace.core.embedded import drop_embedded_database
from migrations import upgrade_shared
from tests.conftest import _test_database_url

BEFORE_VERIFICATION = "0005"


@pytest.fixture
def database_at_0005():
    url = _test_database_url()
    upgrade_shared(url, BEFORE_VERIFICATION)
    yield url
    drop_embedded_database(url)


def run(url: str, statement: str) -> list[tuple]:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        cursor = conn.execute(statement)
        return cursor.fetchall() if cursor.description else []


def test_a_domain_claimed_before_the_migration_becomes_pending_with_its_own_token(database_at_0005):
    run(database_at_0005, "INSERT INTO platform.tenants (slug, display_name) VALUES ('acme', 'Acme'), ('bolt', 'Bolt')")
    run(database_at_0005, "INSERT INTO platform.tenant_domains (tenant_id, hostname, is_primary) "
                          "VALUES (1, 'shop.acme.example', true), (2, 'shop.bolt.example', true)")

    upgrade_shared(database_at_0005)

    rows = run(database_at_0005, "SELECT status, verification_token, "
                                 "verification_expires_at > now() + interval '6 days' FROM platform.tenant_domains")
    assert [(status, expires_later) for status, _, expires_later in rows] == [("pending", True)] * 2
    tokens = {token for _, token, _ in rows}
    assert len(tokens) == 2 and all(len(token) == 32 for token in tokens)
