"""The seller's products: the list, a new product, one product with its variants, stock and status changes.

Every change goes through marketplace.catalog.services with the API's own
schemas; any member may change the catalog (the API's `catalog_writer`).
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from marketplace.catalog import services as catalog
from marketplace.catalog.models import StockReason
from marketplace.catalog.plan_limit import PlanLimitReached
from marketplace.catalog.schemas import (
    ProductChangeSchema, ProductInputSchema, VariantChangeSchema, VariantInputSchema,
)
from marketplace.core.errors import ApiError
from marketplace.web.auth import viewer
from marketplace.web.pages import page_links, page_request
from marketplace.web.portal.access import current_seat, seller_page
from marketplace.web.portal.blueprint import blp
from marketplace.web.forms import load, show_errors, show_service_error, text
from marketplace.web.portal.forms import major_units, minor_units

# The variant form's names of the API's fields.
VARIANT_FIELDS = {"price_amount": "price", "options": "size"}
STATUS_ACTIONS = {"publish": "Published: buyers can find it now.", "unpublish": "Taken back to draft.",
                  "archive": "Archived."}


class ProductForm(FlaskForm):
    title = StringField("Title")
    slug = StringField("Web address")
    description = TextAreaField("Description")
    images = TextAreaField("Images")


class VariantForm(FlaskForm):
    sku = StringField("SKU")
    size = StringField("Option (e.g. size M)")
    price = StringField("Price")
    stock = StringField("Units in stock")
    low_stock_threshold = StringField("Low stock at")


class StockForm(FlaskForm):
    quantity = StringField("Units received")


@blp.get("/<slug>/products")
@seller_page()
def products(slug):
    asked = page_request()
    page = catalog.list_products(current_seat().tenant, asked)
    return render_template("portal/products.html", page=page,
                           links=page_links(page, asked))


@blp.route("/<slug>/products/new", methods=["GET", "POST"])
@seller_page()
def new_product(slug):
    form = ProductForm()
    if request.method == "POST":
        values = load(form, ProductInputSchema(), _product_values(form))
        if values is not None:
            try:
                created = catalog.create_product(current_seat().tenant, values)
            except PlanLimitReached as refusal:
                form.form_errors.append(refusal.message)
                return _product_form(form), 403
            except ApiError as refusal:  # a slug the seller has already: beside the slug
                show_service_error(form, refusal, "slug")
            else:
                flash("Product saved as a draft. Add a variant with its price, then publish it.", "success")
                return redirect(url_for("portal.product", slug=slug, product_id=created.id))
        return _product_form(form), 422
    return _product_form(form)


@blp.route("/<slug>/products/<int:product_id>", methods=["GET", "POST"])
@seller_page()
def product(slug, product_id):
    tenant = current_seat().tenant
    details = catalog.get_product(tenant, product_id)
    form = ProductForm() if request.method == "POST" else _filled_form(details)
    status = 200
    if request.method == "POST":
        values = load(form, ProductChangeSchema(), _product_values(form))
        if values is not None:
            try:
                catalog.update_product(tenant, product_id, values)
            except ApiError as refusal:
                show_service_error(form, refusal, "slug")
            else:
                flash("Product saved.", "success")
                return redirect(url_for("portal.product", slug=slug, product_id=product_id))
        status = 422
    return _product_page(details, form=form), status


@blp.post("/<slug>/products/<int:product_id>/variants")
@seller_page()
def add_variant(slug, product_id):
    tenant = current_seat().tenant
    details = catalog.get_product(tenant, product_id)
    form = VariantForm()
    values = load(form, VariantInputSchema(), _variant_values(form, tenant.currency), VARIANT_FIELDS)
    stock = _count(form.stock)
    if values is not None and stock is not None:
        try:
            variant = catalog.create_variant(tenant, product_id, values)
        except ApiError as refusal:
            show_service_error(form, refusal, "sku")
        else:
            if stock:
                catalog.record_stock_movement(tenant, product_id, variant.id, stock, StockReason.RECEIPT,
                                              "first stock", viewer().user_id)
            flash(f"Variant {variant.sku} added.", "success")
            return redirect(url_for("portal.product", slug=slug, product_id=product_id))
    return _product_page(details, variant_form=form), 422


@blp.route("/<slug>/products/<int:product_id>/variants/<int:variant_id>", methods=["GET", "POST"])
@seller_page()
def variant(slug, product_id, variant_id):
    """Change a variant's SKU, option, price or low stock threshold (stock changes by movements only)."""
    tenant = current_seat().tenant
    details = catalog.get_variant(tenant, product_id, variant_id)
    if request.method == "GET":
        form = VariantForm(formdata=None, sku=details.sku, size=next(iter(details.options.values()), ""),
                           price=major_units(details.price_amount, details.currency),
                           low_stock_threshold=str(details.low_stock_threshold))
        return _variant_page(product_id, details, form)
    form = VariantForm()
    option_name = next(iter(details.options), "option")  # an imported variant's option keeps its name
    values = load(form, VariantChangeSchema(), _variant_values(form, tenant.currency, option_name),
                  VARIANT_FIELDS)
    if values is not None:
        try:
            catalog.update_variant(tenant, product_id, variant_id, values)
        except ApiError as refusal:
            show_service_error(form, refusal, "sku")
        else:
            flash(f"Variant {values.get('sku', details.sku)} saved.", "success")
            return redirect(url_for("portal.product", slug=slug, product_id=product_id))
    return _variant_page(product_id, details, form), 422


@blp.post("/<slug>/products/<int:product_id>/variants/<int:variant_id>/stock")
@seller_page()
def receive_stock(slug, product_id, variant_id):
    tenant = current_seat().tenant
    form = StockForm()
    quantity = _count(form.quantity)
    if quantity:
        catalog.record_stock_movement(tenant, product_id, variant_id, quantity, StockReason.RECEIPT,
                                      "received in the portal", viewer().user_id)
        flash(f"{quantity} units received.", "success")
        return redirect(url_for("portal.product", slug=slug, product_id=product_id))
    if quantity == 0:
        show_errors(form, {"quantity": ["Enter how many units arrived."]})
    return _product_page(catalog.get_product(tenant, product_id), stock_form=form, stock_variant=variant_id), 422


@blp.post("/<slug>/products/<int:product_id>/<any(publish, unpublish, archive):action>")
@seller_page()
def change_product_status(slug, product_id, action):
    catalog.change_status(current_seat().tenant, product_id, action)  # 409 (no variant yet) is an error page
    flash(STATUS_ACTIONS[action], "success")
    return redirect(request.referrer if _same_site(request.referrer)
                    else url_for("portal.product", slug=slug, product_id=product_id))


def _variant_page(product_id: int, details, form: VariantForm):
    return render_template("portal/variant.html", product=catalog.get_product(current_seat().tenant, product_id),
                           variant=details, form=form)


def _product_form(form: ProductForm):
    return render_template("portal/product_new.html", form=form)


def _product_page(details, *, form=None, variant_form=None, stock_form=None, stock_variant=None):
    return render_template("portal/product.html", product=details, form=form or _filled_form(details),
                           variant_form=variant_form or VariantForm(formdata=None),
                           stock_form=stock_form or StockForm(formdata=None), stock_variant=stock_variant)


def _filled_form(details) -> ProductForm:
    form = ProductForm(formdata=None, obj=details)
    form.images.data = "\n".join(f"{image.url} | {image.alt}" for image in details.images)
    return form


def _product_values(form: ProductForm) -> dict[str, Any]:
    return {"title": form.title.data or "", "slug": (form.slug.data or "").strip(),
            "description": form.description.data or "", "images": _images(form.images.data or "")}


def _images(text: str) -> list[dict[str, Any]]:
    """`URL | description` per line, in display order (the API's image list, which replaces the product's)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return [{"url": url.strip(), "alt": alt.strip(), "position": position}
            for position, (url, _, alt) in enumerate(line.partition("|") for line in lines)]


def _variant_values(form: VariantForm, currency: str, option_name: str = "option") -> dict[str, Any]:
    values: dict[str, Any] = {"sku": (form.sku.data or "").strip(),
                              "price_amount": minor_units(form.price.data, currency)}
    if form.size.data:
        values["options"] = {option_name: text(form.size)}
    threshold = _count(form.low_stock_threshold)
    if threshold is not None:
        values["low_stock_threshold"] = threshold
    return {name: value for name, value in values.items() if value is not None}


def _count(field) -> int | None:
    """A whole number of units from a text field (blank is 0); None with the error beside the field otherwise."""
    given = text(field)
    if not given:
        return 0
    if given.isdigit() and len(given) <= 9:
        return int(given)
    field.errors = list(field.errors) + ["Enter a whole number of units, such as 12."]
    return None


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)
