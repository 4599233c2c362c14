"""Writing the audit log, inside the transaction of the change it records."""
from __future__ import annotations

from typing import Any

from marketplace.audit.models import AuditEntry
from tenants.uow import UnitOfWork


def record(uow: UnitOfWork, *, actor_user_id: int | None, action: str, target_type: str, target_id: Any,
           tenant_id: int | None = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> None:
    """Add an audit entry to `uow`: it commits, or rolls back, with the change itself."""
    uow.session.add(AuditEntry(
        actor_user_id=actor_user_id, action=action, target_type=target_type, target_id=str(target_id),
        tenant_id=tenant_id, before=before, after=after,
    ))
