"""Schemas of the payout account endpoints."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

COUNTRY_CODE = validate.Regexp(r"^[A-Za-z]{2}$", error="Give an ISO 3166-1 alpha-2 country code, e.g. DE.")


class PayoutAccountInputSchema(Schema):
    country = fields.String(validate=COUNTRY_CODE, metadata={
        "description": "Where the seller's business is (ISO 3166-1 alpha-2); only used when the account is created. "
                       "Default: the seller's country.", "example": "DE"})


class PayoutAccountSchema(Schema):
    """The seller's connected account at the payment processor, as the processor last described it."""

    gateway_account_id = fields.String(required=True, metadata={"example": "acct_1Nv0FGQ9RKHgCVdK"})
    payouts_enabled = fields.Boolean(required=True, metadata={
        "description": "True once the processor says the seller can be paid: only then are its shares transferred "
                       "(until then they accrue)."})
    charges_enabled = fields.Boolean(required=True)
    details_submitted = fields.Boolean(required=True)
    requirements_due = fields.List(fields.String(), required=True, metadata={
        "description": "What the processor still asks of the seller on the onboarding page.",
        "example": ["external_account", "tos_acceptance.date"]})
    updated_at = fields.DateTime(required=True)


class PayoutAccountLinkSchema(Schema):
    """The payout account and a single-use link to the processor's onboarding pages."""

    account = fields.Nested(PayoutAccountSchema, required=True)
    onboarding_url = fields.String(required=True, metadata={
        "description": "Send the owner here; it comes back to the portal, which proves nothing: the account is "
                       "enabled only when the processor says so."})
    expires_at = fields.DateTime(required=True, metadata={"description": "When the link stops working."})


class OnboardedAccountSchema(Schema):
    """The test gateway's connected account after its onboarding page was completed."""

    id = fields.String(required=True, metadata={"example": "acct_1Nv0FGQ9RKHgCVdK"})
    payouts_enabled = fields.Boolean(required=True)
