"""The money views of sellers and operators, over billing's ledger, payouts and reconciliation.

Reads only, but for a seller's payout schedule and an operator starting a
payout run (each one control-database transaction, with its audit entry).
Sellers are named by slug here; billing knows them by tenant id.
"""
from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterator

from flask import current_app
from sqlalchemy import select

from billing import payouts
from billing.balances import SellerBalance, seller_balances
from billing.ledger_models import LedgerAccount, LedgerTransaction
from billing.money import Money
from billing.payout_models import PayoutOutcome, PayoutRun, PayoutRunResult, PayoutRunTrigger, ReconciliationReport
from billing.revenue import revenue_by_period
from billing.statements import Statement, seller_statements
from marketplace.audit.services import record
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.pagination import Page, PageRequest, fetch_page
from marketplace.finance.schemas import first_day_of_month
from marketplace.orders.desk import FORMULA_STARTS
from tenants.db import utcnow
from tenants.models import Tenant, TenantRef
from tenants.uow import UnitOfWork

STATEMENT_CSV_COLUMNS = ("currency", "occurred_at", "kind", "external_id", "order_id", "balance_change",
                         "available_change", "description")


class PayoutRunNotFound(NotFound):
    def __init__(self, run_id: int):
        super().__init__(f"There is no payout run {run_id}.")


# --- a seller's own ---

def seller_balance(tenant: TenantRef) -> dict[str, Any]:
    with UnitOfWork() as uow:
        balances = seller_balances(uow.session, [tenant.id])[tenant.id]
    return {"seller": tenant.slug, "balances": [_balance_json(balance) for balance in balances]
            or [_balance_json(_zero_balance(tenant.currency))]}


def payout_schedule(tenant: TenantRef) -> dict[str, Any]:
    with UnitOfWork() as uow:
        return _schedule_json(payouts.schedule_of(uow, tenant.id))


def change_payout_schedule(actor_user_id: int, tenant: TenantRef, changes: dict[str, Any]) -> dict[str, Any]:
    schedule = payouts.Schedule(changes["frequency"], changes["weekday"], changes["minimum_amount"])
    with UnitOfWork() as uow:
        before = _schedule_json(payouts.schedule_of(uow, tenant.id))
        after = _schedule_json(payouts.set_schedule(uow, tenant.id, schedule))
        record(uow, actor_user_id=actor_user_id, action="payout_schedule.change", target_type="payout_schedule",
               target_id=tenant.id, tenant_id=tenant.id, before=before, after=after)
        uow.commit()
    return after


def statements(tenant: TenantRef, period: dict[str, Any]) -> dict[str, Any]:
    start, end = _period_bounds(period)
    with UnitOfWork() as uow:
        found = seller_statements(uow.session, tenant.id, start, end)
    return {"seller": tenant.slug, "period_start": start, "period_end": end,
            "statements": [_statement_json(statement) for statement in found]}


def statements_csv(tenant: TenantRef, period: dict[str, Any]) -> Iterator[str]:
    """The statements as CSV: an `opening` row per currency, the lines, then a `closing` row (balance, available)."""
    found = statements(tenant, period)
    yield _csv_row(STATEMENT_CSV_COLUMNS)
    for statement in found["statements"]:
        currency = statement["currency"]
        yield _csv_row((currency, found["period_start"].isoformat(), "opening", "", "",
                        statement["opening_balance"], statement["opening_available"], "opening balance"))
        for line in statement["lines"]:
            yield _csv_row((currency, line["occurred_at"].isoformat(), line["kind"], line["external_id"],
                            line["order_id"] or "", line["balance_change"], line["available_change"],
                            line["description"]))
        yield _csv_row((currency, found["period_end"].isoformat(), "closing", "", "",
                        statement["closing_balance"], statement["closing_available"], "closing balance"))


def seller_payouts(tenant: TenantRef, page_request: PageRequest) -> Page[dict[str, Any]]:
    """The seller's payouts, newest first."""
    with UnitOfWork() as uow:
        page = fetch_page(uow.session, select(PayoutRunResult).where(
            PayoutRunResult.tenant_id == tenant.id, PayoutRunResult.outcome == PayoutOutcome.PAID,
        ).order_by(PayoutRunResult.id.desc()), page_request)
        return page.map(lambda result: {
            "run_id": result.run_id, "currency": result.currency, "amount": result.available_amount,
            "gateway_payout_id": result.gateway_payout_id, "status": result.payout_status.value,
            "failure_code": result.failure_code, "created_at": result.created_at, "updated_at": result.updated_at})


# --- operators ---

def start_payout_run(actor_user_id: int) -> dict[str, Any]:
    run_id = payouts.start_run(PayoutRunTrigger.OPERATOR, utcnow().date(), started_by=actor_user_id)
    return get_payout_run(run_id)


def list_payout_runs(page_request: PageRequest) -> Page[dict[str, Any]]:
    with UnitOfWork() as uow:
        page = fetch_page(uow.session, select(PayoutRun).order_by(PayoutRun.id.desc()), page_request)
        slugs = _slugs(uow, {result.tenant_id for run in page.items for result in run.results})
        return page.map(lambda run: _run_json(run, slugs))


def get_payout_run(run_id: int) -> dict[str, Any]:
    with UnitOfWork() as uow:
        run = uow.session.get(PayoutRun, run_id)
        if run is None:
            raise PayoutRunNotFound(run_id)
        return _run_json(run, _slugs(uow, {result.tenant_id for result in run.results}))


def ledger_transactions(filters: dict[str, Any], page_request: PageRequest) -> Page[dict[str, Any]]:
    with UnitOfWork() as uow:
        statement = select(LedgerTransaction).order_by(LedgerTransaction.occurred_at.desc(),
                                                       LedgerTransaction.id.desc())
        if "kind" in filters:
            statement = statement.where(LedgerTransaction.kind == filters["kind"])
        if "seller" in filters:
            statement = statement.where(LedgerTransaction.tenant_id == _tenant_id_named(uow, filters["seller"]))
        if "order_id" in filters:
            statement = statement.where(LedgerTransaction.order_id == filters["order_id"])
        if "occurred_from" in filters:
            statement = statement.where(LedgerTransaction.occurred_at >= filters["occurred_from"])
        if "occurred_to" in filters:
            statement = statement.where(LedgerTransaction.occurred_at < filters["occurred_to"])
        page = fetch_page(uow.session, statement, page_request)
        tenant_ids = {transaction.tenant_id for transaction in page.items} | {
            posting.account.tenant_id for transaction in page.items for posting in transaction.postings}
        slugs = _slugs(uow, tenant_ids - {None})
        return page.map(lambda transaction: _transaction_json(transaction, slugs))


def all_seller_balances(page_request: PageRequest) -> Page[dict[str, Any]]:
    """Every seller with money in the ledger, in tenant id order, with its figures."""
    with UnitOfWork() as uow:
        sellers = (select(Tenant.id, Tenant.slug).where(Tenant.id.in_(
            select(LedgerAccount.tenant_id).where(LedgerAccount.tenant_id.is_not(None)))).order_by(Tenant.id))
        page = fetch_page(uow.session, sellers, page_request)
        balances = seller_balances(uow.session, [tenant_id for tenant_id, _ in page.items])
    return page.map(lambda seller: {"seller": seller.slug, "tenant_id": seller.id,
                                    "balances": [_balance_json(balance) for balance in balances[seller.id]]})


def revenue(query: dict[str, Any]) -> list[dict[str, Any]]:
    start = _start_of(query["from_"]) if "from_" in query else None
    end = _start_of(query["to"] + timedelta(days=1)) if "to" in query else None
    with UnitOfWork() as uow:
        rows = revenue_by_period(uow.session, query["period"], start, end)
    return [{**asdict(row), "net_revenue": row.net_revenue} for row in rows]


def reconciliation_reports(page_request: PageRequest) -> Page[dict[str, Any]]:
    with UnitOfWork() as uow:
        page = fetch_page(uow.session, select(ReconciliationReport).order_by(ReconciliationReport.id.desc()),
                          page_request)
        return page.map(lambda report: {column: getattr(report, column) for column in (
            "id", "period_start", "period_end", "matched_count", "difference_count", "differences", "created_at")})


# --- helpers ---

def _zero_balance(currency: str) -> SellerBalance:
    zero = Money.zero(currency)
    return SellerBalance(currency, zero, zero, zero, zero)


def _balance_json(balance: SellerBalance) -> dict[str, Any]:
    return {"currency": balance.currency, "available": balance.available.amount, "pending": balance.pending.amount,
            "receivable": balance.receivable.amount, "paid_out": balance.paid_out.amount}


def _statement_json(statement: Statement) -> dict[str, Any]:
    return {**asdict(statement), "lines": [{**asdict(line), "kind": line.kind.value} for line in statement.lines]}


def _schedule_json(schedule: payouts.Schedule) -> dict[str, Any]:
    effective = (current_app.config["PAYOUT_MINIMUM_AMOUNT"] if schedule.minimum_amount is None
                 else schedule.minimum_amount)
    return {"frequency": schedule.frequency, "weekday": schedule.weekday,
            "minimum_amount": schedule.minimum_amount, "effective_minimum_amount": effective}


def _run_json(run: PayoutRun, slugs: dict[int, str]) -> dict[str, Any]:
    return {"id": run.id, "trigger": run.trigger.value, "run_on": run.run_on, "status": run.status.value,
            "created_at": run.created_at, "finished_at": run.finished_at,
            "results": [{"seller": slugs[result.tenant_id], "currency": result.currency,
                         "available_amount": result.available_amount, "outcome": result.outcome.value,
                         "reason": result.reason, "gateway_payout_id": result.gateway_payout_id,
                         "payout_status": result.payout_status.value if result.payout_status else None,
                         "failure_code": result.failure_code} for result in run.results]}


def _transaction_json(transaction: LedgerTransaction, slugs: dict[int, str]) -> dict[str, Any]:
    return {"id": transaction.id, "kind": transaction.kind.value, "external_id": transaction.external_id,
            "description": transaction.description, "occurred_at": transaction.occurred_at,
            "order_id": transaction.order_id, "seller": slugs.get(transaction.tenant_id),
            "reverses_id": transaction.reverses_id, "gateway_source": transaction.gateway_source,
            "postings": [{"account": posting.account.kind.value, "seller": slugs.get(posting.account.tenant_id),
                          "currency": posting.currency, "amount": posting.amount}
                         for posting in transaction.postings]}


def _slugs(uow: UnitOfWork, tenant_ids: set[int]) -> dict[int, str]:
    if not tenant_ids:
        return {}
    return dict(uow.session.execute(select(Tenant.id, Tenant.slug).where(Tenant.id.in_(tenant_ids))).all())


def _tenant_id_named(uow: UnitOfWork, slug: str) -> int:
    tenant_id = uow.session.scalar(select(Tenant.id).where(Tenant.slug == slug))
    if tenant_id is None:
        raise ValidationFailed("The ledger filter is not valid.", errors={"seller": ["There is no such seller."]})
    return tenant_id


def _period_bounds(period: dict[str, Any]) -> tuple[datetime, datetime]:
    if "period" in period:
        first = first_day_of_month(period["period"])
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return _start_of(first), _start_of(following)
    return _start_of(period["from_"]), _start_of(period["to"] + timedelta(days=1))


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _csv_row(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow("'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value
                                for value in values)
    return buffer.getvalue()
