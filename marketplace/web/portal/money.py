"""The seller's money: balance per currency, payout schedule, payouts to its bank, statement downloads.

Every member reads it, as in the API (`money_reader`); owners and managers
change the schedule. The statement is the API's, in CSV or JSON, for a month.
"""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from billing.payout_models import PayoutFrequency
from marketplace.accounts.models import MemberRole

from marketplace.finance import services as finance
from marketplace.finance.schemas import PayoutScheduleSchema, PeriodQuerySchema, StatementsSchema
from marketplace.web.pages import page_links, page_request
from marketplace.web.portal.access import current_seat, seller_page
from marketplace.web.portal.blueprint import blp
from marketplace.web.auth import viewer
from marketplace.web.forms import load, show_errors
from marketplace.web.portal.forms import major_units, minor_units
from tenants.db import utcnow


class StatementForm(FlaskForm):
    class Meta:
        csrf = False  # a download changes nothing

    period = StringField("Month (YYYY-MM)")


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ScheduleForm(FlaskForm):
    frequency = SelectField("Pay me out", choices=[SelectChoice(frequency.value, frequency.value.capitalize())
                                                   for frequency in PayoutFrequency])
    weekday = SelectField("On (weekly only)", choices=[SelectChoice("", "—")] + [
        SelectChoice(str(number), name) for number, name in enumerate(WEEKDAYS)])
    minimum_amount = StringField("Minimum amount (empty: the marketplace's)")


@blp.get("/<slug>/money")
@seller_page()
def money(slug):
    form = StatementForm(request.args)
    if not form.period.data:
        form.period.data = utcnow().strftime("%Y-%m")
    return _money_page(form)


@blp.get("/<slug>/money/statement.<any(csv, json):extension>")
@seller_page()
def statement(slug, extension):
    form = StatementForm(request.args)
    try:
        period = PeriodQuerySchema().load({"period": form.period.data or ""})
    except ValidationError as error:
        show_errors(form, error.normalized_messages())
        return _money_page(form), 422
    tenant = current_seat().tenant
    filename = f"{slug}-statement-{period['period']}.{extension}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if extension == "csv":
        return Response(stream_with_context(finance.statements_csv(tenant, period)), mimetype="text/csv",
                        headers=headers)
    body = StatementsSchema().dumps(finance.statements(tenant, period))
    return Response(body, mimetype="application/json", headers=headers)


@blp.post("/<slug>/money/schedule")
@seller_page(MemberRole.MANAGER)
def payout_schedule(slug):
    tenant = current_seat().tenant
    form = ScheduleForm()
    weekday = form.weekday.data or ""
    values = load(form, PayoutScheduleSchema(), {
        "frequency": form.frequency.data, "weekday": int(weekday) if weekday.isdigit() else None,
        "minimum_amount": minor_units(form.minimum_amount.data, tenant.currency)})
    if values is None:
        return _money_page(StatementForm(formdata=None, period=utcnow().strftime("%Y-%m")), form), 422
    finance.change_payout_schedule(viewer().user_id, tenant, values)
    flash("Payout schedule saved: the next payout run applies it.", "success")
    return redirect(url_for("portal.money", slug=slug))


def _money_page(form: StatementForm, schedule_form: ScheduleForm | None = None):
    tenant = current_seat().tenant
    asked = page_request()
    payouts = finance.seller_payouts(tenant, asked)
    schedule = finance.payout_schedule(tenant)
    if schedule_form is None:
        schedule_form = ScheduleForm(formdata=None, frequency=schedule["frequency"].value,
                                     weekday="" if schedule["weekday"] is None else str(schedule["weekday"]),
                                     minimum_amount=major_units(schedule["minimum_amount"], tenant.currency))
    return render_template("portal/money.html", form=form, schedule_form=schedule_form,
                           balance=finance.seller_balance(tenant), schedule=schedule, weekdays=WEEKDAYS,
                           payouts=payouts, links=page_links(payouts, asked))

