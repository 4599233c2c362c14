"""CSV imports: good rows are imported by a job, bad ones reported by line; a re-import updates, never duplicates."""
from __future__ import annotations

import pytest

from marketplace.accounts.models import MemberRole
from marketplace.catalog import csv_rows, imports
from marketplace.catalog.jobs import import_catalog
from marketplace.catalog.models import ImportStatus
from tests.concurrency import run_together
from tests.workers.support import run_jobs

HEADER = ("product_slug,title,description,category_slug,status,attributes,image_url,"
          "sku,price_amount,compare_at_amount,stock,option:size")

MIXED_FILE = "\n".join([
    HEADER,
    'oak-table,Oak Table,Solid oak,kitchen,published,material=oak;finish=oiled,https://img.example/oak.jpg,'
    'OAK-S,19900,24900,5,S',                                                     # 2: good
    "oak-table,,,,,,,OAK-L,29900,,2,L",                                          # 3: good, same product
    "pine-shelf,Pine Shelf,,,,,,PINE-1,12.50,,,",                                # 4: price not an integer
    "pine-stool,Pine Stool,,,,,,PINE-2,-1,,,",                                   # 5: negative price
    "pine-bench,Pine Bench,,,,,ftp://img.example/bench.jpg,PINE-3,100,,,",       # 6: not an http(s) URL
    "pine-bed,Pine Bed,,no-such-category,,,,PINE-4,100,,,",                      # 7: unknown category
    "oak-chair,Oak Chair,,,,,,OAK-S,100,,,",                                     # 8: SKU repeated
    "oak-table,Another Title,,,,,,OAK-M,100,,,",                                 # 9: changes the product's title
    "birch-box,,,,,,,BIRCH-1,100,,,",                                            # 10: new product without title
    'birch-tray,Birch Tray,"Two lines',                                          # 11: good, over two lines
    'of description",,draft,,,BIRCH-2,2500,,,',
    "birch-cup,Birch Cup,,,,colour,,BIRCH-3,100,,,",                            # 13: attributes without '='
]) + "\n"


def upload(client, shop, csv_text: str, headers=None):
    return client.post(f"{shop.url}/product-imports", data=csv_text.encode(), content_type="text/csv",
                       headers=headers or shop.staff.headers)


def import_file(app, client, shop, csv_text: str) -> dict:
    response = upload(client, shop, csv_text)
    assert response.status_code == 202, response.get_json()
    run_jobs(app)
    return client.get(f"{shop.url}/product-imports/{response.get_json()['id']}", headers=shop.staff.headers).get_json()


def errors_by_line(report: dict) -> dict[int, list[str]]:
    return {row_error["line"]: sorted(row_error["errors"]) for row_error in report["row_errors"]}


def test_an_upload_is_queued_and_the_job_imports_good_rows_and_reports_bad_ones_by_line(
        app, client, shop, catalog, make_category, monkeypatch):
    make_category("kitchen")
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)  # several chunks, with a product's rows kept together

    queued = upload(client, shop, MIXED_FILE)
    run_jobs(app)
    report = client.get(f"{shop.url}/product-imports/{queued.get_json()['id']}", headers=shop.staff.headers)

    assert queued.status_code == 202
    assert queued.get_json()["status"] == "queued"
    body = report.get_json()
    assert (body["status"], body["row_count"], body["imported_count"]) == ("done", 11, 3)
    assert errors_by_line(body) == {4: ["price_amount"], 5: ["price_amount"], 6: ["image_url"],
                                    7: ["category_slug"], 8: ["sku"], 9: ["title"], 10: ["title"],
                                    13: ["attributes"]}
    assert body["row_errors"][4]["errors"]["sku"] == ["Repeats the SKU of line 2."]


def test_imported_products_carry_every_column(app, client, shop, catalog, make_category, tenant_sql):
    kitchen = make_category("kitchen")

    import_file(app, client, shop, MIXED_FILE)

    products = {product["slug"]: product for product in catalog.call("GET", "/products", 200)}
    assert sorted(products) == ["birch-tray", "oak-table"]
    table = products["oak-table"]
    assert (table["title"], table["description"], table["category_id"], table["status"]) == \
        ("Oak Table", "Solid oak", kitchen, "published")
    assert table["attributes"] == {"material": "oak", "finish": "oiled"}
    assert [image["url"] for image in table["images"]] == ["https://img.example/oak.jpg"]
    assert [(v["sku"], v["price_amount"], v["compare_at_amount"], v["stock_on_hand"], v["options"])
            for v in table["variants"]] == [("OAK-S", 19900, 24900, 5, {"size": "S"}),
                                            ("OAK-L", 29900, None, 2, {"size": "L"})]
    assert products["birch-tray"]["description"] == "Two lines\nof description"
    assert tenant_sql(shop.tenant, "SELECT reason, quantity_delta FROM stock_movements ORDER BY id") == \
        [("adjustment", 5), ("adjustment", 2)]


def test_importing_the_same_file_again_updates_instead_of_duplicating(app, client, shop, catalog, make_category,
                                                                      tenant_sql, listing_row):
    make_category("kitchen")
    first = import_file(app, client, shop, MIXED_FILE)
    products_before = catalog.call("GET", "/products", 200)

    second = import_file(app, client, shop, MIXED_FILE)

    assert (first["imported_count"], second["imported_count"]) == (3, 3)
    products_after = catalog.call("GET", "/products", 200)
    assert [(p["id"], [v["id"] for v in p["variants"]]) for p in products_after] == \
        [(p["id"], [v["id"] for v in p["variants"]]) for p in products_before]
    assert [p["version"] for p in products_after] == [p["version"] + 1 for p in products_before]
    assert len(tenant_sql(shop.tenant, "SELECT id FROM stock_movements")) == 2
    assert len(tenant_sql(shop.tenant, "SELECT id FROM product_images")) == 1


def test_a_changed_file_updates_prices_and_turns_the_stock_difference_into_an_adjustment(
        app, client, shop, catalog, tenant_sql, listing_row):
    import_file(app, client, shop, "product_slug,title,sku,price_amount,stock\noak-table,Oak,OAK-1,1000,5\n")

    report = import_file(app, client, shop, "product_slug,title,sku,price_amount,stock\n"
                                            "oak-table,Oak Table,OAK-1,1200,3\n")

    assert report["imported_count"] == 1
    [product] = catalog.call("GET", "/products", 200)
    assert product["title"] == "Oak Table"
    assert [(v["price_amount"], v["stock_on_hand"]) for v in product["variants"]] == [(1200, 3)]
    assert tenant_sql(shop.tenant, "SELECT quantity_delta FROM stock_movements ORDER BY id") == [(5,), (-2,)]
    row = listing_row(shop.tenant, product["id"])
    assert (row["title"], row["min_price_amount"], row["in_stock"]) == ("Oak Table", 1200, True)


def test_columns_absent_from_the_file_leave_existing_fields_alone(app, client, shop, catalog):
    product = catalog.create_product("oak-table", description="Hand made.", attributes={"material": "oak"})
    catalog.add_variant(product["id"], "OAK-1", 1000, weight_grams=5000, options={"size": "M"})
    catalog.publish(product["id"])

    import_file(app, client, shop, "product_slug,title,sku,price_amount\noak-table,Oak Table,OAK-1,1100\n")

    updated = catalog.product(product["id"])
    assert (updated["title"], updated["description"], updated["attributes"], updated["status"]) == \
        ("Oak Table", "Hand made.", {"material": "oak"}, "published")
    assert [(v["price_amount"], v["weight_grams"], v["options"]) for v in updated["variants"]] == \
        [(1100, 5000, {"size": "M"})]


def test_a_sku_of_another_product_is_reported_and_not_moved(app, client, shop, catalog):
    chair = catalog.create_product("oak-chair")
    catalog.add_variant(chair["id"], "OAK-1")

    report = import_file(app, client, shop, "product_slug,title,sku,price_amount\noak-table,Oak Table,OAK-1,1100\n")

    assert report["row_errors"] == [{"line": 2, "errors": {"sku": ["Belongs to product 'oak-chair'."]}}]
    assert [product["slug"] for product in catalog.call("GET", "/products", 200)] == ["oak-chair"]


def test_a_multipart_upload_keeps_the_file_name(app, client, shop):
    import io

    response = client.post(f"{shop.url}/product-imports", headers=shop.staff.headers,
                           data={"file": (io.BytesIO(b"product_slug,title,sku,price_amount\nmug,Mug,MUG-1,900\n"),
                                          "spring.csv")},
                           content_type="multipart/form-data")

    assert response.status_code == 202
    assert (response.get_json()["filename"], response.get_json()["row_count"]) == ("spring.csv", 1)


def test_running_the_job_again_changes_nothing(app, client, shop, catalog, catalog_state):
    queued = upload(client, shop, "product_slug,title,sku,price_amount,stock\nmug,Mug,MUG-1,900,4\n").get_json()
    run_jobs(app)
    before = catalog_state(shop.tenant)

    with app.app_context():
        import_catalog(shop.tenant.id, queued["id"])

    assert catalog_state(shop.tenant) == before


@pytest.mark.parametrize("csv_text, reason", [
    ("", "empty"),
    ("product_slug,title,sku,price_amount\n", "no rows"),
    ("product_slug,title,sku\nmug,Mug,MUG-1\n", "missing column(s) price_amount"),
    ("product_slug,title,sku,price_amount,colour\nmug,Mug,MUG-1,900,red\n", "unknown column(s) colour"),
    ("product_slug,title,sku,sku,price_amount\nmug,Mug,M,M,900\n", "repeated column(s) sku"),
    ("product_slug,title,sku,price_amount\nmug,Mug\x00,MUG-1,900\n", "NUL"),
])
def test_a_file_that_cannot_be_imported_is_a_422_and_nothing_is_queued(client, shop, catalog_state, csv_text, reason):
    before = catalog_state(shop.tenant)

    response = upload(client, shop, csv_text)

    assert response.status_code == 422
    assert reason in response.get_json()["errors"]["file"][0]
    assert catalog_state(shop.tenant) == before


def test_a_file_that_is_not_utf8_is_a_422(client, shop, catalog_state):
    before = catalog_state(shop.tenant)

    response = client.post(f"{shop.url}/product-imports", data="product_slug,title\nmög".encode("latin-1"),
                           content_type="text/csv", headers=shop.staff.headers)

    assert response.status_code == 422
    assert "UTF-8" in response.get_json()["errors"]["file"][0]
    assert catalog_state(shop.tenant) == before


def test_a_file_over_the_size_limit_is_a_413(client, shop, catalog_state):
    before = catalog_state(shop.tenant)
    oversized = "product_slug,title,sku,price_amount\n" + "x" * imports.MAX_IMPORT_BYTES

    response = upload(client, shop, oversized)

    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"
    assert catalog_state(shop.tenant) == before


def test_a_file_with_too_many_rows_is_a_422(client, shop, catalog_state):
    before = catalog_state(shop.tenant)
    rows = "".join(f"p{n},P,S{n},1\n" for n in range(csv_rows.MAX_IMPORT_ROWS + 1))

    response = upload(client, shop, "product_slug,title,sku,price_amount\n" + rows)

    assert response.status_code == 422
    assert catalog_state(shop.tenant) == before


def test_an_upload_that_is_neither_csv_nor_a_form_is_a_415(client, shop, catalog_state):
    before = catalog_state(shop.tenant)

    response = client.post(f"{shop.url}/product-imports", json={"csv": "a,b"}, headers=shop.staff.headers)

    assert response.status_code == 415
    assert response.get_json()["code"] == "unsupported_media_type"
    assert catalog_state(shop.tenant) == before


def test_another_sellers_import_report_is_out_of_reach(client, shop, sign_up, make_seller):
    queued = upload(client, shop, "product_slug,title,sku,price_amount\nmug,Mug,MUG-1,900\n").get_json()
    rival_owner = sign_up("owner@rival.example")
    rival = make_seller("rival", {rival_owner.user_id: MemberRole.OWNER})

    through_our_url = client.get(f"{shop.url}/product-imports/{queued['id']}", headers=rival_owner.headers)
    through_theirs = client.get(f"/api/v1/sellers/{rival.slug}/product-imports/{queued['id']}",
                                headers=rival_owner.headers)

    assert (through_our_url.status_code, through_theirs.status_code) == (403, 404)


def test_two_imports_naming_the_same_products_in_other_ways_both_finish(app, shop):
    # Products with a status are written in one statement, the others in a second: file A set x's
    # status and B y's, so each locked its first product and waited for the other's. PostgreSQL
    # killed one of the two imports.
    a_file = "product_slug,title,status,sku,price_amount\nx,X,published,X-1,100\ny,Y,,Y-1,100\n"
    b_file = "product_slug,title,status,sku,price_amount\nx,X,,X-1,200\ny,Y,published,Y-1,200\n"
    with app.app_context():
        imports.run_import(shop.tenant.id, imports.start_import(shop.tenant, None, "first.csv", a_file.encode()).id)
    for round_number in range(12):
        with app.app_context():
            a, b = (imports.start_import(shop.tenant, None, name, data.encode()).id
                    for name, data in (("a.csv", a_file), ("b.csv", b_file)))

        outcomes = run_together(app, lambda: imports.run_import(shop.tenant.id, a),
                                lambda: imports.run_import(shop.tenant.id, b))

        with app.app_context():
            reports = [imports.get_import(shop.tenant, import_id) for import_id in (a, b)]
        assert outcomes == ["done", "done"]
        assert [(report.status, report.imported_count) for report in reports] == [(ImportStatus.DONE, 2)] * 2
