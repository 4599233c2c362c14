"""Operators define SaaS plans and move sellers between them; sellers read their plan and invoices.

Which plan applies when, and the invoices themselves, live in billing/plans.py;
here they meet the registry (sellers by slug) and the audit log. Each write
is one control-database transaction with its audit entry. A duplicate name
is refused by the table's unique constraint (409 `plan_name_taken`,
marketplace/core/integrity.py), which also decides between two racing writes.

A change of a plan's terms applies to its sellers at once (the next order's
commission, the next product created, the next invoice); invoices already
written and order lines already placed keep what they froze. A change of a
seller's plan applies from the next period (billing/plans.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from billing import plans
from billing.plan_models import Plan, PlanInvoice, PlanSubscription
from marketplace.audit.services import record
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.field_updates import writable_changes
from marketplace.core.pagination import Page, PageRequest, fetch_page
from tenants.locks import lock_row
from tenants.models import Tenant, TenantRef
from tenants.registry import TenantNotFound
from tenants.uow import UnitOfWork

PLAN_WRITABLE_FIELDS = ("name", "monthly_fee_amount", "currency", "commission_basis_points", "product_limit")


class PlanNotFound(NotFound):
    def __init__(self, plan_id: int):
        super().__init__(f"There is no plan {plan_id}.")


class InvalidPlan(ValidationFailed):
    def __init__(self, field_name: str, message: str):
        super().__init__("The plan is not valid.", errors={field_name: [message]})


@dataclass(frozen=True)
class PlanDetails:
    id: int
    name: str
    monthly_fee_amount: int
    currency: str | None
    commission_basis_points: int | None
    product_limit: int | None
    is_default: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, plan: Plan) -> "PlanDetails":
        return cls(id=plan.id, name=plan.name, monthly_fee_amount=plan.monthly_fee_amount, currency=plan.currency,
                   commission_basis_points=plan.commission_basis_points, product_limit=plan.product_limit,
                   is_default=plan.is_default, created_at=plan.created_at, updated_at=plan.updated_at)

    def audit_state(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in PLAN_WRITABLE_FIELDS}


@dataclass(frozen=True)
class TenantPlan:
    seller: str
    period_start: date
    plan: PlanDetails
    next_plan: PlanDetails | None
    next_plan_from: date | None

    def audit_state(self) -> dict[str, Any]:
        return {"plan_id": self.plan.id, "next_plan_id": self.next_plan.id if self.next_plan else None,
                "next_plan_from": self.next_plan_from.isoformat() if self.next_plan_from else None}


@dataclass(frozen=True)
class InvoiceDetails:
    id: int
    period: str
    period_start: date
    plan_id: int
    plan_name: str
    fee_amount: int
    currency: str
    owed_amount: int
    created_at: datetime

    @classmethod
    def of(cls, invoice: PlanInvoice) -> "InvoiceDetails":
        return cls(id=invoice.id, period=plans.period_name(invoice.period_start), period_start=invoice.period_start,
                   plan_id=invoice.plan_id, plan_name=invoice.plan_name, fee_amount=invoice.fee_amount,
                   currency=invoice.currency, owed_amount=invoice.owed_amount, created_at=invoice.created_at)


# Plans (operators)

def list_plans(page_request: PageRequest) -> Page[PlanDetails]:
    """Every plan: the default plan first, then the others oldest first."""
    with UnitOfWork() as uow:
        plans.default_plan(uow.session)
        page = fetch_page(uow.session, select(Plan).order_by(Plan.is_default.desc(), Plan.id),
                          page_request).map(PlanDetails.of)
        uow.commit()
    return page


def get_plan(plan_id: int) -> PlanDetails:
    with UnitOfWork() as uow:
        return PlanDetails.of(_plan(uow.session, plan_id))


def create_plan(actor_user_id: int | None, name: str, monthly_fee_amount: int, currency: str | None,
                commission_basis_points: int | None, product_limit: int | None) -> PlanDetails:
    with UnitOfWork() as uow:
        plan = Plan(name=name, monthly_fee_amount=monthly_fee_amount, currency=currency,
                    commission_basis_points=commission_basis_points, product_limit=product_limit)
        uow.session.add(plan)
        uow.session.flush()
        uow.session.refresh(plan)
        details = PlanDetails.of(plan)
        record(uow, actor_user_id=actor_user_id, action="plan.create", target_type="plan", target_id=plan.id,
               after=details.audit_state())
        uow.commit()
    return details


def change_plan_terms(actor_user_id: int | None, plan_id: int, changes: dict[str, Any]) -> PlanDetails:
    """Change a plan's name or terms; its sellers get them at once (see the module's docstring)."""
    changes = writable_changes(changes, PLAN_WRITABLE_FIELDS)
    with UnitOfWork() as uow:
        plan = lock_row(uow.session, Plan, plan_id)
        if plan is None:
            raise PlanNotFound(plan_id)
        before = PlanDetails.of(plan)
        for name, value in changes.items():
            setattr(plan, name, value)
        _check_fee(uow.session, plan)
        uow.session.flush()
        uow.session.refresh(plan)
        details = PlanDetails.of(plan)
        record(uow, actor_user_id=actor_user_id, action="plan.update", target_type="plan", target_id=plan_id,
               before=before.audit_state(), after=details.audit_state())
        uow.commit()
    return details


# A seller's plan

def get_tenant_plan(tenant: TenantRef) -> TenantPlan:
    """The seller's plan in the current period, and its pending change if any."""
    with UnitOfWork() as uow:
        view = _tenant_plan(uow.session, uow.session.get(Tenant, tenant.id))
        uow.commit()  # the default plan, if it had to be made
    return view


def change_tenant_plan(actor_user_id: int | None, slug: str, plan_id: int) -> TenantPlan:
    """Move the seller to the plan from the next period (operators)."""
    with UnitOfWork() as uow:
        tenant = uow.session.scalar(select(Tenant).where(Tenant.slug == slug))
        if tenant is None:
            raise TenantNotFound(slug)
        plan = uow.session.get(Plan, plan_id)
        if plan is None:
            raise InvalidPlan("plan_id", f"There is no plan {plan_id}.")
        before = _tenant_plan(uow.session, tenant)
        try:
            plans.change_plan(uow.session, tenant, plan)
        except plans.PlanCurrencyMismatch as error:
            raise InvalidPlan("plan_id", str(error)) from None
        after = _tenant_plan(uow.session, tenant)
        record(uow, actor_user_id=actor_user_id, action="tenant.plan_change", target_type="tenant",
               target_id=tenant.id, tenant_id=tenant.id, before=before.audit_state(), after=after.audit_state())
        uow.commit()
    return after


def list_invoices(tenant: TenantRef, page_request: PageRequest) -> Page[InvoiceDetails]:
    """The seller's plan invoices, newest period first."""
    with UnitOfWork() as uow:
        return fetch_page(uow.session, plans.invoices_of(uow.session, tenant.id), page_request).map(InvoiceDetails.of)


# Helpers

def _plan(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise PlanNotFound(plan_id)
    return plan


def _tenant_plan(session: Session, tenant: Tenant) -> TenantPlan:
    today = plans.today_utc()
    current = plans.plan_on(session, tenant.id, today) or plans.default_plan(session)
    subscription = session.get(PlanSubscription, tenant.id, populate_existing=True)
    pending = (subscription is not None and subscription.next_plan_id is not None
               and subscription.next_plan_from > today)
    return TenantPlan(seller=tenant.slug, period_start=plans.period_start(today), plan=PlanDetails.of(current),
                      next_plan=PlanDetails.of(_plan(session, subscription.next_plan_id)) if pending else None,
                      next_plan_from=subscription.next_plan_from if pending else None)


def _check_fee(session: Session, plan: Plan) -> None:
    """The fee comes with its currency, and every seller on the plan (now or from a later period) sells in it."""
    if plan.monthly_fee_amount and plan.currency is None:
        raise InvalidPlan("currency", "A monthly fee needs its currency.")
    if not plan.monthly_fee_amount and plan.currency is not None:
        raise InvalidPlan("currency", "A currency goes only with a monthly fee.")
    if plan.currency is None:
        return
    on_plan = or_(PlanSubscription.plan_id == plan.id, PlanSubscription.next_plan_id == plan.id)
    if plan.is_default:
        on_plan = or_(on_plan, PlanSubscription.tenant_id.is_(None))
    other_currency = session.scalar(
        select(Tenant.slug).outerjoin(PlanSubscription, PlanSubscription.tenant_id == Tenant.id)
        .where(on_plan, Tenant.currency != plan.currency).order_by(Tenant.id).limit(1))
    if other_currency is not None:
        raise InvalidPlan("currency", f"Seller {other_currency!r}, on this plan, sells in another currency.")
