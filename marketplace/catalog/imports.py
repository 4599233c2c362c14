"""Bulk import of products and variants from a CSV file (the format: `csv_rows`).

The upload is checked for its layout, stored, and a job is queued through the
outbox. The job validates every row, then writes the good ones in chunks of
about `CHUNK_ROWS` rows: one transaction and a handful of bulk statements per
chunk (products upserted by slug, images replaced, variants upserted by SKU,
stock brought to the file's level by adjustment movements, listing rows
rewritten). Importing the same file again changes nothing but the versions,
and a job run twice does nothing the second time.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from marketplace.catalog.categories import category_ids_by_slug, existing_categories
from marketplace.catalog.csv_rows import (
    OPTION_PREFIX, ProductRows, RowError, check_layout, decode_csv, plan_import,
)
from marketplace.catalog.listing import sync_listings
from marketplace.catalog.plan_limit import PlanLimitReached, beyond_limit
from marketplace.catalog.models import (
    CatalogImport, ImportStatus, Product, ProductImage, ProductStatus, StockReason, Variant,
)
from marketplace.catalog.stock import set_stock_levels
from billing.plans import product_limit_of
from marketplace.core.errors import NotFound
from tenants.locks import lock_catalog_imports, lock_row
from tenants.models import TenantRef
from tenants.registry import get_tenant_by_id
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

IMPORT_JOB = "marketplace.catalog.jobs.import_catalog"
MAX_IMPORT_BYTES = 8 * 1024 * 1024
CHUNK_ROWS = 1000
# Enough to fix a file by; row_count - imported_count says how many rows were bad in all.
MAX_REPORTED_ROW_ERRORS = 1000


class ImportNotFound(NotFound):
    def __init__(self, import_id: int):
        super().__init__(f"This seller has no import {import_id}.")


@dataclass(frozen=True)
class ImportReport:
    id: int
    status: ImportStatus
    filename: str
    row_count: int
    imported_count: int
    row_errors: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, catalog_import: CatalogImport) -> "ImportReport":
        return cls(id=catalog_import.id, status=ImportStatus(catalog_import.status), filename=catalog_import.filename,
                   row_count=catalog_import.row_count, imported_count=catalog_import.imported_count,
                   row_errors=list(catalog_import.row_errors), created_at=catalog_import.created_at,
                   updated_at=catalog_import.updated_at)


# The upload

def start_import(tenant: TenantRef, actor_user_id: int | None, filename: str, data: bytes) -> ImportReport:
    """Check the file's encoding and layout, store it and queue the import job; the report starts as `queued`.

    A file that cannot be imported at all is an InvalidCsv (422) and queues nothing; so is, with a
    PlanLimitReached (403), one whose new products do not fit under the seller's plan's product limit.
    """
    csv_text = decode_csv(data)
    row_count = check_layout(csv_text)
    product_limit = product_limit_of(tenant.id)
    with UnitOfWork(tenant) as uow:
        _require_room_for(uow.session, csv_text, product_limit)
        catalog_import = CatalogImport(filename=filename[:255], csv_text=csv_text, row_count=row_count,
                                       created_by_user_id=actor_user_id, row_errors=[])
        uow.session.add(catalog_import)
        uow.session.flush()
        uow.add_message(IMPORT_JOB, {"tenant_id": tenant.id, "import_id": catalog_import.id}, queue="default")
        uow.session.refresh(catalog_import)
        report = ImportReport.of(catalog_import)
        uow.commit()
    return report


def _require_room_for(session: Session, csv_text: str, product_limit: int | None) -> None:
    # The job checks again, product by product: the seller may add products before it runs.
    if product_limit is None:
        return
    if beyond_limit(session, plan_import(csv_text, category_ids_by_slug()).products, product_limit):
        raise PlanLimitReached(product_limit)


def get_import(tenant: TenantRef, import_id: int) -> ImportReport:
    with UnitOfWork(tenant) as uow:
        catalog_import = uow.session.get(CatalogImport, import_id)
        if catalog_import is None:
            raise ImportNotFound(import_id)
        return ImportReport.of(catalog_import)


# Running the import (the job)

def run_import(tenant_id: int, import_id: int) -> None:
    """Import a queued file chunk by chunk and write its report; nothing happens if it is already done."""
    tenant = get_tenant_by_id(tenant_id)
    csv_text, actor_user_id = _claim(tenant, import_id)
    if csv_text is None:
        return
    plan = plan_import(csv_text, category_ids_by_slug())
    product_limit = product_limit_of(tenant.id)
    row_errors = list(plan.row_errors)
    imported_count = 0
    for chunk in _chunks(plan.products):
        chunk_row_count = sum(len(product.variants) for product in chunk)
        chunk_errors = _drop_vanished_categories(chunk)
        with UnitOfWork(tenant) as uow:
            chunk_errors += _import_chunk(uow, tenant, plan.columns, chunk, import_id, actor_user_id, product_limit)
            uow.commit()
        row_errors += chunk_errors
        imported_count += chunk_row_count - len(chunk_errors)
    _finish(tenant, import_id, imported_count, row_errors)
    log.info("catalog import done", extra={"tenant": tenant.id, "import_id": import_id,
                                           "rows": plan.row_count, "imported": imported_count})


def mark_import_failed(tenant_id: int, import_id: int) -> None:
    """Record that an import stopped for good (its job is out of retries)."""
    with UnitOfWork(get_tenant_by_id(tenant_id)) as uow:
        catalog_import = lock_row(uow.session, CatalogImport, import_id)
        if catalog_import is not None and catalog_import.status is not ImportStatus.DONE:
            catalog_import.status = ImportStatus.FAILED
            uow.commit()


def _claim(tenant: TenantRef, import_id: int) -> tuple[str | None, int | None]:
    """The file and its uploader if the import is still to do (marked running), else (None, None)."""
    with UnitOfWork(tenant) as uow:
        catalog_import = lock_row(uow.session, CatalogImport, import_id)
        if catalog_import is None or catalog_import.status in (ImportStatus.DONE, ImportStatus.FAILED):
            return None, None
        # A run cut short left it running: rows are upserted, so doing it again is safe.
        catalog_import.status = ImportStatus.RUNNING
        csv_text, actor_user_id = catalog_import.csv_text, catalog_import.created_by_user_id
        uow.commit()
    return csv_text, actor_user_id


def _finish(tenant: TenantRef, import_id: int, imported_count: int, row_errors: list[RowError]) -> None:
    reported = sorted(row_errors, key=lambda row_error: row_error.line)[:MAX_REPORTED_ROW_ERRORS]
    with UnitOfWork(tenant) as uow:
        catalog_import = lock_row(uow.session, CatalogImport, import_id)
        catalog_import.status = ImportStatus.DONE
        catalog_import.imported_count = imported_count
        catalog_import.row_errors = [{"line": row_error.line, "errors": row_error.errors} for row_error in reported]
        uow.commit()


def _chunks(products: list[ProductRows]) -> Iterator[list[ProductRows]]:
    """Products in groups of about CHUNK_ROWS rows; a product's rows always stay together."""
    chunk: list[ProductRows] = []
    row_total = 0
    for product in products:
        chunk.append(product)
        row_total += len(product.variants)
        if row_total >= CHUNK_ROWS:
            yield chunk
            chunk, row_total = [], 0
    if chunk:
        yield chunk


def _import_chunk(uow: UnitOfWork, tenant: TenantRef, columns: tuple[str, ...], products: list[ProductRows],
                  import_id: int, actor_user_id: int | None, product_limit: int | None) -> list[RowError]:
    """Write one chunk in `uow`; return the rows refused on the database's account (category gone, SKU taken,
    no room left under the plan's product limit)."""
    session = uow.session
    lock_catalog_imports(session, tenant.id)
    row_errors = _drop_foreign_skus(session, products)
    row_errors += _drop_beyond_limit(session, products, product_limit)
    products = [product for product in products if product.variants]
    if not products:
        return row_errors
    product_ids = _upsert_products(session, columns, products)
    _replace_images(session, products, product_ids)
    variant_ids = _upsert_variants(session, tenant, columns, products, product_ids)
    # A SKU another product took since the check above: the upsert's guard left it alone.
    row_errors += [RowError(variant.line, {"sku": ["Belongs to another product."]})
                   for product in products for variant in product.variants if variant.sku not in variant_ids]
    levels = {variant_ids[variant.sku]: variant.stock for product in products for variant in product.variants
              if variant.stock is not None and variant.sku in variant_ids}
    if levels:
        set_stock_levels(session, levels, StockReason.ADJUSTMENT, f"CSV import {import_id}", actor_user_id)
    sync_listings(uow, tenant, product_ids.values())
    return row_errors


def _drop_vanished_categories(products: list[ProductRows]) -> list[RowError]:
    """Refuse the chunk's products whose category was deleted since the file was planned."""
    wanted = {product.fields["category_id"] for product in products if product.fields.get("category_id")}
    present = existing_categories(wanted) if wanted else set()
    row_errors = []
    for product in products:
        if product.fields.get("category_id") and product.fields["category_id"] not in present:
            reason = {"category_slug": [f"There is no category {product.category_slug!r}."]}
            row_errors += [RowError(variant.line, reason) for variant in product.variants]
            product.variants = []
    return row_errors


def _drop_beyond_limit(session: Session, products: list[ProductRows], product_limit: int | None) -> list[RowError]:
    """Refuse the products that would take a place past the plan's product limit (the file's later ones)."""
    row_errors = []
    for product in beyond_limit(session, [product for product in products if product.variants], product_limit):
        reason = {"product_slug": [f"plan_limit_reached: your plan allows {product_limit} products, archived "
                                   "ones aside."]}
        row_errors += [RowError(variant.line, reason) for variant in product.variants]
        product.variants = []
    return row_errors


def _drop_foreign_skus(session: Session, products: list[ProductRows]) -> list[RowError]:
    """Refuse rows whose SKU belongs to another product of the seller: an import never moves a variant."""
    skus = [variant.sku for product in products for variant in product.variants]
    owner_slugs = dict(session.execute(
        select(Variant.sku, Product.slug).join(Product, Product.id == Variant.product_id).where(Variant.sku.in_(skus))
    ).all())
    row_errors = []
    for product in products:
        foreign = [variant for variant in product.variants
                   if owner_slugs.get(variant.sku, product.slug) != product.slug]
        row_errors += [RowError(variant.line, {"sku": [f"Belongs to product {owner_slugs[variant.sku]!r}."]})
                       for variant in foreign]
        product.variants = [variant for variant in product.variants if variant not in foreign]
    return row_errors


def _upsert_products(session: Session, columns: tuple[str, ...], products: list[ProductRows]) -> dict[str, int]:
    """Insert new products and update existing ones by slug, in two statements; return id by slug."""
    now = session.scalar(select(func.now()))
    ids: dict[str, int] = {}
    for with_status in (True, False):
        group = [product for product in products if (product.status is not None) is with_status]
        if group:
            ids.update(_upsert_product_group(session, columns, group, now, with_status))
    return ids


def _upsert_product_group(session: Session, columns: tuple[str, ...], products: list[ProductRows], now: datetime,
                          with_status: bool) -> dict[str, int]:
    # In slug order, so that two imports into one seller lock the same rows in the same order.
    rows = [{
        "slug": product.slug, "title": product.fields["title"], "description": product.fields["description"],
        "category_id": product.fields["category_id"], "attributes": product.fields["attributes"],
        "status": (product.status or ProductStatus.DRAFT).value,
        "published_at": now if product.status is ProductStatus.PUBLISHED else None,
    } for product in sorted(products, key=lambda product: product.slug)]
    upsert = pg_insert(Product)
    excluded = upsert.excluded
    changes: dict[str, Any] = {"title": excluded.title, "version": Product.version + 1, "updated_at": func.now()}
    for column, name in (("description", "description"), ("category_slug", "category_id"),
                         ("attributes", "attributes")):
        if column in columns:
            changes[name] = excluded[name]
    if with_status:
        changes["status"] = excluded.status
        # Kept from the first publication, as when publishing through the API.
        changes["published_at"] = case((excluded.status == ProductStatus.PUBLISHED.value,
                                        func.coalesce(Product.published_at, excluded.published_at)),
                                       else_=Product.published_at)
    upsert = upsert.on_conflict_do_update(index_elements=["slug"], set_=changes).returning(Product.slug, Product.id)
    return dict(session.execute(upsert, rows).all())


def _replace_images(session: Session, products: list[ProductRows], product_ids: dict[str, int]) -> None:
    with_image = [product for product in products if product.fields.get("images")]
    if not with_image:
        return
    session.execute(delete(ProductImage).where(
        ProductImage.product_id.in_([product_ids[product.slug] for product in with_image])))
    session.execute(pg_insert(ProductImage), [
        {"product_id": product_ids[product.slug], "url": image["url"], "alt": image["alt"],
         "position": image["position"]}
        for product in with_image for image in product.fields["images"]
    ])


def _upsert_variants(session: Session, tenant: TenantRef, columns: tuple[str, ...], products: list[ProductRows],
                     product_ids: dict[str, int]) -> dict[str, int]:
    """Insert new variants and update existing ones by SKU; return id by SKU."""
    rows = [{
        "product_id": product_ids[product.slug], "sku": variant.sku, "options": variant.fields["options"],
        "price_amount": variant.fields["price_amount"], "compare_at_amount": variant.fields["compare_at_amount"],
        "currency": tenant.currency, "weight_grams": variant.fields["weight_grams"],
        "low_stock_threshold": variant.fields["low_stock_threshold"],
    } for product in products for variant in product.variants]
    upsert = pg_insert(Variant)
    excluded = upsert.excluded
    changes: dict[str, Any] = {"price_amount": excluded.price_amount, "updated_at": func.now()}
    changes.update({name: excluded[name] for name in ("compare_at_amount", "weight_grams", "low_stock_threshold")
                    if name in columns})
    if any(column.startswith(OPTION_PREFIX) for column in columns):
        changes["options"] = excluded.options
    upsert = upsert.on_conflict_do_update(
        index_elements=["sku"], set_=changes,
        # Checked before, and again here: a SKU of another product is never moved.
        where=Variant.product_id == excluded.product_id,
    ).returning(Variant.sku, Variant.id)
    return dict(session.execute(upsert, rows).all())
