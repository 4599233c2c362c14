"""The operator-managed category tree (shared schema).

Structural changes (create, move, delete) take one transaction-level advisory
lock, so two concurrent moves are checked one after the other and can never
build a cycle between them. Products point at categories across databases
(a tenant's shard, the control database), with no foreign key and no lock
between them: a product write checks that its category exists
(`require_category`) just before its own transaction.

Deleting a category deletes its whole subtree. While products of any tenant
use the subtree (read from the marketplace listing, the read model the
catalog keeps in step), the delete needs `reassign_to`: those products are
first moved, synchronously, in one short transaction per tenant whose listing
rows are applied as it commits; then the subtree is deleted in a transaction
that checks the listing again. A crash halfway leaves every product validly
assigned and the category in place, so the operator simply repeats the call.
A product assigned to the subtree in the instant between that check and the
delete keeps a category id that no longer exists; the listing and the
storefront then show it uncategorised, and its seller may assign another.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from sqlalchemy import CTE, delete, func, select, update
from sqlalchemy.orm import Session

from marketplace.audit.services import record
from marketplace.catalog.listing import resync_products, sync_listings
from marketplace.catalog.models import Category, Product, ProductListing
from marketplace.core.cache import MARKET_SCOPE, invalidate
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.field_updates import writable_changes
from tenants.locks import lock_category_tree, lock_rows_in_id_order
from tenants.models import Tenant
from tenants.registry import get_tenant_by_id
from tenants.uow import UnitOfWork

RESYNC_CATEGORY_JOB = "marketplace.catalog.jobs.resync_category_products"
# What a change may write: a rename, a move, a new place among siblings.
CATEGORY_WRITABLE_FIELDS = ("name", "slug", "parent_id", "position")


class CategoryNotFound(NotFound):
    def __init__(self, category_id: int):
        super().__init__(f"There is no category {category_id}.")
        self.category_id = category_id


class CategoryCycle(Conflict):
    code = "category_cycle"

    def __init__(self, category_id: int, parent_id: int):
        super().__init__("A category cannot be moved under itself or one of its descendants.",
                         errors={"parent_id": [f"Category {parent_id} is inside category {category_id}."]})


class CategoryInUse(Conflict):
    code = "category_in_use"

    def __init__(self, product_count: int):
        super().__init__(
            f"{product_count} product(s) use this category or one below it; give reassign_to to move them first.")
        self.product_count = product_count


class UnknownCategory(ValidationFailed):
    """A category named in the input (parent, target, a product's category) does not exist."""

    def __init__(self, field_name: str, category_id: Any):
        super().__init__("The request names a category that does not exist.",
                         errors={field_name: [f"There is no category {category_id}."]})


class ReassignIntoDeleted(ValidationFailed):
    def __init__(self) -> None:
        super().__init__("Products cannot move to a category that is being deleted.",
                         errors={"reassign_to": ["Is the category being deleted or one below it."]})


@dataclass(frozen=True)
class CategoryDetails:
    id: int
    name: str
    slug: str
    parent_id: int | None
    position: int

    @classmethod
    def of(cls, category: Category) -> "CategoryDetails":
        return cls(id=category.id, name=category.name, slug=category.slug, parent_id=category.parent_id,
                   position=category.position)


@dataclass(frozen=True)
class CategoryNode(CategoryDetails):
    children: list["CategoryNode"] = field(default_factory=list)


# Reading

def category_tree() -> list[CategoryNode]:
    """Every category as a forest of top-level nodes; siblings ordered by position, then name."""
    with UnitOfWork() as uow:
        ordered = [CategoryNode(**asdict(CategoryDetails.of(category))) for category in uow.session.scalars(
            select(Category).order_by(Category.position, Category.name, Category.id))]
    nodes = {node.id: node for node in ordered}
    roots: list[CategoryNode] = []
    for node in ordered:
        parent = nodes.get(node.parent_id) if node.parent_id is not None else None
        (parent.children if parent else roots).append(node)
    return roots


def descendant_ids(category_id: int) -> list[int]:
    """The ids of a category and of every category below it (empty if it does not exist).

    For filters such as "products in Kitchen, including Mugs and Plates".
    """
    with UnitOfWork() as uow:
        return _subtree_ids(uow.session, category_id)


def require_category(category_id: int, field_name: str = "category_id") -> None:
    """UnknownCategory unless the category exists (read in the control database's own transaction)."""
    if not existing_categories([category_id]):
        raise UnknownCategory(field_name, category_id)


def existing_categories(category_ids: Iterable[int]) -> set[int]:
    """Those of these categories that exist."""
    with UnitOfWork() as uow:
        return set(uow.session.scalars(select(Category.id).where(Category.id.in_(list(category_ids)))))


def category_ids_by_slug() -> dict[str, int]:
    with UnitOfWork() as uow:
        return dict(uow.session.execute(select(Category.slug, Category.id)).all())


# Writing (operators)

def create_category(actor_user_id: int | None, name: str, slug: str, parent_id: int | None,
                    position: int) -> CategoryDetails:
    """Add a category, top-level or under `parent_id`."""
    with UnitOfWork() as uow:
        lock_category_tree(uow.session)
        if parent_id is not None and uow.session.get(Category, parent_id) is None:
            raise UnknownCategory("parent_id", parent_id)
        category = Category(name=name, slug=slug, parent_id=parent_id, position=position)
        uow.session.add(category)
        uow.session.flush()
        details = CategoryDetails.of(category)
        record(uow, actor_user_id=actor_user_id, action="category.create", target_type="category",
               target_id=category.id, after=_audit_state(details))
        uow.after_commit(lambda: invalidate(MARKET_SCOPE))
        uow.commit()
    return details


def change_category(actor_user_id: int | None, category_id: int, changes: dict[str, Any]) -> CategoryDetails:
    """Rename and/or move a category; a move under itself or a descendant is a CategoryCycle."""
    changes = writable_changes(changes, CATEGORY_WRITABLE_FIELDS)
    with UnitOfWork() as uow:
        lock_category_tree(uow.session)
        category = uow.session.get(Category, category_id)
        if category is None:
            raise CategoryNotFound(category_id)
        before = CategoryDetails.of(category)
        new_parent_id = changes.get("parent_id", category.parent_id)
        if "parent_id" in changes and new_parent_id is not None:
            _check_move(uow.session, category_id, new_parent_id)
        for name, value in changes.items():
            setattr(category, name, value)
        uow.session.flush()
        details = CategoryDetails.of(category)
        record(uow, actor_user_id=actor_user_id, action="category.update", target_type="category",
               target_id=category_id, before=_audit_state(before), after=_audit_state(details))
        if (details.name, details.parent_id) != (before.name, before.parent_id):
            # Search documents carry the category path's ids and names.
            uow.add_message(RESYNC_CATEGORY_JOB, {"category_id": category_id})
        uow.after_commit(lambda: invalidate(MARKET_SCOPE))
        uow.commit()
    return details


def delete_category(actor_user_id: int | None, category_id: int, reassign_to: int | None) -> None:
    """Delete a category and its subtree, first moving any product that uses them to `reassign_to`.

    Without `reassign_to`, a subtree still in use is a CategoryInUse (409).
    """
    with UnitOfWork() as uow:
        if uow.session.get(Category, category_id) is None:
            raise CategoryNotFound(category_id)
        doomed_ids = _subtree_ids(uow.session, category_id)
        tenant_ids = _tenants_using(uow.session, doomed_ids)
        if reassign_to is not None:
            _check_reassign_target(uow.session, reassign_to, doomed_ids)
        elif tenant_ids:
            raise CategoryInUse(_count_products_using(uow.session, doomed_ids))
    for tenant_id in tenant_ids:
        _reassign_products(tenant_id, doomed_ids, reassign_to)
    _delete_subtree(actor_user_id, category_id)


def resync_category_products(category_id: int) -> int:
    """Resync every product in the category or below it (after a rename or a move); returns how many."""
    with UnitOfWork() as uow:
        if uow.session.get(Category, category_id) is None:
            return 0  # deleted since: its products were reassigned, and synced then
        subtree_ids = _subtree_ids(uow.session, category_id)
        tenants = [tenant.ref() for tenant in uow.session.scalars(
            select(Tenant).where(Tenant.id.in_(_tenants_using(uow.session, subtree_ids))).order_by(Tenant.id))]
    return sum(resync_products(tenant, Product.category_id.in_(subtree_ids)) for tenant in tenants)


def _delete_subtree(actor_user_id: int | None, category_id: int) -> None:
    with UnitOfWork() as uow:
        lock_category_tree(uow.session)
        category = uow.session.get(Category, category_id)
        if category is None:
            raise CategoryNotFound(category_id)
        doomed_ids = _subtree_ids(uow.session, category_id)
        lock_rows_in_id_order(uow.session, Category, Category.id.in_(doomed_ids))
        # Checked again under the locks: a product may have been assigned since the reassignment.
        product_count = _count_products_using(uow.session, doomed_ids)
        if product_count:
            raise CategoryInUse(product_count)
        before = CategoryDetails.of(category)
        # One statement: the parent foreign key is checked once it has run, with the whole subtree gone.
        uow.session.execute(delete(Category).where(Category.id.in_(doomed_ids)))
        record(uow, actor_user_id=actor_user_id, action="category.delete", target_type="category",
               target_id=category_id, before={**_audit_state(before), "deleted_ids": doomed_ids})
        uow.after_commit(lambda: invalidate(MARKET_SCOPE))
        uow.commit()


def _reassign_products(tenant_id: int, from_category_ids: list[int], to_category_id: int) -> None:
    """Move one tenant's products out of the doomed categories, in that tenant's own transaction."""
    tenant = get_tenant_by_id(tenant_id)
    require_category(to_category_id, "reassign_to")
    with UnitOfWork(tenant) as uow:
        moved_ids = uow.session.scalars(
            update(Product)
            .where(Product.category_id.in_(from_category_ids))
            .values(category_id=to_category_id, version=Product.version + 1)
            .returning(Product.id)
        ).all()
        sync_listings(uow, tenant, moved_ids)
        uow.commit()


# The tree

def _subtree(category_id: int) -> CTE:
    # UNION (not UNION ALL) ends the recursion even if a cycle ever slipped in.
    subtree = select(Category.id).where(Category.id == category_id).cte("subtree", recursive=True)
    return subtree.union(select(Category.id).join(subtree, Category.parent_id == subtree.c.id))


def _subtree_ids(session: Session, category_id: int) -> list[int]:
    subtree = _subtree(category_id)
    return list(session.scalars(select(subtree.c.id).order_by(subtree.c.id)))


def _ancestor_ids(session: Session, category_id: int) -> set[int]:
    """The category and every category above it."""
    ancestors = (select(Category.id, Category.parent_id).where(Category.id == category_id)
                 .cte("ancestors", recursive=True))
    ancestors = ancestors.union(
        select(Category.id, Category.parent_id).join(ancestors, Category.id == ancestors.c.parent_id))
    return set(session.scalars(select(ancestors.c.id)))


def _check_move(session: Session, category_id: int, new_parent_id: int) -> None:
    if new_parent_id == category_id:
        raise CategoryCycle(category_id, new_parent_id)
    if session.get(Category, new_parent_id) is None:
        raise UnknownCategory("parent_id", new_parent_id)
    if category_id in _ancestor_ids(session, new_parent_id):
        raise CategoryCycle(category_id, new_parent_id)


def _check_reassign_target(session: Session, reassign_to: int, doomed_ids: list[int]) -> None:
    if reassign_to in doomed_ids:
        raise ReassignIntoDeleted()
    if session.get(Category, reassign_to) is None:
        raise UnknownCategory("reassign_to", reassign_to)


def _tenants_using(session: Session, category_ids: list[int]) -> list[int]:
    return list(session.scalars(
        select(ProductListing.tenant_id).where(ProductListing.category_id.in_(category_ids))
        .distinct().order_by(ProductListing.tenant_id)))


def _count_products_using(session: Session, category_ids: list[int]) -> int:
    return session.scalar(
        select(func.count()).select_from(ProductListing).where(ProductListing.category_id.in_(category_ids)))


def _audit_state(details: CategoryDetails) -> dict[str, Any]:
    return {"name": details.name, "slug": details.slug, "parent_id": details.parent_id, "position": details.position}
