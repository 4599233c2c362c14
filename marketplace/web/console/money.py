"""Plans, payout runs, the ledger, reconciliation, revenue and disputes: marketplace/plans and marketplace/finance."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Optional

from billing.ledger_models import TransactionKind
from billing.revenue import PERIODS
from marketplace.core.errors import ValidationFailed
from marketplace.finance import services as finance
from marketplace.finance.schemas import LedgerQuerySchema
from marketplace.plans import services as plan_services
from marketplace.plans.schemas import PlanChangeSchema, PlanInputSchema
from marketplace.web.auth import viewer
from marketplace.web.console.blueprint import blp
from marketplace.web.console.charts import revenue_chart
from marketplace.web.console.forms import choices
from marketplace.web.forms import load, saved, show_service_error, text
from marketplace.web.console.reads import list_disputes
from marketplace.web.pages import page_links, page_request
from tenants.db import utcnow

LEDGER_FILTERS = ("kind", "seller", "order_id")
# How far back the revenue chart looks, per period: a readable number of bars (every year for `year`).
REVENUE_WINDOWS = {"day": timedelta(days=31), "week": timedelta(weeks=26), "month": timedelta(days=731), "year": None}


class PlanForm(FlaskForm):
    name = StringField("Name")
    monthly_fee_amount = IntegerField("Monthly fee in minor units", default=0, validators=[Optional()])
    currency = StringField("Fee currency")
    commission_basis_points = IntegerField("Commission in basis points", validators=[Optional()])
    product_limit = IntegerField("Product limit", validators=[Optional()])


class LedgerFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    kind = SelectField("Kind", choices=choices([("", "Any"), *((kind.value, kind.value) for kind in TransactionKind)]),
                       default="")
    seller = StringField("Seller (slug)")
    order_id = StringField("Order id")
    occurred_from = DateField("From (UTC day)", validators=[Optional()])
    occurred_until = DateField("Until (UTC day, included)", validators=[Optional()])


class RevenueForm(FlaskForm):
    class Meta:
        csrf = False

    period = SelectField("Period", choices=choices((period, period.capitalize()) for period in PERIODS),
                         default="month")


# --- plans ---

@blp.route("/plans", methods=["GET", "POST"])
def plans():
    form = PlanForm()
    if form.validate_on_submit():
        values = load(form, PlanInputSchema(), _plan_values(form))
        if values is not None and saved(form, lambda: plan_services.create_plan(viewer().user_id, **values)):
            flash(f"Plan {values['name']} added.", "success")
            return redirect(url_for("console.plans"))
    asked = page_request()
    page = plan_services.list_plans(asked)
    return render_template("console/plans.html", page=page, links=page_links(page, asked),
                           form=form), 422 if form.is_submitted() else 200


@blp.route("/plans/<int:plan_id>", methods=["GET", "POST"])
def plan(plan_id: int):
    current = plan_services.get_plan(plan_id)
    form = PlanForm(obj=current)
    if form.validate_on_submit():
        values = load(form, PlanChangeSchema(), _plan_values(form))
        if values is not None and saved(form, lambda: plan_services.change_plan_terms(viewer().user_id, plan_id,
                                                                                      values)):
            flash(f"Plan {form.name.data} saved: its sellers have the new terms at once.", "success")
            return redirect(url_for("console.plans"))
    return render_template("console/plan.html", plan=current, form=form), 422 if form.is_submitted() else 200


def _plan_values(form: PlanForm) -> dict:
    return {"name": text(form.name), "monthly_fee_amount": form.monthly_fee_amount.data or 0,
            "currency": text(form.currency).upper() or None,
            "commission_basis_points": form.commission_basis_points.data, "product_limit": form.product_limit.data}


# --- payout runs ---

@blp.get("/payouts")
def payout_runs():
    asked = page_request(size=10)
    page = finance.list_payout_runs(asked)
    return render_template("console/payout_runs.html", page=page, links=page_links(page, asked))


@blp.post("/payouts")
def start_payout_run():
    run = finance.start_payout_run(viewer().user_id)
    flash(f"Payout run {run['id']} started: each seller's result shows here as it is paid.", "success")
    return redirect(url_for("console.payout_run", run_id=run["id"]))


@blp.get("/payouts/<int:run_id>")
def payout_run(run_id: int):
    return render_template("console/payout_run.html", run=finance.get_payout_run(run_id))


# --- ledger, reconciliation, revenue, disputes ---

@blp.get("/ledger")
def ledger():
    search = LedgerFilterForm(request.args)
    asked = page_request()
    page = _ledger_page(search, asked)
    return render_template("console/ledger.html", search=search, page=page,
                           links=page_links(page, asked) if page else None), 200 if page is not None else 422


def _ledger_page(search: LedgerFilterForm, asked):
    """The transactions the filters ask for, or None with the filters' errors beside their fields."""
    if not search.validate():  # a malformed day
        return None
    first, last = search.occurred_from.data, search.occurred_until.data
    if first and last and last < first:
        search.occurred_until.errors.append("Must not be before the first day.")
        return None
    given = {name: text(search[name]) for name in LEDGER_FILTERS if text(search[name])}
    # Whole UTC days, as the API's instants: from the first day's start to the start of the day after the last.
    if first:
        given["occurred_from"] = _start_of(first).isoformat()
    if last:
        given["occurred_to"] = _start_of(last + timedelta(days=1)).isoformat()
    filters = load(search, LedgerQuerySchema(), given)
    if filters is None:
        return None
    try:
        return finance.ledger_transactions(filters, asked)
    except ValidationFailed as error:  # an unknown seller
        show_service_error(search, error)
        return None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


@blp.get("/reconciliation")
def reconciliation():
    asked = page_request(size=10)
    page = finance.reconciliation_reports(asked)
    return render_template("console/reconciliation.html", page=page, links=page_links(page, asked))


@blp.get("/revenue")
def revenue():
    form = RevenueForm(request.args)
    period = form.period.data if form.period.data in PERIODS else "month"
    window = REVENUE_WINDOWS[period]
    rows = finance.revenue({"period": period, **({"from_": utcnow().date() - window} if window else {})})
    currencies = sorted({row["currency"] for row in rows})
    charts = [revenue_chart(currency, period, [row for row in rows if row["currency"] == currency])
              for currency in currencies]
    return render_template("console/revenue.html", form=form, rows=rows, charts=charts, period=period)


@blp.get("/disputes")
def disputes():
    asked = page_request()
    page = list_disputes(asked)
    return render_template("console/disputes.html", page=page, links=page_links(page, asked))
