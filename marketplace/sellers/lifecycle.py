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

from marketplace.errors import Conflict
from tenants.models import TenantStatus


class TenantAction(str, enum.Enum):
    ACTIVATE = "activate"
    SUSPEND = "suspend"
    RESUME = "resume"
    CLOSE = "close"


# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[TenantAction, tuple[frozenset[TenantStatus], TenantStatus]] = {
    TenantAction.ACTIVATE: (frozenset({TenantStatus.PENDING}), TenantStatus.ACTIVE),
    TenantAction.SUSPEND: (frozenset({TenantStatus.ACTIVE}), TenantStatus.SUSPENDED),
    TenantAction.RESUME: (frozenset({TenantStatus.SUSPENDED}), TenantStatus.ACTIVE),
    TenantAction.CLOSE: (frozenset({TenantStatus.ACTIVE, TenantStatus.SUSPENDED}), TenantStatus.CLOSED),
}


class IllegalTransition(Conflict):
    code = "illegal_transition"

    def __init__(self, action: TenantAction, status: TenantStatus):
        super().__init__(f"A {status.value} seller cannot be {PAST_TENSE[action]}.")
        self.action = action
        self.tenant_status = status


def next_status(action: TenantAction, status: TenantStatus) -> TenantStatus:
    """The status `action` leads to from `status`, else IllegalTransition."""
    allowed_from, target = TRANSITIONS[action]
    if status not in allowed_from:
        raise IllegalTransition(action, status)
    return target


PAST_TENSE = {
    TenantAction.ACTIVATE: "activated",
    TenantAction.SUSPEND: "suspended",
    TenantAction.RESUME: "resumed",
    TenantAction.CLOSE: "closed",
}
