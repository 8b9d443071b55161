"""The demo store's catalogue: 40 products, their variants (SKUs), prices in EUR and stock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from random import Random

from memory.demo.ids import Ids
from memory.demo.rows import Row

CURRENCY = "EUR"
"""The demo store sells in one currency; every amount is in its cents."""

PREMIUM_PRICE_CENTS = 20_000
"""Variants from this price up are what big spenders buy more often."""

EVERYDAY_PRICE_CENTS = 30_000
"""Variants under this price are what most customers buy."""


@dataclass(frozen=True)
class Variant:
    sku: str
    product_id: str
    product_name: str
    price_cents: int


_VARIANT = re.compile(r"(\S+) (.+?)(?: ([+-]\d+))?")


@dataclass(frozen=True)
class _ProductSpec:
    code: str
    name: str
    category: str
    price: float
    description: str
    variants: str
    """`CODE Name [+extra EUR]` per variant, separated by `|`: `200 200 x 300 cm +130 | ...`."""


_PRODUCTS = (
    _ProductSpec("TEE", "Organic Cotton T-Shirt", "apparel", 24.99,
                 "Soft crew-neck tee in GOTS-certified organic cotton.",
                 "WHT-S White / S | WHT-M White / M | WHT-L White / L | BLK-M Black / M"),
    _ProductSpec("HOOD", "Everyday Hoodie", "apparel", 59.99,
                 "Brushed fleece hoodie with a kangaroo pocket.",
                 "GRY-M Grey / M | GRY-L Grey / L | NVY-M Navy / M"),
    _ProductSpec("JEAN", "Slim Fit Jeans", "apparel", 69.99,
                 "Stretch denim, slim through the leg.",
                 "30 W30 | 32 W32 | 34 W34"),
    _ProductSpec("JKT", "Waterproof Rain Jacket", "apparel", 129.00,
                 "Seam-sealed shell with a packable hood.",
                 "M M | L L"),
    _ProductSpec("DRS", "Linen Summer Dress", "apparel", 79.90,
                 "Midi dress in washed European linen.",
                 "S S | M M"),
    _ProductSpec("SCRF", "Merino Wool Scarf", "apparel", 39.00,
                 "Fine merino scarf, 180 cm long.",
                 "GRY Grey | RED Red"),
    _ProductSpec("RUN", "Trail Running Shoes", "footwear", 119.00,
                 "Grippy outsole and a cushioned midsole for rough trails.",
                 "40 EU 40 | 42 EU 42 | 44 EU 44"),
    _ProductSpec("SNK", "Canvas Sneakers", "footwear", 54.99,
                 "Classic low-top canvas sneakers.",
                 "38 EU 38 | 41 EU 41 | 43 EU 43"),
    _ProductSpec("BOOT", "Leather Chelsea Boots", "footwear", 169.00,
                 "Full-grain leather boots with elastic sides.",
                 "39 EU 39 | 42 EU 42"),
    _ProductSpec("LAMP", "Ceramic Table Lamp", "home", 89.00,
                 "Hand-glazed ceramic base with a linen shade.",
                 "WHT White | TER Terracotta"),
    _ProductSpec("SOFA", "Three-Seat Linen Sofa", "home", 1290.00,
                 "Deep three-seater with removable linen covers.",
                 "SND Sand | GRN Olive green"),
    _ProductSpec("RUG", "Handwoven Wool Rug", "home", 249.00,
                 "Flat-woven wool rug with a geometric pattern.",
                 "160 160 x 230 cm | 200 200 x 300 cm +130"),
    _ProductSpec("DUV", "Cotton Duvet Cover Set", "home", 74.99,
                 "Percale duvet cover with two pillowcases.",
                 "SGL Single -15 | DBL Double | KNG King +15"),
    _ProductSpec("MIRR", "Round Wall Mirror", "home", 119.00,
                 "Round mirror with a brass frame.",
                 "60 60 cm | 80 80 cm +40"),
    _ProductSpec("PLNT", "Self-Watering Planter", "home", 34.50,
                 "Planter with a hidden reservoir for two weeks of water.",
                 "S Small | L Large +12"),
    _ProductSpec("CNDL", "Scented Soy Candle", "home", 19.99,
                 "Soy wax candle, 40 hours of burn time.",
                 "FIG Fig | CDR Cedar"),
    _ProductSpec("ESP", "Espresso Machine Pro", "kitchen", 649.00,
                 "Dual-boiler espresso machine with a steam wand.",
                 "STL Steel | BLK Black"),
    _ProductSpec("KNF", "Chef's Knife 20 cm", "kitchen", 89.90,
                 "Forged stainless-steel chef's knife.",
                 "STD Standard"),
    _ProductSpec("PAN", "Cast Iron Skillet", "kitchen", 49.99,
                 "Pre-seasoned cast iron skillet.",
                 "26 26 cm | 30 30 cm +10"),
    _ProductSpec("MUG", "Stoneware Mug Set (4)", "kitchen", 32.00,
                 "Four stoneware mugs, dishwasher safe.",
                 "BLU Blue | SND Sand"),
    _ProductSpec("BLND", "High-Speed Blender", "kitchen", 199.00,
                 "1,500 W blender with a 2-litre jug.",
                 "STD Standard"),
    _ProductSpec("KTL", "Electric Kettle", "kitchen", 59.00,
                 "1.7-litre kettle with temperature control.",
                 "WHT White | BLK Black"),
    _ProductSpec("HPH", "Noise-Cancelling Headphones", "electronics", 299.00,
                 "Over-ear headphones, 30 hours of battery.",
                 "BLK Black | SLV Silver"),
    _ProductSpec("EBD", "Wireless Earbuds", "electronics", 149.00,
                 "Earbuds with active noise cancelling and a charging case.",
                 "BLK Black | WHT White"),
    _ProductSpec("SPK", "Portable Bluetooth Speaker", "electronics", 89.00,
                 "Waterproof speaker, 12 hours of play.",
                 "BLU Blue | BLK Black"),
    _ProductSpec("WTCH", "Fitness Smartwatch", "electronics", 229.00,
                 "GPS watch with heart-rate and sleep tracking.",
                 "41 41 mm | 45 45 mm +30"),
    _ProductSpec("LPT", "14-inch Ultrabook Laptop", "electronics", 1399.00,
                 "Light 14-inch laptop with an all-day battery.",
                 "16GB 16 GB RAM | 32GB 32 GB RAM +300"),
    _ProductSpec("TAB", "10-inch Tablet", "electronics", 429.00,
                 "10-inch tablet with a stylus.",
                 "64GB 64 GB | 128GB 128 GB +90"),
    _ProductSpec("CHG", "65 W USB-C Charger", "electronics", 39.99,
                 "Compact GaN charger with two USB-C ports.",
                 "STD Standard"),
    _ProductSpec("TV", "55-inch 4K Smart TV", "electronics", 899.00,
                 "55-inch 4K HDR television with streaming apps.",
                 "STD Standard"),
    _ProductSpec("SRM", "Vitamin C Serum", "beauty", 34.00,
                 "Brightening serum with 15% vitamin C.",
                 "30ML 30 ml"),
    _ProductSpec("SPF", "Mineral Sunscreen SPF 50", "beauty", 22.50,
                 "Reef-friendly mineral sunscreen.",
                 "50ML 50 ml | 100ML 100 ml +8"),
    _ProductSpec("PERF", "Eau de Parfum Azahar", "beauty", 89.00,
                 "Orange-blossom eau de parfum.",
                 "50ML 50 ml | 100ML 100 ml +40"),
    _ProductSpec("YOGA", "Cork Yoga Mat", "sports", 64.00,
                 "Natural cork mat with a rubber base.",
                 "STD Standard"),
    _ProductSpec("BIKE", "Carbon Road Bike", "sports", 2490.00,
                 "Carbon frame road bike with hydraulic disc brakes.",
                 "54 54 cm frame | 56 56 cm frame"),
    _ProductSpec("DMBL", "Adjustable Dumbbells (pair)", "sports", 349.00,
                 "Pair of dumbbells adjustable from 2 to 24 kg.",
                 "24KG 2-24 kg"),
    _ProductSpec("BTL", "Insulated Water Bottle", "sports", 29.99,
                 "Double-walled steel bottle, cold for 24 hours.",
                 "500 500 ml | 750 750 ml +5"),
    _ProductSpec("BLK", "Wooden Building Blocks", "toys", 44.00,
                 "100 beech-wood blocks in a cotton bag.",
                 "STD Standard"),
    _ProductSpec("PUZ", "1000-Piece Jigsaw Puzzle", "toys", 21.99,
                 "Jigsaw puzzle printed on recycled board.",
                 "MAP World map | ART Art print"),
    _ProductSpec("BKP", "Urban Backpack 20 L", "accessories", 95.00,
                 "Water-resistant backpack with a laptop sleeve.",
                 "BLK Black | OLV Olive"),
)  # fmt: skip


class Catalogue:
    """The products and variants, and the variants ordinary and big-spending customers pick from."""

    def __init__(self, products: list[Row], variants: list[Row]) -> None:
        self.products = products
        self.variants = variants
        product_names = {product["id"]: product["name"] for product in products}
        self.by_sku = {
            row["sku"]: Variant(
                sku=row["sku"],
                product_id=row["product_id"],
                product_name=product_names[row["product_id"]],
                price_cents=row["price_cents"],
            )
            for row in variants
        }
        self.everyday = tuple(
            v for v in self.by_sku.values() if v.price_cents < EVERYDAY_PRICE_CENTS
        )
        self.premium = tuple(
            v for v in self.by_sku.values() if v.price_cents >= PREMIUM_PRICE_CENTS
        )

    def variant(self, sku: str) -> Variant:
        return self.by_sku[sku]


def build_catalogue(rng: Random, ids: Ids) -> Catalogue:
    """The catalogue, products numbered PRD-000001...; stock is random, a few variants sold out."""
    products: list[Row] = []
    variants: list[Row] = []
    for spec in _PRODUCTS:
        product_id = ids.next("PRD")
        products.append(
            {
                "id": product_id,
                "name": spec.name,
                "category": spec.category,
                "description": spec.description,
            }
        )
        for variant in spec.variants.split(" | "):
            match = _VARIANT.fullmatch(variant)
            assert match is not None, variant
            code, name, extra = match[1], match[2], int(match[3] or 0)
            variants.append(
                {
                    "sku": f"{spec.code}-{code}",
                    "product_id": product_id,
                    "name": name,
                    "price_cents": round((spec.price + extra) * 100),
                    "stock": 0 if rng.random() < 0.06 else rng.randint(3, 250),
                }
            )
    return Catalogue(products, variants)
