"""Demo data for `make run`: an operator, a buyer and three approved sellers with a dozen products each.

The sellers have money too: demo orders' earnings, transfers and a payout
run (marketplace/demo_money.py), so their balances and the run show figures.

The buyer has a default address in Porto; each seller ships to its own
country at a flat rate (free over an amount) and to the rest of the world.
The three sellers price in euros, so that one cart (one currency) can hold
products of all three and check out with one payment.

Created once: a second run finds the demo operator and does nothing. The
accounts are the ones the README lists, all with the password below and with
verified addresses (the .test domain receives no mail to verify them by).
"""
from __future__ import annotations

from dataclasses import dataclass

import re

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


def seed_demo() -> bool:
    """Create the demo data unless it exists; return whether it was created."""
    if find_account(OPERATOR_EMAIL) is not None:
        return False
    operator, _ = make_operator(OPERATOR_EMAIL, DEMO_PASSWORD, "Olive Operator")
    mark_email_verified(operator.id)
    buyer = register_user(BUYER_EMAIL, DEMO_PASSWORD, "Bea Buyer")
    mark_email_verified(buyer.id)
    add_address(buyer.id, BUYER_ADDRESS)
    tenants = [_seed_seller(seller) for seller in DEMO_SELLERS]
    seed_money(tenants, operator.id)
    return True


def _seed_seller(seller: DemoSeller) -> TenantRef:
    owner = register_user(seller.owner_email, DEMO_PASSWORD, f"{seller.display_name} Owner")
    mark_email_verified(owner.id)
    with UnitOfWork() as uow:
        tenant = provision_tenant(seller.slug, seller.display_name, currency=seller.currency,
                                  country=seller.country, uow=uow)
        uow.session.add(Membership(user_id=owner.id, tenant_id=tenant.id, role=MemberRole.OWNER))
        uow.commit()
    for position, (title, price_amount) in enumerate(seller.products, start=1):
        _seed_product(tenant, owner.id, title, price_amount, sku=f"{seller.slug[:3].upper()}-{position:03d}")
    create_rate(tenant, owner.id, {"name": "Standard", "countries": [seller.country], "kind": "flat",
                                   "amount": DOMESTIC_SHIPPING_AMOUNT, "free_over_amount": DOMESTIC_FREE_OVER_AMOUNT})
    create_rate(tenant, owner.id, {"name": "International", "countries": ["*"], "kind": "flat",
                                   "amount": INTERNATIONAL_SHIPPING_AMOUNT, "position": 1})
    return tenant


def _seed_product(tenant: TenantRef, owner_id: int, title: str, price_amount: int, sku: str) -> None:
    """A published product with one variant in stock, made through the same services as the API."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    product = catalog.create_product(tenant, ProductInputSchema().load({"slug": slug, "title": title}))
    variant = catalog.create_variant(tenant, product.id, VariantInputSchema().load(
        {"sku": sku, "price_amount": price_amount, "currency": tenant.currency}))
    catalog.record_stock_movement(tenant, product.id, variant.id, DEMO_STOCK_QUANTITY, StockReason.RECEIPT,
                                  "demo stock", owner_id)
    catalog.change_status(tenant, product.id, "publish")
