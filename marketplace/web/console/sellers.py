"""Seller applications and tenants: approve or reject; search, activate, suspend, resume, close, change the plan."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.core.pagination import PageRequest
from marketplace.plans import services as plans
from marketplace.sellers import administration, applications
from marketplace.sellers.lifecycle import TenantAction
from marketplace.sellers.models import ApplicationStatus
from marketplace.sellers.schemas import MAX_REASON_LENGTH
from marketplace.web.auth import viewer
from marketplace.web.console.blueprint import blp
from marketplace.web.console.forms import choices
from marketplace.web.forms import saved, text
from marketplace.web.formatting import money
from marketplace.web.pages import page_links, page_request
from tenants.models import TenantStatus
from tenants.registry import get_tenant_by_slug

# A select lists every plan: there are a handful, never a page of them.
ALL_PLANS = PageRequest(number=1, size=100)


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=MAX_REASON_LENGTH)])


class ClosureForm(ReasonForm):
    confirmed = BooleanField("I understand that closing is final: the shop is delisted and its members shut out.",
                             validators=[DataRequired(message="Tick this box to close the shop.")])


class TenantSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField("Slug or name contains", validators=[Optional(), Length(max=120)])
    status = SelectField("Status", choices=choices([("", "Any"), *((status.value, status.value.capitalize())
                                                                      for status in TenantStatus)]),
                         validators=[Optional()])


class PlanChoiceForm(FlaskForm):
    plan_id = SelectField("Plan from the next period", coerce=int)


# --- applications ---

@blp.get("/applications")
def applications_queue():
    status = _application_status(request.args.get("status", "pending"))
    asked = page_request()
    page = applications.list_applications(asked, status=status)
    return render_template("console/applications.html", page=page, links=page_links(page, asked), status=status,
                           statuses=list(ApplicationStatus))


@blp.post("/applications/<int:application_id>/approve")
def approve_application(application_id: int):
    decided = applications.approve_application(application_id, viewer().user_id)
    flash(f"Approved: {decided.shop_name} is open as the seller {decided.tenant_slug}.", "success")
    return redirect(url_for("console.applications_queue"))


@blp.route("/applications/<int:application_id>/reject", methods=["GET", "POST"])
def reject_application(application_id: int):
    application = _pending_application(application_id)
    form = ReasonForm()
    if form.validate_on_submit():
        applications.reject_application(application_id, viewer().user_id, text(form.reason))
        flash(f"Rejected: {application.shop_name}. The applicant is told why.", "success")
        return redirect(url_for("console.applications_queue"))
    return render_template("console/application_reject.html", application=application,
                           form=form), 422 if form.is_submitted() else 200


def _application_status(value: str) -> ApplicationStatus | None:
    return ApplicationStatus(value) if value in {status.value for status in ApplicationStatus} else None


def _pending_application(application_id: int) -> applications.ApplicationView:
    """The application to decide; an unknown or decided one is the service's 404 or 409 (as a page)."""
    found = applications.get_application(application_id)
    if found.status is not ApplicationStatus.PENDING:
        raise applications.ApplicationAlreadyDecided(found.status)
    return found


# --- tenants ---

@blp.get("/tenants")
def tenants():
    """Every seller, searched by slug or name and by status, a page at a time (one count and one page query)."""
    search = TenantSearchForm(request.args)
    search.validate()
    status = TenantStatus(search.status.data) if search.status.data and not search.status.errors else None
    contains = text(search.q) if not search.q.errors else ""
    asked = page_request()
    page = administration.list_tenants(asked, status=status, text_contains=contains or None)
    return render_template("console/tenants.html", page=page, links=page_links(page, asked), search=search)


@blp.get("/tenants/<slug>")
def tenant(slug: str):
    return _tenant_page(slug)


@blp.post("/tenants/<slug>/suspend")
def suspend_tenant(slug: str):
    return _change_status(slug, TenantAction.SUSPEND, ReasonForm(prefix="suspend"), "Suspended")


@blp.post("/tenants/<slug>/resume")
def resume_tenant(slug: str):
    administration.change_tenant_status(slug, TenantAction.RESUME, viewer().user_id)
    flash(f"Resumed: {slug} is back for buyers.", "success")
    return redirect(url_for("console.tenant", slug=slug))


@blp.post("/tenants/<slug>/activate")
def activate_tenant(slug: str):
    administration.change_tenant_status(slug, TenantAction.ACTIVATE, viewer().user_id)
    flash(f"Activated: {slug} is open to buyers.", "success")
    return redirect(url_for("console.tenant", slug=slug))


@blp.post("/tenants/<slug>/close")
def close_tenant(slug: str):
    return _change_status(slug, TenantAction.CLOSE, ClosureForm(prefix="close"), "Closed")


@blp.post("/tenants/<slug>/plan")
def change_tenant_plan(slug: str):
    form = _plan_form(PlanChoiceForm())
    if form.validate_on_submit() and saved(form, lambda: plans.change_tenant_plan(viewer().user_id, slug,
                                                                                 form.plan_id.data)):
        flash(f"{slug} moves to {plans.get_plan(form.plan_id.data).name} from the next period.", "success")
        return redirect(url_for("console.tenant", slug=slug))
    return _tenant_page(slug, plan_form=form, status=422)


def _change_status(slug: str, action: TenantAction, form: ReasonForm, done: str):
    """Suspend or close with the form's reason; a refusal (open orders, say) is shown on the form."""
    if form.validate_on_submit() and saved(form, lambda: administration.change_tenant_status(
            slug, action, viewer().user_id, text(form.reason))):
        flash(f"{done}: {slug}.", "success")
        return redirect(url_for("console.tenant", slug=slug))
    forms = {"suspend_form": form} if action is TenantAction.SUSPEND else {"close_form": form}
    return _tenant_page(slug, status=422, **forms)


def _tenant_page(slug: str, status: int = 200, **forms):
    detail = administration.get_tenant(slug)  # 404 page for an unknown slug
    tenant_plan = plans.get_tenant_plan(get_tenant_by_slug(slug))
    forms.setdefault("suspend_form", ReasonForm(prefix="suspend", formdata=None))
    forms.setdefault("close_form", ClosureForm(prefix="close", formdata=None))
    forms.setdefault("plan_form", _plan_form(PlanChoiceForm(formdata=None,
                                                            plan_id=(tenant_plan.next_plan or tenant_plan.plan).id)))
    return render_template("console/tenant.html", tenant=detail, tenant_plan=tenant_plan, **forms), status


def _plan_form(form: PlanChoiceForm) -> PlanChoiceForm:
    form.plan_id.choices = choices((plan.id, _plan_label(plan)) for plan in plans.list_plans(ALL_PLANS).items)
    return form


def _plan_label(plan: plans.PlanDetails) -> str:
    if not plan.monthly_fee_amount:
        return f"{plan.name} (free)"
    return f"{plan.name} ({money(plan.monthly_fee_amount, plan.currency)} a month)"
