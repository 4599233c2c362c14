"""The seller's team and storefront: members and invites, storefront settings, shipping rates.

Members read all of it; managers and owners invite (managers only staff,
as the service decides), change the settings and the rates, as in the API.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from marketplace.accounts.models import MemberRole
from marketplace.core.errors import ApiError, Forbidden
from marketplace.sellers import members
from marketplace.sellers.schemas import InviteCreateSchema, StorefrontSettingsPatchSchema
from marketplace.shipping import services as shipping
from marketplace.shipping.schemas import ShippingRateInputSchema
from marketplace.storefront import settings as storefront_settings
from marketplace.web.auth import viewer
from marketplace.web.pages import page_links, page_request
from marketplace.web.portal.access import current_seat, seller_page
from marketplace.web.portal.blueprint import blp
from marketplace.web.forms import load, show_service_error, submitted_values
from marketplace.web.portal.forms import minor_units

SETTINGS_FIELDS = ["display_name", "description", "logo_url", "banner_url", "support_email", "shipping_policy",
                   "returns_policy", "acceptance_hours"]


class InviteForm(FlaskForm):
    email = EmailField("Email")
    role = SelectField("Role", choices=[SelectChoice(role.value, role.value.capitalize()) for role in MemberRole],
                       default=MemberRole.STAFF.value)


class SettingsForm(FlaskForm):
    display_name = StringField("Store name")
    description = TextAreaField("Description")
    logo_url = StringField("Logo URL")
    banner_url = StringField("Banner URL")
    support_email = EmailField("Support email")
    shipping_policy = TextAreaField("Shipping policy")
    returns_policy = TextAreaField("Returns policy")
    acceptance_hours = StringField("Hours to accept an order")


class RateForm(FlaskForm):
    name = StringField("Name shown to buyers")
    countries = StringField("Countries (two-letter codes separated by commas, or * for the rest of the world)")
    amount = StringField("Price")


# Members and invites

@blp.route("/<slug>/team", methods=["GET", "POST"])
@seller_page()
def team(slug):
    form = InviteForm()
    status = 200
    if request.method == "POST":
        _require_manager()
        values = load(form, InviteCreateSchema(), {"email": form.email.data or "", "role": form.role.data})
        if values is not None:
            try:
                invite = members.invite_member(current_seat().tenant, viewer().user_id, **values)
            except ApiError as refusal:
                show_service_error(form, refusal, "role" if refusal.status == 403 else "email")
            else:
                flash(f"Invite mailed to {invite.email}.", "success")
                return redirect(url_for("portal.team", slug=slug))
        status = 422
    return _team_page(form), status


@blp.post("/<slug>/team/invites/<int:invite_id>/revoke")
@seller_page(MemberRole.MANAGER)
def revoke_invite(slug, invite_id):
    members.revoke_invite(current_seat().tenant, viewer().user_id, invite_id)  # another's grant: a 403 page
    flash("Invite withdrawn.", "success")
    return redirect(url_for("portal.team", slug=slug))


@blp.post("/<slug>/team/<int:user_id>/role")
@seller_page(MemberRole.OWNER)
def change_role(slug, user_id):
    role = request.form.get("role", "")
    if role not in MemberRole._value2member_map_:
        flash("Choose owner, manager or staff.", "error")
    else:
        # Demoting the last owner is a 409 page.
        members.change_member_role(current_seat().tenant, viewer().user_id, user_id, MemberRole(role))
        flash("Role changed.", "success")
    return redirect(url_for("portal.team", slug=slug))


@blp.post("/<slug>/team/<int:user_id>/remove")
@seller_page(MemberRole.OWNER)
def remove_member(slug, user_id):
    members.remove_member(current_seat().tenant, viewer().user_id, user_id)  # the last owner: a 409 page
    flash("Member removed.", "success")
    return redirect(url_for("portal.team", slug=slug))


def _team_page(form: InviteForm):
    tenant = current_seat().tenant
    asked = page_request()
    page = members.list_members(tenant.id, asked)
    invites = members.list_invites(tenant, page_request()) if current_seat().may("manager") else None
    return render_template("portal/team.html", page=page, links=page_links(page, asked),
                           invites=invites, form=form)


# Storefront settings

@blp.route("/<slug>/settings", methods=["GET", "POST"])
@seller_page()
def settings(slug):
    tenant = current_seat().tenant
    status = 200
    if request.method == "POST":
        _require_manager()
        form = SettingsForm()
        values = load(form, StorefrontSettingsPatchSchema(), submitted_values(form, SETTINGS_FIELDS))
        if values is not None:
            try:
                storefront_settings.save_storefront_settings(
                    tenant, viewer().user_id, values, replace=False,
                    domain_verification_ttl=timedelta(days=current_app.config["DOMAIN_VERIFICATION_DAYS"]))
            except ApiError as refusal:
                show_service_error(form, refusal)
            else:
                flash("Storefront settings saved.", "success")
                return redirect(url_for("portal.settings", slug=slug))
        status = 422
    else:
        form = SettingsForm(data=storefront_settings.get_storefront_settings(tenant))
    rates = shipping.list_rates(tenant, page_request())
    return render_template("portal/settings.html", form=form, rates=rates,
                           rate_form=RateForm(formdata=None)), status


@blp.post("/<slug>/settings/shipping-rates")
@seller_page(MemberRole.MANAGER)
def add_rate(slug):
    tenant = current_seat().tenant
    form = RateForm()
    countries = [code.strip().upper() for code in (form.countries.data or "").split(",") if code.strip()]
    values = load(form, ShippingRateInputSchema(), {
        "name": form.name.data or "", "countries": countries, "kind": "flat",
        **({"amount": minor_units(form.amount.data, tenant.currency)} if form.amount.data else {})})
    if values is not None:
        try:
            shipping.create_rate(tenant, viewer().user_id, values)
        except ApiError as refusal:
            show_service_error(form, refusal)
        else:
            flash("Shipping rate added.", "success")
            return redirect(url_for("portal.settings", slug=slug))
    return render_template("portal/settings.html",
                           form=SettingsForm(data=storefront_settings.get_storefront_settings(tenant)),
                           rates=shipping.list_rates(tenant, page_request()), rate_form=form), 422


@blp.post("/<slug>/settings/shipping-rates/<int:rate_id>/delete")
@seller_page(MemberRole.MANAGER)
def delete_rate(slug, rate_id):
    shipping.delete_rate(current_seat().tenant, viewer().user_id, rate_id)
    flash("Shipping rate deleted.", "success")
    return redirect(url_for("portal.settings", slug=slug))


def _require_manager() -> None:
    """The write half of a page that staff may read: managers and owners only, as the API's write endpoint."""
    if not current_seat().may("manager"):
        raise Forbidden("Only members with the role manager or above may do this.")
