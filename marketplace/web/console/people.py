"""Users (search: the only thing the API lets operators do with them) and the audit log."""
from __future__ import annotations

from flask import render_template, request
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from marketplace.accounts import services as accounts
from marketplace.audit import services as audit
from marketplace.web.console.blueprint import blp
from marketplace.web.pages import page_links, page_request


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    email = StringField("Email contains", validators=[Optional(), Length(max=254)])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    tenant = StringField("Seller (slug)", validators=[Optional(), Length(max=40)])
    action = StringField("Action (e.g. tenant.suspend)", validators=[Optional(), Length(max=80)])


@blp.get("/users")
def users():
    search = UserSearchForm(request.args)
    valid = search.validate()
    asked = page_request()
    page = accounts.list_users(asked, email_contains=(search.email.data or "").strip() or None if valid else None)
    return render_template("console/users.html", search=search, page=page, links=page_links(page, asked))


@blp.get("/audit")
def audit_log():
    search = AuditFilterForm(request.args)
    valid = search.validate()
    asked = page_request()
    page = audit.list_entries(asked, tenant_slug=(search.tenant.data or "").strip() or None if valid else None,
                              action=(search.action.data or "").strip() or None if valid else None)
    return render_template("console/audit.html", search=search, page=page, links=page_links(page, asked))
