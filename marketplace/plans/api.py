"""The plans API: operators define SaaS plans and move sellers between them; sellers read theirs and its invoices."""
from __future__ import annotations

from flask.views import MethodView

from marketplace.accounts.models import MemberRole
from marketplace.accounts.permissions import current_principal, current_tenant, member_required, operator_required
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint
from marketplace.plans import services
from marketplace.plans.schemas import (
    InvoiceSchema, PlanChangeSchema, PlanInputSchema, PlanSchema, TenantPlanChangeSchema, TenantPlanSchema,
)

blp = Blueprint("plans", __name__, description="SaaS plans: monthly fee, commission override, product limit")

PLAN_EXAMPLE = {"id": 2, "name": "Pro", "monthly_fee_amount": 2900, "currency": "USD",
                "commission_basis_points": 800, "product_limit": 5000, "is_default": False,
                "created_at": "2026-11-30T12:00:00+00:00", "updated_at": "2026-11-30T12:00:00+00:00"}


@blp.route("/operator/plans")
class Plans(MethodView):
    @operator_required
    @blp.response(200, PlanSchema(many=True))
    @paginated(blp)
    def get(self, page_request):
        """Every plan, oldest first, the default plan among them (operators only)"""
        return services.list_plans(page_request)

    @operator_required
    @blp.arguments(PlanInputSchema, example={"name": "Pro", "monthly_fee_amount": 2900, "currency": "USD",
                                             "commission_basis_points": 800, "product_limit": 5000})
    @blp.response(201, PlanSchema, example=PLAN_EXAMPLE)
    @blp.alt_response(409, response="CONFLICT", description="Another plan has this name (`plan_name_taken`).")
    def post(self, plan):
        """Add a plan (operators only)

        A monthly fee names its currency, and a plan with a fee is only for
        sellers selling in that currency. The commission override replaces
        the marketplace's default commission rule for the plan's sellers;
        rules for a category, or for the seller by name, still win over it.
        """
        return services.create_plan(current_principal().user_id, **plan)


@blp.route("/operator/plans/<id:plan_id>")
class PlanView(MethodView):
    @operator_required
    @blp.response(200, PlanSchema, example=PLAN_EXAMPLE)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, plan_id):
        """A plan (operators only)"""
        return services.get_plan(plan_id)

    @operator_required
    @blp.arguments(PlanChangeSchema)
    @blp.response(200, PlanSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="Another plan has this name (`plan_name_taken`).")
    def patch(self, changes, plan_id):
        """Change a plan's name or terms (operators only)

        The plan's sellers get the new terms at once: the commission of their
        next orders, their product limit, their next invoice. Orders placed
        and invoices written keep theirs. A fee in a currency some seller on
        the plan does not sell in is a 422.
        """
        return services.change_plan_terms(current_principal().user_id, plan_id, changes)


@blp.route("/operator/tenants/<slug>/plan")
class TenantPlanChange(MethodView):
    @operator_required
    @blp.arguments(TenantPlanChangeSchema, example={"plan_id": 2})
    @blp.response(200, TenantPlanSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def put(self, change, slug):
        """Move a seller to another plan from the next monthly period (operators only)

        The current period (a calendar month, UTC) stays on the current plan;
        the answer shows the plan pending and the day it starts. Moving a
        seller back to its current plan cancels a pending change. An unknown
        plan, or a plan whose fee is in another currency than the seller's, is
        a 422.
        """
        return services.change_tenant_plan(current_principal().user_id, slug, change["plan_id"])


@blp.route("/sellers/<slug>/plan")
class SellerPlan(MethodView):
    @member_required(MemberRole.STAFF, allow_operators=True)
    @blp.response(200, TenantPlanSchema)
    def get(self, slug):
        """The seller's plan in the current period, and the plan it moves to next if any (members and operators)"""
        return services.get_tenant_plan(current_tenant())


@blp.route("/sellers/<slug>/invoices")
class SellerInvoices(MethodView):
    @member_required(MemberRole.MANAGER, allow_operators=True)
    @blp.response(200, InvoiceSchema(many=True))
    @paginated(blp)
    def get(self, slug, page_request):
        """The seller's plan invoices, newest month first (owners, managers and operators)

        Each month's fee is charged against the seller's balance; the part the
        balance did not cover is `owed_amount`, netted from later earnings.
        """
        return services.list_invoices(current_tenant(), page_request)
