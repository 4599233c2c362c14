"""Request and response bodies of the accounts API."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from marketplace.accounts.models import MemberRole
from marketplace.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from marketplace.cart.schemas import CartMergeSchema
from marketplace.core.fields import MAX_EMAIL_LENGTH, EmailAddress, TrimmedString

MAX_FULL_NAME_LENGTH = 120


def _email(**kwargs) -> EmailAddress:
    return EmailAddress(required=True, validate=validate.Length(max=MAX_EMAIL_LENGTH), **kwargs)


def _new_password(required: bool = True, **kwargs) -> fields.String:
    return fields.String(required=required, load_only=True,
                         validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH), **kwargs)


def _given_password(**kwargs) -> fields.String:
    # No length rule beyond the maximum: a login must not teach the password policy.
    return fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH),
                         **kwargs)


def _full_name(**kwargs) -> TrimmedString:
    return TrimmedString(required=True, validate=validate.Length(min=1, max=MAX_FULL_NAME_LENGTH), **kwargs)


class RegistrationSchema(Schema):
    """A new buyer account: email, password and name."""

    email = _email(metadata={"description": "Your sign-in address; one account per address (any case)."})
    password = _new_password(metadata={"description": "At least 10 characters; never sent back."})
    full_name = _full_name(metadata={"description": "How sellers and other people see you."})


class CredentialsSchema(Schema):
    """An email and password exchanged for a bearer token."""

    email = _email(metadata={"description": "The account's address."})
    password = _given_password(metadata={"description": "The account's password."})


class ProfileUpdateSchema(Schema):
    """A change of the signed-in user's name."""

    full_name = _full_name()


class PasswordChangeSchema(Schema):
    """The current password (to prove it is you) and the new one; other sessions are signed out."""

    current_password = _given_password()
    new_password = _new_password()


class MailedTokenSchema(Schema):
    token = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200),
                          metadata={"description": "The one-time code from the mail."})


class PasswordResetRequestSchema(Schema):
    email = _email()


class PasswordResetSchema(MailedTokenSchema):
    new_password = _new_password()


class EmailChangeSchema(Schema):
    current_password = _given_password()
    new_email = _email()


class OperatorSchema(Schema):
    """`flask operators create`: the password only for a new account, the name optional."""

    email = _email()
    password = _new_password(required=False)
    full_name = TrimmedString(load_default="", validate=validate.Length(max=MAX_FULL_NAME_LENGTH))


class UserFilterSchema(Schema):
    class Meta:
        # The pagination parameters share the query string.
        unknown = EXCLUDE

    email = fields.String(validate=validate.Length(min=1, max=MAX_EMAIL_LENGTH),
                          metadata={"description": "Only users whose email contains this text (any case)."})


class UserSchema(Schema):
    """An account as operators see it."""

    id = fields.Integer(metadata={"description": "The user's id."})
    email = fields.String(metadata={"description": "Sign-in address, lower-cased."})
    full_name = fields.String(metadata={"description": "The user's name."})
    is_operator = fields.Boolean(metadata={"description": "Whether the user runs the platform."})
    email_verified_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the owner proved they read this address; null until then."})
    created_at = fields.DateTime(metadata={"description": "When the account was registered."})


class MembershipSchema(Schema):
    """A seller the user belongs to, and the role held there."""

    slug = fields.String(metadata={"description": "The tenant's slug."})
    display_name = fields.String(metadata={"description": "The tenant's name."})
    role = fields.Enum(MemberRole, by_value=True, metadata={"description": "owner, manager or staff."})


class ProfileSchema(UserSchema):
    """The signed-in user, with the sellers they are a member of."""

    memberships = fields.List(fields.Nested(MembershipSchema),
                              metadata={"description": "The sellers whose team the user is in."})


class TokenSchema(Schema):
    """A bearer token: send it as `Authorization: Bearer <access_token>` until it expires."""

    access_token = fields.String(metadata={"description": "The secret to send as a bearer token; shown only once."})
    token_type = fields.String(metadata={"description": "Always `Bearer`."})
    expires_at = fields.DateTime(metadata={"description": "When the token stops working."})
    cart_merge = fields.Nested(CartMergeSchema, allow_none=True, metadata={
        "description": "Null unless the login sent the `X-Cart-Token` of a guest cart: then its lines were merged "
                       "into the user's cart (quantities added, within the stock available) and the guest cart "
                       "deleted; the lines that did not move whole are listed."})
