"""Review use cases: a buyer reviews a delivered order line, the seller replies once, operators hide.

A review lives in the seller's schema; the purchase that allows it is a line
of the buyer's marketplace order whose seller order was delivered (or since
completed), and its author's name a user, both in the control database, read
in transactions of their own. The delivery is read from the buyer's view of
the seller order (`marketplace_order_sellers.status`, mirrored from the
seller's schema by `marketplace.orders.lifecycle`). The product's
rating_total and rating_count are recomputed from the visible reviews in the
review's own transaction, with the product row locked so that concurrent
reviews of one product cannot lose an update; the listing's copy follows
through the outbox (`sync_listing`). Averages are computed on read, by the
one rounding rule (`marketplace.reviews.ratings`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.catalog.listing import sync_listing
from marketplace.catalog.models import Product, ProductStatus
from marketplace.checkout.models import MarketplaceOrder, MarketplaceOrderLine, OrderSellerPart
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tenants.locks import lock_row
from marketplace.core.pagination import Page, PageRequest, fetch_page
from marketplace.orders.models import SellerOrderStatus
from marketplace.reviews.models import Review
from tenants.db import utcnow
from tenants.models import Tenant, TenantRef
from tenants.registry import get_tenant_by_slug
from tenants.uow import UnitOfWork


# The seller order statuses (as the buyer sees them) after which its lines may be reviewed.
REVIEWABLE_STATUSES = frozenset({SellerOrderStatus.DELIVERED.value, SellerOrderStatus.COMPLETED.value})


@dataclass(frozen=True)
class ReviewView:
    id: int
    seller_slug: str
    product_slug: str
    product_title: str
    order_line_id: int
    rating: int
    body: str
    author_name: str
    seller_reply: str | None
    replied_at: datetime | None
    is_hidden: bool
    created_at: datetime


class NotPurchased(ValidationFailed):
    def __init__(self, order_line_id: int):
        super().__init__("There is no such order line.",
                         errors={"order_line_id": ["No order line has this id: review a product you bought."]})
        self.order_line_id = order_line_id


class NotDelivered(ValidationFailed):
    def __init__(self, order_line_id: int, seller_order_status: str):
        status = seller_order_status.replace("_", " ")
        super().__init__("This order line has not been delivered yet.", errors={"order_line_id": [
            f"The seller's part of this order is {status}: review a product once it was delivered to you."]})
        self.order_line_id = order_line_id


class NotYourPurchase(Forbidden):
    def __init__(self, order_line_id: int):
        super().__init__("This order line belongs to another buyer's order.")
        self.order_line_id = order_line_id


class ProductGone(ValidationFailed):
    def __init__(self, order_line_id: int):
        super().__init__("The product of this order line no longer exists.",
                         errors={"order_line_id": ["The product of this order line no longer exists."]})
        self.order_line_id = order_line_id


class AlreadyReviewed(Conflict):
    code = "already_reviewed"

    def __init__(self, order_line_id: int):
        super().__init__("This order line has been reviewed already.")
        self.order_line_id = order_line_id


class ProductNotFound(NotFound):
    """A product page's reviews asked for by a slug that names no published product of the seller."""

    def __init__(self, seller_slug: str, product_slug: str):
        super().__init__("This seller has no product with this slug.")
        self.seller_slug = seller_slug
        self.product_slug = product_slug


class ReviewNotFound(NotFound):
    def __init__(self, review_id: int):
        super().__init__("This seller has no such review.")
        self.review_id = review_id


class AlreadyReplied(Conflict):
    code = "already_replied"

    def __init__(self, review_id: int):
        super().__init__("The seller has replied to this review already.")
        self.review_id = review_id


class VisibilityUnchanged(Conflict):
    code = "illegal_transition"

    def __init__(self, review_id: int, hidden: bool):
        super().__init__(f"The review is {'hidden' if hidden else 'visible'} already.")
        self.review_id = review_id


# Buyers

def create_review(buyer_user_id: int, order_line_id: int, rating: int, body: str) -> ReviewView:
    """Review the product of one of the buyer's order lines; one review per line.

    A line that does not exist is NotPurchased (422), another buyer's line
    NotYourPurchase (403), a line not delivered yet NotDelivered (422), a
    second review of a line AlreadyReviewed (409).
    """
    tenant, product_id = _purchased_line(buyer_user_id, order_line_id)
    with UnitOfWork(tenant) as uow:
        product = lock_row(uow.session, Product, product_id)
        if product is None:
            raise ProductGone(order_line_id)
        # The product lock serialises reviews of this line, so this check cannot race.
        if uow.session.scalar(select(Review.id).where(Review.order_line_id == order_line_id)) is not None:
            raise AlreadyReviewed(order_line_id)
        review = Review(product_id=product.id, order_line_id=order_line_id, buyer_user_id=buyer_user_id,
                        rating=rating, body=body)
        uow.session.add(review)
        uow.session.flush()
        _refresh_rating(uow, tenant, product)
        view = _load_view(uow.session, tenant, review.id)
        uow.commit()
    return view


def list_product_reviews(seller_slug: str, product_slug: str, page_request: PageRequest) -> Page[ReviewView]:
    """The visible reviews of a published product of an active seller, newest first."""
    seller = get_tenant_by_slug(seller_slug, active_only=True)
    with UnitOfWork(seller) as uow:
        product_id = _published_product_id(uow.session, product_slug)
        if product_id is None:
            raise ProductNotFound(seller_slug, product_slug)
        statement = _reviews_statement().where(Review.product_id == product_id, Review.is_hidden.is_(False))
        # Mapped inside the block: leaving it rolls back, which expires the rows read.
        return _view_page(seller, fetch_page(uow.session, statement, page_request))


# Sellers

def list_seller_reviews(tenant: TenantRef, page_request: PageRequest) -> Page[ReviewView]:
    """Every review of the seller's products, hidden ones included, newest first."""
    with UnitOfWork(tenant) as uow:
        return _view_page(tenant, fetch_page(uow.session, _reviews_statement(), page_request))


def reply_to_review(tenant: TenantRef, review_id: int, body: str) -> ReviewView:
    """The seller's one public answer to a review; a second one is AlreadyReplied (409)."""
    with UnitOfWork(tenant) as uow:
        review = lock_row(uow.session, Review, review_id)
        if review is None:
            raise ReviewNotFound(review_id)
        if review.seller_reply is not None:
            raise AlreadyReplied(review_id)
        review.seller_reply = body
        review.replied_at = utcnow()
        uow.session.flush()
        view = _load_view(uow.session, tenant, review.id)
        uow.commit()
    return view


# Operators

def set_review_hidden(tenant: TenantRef, review_id: int, hidden: bool, *, operator_user_id: int,
                      reason: str) -> ReviewView:
    """Hide a review from buyers (or show it again); the product's rating follows at once.

    Hiding a hidden review, or showing a visible one, is VisibilityUnchanged (409).
    The decision goes to the audit log with its reason.
    """
    with UnitOfWork(tenant) as uow:
        product_id = uow.session.scalar(select(Review.product_id).where(Review.id == review_id))
        if product_id is None:
            raise ReviewNotFound(review_id)
        # Product first, then review: the order create_review takes its locks in.
        product = lock_row(uow.session, Product, product_id)
        review = lock_row(uow.session, Review, review_id)
        if review.is_hidden == hidden:
            raise VisibilityUnchanged(review_id, hidden)
        review.is_hidden = hidden
        uow.session.flush()
        _refresh_rating(uow, tenant, product)
        record(uow, actor_user_id=operator_user_id, action="review.hide" if hidden else "review.unhide",
               target_type="review", target_id=review.id, tenant_id=tenant.id,
               before={"is_hidden": not hidden}, after={"is_hidden": hidden, "reason": reason})
        view = _load_view(uow.session, tenant, review.id)
        uow.commit()
    return view


# Helpers

def _purchased_line(buyer_user_id: int, order_line_id: int) -> tuple[TenantRef, int]:
    """The seller and product of the buyer's order line, once that seller's part was delivered."""
    with UnitOfWork() as uow:
        row = uow.session.execute(
            select(MarketplaceOrderLine.product_id, MarketplaceOrder.buyer_user_id, OrderSellerPart.status, Tenant)
            .join(MarketplaceOrder, MarketplaceOrder.id == MarketplaceOrderLine.order_id)
            .join(Tenant, Tenant.id == MarketplaceOrderLine.tenant_id)
            .outerjoin(OrderSellerPart, (OrderSellerPart.order_id == MarketplaceOrderLine.order_id)
                       & (OrderSellerPart.tenant_id == MarketplaceOrderLine.tenant_id))
            .where(MarketplaceOrderLine.id == order_line_id)
        ).one_or_none()
        if row is None:
            raise NotPurchased(order_line_id)
        if row.buyer_user_id != buyer_user_id:
            raise NotYourPurchase(order_line_id)
        if row.status not in REVIEWABLE_STATUSES:
            raise NotDelivered(order_line_id, row.status or "pending")
        return row.Tenant.ref(), row.product_id


def _published_product_id(session: Session, product_slug: str) -> int | None:
    """The id of the published product with this slug in the session's tenant, if any."""
    return session.scalar(
        select(Product.id).where(Product.slug == product_slug, Product.status == ProductStatus.PUBLISHED)
    )


def _refresh_rating(uow: UnitOfWork, tenant: TenantRef, product: Product) -> None:
    """Recompute the product's rating from its visible reviews and copy it to the listing.

    `sync_listing` also drops, after the commit, the cached reads that show the
    rating: product detail and seller profile (tenant scope), the listing (market scope).
    """
    total, count = uow.session.execute(
        select(func.coalesce(func.sum(Review.rating), 0), func.count(Review.id))
        .where(Review.product_id == product.id, Review.is_hidden.is_(False))
    ).one()
    product.rating_total, product.rating_count = total, count
    product.version += 1  # the rating is part of the search document; the row is locked
    sync_listing(uow, tenant, product.id)


def _reviews_statement() -> Select:
    return (
        select(Review, Product.slug, Product.title)
        .join(Product, Product.id == Review.product_id)
        .order_by(Review.created_at.desc(), Review.id.desc())
    )


def _load_view(session: Session, tenant: TenantRef, review_id: int) -> ReviewView:
    row = session.execute(_reviews_statement().where(Review.id == review_id)).one()
    return _view(tenant, row, _full_names([row.Review.buyer_user_id]))


def _view_page(tenant: TenantRef, page: Page) -> Page[ReviewView]:
    full_names = _full_names(row.Review.buyer_user_id for row in page.items)
    return page.map(lambda row: _view(tenant, row, full_names))


def _full_names(user_ids) -> dict[int, str]:
    """The authors' names, from the control database (users live there, reviews in the seller's schema)."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    with UnitOfWork() as uow:
        return dict(uow.session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all())


def _view(tenant: TenantRef, row, full_names: dict[int, str]) -> ReviewView:
    review = row.Review
    return ReviewView(
        id=review.id, seller_slug=tenant.slug, product_slug=row.slug, product_title=row.title,
        order_line_id=review.order_line_id, rating=review.rating, body=review.body,
        author_name=author_name(full_names.get(review.buyer_user_id)), seller_reply=review.seller_reply,
        replied_at=review.replied_at, is_hidden=review.is_hidden, created_at=review.created_at,
    )


def author_name(full_name: str | None) -> str:
    """How a review names its author: first name and last initial ("Ada L."), never the full name."""
    words = (full_name or "").split()
    if not words:
        return "A buyer"
    return words[0] if len(words) == 1 else f"{words[0]} {words[-1][0]}."
