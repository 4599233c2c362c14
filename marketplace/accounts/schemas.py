"""Request and response bodies of the accounts API."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from marketplace.accounts.models import MemberRole
from marketplace.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

MAX_EMAIL_LENGTH = 254
MAX_FULL_NAME_LENGTH = 120


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


def _email() -> EmailAddress:
    return EmailAddress(required=True, validate=validate.Length(max=MAX_EMAIL_LENGTH))


def _new_password(required: bool = True) -> fields.String:
    return fields.String(required=required, load_only=True,
                         validate=validate.Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH))


def _given_password() -> fields.String:
    # No length rule beyond the maximum: a login must not teach the password policy.
    return fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH))


def _full_name() -> TrimmedString:
    return TrimmedString(required=True, validate=validate.Length(min=1, max=MAX_FULL_NAME_LENGTH))


class RegistrationSchema(Schema):
    email = _email()
    password = _new_password()
    full_name = _full_name()


class CredentialsSchema(Schema):
    email = _email()
    password = _given_password()


class ProfileUpdateSchema(Schema):
    full_name = _full_name()


class PasswordChangeSchema(Schema):
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
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    is_operator = fields.Boolean()
    email_verified_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the owner proved they read this address; null until then."})
    created_at = fields.DateTime()


class MembershipSchema(Schema):
    slug = fields.String(metadata={"description": "The tenant's slug."})
    display_name = fields.String(metadata={"description": "The tenant's name."})
    role = fields.Enum(MemberRole, by_value=True)


class ProfileSchema(UserSchema):
    memberships = fields.List(fields.Nested(MembershipSchema))


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_at = fields.DateTime()


class MemberSchema(Schema):
    user_id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    role = fields.Enum(MemberRole, by_value=True)
    member_since = fields.DateTime()
