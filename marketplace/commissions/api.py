"""The commission rules API (operators only): the rules, and which one applies to a line."""
from __future__ import annotations

from flask.views import MethodView

from marketplace.accounts.permissions import current_principal, operator_required
from marketplace.commissions import services
from marketplace.commissions.schemas import (
    CommissionResolutionArgsSchema, CommissionResolutionSchema, CommissionRuleChangeSchema,
    CommissionRuleFilterSchema, CommissionRuleInputSchema, CommissionRuleSchema,
)
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint

blp = Blueprint("commissions", __name__, description="Commission rules: the marketplace's cut of each order line")

RULE_EXAMPLE = {"id": 7, "seller": "acme", "category_id": 3, "basis_points": 1250, "fixed_fee_amount": 30,
                "currency": "EUR", "created_at": "2026-11-30T12:00:00+00:00",
                "updated_at": "2026-11-30T12:00:00+00:00"}


@blp.route("/operator/commission-rules")
class CommissionRules(MethodView):
    @operator_required
    @blp.arguments(CommissionRuleFilterSchema, location="query")
    @blp.response(200, CommissionRuleSchema(many=True))
    @paginated(blp)
    def get(self, filters, page_request):
        """The commission rules, oldest first, filtered by seller or category (operators only)"""
        return services.list_rules(page_request, seller=filters.get("seller"), category_id=filters.get("category_id"))

    @operator_required
    @blp.arguments(CommissionRuleInputSchema, example={"seller": "acme", "category_id": 3, "basis_points": 1250,
                                                       "fixed_fee_amount": 30, "currency": "EUR"})
    @blp.response(201, CommissionRuleSchema, example=RULE_EXAMPLE)
    @blp.alt_response(409, response="CONFLICT", description="This scope has a rule already "
                                                            "(`commission_rule_exists`): change that one.")
    def post(self, rule):
        """Add a commission rule (operators only)

        A rule's scope is a seller, a category (with every category below it),
        both, or neither (the default). For a line, the most specific applies:
        seller and category (the nearest category up the tree), then seller,
        then category (nearest first), then the default. A fixed fee names its
        currency and applies only to lines in it; a seller's fee is in the
        seller's currency. An unknown seller or category is a 422.
        """
        return services.create_rule(current_principal().user_id, **rule)


@blp.route("/operator/commission-rules/resolve")
class CommissionResolution(MethodView):
    @operator_required
    @blp.arguments(CommissionResolutionArgsSchema, location="query")
    @blp.response(200, CommissionResolutionSchema)
    def get(self, args):
        """The rule that applies to a line of a seller in a category (operators only)

        With `line_total_amount`, also the commission it takes of that total.
        An unknown seller or category is a 422.
        """
        return services.resolve(args["seller"], args.get("category_id"), args.get("line_total_amount"))


@blp.route("/operator/commission-rules/<id:rule_id>")
class CommissionRuleView(MethodView):
    @operator_required
    @blp.response(200, CommissionRuleSchema, example=RULE_EXAMPLE)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, rule_id):
        """A commission rule (operators only)"""
        return services.get_rule(rule_id)

    @operator_required
    @blp.arguments(CommissionRuleChangeSchema)
    @blp.response(200, CommissionRuleSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def patch(self, changes, rule_id):
        """Change a rule's terms (operators only)

        Basis points, fixed fee and its currency; orders already placed keep
        the terms frozen on their lines. A new scope is a new rule.
        """
        return services.change_rule(current_principal().user_id, rule_id, changes)

    @operator_required
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, rule_id):
        """Delete a rule (operators only): its lines fall to the next rule down"""
        services.delete_rule(current_principal().user_id, rule_id)
