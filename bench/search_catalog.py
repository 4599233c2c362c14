"""The search benchmarks' catalog: sellers with thousands of products each, written straight into their schemas.

Titles and descriptions are drawn from word lists (seeded random, so every
run indexes the same text): "Rustic Oak Serving Board", in the aisle its noun
belongs to, with colour, size and material attributes for facets. Each
product has 2 or 3 variants with prices and stock (about one product in
seven is out of stock), a rating from 0 to 200 reviews, and an image.
About one in twenty is a draft or archived: indexed, but never found by buyers.

Rows go in with COPY, one transaction per seller after `provision_tenant`;
nothing writes an outbox row (the search jobs are the benchmark's to enqueue),
and the marketplace listing rows are left out (search never reads them).
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg
from psycopg.types.json import Jsonb

from bench.support import psycopg_url
from tenants.models import TenantRef
from tenants.provisioning import provision_tenant

SEED = 20_260_101
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
# department -> aisle -> the nouns of its products: 8 departments of 4 aisles, 40 categories.
DEPARTMENTS: dict[str, dict[str, list[str]]] = {
    "Kitchen": {"Mugs and Cups": ["Mug", "Cup", "Tumbler", "Espresso Cup"],
                "Bowls and Plates": ["Bowl", "Plate", "Serving Platter", "Salad Bowl"],
                "Cookware": ["Frying Pan", "Saucepan", "Dutch Oven", "Wok"],
                "Utensils": ["Serving Board", "Spatula", "Ladle", "Whisk"]},
    "Home": {"Lighting": ["Table Lamp", "Pendant Light", "Floor Lamp", "Candle Holder"],
             "Decor": ["Vase", "Picture Frame", "Wall Mirror", "Planter"],
             "Storage": ["Storage Basket", "Shelf", "Storage Box", "Coat Hook"],
             "Textiles": ["Cushion Cover", "Throw Blanket", "Rug", "Curtain"]},
    "Clothing": {"Tops": ["T-Shirt", "Shirt", "Sweater", "Hoodie"],
                 "Bottoms": ["Jeans", "Trousers", "Shorts", "Skirt"],
                 "Outerwear": ["Jacket", "Raincoat", "Parka", "Gilet"],
                 "Accessories": ["Scarf", "Beanie", "Belt", "Gloves"]},
    "Bags": {"Backpacks": ["Backpack", "Daypack", "Rucksack", "Laptop Bag"],
             "Totes": ["Tote Bag", "Shopper", "Market Bag", "Beach Bag"],
             "Wallets": ["Wallet", "Card Holder", "Coin Purse", "Passport Cover"],
             "Travel": ["Duffel Bag", "Weekender", "Wash Bag", "Packing Cube"]},
    "Garden": {"Tools": ["Trowel", "Pruner", "Garden Fork", "Watering Can"],
               "Pots": ["Plant Pot", "Window Box", "Hanging Basket", "Seed Tray"],
               "Furniture": ["Garden Bench", "Deck Chair", "Bistro Table", "Hammock"],
               "Outdoor Lighting": ["Lantern", "String Lights", "Solar Light", "Torch"]},
    "Stationery": {"Notebooks": ["Notebook", "Journal", "Sketchbook", "Planner"],
                   "Pens": ["Fountain Pen", "Pencil", "Ballpoint Pen", "Marker Set"],
                   "Desk": ["Desk Organiser", "Pen Pot", "Letter Tray", "Bookend"],
                   "Cards": ["Greeting Card", "Postcard Set", "Gift Tag", "Wrapping Paper"]},
    "Toys": {"Wooden Toys": ["Building Blocks", "Train Set", "Puzzle", "Stacking Toy"],
             "Soft Toys": ["Teddy Bear", "Plush Rabbit", "Rag Doll", "Soft Ball"],
             "Games": ["Board Game", "Card Game", "Chess Set", "Dominoes"],
             "Outdoor Toys": ["Kite", "Skipping Rope", "Frisbee", "Sand Set"]},
    "Bath": {"Towels": ["Bath Towel", "Hand Towel", "Bath Mat", "Robe"],
             "Soap": ["Soap Bar", "Soap Dish", "Soap Dispenser", "Bath Salts"],
             "Bathroom Storage": ["Bathroom Shelf", "Laundry Basket", "Toothbrush Holder", "Caddy"],
             "Grooming": ["Hair Brush", "Comb", "Shaving Brush", "Nail Brush"]},
}
ADJECTIVES = ["Rustic", "Classic", "Modern", "Handmade", "Vintage", "Minimalist", "Everyday", "Premium", "Compact",
              "Organic", "Nordic", "Artisan", "Heritage", "Coastal", "Urban", "Cosy", "Sturdy", "Elegant", "Simple",
              "Bold"]
MATERIALS = ["Oak", "Walnut", "Stoneware", "Porcelain", "Linen", "Cotton", "Wool", "Steel", "Bamboo", "Glass",
             "Leather", "Ceramic"]
COLOURS = ["black", "white", "grey", "blue", "green", "red", "yellow", "navy", "beige", "pink"]
SIZES = ["S", "M", "L", "XL"]
EDITIONS = ["Standard", "Large", "Gift Set"]
DESCRIPTION_SENTENCES = [
    "Made from {material} by a small workshop that has been at it for years.",
    "A {adjective} {noun} for every day, built to last.",
    "Finished by hand in {colour}, so no two are quite alike.",
    "Easy to care for: wipe clean and keep out of direct sunlight.",
    "Ships in recycled packaging, ready to give as a present.",
    "Pairs well with the rest of our {aisle} range.",
    "Designed to be used, not kept for best.",
    "Each {noun} is checked before it leaves us.",
]
PRODUCT_COLUMNS = ("id", "slug", "title", "description", "status", "version", "category_id", "attributes",
                   "rating_total", "rating_count", "published_at")
VARIANT_COLUMNS = ("product_id", "sku", "options", "price_amount", "compare_at_amount", "currency", "stock_on_hand")
STOCK_RECEIPTS = """
    INSERT INTO {schema}.stock_movements (variant_id, quantity_delta, reason, note)
    SELECT id, stock_on_hand, 'receipt', 'bench seed' FROM {schema}.variants WHERE stock_on_hand > 0
"""
IMAGES = """
    INSERT INTO {schema}.product_images (product_id, url, alt, position)
    SELECT id, 'https://img.example/' || slug || '.jpg', title, 0 FROM {schema}.products
"""


@dataclass(frozen=True)
class Aisle:
    id: int
    name: str
    nouns: list[str]


@dataclass(frozen=True)
class SeededCatalog:
    tenants: list[TenantRef]
    # category slug -> id, departments and aisles
    category_ids: dict[str, int]
    product_count: int


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def seed_catalog(database_url: str, seller_count: int, products_per_seller: int) -> SeededCatalog:
    """Categories, then `seller_count` active sellers of `products_per_seller` products each."""
    randomness = random.Random(SEED)
    with psycopg.connect(psycopg_url(database_url), autocommit=True) as connection:
        aisles, category_ids = seed_categories(connection)
        tenants = []
        for index in range(seller_count):
            tenant = provision_tenant(f"seller-{index:03d}", f"{randomness.choice(ADJECTIVES)} Goods {index:03d}")
            seed_seller(connection, tenant, aisles, products_per_seller, randomness)
            tenants.append(tenant)
    return SeededCatalog(tenants, category_ids, seller_count * products_per_seller)


def seed_categories(connection: psycopg.Connection) -> tuple[list[Aisle], dict[str, int]]:
    aisles, category_ids = [], {}
    with connection.transaction():
        for position, (department, aisle_nouns) in enumerate(DEPARTMENTS.items()):
            department_id = _insert_category(connection, department, None, position)
            category_ids[slugify(department)] = department_id
            for aisle_position, (aisle, nouns) in enumerate(aisle_nouns.items()):
                aisle_id = _insert_category(connection, aisle, department_id, aisle_position)
                category_ids[slugify(aisle)] = aisle_id
                aisles.append(Aisle(aisle_id, aisle, nouns))
    return aisles, category_ids


def _insert_category(connection: psycopg.Connection, name: str, parent_id: int | None, position: int) -> int:
    return connection.execute(
        "INSERT INTO platform.categories (name, slug, parent_id, position) VALUES (%s, %s, %s, %s) RETURNING id",
        (name, slugify(name), parent_id, position)).fetchone()[0]


def seed_seller(connection: psycopg.Connection, tenant: TenantRef, aisles: list[Aisle], product_count: int,
                randomness: random.Random) -> None:
    """COPY the seller's products and variants, then derive its stock receipts and images in SQL."""
    schema = f'"{tenant.schema_name}"'
    products, variants = [], []
    for product_id in range(1, product_count + 1):
        product, product_variants = _product_rows(product_id, tenant.currency, aisles, randomness)
        products.append(product)
        variants += product_variants
    with connection.transaction():
        _copy(connection, f"{schema}.products", PRODUCT_COLUMNS, products)
        _copy(connection, f"{schema}.variants", VARIANT_COLUMNS, variants)
        connection.execute(STOCK_RECEIPTS.format(schema=schema))
        connection.execute(IMAGES.format(schema=schema))
        # Ids were given explicitly: the sequence must continue after them for products created later.
        connection.execute(f"SELECT setval(pg_get_serial_sequence('{schema}.products', 'id'), %s)", (product_count,))


def _copy(connection: psycopg.Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    with connection.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _product_rows(product_id: int, currency: str, aisles: list[Aisle],
                  randomness: random.Random) -> tuple[tuple, list[tuple]]:
    aisle = randomness.choice(aisles)
    noun, adjective, material = (randomness.choice(aisle.nouns), randomness.choice(ADJECTIVES),
                                 randomness.choice(MATERIALS))
    colour = randomness.choice(COLOURS)
    title = f"{adjective} {material} {noun}"
    slug = f"{slugify(title)}-{product_id}"
    words = {"material": material.lower(), "adjective": adjective.lower(), "noun": noun.lower(),
             "colour": colour, "aisle": aisle.name.lower()}
    description = " ".join(sentence.format(**words)
                           for sentence in randomness.sample(DESCRIPTION_SENTENCES, randomness.randint(2, 4)))
    status = randomness.choices(["published", "draft", "archived"], weights=[95, 4, 1])[0]
    rating_count = randomness.choice([0, 0, 0, randomness.randint(1, 10), randomness.randint(1, 200)])
    rating_total = round(rating_count * randomness.uniform(2.5, 5.0))
    published_at = NOW - timedelta(minutes=randomness.randint(1, 2 * 365 * 24 * 60)) \
        if status == "published" else None
    attributes = {"colour": colour, "size": randomness.choice(SIZES), "material": material.lower()}
    product = (product_id, slug, title, description, status, 1, aisle.id, Jsonb(attributes), rating_total,
               rating_count, published_at)
    return product, _variant_rows(product_id, slug, currency, randomness)


def _variant_rows(product_id: int, slug: str, currency: str, randomness: random.Random) -> list[tuple]:
    # Prices spread over every bucket of the price facet: 5.00 to 300.00, most of them low.
    base_price = round(500 * 60 ** randomness.random())
    out_of_stock = randomness.random() < 0.15
    rows = []
    for position, edition in enumerate(EDITIONS[:randomness.randint(2, 3)]):
        price = base_price + base_price * position // 5
        compare_at = price * 5 // 4 if randomness.random() < 0.2 else None
        stock = 0 if out_of_stock else randomness.choice([0, 1, 3, 8, 20, 50])
        rows.append((product_id, f"{slug}-{position + 1}", Jsonb({"edition": edition}), price, compare_at, currency,
                     stock))
    return rows
