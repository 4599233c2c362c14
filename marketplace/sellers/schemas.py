"""Request and response bodies of the sellers API: applications, invites, members, tenants, settings."""
from __future__ import annotations

import re

from flask import current_app
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from marketplace.accounts.models import MemberRole
from marketplace.core.fields import MAX_EMAIL_LENGTH, EmailAddress, TrimmedString
from marketplace.core.openapi import ErrorSchema
from marketplace.core.partial_updates import AtLeastOneField
from marketplace.sellers.codes import COUNTRY_CODES, SUPPORTED_CURRENCIES
from marketplace.sellers.models import ApplicationStatus
from tenants.models import DomainStatus, Tenant, TenantStatus
from tenants.move_models import MoveStatus, MoveStep
from tenants.slugs import RESERVED_SLUGS, InvalidSlug, validate_slug

MAX_SHOP_NAME_LENGTH = 120
MAX_SHORT_TEXT_LENGTH = 2_000
MAX_POLICY_LENGTH = 20_000
MAX_REASON_LENGTH = 1_000
MAX_URL_LENGTH = 2_000
MAX_HOSTNAME_LENGTH = 253
# One DNS label: letters, digits and inner hyphens, at most 63 characters.
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class UpperCaseCode(TrimmedString):
    """A code such as a country or currency, taken in any case and kept upper-case."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).upper()


class HostName(TrimmedString):
    """A DNS host name such as shop.example.com: lower-cased, without a trailing dot."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        host = super()._deserialize(value, attr, data, **kwargs).lower().removesuffix(".")
        labels = host.split(".")
        if (len(host) > MAX_HOSTNAME_LENGTH or len(labels) < 2 or not all(map(_HOST_LABEL.match, labels))
                or not labels[-1].isalpha()):
            raise ValidationError("Must be a host name such as shop.example.com.")
        return host


def _wanted_slug(slug: str) -> None:
    # A reserved word is taken by the platform itself: the service answers it
    # like a taken slug (409 with a suggestion), not as malformed input.
    if slug in RESERVED_SLUGS:
        return
    try:
        validate_slug(slug)
    except InvalidSlug as error:
        raise ValidationError(f"The slug {error.reason}.") from error


def _web_url() -> fields.Url:
    return fields.Url(schemes={"http", "https"}, allow_none=True, validate=validate.Length(max=MAX_URL_LENGTH),
                      metadata={"description": "An http(s) URL, or null for none."})


def _reason(required: bool) -> TrimmedString:
    return TrimmedString(required=required, validate=validate.Length(min=1, max=MAX_REASON_LENGTH))


# Applications

class ApplicationCreateSchema(Schema):
    """An application to open a shop: its name, address (slug), contact, country and currency."""

    shop_name = TrimmedString(required=True, validate=validate.Length(min=1, max=MAX_SHOP_NAME_LENGTH))
    wanted_slug = fields.String(required=True, validate=_wanted_slug, metadata={
        "description": "The shop's address: 3 to 40 lowercase letters, digits and single hyphens. A reserved word "
                       "(e.g. `admin`) is answered like a taken slug.",
        # What tenants.slugs.validate_slug checks, as a JSON Schema (one regex without look-arounds).
        "minLength": 3, "maxLength": 40, "pattern": r"^[a-z0-9]+(?:-[a-z0-9]+)*$", "example": "acme-tools"})
    contact_email = EmailAddress(required=True, validate=validate.Length(max=MAX_EMAIL_LENGTH))
    country = UpperCaseCode(required=True, validate=validate.OneOf(sorted(COUNTRY_CODES)),
                            metadata={"description": "ISO 3166-1 alpha-2, e.g. PT."})
    currency = UpperCaseCode(required=True, validate=validate.OneOf(sorted(SUPPORTED_CURRENCIES)),
                             metadata={"description": "ISO 4217; every price of the shop is in it."})
    description = TrimmedString(load_default="", validate=validate.Length(max=MAX_SHORT_TEXT_LENGTH))


class ApplicationSchema(Schema):
    """An application to open a shop, and its decision."""

    id = fields.Integer(metadata={"description": "The application's id."})
    applicant_user_id = fields.Integer(metadata={"description": "Who applied."})
    applicant_email = fields.String()
    shop_name = fields.String()
    wanted_slug = fields.String(metadata={"description": "The shop's address, if approved."})
    contact_email = fields.String()
    country = fields.String()
    currency = fields.String()
    description = fields.String()
    status = fields.Enum(ApplicationStatus, by_value=True)
    rejection_reason = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    tenant_slug = fields.String(allow_none=True, metadata={"description": "The shop, once approved."})
    created_at = fields.DateTime()


class ApplicationFilterSchema(Schema):
    class Meta:
        # The pagination parameters share the query string.
        unknown = EXCLUDE

    status = fields.Enum(ApplicationStatus, by_value=True)


class RejectionSchema(Schema):
    """Why an application is rejected (sent to the applicant)."""

    reason = _reason(required=True)


class SlugTakenSchema(ErrorSchema):
    class Meta:
        description = "409 answer to a taken or reserved slug: `errors.suggested_slug` holds a free one."

    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), metadata={
        "example": {"wanted_slug": ["This slug is taken."], "suggested_slug": ["acme-tools-2"]}})


# Members and invites

class InviteCreateSchema(Schema):
    """An invitation to join the seller's team with a role."""

    email = EmailAddress(required=True, validate=validate.Length(max=MAX_EMAIL_LENGTH))
    role = fields.Enum(MemberRole, by_value=True, required=True)


class InviteSchema(Schema):
    """An invitation to join a seller's team."""

    id = fields.Integer(metadata={"description": "The invite's id."})
    email = fields.String()
    role = fields.Enum(MemberRole, by_value=True)
    status = fields.String(metadata={"description": "open, accepted, revoked or expired."})
    invited_by_user_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    expires_at = fields.DateTime()


class InviteAcceptanceSchema(Schema):
    """The token of an invitation, accepted by the signed-in user."""

    token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class MemberSchema(Schema):
    """A member of a seller's team and their role."""

    user_id = fields.Integer(metadata={"description": "The member's user id."})
    email = fields.String()
    full_name = fields.String()
    role = fields.Enum(MemberRole, by_value=True, metadata={"description": "owner, manager or staff."})
    member_since = fields.DateTime(metadata={"description": "When they joined the team."})


class RoleChangeSchema(Schema):
    """A member's new role."""

    role = fields.Enum(MemberRole, by_value=True, required=True)


# Tenant administration

class TenantFilterSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.Enum(TenantStatus, by_value=True)
    q = fields.String(validate=validate.Length(min=1, max=MAX_SHOP_NAME_LENGTH),
                      metadata={"description": "Only tenants whose slug or name contains this text (any case)."})


class TenantSchema(Schema):
    """A seller (tenant) of the platform, as operators see it."""

    id = fields.Integer()
    slug = fields.String()
    display_name = fields.String()
    status = fields.Enum(TenantStatus, by_value=True)
    currency = fields.String()
    country = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class TenantDetailSchema(TenantSchema):
    """A seller (tenant) with its team size and plan."""

    plan_code = fields.String(allow_none=True)
    custom_domain = fields.String(allow_none=True)
    member_count = fields.Integer()
    owner_emails = fields.List(fields.String())


class TransitionSchema(Schema):
    """Why an operator changes a seller's status (recorded and sent to the seller)."""

    reason = _reason(required=True)


class OptionalReasonSchema(Schema):
    """Why, optionally (recorded in the audit log)."""

    reason = _reason(required=False)


class ExportSchema(Schema):
    """An export of a closed seller's data."""

    id = fields.Integer()
    status = fields.String(metadata={"description": "pending until the job has written the files, then done."})
    path = fields.String(allow_none=True, metadata={"description": "The folder of the JSON and CSV files."})
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)



# Storefront settings

class StorefrontSettingsInputSchema(Schema):
    """What a seller may set; PUT replaces every field (omitted ones are cleared), PATCH only those given."""

    display_name = TrimmedString(required=True, validate=validate.Length(min=1, max=MAX_SHOP_NAME_LENGTH))
    description = TrimmedString(validate=validate.Length(max=MAX_SHORT_TEXT_LENGTH))
    logo_url = _web_url()
    banner_url = _web_url()
    shipping_policy = TrimmedString(validate=validate.Length(max=MAX_POLICY_LENGTH))
    returns_policy = TrimmedString(validate=validate.Length(max=MAX_POLICY_LENGTH))
    support_email = EmailAddress(allow_none=True, validate=validate.Length(max=MAX_EMAIL_LENGTH))
    custom_domain = HostName(allow_none=True, metadata={
        "description": "A host name for this storefront; null for none. It serves the storefront once its "
                       "owner has proved it (see GET /sellers/{slug}/domain)."})
    acceptance_hours = fields.Integer(allow_none=True, metadata={
        "description": "Hours you take to accept or reject a paid order before it is cancelled and refunded; "
                       "within the marketplace's bounds (by default 24 to 168); null for the marketplace's "
                       "default (48 by default). Orders already placed keep their due time."})

    @validates("acceptance_hours")
    def _acceptance_hours_within_bounds(self, value: int | None, **kwargs) -> None:
        # The bounds are the operator's settings, read when the request is.
        low, high = current_app.config["ORDER_ACCEPTANCE_MIN_HOURS"], current_app.config["ORDER_ACCEPTANCE_MAX_HOURS"]
        if value is not None and not low <= value <= high:
            raise ValidationError(f"Must be between {low} and {high}.")



class StorefrontSettingsPatchSchema(AtLeastOneField, StorefrontSettingsInputSchema):
    """PATCH: any of the fields, at least one."""


class StorefrontSettingsSchema(Schema):
    """How the seller's storefront presents itself to buyers."""

    display_name = fields.String()
    description = fields.String()
    logo_url = fields.String(allow_none=True)
    banner_url = fields.String(allow_none=True)
    shipping_policy = fields.String()
    returns_policy = fields.String()
    support_email = fields.String(allow_none=True)
    custom_domain = fields.String(allow_none=True)
    acceptance_hours = fields.Integer(allow_none=True, metadata={
        "description": "Hours to accept an order; null: the marketplace's default."})


# Custom domains

class DnsProofSchema(Schema):
    type = fields.String(metadata={"description": "Always TXT.", "example": "TXT"})
    name = fields.String(metadata={"example": "_marketplace-challenge.shop.acme.example"})
    value = fields.String(metadata={"description": "The record's text: the verification token."})


class HttpProofSchema(Schema):
    url = fields.String(metadata={"description": "Serve the token at this URL (plain http, port 80; redirects "
                                                 "to the same host are followed)."})
    body = fields.String(metadata={"description": "What the URL must answer with: the verification token."})


class ProofInstructionsSchema(Schema):
    """Either proof will do."""

    dns = fields.Nested(DnsProofSchema)
    http = fields.Nested(HttpProofSchema)


class CustomDomainSchema(Schema):
    """A custom domain serves the storefront only once verified."""

    hostname = fields.String()
    status = fields.Enum(DomainStatus, by_value=True, metadata={
        "description": "pending: waiting for the proof; verified: serves the storefront; expired: not proved "
                       "in time (request a check to start again)."})
    verification_token = fields.String(metadata={"description": "What to publish; not a secret."})
    proof_instructions = fields.Nested(ProofInstructionsSchema)
    verification_expires_at = fields.DateTime(metadata={"description": "A pending domain expires then."})
    verified_at = fields.DateTime(allow_none=True)
    last_checked_at = fields.DateTime(allow_none=True)
    last_check_result = fields.String(allow_none=True, metadata={"description": "What the last check found."})


MAX_SHARD_KEY_LENGTH = Tenant.__table__.c.shard_key.type.length


class TenantMoveRequestSchema(Schema):
    """Where to move a seller's data: one of the configured database servers (shards)."""

    to = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SHARD_KEY_LENGTH), metadata={
        "description": "The shard key of a configured server (`default`, or a name in SHARD_URLS), "
                       "other than the seller's own.", "example": "second"})


class TenantMoveSchema(Schema):
    """A move of a seller's data to another database server, and how far it got.

    Steps, in order: requested, capture_installed, copied, caught_up, frozen (the
    seller's writes answer 503 `tenant_moving` from here), delta_applied, drained,
    verified, flipped (the seller works on the new server again), source_dropped.
    """

    id = fields.Integer()
    from_shard = fields.String(attribute="source_shard", data_key="from")
    to_shard = fields.String(attribute="target_shard", data_key="to")
    status = fields.Enum(MoveStatus, by_value=True, metadata={
        "description": "running (also while waiting to be resumed after a failure, see `error`), done, or "
                       "rolled_back (the copy did not match: the seller stayed where it was, nothing lost)."})
    step = fields.Enum(MoveStep, by_value=True, metadata={"description": "The last step completed."})
    changes_copied = fields.Integer(attribute="changes_applied", metadata={
        "description": "Rows changed by the seller during the copy and copied after it."})
    attempts = fields.Integer(metadata={"description": "Runs so far (a failed or interrupted run is resumed)."})
    frozen_at = fields.DateTime(allow_none=True)
    flipped_at = fields.DateTime(allow_none=True)
    freeze_seconds = fields.Float(allow_none=True, metadata={
        "description": "How long the seller's writes were refused, from the freeze to the flip."})
    finished_at = fields.DateTime(allow_none=True)
    error = fields.String(allow_none=True, metadata={"description": "The last failure, if any."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
