"""Recording a notification to a user, once per dedupe key (jobs run at least once)."""
from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert

from marketplace.notifications.models import Notification
from tenants.uow import UnitOfWork


def record_notification(uow: UnitOfWork, *, user_id: int, kind: str, dedupe_key: str, subject: str, body: str,
                        tenant_id: int | None = None) -> bool:
    """Add the notification to `uow` unless one with `dedupe_key` exists; return whether it was added."""
    inserted_id = uow.session.scalar(
        insert(Notification)
        .values(user_id=user_id, kind=kind, dedupe_key=dedupe_key, subject=subject, body=body, tenant_id=tenant_id)
        .on_conflict_do_nothing(index_elements=[Notification.dedupe_key])
        .returning(Notification.id)
    )
    return inserted_id is not None
