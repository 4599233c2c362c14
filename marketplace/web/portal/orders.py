"""The order desk: orders by status, one order with accept/reject/ship, its packing slip, and returns.

Handling orders is allowed to every member, also while the seller is
suspended (the buyers are owed their orders), as in the API
(`order_handler`, `return_handler`).
"""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice

from marketplace.core.errors import ApiError
from marketplace.orders import desk, returns, services, shipments
from marketplace.orders.handling_schemas import ReasonSchema
from marketplace.orders.models import SellerOrderStatus
from marketplace.orders.shipment_schemas import ShipmentInputSchema
from marketplace.web.auth import viewer
from marketplace.web.pages import page_links, page_request
from marketplace.web.portal.access import current_seat, seller_page
from marketplace.web.portal.blueprint import blp
from marketplace.web.formatting import status_label
from marketplace.web.forms import load, show_service_error, submitted_values
from tenants.db import utcnow

STATUS_CHOICES = [SelectChoice("", "All orders")] + [
    SelectChoice(status.value, status_label(status)) for status in SellerOrderStatus]
MAX_SEARCH_LENGTH = 200  # the API's `q`


class ShipForm(FlaskForm):
    carrier = StringField("Carrier")
    tracking_number = StringField("Tracking number")


class ReasonForm(FlaskForm):
    reason = StringField("Reason (the buyer sees it)")


class DeskFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField("Status", choices=STATUS_CHOICES, default="")
    q = StringField("Order number or buyer name")


@blp.get("/<slug>/orders")
@seller_page()
def orders(slug):
    filters = DeskFilterForm(request.args)
    asked = page_request()
    page = desk.list_orders(current_seat().tenant, desk_query(filters), asked)
    return render_template("portal/orders.html", page=page, links=page_links(page, asked), filters=filters,
                           now=utcnow())


@blp.get("/<slug>/orders/export.csv")
@seller_page()
def export_orders(slug):
    """Every order the desk's filters match, as the API's CSV export."""
    rows = desk.export_csv(current_seat().tenant, desk_query(DeskFilterForm(request.args)))
    return Response(stream_with_context(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{slug}-orders.csv"'})


def desk_query(filters: DeskFilterForm) -> desk.DeskQuery:
    """The desk's query from the filter form; a status or search it cannot use is left out, as a filter is optional."""
    status = filters.status.data if filters.status.data in SellerOrderStatus._value2member_map_ else None
    search = (filters.q.data or "").strip()[:MAX_SEARCH_LENGTH] or None
    return desk.DeskQuery(statuses=(SellerOrderStatus(status),) if status else (), search=search)


@blp.get("/<slug>/orders/<int:seller_order_id>")
@seller_page()
def order(slug, seller_order_id):
    return _order_page(seller_order_id)


@blp.post("/<slug>/orders/<int:seller_order_id>/accept")
@seller_page(while_suspended=True)
def accept_order(slug, seller_order_id):
    services.accept(current_seat().tenant, seller_order_id, viewer().user_id)  # 409 if not awaiting: error page
    flash("Order accepted: pack it and ship it.", "success")
    return redirect(url_for("portal.order", slug=slug, seller_order_id=seller_order_id))


@blp.post("/<slug>/orders/<int:seller_order_id>/reject")
@seller_page(while_suspended=True)
def reject_order(slug, seller_order_id):
    form = ReasonForm()
    values = load(form, ReasonSchema(), submitted_values(form, ["reason"]))
    if values is None:
        return _order_page(seller_order_id, reject_form=form), 422
    services.reject(current_seat().tenant, seller_order_id, viewer().user_id, values["reason"])
    flash("Order rejected; the buyer is refunded.", "success")
    return redirect(url_for("portal.order", slug=slug, seller_order_id=seller_order_id))


@blp.post("/<slug>/orders/<int:seller_order_id>/ship")
@seller_page(while_suspended=True)
def ship_order(slug, seller_order_id):
    """Ship every unit still to ship, with one carrier and tracking number."""
    tenant = current_seat().tenant
    form = ShipForm()
    lines = [{"line_id": line_id, "quantity": left}
             for line_id, left in shipments.units_left_to_ship(tenant, seller_order_id).items() if left]
    values = load(form, ShipmentInputSchema(),
                  {**submitted_values(form, ["carrier", "tracking_number"]), "lines": lines})
    if values is not None:
        try:
            shipments.ship(tenant, viewer().user_id, seller_order_id, values["carrier"], values["tracking_number"],
                           values["lines"])
        except ApiError as refusal:
            if refusal.status != 422:
                raise
            show_service_error(form, refusal)
        else:
            flash("Shipped: the buyer gets the tracking number.", "success")
            return redirect(url_for("portal.order", slug=slug, seller_order_id=seller_order_id))
    return _order_page(seller_order_id, ship_form=form), 422


@blp.get("/<slug>/orders/<int:seller_order_id>/packing-slip")
@seller_page()
def packing_slip(slug, seller_order_id):
    return render_template("portal/packing_slip.html",
                           order=desk.get_order(current_seat().tenant, seller_order_id))


def _order_page(seller_order_id: int, *, ship_form=None, reject_form=None):
    tenant = current_seat().tenant
    return render_template("portal/order.html", order=desk.get_order(tenant, seller_order_id),
                           shipments=shipments.list_shipments(tenant, seller_order_id), now=utcnow(),
                           ship_form=ship_form or ShipForm(formdata=None),
                           reject_form=reject_form or ReasonForm(formdata=None))


# Returns

@blp.get("/<slug>/returns")
@seller_page()
def returns_page(slug):
    asked = page_request()
    page = returns.list_returns(current_seat().tenant, (), asked)
    return render_template("portal/returns.html", page=page, links=page_links(page, asked))


@blp.post("/<slug>/returns/<int:return_id>/approve")
@seller_page(while_suspended=True)
def approve_return(slug, return_id):
    returns.approve(current_seat().tenant, return_id)
    flash("Return approved: the buyer may send the parcel.", "success")
    return redirect(url_for("portal.returns_page", slug=slug))


@blp.post("/<slug>/returns/<int:return_id>/reject")
@seller_page(while_suspended=True)
def reject_return(slug, return_id):
    form = ReasonForm()
    values = load(form, ReasonSchema(), submitted_values(form, ["reason"]))
    if values is None:
        flash("Give the buyer a reason to reject the return.", "error")
        return redirect(url_for("portal.returns_page", slug=slug))
    returns.reject(current_seat().tenant, return_id, values["reason"])
    flash("Return rejected.", "success")
    return redirect(url_for("portal.returns_page", slug=slug))


@blp.post("/<slug>/returns/<int:return_id>/receive")
@seller_page(while_suspended=True)
def receive_return(slug, return_id):
    """The parcel arrived: the lines ticked as resellable go back in stock; the refund is sent."""
    tenant = current_seat().tenant
    resellable = set(request.form.getlist("resellable"))
    lines = [{"line_id": line["line_id"], "resellable": str(line["line_id"]) in resellable}
             for line in returns.get_return(tenant, return_id)["lines"]]
    returns.receive(tenant, viewer().user_id, return_id, lines)
    flash("Return received; the buyer's refund is on its way.", "success")
    return redirect(url_for("portal.returns_page", slug=slug))
