"""Every storefront page, filled and empty, passes axe at phone and desktop width; sellers' storefronts on their
own domains; the home page's shelves."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from marketplace.search.opensearch_backend import OpenSearchBackend
from tenants.models import DomainStatus, TenantDomain
from tenants.uow import UnitOfWork
from tests.storefront.support import set_storefront
from tests.web.browser import assert_accessible
from tests.web.storefront_support import build_shop

LOGIN_REQUIRED_PATHS = ("/checkout", "/orders", "/orders/1", "/account", "/account/addresses",
                        "/account/addresses/new")


@pytest.fixture
def shop(app, make_seller):
    built = build_shop(app, make_seller)
    with app.app_context():
        set_storefront(built.oak, display_name="Oak & Co", description="Hand-thrown stoneware since 1998.",
                       logo_url="/assets/icon.svg", shipping_policy="Ships in two days.",
                       returns_policy="Thirty days to change your mind.")
    return built


def add_domain(tenant, hostname: str, status: DomainStatus) -> None:
    now = datetime.now(timezone.utc)
    with UnitOfWork() as uow:
        uow.session.add(TenantDomain(tenant_id=tenant.id, hostname=hostname, status=status, verification_token="t",
                                     verification_expires_at=now,
                                     verified_at=now if status == DomainStatus.VERIFIED else None))
        uow.commit()


def test_the_browsing_pages_pass_axe_filled_and_empty(page, shop):
    checks = [
        ("/", "Shop every seller in one cart"),
        ("/search?q=kitchen", "Results for “kitchen”"),
        ("/search?q=zzzz", "Results for “zzzz”"),
        ("/c/kitchen", "Kitchen"),
        ("/s/oak", "Oak & Co"),
        (f"/s/iron/{shop.black_pan.slug}", "Black Pan"),
        ("/cart", "Your cart"),
    ]
    for path, heading in checks:
        response = page.goto(path)
        assert response.status == 200, path
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_accessible(page)
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()


@pytest.mark.parametrize("path", LOGIN_REQUIRED_PATHS)
def test_a_guest_is_asked_to_log_in_for_the_buyers_own_pages(page, path):
    page.goto(path)
    assert page.url.endswith(f"/login?next={path}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert_accessible(page)


def test_the_home_page_shows_categories_the_best_rated_and_the_newest(page, shop):
    page.goto("/")
    expect(page.get_by_role("link", name="Kitchen")).to_be_visible()
    best_rated = page.locator("section", has=page.get_by_role("heading", name="Best rated"))
    expect(best_rated.get_by_role("heading", level=3)).to_have_text(["Blue Mug"])  # the only one reviewed
    newest = page.locator("section", has=page.get_by_role("heading", name="New in"))
    expect(newest.get_by_role("heading", level=3)).to_have_text(["Black Pan", "Blue Bowl", "Red Mug", "Blue Mug"])


def test_a_sellers_storefront_searches_only_its_own_products(page, shop):
    page.goto("/s/oak")
    expect(page.get_by_text("Thirty days to change your mind.")).to_be_visible()
    page.get_by_label("Search Oak & Co").fill("blue")
    page.get_by_role("button", name="Search this store").click()
    results = page.locator("section.results")
    expect(results.get_by_role("heading", level=3)).to_have_text(["Blue Mug"])  # not iron's Blue Bowl


def test_the_home_page_stays_up_without_its_best_rated_shelf_while_search_is_down(app, client, shop):
    # A real search engine nobody answers at, as the search suite takes it down.
    unreachable = OpenSearchBackend.from_url("http://127.0.0.1:9", prefix="nowhere_", retry_backoff_seconds=0)
    previous = app.extensions.get("search_backend")
    app.extensions["search_backend"] = unreachable
    try:
        response = client.get("/")
    finally:
        app.extensions["search_backend"] = previous
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Best rated" not in body and "Black Pan" in body  # the newest come from the listing


def test_a_category_page_lists_its_products_and_keeps_facets_across_pages(page, shop):
    page.goto("/c/kitchen?seller=oak&seller=iron&attr=colour:blue")
    expect(page.get_by_role("heading", name="2 products")).to_be_visible()
    assert page.get_by_label("Oak (1)").is_checked() and page.get_by_label("Iron (1)").is_checked()


def test_price_and_rating_narrow_the_search(page, shop):
    page.goto("/search?q=kitchen")
    page.get_by_label("$10.00 to $25.00 (3)").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("heading", name="3 products")).to_be_visible()  # 12, 15 and 20; not the 45 pan
    page.get_by_label("Rating").select_option("4")
    page.get_by_role("button", name="Apply filters").click()
    results = page.locator("section.results")
    expect(results.get_by_role("heading", level=3)).to_have_text(["Blue Mug"])
    assert page.get_by_label("$10.00 to $25.00 (1)").is_checked()


def test_a_bad_search_option_is_a_422_page_and_an_unknown_category_a_404(page, shop):
    response = page.goto("/search?sort=cheapest")
    assert response.status == 422
    assert "sort" in page.get_by_role("main").inner_text()
    assert page.goto("/search?price=cheap").status == 422
    assert page.goto("/c/no-such-category").status == 404
    assert page.goto("/s/no-such-seller").status == 404
    assert page.goto("/s/oak/no-such-product").status == 404


def test_suggestions_are_offered_while_typing(page, shop):
    page.goto("/")
    page.get_by_label("Search products").press_sequentially("blu")
    options = page.locator("#site-search-suggestions option")
    expect(options).to_have_count(2)
    assert sorted(options.evaluate_all("nodes => nodes.map(node => node.value)")) == ["Blue Bowl", "Blue Mug"]


def test_a_sellers_verified_domain_serves_its_storefront_at_the_root(app, client, shop):
    with app.app_context():
        add_domain(shop.oak, "shop.oak.test", DomainStatus.VERIFIED)
        add_domain(shop.iron, "pending.iron.test", DomainStatus.PENDING)
    on_domain = client.get("/", headers={"Host": "Shop.Oak.test:8443"})
    assert on_domain.status_code == 200
    body = on_domain.get_data(as_text=True)
    assert "<h1>Oak &amp; Co</h1>" in body and "Blue Mug" in body and "Black Pan" not in body
    assert "Thirty days to change your mind." in body

    unproved = client.get("/", headers={"Host": "pending.iron.test"}).get_data(as_text=True)
    assert "Shop every seller in one cart" in unproved  # a claimed domain serves nothing of its claimer
    assert "Shop every seller in one cart" in client.get("/").get_data(as_text=True)
