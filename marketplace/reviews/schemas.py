"""Request and response bodies of the reviews API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.accounts.schemas import TrimmedString
from marketplace.storefront.schemas import StrictQuerySchema

MAX_REVIEW_LENGTH = 5_000
MAX_REASON_LENGTH = 1_000
MAX_ID = 2**63 - 1


class ReviewCreateSchema(Schema):
    order_line_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID),
                                   metadata={"description": "The line of your order that bought the product."})
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5),
                            metadata={"description": "Stars, 1 to 5."})
    body = TrimmedString(load_default="", validate=validate.Length(max=MAX_REVIEW_LENGTH))


class ReplySchema(Schema):
    body = TrimmedString(required=True, validate=validate.Length(min=1, max=MAX_REVIEW_LENGTH))


class ModerationSchema(Schema):
    reason = TrimmedString(load_default="", validate=validate.Length(max=MAX_REASON_LENGTH),
                           metadata={"description": "Why, for the audit log."})


class ReviewListQuerySchema(StrictQuerySchema):
    """Reviews are listed newest first and take no filter."""


class PublicReviewSchema(Schema):
    id = fields.Integer()
    rating = fields.Integer()
    body = fields.String()
    author_name = fields.String(metadata={"description": "The buyer's first name and initial."})
    seller_reply = fields.String(allow_none=True)
    replied_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class ReviewSchema(PublicReviewSchema):
    """A review as its author, the seller and operators see it."""

    seller_slug = fields.String()
    product_slug = fields.String()
    product_title = fields.String()
    order_line_id = fields.Integer()
    is_hidden = fields.Boolean()
