"""Seller use cases: applications, tenant administration by operators, storefront settings.

Each function takes plain values (and the TenantRef where a tenant is
involved), runs one unit of work and returns frozen dataclasses that outlive
the session. Decisions and transitions are written to the audit log in the
same transaction; notifications and exports follow through the outbox.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from marketplace.accounts.models import MemberRole, Membership, User
from marketplace.audit.models import AuditEntry
from marketplace.audit.services import record
from marketplace.core.cache import MARKET_SCOPE, invalidate, seller_face_scope, tenant_scope
from marketplace.core.errors import Conflict, NotFound
from marketplace.core.field_updates import writable_changes
from marketplace.core.pagination import Page, PageRequest, fetch_page
from marketplace.sellers.domains import claim_domain, custom_domain_name
from marketplace.sellers.lifecycle import PAST_TENSE, TENANT_LIFECYCLE, TenantAction
from marketplace.sellers.models import ApplicationStatus, SellerApplication, TenantExport
from marketplace.storefront.models import StorefrontSettings
from marketplace.sellers.notices import record_notification
from tenants.db import utcnow
from tenants.models import Tenant, TenantRef, TenantStatus
from tenants.provisioning import provision_tenant
from tenants.registry import get_tenant_by_slug
from tenants.slugs import RESERVED_SLUGS, InvalidSlug, validate_slug
from tenants.uow import UnitOfWork

APPLICATION_DECIDED_JOB = "marketplace.sellers.jobs.notify_application_decided"
TENANT_EXPORT_JOB = "marketplace.sellers.jobs.export_tenant"
TENANT_STATUS_NOTICE_JOB = "marketplace.sellers.jobs.notify_tenant_status_changed"
SEARCH_TENANT_STATUS_JOB = "marketplace.search.jobs.sync_tenant_status"
RESYNC_SELLER_JOB = "marketplace.catalog.jobs.resync_seller_products"
# How many numbered variants of a taken slug are tried for a suggestion.
SLUG_SUGGESTION_ATTEMPTS = 50


class SlugUnavailable(Conflict):
    """The slug belongs to a tenant, a pending application or the platform; `suggestion` is a free one."""

    code = "slug_taken"

    def __init__(self, slug: str, suggestion: str | None):
        errors = {"wanted_slug": [f"The slug {slug!r} is taken."]}
        if suggestion:
            errors["suggested_slug"] = [suggestion]
        hint = f" {suggestion!r} is free." if suggestion else ""
        super().__init__(f"The slug {slug!r} is not available.{hint}", errors=errors)
        self.slug = slug
        self.suggestion = suggestion


class ApplicationNotFound(NotFound):
    def __init__(self, application_id: int):
        super().__init__(f"There is no seller application {application_id}.")


class ApplicationAlreadyDecided(Conflict):
    code = "application_decided"

    def __init__(self, status: ApplicationStatus):
        super().__init__(f"This application was already {status.value}.")
        self.application_status = status


@dataclass(frozen=True)
class ApplicationView:
    id: int
    applicant_user_id: int
    applicant_email: str
    shop_name: str
    wanted_slug: str
    contact_email: str
    country: str
    currency: str
    description: str
    status: ApplicationStatus
    rejection_reason: str | None
    decided_at: datetime | None
    tenant_slug: str | None
    created_at: datetime

    @classmethod
    def of(cls, application: SellerApplication, applicant_email: str, tenant_slug: str | None) -> "ApplicationView":
        return cls(id=application.id, applicant_user_id=application.applicant_user_id,
                   applicant_email=applicant_email, shop_name=application.shop_name,
                   wanted_slug=application.wanted_slug, contact_email=application.contact_email,
                   country=application.country, currency=application.currency,
                   description=application.description, status=ApplicationStatus(application.status),
                   rejection_reason=application.rejection_reason, decided_at=application.decided_at,
                   tenant_slug=tenant_slug, created_at=application.created_at)


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


# Applications

def apply_for_shop(applicant_user_id: int, *, shop_name: str, wanted_slug: str, contact_email: str, country: str,
                   currency: str, description: str) -> ApplicationView:
    """Record a pending application.

    Raises SlugUnavailable (with a free suggestion) if a tenant, another
    pending application or the platform itself has the slug. An application
    that takes the slug between this check and the insert breaks the pending
    slug's unique index instead: a 409 slug_taken (marketplace/core/integrity.py).
    """
    with UnitOfWork() as uow:
        _ensure_slug_available(uow.session, wanted_slug)
        application = SellerApplication(
            applicant_user_id=applicant_user_id, shop_name=shop_name, wanted_slug=wanted_slug,
            contact_email=contact_email, country=country, currency=currency, description=description,
        )
        uow.session.add(application)
        uow.session.flush()
        view = _application_view(uow.session, application.id)
        uow.commit()
    return view


def list_my_applications(applicant_user_id: int, page_request: PageRequest) -> Page[ApplicationView]:
    """The user's own applications, newest first."""
    query = _applications_query().where(SellerApplication.applicant_user_id == applicant_user_id) \
        .order_by(SellerApplication.id.desc())
    with UnitOfWork() as uow:
        return fetch_page(uow.session, query, page_request).map(lambda row: ApplicationView.of(*row))


def list_applications(page_request: PageRequest, status: ApplicationStatus | None = None) -> Page[ApplicationView]:
    """Every application (operators), oldest first so that the queue is worked in order."""
    query = _applications_query().order_by(SellerApplication.id)
    if status is not None:
        query = query.where(SellerApplication.status == status)
    with UnitOfWork() as uow:
        return fetch_page(uow.session, query, page_request).map(lambda row: ApplicationView.of(*row))


def approve_application(application_id: int, operator_user_id: int) -> ApplicationView:
    """Open the shop: provision the tenant, make the applicant its owner, notify them.

    All in one transaction: a failure leaves neither a tenant nor a decision.
    Raises ApplicationAlreadyDecided if it was decided before.
    """
    with UnitOfWork() as uow:
        application = _lock_pending_application(uow.session, application_id)
        before = _decision_state(application)
        tenant = provision_tenant(application.wanted_slug, application.shop_name, currency=application.currency,
                                  country=application.country, uow=uow)
        uow.session.add(Membership(user_id=application.applicant_user_id, tenant_id=tenant.id,
                                   role=MemberRole.OWNER))
        application.tenant_id = tenant.id
        _decide(uow, application, ApplicationStatus.APPROVED, operator_user_id, before)
        view = _application_view(uow.session, application.id)
        uow.commit()
    return view


def reject_application(application_id: int, operator_user_id: int, reason: str) -> ApplicationView:
    """Decline the application with a reason the applicant is told."""
    with UnitOfWork() as uow:
        application = _lock_pending_application(uow.session, application_id)
        before = _decision_state(application)
        application.rejection_reason = reason
        _decide(uow, application, ApplicationStatus.REJECTED, operator_user_id, before)
        view = _application_view(uow.session, application.id)
        uow.commit()
    return view


def record_application_decision_notice(application_id: int) -> bool:
    """Notify the applicant of the decision; False (no change) if already notified or still pending."""
    with UnitOfWork() as uow:
        application = uow.session.get(SellerApplication, application_id)
        if application is None or application.status is ApplicationStatus.PENDING:
            return False
        if application.status is ApplicationStatus.APPROVED:
            subject = f"Your shop {application.shop_name} is open"
            body = (f"Your application was approved. You own the seller {application.wanted_slug!r}: "
                    "set up your storefront, invite your team and add products.")
        else:
            subject = f"Your application for {application.shop_name} was declined"
            body = f"Your application was declined for this reason: {application.rejection_reason}"
        recorded = record_notification(
            uow, user_id=application.applicant_user_id, kind=f"seller_application_{application.status.value}",
            dedupe_key=f"seller_application:{application.id}:decision", subject=subject, body=body,
            tenant_id=application.tenant_id,
        )
        uow.commit()
    return recorded


def _applications_query() -> Select:
    return (
        select(SellerApplication, User.email, Tenant.slug)
        .join(User, User.id == SellerApplication.applicant_user_id)
        .outerjoin(Tenant, Tenant.id == SellerApplication.tenant_id)
    )


def _application_view(session: Session, application_id: int) -> ApplicationView:
    session.flush()
    row = session.execute(_applications_query().where(SellerApplication.id == application_id)).one()
    return ApplicationView.of(*row)


def _lock_pending_application(session: Session, application_id: int) -> SellerApplication:
    application = session.scalar(
        select(SellerApplication).where(SellerApplication.id == application_id).with_for_update()
    )
    if application is None:
        raise ApplicationNotFound(application_id)
    if application.status is not ApplicationStatus.PENDING:
        raise ApplicationAlreadyDecided(ApplicationStatus(application.status))
    return application


def _decision_state(application: SellerApplication) -> dict[str, Any]:
    return {"status": ApplicationStatus(application.status).value, "tenant_id": application.tenant_id,
            "rejection_reason": application.rejection_reason}


def _decide(uow: UnitOfWork, application: SellerApplication, status: ApplicationStatus, operator_user_id: int,
            before: dict[str, Any]) -> None:
    application.status = status
    application.decided_by_user_id = operator_user_id
    application.decided_at = utcnow()
    uow.session.flush()
    uow.add_message(APPLICATION_DECIDED_JOB, {"application_id": application.id})
    record(uow, actor_user_id=operator_user_id, action=f"seller_application.{_VERBS[status]}",
           target_type="seller_application", target_id=application.id, tenant_id=application.tenant_id,
           before=before, after=_decision_state(application))


_VERBS = {ApplicationStatus.APPROVED: "approve", ApplicationStatus.REJECTED: "reject"}


def _ensure_slug_available(session: Session, slug: str) -> None:
    if slug in RESERVED_SLUGS or _unavailable_slugs(session, [slug]):
        raise SlugUnavailable(slug, _suggest_slug(session, slug))


def _unavailable_slugs(session: Session, slugs: list[str]) -> set[str]:
    """Those of `slugs` that a tenant or a pending application holds."""
    held_by_tenants = select(Tenant.slug).where(Tenant.slug.in_(slugs))
    held_by_applications = select(SellerApplication.wanted_slug).where(
        SellerApplication.wanted_slug.in_(slugs), SellerApplication.status == ApplicationStatus.PENDING)
    return set(session.scalars(held_by_tenants.union(held_by_applications)))


def _suggest_slug(session: Session, slug: str) -> str | None:
    """The first free `<slug>-<n>`, shortened to fit the slug length; None if all tried are taken."""
    stem = slug[:37].rstrip("-")
    candidates = [candidate for candidate in (f"{stem}-{n}" for n in range(2, 2 + SLUG_SUGGESTION_ATTEMPTS))
                  if _is_valid_slug(candidate)]
    unavailable = _unavailable_slugs(session, candidates)
    return next((candidate for candidate in candidates if candidate not in unavailable), None)


def _is_valid_slug(slug: str) -> bool:
    try:
        validate_slug(slug)
    except InvalidSlug:
        return False
    return True


# Tenant administration (operators)

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
    once the change commits. Closing also queues the export of its data.
    The tenant's owners and managers are told, with the reason, by a job.
    """
    tenant_ref = get_tenant_by_slug(slug)
    with UnitOfWork(tenant_ref) as uow:
        tenant = uow.session.scalar(select(Tenant).where(Tenant.id == tenant_ref.id).with_for_update())
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


# Storefront settings

# What a storefront shows before its seller has saved any settings (the name comes from the registry).
_SETTINGS_DEFAULTS: dict[str, Any] = {
    "description": "", "logo_url": None, "banner_url": None, "shipping_policy": "", "returns_policy": "",
    "support_email": None, "custom_domain": None,
}
_SETTINGS_COLUMNS = ("display_name", "description", "logo_url", "banner_url", "shipping_policy", "returns_policy",
                     "support_email")


def get_storefront_settings(tenant: TenantRef) -> dict[str, Any]:
    """The storefront's name, texts, images, support address and custom domain, as plain JSON-able values.

    A seller who never saved settings gets the defaults, named as in the registry.
    """
    with UnitOfWork(tenant) as uow:
        return _storefront_settings(uow.session, tenant.id)


def save_storefront_settings(tenant: TenantRef, actor_user_id: int, values: dict[str, Any], replace: bool,
                             domain_verification_ttl: timedelta) -> dict[str, Any]:
    """Change the storefront settings: `replace` resets every field not in `values` (PUT), else only those given.

    The display name is the seller's name everywhere, so the registry takes it
    too. A new custom domain is pending until proved within
    `domain_verification_ttl` (see domains.py). Raises DomainTaken if another
    tenant has verified it (a 409 domain_taken).
    """
    values = writable_changes(values, (*_SETTINGS_COLUMNS, "custom_domain"))
    changes = {**_SETTINGS_DEFAULTS, **values} if replace else values
    with UnitOfWork(tenant) as uow:
        before = _storefront_settings(uow.session, tenant.id)
        settings = _lock_settings_row(uow.session, tenant.id)
        for column in _SETTINGS_COLUMNS:
            if column in changes:
                setattr(settings, column, changes[column])
        if "display_name" in changes:
            uow.session.get_one(Tenant, tenant.id).display_name = changes["display_name"]
        if "custom_domain" in changes:
            claim_domain(uow, tenant.id, changes["custom_domain"], domain_verification_ttl)
        uow.session.flush()
        after = _storefront_settings(uow.session, tenant.id)
        record(uow, actor_user_id=actor_user_id, action="storefront_settings.update",
               target_type="storefront_settings", target_id=tenant.id, tenant_id=tenant.id, before=before,
               after=after)
        if after["display_name"] != before["display_name"]:
            # Every product's search document shows the seller's name.
            uow.add_message(RESYNC_SELLER_JOB, {"tenant_id": tenant.id})
        # Detail and profile depend on the tenant scope; listing pages showing the seller on its face.
        uow.after_commit(lambda: invalidate(tenant_scope(tenant.id), seller_face_scope(tenant.id)))
        uow.commit()
    return after


def _storefront_settings(session: Session, tenant_id: int) -> dict[str, Any]:
    settings = session.get(StorefrontSettings, 1, populate_existing=True)
    if settings is None:
        values = {**_SETTINGS_DEFAULTS, "display_name": session.get_one(Tenant, tenant_id).display_name}
    else:
        values = {column: getattr(settings, column) for column in _SETTINGS_COLUMNS}
    values["custom_domain"] = custom_domain_name(session, tenant_id)
    return {field: values[field] for field in (*_SETTINGS_COLUMNS, "custom_domain")}


def _lock_settings_row(session: Session, tenant_id: int) -> StorefrontSettings:
    # The row is created on first write; ON CONFLICT lets two first writers meet on one row.
    display_name = session.get_one(Tenant, tenant_id).display_name
    session.execute(insert(StorefrontSettings).values(id=1, display_name=display_name)
                    .on_conflict_do_nothing(index_elements=[StorefrontSettings.id]))
    return session.get_one(StorefrontSettings, 1, with_for_update=True, populate_existing=True)
