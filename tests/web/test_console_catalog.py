"""The console's category tree and commission rules."""
from __future__ import annotations

from playwright.sync_api import expect

from marketplace.catalog import categories, services as catalog
from tests.web.browser import assert_accessible
from tests.web.console_support import OPERATOR_EMAIL, api_headers, as_operator


def tree_of(client) -> list:
    def shape(nodes):
        return [(node["name"], shape(node["children"])) for node in nodes]
    return shape(client.get("/api/v1/categories").get_json())


def test_an_operator_builds_renames_moves_and_deletes_categories(page, account, client):
    as_operator(page, account, "/console/categories")

    page.get_by_label("Name", exact=True).fill("Tools")
    page.get_by_label("Slug").fill("tools")
    page.get_by_role("button", name="Add the category").click()
    expect(page.get_by_text("Category Tools added.")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Hand tools")
    page.get_by_label("Slug").fill("tools")  # taken: refused beside the slug
    page.get_by_label("Parent").select_option(label="Tools")
    page.get_by_role("button", name="Add the category").click()
    assert page.locator("#slug-errors").inner_text() == "Another category has this slug."
    assert_accessible(page)
    page.get_by_label("Slug").fill("hand-tools")
    page.get_by_role("button", name="Add the category").click()
    assert tree_of(client) == [("Tools", [("Hand tools", [])])]

    page.get_by_role("link", name="Hand tools").click()
    page.get_by_label("Name", exact=True).fill("Saws")
    page.get_by_label("Parent").select_option(label="(top level)")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Category Saws saved.")).to_be_visible()
    assert sorted(tree_of(client)) == [("Saws", []), ("Tools", [])]

    page.get_by_role("link", name="Tools").first.click()
    expect(page.get_by_label("Parent").locator("option", has_text="Tools")).to_have_count(0)  # not under itself
    assert_accessible(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Tools").click()
    expect(page.get_by_text("Category Tools and those below it deleted.")).to_be_visible()
    assert tree_of(client) == [("Saws", [])]


def test_deleting_a_category_in_use_asks_where_its_products_go_and_moves_them(app, page, account, make_seller):
    acme = make_seller("acme-tools")
    with app.app_context():
        tools = categories.create_category(None, name="Tools", slug="tools", parent_id=None, position=0)
        saws = categories.create_category(None, name="Saws", slug="saws", parent_id=tools.id, position=0)
        garden = categories.create_category(None, name="Garden", slug="garden", parent_id=None, position=1)
        saw = catalog.create_product(acme, {"slug": "pull-saw", "title": "Pull saw", "description": "",
                                            "category_id": saws.id, "attributes": {}, "images": []})
    as_operator(page, account, f"/console/categories/{tools.id}")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Tools").click()
    assert page.locator("#reassign_to-errors").inner_text() == \
        "1 product(s) use this category or one below it: choose where to move them."
    assert_accessible(page)
    page.get_by_label("Move its products to").select_option(label="Garden")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Tools").click()
    expect(page.get_by_text("Category Tools and those below it deleted.")).to_be_visible()
    with app.app_context():
        assert catalog.get_product(acme, saw.id).category_id == garden.id
        assert [node.name for node in categories.category_tree()] == ["Garden"]


def test_an_operator_adds_and_edits_a_commission_rule_and_a_fee_without_currency_is_refused(app, page, account,
                                                                                            client):
    with app.app_context():
        tools = categories.create_category(None, name="Tools", slug="tools", parent_id=None, position=0)
    as_operator(page, account, "/console/commissions")

    page.get_by_label("Category").select_option(label="Tools")
    page.get_by_label("Commission in basis points").fill("1250")
    page.get_by_role("button", name="Add the rule").click()
    expect(page.get_by_text("Commission rule added.")).to_be_visible()
    expect(page.get_by_role("cell", name="12.50%")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Edit rule").click()
    page.get_by_label("Commission in basis points").fill("1500")
    page.get_by_label("Fixed fee in minor units").fill("30")
    page.get_by_role("button", name="Save the terms").click()
    assert page.locator("#currency-errors").inner_text() == "A fixed fee needs its currency."
    assert_accessible(page)
    page.get_by_label("Fixed fee currency").fill("eur")
    page.get_by_role("button", name="Save the terms").click()
    expect(page.get_by_text("Commission rule saved.")).to_be_visible()

    [rule] = client.get("/api/v1/operator/commission-rules", headers=api_headers(client, OPERATOR_EMAIL)).get_json()
    assert (rule["category_id"], rule["basis_points"], rule["fixed_fee_amount"], rule["currency"]) == \
        (tools.id, 1500, 30, "EUR")
