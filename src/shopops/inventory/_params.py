"""Per-product inventory parameters: from the warehouse, the overrides table and class defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

from shopops.inventory._classes import abc_classes, weekly_cv, xyz_classes
from shopops.inventory._history import DemandMatrix

if TYPE_CHECKING:
    from shopops.warehouse import Reader

__all__ = ["InventoryDefaults", "load_params", "prepare_params"]


@dataclass(frozen=True)
class InventoryDefaults:
    """Defaults used where neither the product, its supplier nor the overrides table say otherwise.

    Attributes
    ----------
    lead_time_days, lead_time_sd_days : float
        Mean and standard deviation of the lead time.
    review_days : int
        Days between two orders of a product (the R of the (R, S) policy).
    moq, case_pack : int
        Minimum order quantity and units per case.
    holding_rate : float
        Yearly cost of holding stock as a share of its value (capital, space, obsolescence).
    cost_share : float
        Unit cost as a share of the selling price when no cost is known.
    order_cost : float
        Cost of placing one order line (for the EOQ and the total cost).
    service_level : dict
        Target fill rate per ABC class.
    overstock_days : int
        Stock beyond the order-up-to level plus this many days of demand is overstock.
    dead_stock_days : int
        Stock of a product without a sale for this many days is dead stock.
    erratic_cv : float
        A weekly coefficient of variation above this makes the forecast too uncertain to plan well.
    """

    lead_time_days: float = 14.0
    lead_time_sd_days: float = 3.0
    review_days: int = 7
    moq: int = 0
    case_pack: int = 1
    holding_rate: float = 0.25
    cost_share: float = 0.6
    order_cost: float = 10.0
    service_level: dict[str, float] = field(default_factory=lambda: {"A": 0.97, "B": 0.95, "C": 0.90})
    overstock_days: int = 90
    dead_stock_days: int = 90
    erratic_cv: float = 2.5


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> pd.DataFrame:
    """A query's result, or an empty frame when its table does not exist in an older warehouse."""
    try:
        return con.execute(sql, params or []).df()
    except duckdb.CatalogException:
        return pd.DataFrame()


def load_params(reader: Reader, demand: DemandMatrix, as_of: date) -> pd.DataFrame:
    """Raw per-product parameters as the warehouse knows them on ``as_of`` (NaN where unknown)."""
    ids = pd.DataFrame({"product_id": demand.product_ids.astype(str)})
    with reader.cursor() as con:
        products = _frame(con, "SELECT product_id, name, category, unit_price, unit_cost, supplier_id "
                               "FROM dim_product WHERE is_product")
        prices = _frame(con, "SELECT product_id, median(unit_price) AS sale_price FROM fact_order_line "
                             "WHERE line_type = 'sale' GROUP BY 1")
        suppliers = _frame(con, "SELECT supplier_id, lead_time_days AS sup_lead, lead_time_sd_days AS sup_lead_sd, "
                                "moq AS sup_moq, case_pack AS sup_pack FROM dim_supplier")
        overrides = _frame(con, "SELECT * FROM dim_inventory_params")
        stock = _frame(con, "SELECT product_id, sum(on_hand)::DOUBLE AS on_hand, max(date) AS stock_date FROM "
                            "fact_inventory WHERE date <= ? GROUP BY product_id, date QUALIFY "
                            "row_number() OVER (PARTITION BY product_id ORDER BY date DESC) = 1", [as_of])
        open_po = _frame(con, "SELECT product_id, quantity::DOUBLE AS quantity, "
                              "coalesce(expected_at, ordered_at) AS due FROM fact_purchase_order "
                              "WHERE ordered_at <= ? AND (received_at IS NULL OR received_at > ?)", [as_of, as_of])
    out = ids.merge(products, on="product_id", how="left").merge(prices, on="product_id", how="left")
    if not overrides.empty:
        out = out.merge(overrides.add_prefix("ovr_").rename(columns={"ovr_product_id": "product_id"}),
                        on="product_id", how="left")
        out["supplier_id"] = out["ovr_supplier_id"].combine_first(out["supplier_id"])
    out["known_supplier"] = out["supplier_id"].isin(suppliers["supplier_id"]) if not suppliers.empty else False
    if not suppliers.empty:
        out = out.merge(suppliers, on="supplier_id", how="left")
    out = out.merge(stock, on="product_id", how="left") if not stock.empty else out.assign(on_hand=np.nan)
    if not open_po.empty:
        open_po["due"] = pd.to_datetime(open_po["due"])
        out = out.merge(open_po.groupby("product_id").agg(on_order=("quantity", "sum"), next_due=("due", "min")),
                        on="product_id", how="left")
    return out


def _pick(df: pd.DataFrame, *cols: str) -> pd.Series:
    """The first non-missing value among ``cols`` (missing columns are skipped)."""
    present = [df[c] for c in cols if c in df.columns]
    if not present:
        return pd.Series(np.nan, index=df.index)
    result = present[0].astype("float64")
    for s in present[1:]:
        result = result.combine_first(s.astype("float64"))
    return result


def prepare_params(raw: pd.DataFrame, demand: DemandMatrix, defaults: InventoryDefaults,
                   service_level: float | None = None, review_days: int | None = None) -> pd.DataFrame:
    """Fill every parameter (overrides → supplier → class defaults) and record each data issue.

    Returns one row per product with numeric parameters and an ``issues`` column (a list of messages
    saying what was wrong in the data and what was assumed instead).
    """
    df = raw.copy()
    issues: list[list[str]] = [[] for _ in range(len(df))]

    def note(mask: pd.Series | np.ndarray, text: str | pd.Series) -> None:
        for i in np.flatnonzero(np.asarray(mask)):
            issues[i].append(text if isinstance(text, str) else str(text.iloc[i]))

    df["abc"] = abc_classes(demand.revenue)
    df["xyz"] = xyz_classes(demand.units)
    df["weekly_cv"] = weekly_cv(demand.units)
    df["daily_mean"] = demand.units[:, -91:].mean(axis=1)

    lead = _pick(df, "ovr_lead_time_days", "sup_lead")
    note(lead.isna(), f"no lead time known: {defaults.lead_time_days:g} days assumed")
    note(lead == 0, "lead time 0 days: treated as 1 day (next-day delivery)")
    df["lead_time_days"] = lead.fillna(defaults.lead_time_days).clip(lower=1.0)
    df["lead_time_sd_days"] = _pick(df, "ovr_lead_time_sd_days", "sup_lead_sd").fillna(defaults.lead_time_sd_days)

    unknown = df["supplier_id"].notna() & ~df["known_supplier"].astype(bool)
    note(unknown, "supplier " + df["supplier_id"].astype(str) + " is not in the suppliers table: default terms")
    df["supplier_id"] = df["supplier_id"].fillna("(no supplier)")

    df["moq"] = _pick(df, "ovr_moq", "sup_moq").fillna(defaults.moq)
    df["case_pack"] = _pick(df, "ovr_case_pack", "sup_pack").fillna(defaults.case_pack).clip(lower=1)
    year_demand = df["daily_mean"] * 365
    too_big = (df["moq"] > year_demand) & (df["moq"] > 0)
    note(too_big, "MOQ " + df["moq"].map("{:,.0f}".format) + " is more than a year of demand ("
         + year_demand.map("{:,.0f}".format) + " units)")
    df["moq_over_year"] = too_big

    price = _pick(df, "unit_price", "sale_price")
    cost = _pick(df, "ovr_unit_cost", "unit_cost")
    note(cost.isna() & price.notna(), f"no unit cost: {defaults.cost_share:.0%} of the price assumed")
    df["unit_cost"] = cost.fillna(price * defaults.cost_share).fillna(0.0)
    df["unit_price"] = price.fillna(df["unit_cost"] / defaults.cost_share)
    df["holding_rate"] = _pick(df, "ovr_holding_rate").fillna(defaults.holding_rate)
    df["shortage_cost"] = _pick(df, "ovr_shortage_cost").fillna((df["unit_price"] - df["unit_cost"]).clip(lower=0))

    by_class = df["abc"].map(defaults.service_level).astype(float)
    level = _pick(df, "ovr_service_level").fillna(by_class)
    if service_level is not None:
        level = pd.Series(service_level, index=df.index, dtype=float)
    bad_level = (level <= 0) | (level >= 1)
    note(bad_level, "service level " + level.astype(str) + " is not between 0 and 1: class default used")
    df["service_level"] = level.where(~bad_level, by_class)
    review = _pick(df, "ovr_review_days").fillna(defaults.review_days)
    df["review_days"] = (review if review_days is None else pd.Series(review_days, index=df.index)).astype(int)

    on_hand = df["on_hand"].astype(float) if "on_hand" in df.columns else pd.Series(np.nan, index=df.index)
    note(on_hand < 0, "negative stock " + on_hand.map("{:,.0f}".format) + ": counted as 0, check the count")
    df["on_hand_known"] = on_hand.notna()
    df["on_hand"] = on_hand.clip(lower=0).fillna(0.0)
    df["on_order"] = df["on_order"].fillna(0.0) if "on_order" in df.columns else 0.0
    df["issues"] = issues
    return df
