"""Operators manage the commission rules, and ask which rule applies to a line.

The rules and how one is chosen live in billing/commission.py; here they meet
the registry (a rule names its seller by slug) and the category tree. Each
write is one control-database transaction with its audit entry. A duplicate
scope is refused by the table's unique constraint (409 `commission_rule_exists`,
marketplace/core/integrity.py), which also decides between two racing creates.
A rule goes with its seller or category: deleting a category deletes its rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from marshmallow import ValidationError
from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from billing.commission import CommissionRule, PlanCommission, commission_for, rule_for
from billing.money import Money
from marketplace.audit.services import record
from marketplace.catalog.models import Category
from marketplace.commissions.schemas import fee_currency_error
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.core.field_updates import writable_changes
from marketplace.core.pagination import Page, PageRequest, fetch_page
from tenants.locks import lock_row
from tenants.models import Tenant
from tenants.uow import UnitOfWork

# A change writes the terms; the scope is the rule's identity (a new scope is a new rule).
RULE_WRITABLE_FIELDS = ("basis_points", "fixed_fee_amount", "currency")


class CommissionRuleNotFound(NotFound):
    def __init__(self, rule_id: int):
        super().__init__(f"There is no commission rule {rule_id}.")
        self.rule_id = rule_id


class InvalidRule(ValidationFailed):
    """A rule names a seller or category that does not exist, or terms that cannot apply."""

    def __init__(self, field_name: str, message: str):
        super().__init__("The commission rule is not valid.", errors={field_name: [message]})


@dataclass(frozen=True)
class RuleDetails:
    id: int
    seller: str | None
    category_id: int | None
    basis_points: int
    fixed_fee_amount: int
    currency: str | None
    created_at: datetime
    updated_at: datetime

    def audit_state(self) -> dict[str, Any]:
        return {"seller": self.seller, "category_id": self.category_id, "basis_points": self.basis_points,
                "fixed_fee_amount": self.fixed_fee_amount, "currency": self.currency}


@dataclass(frozen=True)
class Resolution:
    seller: str
    category_id: int | None
    currency: str
    category_path: list[int]
    rule: RuleDetails | None
    commission_amount: int | None
    # The seller's plan's override, when it is what applies (no rule then).
    plan_override: PlanCommission | None = None


# Reading

def list_rules(page_request: PageRequest, seller: str | None = None,
               category_id: int | None = None) -> Page[RuleDetails]:
    """The rules, oldest first, optionally those of one seller (by slug) or one category."""
    query = _rules_with_slugs().order_by(CommissionRule.id)
    if seller is not None:
        query = query.where(Tenant.slug == seller)
    if category_id is not None:
        query = query.where(CommissionRule.category_id == category_id)
    with UnitOfWork() as uow:
        return fetch_page(uow.session, query, page_request).map(lambda row: RuleDetails(*row))


def get_rule(rule_id: int) -> RuleDetails:
    with UnitOfWork() as uow:
        return _details_of(uow.session, rule_id)


def resolve(seller: str, category_id: int | None, line_total_amount: int | None = None) -> Resolution:
    """The rule for a line of `seller` in `category_id` (in the seller's currency), and its commission on a total."""
    with UnitOfWork() as uow:
        tenant = _tenant_by_slug(uow.session, seller)
        path = category_path(uow.session, category_id) if category_id is not None else []
        rule = rule_for(uow.session, tenant.id, path, tenant.currency)
        details = _details_of(uow.session, rule.id) if isinstance(rule, CommissionRule) else None
        commission = (commission_for(rule, Money(line_total_amount, tenant.currency)).amount
                      if line_total_amount is not None else None)
        return Resolution(seller=seller, category_id=category_id, currency=tenant.currency, category_path=path,
                          rule=details, commission_amount=commission,
                          plan_override=rule if isinstance(rule, PlanCommission) else None)


def category_path(session: Session, category_id: int) -> list[int]:
    """The category and every category above it, nearest first; InvalidRule if it does not exist.

    What `billing.commission.rule_for` ranks rules on a line's categories by.
    """
    path = category_paths(session, [category_id]).get(category_id)
    if not path:
        raise InvalidRule("category_id", f"There is no category {category_id}.")
    return path


def category_paths(session: Session, category_ids: Iterable[int]) -> dict[int, list[int]]:
    """`category_path` of each existing category among `category_ids`, in one query (absent ones left out)."""
    ancestors = (select(Category.id.label("start_id"), Category.id, Category.parent_id, literal(0).label("depth"))
                 .where(Category.id.in_(list(category_ids))).cte("ancestors", recursive=True))
    ancestors = ancestors.union_all(
        select(ancestors.c.start_id, Category.id, Category.parent_id, ancestors.c.depth + 1)
        .join(ancestors, Category.id == ancestors.c.parent_id)
        # The tree refuses cycles (marketplace/catalog/categories.py); the bound is a backstop.
        .where(ancestors.c.depth < 1000))
    paths: dict[int, list[int]] = {}
    for start_id, ancestor_id in session.execute(
            select(ancestors.c.start_id, ancestors.c.id).order_by(ancestors.c.start_id, ancestors.c.depth)):
        paths.setdefault(start_id, []).append(ancestor_id)
    return paths


# Writing (operators)

def create_rule(actor_user_id: int | None, seller: str | None, category_id: int | None, basis_points: int,
                fixed_fee_amount: int, currency: str | None) -> RuleDetails:
    """Add the rule of a scope; a scope that has one already is a 409 (from the unique constraint)."""
    with UnitOfWork() as uow:
        tenant = _tenant_by_slug(uow.session, seller) if seller is not None else None
        if category_id is not None and uow.session.get(Category, category_id) is None:
            raise InvalidRule("category_id", f"There is no category {category_id}.")
        _check_fee_currency(tenant, fixed_fee_amount, currency)
        rule = CommissionRule(tenant_id=tenant.id if tenant else None, category_id=category_id,
                              basis_points=basis_points, fixed_fee_amount=fixed_fee_amount, currency=currency)
        uow.session.add(rule)
        uow.session.flush()
        details = _details_of(uow.session, rule.id)
        record(uow, actor_user_id=actor_user_id, action="commission_rule.create", target_type="commission_rule",
               target_id=rule.id, tenant_id=rule.tenant_id, after=details.audit_state())
        uow.commit()
    return details


def change_rule(actor_user_id: int | None, rule_id: int, changes: dict[str, Any]) -> RuleDetails:
    """Change a rule's terms (basis points, fixed fee, its currency); orders already placed keep theirs."""
    changes = writable_changes(changes, RULE_WRITABLE_FIELDS)
    with UnitOfWork() as uow:
        rule = _locked_rule(uow.session, rule_id)
        before = _details_of(uow.session, rule_id)
        tenant = uow.session.get(Tenant, rule.tenant_id) if rule.tenant_id is not None else None
        for name, value in changes.items():
            setattr(rule, name, value)
        _check_fee_currency(tenant, rule.fixed_fee_amount, rule.currency)
        uow.session.flush()
        details = _details_of(uow.session, rule_id)
        record(uow, actor_user_id=actor_user_id, action="commission_rule.update", target_type="commission_rule",
               target_id=rule_id, tenant_id=rule.tenant_id, before=before.audit_state(),
               after=details.audit_state())
        uow.commit()
    return details


def delete_rule(actor_user_id: int | None, rule_id: int) -> None:
    """Delete a rule: lines of its scope fall to the next rule down (orders already placed keep theirs)."""
    with UnitOfWork() as uow:
        rule = _locked_rule(uow.session, rule_id)
        before = _details_of(uow.session, rule_id)
        tenant_id = rule.tenant_id
        uow.session.delete(rule)
        record(uow, actor_user_id=actor_user_id, action="commission_rule.delete", target_type="commission_rule",
               target_id=rule_id, tenant_id=tenant_id, before=before.audit_state())
        uow.commit()


# Helpers

def _rules_with_slugs():
    return (select(CommissionRule.id, Tenant.slug, CommissionRule.category_id, CommissionRule.basis_points,
                   CommissionRule.fixed_fee_amount, CommissionRule.currency, CommissionRule.created_at,
                   CommissionRule.updated_at)
            .outerjoin(Tenant, Tenant.id == CommissionRule.tenant_id))


def _details_of(session: Session, rule_id: int) -> RuleDetails:
    row = session.execute(_rules_with_slugs().where(CommissionRule.id == rule_id)).first()
    if row is None:
        raise CommissionRuleNotFound(rule_id)
    return RuleDetails(*row)


def _locked_rule(session: Session, rule_id: int) -> CommissionRule:
    # Locked, so a change and a delete of one rule run one after the other: the second sees what the first left.
    rule = lock_row(session, CommissionRule, rule_id)
    if rule is None:
        raise CommissionRuleNotFound(rule_id)
    return rule


def _tenant_by_slug(session: Session, slug: str) -> Tenant:
    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise InvalidRule("seller", f"There is no seller {slug!r}.")
    return tenant


def _check_fee_currency(tenant: Tenant | None, fixed_fee_amount: int, currency: str | None) -> None:
    try:
        fee_currency_error(fixed_fee_amount, currency)
    except ValidationError as error:
        raise InvalidRule("currency", error.messages[0]) from None
    # A seller's lines are all in its currency: a fee in another could never apply.
    if tenant is not None and currency is not None and currency != tenant.currency:
        raise InvalidRule("currency", f"The seller sells in {tenant.currency}; its rule's fee must be in it too.")
