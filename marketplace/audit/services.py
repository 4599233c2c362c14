"""Writing the audit log with the change it records, and reading it.

The log lives in the control database. A change made there (an operator's
decision) adds its entry in its own transaction. A tenant-bound transaction
may not write the control database, so its entry travels as an outbox
message of its shard and `apply_entry` writes it, once: the message carries
a key of its own, unique in the log, and the time of the change. The same
process writes it right after the commit, so the log shows it at once in
the common case; the message is what makes it certain.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from marketplace.accounts.models import User
from marketplace.audit.models import AuditEntry
from marketplace.core.pagination import Page, PageRequest, fetch_page
from tenants.db import utcnow
from tenants.models import Tenant
from tenants.uow import UnitOfWork


RECORD_ENTRY_JOB = "marketplace.audit.jobs.record_entry"


def record(uow: UnitOfWork, *, actor_user_id: int | None, action: str, target_type: str, target_id: Any,
           tenant_id: int | None = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> AuditEntry | None:
    """Record an audit entry with `uow`'s change: it commits, or rolls back, with the change itself.

    In the control database the entry is added and flushed, so its id can
    name the change (in an outbox message, say), and returned. From a
    tenant-bound unit of work it goes as an outbox message (None is returned).
    """
    fields = {"actor_user_id": actor_user_id, "action": action, "target_type": target_type,
              "target_id": str(target_id), "tenant_id": tenant_id, "before": before, "after": after}
    if uow.tenant is not None:
        sent = {**fields, "created_at": utcnow().isoformat(), "source_key": uuid.uuid4().hex}
        uow.add_message(RECORD_ENTRY_JOB, {"entry": sent}, queue="read_models")
        uow.apply_after_commit(lambda: apply_entry(sent), "audit entry", action=action)
        return None
    entry = AuditEntry(**fields)
    uow.session.add(entry)
    uow.session.flush()
    return entry


def apply_entry(entry: dict[str, Any]) -> bool:
    """Write an entry a tenant's transaction sent; False if it was written before."""
    values = {**entry, "created_at": datetime.fromisoformat(entry["created_at"])}
    with UnitOfWork() as uow:
        inserted = uow.session.execute(
            pg_insert(AuditEntry).values(values).on_conflict_do_nothing(index_elements=["source_key"])
            .returning(AuditEntry.id)
        ).first()
        uow.commit()
    return inserted is not None


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
