"""Logging in to the pages: one login for buyers, sellers and operators, kept in the page session.

Logging in issues the same revocable token the API gives (accounts
services); the page session holds it, so logging out, a password change or
an operator disabling the account ends the page login too. Every page
request re-checks the token, and a principal found there is the one the
permission helpers of the API read (`g.principal`).
"""
from __future__ import annotations

from functools import wraps
from typing import Callable
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from marshmallow import ValidationError as SchemaRefusal
from sqlalchemy.exc import IntegrityError
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from marketplace.accounts import services
from marketplace.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from marketplace.accounts.ratelimit import guarded_password_check
from marketplace.accounts.schemas import MAX_FULL_NAME_LENGTH
from marketplace.accounts.services import InvalidCredentials, InvalidToken, Principal
from marketplace.core.errors import RateLimited
from marketplace.core.fields import MAX_EMAIL_LENGTH, EmailAddress
from marketplace.web.errors import error_page

blp = Blueprint("web_auth", __name__, template_folder="templates")

TOKEN_KEY = "token"


def api_email(form, field) -> None:
    """The API's rule for an address (marketplace.core.fields.EmailAddress), normalised the same way.

    Not WTForms' Email(): its email-validator refuses special-use domains
    (`.test`, `.example`) the API accepts, so the demo's logins would fail here.
    """
    try:
        field.data = EmailAddress().deserialize(field.data)
    except SchemaRefusal as refusal:
        raise ValidationError(" ".join(refusal.messages)) from refusal


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=MAX_EMAIL_LENGTH), api_email])
    password = PasswordField("Password", validators=[DataRequired()])


class RegisterForm(FlaskForm):
    full_name = StringField("Full name", validators=[DataRequired(), Length(max=MAX_FULL_NAME_LENGTH)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=MAX_EMAIL_LENGTH), api_email])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)])


def viewer() -> Principal | None:
    """The logged-in user of this page request, or None (a revoked or expired login is forgotten)."""
    if "viewer" not in g:
        g.viewer = None
        token = session.get(TOKEN_KEY)
        if token:
            try:
                g.viewer = services.authenticate_token(token)
            except InvalidToken:
                session.pop(TOKEN_KEY, None)
        if g.viewer is not None:
            g.principal = g.viewer
            g.user_id = g.viewer.user_id
    return g.viewer


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):
        if viewer() is None:
            return redirect(url_for("web_auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapper


def operator_required(view: Callable) -> Callable:
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not viewer().is_operator:
            return error_page(403, "Only the platform's operators can open the console.")
        return view(*args, **kwargs)
    return wrapper


def safe_next(target: str | None, default: str = "/") -> str:
    """A path on this site to go back to after logging in; anything else (another host, `//evil`) is `default`."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def log_in_session(token: str) -> None:
    session.clear()  # a new session on login: nothing from before survives it (fixation)
    session[TOKEN_KEY] = token
    session.permanent = True


@blp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            with guarded_password_check(form.email.data, request.remote_addr, failure=InvalidCredentials):
                issued = services.issue_token(form.email.data, form.password.data,
                                              current_app.config["TOKEN_TTL_SECONDS"])
        except RateLimited as refusal:
            form.form_errors.append(refusal.message)
            status = 429
        except InvalidCredentials:
            form.form_errors.append("The email or password is wrong.")
            status = 401
        else:
            log_in_session(issued.access_token)
            flash("You are logged in.", "success")
            return redirect(safe_next(request.args.get("next")))
    elif form.is_submitted():
        status = 422
    return render_template("web/login.html", form=form), status


@blp.route("/logout", methods=["POST"])
def logout():
    principal = viewer()
    if principal is not None:
        services.revoke_token(principal.token_id)
    session.clear()
    flash("You are logged out.", "success")
    return redirect(url_for("shop.home"))


@blp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.register_user(form.email.data, form.password.data, form.full_name.data)
        except IntegrityError:  # the unique index on lower(email) decides, as for the API
            form.email.errors.append("An account with this email exists: log in instead.")
            status = 409
        else:
            issued = services.issue_token(form.email.data, form.password.data,
                                          current_app.config["TOKEN_TTL_SECONDS"])
            log_in_session(issued.access_token)
            flash("Welcome! We mailed you a link to verify your email address.", "success")
            return redirect(safe_next(request.args.get("next")))
    elif form.is_submitted():
        status = 422
    return render_template("web/register.html", form=form), status
