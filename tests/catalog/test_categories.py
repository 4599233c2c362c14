"""The category tree: operators build it, nobody can make it a cycle, and used categories need reassignment."""
from __future__ import annotations

import threading

from marketplace.accounts.models import MemberRole
from marketplace.catalog import categories
from marketplace.catalog.categories import CategoryCycle


def test_anyone_reads_the_tree_with_siblings_ordered_by_position(client, make_category):
    home = make_category("home")
    make_category("kitchen", parent_id=home, position=2)
    make_category("bedroom", parent_id=home, position=1)
    make_category("garden", position=5)

    response = client.get("/api/v1/categories")

    assert response.status_code == 200
    tree = response.get_json()
    assert [node["slug"] for node in tree] == ["home", "garden"]
    assert [child["slug"] for child in tree[0]["children"]] == ["bedroom", "kitchen"]
    assert tree[0]["children"][0]["parent_id"] == home


def test_an_operator_creates_renames_and_moves_a_category_and_each_change_is_audited(client, operator, sql):
    home = client.post("/api/v1/operator/categories", headers=operator.headers,
                       json={"name": "Home", "slug": "home"}).get_json()
    garden = client.post("/api/v1/operator/categories", headers=operator.headers,
                         json={"name": "Garden", "slug": "garden", "position": 3}).get_json()

    response = client.patch(f"/api/v1/operator/categories/{garden['id']}", headers=operator.headers,
                            json={"name": "Garden & Patio", "parent_id": home["id"]})

    assert response.status_code == 200
    assert response.get_json() == {**garden, "name": "Garden & Patio", "parent_id": home["id"]}
    assert [row.action for row in sql("SELECT action FROM platform.audit_log ORDER BY id")] == \
        ["category.create", "category.create", "category.update"]


def test_a_category_slug_is_unique(client, operator, make_category):
    make_category("home")

    response = client.post("/api/v1/operator/categories", headers=operator.headers,
                           json={"name": "Home again", "slug": "home"})

    assert response.status_code == 409
    assert response.get_json()["code"] == "slug_taken"


def test_a_move_under_itself_or_a_descendant_is_a_409(client, operator, make_category):
    home = make_category("home")
    kitchen = make_category("kitchen", parent_id=home)
    mugs = make_category("mugs", parent_id=kitchen)

    moves = [client.patch(f"/api/v1/operator/categories/{home}", headers=operator.headers,
                          json={"parent_id": target}) for target in (home, kitchen, mugs)]

    assert [response.status_code for response in moves] == [409, 409, 409]
    assert {response.get_json()["code"] for response in moves} == {"category_cycle"}
    assert client.get("/api/v1/categories").get_json()[0]["slug"] == "home"


def test_two_concurrent_crossing_moves_never_make_a_cycle(app, make_category):
    outcomes: list[str] = []

    def move(category_id: int, parent_id: int, start: threading.Barrier) -> None:
        with app.app_context():
            start.wait()
            try:
                categories.change_category(None, category_id, {"parent_id": parent_id})
                outcomes.append("moved")
            except CategoryCycle:
                outcomes.append("refused")

    for round_number in range(5):
        first, second = make_category(f"first-{round_number}"), make_category(f"second-{round_number}")
        start = threading.Barrier(2)
        threads = [threading.Thread(target=move, args=(first, second, start)),
                   threading.Thread(target=move, args=(second, first, start))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(outcomes) == ["moved"] * 5 + ["refused"] * 5
    with app.app_context():
        assert all(len(tree.children) == 1 and not tree.children[0].children for tree in categories.category_tree())


def test_descendant_ids_hold_the_category_and_everything_below_it(app, make_category):
    home = make_category("home")
    kitchen = make_category("kitchen", parent_id=home)
    mugs = make_category("mugs", parent_id=kitchen)
    make_category("garden")

    with app.app_context():
        assert sorted(categories.descendant_ids(home)) == sorted([home, kitchen, mugs])
        assert categories.descendant_ids(mugs) == [mugs]
        assert categories.descendant_ids(999) == []


def test_deleting_an_unused_category_removes_its_subtree(client, operator, make_category):
    home = make_category("home")
    make_category("kitchen", parent_id=home)
    make_category("garden")

    response = client.delete(f"/api/v1/operator/categories/{home}", headers=operator.headers)

    assert response.status_code == 204
    assert [node["slug"] for node in client.get("/api/v1/categories").get_json()] == ["garden"]


def test_a_category_used_below_it_by_any_seller_cannot_be_deleted_without_reassignment(
        client, operator, catalog, make_category, catalog_state, shop):
    home = make_category("home")
    kitchen = make_category("kitchen", parent_id=home)
    catalog.create_product(category_id=kitchen)
    before = catalog_state(shop.tenant)

    response = client.delete(f"/api/v1/operator/categories/{home}", headers=operator.headers)

    assert response.status_code == 409
    assert response.get_json()["code"] == "category_in_use"
    assert catalog_state(shop.tenant) == before


def test_deleting_with_reassignment_moves_every_sellers_products_first(
        client, operator, catalog, make_category, shop, sign_up, make_seller, listing_row):
    home, garden = make_category("home"), make_category("garden")
    kitchen = make_category("kitchen", parent_id=home)
    ours = catalog.create_product(category_id=kitchen)
    rival_owner = sign_up("owner@rival.example")
    rival = make_seller("rival", {rival_owner.user_id: MemberRole.OWNER})
    theirs = client.post(f"/api/v1/sellers/{rival.slug}/products", headers=rival_owner.headers,
                         json={"slug": "vase", "title": "Vase", "category_id": home}).get_json()

    response = client.delete(f"/api/v1/operator/categories/{home}?reassign_to={garden}", headers=operator.headers)

    assert response.status_code == 204
    assert catalog.product(ours["id"])["category_id"] == garden
    their_product = client.get(f"/api/v1/sellers/{rival.slug}/products/{theirs['id']}",
                               headers=rival_owner.headers).get_json()
    assert their_product["category_id"] == garden
    assert their_product["version"] == theirs["version"] + 1
    assert listing_row(shop.tenant, ours["id"])["category_id"] == garden
    assert listing_row(rival, theirs["id"])["category_id"] == garden
    assert [node["slug"] for node in client.get("/api/v1/categories").get_json()] == ["garden"]


def test_reassigning_into_the_deleted_subtree_or_to_no_category_is_a_422(
        client, operator, catalog, make_category, catalog_state, shop):
    home = make_category("home")
    kitchen = make_category("kitchen", parent_id=home)
    catalog.create_product(category_id=kitchen)
    before = catalog_state(shop.tenant)

    into_subtree = client.delete(f"/api/v1/operator/categories/{home}?reassign_to={kitchen}",
                                 headers=operator.headers)
    to_nothing = client.delete(f"/api/v1/operator/categories/{home}?reassign_to=999", headers=operator.headers)

    assert [into_subtree.status_code, to_nothing.status_code] == [422, 422]
    assert list(into_subtree.get_json()["errors"]) == list(to_nothing.get_json()["errors"]) == ["reassign_to"]
    assert catalog_state(shop.tenant) == before


def test_an_unknown_category_is_a_404(client, operator):
    changed = client.patch("/api/v1/operator/categories/999", headers=operator.headers, json={"name": "X"})
    deleted = client.delete("/api/v1/operator/categories/999", headers=operator.headers)

    assert [changed.status_code, deleted.status_code] == [404, 404]
