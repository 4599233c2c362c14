"""Marshmallow fields that every area's schemas share."""
from __future__ import annotations

from marshmallow import fields

MAX_EMAIL_LENGTH = 254


class TrimmedString(fields.String):
    """A string with surrounding white space removed, so that "  " counts as empty."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class EmailAddress(fields.Email):
    """An email address, trimmed, with its domain lower-cased (domains ignore case; local parts may not)."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        address = super()._deserialize(value, attr, data, **kwargs).strip()
        local_part, at, domain = address.rpartition("@")
        return f"{local_part}{at}{domain.lower()}" if at else address


class StrictBoolean(fields.Boolean):
    """JSON true or false only: marshmallow's Boolean also takes "yes", "0" or 1, which the document does not allow."""

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value
