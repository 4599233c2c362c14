"""The sellers API: applications, members and invites, tenant administration, storefront settings."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask.views import MethodView

from marketplace.accounts.models import MemberRole
from marketplace.core import openapi_examples as examples, rate_limits
from marketplace.accounts.permissions import (
    current_principal, current_tenant, login_required, member_required, operator_required, verified_email_required,
)
from marketplace.accounts.schemas import MembershipSchema
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint
from marketplace.sellers import administration, applications, members, moves
from marketplace.sellers.lifecycle import TenantAction
from marketplace.sellers.schemas import (
    ApplicationCreateSchema, ApplicationFilterSchema, ApplicationSchema, CustomDomainSchema, ExportSchema,
    InviteAcceptanceSchema, InviteCreateSchema, InviteSchema, MemberSchema, OptionalReasonSchema,
    RejectionSchema, RoleChangeSchema, SlugTakenSchema, StorefrontSettingsInputSchema, StorefrontSettingsPatchSchema,
    StorefrontSettingsSchema, TenantDetailSchema, TenantFilterSchema, TenantMoveRequestSchema, TenantMoveSchema,
    TenantSchema, TransitionSchema,
)
from marketplace.storefront import domains, settings as storefront_settings

blp = Blueprint("sellers", __name__, description="Seller applications, members, tenant administration, settings")


# Applications

@blp.route("/seller-applications")
class SellerApplications(MethodView):
    @verified_email_required
    @blp.arguments(ApplicationCreateSchema, example=examples.APPLICATION_REQUEST)
    @blp.response(201, ApplicationSchema, example=examples.APPLICATION)
    @blp.alt_response(409, schema=SlugTakenSchema, description="The slug is taken or reserved; "
                                                                 "errors.suggested_slug holds a free one.")
    def post(self, application):
        """Apply to open a shop

        The applicant's email address must be verified (else 403
        `email_not_verified`). An operator approves or rejects the application; the applicant is
        notified either way. The wanted slug must be free: a taken or reserved
        one is a 409 whose `errors.suggested_slug` names a free alternative.
        """
        return applications.apply_for_shop(current_principal().user_id, **application)

    @login_required
    @blp.response(200, ApplicationSchema(many=True))
    @paginated(blp)
    def get(self, page_request):
        """My seller applications, newest first"""
        return applications.list_my_applications(current_principal().user_id, page_request)


@blp.route("/operator/applications")
class OperatorApplications(MethodView):
    @operator_required
    @blp.arguments(ApplicationFilterSchema, location="query")
    @blp.response(200, ApplicationSchema(many=True))
    @paginated(blp)
    def get(self, filters, page_request):
        """Seller applications, oldest first (operators only)"""
        return applications.list_applications(page_request, status=filters.get("status"))


@blp.route("/operator/applications/<id:application_id>/approve")
class ApplicationApproval(MethodView):
    @operator_required
    @blp.response(200, ApplicationSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, application_id):
        """Approve an application: the shop opens

        Registers the tenant and makes the applicant its owner in one
        transaction, then builds its schema on the shard with the fewest
        tenants (`flask tenants move` takes it elsewhere later). Deciding twice is a 409.
        """
        return applications.approve_application(application_id, current_principal().user_id)


@blp.route("/operator/applications/<id:application_id>/reject")
class ApplicationRejection(MethodView):
    @operator_required
    @blp.arguments(RejectionSchema)
    @blp.response(200, ApplicationSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, rejection, application_id):
        """Reject an application with a reason the applicant is told"""
        return applications.reject_application(application_id, current_principal().user_id, rejection["reason"])


# Members and invites

@blp.route("/sellers/<slug>/members")
class SellerMembers(MethodView):
    @member_required(allow_operators=True)
    @blp.response(200, MemberSchema(many=True))
    @paginated(blp)
    def get(self, slug, page_request):
        """The seller's members and their roles (members and operators)"""
        return members.list_members(current_tenant().id, page_request)


@blp.route("/sellers/<slug>/members/invites")
class MemberInvites(MethodView):
    @member_required(MemberRole.MANAGER)
    @blp.arguments(InviteCreateSchema)
    @blp.response(201, InviteSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, invite, slug):
        """Invite someone by email to join with a role

        Owners invite with any role, managers invite staff. The invite's token
        goes to the invitee by mail only (it is in no answer) and expires in 7
        days; a new invite to the same address replaces the open one.
        """
        return members.invite_member(current_tenant(), current_principal().user_id, invite["email"], invite["role"])

    @member_required(MemberRole.MANAGER)
    @blp.response(200, InviteSchema(many=True))
    @paginated(blp)
    def get(self, slug, page_request):
        """The seller's invites, newest first (owners and managers)"""
        return members.list_invites(current_tenant(), page_request)


@blp.route("/sellers/<slug>/members/invites/<id:invite_id>")
class MemberInvite(MethodView):
    @member_required(MemberRole.MANAGER)
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, slug, invite_id):
        """Withdraw an invite"""
        members.revoke_invite(current_tenant(), current_principal().user_id, invite_id)


@blp.route("/member-invites/accept")
class InviteAcceptance(MethodView):
    @rate_limits.invite_acceptance
    @verified_email_required
    @blp.arguments(InviteAcceptanceSchema)
    @blp.response(200, MembershipSchema)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(410, description="The invite has expired or was withdrawn.")
    @blp.alt_response(429, **rate_limits.TOO_MANY_REQUESTS)
    def post(self, acceptance):
        """Accept an invite and become a member

        Only the account the invite was mailed to may accept it, once its
        address is verified (else 403 `email_not_verified`; another address:
        403 `invite_email_mismatch`).
        """
        return members.accept_invite(acceptance["token"], current_principal().user_id)


@blp.route("/sellers/<slug>/members/<id:user_id>")
class SellerMember(MethodView):
    @member_required(MemberRole.OWNER)
    @blp.arguments(RoleChangeSchema)
    @blp.response(200, MemberSchema)
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, change, slug, user_id):
        """Change a member's role (owners); the last owner cannot be demoted"""
        return members.change_member_role(current_tenant(), current_principal().user_id, user_id, change["role"])

    @member_required(MemberRole.OWNER)
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, slug, user_id):
        """Remove a member (owners); the last owner cannot be removed"""
        members.remove_member(current_tenant(), current_principal().user_id, user_id)


# Tenant administration (operators)

@blp.route("/operator/tenants")
class OperatorTenants(MethodView):
    @operator_required
    @blp.arguments(TenantFilterSchema, location="query")
    @blp.response(200, TenantSchema(many=True))
    @paginated(blp)
    def get(self, filters, page_request):
        """Every seller, oldest first, filtered by status or by text in its slug or name (operators only)"""
        return administration.list_tenants(page_request, status=filters.get("status"), text_contains=filters.get("q"))


@blp.route("/operator/tenants/<slug>")
class OperatorTenant(MethodView):
    @operator_required
    @blp.response(200, TenantDetailSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, slug):
        """One seller with its owners, member count and custom domain (operators only)"""
        return administration.get_tenant(slug)


@blp.route("/operator/tenants/<slug>/suspend")
class TenantSuspension(MethodView):
    @operator_required
    @blp.arguments(TransitionSchema)
    @blp.response(200, TenantDetailSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, slug):
        """Suspend a seller

        Its storefront and products vanish from buyers at once and its portal
        turns read-only. Only an active seller can be suspended (else 409).
        """
        return administration.change_tenant_status(slug, TenantAction.SUSPEND, current_principal().user_id, body["reason"])


@blp.route("/operator/tenants/<slug>/resume")
class TenantResumption(MethodView):
    @operator_required
    @blp.arguments(OptionalReasonSchema)
    @blp.response(200, TenantDetailSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, slug):
        """Resume a suspended seller

        Its storefront and products are back for buyers at once.
        """
        return administration.change_tenant_status(slug, TenantAction.RESUME, current_principal().user_id,
                                             body.get("reason"))


@blp.route("/operator/tenants/<slug>/close")
class TenantClosure(MethodView):
    @operator_required
    @blp.arguments(TransitionSchema)
    @blp.response(200, TenantDetailSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description=(
        "`illegal_transition`: already closed, or not active yet; `open_orders`: the seller still owes buyers "
        "orders (`errors.open_orders` lists their seller order ids), nothing changed."))
    def post(self, body, slug):
        """Close a seller for good

        It is no longer listed and its members are shut out. Its data is kept,
        and a job exports its catalog and orders as JSON and CSV files. A
        seller with open orders (awaiting acceptance, accepted, shipping) is
        not closed.
        """
        return administration.change_tenant_status(slug, TenantAction.CLOSE, current_principal().user_id, body["reason"])


@blp.route("/operator/tenants/<slug>/activate")
class TenantActivation(MethodView):
    @operator_required
    @blp.arguments(OptionalReasonSchema)
    @blp.response(200, TenantDetailSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body, slug):
        """Activate a pending seller"""
        return administration.change_tenant_status(slug, TenantAction.ACTIVATE, current_principal().user_id,
                                             body.get("reason"))


@blp.route("/operator/tenants/<slug>/move")
class TenantMove(MethodView):
    @operator_required
    @blp.arguments(TenantMoveRequestSchema, example={"to": "second"})
    @blp.response(202, TenantMoveSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, description="A move of this seller is not finished (`move_running`).")
    @blp.alt_response(422, description="`to` is missing, names no configured server, or the seller's own.")
    def post(self, body, slug):
        """Move a seller's data to another database server, online (operators only)

        A job copies the seller's schema while it keeps working, then refuses its
        writes for a moment (503 `tenant_moving`, with Retry-After; buyers keep
        reading) to copy the last changes, relays its pending messages, verifies
        every table, and switches the seller over; the old copy is dropped after a
        grace period. Follow it with GET on this path. Recorded in the audit log.
        """
        return moves.request_tenant_move(slug, body["to"], current_principal().user_id)

    @operator_required
    @blp.response(200, TenantMoveSchema)
    @blp.alt_response(404, description="No such seller, or it has never been moved.")
    def get(self, slug):
        """The seller's latest move and how far it got (operators only)"""
        return moves.get_tenant_move(slug)


@blp.route("/operator/tenants/<slug>/exports")
class TenantExports(MethodView):
    @operator_required
    @blp.response(200, ExportSchema(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    @paginated(blp)
    def get(self, slug, page_request):
        """A seller's data exports and where their files are, newest first (operators only)"""
        return administration.list_exports(slug, page_request)


# Storefront settings

@blp.route("/sellers/<slug>/settings")
class StorefrontSettings(MethodView):
    @member_required(allow_operators=True)
    @blp.response(200, StorefrontSettingsSchema)
    def get(self, slug):
        """The storefront settings (members and operators)"""
        return storefront_settings.get_storefront_settings(current_tenant())

    @member_required(MemberRole.MANAGER)
    @blp.arguments(StorefrontSettingsInputSchema)
    @blp.response(200, StorefrontSettingsSchema)
    @blp.alt_response(409, response="CONFLICT")
    def put(self, values, slug):
        """Replace the storefront settings (owners and managers)

        Fields left out are cleared. The custom domain must be free.
        """
        return storefront_settings.save_storefront_settings(current_tenant(), current_principal().user_id, values, replace=True,
                                                 domain_verification_ttl=_domain_verification_ttl())

    @member_required(MemberRole.MANAGER)
    @blp.arguments(StorefrontSettingsPatchSchema)
    @blp.response(200, StorefrontSettingsSchema)
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, slug):
        """Change some storefront settings (owners and managers)"""
        return storefront_settings.save_storefront_settings(current_tenant(), current_principal().user_id, changes,
                                                 replace=False, domain_verification_ttl=_domain_verification_ttl())


# Custom domains

@blp.route("/sellers/<slug>/domain")
class CustomDomain(MethodView):
    @member_required(allow_operators=True)
    @blp.response(200, CustomDomainSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, slug):
        """The custom domain, its status and how to prove it (members and operators)

        A domain set in the storefront settings stays pending, serving nothing,
        until a check finds its token in a TXT record or at its well-known URL.
        Checks run right after it is set, every DOMAIN_RECHECK_SECONDS while it
        is pending, and on request.
        """
        return domains.get_custom_domain(current_tenant())


@blp.route("/sellers/<slug>/domain/checks")
class CustomDomainChecks(MethodView):
    @member_required(MemberRole.MANAGER)
    @blp.response(202, CustomDomainSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, slug):
        """Check the custom domain again now (owners and managers)

        The check runs in the background; read the domain to see its outcome.
        An expired domain gets another period to be proved.
        """
        return domains.request_domain_check(current_tenant(), _domain_verification_ttl())


def _domain_verification_ttl() -> timedelta:
    return timedelta(days=current_app.config["DOMAIN_VERIFICATION_DAYS"])
