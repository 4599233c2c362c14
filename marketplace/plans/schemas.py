"""Request and response bodies of the plans API."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from billing.commission import MAX_BASIS_POINTS
from billing.plan_models import PLAN_NAME_MAX_LENGTH
from marketplace.catalog.schemas import CURRENCY_RULE, MAX_AMOUNT
from marketplace.commissions.schemas import KNOWN_CURRENCY
from marketplace.core.openapi import MAX_ID
from marketplace.core.partial_updates import AtLeastOneField

# Far above any shop's catalog; the column is an integer.
MAX_PRODUCT_LIMIT = 10_000_000


def _name(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=PLAN_NAME_MAX_LENGTH),
                         metadata={"description": "Unique among plans."}, **kwargs)


def _monthly_fee_amount(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_AMOUNT), metadata={
        "description": "Charged each calendar month (UTC), in minor units of `currency`; 0 for a free plan."},
        **kwargs)


def _currency(**kwargs) -> fields.String:
    return fields.String(allow_none=True, validate=[CURRENCY_RULE, KNOWN_CURRENCY], metadata={
        "description": "ISO 4217 code of the fee; required with a fee, null without one. A plan with a fee is "
                       "only for sellers selling in its currency."}, **kwargs)


def _commission_basis_points(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=MAX_BASIS_POINTS),
                          metadata={"description": "The commission of the plan's sellers in hundredths of a percent "
                                                   "(1250 is 12.5%), in place of the marketplace's default rule; "
                                                   "rules for a category or for the seller by name still win. "
                                                   "Null: no override."}, **kwargs)


def _product_limit(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=MAX_PRODUCT_LIMIT),
                          metadata={"description": "How many products a seller may have, archived ones aside; "
                                                   "null for no limit."}, **kwargs)


def _fee_has_currency(data: dict) -> None:
    if "monthly_fee_amount" not in data and "currency" not in data:
        return
    if data.get("monthly_fee_amount") and data.get("currency") is None:
        raise ValidationError("A monthly fee needs its currency.", "currency")
    if not data.get("monthly_fee_amount") and data.get("currency") is not None:
        raise ValidationError("A currency goes only with a monthly fee.", "currency")


class PlanInputSchema(Schema):
    """A new plan."""

    name = _name(required=True)
    monthly_fee_amount = _monthly_fee_amount(load_default=0)
    currency = _currency(load_default=None)
    commission_basis_points = _commission_basis_points(load_default=None)
    product_limit = _product_limit(load_default=None)

    @validates_schema
    def _fee_currency(self, data, **kwargs):
        _fee_has_currency(data)


class PlanChangeSchema(AtLeastOneField, Schema):
    """New terms for a plan: any subset of them. A fee and its currency are checked together, with the plan's
    current values for the one not given."""

    name = _name()
    monthly_fee_amount = _monthly_fee_amount()
    currency = _currency()
    commission_basis_points = _commission_basis_points()
    product_limit = _product_limit()


class PlanSchema(Schema):
    """A SaaS plan."""

    id = fields.Integer()
    name = fields.String()
    monthly_fee_amount = fields.Integer(metadata={"description": "Minor units of `currency`; 0 for a free plan."})
    currency = fields.String(allow_none=True, metadata={"description": "The fee's currency; null without a fee."})
    commission_basis_points = fields.Integer(allow_none=True, metadata={
        "description": "The commission override in hundredths of a percent; null for none."})
    product_limit = fields.Integer(allow_none=True, metadata={
        "description": "Products (archived ones aside) a seller may have; null for no limit."})
    is_default = fields.Boolean(metadata={"description": "The plan of every seller not moved to another one."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class TenantPlanChangeSchema(Schema):
    plan_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID),
                             metadata={"description": "The plan the seller moves to from the next period."})


class TenantPlanSchema(Schema):
    """A seller's plan for the current period, and the plan it moves to at the start of a later one."""

    seller = fields.String(metadata={"description": "The seller's slug."})
    period_start = fields.Date(metadata={"description": "The first day (UTC) of the current monthly period."})
    plan = fields.Nested(PlanSchema, metadata={"description": "The plan of the current period."})
    next_plan = fields.Nested(PlanSchema, allow_none=True,
                              metadata={"description": "The plan from `next_plan_from` on; null when no change "
                                                       "is pending."})
    next_plan_from = fields.Date(allow_none=True, metadata={
        "description": "The first day (UTC) of the first period on `next_plan`."})


class InvoiceSchema(Schema):
    """A seller's plan fee for one month, as charged against its balance."""

    id = fields.Integer()
    period = fields.String(metadata={"description": "The month charged for, `YYYY-MM` (UTC)."})
    period_start = fields.Date()
    plan_id = fields.Integer()
    plan_name = fields.String(metadata={"description": "The plan's name when charged."})
    fee_amount = fields.Integer(metadata={"description": "Minor units of `currency`."})
    currency = fields.String()
    owed_amount = fields.Integer(metadata={
        "description": "The part of the fee the seller's pending balance did not cover, recorded as owed "
                       "(a receivable netted from later earnings); 0 when the balance covered it all."})
    created_at = fields.DateTime()
