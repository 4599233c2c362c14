"""Response bodies of the notifications API."""
from __future__ import annotations

from marshmallow import Schema, fields


class NotificationSchema(Schema):
    """An in-app notice for the signed-in user."""

    id = fields.Integer()
    kind = fields.String(metadata={"description": "What the notification is about, e.g. welcome."})
    subject = fields.String()
    body = fields.String()
    created_at = fields.DateTime()
