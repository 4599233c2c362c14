"""The accounts API: registration, tokens, the current user, operators' user list."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView

from marketplace.accounts import services, verification
from marketplace.accounts.permissions import current_principal, login_required, operator_required
from marketplace.accounts.ratelimit import guarded_password_check
from marketplace.cart.schemas import CART_TOKEN_HEADER
from marketplace.core import openapi_examples as examples, rate_limits
from marketplace.accounts.schemas import (
    CredentialsSchema, EmailChangeSchema, MailedTokenSchema, PasswordChangeSchema,
    PasswordResetRequestSchema, PasswordResetSchema, ProfileSchema, ProfileUpdateSchema, RegistrationSchema,
    TokenSchema, UserFilterSchema, UserSchema,
)
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint

GUEST_CART_PARAMETER = {
    "in": "header", "name": CART_TOKEN_HEADER, "required": False, "schema": {"type": "string", "maxLength": 100},
    "description": "The token of the guest cart to merge into the user's cart; an unknown one is ignored (a "
                   "retried login finds its guest cart merged already)."}

blp = Blueprint("accounts", __name__, description="Registration, tokens, the current user and the operators' user list")


def _answers_for_a_spent_token(view):
    """Document what every endpoint that spends a mailed token may answer besides success."""
    view = blp.alt_response(410, description="`token_expired`, or `token_replaced` by a newer mail.")(view)
    view = blp.alt_response(409, response="CONFLICT", description="`token_used`: the token was used before.")(view)
    return blp.alt_response(404, response="NOT_FOUND", description="`token_not_found`: no such token.")(view)


@blp.route("/auth/register")
class Registration(MethodView):
    @rate_limits.register
    @blp.arguments(RegistrationSchema, example=examples.REGISTRATION)
    @blp.response(201, UserSchema, example=examples.USER)
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(429, **rate_limits.TOO_MANY_REQUESTS)
    def post(self, registration):
        """Register an account

        Emails are unique in any letter case. A welcome notification follows,
        and a mail with a token that verifies the address
        (POST /auth/email-verification).
        """
        return services.register_user(registration["email"], registration["password"], registration["full_name"])


@blp.route("/auth/token")
class Tokens(MethodView):
    @blp.doc(parameters=[GUEST_CART_PARAMETER])
    @blp.arguments(CredentialsSchema, example=examples.CREDENTIALS)
    @blp.response(201, TokenSchema, example=examples.TOKEN)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, credentials):
        """Log in

        Exchanges an email and password for a bearer token. Repeated failures
        lock the account for a while (429 with Retry-After). A guest cart sent
        along (`X-Cart-Token`) merges into the user's cart (`cart_merge`).
        """
        with guarded_password_check(credentials["email"], request.remote_addr,
                                    failure=services.InvalidCredentials):
            return services.issue_token(credentials["email"], credentials["password"],
                                        current_app.config["TOKEN_TTL_SECONDS"],
                                        guest_cart_token=request.headers.get(CART_TOKEN_HEADER))

    @login_required
    @blp.response(204)
    def delete(self):
        """Log out: revoke the token of this request"""
        services.revoke_token(current_principal().token_id)


@blp.route("/me")
class Me(MethodView):
    @login_required
    @blp.response(200, ProfileSchema, example=examples.PROFILE)
    def get(self):
        """The current user and their seller memberships"""
        return services.get_profile(current_principal().user_id)

    @login_required
    @blp.arguments(ProfileUpdateSchema, example=examples.PROFILE_CHANGE)
    @blp.response(200, ProfileSchema, example=examples.PROFILE)
    def patch(self, changes):
        """Change the current user's name"""
        return services.update_profile(current_principal().user_id, changes["full_name"])


@blp.route("/me/password")
class Password(MethodView):
    @login_required
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, change):
        """Change the password

        Every other token of the account is revoked; the one in use stays valid.
        """
        principal = current_principal()
        with guarded_password_check(principal.email, request.remote_addr,
                                    failure=services.WrongCurrentPassword):
            services.change_password(principal.user_id, principal.token_id,
                                     change["current_password"], change["new_password"])


@blp.route("/auth/email-verification")
class EmailVerification(MethodView):
    @blp.arguments(MailedTokenSchema)
    @blp.response(204)
    @_answers_for_a_spent_token
    def post(self, body):
        """Verify an email address with the token mailed to it

        No sign-in needed: the token proves that its bearer reads the mail.
        """
        verification.verify_email(body["token"])


@blp.route("/me/email-verification")
class EmailVerificationMail(MethodView):
    @login_required
    @blp.response(202)
    @blp.alt_response(409, response="CONFLICT", description="`email_already_verified`.")
    def post(self):
        """Mail a new verification token to my address

        Tokens mailed before stop working.
        """
        verification.request_email_verification(current_principal().user_id)


@blp.route("/auth/password-reset")
class PasswordResetRequests(MethodView):
    @rate_limits.password_reset
    @blp.arguments(PasswordResetRequestSchema)
    @blp.response(202)
    @blp.alt_response(429, **rate_limits.TOO_MANY_REQUESTS)
    def post(self, body):
        """Ask for a password reset mail

        Always 202, whether or not an account has the address: the answer
        tells nobody who has an account. An active account gets a mail with a
        one-time token (POST /auth/password-reset/confirm); earlier reset
        tokens stop working.
        """
        verification.request_password_reset(body["email"])


@blp.route("/auth/password-reset/confirm")
class PasswordReset(MethodView):
    @blp.arguments(PasswordResetSchema)
    @blp.response(204)
    @_answers_for_a_spent_token
    def post(self, body):
        """Set a new password with a mailed reset token

        Every bearer token of the account is revoked: sign in again. The mail
        proved the address, so it counts as verified from now on.
        """
        verification.reset_password(body["token"], body["new_password"])


@blp.route("/me/email-change")
class EmailChangeRequests(MethodView):
    @login_required
    @blp.arguments(EmailChangeSchema)
    @blp.response(202)
    @blp.alt_response(409, response="CONFLICT", description="`email_taken`: another account has the address.")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, change):
        """Ask to change my email address

        Needs the current password (wrong: 422, and it counts towards the
        login lock-out). A token goes to the new address; the address changes
        only when it is confirmed (POST /auth/email-change/confirm).
        """
        principal = current_principal()
        with guarded_password_check(principal.email, request.remote_addr,
                                    failure=services.WrongCurrentPassword):
            verification.request_email_change(principal.user_id, change["current_password"], change["new_email"])


@blp.route("/auth/email-change/confirm")
class EmailChange(MethodView):
    @blp.arguments(MailedTokenSchema)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND", description="`token_not_found`: no such token.")
    @blp.alt_response(409, response="CONFLICT", description="`token_used`, or `email_taken` by another "
                                                             "account since the request.")
    @blp.alt_response(410, description="`token_expired`, or `token_replaced` by a newer mail.")
    def post(self, body):
        """Confirm a new email address with the token mailed to it

        The account switches to the new address, verified, and the previous
        address is told by mail.
        """
        verification.confirm_email_change(body["token"])


@blp.route("/operator/users")
class OperatorUsers(MethodView):
    @operator_required
    @blp.arguments(UserFilterSchema, location="query")
    @blp.response(200, UserSchema(many=True))
    @paginated(blp)
    def get(self, filters, page_request):
        """Every user account (operators only)"""
        return services.list_users(page_request, email_contains=filters.get("email"))
