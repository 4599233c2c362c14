"""Request and response bodies of the money views: balances, payout schedules and runs, statements, ledger."""
from __future__ import annotations

import re
from datetime import date, timezone

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from billing.ledger_models import TransactionKind
from billing.payout_models import PayoutFrequency
from billing.revenue import PERIODS
from marketplace.catalog.schemas import MAX_AMOUNT
from marketplace.core.openapi import MAX_ID
from marketplace.core.pagination import StrictQuerySchema

MINOR_UNITS = "Minor units of `currency`."
MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# A statement or a revenue query covers at most this many days: a longer one is many statements.
MAX_PERIOD_DAYS = 366
MAX_SLUG_LENGTH = 40


def _minor_units(description: str = MINOR_UNITS) -> fields.Integer:
    return fields.Integer(metadata={"description": description})


class SellerBalanceSchema(Schema):
    """A seller's money in one currency (billing/postings.py defines each figure)."""

    currency = fields.String(metadata={"description": "ISO 4217 code."})
    available = _minor_units("On the seller's connected account, not paid out yet: what the next payout pays.")
    pending = _minor_units("Earned and not transferred yet (orders in their hold period, or waiting for a payout "
                           "account); below zero, what the seller owes back from transfers made.")
    receivable = _minor_units("What the seller owes the platform (refunds or disputes that could not be taken "
                              "back from a transfer), netted from later earnings.")
    paid_out = _minor_units("Paid out to the seller's bank so far (failed payouts excluded).")


class BalanceSchema(Schema):
    seller = fields.String(metadata={"description": "The seller's slug."})
    balances = fields.List(fields.Nested(SellerBalanceSchema), metadata={
        "description": "One entry per currency the seller has money in; the seller's currency at zero if none."})


class PayoutScheduleSchema(Schema):
    """When the seller is paid out, and the least worth paying out."""

    frequency = fields.Enum(PayoutFrequency, by_value=True, required=True, metadata={
        "description": "`daily` (every scheduled run), `weekly` (the run of `weekday`), or `manual` (only runs "
                       "an operator starts)."})
    weekday = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=0, max=6),
                             metadata={"description": "0 (Monday) to 6 (Sunday): required with `weekly`, null "
                                                      "otherwise."})
    minimum_amount = fields.Integer(strict=True, allow_none=True, load_default=None,
                                    validate=validate.Range(min=0, max=MAX_AMOUNT), metadata={
        "description": "Minor units: a smaller available balance waits for a later run. Null: the platform's "
                       "default (`effective_minimum_amount`)."})
    effective_minimum_amount = fields.Integer(dump_only=True, metadata={
        "description": "The minimum that applies: `minimum_amount`, or the platform's default."})

    @validates_schema
    def _weekday_goes_with_weekly(self, data, **kwargs):
        weekly = data.get("frequency") is PayoutFrequency.WEEKLY
        if weekly and data.get("weekday") is None:
            raise ValidationError("A weekly schedule needs its weekday.", "weekday")
        if not weekly and data.get("weekday") is not None:
            raise ValidationError("Only a weekly schedule has a weekday.", "weekday")


class PeriodQuerySchema(Schema):
    """A period: a month (`period=2026-11`) or days (`from`, `to`, both included)."""

    period = fields.String(metadata={"description": "A calendar month, `YYYY-MM` (UTC)."})
    from_ = fields.Date(data_key="from", metadata={"description": "First day included (UTC), with `to`."})
    to = fields.Date(metadata={"description": "Last day included (UTC), with `from`."})

    @validates_schema
    def _one_period(self, data, **kwargs):
        if "period" in data:
            if "from_" in data or "to" in data:
                raise ValidationError("Give a month or days, not both.", "period")
            if not MONTH_PATTERN.match(data["period"]):
                raise ValidationError("A month is written YYYY-MM.", "period")
            return
        if "from_" not in data or "to" not in data:
            raise ValidationError("Give `period=YYYY-MM`, or both `from` and `to`.", "period")
        if data["to"] < data["from_"]:
            raise ValidationError("Must not be before `from`.", "to")
        if (data["to"] - data["from_"]).days >= MAX_PERIOD_DAYS:
            raise ValidationError(f"A period covers at most {MAX_PERIOD_DAYS} days.", "to")


class StatementLineSchema(Schema):
    transaction_id = fields.Integer(metadata={"description": "The ledger transaction."})
    occurred_at = fields.DateTime()
    kind = fields.String(metadata={"description": "The ledger transaction's kind: `settlement` (an order's "
                                                  "earnings net of commission and processing fee share), `refund`, "
                                                  "`transfer`, `reversal`, `payout`, `invoice` (a plan fee), "
                                                  "`dispute`, `correction` (e.g. a failed payout given back), ..."})
    external_id = fields.String()
    description = fields.String()
    order_id = fields.Integer(allow_none=True, metadata={"description": "The marketplace order, if any."})
    balance_change = _minor_units("What it changed of the balance (payable − receivable).")
    available_change = _minor_units("What it changed of the available money (connected account).")


class StatementSchema(Schema):
    currency = fields.String()
    opening_balance = _minor_units("What the platform owed the seller (net of its debts) when the period began.")
    closing_balance = _minor_units("... when it ended: opening_balance + Σ balance_change.")
    opening_available = _minor_units("On the connected account when the period began.")
    closing_available = _minor_units("... when it ended: opening_available + Σ available_change.")
    lines = fields.List(fields.Nested(StatementLineSchema))


class StatementsSchema(Schema):
    seller = fields.String()
    period_start = fields.DateTime(metadata={"description": "Included."})
    period_end = fields.DateTime(metadata={"description": "Excluded."})
    statements = fields.List(fields.Nested(StatementSchema), metadata={"description": "One per currency."})


class PayoutRunResultSchema(Schema):
    seller = fields.String(metadata={"description": "The seller's slug."})
    currency = fields.String()
    available_amount = _minor_units("The seller's available balance when the run looked at it.")
    outcome = fields.String(metadata={"description": "`paid`, `skipped` or `failed`."})
    reason = fields.String(allow_none=True, metadata={"description": "Why it was skipped or failed."})
    gateway_payout_id = fields.String(allow_none=True)
    payout_status = fields.String(allow_none=True, metadata={
        "description": "A paid result's payout: `pending`, then `paid` or `failed` as the bank answers."})
    failure_code = fields.String(allow_none=True)


class SellerPayoutSchema(Schema):
    """A payout of the seller's money to its bank, as a payout run made it."""

    run_id = fields.Integer(metadata={"description": "The payout run that made it."})
    currency = fields.String()
    amount = _minor_units("Paid out: the seller's whole available balance when the run looked at it.")
    gateway_payout_id = fields.String(metadata={"description": "The processor's payout (`po_…`)."})
    status = fields.String(metadata={"description": "`pending`, then `paid` or `failed` (its money available "
                                                    "again) as the bank answers."})
    failure_code = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PayoutRunSchema(Schema):
    id = fields.Integer()
    trigger = fields.String(metadata={"description": "`scheduled` or `operator`."})
    run_on = fields.Date(metadata={"description": "The day whose schedules the run applies."})
    status = fields.String(metadata={"description": "`queued` (being paid out) or `finished`."})
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    results = fields.List(fields.Nested(PayoutRunResultSchema), metadata={
        "description": "One per seller and currency with money available when the run looked."})


class PostingSchema(Schema):
    account = fields.String(metadata={"description": "The account's kind."})
    seller = fields.String(allow_none=True, metadata={"description": "A per-seller account's seller (slug)."})
    currency = fields.String()
    amount = fields.Integer(metadata={"description": "Minor units, signed: a debit positive, a credit negative."})


class LedgerTransactionSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    external_id = fields.String()
    description = fields.String()
    occurred_at = fields.DateTime()
    order_id = fields.Integer(allow_none=True)
    seller = fields.String(allow_none=True, metadata={"description": "The seller it concerns (slug), if any."})
    reverses_id = fields.Integer(allow_none=True, metadata={"description": "A correction's reversed transaction."})
    gateway_source = fields.String(allow_none=True, metadata={"description": "The processor's object, if any."})
    postings = fields.List(fields.Nested(PostingSchema))


class LedgerQuerySchema(StrictQuerySchema):
    kind = fields.Enum(TransactionKind, by_value=True, metadata={"description": "Only transactions of this kind."})
    seller = fields.String(validate=validate.Length(min=1, max=MAX_SLUG_LENGTH),
                           metadata={"description": "Only transactions concerning this seller (slug)."})
    order_id = fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID),
                              metadata={"description": "Only transactions of this marketplace order."})
    occurred_from = fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "Only transactions that occurred at or after this time (ISO 8601; UTC if no offset)."})
    occurred_to = fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "Only transactions that occurred before this time (ISO 8601; UTC if no offset)."})

    @validates_schema
    def _not_reversed(self, data, **kwargs):
        if "occurred_from" in data and "occurred_to" in data and data["occurred_to"] < data["occurred_from"]:
            raise ValidationError("Must not be before occurred_from.", "occurred_to")


class SellerBalancesSchema(Schema):
    seller = fields.String()
    tenant_id = fields.Integer()
    balances = fields.List(fields.Nested(SellerBalanceSchema))


class RevenueQuerySchema(Schema):
    period = fields.String(load_default="month", validate=validate.OneOf(PERIODS), metadata={
        "description": "The unit of each row: `day`, `week`, `month` (the default) or `year` (UTC)."})
    from_ = fields.Date(data_key="from", metadata={"description": "First day included (UTC)."})
    to = fields.Date(metadata={"description": "Last day included (UTC)."})

    @validates_schema
    def _not_reversed(self, data, **kwargs):
        if "from_" in data and "to" in data and data["to"] < data["from_"]:
            raise ValidationError("Must not be before `from`.", "to")


class RevenueSchema(Schema):
    period_start = fields.DateTime()
    currency = fields.String()
    commission = _minor_units("Commission taken, less commission given back on refunds.")
    plan_fees = _minor_units("Sellers' plan fees.")
    processing_fees_net = _minor_units("The processor's fees, less the shares sellers bear.")
    net_revenue = _minor_units("commission + plan_fees − processing_fees_net.")


class ReconciliationDifferenceSchema(Schema):
    kind = fields.String(metadata={"description": "`missing_in_ledger`, `missing_at_gateway` or `amount_mismatch`."})
    source = fields.String(metadata={"description": "The processor's object (or the ledger transaction's external "
                                                    "id when it names none)."})
    currency = fields.String()
    ledger_amount = _minor_units("Net movement of the platform's processor balance in the ledger.")
    gateway_amount = _minor_units("Net movement in the processor's balance transactions.")


class ReconciliationReportSchema(Schema):
    id = fields.Integer()
    period_start = fields.DateTime(metadata={"description": "Included."})
    period_end = fields.DateTime(metadata={"description": "Excluded."})
    matched_count = fields.Integer(metadata={"description": "Gateway objects on which both sides agree."})
    difference_count = fields.Integer()
    differences = fields.List(fields.Nested(ReconciliationDifferenceSchema))
    created_at = fields.DateTime()


def first_day_of_month(period: str) -> date:
    year, month = MONTH_PATTERN.match(period).groups()
    return date(int(year), int(month), 1)
