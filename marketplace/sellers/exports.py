"""Exporting a closed tenant's data as JSON and CSV files.

    <exports root>/<slug>/<export's creation time>/
        products.json  products.csv        the catalog
        product_images.json  ...
        variants.json  variants.csv
        order_lines.json  order_lines.csv  what buyers ordered from it

Seller orders do not exist yet; until they do, the orders are the
marketplace order lines of the tenant. Every column of each table is written,
so the export grows with the schema. The files go to a scratch folder that is
renamed into place, so a folder under its final name is always complete, and
the folder name comes from the export row: running the job again rewrites
the same folder instead of adding one.
"""
from __future__ import annotations

import csv
import json
import shutil
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlalchemy import Select, Table, select, update
from sqlalchemy.orm import Session

from marketplace.catalog.models import Product, ProductImage, Variant
from marketplace.checkout.models import MarketplaceOrderLine
from marketplace.sellers.models import TenantExport
from tenants.db import TenantBase, utcnow
from tenants.models import TenantRef
from tenants.registry import get_tenant_by_id
from tenants.uow import UnitOfWork

FOLDER_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_BATCH_SIZE = 1_000


def write_tenant_export(export_id: int, exports_root: Path) -> Path | None:
    """Write the export's files and record where; None, changing nothing, if done before or unknown."""
    with UnitOfWork() as uow:
        export = uow.session.get(TenantExport, export_id)
        if export is None or export.completed_at is not None:
            return None
        tenant = get_tenant_by_id(export.tenant_id)
        folder_name = export.created_at.astimezone(timezone.utc).strftime(FOLDER_TIME_FORMAT)
        folder = exports_root / tenant.slug / folder_name
    _write_files(tenant, folder)
    with UnitOfWork() as uow:
        uow.session.execute(
            update(TenantExport).where(TenantExport.id == export_id, TenantExport.completed_at.is_(None))
            .values(path=str(folder), completed_at=utcnow())
        )
        uow.commit()
    return folder


def _write_files(tenant: TenantRef, folder: Path) -> None:
    scratch = folder.with_name(folder.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    for name, table, query in _datasets(tenant):
        # The catalog is in the tenant's schema, its order lines in the control database: one reader each.
        with UnitOfWork(tenant if table.metadata is TenantBase.metadata else None) as uow:
            _write_dataset(scratch, name, [column.name for column in table.columns], _rows(uow.session, table, query))
    shutil.rmtree(folder, ignore_errors=True)
    scratch.rename(folder)


def _datasets(tenant: TenantRef) -> list[tuple[str, Table, Select]]:
    order_lines = MarketplaceOrderLine.__table__
    return [
        ("products", Product.__table__, select(Product.__table__).order_by(Product.id)),
        ("product_images", ProductImage.__table__, select(ProductImage.__table__).order_by(ProductImage.id)),
        ("variants", Variant.__table__, select(Variant.__table__).order_by(Variant.id)),
        ("order_lines", order_lines,
         select(order_lines).where(order_lines.c.tenant_id == tenant.id).order_by(order_lines.c.id)),
    ]


def _rows(session: Session, table: Table, query: Select) -> Iterator[dict[str, Any]]:
    # Streamed in batches: a large catalog never sits in memory whole.
    result = session.execute(query.execution_options(yield_per=_BATCH_SIZE))
    for row in result.mappings():
        yield {column.name: _plain(row[column.name]) for column in table.columns}


def _plain(value: Any) -> Any:
    """A JSON-able form of a column value (enums by value, times in ISO 8601)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return getattr(value, "value", value)


def _write_dataset(folder: Path, name: str, columns: list[str], rows: Iterable[dict[str, Any]]) -> None:
    """`<name>.json` (an array of objects) and `<name>.csv` (a header, then one line per row), in one pass."""
    with (folder / f"{name}.json").open("w", encoding="utf-8") as json_file, \
            (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as csv_file:
        writer = csv.DictWriter(csv_file, fieldnames=columns)
        writer.writeheader()
        json_file.write("[")
        for index, row in enumerate(rows):
            json_file.write(",\n" if index else "\n")
            json.dump(row, json_file, ensure_ascii=False)
            # Nested values (attributes, options) as JSON text, so each stays in one cell.
            writer.writerow({key: json.dumps(value) if isinstance(value, (dict, list)) else value
                             for key, value in row.items()})
        json_file.write("\n]\n")
