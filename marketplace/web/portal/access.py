"""Who may open a seller's portal pages: the API's rules (`accounts.permissions.member_required`) for pages.

A seller's pages are its members'; the role a page needs is the role its
API endpoint needs (staff read and handle orders, managers change settings
and invite, owners connect payouts). A suspended seller is read-only except
for handling orders already placed, a closed one is shut: the same
`tenant_access.ensure_member_access` decides. A refusal is an ApiError, which
becomes an error page (marketplace/web/errors.py) and shows nothing of the seller.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Callable

from flask import g, request

from marketplace.accounts import services as accounts
from marketplace.accounts.models import MemberRole
from marketplace.accounts.tenant_access import ensure_member_access
from marketplace.core.errors import Forbidden
from marketplace.web.auth import login_required, viewer
from tenants.models import TenantRef, TenantStatus
from tenants.registry import get_tenant_by_slug

READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class SellerSeat:
    """The seller a portal page is about and the viewer's role there."""

    tenant: TenantRef
    role: MemberRole

    @property
    def slug(self) -> str:
        return self.tenant.slug

    @property
    def read_only(self) -> bool:
        return self.tenant.status is TenantStatus.SUSPENDED

    def may(self, role_name: str) -> bool:
        """For templates: whether the viewer's role includes `role_name` ("staff", "manager", "owner")."""
        return self.role.includes(MemberRole(role_name))


def seller_page(minimum_role: MemberRole = MemberRole.STAFF, *, while_suspended: bool = False) -> Callable:
    """A page of the URL's seller for its members with `minimum_role` or above (see the module's rules)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            tenant = get_tenant_by_slug(kwargs["slug"])  # unknown: 404
            role = accounts.role_in_tenant(viewer().user_id, tenant.id)
            if role is None:
                raise Forbidden("You are not a member of this seller.")
            if not role.includes(minimum_role):
                raise Forbidden(f"Only members with the role {minimum_role.value} or above may do this.")
            ensure_member_access(tenant.status, writing=_writing(tenant, while_suspended))
            g.seat = SellerSeat(tenant, role)
            g.tenant_slug = tenant.slug
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_seat() -> SellerSeat:
    return g.seat


def _writing(tenant: TenantRef, while_suspended: bool) -> bool:
    # A suspended seller still owes its buyers the orders they placed: handling them is allowed.
    handling_orders = while_suspended and tenant.status is TenantStatus.SUSPENDED
    return request.method not in READ_METHODS and not handling_orders
