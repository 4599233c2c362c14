"""The storefront's way of reading a form for the API's schema: every field sent, a blank as "" unless named."""
from __future__ import annotations

from flask_wtf import FlaskForm
from marshmallow import Schema

from marketplace.web.forms import load


def loaded(form: FlaskForm, schema: Schema, names: tuple[str, ...], blanks_as_none: tuple[str, ...] = ()) -> dict | None:
    """The form's values as the schema loads them, or None with the errors put beside their fields."""
    values = {name: (form[name].data or "") for name in names}
    for name in blanks_as_none:
        if not values[name].strip():
            values[name] = None
    return load(form, schema, values)
