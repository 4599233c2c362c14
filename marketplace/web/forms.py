"""Page forms checked by the API's own marshmallow schemas, with every message beside its field.

WTForms renders the fields and carries the CSRF token; the schema of the
matching endpoint decides what is valid, so a page accepts exactly what the
API accepts and refuses it with the API's message. A service's refusal
(a taken slug, a plan limit, a unique rule of the database) is put beside
the fields it names the same way, else above the form; the view re-renders
the form as it was posted, with a 422.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from flask_wtf import FlaskForm
from marshmallow import Schema, ValidationError
from sqlalchemy.exc import IntegrityError

from marketplace.core.errors import ApiError, Conflict, ValidationFailed
from marketplace.core.integrity import CONFLICTS_BY_CONSTRAINT, UNNAMED_CONFLICT_MESSAGE, violated_constraint

# The key of messages about no field of the form (a schema-wide rule): shown above it.
FORM_WIDE = "_schema"


def text(field) -> str:
    """A text field's value, stripped: "" when the post left the field out (WTForms then keeps its default, None)."""
    return (field.data or "").strip()


def submitted_values(form: FlaskForm, names: Iterable[str]) -> dict[str, Any]:
    """What the form sent for `names`, blanks left out (so that the schema's defaults, or "required", apply)."""
    return {name: form[name].data for name in names if form[name].data not in (None, "")}


def load(form: FlaskForm, schema: Schema, values: dict[str, Any],
         field_of: dict[str, str] | None = None) -> dict[str, Any] | None:
    """`values` as `schema` loads them, or None with its messages put beside the form's fields.

    `field_of` names the form field of a schema field the form calls otherwise (`price_amount` -> `price`).
    """
    try:
        return schema.load(values)
    except ValidationError as error:
        messages = error.normalized_messages()
        show_errors(form, {(field_of or {}).get(name, name): texts for name, texts in messages.items()})
        return None


def saved(form: FlaskForm, write: Callable[[], Any]) -> bool:
    """Run a service's write; its refusal (a bad value, a conflict, a name taken) is shown on the form instead."""
    try:
        write()
    except (ValidationFailed, Conflict) as error:
        show_service_error(form, error)
    except IntegrityError as error:  # the database's unique rules decide, as for the API (core/integrity.py)
        known = CONFLICTS_BY_CONSTRAINT.get(violated_constraint(error) or "")
        message = known.message if known else UNNAMED_CONFLICT_MESSAGE
        show_errors(form, {known.field if known and known.field else FORM_WIDE: [message]})
    else:
        return True
    return False


def show_service_error(form: FlaskForm, error: ApiError, field_name: str | None = None) -> None:
    """A service's refusal beside the fields it names (or `field_name`), else its message above the form."""
    errors = error.errors if isinstance(error.errors, dict) else {}
    if any(_is_field(form, name) for name in errors):
        show_errors(form, errors)
    elif field_name:
        show_errors(form, {field_name: [error.message]})
    else:
        form.form_errors.append(error.message)


def show_errors(form: FlaskForm, messages: dict[str, Any] | None) -> None:
    """`{"field": ["message", ...]}` beside the form's fields; messages of no field of the form above it."""
    for name, field_messages in (messages or {}).items():
        texts = _flatten(field_messages)
        if _is_field(form, name):
            form[name].errors = list(form[name].errors) + texts
        else:
            form.form_errors.extend(texts)


def _is_field(form: FlaskForm, name: str) -> bool:
    return name in form._fields and name != "csrf_token"


def _flatten(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, dict):  # a list's errors are keyed by index: name the line (or item) they are about
        return [f"Line {key + 1}: {text}" if isinstance(key, int) else text
                for key, value in messages.items() for text in _flatten(value)]
    return [text for value in messages for text in _flatten(value)]
