"""The accounts API: registration, tokens, the current user, operators' user list, seller members."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from marketplace import openapi_examples as examples
from marketplace.accounts import services
from marketplace.accounts.permissions import (
    current_principal, current_tenant, login_required, member_required, operator_required,
)
from marketplace.accounts.ratelimit import guarded_password_check
from marketplace.accounts.schemas import (
    CredentialsSchema, MemberSchema, PasswordChangeSchema, ProfileSchema, ProfileUpdateSchema,
    RegistrationSchema, TokenSchema, UserFilterSchema, UserSchema,
)
from marketplace.pagination import paginated

blp = Blueprint("accounts", __name__, description="Registration, tokens, the current user and seller members")


@blp.route("/auth/register")
class Registration(MethodView):
    @blp.arguments(RegistrationSchema, example=examples.REGISTRATION)
    @blp.response(201, UserSchema, example=examples.USER)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, registration):
        """Register an account

        Emails are unique in any letter case. A welcome notification follows.
        """
        return services.register_user(registration["email"], registration["password"], registration["full_name"])


@blp.route("/auth/token")
class Tokens(MethodView):
    @blp.arguments(CredentialsSchema, example=examples.CREDENTIALS)
    @blp.response(201, TokenSchema, example=examples.TOKEN)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, credentials):
        """Log in

        Exchanges an email and password for a bearer token. Repeated failures
        lock the account for a while (429 with Retry-After).
        """
        with guarded_password_check(credentials["email"], request.remote_addr,
                                    failure=services.InvalidCredentials):
            return services.issue_token(credentials["email"], credentials["password"],
                                        current_app.config["TOKEN_TTL_SECONDS"])

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


@blp.route("/operator/users")
class OperatorUsers(MethodView):
    @operator_required
    @blp.arguments(UserFilterSchema, location="query")
    @blp.response(200, UserSchema(many=True))
    @paginated(blp)
    def get(self, filters, page_request):
        """Every user account (operators only)"""
        return services.list_users(page_request, email_contains=filters.get("email"))


@blp.route("/sellers/<slug>/members")
class SellerMembers(MethodView):
    @member_required(allow_operators=True)
    @blp.response(200, MemberSchema(many=True))
    @paginated(blp)
    def get(self, slug, page_request):
        """The seller's members and their roles (members and operators)"""
        return services.list_members(current_tenant().id, page_request)
