"""The one state-machine helper that products and tenants (and later orders) state their moves with."""
from __future__ import annotations

import pytest

from marketplace.catalog.models import ProductStatus
from marketplace.catalog.services import PRODUCT_LIFECYCLE
from marketplace.core.state_machine import IllegalTransition
from marketplace.sellers.lifecycle import TENANT_LIFECYCLE, TenantAction
from tenants.models import TenantStatus


def test_an_allowed_move_leads_to_its_status():
    assert PRODUCT_LIFECYCLE.check(ProductStatus.ARCHIVED, "publish") is ProductStatus.PUBLISHED
    assert TENANT_LIFECYCLE.check(TenantStatus.SUSPENDED, TenantAction.CLOSE) is TenantStatus.CLOSED


@pytest.mark.parametrize("machine, status, action, message", [
    (PRODUCT_LIFECYCLE, ProductStatus.DRAFT, "unpublish", "A draft product cannot be unpublished."),
    (TENANT_LIFECYCLE, TenantStatus.CLOSED, TenantAction.RESUME, "A closed seller cannot be resumed."),
])
def test_any_other_move_is_the_one_illegal_transition_conflict(machine, status, action, message):
    with pytest.raises(IllegalTransition) as refused:
        machine.check(status, action)

    assert (refused.value.status, refused.value.code, refused.value.message) == (409, "illegal_transition", message)
