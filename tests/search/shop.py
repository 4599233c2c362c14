"""The catalog most contract tests search: two sellers, a small category tree, seven products.

    Electronics > Phones > Smartphones        Home > Kitchen
    Electronics > Audio

    acme    iPhone 15            Smartphones  79900  in stock   ★ 4.5  black, 128GB
            iPhone 15 Pro Case   Phones        1999  sold out   ★ 4.0  blue, silicone
            Wireless Headphones  Audio        14999  in stock   —      black
            Draft Gadget         (draft: never shown)
    globex  Bluetooth Speaker    Audio         4999  in stock   ★ 5.0  red
            Stoneware Mug        Kitchen       1500  in stock   ★ 3.0  blue, stoneware
            Archived Kettle      (archived: never shown)
"""
from __future__ import annotations

from dataclasses import dataclass

from marketplace.catalog.models import ProductStatus
from tenants.models import TenantRef
from tests.search.catalog import Catalog


@dataclass(frozen=True)
class Shop:
    acme: TenantRef
    globex: TenantRef
    electronics: int
    phones: int
    smartphones: int
    audio: int
    home: int
    kitchen: int


def build_shop(catalog: Catalog) -> Shop:
    acme, globex = catalog.seller("acme"), catalog.seller("globex")
    electronics = catalog.category("Electronics")
    phones = catalog.category("Phones", electronics)
    smartphones = catalog.category("Smartphones", phones)
    audio = catalog.category("Audio", electronics)
    home = catalog.category("Home")
    kitchen = catalog.category("Kitchen", home)

    catalog.product(acme, "iPhone 15", description="Apple smartphone with a bright display",
                    category_id=smartphones, attributes={"colour": "black", "storage": "128GB"},
                    prices=(79900, 89900), stock=5, ratings=(4, 5))
    catalog.product(acme, "iPhone 15 Pro Case", description="Protective cover for the iPhone",
                    category_id=phones, attributes={"colour": "blue", "material": "silicone"},
                    prices=(1999,), stock=0, ratings=(4,))
    catalog.product(acme, "Wireless Headphones", description="Noise cancelling over-ear sound",
                    category_id=audio, attributes={"colour": "black"}, prices=(14999,), stock=3)
    catalog.product(acme, "Draft Gadget", description="Wireless headphones prototype", category_id=audio,
                    status=ProductStatus.DRAFT)
    catalog.product(globex, "Bluetooth Speaker", description="Portable speaker that pairs with headphones",
                    category_id=audio, attributes={"colour": "red"}, prices=(4999,), stock=10, ratings=(5,))
    catalog.product(globex, "Stoneware Mug", description="Hand glazed, holds a large coffee",
                    category_id=kitchen, attributes={"colour": "blue", "material": "stoneware"},
                    prices=(1500,), stock=20, ratings=(3,))
    catalog.product(globex, "Archived Kettle", description="Stoneware kettle", category_id=kitchen,
                    status=ProductStatus.ARCHIVED)
    return Shop(acme, globex, electronics, phones, smartphones, audio, home, kitchen)
