"""Recording a notification to a user, or to a seller's order handlers, once per dedupe key (jobs run at least once)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from marketplace.accounts.models import MemberRole, Membership
from marketplace.notifications.models import Notification
from tenants.uow import UnitOfWork

# Who hears of a seller's orders: the members who decide about them (staff work from the order desk).
ORDER_HANDLER_ROLES = (MemberRole.OWNER, MemberRole.MANAGER)


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


def notify_order_handlers(uow: UnitOfWork, tenant_id: int, *, kind: str, dedupe_key: str, subject: str,
                          body: str) -> None:
    """Add one notification per owner and manager of the seller to `uow` (control database), once per
    `dedupe_key` and member: the key names the occurrence, the member is appended to it."""
    members = uow.session.scalars(select(Membership.user_id).where(
        Membership.tenant_id == tenant_id, Membership.role.in_(ORDER_HANDLER_ROLES)))
    values = [{"user_id": user_id, "kind": kind, "tenant_id": tenant_id, "dedupe_key": f"{dedupe_key}:{user_id}",
               "subject": subject, "body": body} for user_id in members]
    if values:
        uow.session.execute(insert(Notification).values(values)
                            .on_conflict_do_nothing(index_elements=[Notification.dedupe_key]))
