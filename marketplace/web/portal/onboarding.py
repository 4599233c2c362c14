"""Becoming a seller: the entry point, the application, waiting for approval, connecting payouts.

The first product is the products page's own form; the dashboard shows the
four steps (`onboarding_steps`) until they are all done.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TextAreaField

from billing import payout_accounts
from billing.gateway.port import GatewayError
from billing.gateway.registry import current_gateway
from marketplace.accounts import services as accounts
from marketplace.accounts.models import MemberRole
from marketplace.catalog import services as catalog
from marketplace.core.errors import NotFound
from marketplace.core.pagination import PageRequest
from marketplace.payouts.api import PORTAL_PAYOUTS_PATH, PayoutGatewayUnavailable, seller_country
from marketplace.sellers import applications
from marketplace.sellers.models import ApplicationStatus
from marketplace.sellers.schemas import ApplicationCreateSchema
from marketplace.web.auth import login_required, safe_next, viewer
from marketplace.web.portal.access import current_seat, seller_page
from marketplace.web.portal.blueprint import blp
from marketplace.web.forms import load, show_errors, submitted_values, text
from tenants.models import TenantRef

APPLICATION_FIELDS = ["shop_name", "wanted_slug", "contact_email", "country", "currency", "description"]
LATEST = PageRequest(number=1, size=1)
TEST_ONBOARDING_PATH = "/api/v1/test-gateway/accounts/"
# The pages outside any store live under a reserved word (tenants.slugs), so that no store's address is shadowed.
NOT_A_SLUG = "new"


class ApplicationForm(FlaskForm):
    shop_name = StringField("Shop name")
    wanted_slug = StringField("Shop address")
    contact_email = EmailField("Contact email")
    country = StringField("Country (two letters, e.g. PT)")
    currency = StringField("Currency (e.g. EUR)")
    description = TextAreaField("What you sell")


class ConnectForm(FlaskForm):
    country = StringField("Country of your business (two letters)")


class EmptyForm(FlaskForm):
    """A form with nothing but its CSRF token."""


@dataclass(frozen=True)
class Step:
    name: str
    done: bool
    url: str | None = None


@blp.get("", endpoint="dashboard")  # the name the layout links /portal by
@login_required
def entry():
    """Where a seller starts: its store, the choice of its stores, its application, or the application form."""
    memberships = accounts.get_profile(viewer().user_id).memberships
    if len(memberships) == 1:
        return redirect(url_for("portal.seller_dashboard", slug=memberships[0].slug))
    if memberships:
        return render_template("portal/index.html", memberships=memberships)
    if latest_application() is not None:
        return application_status()
    return _application_form()


@blp.route(f"/{NOT_A_SLUG}", methods=["GET", "POST"])
@login_required
def apply():
    form = ApplicationForm()
    if request.method == "GET":
        return _application_form()
    if not viewer().email_verified:
        form.form_errors.append("Verify your email address first: follow the link we mailed you.")
        return _application_form(form), 403
    values = load(form, ApplicationCreateSchema(), submitted_values(form, APPLICATION_FIELDS))
    if values is None:
        return _application_form(form), 422
    try:
        applications.apply_for_shop(viewer().user_id, **values)
    except applications.SlugUnavailable as refusal:  # its message names a free slug
        show_errors(form, {"wanted_slug": [refusal.message]})
        return _application_form(form), refusal.status
    flash("Thank you: we received your application.", "success")
    return redirect(url_for("portal.application_status"))


@blp.get(f"/{NOT_A_SLUG}/application")
@login_required
def application_status():
    application = latest_application()
    if application is None:
        return redirect(url_for("portal.apply"))
    return render_template("portal/application.html", application=application,
                           steps=steps_before_approval(application))


def _application_form(form: ApplicationForm | None = None):
    if form is None:
        form = ApplicationForm()
        form.contact_email.data = viewer().email
    return render_template("portal/apply.html", form=form, steps=steps_before_approval(None))


def latest_application():
    page = applications.list_my_applications(viewer().user_id, LATEST)
    return page.items[0] if page.items else None


def steps_before_approval(application) -> list[Step]:
    approved = application is not None and application.status is ApplicationStatus.APPROVED
    return [Step("Apply", application is not None), Step("Approval", approved),
            Step("Connect payouts", False), Step("First product", False)]


def onboarding_steps(tenant: TenantRef) -> list[Step]:
    """The four steps of a new seller, for its owner's dashboard: shown until payouts and a first product are done."""
    account = payout_accounts.get_payout_account(tenant.id)
    payouts_done = account is not None and account.payouts_enabled
    has_product = catalog.list_products(tenant, LATEST).total > 0
    return [Step("Apply", True), Step("Approval", True),
            Step("Connect payouts", payouts_done, url_for("portal.payouts", slug=tenant.slug)),
            Step("First product", has_product, url_for("portal.new_product", slug=tenant.slug))]


# Payouts: the processor's account, opened and onboarded by the owner

@blp.route("/<slug>/payouts", methods=["GET", "POST"])
@seller_page(MemberRole.OWNER)
def payouts(slug):
    tenant = current_seat().tenant
    form = ConnectForm()
    if request.method == "POST":
        country = text(form.country).upper() or seller_country(tenant.id)
        try:
            _, link = payout_accounts.open_payout_account(
                current_gateway(), tenant.id, email=viewer().email, country=country,
                refresh_url=_portal_payouts_url(), return_url=_portal_payouts_url())
        except payout_accounts.CountryRequired as error:
            form.country.errors = [str(error)]
        except GatewayError as error:
            if error.code != "country_unsupported":
                raise PayoutGatewayUnavailable() from error
            form.country.errors = [error.message]
        else:
            return redirect(_onboarding_destination(link.url))
        return render_template("portal/payouts.html", form=form, account=_account(tenant)), 422
    return render_template("portal/payouts.html", form=form, account=_account(tenant))


@blp.get("/payouts")
@login_required
def payouts_return():
    """Where the processor sends an owner back (PORTAL_PAYOUTS_PATH): the payouts page of the store they own."""
    owned = [membership for membership in accounts.get_profile(viewer().user_id).memberships
             if membership.role is MemberRole.OWNER]
    if len(owned) != 1:
        return redirect(url_for("portal.dashboard"))
    return redirect(url_for("portal.payouts", slug=owned[0].slug))


@blp.route(f"/{NOT_A_SLUG}/test-gateway/<account_id>", methods=["GET", "POST"])
@login_required
def test_gateway_onboarding(account_id):
    """The test processor's hosted onboarding (PAYMENT_GATEWAY=test only): finishing it sends `account.updated`."""
    if current_app.config["PAYMENT_GATEWAY"] != "test":
        raise NotFound("There is no test payment processor here.")
    back = safe_next(request.args.get("return_url"), PORTAL_PAYOUTS_PATH)
    form = EmptyForm()
    if request.method == "POST":
        try:
            current_gateway().complete_onboarding(account_id)
        except GatewayError as error:
            raise NotFound("There is no connected account with this id.") from error
        flash("Onboarding sent to the payment processor. Your status changes once it confirms.", "info")
        return redirect(back)
    return render_template("portal/test_gateway.html", form=form, account_id=account_id)


def _account(tenant: TenantRef):
    return payout_accounts.get_payout_account(tenant.id)


def _portal_payouts_url() -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + PORTAL_PAYOUTS_PATH


def _onboarding_destination(link_url: str) -> str:
    """Stripe's hosted page as given; the test gateway's API address becomes its page in the portal."""
    parts = urlsplit(link_url)
    if not parts.path.startswith(TEST_ONBOARDING_PATH):
        return link_url
    account_id = parts.path[len(TEST_ONBOARDING_PATH):].split("/")[0]
    return_url = urlsplit(parse_qs(parts.query).get("return_url", [PORTAL_PAYOUTS_PATH])[0]).path
    return url_for("portal.test_gateway_onboarding", account_id=account_id, return_url=return_url)

