"""Demo data for `make run`: an operator, a buyer and three approved sellers with a dozen products each.

The sellers have money too: the demo buyer's orders, paid with the test
card, settled, delivered and transferred by the same jobs as any order, and
a payout run (marketplace/demo_money.py), so that their balances,
statements and the run show figures the ledger and the gateway agree on.

The buyer has a default address in Porto; each seller ships to its own
country at a flat rate (free over an amount) and to the rest of the world.
The three sellers price in euros, so that one cart (one currency) can hold
products of all three and check out with one payment.

Created once: a second run finds the demo operator and does nothing. The
accounts are the ones the README lists, all with the password below and with
verified addresses (the .test domain receives no mail to verify them by).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from marketplace.accounts.models import MemberRole, Membership
from marketplace.accounts.services import find_account, make_operator, mark_email_verified, register_user
from marketplace.addresses.services import add_address
from marketplace.catalog import services as catalog
from marketplace.catalog.models import StockReason
from marketplace.catalog.schemas import ProductInputSchema, VariantInputSchema
from marketplace.demo_money import seed_money
from marketplace.shipping.services import create_rate
from tenants.models import TenantRef
from tenants.provisioning import provision_tenant
from tenants.uow import UnitOfWork

DEMO_PASSWORD = "demo-pass-123"
DEMO_STOCK_QUANTITY = 25
OPERATOR_EMAIL = "operator@demo.test"
BUYER_EMAIL = "buyer@demo.test"
BUYER_ADDRESS = {"name": "Bea Buyer", "line1": "Rua das Flores 12", "city": "Porto", "postal_code": "4050-262",
                 "country": "PT"}
# Minor units of each seller's currency.
DOMESTIC_SHIPPING_AMOUNT = 450
DOMESTIC_FREE_OVER_AMOUNT = 5000
INTERNATIONAL_SHIPPING_AMOUNT = 1500


@dataclass(frozen=True)
class DemoSeller:
    slug: str
    display_name: str
    country: str
    currency: str
    # (title, price in minor units)
    products: tuple[tuple[str, int], ...]

    @property
    def owner_email(self) -> str:
        return f"owner@{self.slug}.demo.test"


DEMO_SELLERS = (
    DemoSeller("aurora-ceramics", "Aurora Ceramics", "PT", "EUR", (
        ("Stoneware Mug, Sea Glaze", 2400), ("Stoneware Mug, Sand Glaze", 2400), ("Espresso Cup Pair", 2900),
        ("Serving Bowl, Large", 6800), ("Pasta Plate Set of Four", 8900), ("Bud Vase, Speckled", 1900),
        ("Teapot, Ash Glaze", 7400), ("Dinner Plate", 2600), ("Side Plate", 1800),
        ("Olive Dish", 1500), ("Planter with Saucer", 3900), ("Butter Dish", 3200),
    )),
    DemoSeller("brightline-cycles", "Brightline Cycles", "NL", "EUR", (
        ("City Bike Lights, Front and Rear", 4900), ("Frame Bag", 5900), ("Mini Pump", 2900),
        ("Folding Lock", 8900), ("Commuter Pannier", 9900), ("Bell, Brass", 1900), ("Bottle Cage", 1500),
        ("Multi-tool, 16 Functions", 3400), ("Saddle, Touring", 6900), ("Mudguard Set", 3900),
        ("Puncture Repair Kit", 900), ("Cycling Cap", 2200),
    )),
    DemoSeller("cedar-and-wick", "Cedar & Wick", "IE", "EUR", (
        ("Cedarwood Candle, 8 oz", 2800), ("Fig Leaf Candle, 8 oz", 2800), ("Sea Salt Candle, 8 oz", 2800),
        ("Travel Tin Trio", 3600), ("Reed Diffuser, Cedar", 3400), ("Wick Trimmer", 1800),
        ("Candle Snuffer", 1600), ("Matches in a Jar", 1200), ("Room Spray, Pine", 2000),
        ("Wax Melts, Amber", 1400), ("Gift Box, Three Candles", 7900), ("Pillar Candle, Unscented", 2200),
    )),
)


def seed_demo(run_queued_jobs: Callable[[], None]) -> bool:
    """Create the demo data unless it exists; return whether it was created.

    `run_queued_jobs` runs every job queued so far, then returns: the demo's
    money waits on its jobs (a worker's, in this process).
    """
    if find_account(OPERATOR_EMAIL) is not None:
        return False
    operator, _ = make_operator(OPERATOR_EMAIL, DEMO_PASSWORD, "Olive Operator")
    mark_email_verified(operator.id)
    buyer = register_user(BUYER_EMAIL, DEMO_PASSWORD, "Bea Buyer")
    mark_email_verified(buyer.id)
    add_address(buyer.id, BUYER_ADDRESS)
    variant_ids = {seller.slug: _seed_seller(seller) for seller in DEMO_SELLERS}
    seed_money(DEMO_PASSWORD, BUYER_EMAIL, OPERATOR_EMAIL,
               [(seller.slug, seller.owner_email, variant_ids[seller.slug]) for seller in DEMO_SELLERS],
               run_queued_jobs)
    return True


def _seed_seller(seller: DemoSeller) -> list[int]:
    """The seller, its owner, products and shipping rates; its products' variant ids, in DemoSeller order."""
    owner = register_user(seller.owner_email, DEMO_PASSWORD, f"{seller.display_name} Owner")
    mark_email_verified(owner.id)
    with UnitOfWork() as uow:
        tenant = provision_tenant(seller.slug, seller.display_name, currency=seller.currency,
                                  country=seller.country, uow=uow)
        uow.session.add(Membership(user_id=owner.id, tenant_id=tenant.id, role=MemberRole.OWNER))
        uow.commit()
    variant_ids = [_seed_product(tenant, owner.id, title, price_amount, sku=f"{seller.slug[:3].upper()}-{position:03d}")
                   for position, (title, price_amount) in enumerate(seller.products, start=1)]
    create_rate(tenant, owner.id, {"name": "Standard", "countries": [seller.country], "kind": "flat",
                                   "amount": DOMESTIC_SHIPPING_AMOUNT, "free_over_amount": DOMESTIC_FREE_OVER_AMOUNT})
    create_rate(tenant, owner.id, {"name": "International", "countries": ["*"], "kind": "flat",
                                   "amount": INTERNATIONAL_SHIPPING_AMOUNT, "position": 1})
    return variant_ids


def _seed_product(tenant: TenantRef, owner_id: int, title: str, price_amount: int, sku: str) -> int:
    """A published product with one variant in stock, made through the same services as the API; its variant's id."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    product = catalog.create_product(tenant, ProductInputSchema().load({"slug": slug, "title": title}))
    variant = catalog.create_variant(tenant, product.id, VariantInputSchema().load(
        {"sku": sku, "price_amount": price_amount, "currency": tenant.currency}))
    catalog.record_stock_movement(tenant, product.id, variant.id, DEMO_STOCK_QUANTITY, StockReason.RECEIPT,
                                  "demo stock", owner_id)
    catalog.change_status(tenant, product.id, "publish")
    return variant.id
