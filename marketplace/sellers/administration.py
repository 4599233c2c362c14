"""Tenant administration by operators: listing and reading tenants, suspending, resuming, closing, exports.

Each function runs one unit of work and returns frozen dataclasses that
outlive the session. Transitions are written to the audit log in the same
transaction; notices, search updates and exports follow through the outbox.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import MemberRole, Membership, User
from marketplace.audit.models import AuditEntry
from marketplace.audit.services import record
from marketplace.core.cache import MARKET_SCOPE, invalidate, tenant_scope
from tenants.locks import lock_row
from marketplace.core.pagination import Page, PageRequest, fetch_page
from marketplace.orders.services import ensure_no_open_orders
from marketplace.sellers.lifecycle import PAST_TENSE, TENANT_LIFECYCLE, TenantAction
from marketplace.sellers.models import TenantExport
from marketplace.sellers.notices import record_notification
from marketplace.storefront.domains import custom_domain_name
from tenants.models import Tenant, TenantStatus
from tenants.registry import get_tenant_by_slug
from tenants.uow import UnitOfWork

TENANT_EXPORT_JOB = "marketplace.sellers.jobs.export_tenant"
TENANT_STATUS_NOTICE_JOB = "marketplace.sellers.jobs.notify_tenant_status_changed"
SEARCH_TENANT_STATUS_JOB = "marketplace.search.jobs.sync_tenant_status"


@dataclass(frozen=True)
class TenantView:
    id: int
    slug: str
    display_name: str
    status: TenantStatus
    currency: str
    country: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, tenant: Tenant) -> "TenantView":
        return cls(id=tenant.id, slug=tenant.slug, display_name=tenant.display_name,
                   status=TenantStatus(tenant.status), currency=tenant.currency, country=tenant.country,
                   created_at=tenant.created_at, updated_at=tenant.updated_at)


@dataclass(frozen=True)
class TenantDetail(TenantView):
    plan_code: str | None
    custom_domain: str | None
    member_count: int
    owner_emails: tuple[str, ...]


@dataclass(frozen=True)
class ExportView:
    id: int
    path: str | None
    created_at: datetime
    completed_at: datetime | None

    @property
    def status(self) -> str:
        return "done" if self.completed_at else "pending"

    @classmethod
    def of(cls, export: TenantExport) -> "ExportView":
        return cls(id=export.id, path=export.path, created_at=export.created_at, completed_at=export.completed_at)


def list_tenants(page_request: PageRequest, status: TenantStatus | None = None,
                 text_contains: str | None = None) -> Page[TenantView]:
    """Every provisioned tenant, oldest first, filtered by status and by a text in its slug or name."""
    query = select(Tenant).where(Tenant.schema_name.is_not(None)).order_by(Tenant.id)
    if status is not None:
        query = query.where(Tenant.status == status)
    if text_contains:
        query = query.where(or_(Tenant.slug.icontains(text_contains, autoescape=True),
                                Tenant.display_name.icontains(text_contains, autoescape=True)))
    with UnitOfWork() as uow:
        return fetch_page(uow.session, query, page_request).map(TenantView.of)


def get_tenant(slug: str) -> TenantDetail:
    tenant_ref = get_tenant_by_slug(slug)
    with UnitOfWork() as uow:
        return _tenant_detail(uow.session, uow.session.get(Tenant, tenant_ref.id))


def change_tenant_status(slug: str, action: TenantAction, operator_user_id: int,
                         reason: str | None = None) -> TenantDetail:
    """Move the tenant through its life cycle (`lifecycle.TENANT_LIFECYCLE`); an illegal move is a 409.

    Buyers' cached reads of the tenant and of the marketplace are dropped
    once the change commits. A seller with open orders is not closed (409
    `open_orders`, listing them). Closing also queues the export of its data.
    The tenant's owners and managers are told, with the reason, by a job.
    """
    tenant_ref = get_tenant_by_slug(slug)
    if action is TenantAction.CLOSE:
        # Read in the seller's schema first (one database per transaction); an order routed in between is
        # still the seller's to handle, as its portal shuts only to catalog and settings writes.
        ensure_no_open_orders(tenant_ref)
    with UnitOfWork(on_behalf_of=tenant_ref) as uow:
        tenant = lock_row(uow.session, Tenant, tenant_ref.id)
        previous_status = TenantStatus(tenant.status)
        tenant.status = TENANT_LIFECYCLE.check(previous_status, action)
        if action is TenantAction.CLOSE:
            _request_export(uow, tenant.id, operator_user_id)
        entry = record(uow, actor_user_id=operator_user_id, action=f"tenant.{action.value}", target_type="tenant",
                       target_id=tenant.id, tenant_id=tenant.id, before={"status": previous_status.value},
                       after={"status": TenantStatus(tenant.status).value, "reason": reason})
        # The audit entry is the transition's identity: suspend, resume, suspend again are three notices.
        uow.add_message(TENANT_STATUS_NOTICE_JOB, {"audit_entry_id": entry.id})
        # Search hides a suspended seller's documents (and drops a closed one's) through this job.
        uow.add_message(SEARCH_TENANT_STATUS_JOB, {"tenant_id": tenant.id}, queue="search")
        uow.after_commit(lambda: invalidate(tenant_scope(tenant_ref.id), MARKET_SCOPE))
        uow.session.flush()
        detail = _tenant_detail(uow.session, tenant)
        uow.commit()
    return detail


def record_tenant_status_notices(audit_entry_id: int) -> int:
    """Tell the tenant's owners and managers of the status change the audit entry records; return how many.

    Staff are not told: they cannot act on the shop's standing with the
    platform, and a suspended or closed portal tells them itself when they
    try to change something. Each notice has a key per transition and user,
    so running the job again records nothing twice. Members are read now, so
    someone who left the team in the meantime is not told.
    """
    with UnitOfWork() as uow:
        entry = uow.session.get(AuditEntry, audit_entry_id)
        action = _tenant_action_of(entry)
        if action is None:
            return 0
        tenant = uow.session.get_one(Tenant, entry.tenant_id)
        subject, body = _status_notice_text(action, tenant.display_name, (entry.after or {}).get("reason"))
        recipient_ids = uow.session.scalars(
            select(Membership.user_id)
            .where(Membership.tenant_id == tenant.id, Membership.role.in_([MemberRole.OWNER, MemberRole.MANAGER]))
            .order_by(Membership.user_id)
        ).all()
        recorded_count = sum(
            record_notification(uow, user_id=user_id, kind=f"tenant_{PAST_TENSE[action]}",
                                dedupe_key=f"tenant_status:{entry.id}:{user_id}", subject=subject, body=body,
                                tenant_id=tenant.id)
            for user_id in recipient_ids
        )
        uow.commit()
    return recorded_count


def _tenant_action_of(entry: AuditEntry | None) -> TenantAction | None:
    """The status change an audit entry records, or None if it records something else."""
    if entry is None or entry.target_type != "tenant" or not entry.action.startswith("tenant."):
        return None
    try:
        return TenantAction(entry.action.removeprefix("tenant."))
    except ValueError:
        return None


def _status_notice_text(action: TenantAction, shop_name: str, reason: str | None) -> tuple[str, str]:
    subject, consequence = _STATUS_NOTICES[action]
    body = f"An operator {PAST_TENSE[action]} {shop_name}. {consequence}"
    if reason:
        body += f" The reason given: {reason}"
    return subject.format(shop_name=shop_name), body


# action -> (subject, what it means for the shop)
_STATUS_NOTICES = {
    TenantAction.ACTIVATE: ("Your shop {shop_name} is open",
                            "Buyers can now see its storefront and products."),
    TenantAction.SUSPEND: ("Your shop {shop_name} is suspended",
                           "Buyers no longer see its storefront and products, and its portal is read-only "
                           "until an operator resumes it."),
    TenantAction.RESUME: ("Your shop {shop_name} is open again",
                          "Buyers see its storefront and products again, and its portal accepts changes."),
    TenantAction.CLOSE: ("Your shop {shop_name} is closed",
                         "It is no longer listed and its members are shut out of its portal. "
                         "Its data is kept, and its catalog and orders are exported."),
}


def list_exports(slug: str, page_request: PageRequest) -> Page[ExportView]:
    """The tenant's data exports, newest first."""
    tenant_ref = get_tenant_by_slug(slug)
    query = select(TenantExport).where(TenantExport.tenant_id == tenant_ref.id).order_by(TenantExport.id.desc())
    with UnitOfWork() as uow:
        return fetch_page(uow.session, query, page_request).map(ExportView.of)


def _tenant_detail(session: Session, tenant: Tenant) -> TenantDetail:
    member_count = session.scalar(select(func.count()).where(Membership.tenant_id == tenant.id))
    owner_emails = session.scalars(
        select(User.email).join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant.id, Membership.role == MemberRole.OWNER).order_by(User.email)
    ).all()
    return TenantDetail(**vars(TenantView.of(tenant)), plan_code=tenant.plan_code,
                        custom_domain=custom_domain_name(session, tenant.id), member_count=member_count,
                        owner_emails=tuple(owner_emails))


def _request_export(uow: UnitOfWork, tenant_id: int, requested_by_user_id: int) -> None:
    export = TenantExport(tenant_id=tenant_id, requested_by_user_id=requested_by_user_id)
    uow.session.add(export)
    uow.session.flush()
    uow.add_message(TENANT_EXPORT_JOB, {"export_id": export.id})
