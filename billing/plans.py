"""SaaS plans: which plan a seller is on in a period, changing it, and the monthly invoice of its fee.

Periods are calendar months in UTC, named by their first day. A seller is on
its subscription's plan, or on the default plan when it has no subscription
(every seller is, from shared revision 0025 on; sellers created since get
none until an operator moves them). An operator's change takes effect from
the next period: the subscription keeps the current plan and records the
next one with the day it starts (`change_plan`); from that day on every
reader sees the new plan, and the invoice run of that period makes it the
current one (`apply_plan_changes`).

The monthly invoice (`invoice_period`, run by the scheduler) charges each
active seller the fee of its plan for the period, once: the invoice row is
unique per (seller, period), and its ledger transaction's external id is
`invoice:{tenant}:{YYYY-MM}`; both are written in one control-database
transaction. The fee is taken from the seller's payable balance
(postings.plan_fee); the part of it that the seller's pending balance
(payable − connected balance) cannot cover is moved to the seller's
receivable (postings.receivable) in the same ledger transaction: recorded as
owed, netted from later earnings by settlement.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from typing import Iterable

from sqlalchemy import ColumnElement, case, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from billing import ledger, postings
from billing.ledger import connected_balance, seller_payable
from billing.ledger_models import TransactionKind
from billing.money import Money
from billing.plan_models import INVOICE_PERIOD_CONSTRAINT, Plan, PlanInvoice, PlanSubscription
from tenants.locks import lock_row
from tenants.models import Tenant, TenantStatus
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

DEFAULT_PLAN_NAME = "Default"


def today_utc() -> date:
    return datetime.now(timezone.utc).date()


def period_start(day: date) -> date:
    """The first day of the monthly period `day` falls in."""
    return day.replace(day=1)


def next_period_start(day: date) -> date:
    start = period_start(day)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def period_name(start: date) -> str:
    return f"{start:%Y-%m}"


def invoice_external_id(tenant_id: int, start: date) -> str:
    return f"invoice:{tenant_id}:{period_name(start)}"


# Which plan

def _plan_id_on(day: date) -> ColumnElement[int]:
    """The plan id of a seller on `day`: the next plan once it has started, else the subscription's, else the
    default plan's (null only if there is no default plan)."""
    default_plan_id = select(Plan.id).where(Plan.is_default).scalar_subquery()
    subscribed = case((PlanSubscription.next_plan_from <= day, PlanSubscription.next_plan_id),
                      else_=PlanSubscription.plan_id)
    return case((PlanSubscription.tenant_id.is_(None), default_plan_id), else_=subscribed)


def plans_on(session: Session, tenant_ids: Iterable[int], day: date | None = None) -> dict[int, Plan]:
    """The plan each of these sellers is on on `day` (today by default), in one query.

    A seller is missing from the answer only if it has no subscription and
    there is no default plan (a database emptied by hand): then no plan
    applies to it (no fee, no override, no limit).
    """
    plan_id = _plan_id_on(day or today_utc()).label("plan_id")
    on_plans = (select(Tenant.id.label("tenant_id"), plan_id)
                .outerjoin(PlanSubscription, PlanSubscription.tenant_id == Tenant.id)
                .where(Tenant.id.in_(list(tenant_ids))).subquery())
    rows = session.execute(select(on_plans.c.tenant_id, Plan).join(Plan, Plan.id == on_plans.c.plan_id))
    return {tenant_id: plan for tenant_id, plan in rows}


def plan_on(session: Session, tenant_id: int, day: date | None = None) -> Plan | None:
    return plans_on(session, [tenant_id], day).get(tenant_id)


def product_limit_of(tenant_id: int) -> int | None:
    """How many products (archived ones aside) the seller's current plan allows; None for no limit.

    Read in its own control-database transaction, as the catalog reads what it
    needs from the control database before its tenant-bound one.
    """
    with UnitOfWork() as uow:
        plan = plan_on(uow.session, tenant_id)
        return plan.product_limit if plan is not None else None


def default_plan(session: Session) -> Plan:
    """The default plan, created (free, no override, no limit) if missing; the caller commits."""
    session.execute(pg_insert(Plan).values(name=DEFAULT_PLAN_NAME, is_default=True).on_conflict_do_nothing())
    return session.scalars(select(Plan).where(Plan.is_default)).one()


class PlanCurrencyMismatch(ValueError):
    """A plan with a fee in one currency for a seller selling in another: its fee could never be netted."""

    def __init__(self, plan: Plan, seller_currency: str):
        super().__init__(f"The plan's fee is in {plan.currency}; this seller sells in {seller_currency}.")


def require_same_currency(plan: Plan, seller_currency: str) -> None:
    if plan.currency is not None and plan.currency != seller_currency:
        raise PlanCurrencyMismatch(plan, seller_currency)


def change_plan(session: Session, tenant: Tenant, plan: Plan, today: date | None = None) -> PlanSubscription:
    """Move the seller to `plan` from the next period; moving it back to its current plan cancels a pending change.

    The subscription row is locked, so two changes of one seller run one after
    the other and the last one wins. The caller commits.
    """
    require_same_currency(plan, tenant.currency)
    today = today or today_utc()
    current = plan_on(session, tenant.id, today) or default_plan(session)
    session.execute(pg_insert(PlanSubscription).values(tenant_id=tenant.id, plan_id=current.id)
                    .on_conflict_do_nothing())
    subscription = lock_row(session, PlanSubscription, tenant.id)
    subscription.plan_id = current.id
    if plan.id == current.id:
        subscription.next_plan_id, subscription.next_plan_from = None, None
    else:
        subscription.next_plan_id, subscription.next_plan_from = plan.id, next_period_start(today)
    session.flush()
    return subscription


def apply_plan_changes(session: Session, start: date) -> int:
    """Make every change due by the period starting on `start` the current plan; the number of sellers moved."""
    return session.execute(
        update(PlanSubscription).where(PlanSubscription.next_plan_from <= start)
        .values(plan_id=PlanSubscription.next_plan_id, next_plan_id=None, next_plan_from=None)
    ).rowcount


# The monthly invoice

class InvoicesFailed(RuntimeError):
    """Some sellers' invoices of a period could not be written (logged each); the others were."""

    def __init__(self, start: date, tenant_ids: list[int]):
        self.tenant_ids = tenant_ids
        super().__init__(f"the plan invoices of {period_name(start)} failed for sellers {tenant_ids}")


def invoice_period(today: date | None = None) -> int:
    """Invoice the period `today` falls in (today by default) to every active seller on a paid plan not yet
    invoiced for it; the number of invoices written. Safe to run again, and at once in two processes."""
    start = period_start(today or today_utc())
    with UnitOfWork() as uow:
        apply_plan_changes(uow.session, start)
        uow.commit()
    with UnitOfWork() as uow:
        due_tenant_ids = uow.session.scalars(_sellers_due(start)).all()
    invoiced, failed_tenant_ids = 0, []
    for tenant_id in due_tenant_ids:
        # One seller's failure must not keep the others from their invoice; the job fails (and is retried) after.
        try:
            invoiced += invoice_seller(tenant_id, start)
        except Exception:
            log.exception("plan invoice failed", extra={"tenant": tenant_id, "period": period_name(start)})
            failed_tenant_ids.append(tenant_id)
    log.info("plan invoices written", extra={"period": period_name(start), "invoices": invoiced})
    if failed_tenant_ids:
        raise InvoicesFailed(start, failed_tenant_ids)
    return invoiced


def _sellers_due(start: date):
    plan_id = _plan_id_on(start)
    already_invoiced = exists().where(PlanInvoice.tenant_id == Tenant.id, PlanInvoice.period_start == start)
    return (select(Tenant.id).outerjoin(PlanSubscription, PlanSubscription.tenant_id == Tenant.id)
            .join(Plan, Plan.id == plan_id)
            .where(Tenant.status == TenantStatus.ACTIVE, Plan.monthly_fee_amount > 0, ~already_invoiced)
            .order_by(Tenant.id))


def invoice_seller(tenant_id: int, start: date) -> bool:
    """Charge the seller its plan's fee for the period starting on `start`; False if it was charged already
    (or its plan is free).

    The invoice row claims the (seller, period): a concurrent run waits on it
    and then writes nothing. The ledger transaction goes with it, in the same
    transaction, so a crash leaves both or neither.
    """
    with UnitOfWork() as uow:
        session = uow.session
        plan = plan_on(session, tenant_id, start)
        if plan is None or plan.monthly_fee_amount == 0:
            return False
        fee = Money(plan.monthly_fee_amount, plan.currency)
        invoice_id = session.execute(
            pg_insert(PlanInvoice)
            .values(tenant_id=tenant_id, period_start=start, plan_id=plan.id, plan_name=plan.name,
                    fee_amount=fee.amount, currency=fee.currency)
            .on_conflict_do_nothing(constraint=INVOICE_PERIOD_CONSTRAINT)
            .returning(PlanInvoice.id)
        ).scalar_one_or_none()
        if invoice_id is None:
            return False
        owed = _uncovered_part(session, tenant_id, fee)
        entries = postings.plan_fee(tenant_id, fee) + (postings.receivable(tenant_id, owed) if owed else [])
        ledger.post(uow, TransactionKind.INVOICE, invoice_external_id(tenant_id, start), entries,
                    description=f"Plan {plan.name}, {period_name(start)}", tenant_id=tenant_id)
        session.execute(update(PlanInvoice).where(PlanInvoice.id == invoice_id).values(owed_amount=owed.amount))
        uow.commit()
    return True


def _uncovered_part(session: Session, tenant_id: int, fee: Money) -> Money:
    """The part of `fee` the seller's pending balance (payable − connected balance) does not cover.

    Only the fee's own shortfall becomes owed: a pending balance already below
    zero (a refund after a transfer) is settlement's to recover.
    """
    pending = (ledger.balance(session, seller_payable(tenant_id), fee.currency)
               - ledger.balance(session, connected_balance(tenant_id), fee.currency))
    covered = max(Money.zero(fee.currency), min(pending, fee))
    return fee - covered


def invoices_of(session: Session, tenant_id: int):
    """The seller's invoices, newest period first (a statement to paginate)."""
    return (select(PlanInvoice).where(PlanInvoice.tenant_id == tenant_id)
            .order_by(PlanInvoice.period_start.desc(), PlanInvoice.id.desc()))

