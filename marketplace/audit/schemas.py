"""Query and response bodies of the audit log API."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class AuditFilterSchema(Schema):
    class Meta:
        # The pagination parameters share the query string.
        unknown = EXCLUDE

    tenant = fields.String(validate=validate.Length(min=1, max=40),
                           metadata={"description": "Only entries about this seller (its slug)."})
    action = fields.String(validate=validate.Length(min=1, max=80),
                           metadata={"description": "Only entries of this action, e.g. tenant.suspend."})


class AuditEntrySchema(Schema):
    """One recorded action: who did what to which object, and when."""

    id = fields.Integer()
    actor_user_id = fields.Integer(allow_none=True)
    actor_email = fields.String(allow_none=True)
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    tenant_id = fields.Integer(allow_none=True)
    tenant_slug = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    created_at = fields.DateTime()
