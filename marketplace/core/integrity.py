"""The one translation of the database's integrity failures into 409 answers.

Services check uniqueness before they write where a check reads well, but two
requests can pass the same check at once (two acceptances of one invite, two
applications for one slug, two variants with one SKU): the database's
constraints decide, and the loser's flush or commit raises IntegrityError.
Whichever constraint it was, the client gets a 409 in the one error shape;
the table below names, once, the code, field and message of each constraint
a client can run into. Any other constraint is a plain "conflict".
"""
from __future__ import annotations

import logging
from typing import NamedTuple

from flask import Flask, jsonify
from sqlalchemy.exc import IntegrityError

from marketplace.core.errors import error_body

log = logging.getLogger(__name__)


class ConstraintConflict(NamedTuple):
    code: str
    field: str | None
    message: str


CONFLICTS_BY_CONSTRAINT = {
    "uq_users_email_lower": ConstraintConflict(
        "email_taken", "email", "An account with this email already exists."),
    "uq_memberships_user_id_tenant_id": ConstraintConflict(
        "already_member", None, "This person is already a member of the seller."),
    "uq_seller_applications_pending_slug": ConstraintConflict(
        "slug_taken", "wanted_slug", "Another pending application wants this slug."),
    "uq_tenants_slug": ConstraintConflict(
        "slug_taken", "slug", "Another seller has this slug."),
    "uq_tenant_domains_verified_hostname": ConstraintConflict(
        "domain_taken", "custom_domain", "This domain already serves another storefront."),
    "uq_categories_slug": ConstraintConflict(
        "slug_taken", "slug", "Another category has this slug."),
    "uq_products_slug": ConstraintConflict(
        "slug_taken", "slug", "Another product of this seller has this slug."),
    "uq_variants_sku": ConstraintConflict(
        "sku_taken", "sku", "Another variant of this seller has this SKU."),
    "uq_reviews_order_line_id": ConstraintConflict(
        "already_reviewed", "order_line_id", "This order line has been reviewed already."),
    "uq_tenant_moves_running_tenant_id": ConstraintConflict(
        "move_running", None, "A move of this seller is not finished yet."),
    "uq_plans_name": ConstraintConflict("plan_name_taken", "name", "Another plan has this name."),
    "uq_commission_rules_tenant_id_category_id": ConstraintConflict(
        "commission_rule_exists", None, "This seller and category have a commission rule already; change it."),
    "uq_addresses_default_user_id": ConstraintConflict(
        "conflict", None, "Another default address was set at the same time; reload and try again."),
    "uq_tracking_events_external_id": ConstraintConflict(
        "duplicate_event", "id", "This tracking event was received before; nothing changed."),
}


UNNAMED_CONFLICT_MESSAGE = "The request conflicts with a change made at the same time; reload and try again."


def violated_constraint(error: IntegrityError) -> str | None:
    """The name of the constraint the database reported, if it reported one."""
    return getattr(getattr(error.orig, "diag", None), "constraint_name", None)


def register_integrity_handler(app: Flask) -> None:
    def integrity_error(error: IntegrityError):
        constraint = violated_constraint(error)
        known = CONFLICTS_BY_CONSTRAINT.get(constraint or "")
        if known is None:
            # A foreign key, a check, or a unique rule missing from the table: still the client's 409, but look.
            log.warning("a write broke constraint %s: %s", constraint, error.orig)
            return jsonify(error_body(409, UNNAMED_CONFLICT_MESSAGE)), 409
        errors = {known.field: [known.message]} if known.field else None
        return jsonify(error_body(409, known.message, errors, known.code)), 409

    app.register_error_handler(IntegrityError, integrity_error)
