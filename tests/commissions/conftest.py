"""Fixtures of the commission rules tests: categories, sellers, an operator's HTTP helper, a state snapshot."""
from __future__ import annotations

from typing import Any

import pytest

RULES_URL = "/api/v1/operator/commission-rules"


@pytest.fixture
def make_category(app):
    """Create a category through the catalog's service: make_category("kitchen", parent_id=None)."""
    from marketplace.catalog.categories import create_category

    def make(slug: str, parent_id: int | None = None) -> int:
        with app.app_context():
            return create_category(None, slug.title(), slug, parent_id, 0).id

    return make


class RulesClient:
    """The commission rules API as an operator, failing loudly if an arranging step is refused."""

    def __init__(self, client, operator):
        self.client = client
        self.headers = operator.headers

    def create(self, expected_status: int = 201, **body) -> Any:
        return self.call("POST", RULES_URL, expected_status, json=body)

    def resolve(self, seller: str, category_id: int | None = None, **params) -> dict:
        query = {"seller": seller, **({"category_id": category_id} if category_id else {}), **params}
        return self.call("GET", f"{RULES_URL}/resolve", 200, query_string=query)

    def call(self, method: str, path: str, expected_status: int, **kwargs) -> Any:
        response = self.client.open(path, method=method, headers=self.headers, **kwargs)
        assert response.status_code == expected_status, response.get_json(silent=True)
        return response.get_json(silent=True)


@pytest.fixture
def rules(client, operator) -> RulesClient:
    return RulesClient(client, operator)


@pytest.fixture
def rules_state(sql):
    """Every rule as stored, and the audit log's length: what a refused request must leave as it was."""

    def state() -> tuple:
        stored = sql("SELECT id, tenant_id, category_id, basis_points, fixed_fee_amount, currency, updated_at "
                     "FROM platform.commission_rules ORDER BY id")
        return stored, sql("SELECT count(*) FROM platform.audit_log")[0][0]

    return state
