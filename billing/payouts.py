"""Payout schedules and payout runs: sellers' available money sent from their connected accounts to their banks.

A run (started by the scheduler once a day, or by an operator) is a job on
the `settlement` queue. For every seller with money on its connected account
(the ledger's connected_balance, billing/balances.py), per currency, it
records one result:

- paid: the seller is due by its schedule, its payout account has payouts
  enabled, and its available balance reaches its minimum; the gateway pays it
  all out (key `po:{run}:{tenant}:{currency}`) and the ledger posts
  `postings.payout` under `payout:{gateway payout id}`, in the transaction
  that records the result;
- skipped, with the reason (not due, payouts not enabled, below the minimum,
  nothing available any more);
- failed: the gateway refused (its code and message).

Paying a seller holds that seller's registry row lock from reading its
available balance to committing the payout's posting, so two runs at once pay
it once: the second reads the balance the first left (nothing) and skips.
A run that dies after the gateway call and before its commit is retried with
the same key, and the gateway answers with the same payout.

`payout.paid` / `payout.failed` (re-read on the seller's connected account)
land on the result; a failed payout's ledger transaction is reversed, once,
which makes its money available again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from billing import ledger, postings
from billing.balances import sellers_with_available_money
from billing.gateway.port import GatewayError, PaymentGateway, Payout, PayoutStatus as GatewayPayoutStatus, WebhookEvent
from billing.ledger import connected_balance
from billing.ledger_models import TransactionKind
from billing.money import Money
from billing.payout_account_models import PayoutAccount
from billing.payout_models import (
    PayoutFrequency, PayoutOutcome, PayoutRun, PayoutRunResult, PayoutRunStatus, PayoutRunTrigger, PayoutSchedule,
    PayoutStatus,
)
from billing.webhooks import handles
from tenants.db import utcnow
from tenants.locks import lock_first, lock_row
from tenants.models import Tenant
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

EXECUTE_RUN_JOB = "billing.jobs.execute_payout_run"
SETTLEMENT_QUEUE = "settlement"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Schedule:
    """A seller's payout schedule; `minimum_amount` None means the PAYOUT_MINIMUM_AMOUNT setting."""

    frequency: PayoutFrequency
    weekday: int | None
    minimum_amount: int | None

    def not_due_reason(self, run: PayoutRun) -> str | None:
        """Why the seller is not paid in `run`, or None if it is due."""
        if self.frequency is PayoutFrequency.MANUAL and run.trigger is PayoutRunTrigger.SCHEDULED:
            return "not due: the seller is paid out when an operator starts a run"
        if self.frequency is PayoutFrequency.WEEKLY and run.run_on.weekday() != self.weekday:
            return f"not due: the seller is paid out on {WEEKDAYS[self.weekday]}s"
        return None


DEFAULT_SCHEDULE = Schedule(PayoutFrequency.DAILY, None, None)


def schedule_of(uow: UnitOfWork, tenant_id: int) -> Schedule:
    row = uow.session.get(PayoutSchedule, tenant_id)
    return DEFAULT_SCHEDULE if row is None else Schedule(row.frequency, row.weekday, row.minimum_amount)


def set_schedule(uow: UnitOfWork, tenant_id: int, schedule: Schedule) -> Schedule:
    """Store the seller's schedule (the caller commits); a weekday goes only with a weekly one."""
    if (schedule.weekday is not None) != (schedule.frequency is PayoutFrequency.WEEKLY):
        raise ValueError("A weekday goes with a weekly schedule, and only with one.")
    values = {"frequency": schedule.frequency, "weekday": schedule.weekday,
              "minimum_amount": schedule.minimum_amount}
    uow.session.execute(insert(PayoutSchedule).values(tenant_id=tenant_id, **values).on_conflict_do_update(
        index_elements=[PayoutSchedule.tenant_id], set_={**values, "updated_at": utcnow()}))
    return schedule


def start_run(trigger: PayoutRunTrigger, run_on: date, started_by: int | None = None) -> int | None:
    """Record a run and the message that executes it: its id; a second scheduled run of one day records nothing."""
    with UnitOfWork() as uow:
        statement = insert(PayoutRun).values(trigger=trigger, run_on=run_on, started_by=started_by,
                                             status=PayoutRunStatus.QUEUED)
        if trigger is PayoutRunTrigger.SCHEDULED:
            statement = statement.on_conflict_do_nothing(
                index_elements=[PayoutRun.run_on], index_where=PayoutRun.trigger == PayoutRunTrigger.SCHEDULED.value)
        run_id = uow.session.execute(statement.returning(PayoutRun.id)).scalar_one_or_none()
        if run_id is None:
            return None
        uow.add_message(EXECUTE_RUN_JOB, {"run_id": run_id}, queue=SETTLEMENT_QUEUE)
        uow.commit()
    return run_id


def execute_run(gateway: PaymentGateway, run_id: int, default_minimum: int) -> None:
    """Pay out every seller due in the run (see the module docstring); nothing more if it finished already."""
    with UnitOfWork() as uow:
        run = uow.session.get(PayoutRun, run_id)
        if run is None or run.status is PayoutRunStatus.FINISHED:
            return
        candidates = sellers_with_available_money(uow.session)
    for tenant_id, currency in candidates:
        _pay_seller(gateway, run_id, tenant_id, currency, default_minimum)
    with UnitOfWork() as uow:
        run = lock_row(uow.session, PayoutRun, run_id)
        run.status, run.finished_at = PayoutRunStatus.FINISHED, utcnow()
        uow.commit()
    log.info("payout run finished", extra={"run_id": run_id, "seller_currencies": len(candidates)})


def _pay_seller(gateway: PaymentGateway, run_id: int, tenant_id: int, currency: str, default_minimum: int) -> None:
    with UnitOfWork() as uow:
        # The seller's registry row: one payout of its money at a time, across runs.
        lock_row(uow.session, Tenant, tenant_id)
        run = uow.session.get(PayoutRun, run_id)
        already = uow.session.scalar(select(PayoutRunResult.id).where(
            PayoutRunResult.run_id == run_id, PayoutRunResult.tenant_id == tenant_id,
            PayoutRunResult.currency == currency))
        if already is not None:
            return  # this run looked at this seller before dying; its result stands
        available = ledger.balance(uow.session, connected_balance(tenant_id), currency)
        result = PayoutRunResult(run_id=run_id, tenant_id=tenant_id, currency=currency,
                                 available_amount=available.amount, outcome=PayoutOutcome.SKIPPED)
        result.reason = _skip_reason(uow, run, tenant_id, available, default_minimum)
        if result.reason is None:
            _pay_out(gateway, uow, run_id, tenant_id, available, result)
        uow.session.add(result)
        uow.commit()


def _skip_reason(uow: UnitOfWork, run: PayoutRun, tenant_id: int, available: Money, default_minimum: int) -> str | None:
    if available.amount <= 0:
        return "nothing available"
    schedule = schedule_of(uow, tenant_id)
    not_due = schedule.not_due_reason(run)
    if not_due is not None:
        return not_due
    account = uow.session.get(PayoutAccount, tenant_id)
    if account is None or not account.payouts_enabled:
        return "payouts not enabled on the seller's payout account"
    minimum = default_minimum if schedule.minimum_amount is None else schedule.minimum_amount
    if available.amount < minimum:
        return f"below the minimum of {minimum} minor units"
    return None


def _pay_out(gateway: PaymentGateway, uow: UnitOfWork, run_id: int, tenant_id: int, available: Money,
             result: PayoutRunResult) -> None:
    account_id = uow.session.get(PayoutAccount, tenant_id).gateway_account_id
    try:
        payout = gateway.create_payout(account_id=account_id, amount=available,
                                       idempotency_key=f"po:{run_id}:{tenant_id}:{available.currency}",
                                       metadata={"payout_run": str(run_id), "tenant_id": str(tenant_id)})
    except GatewayError as error:
        result.outcome, result.reason = PayoutOutcome.FAILED, f"{error.code}: {error}"[:500]
        return
    transaction = ledger.post(uow, TransactionKind.PAYOUT, f"payout:{payout.id}",
                              postings.payout(tenant_id, available), tenant_id=tenant_id,
                              description=f"payout {payout.id} (run {run_id})")
    result.outcome, result.gateway_payout_id = PayoutOutcome.PAID, payout.id
    result.payout_status, result.ledger_transaction_id = PayoutStatus.PENDING, transaction.id


@handles("payout.paid")
@handles("payout.failed")
def record_payout_outcome(payout: Payout, event: WebhookEvent) -> None:
    """The bank's answer for a payout a run made; a failed one's money is available again (reversed once).

    A payout may fail even after it was reported paid (the bank returns it days later), as at Stripe.
    """
    with UnitOfWork() as uow:
        result = lock_first(uow.session, select(PayoutRunResult).where(
            PayoutRunResult.gateway_payout_id == payout.id))
        if result is None or not _on_sellers_account(uow, result.tenant_id, payout.account_id):
            log.warning("payout event for no payout of ours", extra={"payout_id": payout.id, "event_id": event.id})
            return
        if result.payout_status is PayoutStatus.FAILED:
            return  # its money is back already: a replayed or late event changes nothing
        if payout.status is GatewayPayoutStatus.paid:
            if result.payout_status is PayoutStatus.PAID:
                return
            result.payout_status = PayoutStatus.PAID
        elif payout.status in (GatewayPayoutStatus.failed, GatewayPayoutStatus.canceled):
            ledger.reverse(uow, result.ledger_transaction_id, f"payout-failed:{payout.id}",
                           f"payout {payout.id} {payout.status.value}: {payout.failure_code or 'no code'}")
            result.payout_status, result.failure_code = PayoutStatus.FAILED, payout.failure_code
        else:
            return  # still on its way
        result.updated_at = utcnow()
        uow.commit()


def _on_sellers_account(uow: UnitOfWork, tenant_id: int, account_id: str) -> bool:
    """An event on one seller's connected account never touches another seller's payouts."""
    account = uow.session.get(PayoutAccount, tenant_id)
    return account is not None and account.gateway_account_id == account_id
