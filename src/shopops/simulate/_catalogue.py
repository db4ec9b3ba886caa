"""Suppliers and the product catalogue: prices, costs, popularity, launches and discontinuations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from shopops.schema import TABLES
from shopops.simulate._categories import CATEGORIES
from shopops.simulate._config import SimulationConfig
from shopops.simulate._seeds import stream
from shopops.simulate._text import choose, digits, join, strings
from shopops.simulate._types import BoolArray, FloatArray, IntArray

__all__ = ["NOT_DISCONTINUED", "Catalogue", "Suppliers", "make_catalogue", "make_suppliers", "products_table"]

#: ``discontinue_day`` of products still on sale at the end.
NOT_DISCONTINUED = 10**7


@dataclass(frozen=True)
class _SupplierCountry:
    name: str
    weight: float
    lead_mean: tuple[float, float]  # range of mean lead times (days)
    lead_cv: tuple[float, float]  # range of sd / mean
    moq: tuple[int, ...]  # minimum order quantities to pick from
    case_pack: tuple[int, ...]
    name_first: tuple[str, ...]
    name_suffix: str


_SUPPLIER_COUNTRIES = (
    _SupplierCountry("China", 0.36, (32, 45), (0.12, 0.25), (100, 200, 300, 500), (6, 12, 24),
                     ("Ningbo", "Yiwu", "Shenzhen", "Guangzhou", "Xiamen", "Dongguan"), "Trading Co., Ltd."),
    _SupplierCountry("United Kingdom", 0.2, (2, 6), (0.2, 0.4), (0, 6, 12, 24), (1, 2, 4),
                     ("Northfield", "Pennine", "Thames", "Albion", "Severn", "Cotswold"), "Supplies Ltd"),
    _SupplierCountry("Vietnam", 0.08, (28, 38), (0.12, 0.25), (100, 200, 300), (6, 12),
                     ("Hanoi", "Saigon", "Da Nang"), "Manufacturing JSC"),
    _SupplierCountry("India", 0.08, (26, 38), (0.15, 0.3), (50, 100, 200), (4, 6, 12),
                     ("Jaipur", "Chennai", "Moradabad"), "Exports Pvt Ltd"),
    _SupplierCountry("Turkey", 0.08, (12, 20), (0.15, 0.3), (50, 100), (4, 6),
                     ("Izmir", "Bursa", "Denizli"), "Tekstil A.S."),
    _SupplierCountry("Poland", 0.08, (7, 12), (0.15, 0.3), (20, 50, 100), (2, 4, 6),
                     ("Krakow", "Poznan", "Gdansk"), "Sp. z o.o."),
    _SupplierCountry("Germany", 0.06, (5, 9), (0.15, 0.3), (12, 24, 50), (2, 4, 6),
                     ("Hanse", "Rhein", "Schwarzwald"), "Handel GmbH"),
    _SupplierCountry("Netherlands", 0.06, (4, 8), (0.15, 0.3), (12, 24, 50), (2, 4, 6),
                     ("Delft", "Holland", "Zeeland"), "Groothandel B.V."),
)
_SUPPLIER_TRADES = ("Homeware", "Crafts", "Goods", "Industries", "Products", "Imports", "Design", "Living")
_COLOURS = ("Sage", "Navy", "Charcoal", "Mustard", "Blush", "Ivory", "Teal", "Terracotta", "Oat", "Plum")


@dataclass(frozen=True)
class Suppliers:
    """The suppliers and their delivery terms, one entry per supplier."""

    supplier_id: pa.Array
    name: pa.Array
    country: list[str]
    lead_mean: FloatArray  # days
    lead_sd: FloatArray
    moq: IntArray
    case_pack: IntArray
    closes_for_new_year: BoolArray  # Chinese suppliers ship late around Chinese New Year

    def __len__(self) -> int:
        return len(self.country)


@dataclass(frozen=True)
class Catalogue:
    """The products (non-product codes excluded), one entry per product."""

    product_id: pa.Array
    name: pa.Array
    category: IntArray  # index into CATEGORIES
    price: FloatArray  # list price
    cost: FloatArray
    supplier: IntArray  # index into Suppliers
    launch_day: IntArray  # first day on sale, days from start (negative: launched before)
    discontinue_day: IntArray  # last day on sale, days from start; NOT_DISCONTINUED if still on sale
    popularity: FloatArray  # share of the shop's base demand, sums to 1 (heavy-tailed)
    dispersion: FloatArray  # negative-binomial size of daily demand (small = lumpy)
    growth: FloatArray  # log growth of demand per year

    def __len__(self) -> int:
        return int(self.category.size)


def make_suppliers(config: SimulationConfig, units_per_day: float) -> Suppliers:
    """Draw ``config.n_suppliers`` suppliers with country-typical lead times, MOQs and case packs.

    A small shop buys through wholesalers with small minimum orders; the factory MOQs apply
    in full from about 10,000 units a day (``units_per_day`` is the shop's expected volume).
    """
    rng = stream(config.seed, "suppliers")
    n = config.n_suppliers
    weights = np.array([c.weight for c in _SUPPLIER_COUNTRIES])
    kind = rng.choice(len(_SUPPLIER_COUNTRIES), size=n, p=weights / weights.sum())
    countries = [_SUPPLIER_COUNTRIES[k] for k in kind]
    lead_mean = np.array([rng.uniform(*c.lead_mean) for c in countries]).round(1)
    lead_sd = (lead_mean * np.array([rng.uniform(*c.lead_cv) for c in countries])).round(1)
    size = min(1.0, units_per_day / 10_000.0)
    moq = np.rint(np.array([rng.choice(c.moq) for c in countries]) * size).astype(np.int64)
    case_pack = np.array([rng.choice(c.case_pack) for c in countries], dtype=np.int64)
    names = [f"{rng.choice(c.name_first)} {rng.choice(_SUPPLIER_TRADES)} {c.name_suffix}" for c in countries]
    names = [name if name not in names[:i] else f"{name} ({names[:i].count(name) + 1})"
             for i, name in enumerate(names)]
    return Suppliers(
        supplier_id=join("SUP", digits(np.arange(1, n + 1), 3)),
        name=strings(names),
        country=[c.name for c in countries],
        lead_mean=lead_mean,
        lead_sd=lead_sd,
        moq=moq,
        case_pack=case_pack,
        closes_for_new_year=np.array([c.name == "China" for c in countries]),
    )


def _charm_price(raw: FloatArray) -> FloatArray:
    """Round to shop prices ending in .99 (cheap items may end in .49)."""
    whole = np.ceil(raw)
    price = whole - 0.01
    half = (raw < 10) & (whole - raw > 0.5)
    return np.where(half, whole - 0.51, price).round(2)


def make_catalogue(config: SimulationConfig, n_suppliers: int) -> Catalogue:
    """Draw ``config.n_products`` products across the categories."""
    rng = stream(config.seed, "catalogue")
    n = config.n_products
    shares = np.array([c.share for c in CATEGORIES])
    category = np.sort(rng.choice(len(CATEGORIES), size=n, p=shares / shares.sum()))

    median = np.array([c.price_median for c in CATEGORIES])[category]
    sigma = np.array([c.price_sigma for c in CATEGORIES])[category]
    price = _charm_price(np.maximum(median * np.exp(sigma * rng.standard_normal(n)), 1.5))
    cost = (price * rng.uniform(0.35, 0.70, n)).round(2)

    # Each category buys from its own few suppliers (round-robin); a product from one of them.
    n_sup = n_suppliers
    offer = rng.integers(0, 1 << 30, n)
    per_category = [np.arange(c % n_sup, n_sup, len(CATEGORIES)) if c < n_sup else np.array([c % n_sup])
                    for c in range(len(CATEGORIES))]
    supplier = np.array([per_category[c][k % len(per_category[c])] for c, k in zip(category, offer, strict=True)],
                        dtype=np.int64)

    # Most products were on sale before the period; some launch during it, some are dropped.
    launched_during = rng.random(n) < 0.15
    launch_day = np.where(launched_during, rng.integers(0, max(config.days - 30, 1), n),
                          -rng.integers(30, 1500, n))
    first_possible_stop = np.maximum(launch_day + 60, 30)
    stops = (rng.random(n) < 0.12) & (first_possible_stop < config.days - 1)
    stop_day = rng.integers(np.minimum(first_possible_stop, config.days - 2), config.days - 1)
    discontinue_day = np.where(stops, stop_day, NOT_DISCONTINUED)

    # Heavy-tailed popularity: a handful of best sellers, a long tail of products that sell rarely.
    popularity = np.exp(1.9 * rng.standard_normal(n))
    popularity /= popularity.sum()

    adjectives = [CATEGORIES[c].adjectives for c in range(len(CATEGORIES))]
    nouns = [CATEGORIES[c].nouns for c in range(len(CATEGORIES))]
    pick = rng.integers(0, 1 << 30, (3, n))
    names = [
        f"{adjectives[c][a % len(adjectives[c])]} {nouns[c][b % len(nouns[c])]}"
        + ("" if v % 3 == 0 else f" - {_COLOURS[v % len(_COLOURS)]}")
        for c, a, b, v in zip(category, *pick, strict=True)
    ]
    return Catalogue(
        product_id=join("SKU", digits(np.arange(10_001, 10_001 + n))),
        name=strings(names),
        category=category,
        price=price,
        cost=cost,
        supplier=supplier,
        launch_day=launch_day,
        discontinue_day=discontinue_day,
        popularity=popularity,
        dispersion=rng.uniform(0.6, 4.0, n),
        growth=rng.normal(0.0, 0.2, n),
    )


def products_table(catalogue: Catalogue, suppliers: Suppliers, first_day: int, shipping_fee: float) -> pa.Table:
    """The ``products`` table: the catalogue plus the non-product codes SHIPPING and DISCOUNT."""
    n = len(catalogue)
    discontinued = catalogue.discontinue_day != NOT_DISCONTINUED
    launched = pa.array((first_day + catalogue.launch_day).astype(np.int32), type=pa.date32())
    stopped = pa.array((first_day + np.where(discontinued, catalogue.discontinue_day, 0)).astype(np.int32),
                       type=pa.date32(), mask=~discontinued)
    products = pa.table(
        {
            "product_id": catalogue.product_id,
            "name": catalogue.name,
            "category": choose([c.name for c in CATEGORIES], catalogue.category),
            "unit_price": pa.array(catalogue.price),
            "unit_cost": pa.array(catalogue.cost),
            "supplier_id": suppliers.supplier_id.take(pa.array(catalogue.supplier)),
            "is_product": pa.array(np.ones(n, dtype=bool)),
            "launched_at": launched,
            "discontinued_at": stopped,
        },
        schema=TABLES["products"].arrow_schema(),
    )
    codes = pa.table(
        {
            "product_id": ["SHIPPING", "DISCOUNT"],
            "name": ["Postage and packing", "Discount voucher"],
            "category": [None, None],
            "unit_price": [shipping_fee, None],
            "unit_cost": [None, None],
            "supplier_id": [None, None],
            "is_product": [False, False],
            "launched_at": [None, None],
            "discontinued_at": [None, None],
        },
        schema=TABLES["products"].arrow_schema(),
    )
    return pa.concat_tables([products, codes])
