"""The category tree and the commission rules: what the catalog and commissions services let operators change."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from marketplace.catalog import categories as catalog
from marketplace.catalog.schemas import CategoryChangeSchema, CategoryInputSchema
from marketplace.commissions import services as commissions
from marketplace.commissions.schemas import CommissionRuleChangeSchema, CommissionRuleInputSchema
from marketplace.core.errors import ValidationFailed
from marketplace.web.auth import viewer
from marketplace.web.console.blueprint import blp
from marketplace.web.console.forms import choices
from marketplace.web.forms import load, saved, submitted_values, text
from marketplace.web.pages import page_links, page_request

TOP_LEVEL = ""


class CategoryForm(FlaskForm):
    name = StringField("Name")
    slug = StringField("Slug")
    parent_id = SelectField("Parent")
    position = IntegerField("Position among its siblings", default=0, validators=[Optional()])


class CategoryDeleteForm(FlaskForm):
    reassign_to = SelectField("Move its products to")


class RuleForm(FlaskForm):
    seller = StringField("Seller (slug)")
    category_id = SelectField("Category")
    basis_points = IntegerField("Commission in basis points", validators=[InputRequired()])
    fixed_fee_amount = IntegerField("Fixed fee in minor units", default=0, validators=[Optional()])
    currency = StringField("Fixed fee currency")


class RuleTermsForm(FlaskForm):
    basis_points = IntegerField("Commission in basis points", validators=[InputRequired()])
    fixed_fee_amount = IntegerField("Fixed fee in minor units", validators=[Optional()])
    currency = StringField("Fixed fee currency")


# --- categories ---

@blp.route("/categories", methods=["GET", "POST"])
def categories():
    tree = catalog.category_tree()
    form = CategoryForm()
    form.parent_id.choices = _parent_choices(tree)
    if form.validate_on_submit():
        values = load(form, CategoryInputSchema(), submitted_values(form, ("name", "slug", "position")))
        if values is not None and saved(form, lambda: catalog.create_category(
                viewer().user_id, **{**values, "parent_id": _category_id(form.parent_id.data)})):
            flash(f"Category {values['name']} added.", "success")
            return redirect(url_for("console.categories"))
    return render_template("console/categories.html", tree=tree, form=form), 422 if form.is_submitted() else 200


@blp.route("/categories/<int:category_id>", methods=["GET", "POST"])
def category(category_id: int):
    tree = catalog.category_tree()
    current = _node(tree, category_id)
    form = _category_form(tree, current)
    delete_form = _delete_form(tree, current, formdata=None)
    if form.validate_on_submit():
        values = load(form, CategoryChangeSchema(), submitted_values(form, ("name", "slug", "position")))
        if values is not None and saved(form, lambda: catalog.change_category(
                viewer().user_id, category_id, {**values, "parent_id": _category_id(form.parent_id.data)})):
            flash(f"Category {values['name']} saved.", "success")
            return redirect(url_for("console.categories"))
    return render_template("console/category.html", category=current, form=form,
                           delete_form=delete_form), 422 if form.is_submitted() else 200


@blp.post("/categories/<int:category_id>/delete")
def delete_category(category_id: int):
    tree = catalog.category_tree()
    current = _node(tree, category_id)
    delete_form = _delete_form(tree, current)
    if delete_form.validate_on_submit() and saved(delete_form, lambda: _delete_subtree(
            category_id, _category_id(delete_form.reassign_to.data))):
        flash(f"Category {current.name} and those below it deleted.", "success")
        return redirect(url_for("console.categories"))
    form = _category_form(tree, current, formdata=None)
    return render_template("console/category.html", category=current, form=form, delete_form=delete_form), 422


def _delete_subtree(category_id: int, reassign_to: int | None) -> None:
    """Delete the category and those below it; products still in them are a refusal beside the "move to" field."""
    try:
        catalog.delete_category(viewer().user_id, category_id, reassign_to)
    except catalog.CategoryInUse as in_use:
        raise ValidationFailed("The category is in use.", errors={"reassign_to": [
            f"{in_use.product_count} product(s) use this category or one below it: choose where to move them."]}) \
            from None


def _category_form(tree, current: catalog.CategoryNode, **kwargs) -> CategoryForm:
    """The rename-or-move form of `current`, filled with what it is now (what was posted, if posted)."""
    form = CategoryForm(data={"name": current.name, "slug": current.slug, "position": current.position,
                              "parent_id": str(current.parent_id or TOP_LEVEL)}, **kwargs)
    form.parent_id.choices = _parent_choices(tree, excluded=current)
    return form


def _category_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _node(tree: list[catalog.CategoryNode], category_id: int) -> catalog.CategoryNode:
    for node in _walk(tree):
        if node.id == category_id:
            return node
    raise catalog.CategoryNotFound(category_id)


def _walk(tree: list[catalog.CategoryNode]):
    for node in tree:
        yield node
        yield from _walk(node.children)


def _indented(tree: list[catalog.CategoryNode], excluded: catalog.CategoryNode | None = None, depth: int = 0):
    """(id, name indented by depth) of every category but `excluded` and those below it."""
    for node in tree:
        if excluded is not None and node.id == excluded.id:
            continue
        yield str(node.id), "\u2003" * depth + node.name
        yield from _indented(node.children, excluded, depth + 1)


def _parent_choices(tree, excluded=None) -> list:
    return choices([(TOP_LEVEL, "(top level)"), *_indented(tree, excluded)])


def _delete_form(tree, current: catalog.CategoryNode, **kwargs) -> CategoryDeleteForm:
    form = CategoryDeleteForm(**kwargs)
    form.reassign_to.choices = choices([("", "(nowhere: only if no product uses them)"), *_indented(tree, current)])
    return form


# --- commission rules ---

@blp.route("/commissions", methods=["GET", "POST"])
def commission_rules():
    form = RuleForm()
    form.category_id.choices = choices([("", "(every category)"), *_indented(catalog.category_tree())])
    if form.validate_on_submit():
        posted = {"seller": text(form.seller) or None, "category_id": _category_id(form.category_id.data),
                  **_terms(form)}
        values = load(form, CommissionRuleInputSchema(), posted)
        if values is not None and saved(form, lambda: commissions.create_rule(viewer().user_id, **values)):
            flash("Commission rule added.", "success")
            return redirect(url_for("console.commission_rules"))
    asked = page_request()
    page = commissions.list_rules(asked)
    names = {node.id: node.name for node in _walk(catalog.category_tree())}
    return render_template("console/commission_rules.html", page=page, links=page_links(page, asked), form=form,
                           category_names=names), 422 if form.is_submitted() else 200


@blp.route("/commissions/<int:rule_id>", methods=["GET", "POST"])
def commission_rule(rule_id: int):
    rule = commissions.get_rule(rule_id)
    form = RuleTermsForm(data={"basis_points": rule.basis_points, "fixed_fee_amount": rule.fixed_fee_amount,
                               "currency": rule.currency or ""})
    if form.validate_on_submit():
        values = load(form, CommissionRuleChangeSchema(), _terms(form))
        if values is not None and saved(form, lambda: commissions.change_rule(viewer().user_id, rule_id, values)):
            flash("Commission rule saved.", "success")
            return redirect(url_for("console.commission_rules"))
    names = {node.id: node.name for node in _walk(catalog.category_tree())}
    return render_template("console/commission_rule.html", rule=rule, form=form,
                           category_names=names), 422 if form.is_submitted() else 200


def _terms(form: RuleForm | RuleTermsForm) -> dict:
    """A rule's terms as posted: no fee is a fee of 0, a currency in any case is its code."""
    return {"basis_points": form.basis_points.data, "fixed_fee_amount": form.fixed_fee_amount.data or 0,
            "currency": text(form.currency).upper() or None}


@blp.post("/commissions/<int:rule_id>/delete")
def delete_commission_rule(rule_id: int):
    commissions.delete_rule(viewer().user_id, rule_id)
    flash("Commission rule deleted: its lines fall to the next rule down.", "success")
    return redirect(url_for("console.commission_rules"))
