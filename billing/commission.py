"""Commission rules: what the marketplace takes of each order line, and which rule decides it.

A rule has a scope (a seller, a category, both, or neither: the default) and
terms: basis points of the line's total plus an optional fixed fee. For a
line of seller S in category C, the most specific rule wins:

1. a rule for S and C, or else for S and the nearest category above C;
2. a rule for S alone;
3. a rule for C, or else for the nearest category above C (no seller);
4. the commission override of the seller's current SaaS plan (billing/plans.py);
5. the default rule (no seller, no category).

So a rule on a category covers its whole subtree, and a rule nearer the
line's category beats one further up; but any rule naming the seller beats
every rule that does not. A line of a product without a category matches
only steps 2, 4 and 5. With no rule at all, the marketplace takes nothing.

A plan's override replaces the marketplace's default rate for the plan's
sellers, and nothing more: what an operator set for a category (a thin
margin on electronics) or for one seller by name still wins over it, since
those rules were written for exactly that case, and a plan is a price list
for every seller on it. An override is a percentage only (no fixed fee), so
it applies to a line in any currency.

A fixed fee is an amount of money, so it names its currency: a rule with a
fee applies only to lines in that currency, and resolution passes over it
(to the next rule down the list) for a line in another one. A rule without
a fee (percentage only) has no currency and applies to any. The commission
of a line is never more than the line's total: a fee larger than a cheap
line takes the line, not more.

The rule that applied is frozen on each order line at checkout
(`rule_snapshot`), so a later change of the rules or of the seller's plan
changes no past order,
and a refund can compute the commission it reverses from the snapshot.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Protocol, Sequence

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from billing.money import Money, percentage
from billing.plans import plans_on
from tenants.db import SharedBase, Timestamps

MAX_BASIS_POINTS = 10_000
SCOPE_CONSTRAINT = "uq_commission_rules_tenant_id_category_id"


class CommissionRule(Timestamps, SharedBase):
    """The marketplace's cut for one scope: a seller, a category (and its subtree), both, or neither."""

    __tablename__ = "commission_rules"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # A rule goes with the seller or category it is about.
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    basis_points: Mapped[int] = mapped_column(Integer)
    fixed_fee_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The fixed fee's currency; null for a rule without a fee, which applies to lines in any currency.
    currency: Mapped[str | None] = mapped_column(String(3))

    __table_args__ = (
        # One rule per scope; NULLS NOT DISTINCT (PostgreSQL 15+) makes that hold for the null scopes too:
        # one default rule, one rule per seller alone, one per category alone.
        UniqueConstraint("tenant_id", "category_id", name=SCOPE_CONSTRAINT, postgresql_nulls_not_distinct=True),
        CheckConstraint(f"basis_points BETWEEN 0 AND {MAX_BASIS_POINTS}", name="basis_points_range"),
        CheckConstraint("fixed_fee_amount >= 0", name="fixed_fee_not_negative"),
        CheckConstraint("(fixed_fee_amount = 0) = (currency IS NULL)", name="fixed_fee_has_currency"),
    )


class CommissionTerms(Protocol):
    """What computing a commission needs: a rule, or the snapshot of one frozen on an order line."""

    basis_points: int
    fixed_fee_amount: int
    currency: str | None


@dataclass(frozen=True)
class PlanCommission:
    """A SaaS plan's commission override, as it applies to a line (step 4 of the module's list)."""

    plan_id: int
    plan_name: str
    basis_points: int
    fixed_fee_amount: int = 0
    currency: str | None = None


Resolved = CommissionRule | PlanCommission | None


def rule_for(session: Session, tenant_id: int, category_path: Sequence[int],
             currency: str) -> Resolved:
    """The rule for a line of `tenant_id` in `currency` whose category path is `category_path`.

    `category_path` is the line's category followed by the categories above
    it, nearest first (empty for a product without a category). None when
    no rule applies. One query reads every candidate; the ranking is the
    module's list: the seller's rules first, then the nearest category,
    then the seller's plan's override (a PlanCommission), then the rule
    without a category.
    """
    return rules_for(session, [tenant_id], [category_path], currency)(tenant_id, category_path)


def rules_for(session: Session, tenant_ids: Iterable[int], category_paths: Iterable[Sequence[int]],
              currency: str) -> Callable[[int, Sequence[int]], Resolved]:
    """`rule_for` of many lines with two queries: the candidates of every seller and category path given,
    the sellers' current plans, and a function that picks each line's rule (seller, category path)."""
    tenant_ids = list(tenant_ids)
    overrides = {tenant_id: PlanCommission(plan.id, plan.name, plan.commission_basis_points)
                 for tenant_id, plan in plans_on(session, tenant_ids).items()
                 if plan.commission_basis_points is not None}
    categories = {category_id for path in category_paths for category_id in path}
    candidates = session.scalars(select(CommissionRule).where(
        or_(CommissionRule.tenant_id.in_(tenant_ids), CommissionRule.tenant_id.is_(None)),
        or_(CommissionRule.category_id.in_(list(categories)), CommissionRule.category_id.is_(None)),
        or_(CommissionRule.currency == currency, CommissionRule.currency.is_(None)),
    )).all()

    def rule_of(tenant_id: int, category_path: Sequence[int]) -> Resolved:
        path = list(category_path)
        applicable = [rule for rule in candidates if rule.tenant_id in (None, tenant_id)
                      and (rule.category_id is None or rule.category_id in path)]

        def specificity(rule: CommissionRule) -> tuple[bool, int]:
            depth = len(path) if rule.category_id is None else path.index(rule.category_id)
            return rule.tenant_id is None, depth

        rule = min(applicable, key=specificity, default=None)
        is_default_rule = rule is not None and rule.tenant_id is None and rule.category_id is None
        if (rule is None or is_default_rule) and tenant_id in overrides:
            return overrides[tenant_id]
        return rule

    return rule_of


def commission_for(rule: CommissionTerms | None, line_total: Money) -> Money:
    """The marketplace's commission on a line: its percentage (billing.money's rounding) plus the fixed fee.

    Never more than the line's total; zero without a rule. A rule whose fee
    is in another currency raises CurrencyMismatch (resolution never picks one).
    """
    if line_total.amount < 0:
        raise ValueError("A line total cannot be negative.")
    if rule is None:
        return Money.zero(line_total.currency)
    commission = percentage(line_total, rule.basis_points)
    if rule.fixed_fee_amount:
        commission += Money(rule.fixed_fee_amount, rule.currency)
    return min(commission, line_total)


@dataclass(frozen=True)
class FrozenRule:
    """A rule's terms as they were when it applied, read back from the snapshot on an order line."""

    basis_points: int
    fixed_fee_amount: int
    currency: str | None

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> "FrozenRule":
        return cls(snapshot["basis_points"], snapshot["fixed_fee_amount"], snapshot["currency"])


def rule_snapshot(rule: Resolved) -> dict[str, Any]:
    """The rule's terms and scope as plain JSON values, to freeze on an order line ("rule_id": None for no rule;
    a plan's override has no rule id but its "plan_id")."""
    if isinstance(rule, PlanCommission):
        return {"rule_id": None, "plan_id": rule.plan_id, "plan_name": rule.plan_name, "tenant_id": None,
                "category_id": None, "basis_points": rule.basis_points, "fixed_fee_amount": 0, "currency": None,
                "rule_updated_at": None}
    if rule is None:
        return {"rule_id": None, "tenant_id": None, "category_id": None, "basis_points": 0, "fixed_fee_amount": 0,
                "currency": None, "rule_updated_at": None}
    updated_at: datetime | None = rule.updated_at
    return {"rule_id": rule.id, "tenant_id": rule.tenant_id, "category_id": rule.category_id,
            "basis_points": rule.basis_points, "fixed_fee_amount": rule.fixed_fee_amount, "currency": rule.currency,
            "rule_updated_at": updated_at.isoformat() if updated_at else None}
