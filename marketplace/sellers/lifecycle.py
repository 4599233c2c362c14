"""The life of a tenant: which status changes are allowed, and what each status lets members do.

    pending   --activate-->  active
    active    --suspend--->  suspended
    suspended --resume---->  active
    active    --close----->  closed
    suspended --close----->  closed

Anything else is an illegal transition (409). Buyers see only active
tenants: the public reads join the registry status, so a status change hides
or shows a seller's storefront and products at once.
"""
from __future__ import annotations

import enum

from marketplace.errors import Forbidden
from marketplace.state_machine import StateMachine
from tenants.models import TenantStatus


class TenantAction(str, enum.Enum):
    ACTIVATE = "activate"
    SUSPEND = "suspend"
    RESUME = "resume"
    CLOSE = "close"


class TenantSuspended(Forbidden):
    code = "tenant_suspended"

    def __init__(self) -> None:
        super().__init__("This seller is suspended: its portal is read-only until an operator resumes it.")


class TenantClosed(Forbidden):
    code = "tenant_closed"

    def __init__(self) -> None:
        super().__init__("This seller is closed.")


def ensure_member_access(status: TenantStatus, *, writing: bool) -> None:
    """Refuse a member's request that the tenant's status forbids.

    A suspended tenant is read-only; a closed one is shut to its members
    altogether (operators still read it through their own endpoints).
    """
    if status is TenantStatus.CLOSED:
        raise TenantClosed()
    if status is TenantStatus.SUSPENDED and writing:
        raise TenantSuspended()


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
