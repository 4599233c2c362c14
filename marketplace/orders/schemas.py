"""Request and response bodies of the seller order desk."""
from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.checkout.schemas import AddressSnapshotSchema, OrderLineSchema
from marketplace.core.fields import TrimmedString
from marketplace.core.pagination import StrictQuerySchema
from marketplace.orders.desk import DEFAULT_SORT, SORTS
from marketplace.orders.models import SellerOrderStatus

class DeskFilterFields(Schema):
    """The desk's filters, sort and search, shared by the list and its CSV export."""

    status = fields.List(fields.Enum(SellerOrderStatus, by_value=True), validate=validate.Length(max=8), metadata={
        "description": "Only orders in one of these statuses; repeat the parameter for several "
                       "(`?status=accepted&status=partially_shipped`)."})
    placed_from = fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "Only orders paid at or after this time (ISO 8601; UTC if no offset is given)."})
    placed_to = fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "Only orders paid at or before this time (ISO 8601; UTC if no offset is given)."})
    due_before = fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": "Only orders whose acceptance is due before this time; with `status=awaiting_acceptance`, "
                       "the orders about to miss the SLA."})
    q = TrimmedString(validate=validate.Length(min=1, max=200), metadata={
        "description": "An order number (the one buyers see, `#` optional): that order; anything else: orders "
                       "whose buyer name starts with it, ignoring case."})
    sort = fields.String(load_default=DEFAULT_SORT, validate=validate.OneOf(list(SORTS)), metadata={
        "description": "`-paid_at` (newest first, the default), `paid_at`, `acceptance_due_at` (soonest due "
                       "first), `total_amount` or `-total_amount`."})

    @validates_schema
    def _placed_period_is_not_reversed(self, data, **kwargs):
        if "placed_from" in data and "placed_to" in data and data["placed_from"] > data["placed_to"]:
            raise ValidationError("Must not be before placed_from.", field_name="placed_to")


class DeskListQuerySchema(StrictQuerySchema, DeskFilterFields):
    """The list's query string: the filters and the page."""


class DeskExportQuerySchema(DeskFilterFields):
    """The export's query string: the filters only (the export holds every matching order)."""


class SellerOrderSummarySchema(Schema):
    """A seller order as the desk lists it."""

    id = fields.Integer(metadata={"description": "The seller order's id, unique within the seller."})
    order_number = fields.Integer(metadata={"description": "The marketplace order's number, as the buyer sees it."})
    status = fields.String(metadata={"description": "`awaiting_acceptance`, `accepted`, `partially_shipped`, "
                                                    "`shipped`, `delivered`, `completed`, `rejected` or `cancelled`."})
    buyer_name = fields.String()
    currency = fields.String()
    subtotal_amount = fields.Integer(metadata={"description": "Minor units."})
    shipping_amount = fields.Integer(metadata={"description": "Minor units."})
    total_amount = fields.Integer(metadata={"description": "Minor units."})
    paid_at = fields.DateTime(metadata={"description": "When the buyer paid: when the order was placed."})
    acceptance_due_at = fields.DateTime(metadata={"description": "Accept or reject before this, or the order is "
                                                                 "cancelled."})
    created_at = fields.DateTime(metadata={"description": "When the order reached the seller."})


class SellerOrderLineSchema(OrderLineSchema):
    """A line as its seller sees it: the buyer's frozen line and the marketplace's commission on it."""

    commission_amount = fields.Integer(metadata={"description": "The marketplace's commission on the line."})


class SellerOrderEventSchema(Schema):
    """One move of the order."""

    id = fields.Integer()
    action = fields.String(metadata={"description": "`accept`, `reject`, `cancel`, `ship_part`, `ship_all`, "
                                                    "`deliver` or `complete`."})
    from_status = fields.Enum(SellerOrderStatus, by_value=True)
    to_status = fields.Enum(SellerOrderStatus, by_value=True)
    actor_kind = fields.String(metadata={"description": "`seller`, `buyer`, `operator`, `carrier` or `system`."})
    actor_user_id = fields.Integer(allow_none=True)
    reason = fields.String()
    created_at = fields.DateTime()


class SellerOrderDetailSchema(SellerOrderSummarySchema):
    """A seller order whole: its lines, where it goes, and its history."""

    shipping_name = fields.String(metadata={"description": "The shipping option the buyer chose."})
    shipping_address = fields.Nested(AddressSnapshotSchema)
    lines = fields.List(fields.Nested(SellerOrderLineSchema))
    events = fields.List(fields.Nested(SellerOrderEventSchema), metadata={"description": "Its moves, oldest first."})
