"""CSV imports of products: the upload form, then the import's page, re-read by portal.js until the job is done.

The upload is the API's (catalog.imports.start_import, same checks, same
job); its page reads the same report, each bad row with its line number.
A page upload is limited by MAX_CONTENT_LENGTH: the CSRF check reads the
form before any view could raise the limit (the API takes up to 8 MiB).
"""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from marketplace.catalog import imports
from marketplace.catalog.models import ImportStatus
from marketplace.catalog.plan_limit import PlanLimitReached
from marketplace.core.errors import ValidationFailed
from marketplace.web.auth import viewer
from marketplace.web.portal.access import current_seat, seller_page
from marketplace.web.portal.blueprint import blp
from marketplace.web.forms import show_service_error

UNFINISHED = (ImportStatus.QUEUED, ImportStatus.RUNNING)


class ImportForm(FlaskForm):
    file = FileField("CSV file")


@blp.route("/<slug>/products/import", methods=["GET", "POST"])
@seller_page()
def import_products(slug):
    form = ImportForm()
    if request.method == "GET":
        return _form_page(form)
    upload = form.file.data
    if not upload or not upload.filename:
        form.file.errors = ["Choose a CSV file to import."]
        return _form_page(form), 422
    try:
        report = imports.start_import(current_seat().tenant, viewer().user_id, upload.filename, upload.read())
    except PlanLimitReached as refusal:
        form.form_errors.append(refusal.message)
        return _form_page(form), 403
    except ValidationFailed as refusal:  # not a CSV we can read: nothing was queued
        show_service_error(form, refusal, "file")
        return _form_page(form), 422
    return redirect(url_for("portal.product_import", slug=slug, import_id=report.id))


@blp.get("/<slug>/products/imports/<int:import_id>")
@seller_page()
def product_import(slug, import_id):
    report = imports.get_import(current_seat().tenant, import_id)
    return render_template("portal/import.html", report=report, running=report.status in UNFINISHED)


def _form_page(form: ImportForm):
    return render_template("portal/import_form.html", form=form,
                           max_bytes=current_app.config["MAX_CONTENT_LENGTH"])
