"""What a tenant's status lets its members do: a suspended tenant is read-only, a closed one shut.

The permission decorators (`permissions.member_required`) and the services
that act for a member apply it; `marketplace.sellers.lifecycle` says how a
tenant moves between statuses.
"""
from __future__ import annotations

from marketplace.core.errors import Forbidden
from tenants.models import TenantStatus


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
