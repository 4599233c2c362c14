"""Looking tenants up in the registry."""
from __future__ import annotations

from sqlalchemy import select

from tenants.models import DomainStatus, Tenant, TenantDomain, TenantRef
from tenants.uow import UnitOfWork


class TenantNotFound(LookupError):
    """No tenant has this slug (or it was never provisioned)."""

    def __init__(self, slug: str):
        self.slug = slug
        super().__init__(f"no tenant with the slug {slug!r}")


def get_tenant_by_slug(slug: str) -> TenantRef:
    """The tenant a URL names, whatever its status; callers decide what each status allows."""
    with UnitOfWork() as uow:
        tenant = uow.session.scalar(select(Tenant).where(Tenant.slug == slug))
        # A row without a schema was never provisioned and cannot be bound.
        if tenant is None or tenant.schema_name is None:
            raise TenantNotFound(slug)
        return tenant.ref()


def slug_for_verified_host(hostname: str) -> str | None:
    """The slug of the tenant whose verified custom domain is `hostname`; None for any other host.

    A claimed domain serves nothing until its owner has proved it
    (marketplace/sellers/domains.py): anyone may type any name.
    """
    with UnitOfWork() as uow:
        return uow.session.scalar(
            select(Tenant.slug).join(TenantDomain, TenantDomain.tenant_id == Tenant.id)
            .where(TenantDomain.hostname == hostname, TenantDomain.status == DomainStatus.VERIFIED)
        )
