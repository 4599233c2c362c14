"""The life of a tenant: which status changes are allowed.

    pending   --activate-->  active
    active    --suspend--->  suspended
    suspended --resume---->  active
    active    --close----->  closed
    suspended --close----->  closed

Anything else is an illegal transition (409). Buyers see only active
tenants: the public reads join the registry status, so a status change hides
or shows a seller's storefront and products at once. What each status lets
members do is `marketplace.accounts.tenant_access`.
"""
from __future__ import annotations

import enum

from marketplace.core.state_machine import StateMachine
from tenants.models import TenantStatus


class TenantAction(str, enum.Enum):
    ACTIVATE = "activate"
    SUSPEND = "suspend"
    RESUME = "resume"
    CLOSE = "close"




PAST_TENSE = {
    TenantAction.ACTIVATE: "activated",
    TenantAction.SUSPEND: "suspended",
    TenantAction.RESUME: "resumed",
    TenantAction.CLOSE: "closed",
}

TENANT_LIFECYCLE: StateMachine[TenantStatus, TenantAction] = StateMachine("seller", {
    TenantAction.ACTIVATE: (frozenset({TenantStatus.PENDING}), TenantStatus.ACTIVE),
    TenantAction.SUSPEND: (frozenset({TenantStatus.ACTIVE}), TenantStatus.SUSPENDED),
    TenantAction.RESUME: (frozenset({TenantStatus.SUSPENDED}), TenantStatus.ACTIVE),
    TenantAction.CLOSE: (frozenset({TenantStatus.ACTIVE, TenantStatus.SUSPENDED}), TenantStatus.CLOSED),
}, PAST_TENSE)
