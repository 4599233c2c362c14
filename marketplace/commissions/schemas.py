"""Request and response bodies of the commission rules API."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from billing.commission import MAX_BASIS_POINTS
from billing.money import CURRENCY_EXPONENTS
from marketplace.catalog.schemas import CURRENCY_RULE, MAX_AMOUNT
from marketplace.core.openapi import MAX_ID
from marketplace.core.partial_updates import AtLeastOneField

MAX_SLUG_LENGTH = 40
KNOWN_CURRENCY = validate.OneOf(sorted(CURRENCY_EXPONENTS), error="Not an ISO 4217 currency code in use.")


def _basis_points(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_BASIS_POINTS), metadata={
        "description": "Hundredths of a percent of the line's total: 1250 is 12.5%. The exact value is rounded "
                       "to the minor unit, an exact half away from zero."}, **kwargs)


def _fixed_fee_amount(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_AMOUNT), metadata={
        "description": "Added to the percentage, in minor units of `currency`; 0 for none."}, **kwargs)


def _currency(**kwargs) -> fields.String:
    return fields.String(allow_none=True, validate=[CURRENCY_RULE, KNOWN_CURRENCY], metadata={
        "description": "ISO 4217 code of the fixed fee; required with a fee, null without one. A rule with a fee "
                       "applies only to lines in this currency; one without applies to any."}, **kwargs)


class CommissionRuleInputSchema(Schema):
    """A new rule: its scope (seller, category, both, or neither for the default) and its terms."""

    seller = fields.String(allow_none=True, load_default=None, validate=validate.Length(min=1, max=MAX_SLUG_LENGTH),
                           metadata={"description": "The seller's slug; null for a rule of every seller."})
    category_id = fields.Integer(strict=True, allow_none=True, load_default=None,
                                 validate=validate.Range(min=1, max=MAX_ID),
                                 metadata={"description": "The category (and every category below it); null for "
                                                          "a rule of every category."})
    basis_points = _basis_points(required=True)
    fixed_fee_amount = _fixed_fee_amount(load_default=0)
    currency = _currency(load_default=None)

    @validates_schema
    def _fee_has_currency(self, data, **kwargs):
        fee_currency_error(data.get("fixed_fee_amount", 0), data.get("currency"))


class CommissionRuleChangeSchema(AtLeastOneField, Schema):
    """New terms for a rule: any subset of them (its scope is what it is; a new scope is a new rule)."""

    basis_points = _basis_points()
    fixed_fee_amount = _fixed_fee_amount()
    currency = _currency()


def fee_currency_error(fixed_fee_amount: int, currency: str | None) -> None:
    """A ValidationError unless a fee comes with its currency and no fee comes without one."""
    if fixed_fee_amount and currency is None:
        raise ValidationError("A fixed fee needs its currency.", "currency")
    if not fixed_fee_amount and currency is not None:
        raise ValidationError("A currency goes only with a fixed fee.", "currency")


class CommissionRuleFilterSchema(Schema):
    class Meta:
        # The pagination parameters share the query string.
        unknown = EXCLUDE

    seller = fields.String(validate=validate.Length(min=1, max=MAX_SLUG_LENGTH),
                           metadata={"description": "Only the rules of this seller (its slug)."})
    category_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID),
                                 metadata={"description": "Only the rules of this category."})


class CommissionRuleSchema(Schema):
    """A commission rule: its scope and its terms."""

    id = fields.Integer()
    seller = fields.String(allow_none=True, metadata={"description": "The seller's slug; null for every seller."})
    category_id = fields.Integer(allow_none=True, metadata={"description": "null for every category."})
    basis_points = fields.Integer(metadata={"description": "Hundredths of a percent of the line's total."})
    fixed_fee_amount = fields.Integer(metadata={"description": "Minor units of `currency`; 0 for none."})
    currency = fields.String(allow_none=True, metadata={"description": "The fixed fee's currency; null without one."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CommissionResolutionArgsSchema(Schema):
    seller = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SLUG_LENGTH),
                           metadata={"description": "The seller's slug."})
    category_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID),
                                 metadata={"description": "The line's category; absent for a product without one."})
    line_total_amount = fields.Integer(validate=validate.Range(min=0, max=MAX_AMOUNT), metadata={
        "description": "A line total in minor units of the seller's currency, to compute its commission."})


class PlanOverrideSchema(Schema):
    """A SaaS plan's commission override."""

    plan_id = fields.Integer()
    plan_name = fields.String()
    basis_points = fields.Integer(metadata={"description": "Hundredths of a percent of the line's total."})


class CommissionResolutionSchema(Schema):
    """The rule that applies to a line of this seller in this category, and what it takes."""

    seller = fields.String()
    category_id = fields.Integer(allow_none=True)
    currency = fields.String(metadata={"description": "The seller's currency, the currency of its lines."})
    category_path = fields.List(fields.Integer(), metadata={
        "description": "The category and those above it, nearest first: the order in which rules on them count."})
    rule = fields.Nested(CommissionRuleSchema, allow_none=True,
                         metadata={"description": "The most specific rule; null when none applies (no commission) "
                                                  "or when the seller's plan's override applies."})
    plan_override = fields.Nested(PlanOverrideSchema, allow_none=True, metadata={
        "description": "The seller's plan's commission override when it applies: it replaces the default rule "
                       "(no seller, no category); rules naming the seller or the line's category win over it."})
    commission_amount = fields.Integer(allow_none=True, metadata={
        "description": "The commission on `line_total_amount`, in minor units; null when no total was given."})
