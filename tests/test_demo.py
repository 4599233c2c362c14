"""The demo data `make run` seeds: the accounts the README lists and three sellers' published catalogs."""
from datetime import date

from marketplace.demo import BUYER_EMAIL, DEMO_PASSWORD, DEMO_SELLERS, OPERATOR_EMAIL, seed_demo
from marketplace.shipping.services import shipping_options
from tenants.registry import get_tenant_by_slug
from tests.workers.support import run_jobs


def seed(app) -> bool:
    """As `flask seed demo` does, in the app's context: the demo's money goes through the app's payment gateway and
    the queued jobs run in this process."""
    with app.app_context():
        return seed_demo(lambda: run_jobs(app))


def test_demo_seed_creates_the_listed_logins_and_a_dozen_visible_products_per_seller(app, client):
    created = seed(app)

    assert created is True
    for email in [OPERATOR_EMAIL, BUYER_EMAIL] + [seller.owner_email for seller in DEMO_SELLERS]:
        response = client.post("/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 201, email
        profile = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.get_json()['access_token']}"})
        assert profile.get_json()["email_verified_at"] is not None, email
    for seller in DEMO_SELLERS:
        listing = client.get(f"/api/v1/products?seller={seller.slug}&page_size=50")
        assert len(listing.get_json()) == 12, seller.slug
        assert all(item["in_stock"] for item in listing.get_json())


def test_demo_seed_runs_once(app, sql):
    seed(app)

    created_again = seed(app)

    assert created_again is False
    assert sql("SELECT count(*) FROM platform.tenants")[0][0] == len(DEMO_SELLERS)


def test_the_demo_buyer_has_a_default_address_every_demo_seller_ships_to(app, client):
    seed(app)
    token = client.post("/api/v1/auth/token", json={"email": BUYER_EMAIL, "password": DEMO_PASSWORD}
                        ).get_json()["access_token"]

    [address] = client.get("/api/v1/me/addresses", headers={"Authorization": f"Bearer {token}"}).get_json()

    assert address["is_default"] is True
    with app.app_context():
        offered = {seller.slug: [option.name for option in shipping_options(
            get_tenant_by_slug(seller.slug), address["country"], 1000, None)] for seller in DEMO_SELLERS}
    assert offered == {"aurora-ceramics": ["Standard"], "brightline-cycles": ["International"],
                       "cedar-and-wick": ["International"]}


def test_the_demo_buyer_checks_out_one_cart_from_the_three_demo_sellers_with_a_test_card(app, client):
    seed(app)
    token = client.post("/api/v1/auth/token", json={"email": BUYER_EMAIL, "password": DEMO_PASSWORD}
                        ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    for seller in DEMO_SELLERS:
        [listed] = client.get(f"/api/v1/products?seller={seller.slug}&page_size=1").get_json()
        product = client.get(f"/api/v1/products/{seller.slug}/{listed['slug']}").get_json()
        added = client.post("/api/v1/cart/lines", headers=headers, json={
            "seller": seller.slug, "variant_id": product["variants"][0]["id"], "quantity": 1})
        assert added.status_code == 201, added.get_json()

    order = client.post("/api/v1/checkout", json={}, headers={**headers, "Idempotency-Key": "demo-1"})
    assert order.status_code == 201, order.get_json()
    paid = client.post(f"/api/v1/orders/{order.get_json()['id']}/payment", headers=headers,
                       json={"payment_method": "4242424242424242"})
    assert paid.status_code == 200, paid.get_json()
    run_jobs(app)

    view = client.get(f"/api/v1/orders/{order.get_json()['id']}", headers=headers).get_json()
    assert view["status"] == "paid"
    assert [(part["seller"], part["status"]) for part in view["sellers"]] == [
        (seller.slug, "awaiting_acceptance") for seller in DEMO_SELLERS]


def signed_in(client, email: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD}
                        ).get_json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_demo_sellers_have_balances_and_a_payout_run_with_real_figures(app, client):
    seed(app)

    def balance(seller) -> dict:
        response = client.get(f"/api/v1/sellers/{seller.slug}/balance", headers=signed_in(client, seller.owner_email))
        assert response.status_code == 200, response.get_json()
        return response.get_json()["balances"][0]

    balances = {seller.slug: balance(seller) for seller in DEMO_SELLERS}
    aurora, brightline, cedar = (balances[seller.slug] for seller in DEMO_SELLERS)
    assert aurora["paid_out"] > 0 and aurora["available"] == 0
    assert brightline["available"] > 0 and brightline["paid_out"] == 0
    assert cedar["pending"] > 0 and cedar["available"] == 0
    [run] = client.get("/api/v1/operator/payout-runs", headers=signed_in(client, OPERATOR_EMAIL)).get_json()
    assert [(result["seller"], result["outcome"]) for result in run["results"]] == [
        ("aurora-ceramics", "paid"), ("brightline-cycles", "skipped")]
    run_jobs(app)  # the run's own job, queued by the seed, finds it finished and pays nothing again
    assert balance(DEMO_SELLERS[0]) == aurora
    result = app.test_cli_runner().invoke(args=["billing", "reconcile", "--from", date.today().isoformat()])
    assert result.exit_code == 0, result.output


def test_the_demo_money_comes_from_the_demo_buyers_orders_delivered_and_paid_with_the_test_card(app, client):
    seed(app)
    buyer = signed_in(client, BUYER_EMAIL)

    orders = client.get("/api/v1/orders", headers=buyer).get_json()
    aurora, brightline, cedar = DEMO_SELLERS
    owner = signed_in(client, aurora.owner_email)
    balance = client.get(f"/api/v1/sellers/{aurora.slug}/balance", headers=owner).get_json()["balances"][0]
    [statement] = client.get(f"/api/v1/sellers/{aurora.slug}/statements?from={date.today().isoformat()}"
                             f"&to={date.today().isoformat()}", headers=owner).get_json()["statements"]

    assert len(orders) == 2
    assert all(part["status"] == "delivered" for order in orders for part in order["sellers"])
    assert {part["seller"] for order in orders for part in order["sellers"]} == {
        aurora.slug, brightline.slug, cedar.slug}
    # Aurora's earnings: its settled share of each order, transferred, then paid out by the run.
    settled = [line for line in statement["lines"] if line["kind"] == "settlement"]
    assert sorted(line["order_id"] for line in settled) == sorted(order["id"] for order in orders)
    assert sorted(line["order_id"] for line in statement["lines"] if line["kind"] == "transfer") == sorted(
        order["id"] for order in orders)
    assert balance["paid_out"] == sum(line["balance_change"] for line in settled) > 0
    assert statement["closing_available"] == 0
