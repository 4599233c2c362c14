"""The buyer's account: profile and password at `/account`, the address book at `/account/addresses`."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from marketplace.accounts import services as accounts
from marketplace.accounts.ratelimit import guarded_password_check
from marketplace.accounts.schemas import PasswordChangeSchema, ProfileUpdateSchema
from marketplace.addresses import services as addresses
from marketplace.addresses.schemas import AddressInputSchema
from marketplace.core.errors import ApiError, RateLimited, ValidationFailed
from marketplace.core.pagination import PageRequest
from marketplace.web.auth import login_required, safe_next, viewer
from marketplace.web.storefront.account_forms import COUNTRY_HINT, PASSWORD_HINT, AddressForm, PasswordForm, ProfileForm
from marketplace.web.storefront.blueprint import blp
from marketplace.web.forms import show_errors
from marketplace.web.storefront.form_checks import loaded

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")
ADDRESS_BOOK_PAGE = PageRequest(number=1, size=100)


@blp.route("/account", methods=["GET", "POST"])
@login_required
def account_page():
    """The buyer's name, and a password change (other logins end; this one stays)."""
    principal = viewer()
    profile = accounts.get_profile(principal.user_id)
    profile_form = ProfileForm(prefix="profile", full_name=profile.full_name)
    password_form = PasswordForm(prefix="password")
    status = 200
    changing = request.form.get("form") if request.method == "POST" else None
    if changing in ("profile", "password"):
        refused = (_change_name(profile_form, principal.user_id) if changing == "profile"
                   else _change_password(password_form, principal))
        if refused is None:
            return redirect(url_for("shop.account_page"), 303)
        status = refused
    return render_template("storefront/account.html", profile=profile, profile_form=profile_form,
                           password_form=password_form, password_hint=PASSWORD_HINT), status


def _change_name(form: ProfileForm, user_id: int) -> int | None:
    """Save the new name; None once saved, else the status of the form shown again with its errors."""
    if not form.validate_on_submit():
        return 422
    values = loaded(form, ProfileUpdateSchema(), ("full_name",))
    if values is None:
        return 422
    accounts.update_profile(user_id, values["full_name"])
    flash("Your name is saved.", "success")
    return None


def _change_password(form: PasswordForm, principal) -> int | None:
    """Change the password (checked against the login rate limits); None once changed, else the form's status."""
    if not form.validate_on_submit():
        return 422
    values = loaded(form, PasswordChangeSchema(), ("current_password", "new_password"))
    if values is None:
        return 422
    try:
        with guarded_password_check(principal.email, request.remote_addr, failure=accounts.WrongCurrentPassword):
            accounts.change_password(principal.user_id, principal.token_id, values["current_password"],
                                     values["new_password"])
    except RateLimited as refusal:
        form.form_errors.append(refusal.message)
        return 429
    except ValidationFailed as refusal:
        show_errors(form, refusal.errors)
        return 422
    flash("Your password is changed. Your other logins have ended.", "success")
    return None


@blp.get("/account/addresses")
@login_required
def addresses_page():
    book = addresses.list_addresses(viewer().user_id, ADDRESS_BOOK_PAGE).items
    return render_template("storefront/addresses.html", addresses=book)


@blp.route("/account/addresses/new", methods=["GET", "POST"])
@login_required
def new_address_page():
    form = AddressForm()
    if form.is_submitted():
        saved = _save_address(form, lambda values: addresses.add_address(viewer().user_id, values))
        if saved is not None:
            flash("The address is saved.", "success")
            return redirect(safe_next(request.args.get("next"), url_for("shop.addresses_page")))
        return _render_address_form(form, None), 422
    return _render_address_form(form, None)


@blp.route("/account/addresses/<id:address_id>/edit", methods=["GET", "POST"])
@login_required
def edit_address_page(address_id: int):
    address = addresses.get_address(viewer().user_id, address_id)
    form = AddressForm(data={name: address[name] or "" for name in ADDRESS_FIELDS})
    if form.is_submitted():
        saved = _save_address(form, lambda values: addresses.change_address(viewer().user_id, address_id, values))
        if saved is not None:
            flash("The address is saved.", "success")
            return redirect(url_for("shop.addresses_page"))
        return _render_address_form(form, address), 422
    return _render_address_form(form, address)


@blp.post("/account/addresses/<id:address_id>/default")
@login_required
def default_address(address_id: int):
    addresses.make_default(viewer().user_id, address_id)
    flash("This is now your default address.", "success")
    return redirect(url_for("shop.addresses_page"))


@blp.post("/account/addresses/<id:address_id>/delete")
@login_required
def delete_address(address_id: int):
    addresses.delete_address(viewer().user_id, address_id)
    flash("The address is deleted.", "success")
    return redirect(url_for("shop.addresses_page"))


def _save_address(form: AddressForm, save) -> dict | None:
    """Check the form with the API's schema, then save it; None with the errors beside the fields."""
    if not form.validate_on_submit():
        return None
    values = loaded(form, AddressInputSchema(), ADDRESS_FIELDS, blanks_as_none=("phone",))
    if values is None:
        return None
    try:
        return save(values)
    except ValidationFailed as refusal:  # the country's rules: postal code, region
        show_errors(form, refusal.errors)
        if not refusal.errors:
            form.form_errors.append(refusal.message)
        return None
    except ApiError as refusal:  # too many addresses
        if refusal.status == 404:
            raise
        form.form_errors.append(refusal.message)
        return None


def _render_address_form(form: AddressForm, address: dict | None):
    return render_template("storefront/address_form.html", form=form, address=address, country_hint=COUNTRY_HINT)
