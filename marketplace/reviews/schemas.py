"""Request and response bodies of the reviews API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.core.fields import TrimmedString
from marketplace.core.pagination import StrictQuerySchema

MAX_REVIEW_LENGTH = 5_000
MAX_REASON_LENGTH = 1_000
MAX_ID = 2**63 - 1


class ReviewCreateSchema(Schema):
    """A buyer's review of a product they bought (one per order line)."""

    order_line_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID),
                                   metadata={"description": "The line of your order that bought the product."})
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5),
                            metadata={"description": "Stars, 1 to 5."})
    body = TrimmedString(load_default="", validate=validate.Length(max=MAX_REVIEW_LENGTH),
                         metadata={"description": "What the buyer thinks; may be empty."})


class ReplySchema(Schema):
    """The seller's public answer to a review (one per review)."""

    body = TrimmedString(required=True, validate=validate.Length(min=1, max=MAX_REVIEW_LENGTH),
                         metadata={"description": "The seller's answer, shown under the review."})


class ModerationSchema(Schema):
    """An operator hiding or showing a review again."""

    reason = TrimmedString(load_default="", validate=validate.Length(max=MAX_REASON_LENGTH),
                           metadata={"description": "Why, for the audit log."})


class ReviewListQuerySchema(StrictQuerySchema):
    """Reviews are listed newest first and take no filter."""


class PublicReviewSchema(Schema):
    """A visible review, as every buyer sees it."""

    id = fields.Integer(metadata={"description": "The review's id, unique within the seller."})
    rating = fields.Integer(metadata={"description": "Stars, 1 to 5."})
    body = fields.String(metadata={"description": "The review's text."})
    author_name = fields.String(metadata={"description": "The buyer's first name and initial."})
    seller_reply = fields.String(allow_none=True, metadata={"description": "The seller's answer; null for none."})
    replied_at = fields.DateTime(allow_none=True, metadata={"description": "When the seller answered."})
    created_at = fields.DateTime(metadata={"description": "When the review was written."})


class ReviewSchema(PublicReviewSchema):
    """A review as its author, the seller and operators see it."""

    seller_slug = fields.String(metadata={"description": "The product's seller."})
    product_slug = fields.String(metadata={"description": "The reviewed product."})
    product_title = fields.String(metadata={"description": "Its title."})
    order_line_id = fields.Integer(metadata={"description": "The order line the review is about."})
    is_hidden = fields.Boolean(metadata={"description": "Hidden by an operator: not shown to buyers."})
