"""Updates name their fields: a PATCH or PUT service copies an explicit list of writable fields.

A schema says what a request may carry; the service says what it will write.
Without its own list, a field added to a schema (or a key a caller passes
straight to the service) would be written to the row whatever it is: a
product's status, a variant's stock, a row's id. A key outside the list is
refused, with the field named, and nothing is written.
"""
from __future__ import annotations

from typing import Any, Iterable

from marketplace.core.errors import ValidationFailed


class UnwritableFields(ValidationFailed):
    def __init__(self, field_names: list[str]):
        super().__init__("Some fields cannot be changed here.",
                         errors={name: ["This field cannot be changed here."] for name in field_names})
        self.field_names = field_names


def writable_changes(changes: dict[str, Any], writable_fields: Iterable[str]) -> dict[str, Any]:
    """The changes to the writable fields, in the list's order; UnwritableFields if any other is named."""
    writable_fields = tuple(writable_fields)
    unwritable = sorted(set(changes) - set(writable_fields))
    if unwritable:
        raise UnwritableFields(unwritable)
    return {name: changes[name] for name in writable_fields if name in changes}
