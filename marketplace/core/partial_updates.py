"""PATCH bodies: any subset of a schema's fields, but at least one."""
from __future__ import annotations

from marshmallow import ValidationError, validates_schema


class AtLeastOneField:
    """Mixin of PATCH bodies: any subset of the top-level fields, but not none of them.

    Only the top-level fields are optional (a partial listing their names):
    `partial=True` would reach into nested bodies, e.g. let an image go without
    its URL. An empty change is a client mistake, not a no-op that bumps versions.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=tuple(self._declared_fields), **kwargs)

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.")
