"""RFM: recency, frequency and monetary value per customer, scored 1-5 by quintile."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shopops.customers._history import as_of_date, purchases
from shopops.errors import CustomerDataError

__all__ = ["rfm_table", "score_quintiles"]


def score_quintiles(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Scores 1-5 by quintile of rank (ties share a rank, so equal values get equal scores)."""
    if values.empty:
        return pd.Series(dtype="int64", index=values.index)
    pct = values.rank(method="average", pct=True, ascending=higher_is_better)
    return pd.Series(np.clip(np.ceil(pct * 5), 1, 5).astype("int64"), index=values.index)


def rfm_table(orders: pd.DataFrame, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """Recency, frequency and monetary value of every customer with a purchase before ``as_of``.

    Parameters
    ----------
    orders : DataFrame
        From :func:`shopops.customers._history.customer_orders`.
    as_of : date or None
        Analysis date (default: the day after the last order).

    Returns
    -------
    DataFrame
        ``customer_id, first_purchase, last_purchase, recency_days, tenure_days, frequency, sales, refunds,
        monetary, avg_order_value, refunds_exceed_sales, r_score, f_score, m_score, rfm``. ``monetary`` is
        sales less refunds, floored at 0; ``refunds_exceed_sales`` marks where the floor applied.
    """
    day = as_of_date(orders, as_of)
    past = orders[orders["order_date"] < day]
    bought = purchases(past)
    if bought.empty:
        raise CustomerDataError(f"no customer made a purchase before {day.date()}; nothing to score")
    grouped = bought.groupby("customer_id", sort=True)
    table = pd.DataFrame({
        "first_purchase": grouped["order_date"].min(),
        "last_purchase": grouped["order_date"].max(),
        "frequency": grouped["order_id"].nunique().astype("int64"),
        "sales": grouped["sales"].sum(),
    })
    table["refunds"] = past.groupby("customer_id")["refunds"].sum().reindex(table.index).fillna(0.0)
    table["recency_days"] = (day - table["last_purchase"]).dt.days.astype("int64")
    table["tenure_days"] = (day - table["first_purchase"]).dt.days.astype("int64")
    net = table["sales"] - table["refunds"]
    table["refunds_exceed_sales"] = net < 0
    table["monetary"] = net.clip(lower=0.0)
    table["avg_order_value"] = table["sales"] / table["frequency"]
    table["r_score"] = score_quintiles(table["recency_days"], higher_is_better=False)
    table["f_score"] = score_quintiles(table["frequency"].astype(float))
    table["m_score"] = score_quintiles(table["monetary"])
    table["rfm"] = table["r_score"].astype(str) + table["f_score"].astype(str) + table["m_score"].astype(str)
    return table.reset_index()
