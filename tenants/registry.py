"""Looking tenants up in the registry.

`get_tenant_by_slug` is the one way from a slug (a URL's, a CLI argument's)
to a tenant: every API, service and command uses it, and the app turns its
`TenantNotFound` into the one 404 (marketplace/core/errors.py). `get_tenant_by_id`
is the one way from a tenant id (a job's, a row's) to the `TenantRef` a unit
of work binds.
"""
from __future__ import annotations

from sqlalchemy import select

from tenants.models import DomainStatus, Tenant, TenantDomain, TenantRef, TenantStatus
from tenants.slugs import SLUG_PATTERN
from tenants.uow import UnitOfWork


class TenantNotFound(LookupError):
    """No tenant has this slug or id (or it was never provisioned, or the caller needs an active one and it is not)."""

    def __init__(self, key: str | int):
        self.key = key
        super().__init__(f"no tenant {key!r}")


def get_tenant_by_slug(slug: str, *, active_only: bool = False) -> TenantRef:
    """The tenant a URL names; TenantNotFound if none does.

    By default whatever its status (members and operators decide what each
    status allows); `active_only` for what buyers may see, where a suspended
    or closed seller is as absent as one that never existed.
    """
    if not SLUG_PATTERN.fullmatch(slug):
        raise TenantNotFound(slug)  # no tenant can have it: spare the query
    with UnitOfWork() as uow:
        tenant = uow.session.scalar(select(Tenant).where(Tenant.slug == slug))
        # A row without a schema was never provisioned and cannot be bound.
        if tenant is None or tenant.schema_name is None:
            raise TenantNotFound(slug)
        if active_only and tenant.status != TenantStatus.ACTIVE:
            raise TenantNotFound(slug)
        return tenant.ref()


def get_tenant_by_id(tenant_id: int) -> TenantRef:
    """The provisioned tenant with this id, whatever its status; TenantNotFound if none.

    The one way from an id (a job's, a row's tenant_id) to what a unit of work binds.
    """
    with UnitOfWork() as uow:
        tenant = uow.session.get(Tenant, tenant_id)
        if tenant is None or tenant.schema_name is None:
            raise TenantNotFound(tenant_id)
        return tenant.ref()


def slug_for_verified_host(hostname: str) -> str | None:
    """The slug of the tenant whose verified custom domain is `hostname`; None for any other host.

    A claimed domain serves nothing until its owner has proved it
    (marketplace/storefront/domains.py): anyone may type any name.
    """
    with UnitOfWork() as uow:
        return uow.session.scalar(
            select(Tenant.slug).join(TenantDomain, TenantDomain.tenant_id == Tenant.id)
            .where(TenantDomain.hostname == hostname, TenantDomain.status == DomainStatus.VERIFIED)
        )
