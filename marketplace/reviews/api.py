"""The reviews API: buyers review what they bought, sellers reply once, operators hide or show."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import RAISE

from marketplace.accounts.models import MemberRole
from marketplace.core import openapi_examples as examples
from marketplace.accounts.permissions import (
    current_principal, current_tenant, login_required, member_required, operator_required,
)
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint
from marketplace.reviews import services
from marketplace.reviews.schemas import (
    ModerationSchema, PublicReviewSchema, ReplySchema, ReviewCreateSchema, ReviewListQuerySchema, ReviewSchema,
)
from tenants.registry import get_tenant_by_slug

blp = Blueprint("reviews", __name__, description="Product reviews, seller replies and moderation")

# Review ids are BIGINT: a larger number in the path cannot name one (404, not a database error).
REVIEW_ID = "<id:review_id>"


@blp.route("/reviews")
class Reviews(MethodView):
    @login_required
    @blp.arguments(ReviewCreateSchema, example=examples.REVIEW_REQUEST)
    @blp.response(201, ReviewSchema, example=examples.REVIEW)
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self, review):
        """Review a product delivered to you

        One review per order line: `order_line_id` names the line of your order.
        The seller's part of that order must be delivered (or completed): a line
        not delivered yet is refused with 422.
        """
        return services.create_review(current_principal().user_id, review["order_line_id"], review["rating"],
                                      review["body"])


@blp.route("/products/<seller_slug>/<product_slug>/reviews")
class ProductReviews(MethodView):
    @blp.arguments(ReviewListQuerySchema, location="query", unknown=RAISE, as_kwargs=True)
    @blp.response(200, PublicReviewSchema(many=True), example=[examples.PUBLIC_REVIEW])
    @blp.alt_response(404, response="NOT_FOUND")
    @paginated(blp)
    def get(self, seller_slug, product_slug, page_request):
        """A product's reviews, newest first"""
        return services.list_product_reviews(seller_slug, product_slug, page_request)


@blp.route("/sellers/<slug>/reviews")
class SellerReviews(MethodView):
    @member_required(MemberRole.STAFF, allow_operators=True)
    @blp.arguments(ReviewListQuerySchema, location="query", unknown=RAISE, as_kwargs=True)
    @blp.response(200, ReviewSchema(many=True))
    @paginated(blp)
    def get(self, slug, page_request):
        """Every review of the seller's products, hidden ones too (members and operators)"""
        return services.list_seller_reviews(current_tenant(), page_request)


@blp.route(f"/sellers/<slug>/reviews/{REVIEW_ID}/reply")
class SellerReply(MethodView):
    @member_required(MemberRole.STAFF)
    @blp.arguments(ReplySchema)
    @blp.response(201, ReviewSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, reply, slug, review_id):
        """Reply to a review (once)"""
        return services.reply_to_review(current_tenant(), review_id, reply["body"])


@blp.route(f"/operator/reviews/<seller_slug>/{REVIEW_ID}/hide")
class HideReview(MethodView):
    @operator_required
    @blp.arguments(ModerationSchema)
    @blp.response(200, ReviewSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, moderation, seller_slug, review_id):
        """Hide a review from buyers (operators)

        The product's rating no longer counts it. Recorded in the audit log.
        """
        return services.set_review_hidden(get_tenant_by_slug(seller_slug), review_id, True,
                                          operator_user_id=current_principal().user_id,
                                          reason=moderation["reason"])


@blp.route(f"/operator/reviews/<seller_slug>/{REVIEW_ID}/unhide")
class UnhideReview(MethodView):
    @operator_required
    @blp.arguments(ModerationSchema)
    @blp.response(200, ReviewSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, moderation, seller_slug, review_id):
        """Show a hidden review again (operators)

        The product's rating counts it again. Recorded in the audit log.
        """
        return services.set_review_hidden(get_tenant_by_slug(seller_slug), review_id, False,
                                          operator_user_id=current_principal().user_id,
                                          reason=moderation["reason"])
