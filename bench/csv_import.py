"""CSV catalog import: rows/s for a 10,000-row file through the import job. Goal: under a minute.

Each run uploads the file to a fresh seller and runs the job's entry point
(`marketplace.catalog.jobs.import_catalog`) in this process: 2,500 products of
4 variants with every column filled, so every row creates a product or a
variant, an image, a stock movement and its share of a listing row. Then the
same file is imported again into that seller (every row an update).

Anchor: reading and validating the same file with the same schemas, without
the database (`csv_rows.plan_import`), timed alternately with the runs.
"""
from __future__ import annotations

import csv
import io

from bench.support import bench_database, bench_redis, figure_line, goal_line, timed
from marketplace import tables  # noqa: F401  (complete metadata, as the app has it)
from marketplace.catalog.categories import create_category
from marketplace.catalog.csv_rows import plan_import
from marketplace.catalog.imports import get_import, start_import
from marketplace.catalog.jobs import import_catalog
from tenants.models import TenantRef
from tenants.provisioning import provision_tenant

ROW_COUNT = 10_000
VARIANTS_PER_PRODUCT = 4
RUNS = 3
GOAL_SECONDS = 60
CATEGORY_SLUGS = [f"category-{number}" for number in range(20)]
SIZES = ["S", "M", "L", "XL"]


def catalog_file() -> bytes:
    """ROW_COUNT rows, VARIANTS_PER_PRODUCT per product, every column filled."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["product_slug", "title", "description", "category_slug", "status", "attributes", "image_url",
                     "sku", "price_amount", "compare_at_amount", "weight_grams", "stock", "option:size"])
    for row_number in range(ROW_COUNT):
        product_number, variant_number = divmod(row_number, VARIANTS_PER_PRODUCT)
        writer.writerow([
            f"product-{product_number}", f"Product {product_number}", f"Description of product {product_number}.",
            CATEGORY_SLUGS[product_number % len(CATEGORY_SLUGS)], "published", "material=oak;finish=oiled",
            f"https://img.example/{product_number}.jpg", f"SKU-{row_number}", 1000 + row_number, 2000 + row_number,
            500, row_number % 7, SIZES[variant_number],
        ])
    return out.getvalue().encode()


def import_through_job(tenant: TenantRef, data: bytes) -> None:
    report = start_import(tenant, None, "bench.csv", data)
    import_catalog(tenant.id, report.id)
    done = get_import(tenant, report.id)
    if (done.status.value, done.imported_count) != ("done", ROW_COUNT):
        raise RuntimeError(f"import ended {done.status.value} with {done.imported_count} rows: {done.row_errors[:3]}")


def main() -> None:
    print(f"== CSV catalog import, {ROW_COUNT:,} rows ==", flush=True)
    data = catalog_file()
    # A Redis of its own: imports invalidate cached reads after each chunk.
    with bench_database("csv_import"), bench_redis():
        category_ids = {slug: create_category(None, slug, slug, None, 0).id for slug in CATEGORY_SLUGS}
        first_seconds, again_seconds, anchor_seconds = [], [], []
        for run in range(RUNS):
            anchor_seconds.append(timed(lambda: plan_import(data.decode(), category_ids)))
            tenant = provision_tenant(f"import-{run}", f"Import shop {run}")
            first_seconds.append(timed(lambda: import_through_job(tenant, data)))
            again_seconds.append(timed(lambda: import_through_job(tenant, data)))
        anchor_label = "reading and validating the rows without the database"
        for label, seconds in (("first import (all new)", first_seconds), ("same file again (all updates)",
                                                                           again_seconds)):
            print(figure_line(f"{label}, whole job", seconds, anchor_label, anchor_seconds, unit="s"), flush=True)
            print(f"  {ROW_COUNT / min(seconds):,.0f} rows/s at best, {ROW_COUNT / max(seconds):,.0f} at worst"
                  f" | anchor {ROW_COUNT / min(anchor_seconds):,.0f} rows/s", flush=True)
            print(goal_line(f"{ROW_COUNT:,} rows in < {GOAL_SECONDS} s", max(seconds) < GOAL_SECONDS), flush=True)


if __name__ == "__main__":
    main()
