"""Every permission check of the API, as view decorators.

    @login_required                     any signed-in user
    @verified_email_required            signed-in users whose email address is verified (403
                                        `email_not_verified`): accepting invites, applying to
                                        sell, checking out
    @operator_required                  platform operators
    @member_required(MemberRole.MANAGER)  members of the tenant in the URL with at least this role
                                        (owner ⊃ manager ⊃ staff)

A suspended tenant's portal is read-only (403 `tenant_suspended` for any
request that is not a read) and a closed tenant is shut to its members (403
`tenant_closed`); operators may still read both. The rules themselves live in
`marketplace.accounts.tenant_access`.

Put them above the flask-smorest decorators, so that an unauthenticated
caller gets 401 before the request body is even parsed. The tenant always
comes from the `slug` in the URL, never from a header; the decorators set
`g.user_id` and `g.tenant_slug`, which the JSON logs carry.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import g, request
from flask_smorest import Blueprint

from marketplace.accounts import services
from marketplace.accounts.auth import BEARER_SCHEME, authenticate
from marketplace.accounts.models import MemberRole
from marketplace.accounts.services import EmailNotVerified, Principal
from marketplace.accounts.tenant_access import ensure_member_access
from marketplace.core.errors import Forbidden
from tenants.models import TenantRef, TenantStatus
from tenants.registry import get_tenant_by_slug


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        authenticate()
        return view(*args, **kwargs)

    return _documented(wrapper, 401)


def verified_email_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not authenticate().email_verified:
            raise EmailNotVerified()
        return view(*args, **kwargs)

    return _documented(wrapper, 401, 403)


def operator_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not authenticate().is_operator:
            raise Forbidden("Only platform operators may do this.")
        return view(*args, **kwargs)

    return _documented(wrapper, 401, 403)


def member_required(minimum_role: MemberRole = MemberRole.STAFF, *, allow_operators: bool = False,
                    while_suspended: bool = False) -> Callable:
    """Members of the URL's tenant with `minimum_role` or above; operators too if `allow_operators`.

    An unknown slug is 404, a signed-in non-member 403, a write to a suspended
    tenant (unless `while_suspended`: handling orders already placed) or any
    request of a member to a closed one 403 too.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = authenticate()
            tenant = _tenant_from_url(kwargs["slug"])
            as_operator = allow_operators and principal.is_operator
            if not as_operator and not _has_role(principal, tenant, minimum_role):
                raise Forbidden(f"Only members of this seller with the role {minimum_role.value} or above may do this.")
            _ensure_status_allows(tenant, as_operator, while_suspended)
            return view(*args, **kwargs)

        return _documented(wrapper, 401, 403, 404)

    return decorator


def current_principal() -> Principal:
    """The caller, in a view behind one of the decorators above."""
    return g.principal


def current_tenant() -> TenantRef:
    """The URL's tenant, in a view behind `member_required`."""
    return g.tenant


def _tenant_from_url(slug: str) -> TenantRef:
    tenant = get_tenant_by_slug(slug)
    g.tenant = tenant
    g.tenant_slug = tenant.slug
    return tenant


def _ensure_status_allows(tenant: TenantRef, as_operator: bool, while_suspended: bool) -> None:
    writing = request.method not in _READ_METHODS
    if as_operator and not writing:
        return  # operators look into suspended and closed sellers, e.g. to decide on them
    # A suspended seller still owes its buyers the orders they placed: handling them is allowed.
    handling_orders = while_suspended and tenant.status is TenantStatus.SUSPENDED
    ensure_member_access(tenant.status, writing=writing and not handling_orders)


def _has_role(principal: Principal, tenant: TenantRef, minimum_role: MemberRole) -> bool:
    role = services.role_in_tenant(principal.user_id, tenant.id)
    return role is not None and role.includes(minimum_role)


def _documented(view: Callable, *error_statuses: int) -> Callable:
    """Show the bearer requirement and the refusals in the OpenAPI document."""
    return Blueprint.doc(
        security=[{BEARER_SCHEME: []}],
        responses={status: _RESPONSE_NAMES[status] for status in error_statuses},
    )(view)


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# flask-smorest's shared responses, each with our error schema.
_RESPONSE_NAMES = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND"}
