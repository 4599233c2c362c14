"""Writing the audit log, inside the transaction of the change it records, and reading it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.audit.models import AuditEntry
from marketplace.core.pagination import Page, PageRequest, fetch_page
from tenants.models import Tenant
from tenants.uow import UnitOfWork


def record(uow: UnitOfWork, *, actor_user_id: int | None, action: str, target_type: str, target_id: Any,
           tenant_id: int | None = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> AuditEntry:
    """Add an audit entry to `uow`: it commits, or rolls back, with the change itself.

    Flushed, so its id can name the change (in an outbox message, say).
    """
    entry = AuditEntry(
        actor_user_id=actor_user_id, action=action, target_type=target_type, target_id=str(target_id),
        tenant_id=tenant_id, before=before, after=after,
    )
    uow.session.add(entry)
    uow.session.flush()
    return entry


@dataclass(frozen=True)
class AuditRecord:
    id: int
    actor_user_id: int | None
    actor_email: str | None
    action: str
    target_type: str
    target_id: str
    tenant_id: int | None
    tenant_slug: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: datetime


def list_entries(page_request: PageRequest, tenant_slug: str | None = None,
                 action: str | None = None) -> Page[AuditRecord]:
    """The audit log, newest first, optionally of one tenant (by slug) and one action."""
    query = (
        select(AuditEntry.id, AuditEntry.actor_user_id, User.email, AuditEntry.action, AuditEntry.target_type,
               AuditEntry.target_id, AuditEntry.tenant_id, Tenant.slug, AuditEntry.before, AuditEntry.after,
               AuditEntry.created_at)
        .outerjoin(User, User.id == AuditEntry.actor_user_id)
        .outerjoin(Tenant, Tenant.id == AuditEntry.tenant_id)
        .order_by(AuditEntry.id.desc())
    )
    if tenant_slug is not None:
        query = query.where(Tenant.slug == tenant_slug)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    with UnitOfWork() as uow:
        return fetch_page(uow.session, query, page_request).map(lambda row: AuditRecord(*row))
