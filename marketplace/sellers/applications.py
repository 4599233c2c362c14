"""Seller applications: applying to open a shop, operators approving (which provisions the tenant) or rejecting.

Each function takes plain values, runs one unit of work and returns frozen
dataclasses that outlive the session. Decisions are written to the audit log
in the same transaction; the applicant's notice follows through the outbox.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import MemberRole, Membership, User
from marketplace.audit.services import record
from marketplace.core.errors import Conflict, NotFound
from tenants.locks import lock_row
from marketplace.core.pagination import Page, PageRequest, fetch_page
from marketplace.sellers.models import ApplicationStatus, SellerApplication
from marketplace.sellers.notices import record_notification
from tenants.db import utcnow
from tenants.models import Tenant
from tenants.provisioning import provision_tenant
from tenants.slugs import RESERVED_SLUGS, InvalidSlug, validate_slug
from tenants.uow import UnitOfWork

APPLICATION_DECIDED_JOB = "marketplace.sellers.jobs.notify_application_decided"
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

    The registry row, the membership and the decision are one transaction: a
    failure leaves neither a tenant nor a decision. The schema is built on
    its shard once that commits (tenants/provisioning.py).
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


def get_application(application_id: int) -> ApplicationView:
    """One application as operators see it, else ApplicationNotFound (404)."""
    with UnitOfWork() as uow:
        row = uow.session.execute(
            _applications_query().where(SellerApplication.id == application_id)).one_or_none()
        if row is None:
            raise ApplicationNotFound(application_id)
        return ApplicationView.of(*row)


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
    application = lock_row(session, SellerApplication, application_id)
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
