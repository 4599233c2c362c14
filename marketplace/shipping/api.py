"""The shipping rates API: each seller's rates under /sellers/{slug}/shipping-rates.

Owners and managers write them (as the storefront settings), each change
audited; every member reads them, and operators too. A suspended seller's
rates are read-only.
"""
from __future__ import annotations

from flask.views import MethodView

from marketplace.accounts.models import MemberRole
from marketplace.accounts.permissions import current_principal, current_tenant, member_required
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint
from marketplace.shipping import services
from marketplace.shipping.schemas import ShippingRateChangeSchema, ShippingRateInputSchema, ShippingRateSchema

blp = Blueprint("shipping", __name__, description="Each seller's shipping rates")

# Ids are BIGINT: a larger number in a path is a 404 from routing (marketplace.core.openapi).
RATE_PATH = "/sellers/<slug>/shipping-rates/<id:rate_id>"
EXAMPLE_RATE = {"name": "Standard (3-5 days)", "countries": ["PT", "ES"], "kind": "weight_bands",
                "weight_bands": [{"up_to_grams": 2000, "amount": 450}, {"up_to_grams": 10000, "amount": 990}],
                "free_over_amount": 5000, "position": 0}

rates_reader = member_required(MemberRole.STAFF, allow_operators=True)
rates_writer = member_required(MemberRole.MANAGER)


@blp.route("/sellers/<slug>/shipping-rates")
class ShippingRates(MethodView):
    @rates_reader
    @blp.response(200, ShippingRateSchema(many=True))
    @paginated(blp)
    def get(self, slug, page_request):
        """The seller's shipping rates, in the order buyers are offered them (members and operators)"""
        return services.list_rates(current_tenant(), page_request)

    @rates_writer
    @blp.arguments(ShippingRateInputSchema, example=EXAMPLE_RATE)
    @blp.response(201, ShippingRateSchema)
    def post(self, rate, slug):
        """Add a shipping rate (owners and managers)

        A flat rate has an `amount`; a weight-band rate has `weight_bands` by
        increasing weight and no amount (422 otherwise). A destination gets
        the rates naming its country, or else the `*` (rest of world) ones.
        """
        return services.create_rate(current_tenant(), current_principal().user_id, rate)


@blp.route(RATE_PATH)
class ShippingRateDetail(MethodView):
    @rates_reader
    @blp.response(200, ShippingRateSchema)
    def get(self, slug, rate_id):
        """A shipping rate (members and operators)"""
        return services.get_rate(current_tenant(), rate_id)

    @rates_writer
    @blp.arguments(ShippingRateChangeSchema)
    @blp.response(200, ShippingRateSchema)
    def patch(self, changes, slug, rate_id):
        """Change some fields of a shipping rate (owners and managers)

        The rate as changed must be whole: switching to `flat` needs an
        amount, and weight bands need the amount set to null.
        """
        return services.change_rate(current_tenant(), current_principal().user_id, rate_id, changes)

    @rates_writer
    @blp.response(204)
    def delete(self, slug, rate_id):
        """Delete a shipping rate (owners and managers)

        Orders already placed keep the shipping they were priced with.
        """
        services.delete_rate(current_tenant(), current_principal().user_id, rate_id)
