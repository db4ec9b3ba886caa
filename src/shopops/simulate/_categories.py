"""The categories of the simulated shop: prices, price sensitivity, seasons, returns, product names.

Everything category-specific lives here so that the demand, stock and order code stays generic.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CATEGORIES", "CategorySpec", "SeasonBump"]


@dataclass(frozen=True)
class SeasonBump:
    """A smooth yearly bump of demand: ``exp(log_lift * gaussian(day_of_year - center, width))``."""

    center: int  # day of year (1 = 1 January)
    width: float  # standard deviation in days
    log_lift: float  # log of the multiplier at the centre (negative for a dip)


@dataclass(frozen=True)
class CategorySpec:
    """One category and the parameters of its demand, prices and products."""

    name: str
    share: float  # share of the catalogue's products
    price_median: float  # median list price
    price_sigma: float  # log-sd of list prices
    elasticity: float  # demand multiplier of a promotion = (promo_price / price) ** elasticity
    return_factor: float  # relative return propensity (1 = shop average)
    weekend_lift: float  # extra weekend demand on top of the shop's weekly profile
    peak_sensitivity: float  # how strongly Black Friday / Cyber Monday / Singles' Day lift it
    seasons: tuple[SeasonBump, ...]
    adjectives: tuple[str, ...]
    nouns: tuple[str, ...]


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "home", 0.14, 24.0, 0.6, -1.8, 0.9, 0.10, 1.0,
        (SeasonBump(12, 14, 0.25), SeasonBump(290, 35, 0.2), SeasonBump(340, 22, 0.35)),
        ("Nordic", "Rustic", "Linen", "Velvet", "Rattan", "Ceramic", "Oak", "Woven", "Marble", "Cosy"),
        ("Cushion Cover", "Throw Blanket", "Table Lamp", "Photo Frame", "Candle Set", "Wall Mirror",
         "Storage Basket", "Doormat", "Vase", "Curtain Tie", "Coaster Set", "Wall Clock"),
    ),
    CategorySpec(
        "kitchen", 0.12, 18.0, 0.65, -2.0, 0.7, 0.0, 1.1,
        (SeasonBump(345, 18, 0.5), SeasonBump(190, 30, 0.15)),
        ("Enamel", "Bamboo", "Cast Iron", "Stainless", "Glass", "Copper", "Non-Stick", "Stoneware"),
        ("Casserole Dish", "Cutting Board", "Chef's Knife", "Mixing Bowl", "Tea Towel Set",
         "Spice Rack", "Frying Pan", "Teapot", "Measuring Cups", "Salad Servers", "Mug Set"),
    ),
    CategorySpec(
        "toys", 0.11, 16.0, 0.7, -2.4, 0.8, 0.25, 1.3,
        (SeasonBump(350, 16, 1.3), SeasonBump(322, 18, 0.45), SeasonBump(210, 25, 0.12)),
        ("Wooden", "Magnetic", "Rainbow", "Giant", "Mini", "Musical", "Glow-in-the-Dark", "Soft"),
        ("Building Blocks", "Puzzle", "Train Set", "Plush Bear", "Kite", "Marble Run",
         "Dolls House", "Craft Kit", "Board Game", "Stacking Rings", "Spinning Top"),
    ),
    CategorySpec(
        "stationery", 0.09, 7.5, 0.55, -1.5, 0.4, -0.05, 0.8,
        (SeasonBump(245, 14, 0.85), SeasonBump(15, 12, 0.3)),
        ("A5", "Dotted", "Recycled", "Pastel", "Leather", "Kraft", "Gel", "Washi"),
        ("Notebook", "Pen Set", "Planner", "Sticky Notes", "Pencil Case", "Sketchbook",
         "Tape Set", "Highlighters", "Desk Organiser", "Greeting Cards"),
    ),
    CategorySpec(
        "garden", 0.09, 22.0, 0.75, -1.6, 0.6, 0.35, 0.7,
        (SeasonBump(118, 32, 1.0), SeasonBump(178, 28, 0.45), SeasonBump(15, 40, -0.6)),
        ("Galvanised", "Terracotta", "Solar", "Weatherproof", "Hanging", "Folding", "Cedar"),
        ("Plant Pot", "Watering Can", "Bird Feeder", "String Lights", "Seed Tray", "Trowel",
         "Garden Kneeler", "Hose Reel", "Planter", "Pruning Shears"),
    ),
    CategorySpec(
        "beauty", 0.1, 14.0, 0.6, -2.2, 0.5, 0.05, 1.2,
        (SeasonBump(44, 5, 0.45), SeasonBump(345, 20, 0.6)),
        ("Rose", "Argan", "Vitamin C", "Lavender", "Charcoal", "Aloe", "Shea", "Hyaluronic"),
        ("Face Serum", "Hand Cream", "Lip Balm", "Bath Bomb Set", "Body Scrub", "Night Cream",
         "Shampoo Bar", "Face Mask", "Perfume Oil", "Nail Kit"),
    ),
    CategorySpec(
        "electronics accessories", 0.1, 19.0, 0.8, -2.8, 1.3, -0.05, 1.5,
        (SeasonBump(338, 20, 0.6), SeasonBump(240, 14, 0.3)),
        ("USB-C", "Wireless", "Magnetic", "Braided", "Compact", "Fast", "Noise-Cancelling"),
        ("Charging Cable", "Phone Case", "Power Bank", "Earbuds", "Laptop Stand", "Screen Protector",
         "Wall Charger", "Car Mount", "Bluetooth Speaker", "Webcam Cover", "Card Reader"),
    ),
    CategorySpec(
        "apparel", 0.11, 28.0, 0.55, -2.0, 2.2, 0.15, 1.1,
        (SeasonBump(100, 28, 0.3), SeasonBump(282, 28, 0.35), SeasonBump(10, 10, 0.3)),
        ("Merino", "Organic Cotton", "Striped", "Oversized", "Knitted", "Waterproof", "Linen"),
        ("Jumper", "T-Shirt", "Beanie", "Scarf", "Socks (3 pack)", "Rain Jacket", "Hoodie",
         "Gloves", "Pyjama Set", "Tote Bag"),
    ),
    CategorySpec(
        "pets", 0.07, 12.0, 0.6, -1.3, 0.6, 0.05, 0.6,
        (SeasonBump(350, 14, 0.2),),
        ("Chew-Proof", "Reflective", "Orthopaedic", "Catnip", "Rope", "Waterproof", "Calming"),
        ("Dog Lead", "Cat Toy", "Pet Bed", "Food Bowl", "Dog Collar", "Scratching Post",
         "Grooming Brush", "Treat Pouch", "Litter Mat"),
    ),
    CategorySpec(
        "books", 0.07, 11.0, 0.4, -1.2, 0.3, 0.1, 0.6,
        (SeasonBump(350, 20, 0.75), SeasonBump(205, 20, 0.3)),
        ("Illustrated", "Pocket", "Complete", "Beginner's", "Family", "Everyday", "Little"),
        ("Cookbook", "Garden Guide", "Puzzle Book", "Colouring Book", "Travel Guide", "Atlas",
         "Bird Guide", "Journal", "Story Collection", "Quiz Book"),
    ),
)
