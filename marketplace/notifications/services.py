"""Recording notifications and listing a user's notifications.

A notification is recorded once per `dedupe_key`: jobs run at least once, so
recording the same notification again must change nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from marketplace.accounts.models import User
from marketplace.core.pagination import Page, PageRequest, fetch_page
from marketplace.notifications.models import Notification
from tenants.uow import UnitOfWork

WELCOME_KIND = "welcome"


@dataclass(frozen=True)
class NotificationRecord:
    id: int
    kind: str
    subject: str
    body: str
    created_at: datetime

    @classmethod
    def of(cls, notification: Notification) -> "NotificationRecord":
        return cls(id=notification.id, kind=notification.kind, subject=notification.subject,
                   body=notification.body, created_at=notification.created_at)


def record_welcome(user_id: int) -> bool:
    """Record the welcome notification of a new account.

    Returns False, changing nothing, if it was recorded before or the account
    no longer exists.
    """
    with UnitOfWork() as uow:
        user = uow.session.get(User, user_id)
        if user is None:
            return False
        inserted_id = uow.session.scalar(
            insert(Notification)
            .values(user_id=user.id, kind=WELCOME_KIND, dedupe_key=f"{WELCOME_KIND}:{user.id}",
                    subject="Welcome to the marketplace",
                    body=f"Hello {user.full_name or user.email}, your account is ready. Shop every seller "
                         "with one cart and pay once at checkout.")
            .on_conflict_do_nothing(index_elements=[Notification.dedupe_key])
            .returning(Notification.id)
        )
        uow.commit()
    return inserted_id is not None


def list_for_user(user_id: int, page_request: PageRequest) -> Page[NotificationRecord]:
    """The user's notifications, newest first."""
    query = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    with UnitOfWork() as uow:
        return fetch_page(uow.session, query, page_request).map(NotificationRecord.of)
