"""Joining a seller's team from the portal: the code of the invite mail, typed by the account it was mailed to.

The same service as `POST /api/v1/member-invites/accept`, with its rules
(only the invited address, once verified; once; not after it expired or was
withdrawn) and its per-address rate limit; each refusal is told beside the code.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField

from marketplace.core import rate_limits
from marketplace.core.errors import ApiError
from marketplace.sellers import members
from marketplace.web.auth import login_required, viewer
from marketplace.web.forms import show_service_error
from marketplace.web.portal.blueprint import blp
from marketplace.web.portal.onboarding import NOT_A_SLUG

UNVERIFIED_MESSAGE = "Verify your email address first: follow the link we mailed you."


class InviteCodeForm(FlaskForm):
    code = StringField("Invite code")


@blp.route(f"/{NOT_A_SLUG}/invite", methods=["GET", "POST"])
@login_required
@rate_limits.invite_acceptance
def accept_invite():
    form = InviteCodeForm()
    if not form.validate_on_submit():
        return render_template("portal/invite.html", form=form)
    code = (form.code.data or "").strip()
    if not code:
        form.code.errors.append("Enter the code from your invite mail.")
    elif not viewer().email_verified:
        form.form_errors.append(UNVERIFIED_MESSAGE)
    else:
        try:
            membership = members.accept_invite(code, viewer().user_id)
        except ApiError as refusal:
            show_service_error(form, refusal, "code")
        else:
            flash(f"Welcome to the team of {membership.display_name}, as {membership.role.value}.", "success")
            return redirect(url_for("portal.seller_dashboard", slug=membership.slug))
    return render_template("portal/invite.html", form=form), 422
