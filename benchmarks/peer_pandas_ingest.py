"""Benchmark peer: shopops' ingest of UCI Online Retail, done the plain-pandas way.

It does the same job as ``shopops ingest online_retail.parquet`` (the ``online_retail`` adapter,
validation, lake write and warehouse build) and writes the same outputs, in vectorised pandas:

- read the Parquet file (pyarrow, strings as ``string[pyarrow]``), checksum it and keep a raw copy;
- classify every line (adjustment, non-product codes → shipping/discount/manual/sample/fee/
  adjustment/voucher, cancellation, write-off, sale) and number it within its invoice;
- validate the typed columns rule by rule (missing values, quantity 0, negative prices except
  adjustments, implausible or future dates); rows identical to an earlier row of the same invoice
  are quarantined as "exact duplicate of row N";
- derive products (most frequent trimmed description, median sale price, is_product,
  launched_at) and customers (most frequent country, first invoice);
- the data-quality report (counts, nulls, reasons by kind, line types, outliers by robust z-score
  of log quantity within product or > 10x the 99.9th percentile of |quantity|);
- the lake: clean tables and the quarantine as zstd Parquet;
- the warehouse models 010-080 (dim_product, fact_order_line, fact_order, dim_customer,
  kpi_period, kpi_product_month, kpi_category_month) plus dim_date, quarantine and ingest_report,
  written into one SQLite file with ``DataFrame.to_sql``.

``check_same`` compares the outputs with CSV exports of shopops' lake and warehouse.

Run by ``benchmarks/bench_ingest.py``, which times it beside shopops and checks the outputs equal.
Alone: python benchmarks/peer_pandas_ingest.py [REFERENCE_DIR]
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "online_retail" / "online_retail.parquet"

#: Online Retail stock codes that are not goods (shopops.ingest.adapters.ONLINE_RETAIL_NON_PRODUCTS).
NON_PRODUCTS: dict[str, str] = {
    "POST": "shipping", "DOT": "shipping", "C2": "shipping", "D": "discount", "M": "manual", "m": "manual",
    "S": "sample", "BANK CHARGES": "fee", "AMAZONFEE": "fee", "CRUK": "fee", "B": "adjustment",
}
LINE_TYPES = ("sale", "return", "cancellation", "writeoff", "discount", "shipping", "fee", "voucher", "manual",
              "sample", "adjustment")
GOODS_LINES = ("sale", "return", "cancellation", "writeoff")
OUTLIER_Z = 6.0  # shopops Settings.outlier_z
EARLIEST, LATEST = pd.Timestamp("1970-01-01"), pd.Timestamp("2100-01-01")

#: Canonical lake schemas (shopops.schema), in column order.
ORDER_LINES = pa.schema([
    ("order_id", pa.string()), ("line_no", pa.int64()), ("ordered_at", pa.timestamp("us")),
    ("product_id", pa.string()), ("quantity", pa.int64()), ("unit_price", pa.float64()),
    ("discount", pa.float64()), ("customer_id", pa.string()), ("line_type", pa.string()),
    ("country", pa.string()), ("channel", pa.string()),
])
PRODUCTS = pa.schema([
    ("product_id", pa.string()), ("name", pa.string()), ("category", pa.string()), ("unit_price", pa.float64()),
    ("unit_cost", pa.float64()), ("supplier_id", pa.string()), ("is_product", pa.bool_()),
    ("launched_at", pa.date32()), ("discontinued_at", pa.date32()),
])
CUSTOMERS = pa.schema([
    ("customer_id", pa.string()), ("name", pa.string()), ("email", pa.string()), ("phone", pa.string()),
    ("address", pa.string()), ("postcode", pa.string()), ("city", pa.string()), ("region", pa.string()),
    ("country", pa.string()), ("channel", pa.string()), ("acquired_at", pa.timestamp("us")),
])
QUARANTINE_META = pa.schema([
    ("_reason", pa.string()), ("_source_file", pa.string()), ("_source_row", pa.int64()), ("_raw_text", pa.string()),
])
_ARROW_STRINGS = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}


class Steps:
    """Wall time per named step (time.perf_counter)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        """Time the block as step ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


# --------------------------------------------------------------------------- helpers
def _read(source: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """The source file with pyarrow: strings as string[pyarrow], CustomerID cast to text (ids are text)."""
    table = pq.read_table(source, columns=columns)
    i = table.schema.get_field_index("CustomerID")
    table = table.set_column(i, "CustomerID", pc.cast(table["CustomerID"], pa.string()))
    return table.to_pandas(types_mapper=_ARROW_STRINGS.get)


def _text(s: pd.Series) -> pd.Series:
    """Trimmed text, empty → missing (SQL ``NULLIF(TRIM(x), '')``)."""
    s = s.str.strip()
    return s.mask(s == "")


def _add_reason(reason: pd.Series, mask: pd.Series, prefix: str, values: pd.Series | None = None,
                suffix: str = "") -> None:
    """Append ``prefix + value + suffix`` to ``reason`` (joined by '; ') where ``mask`` holds; in place.

    The message is formatted for the failing rows only.
    """
    if mask.dtype != bool:
        mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return
    if values is None:
        add = pd.Series(prefix, index=mask.index[mask])
    else:
        hit = values.loc[mask.index[mask]]  # values may cover the failing rows only
        text = hit.dt.strftime("%Y-%m-%d %H:%M:%S") if pd.api.types.is_datetime64_any_dtype(hit) else hit.astype(str)
        add = prefix + text + suffix
    cur = reason[mask]
    reason[mask] = (cur + "; " + add).where(cur.notna(), add)


def _date_checks(reason: pd.Series, col: str, s: pd.Series, future_after: pd.Timestamp | None) -> None:
    _add_reason(reason, (s < EARLIEST) | (s >= LATEST), col + ": ", s, " is not a plausible date")
    if future_after is not None:
        _add_reason(reason, (s > future_after) & (s < LATEST), col + ": ", s, " is in the future")


def _mode(keys: pd.Series, values: pd.Series, name: str) -> pd.Series:
    """Most frequent non-missing value per key; ties go to the value seen first in the file."""
    pairs = pd.DataFrame({"key": keys, name: values}, copy=False)
    counts = pairs.groupby(["key", name], sort=False).size()  # groups in first-seen order; NA keys dropped
    top = counts.sort_values(ascending=False, kind="stable").reset_index().drop_duplicates("key")
    return top.set_index("key")[name]


def _to_parquet(df: pd.DataFrame, schema: pa.Schema, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)
    pq.write_table(table, path, compression="zstd")


def _month(s: pd.Series) -> pd.Series:
    """First day of the month of a datetime64 Series (SQL ``date_trunc('month', d)``)."""
    return pd.Series(s.to_numpy().astype("datetime64[M]").astype("datetime64[us]"), index=s.index)


def _rank(df: pd.DataFrame, part: str, value: str, tiebreak: str) -> pd.Series:
    """row_number() OVER (PARTITION BY part ORDER BY round(value, 4) DESC, tiebreak)."""
    key = df[value].round(4)
    order = pd.DataFrame({"p": df[part], "k": -key, "t": df[tiebreak]}).sort_values(["p", "k", "t"])
    return order.groupby("p", sort=False).cumcount().add(1).reindex(df.index)


def _null_counts(df: pd.DataFrame) -> dict[str, int]:
    return {c: int(n) for c, n in df.isna().sum().items() if n}


def _report(table: str, staged: pd.DataFrame, clean: pd.DataFrame, time_col: str | None) -> dict[str, Any]:
    """The data-quality report of one staged table (shopops.ingest.pipeline._fill_report, minus outliers)."""
    bad = staged["_reason"].notna()
    kinds = (staged.loc[bad, "_reason"].str.split("; ").explode()
             .str.replace(r'"[^"]*"', "…", regex=True).str.replace(r"[0-9][0-9:. -]*", "#", regex=True))
    reasons = {str(k): int(n) for k, n in kinds.value_counts().head(15).items()}
    examples = staged.loc[bad, ["_source_row", "_reason"]].sort_values("_source_row").head(5)
    first = last = None
    if time_col and len(clean) and clean[time_col].notna().any():
        first, last = str(clean[time_col].min()), str(clean[time_col].max())
    return {
        "table": table, "rows_in": len(staged), "rows_ok": len(clean), "rows_quarantined": int(bad.sum()),
        "reasons": reasons,
        "examples": [{"row": int(r), "reason": str(w)} for r, w in examples.itertuples(index=False)],
        "nulls": _null_counts(clean), "duplicates": sum(n for k, n in reasons.items() if "duplicate" in k),
        "line_types": {}, "outliers": [], "first": first, "last": last, "pseudonymised": {},
    }


def _key_duplicates(staged: pd.DataFrame, key: str) -> None:
    """Quarantine repeated keys among valid rows: 'duplicate key (k=v): first at row N'; in place."""
    ok = staged["_reason"].isna()
    dup = staged[key].where(ok).duplicated(keep="first") & ok & staged[key].notna()
    if dup.any():
        first = staged.loc[ok].groupby(key, sort=False)["_source_row"].min()
        msg = "duplicate key (" + key + "=" + staged[key] + "): first at row " + staged[key].map(first).astype(str)
        _add_reason(staged["_reason"], dup, "", msg)


# --------------------------------------------------------------------------- ingest steps
def _classify(raw: pd.DataFrame) -> pd.DataFrame:
    """Map the source columns onto canonical order lines (adapter SQL of OnlineRetailAdapter)."""
    invoice = _text(raw["InvoiceNo"])
    code = _text(raw["StockCode"])
    customer = _text(raw["CustomerID"])
    price, qty = raw["UnitPrice"], raw["Quantity"]
    non_product = code.isin(list(NON_PRODUCTS)).fillna(False) | code.str.startswith("gift").fillna(False)
    np_type = pd.Series(None, index=raw.index, dtype=object)
    np_type[non_product] = code[non_product].map(NON_PRODUCTS).astype(object)
    np_type[code.str.match(r"gift_0001_").fillna(False)] = "voucher"  # LIKE 'gift\_0001\_%'
    line_type = np.select(
        [invoice.str.startswith("A").fillna(False).to_numpy(), non_product.to_numpy(),
         invoice.str.startswith("C").fillna(False).to_numpy(),
         ((price == 0) & customer.isna()).to_numpy(), (qty < 0).to_numpy()],
        [np.array("adjustment", dtype=object), np_type.to_numpy(), np.array("cancellation", dtype=object),
         np.array("writeoff", dtype=object), np.array("writeoff", dtype=object)],
        default=np.array("sale", dtype=object),
    )
    return pd.DataFrame({
        "order_id": invoice,
        "line_no": invoice.groupby(invoice, sort=False, dropna=False).cumcount() + 1,
        "ordered_at": raw["InvoiceDate"], "product_id": code, "quantity": qty, "unit_price": price,
        "discount": np.nan, "customer_id": customer,
        "line_type": pd.Series(line_type, index=raw.index).astype("string[pyarrow]"),
        "country": _text(raw["Country"]), "channel": pd.Series(pd.NA, index=raw.index, dtype="string[pyarrow]"),
        "_source_row": np.arange(1, len(raw) + 1, dtype=np.int64),
    })


def _validate(lines: pd.DataFrame, now: pd.Timestamp) -> pd.Series:
    """Per-row reasons of the order lines (shopops.ingest.validate.stage rules), '; '-joined; NA = valid."""
    reason = pd.Series(None, index=lines.index, dtype=object)
    # typed columns: required values present, numbers finite
    for col in ("order_id", "line_no", "ordered_at", "product_id", "quantity"):
        _add_reason(reason, lines[col].isna(), col + ": missing")
    price = lines["unit_price"]
    _add_reason(reason, price.notna() & ~np.isfinite(price), 'unit_price: "', price, '" is not a number')
    _add_reason(reason, price.isna(), "unit_price: missing")
    # rules, in column order
    _add_reason(reason, lines["line_no"] < 1, "line_no: ", lines["line_no"], " is below the minimum 1")
    _date_checks(reason, "ordered_at", lines["ordered_at"], now + pd.Timedelta(days=2))
    _add_reason(reason, lines["quantity"] == 0, "quantity: 0 units")
    _add_reason(reason, (price < 0) & (lines["line_type"] != "adjustment").fillna(True),
                "unit_price: ", price, " is below the minimum 0")
    lt = lines["line_type"]
    _add_reason(reason, lt.notna() & ~lt.isin(LINE_TYPES), 'line_type: "', lt,
                '" is not one of ' + ", ".join(LINE_TYPES))
    return reason


def _exact_duplicates(lines: pd.DataFrame, description: pd.Series, reason: pd.Series) -> None:
    """Quarantine valid rows identical to an earlier valid row of the same invoice; in place.

    Compared: every mapped column but line_no, plus the raw description (discount and channel are
    empty for every row of this source, so they cannot tell rows apart).
    """
    cols = ["order_id", "ordered_at", "product_id", "quantity", "unit_price", "customer_id", "line_type", "country",
            "_desc", "_ok"]
    ok = reason.isna()  # valid and invalid rows are compared apart (invalid ones keep their reasons)
    cand = lines.assign(_desc=description, _ok=ok)[cols]
    twins = cand.duplicated(keep=False) & ok  # exact (factorised) comparison; NULLs compare equal
    sub = cand[twins]
    first = lines.loc[twins, "_source_row"].groupby([sub[c] for c in cols], sort=False, dropna=False).transform("min")
    dup = first[first != lines.loc[twins, "_source_row"]]
    _add_reason(reason, pd.Series(reason.index.isin(dup.index), index=reason.index), "exact duplicate of row ", dup)


def _products(raw: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """Products staged with their reasons: one per stock code (adapter SQL ``products``)."""
    code = lines["product_id"]  # trimmed stock code of every source row; rows without one are dropped
    price = raw["UnitPrice"]
    not_cancel = (~lines["order_id"].str.startswith("C")).fillna(False)  # NULL NOT LIKE … is not true
    sale_price = (price > 0) & (raw["Quantity"] > 0) & not_cancel
    out = pd.DataFrame({"at": raw["InvoiceDate"], "row": lines["_source_row"], "price": price.where(sale_price)},
                       copy=False).groupby(code, sort=True).agg(
        launched_at=("at", "min"), _source_row=("row", "min"), unit_price=("price", "median"))
    out["launched_at"] = out["launched_at"].dt.normalize()
    out["name"] = _mode(code, _text(raw["Description"]), "name")
    out = out.rename_axis("product_id").reset_index()
    out["is_product"] = ~(out["product_id"].isin(list(NON_PRODUCTS)) | out["product_id"].str.match(r"gift_0001_"))
    for col in ("category", "supplier_id"):
        out[col] = pd.Series(pd.NA, index=out.index, dtype="string[pyarrow]")
    out["unit_cost"] = np.nan
    out["discontinued_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
    reason = pd.Series(None, index=out.index, dtype=object)
    _add_reason(reason, out["product_id"].isna(), "product_id: missing")
    _add_reason(reason, out["unit_price"] < 0, "unit_price: ", out["unit_price"], " is below the minimum 0")
    _date_checks(reason, "launched_at", out["launched_at"], None)
    out["_reason"] = reason
    _key_duplicates(out, "product_id")
    return out


def _customers(raw: pd.DataFrame, lines: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Customers staged with their reasons: one per customer id (adapter SQL ``customers``)."""
    cust = lines["customer_id"]  # rows without a customer are dropped by the groupby
    out = pd.DataFrame({"at": raw["InvoiceDate"], "row": lines["_source_row"]}, copy=False).groupby(
        cust, sort=True).agg(acquired_at=("at", "min"), _source_row=("row", "min"))
    out["country"] = _mode(cust, lines["country"], "country")
    out = out.rename_axis("customer_id").reset_index()
    for col in ("name", "email", "phone", "address", "postcode", "city", "region", "channel"):
        out[col] = pd.Series(pd.NA, index=out.index, dtype="string[pyarrow]")
    reason = pd.Series(None, index=out.index, dtype=object)
    _add_reason(reason, out["customer_id"].isna(), "customer_id: missing")
    _date_checks(reason, "acquired_at", out["acquired_at"], now + pd.Timedelta(days=2))
    out["_reason"] = reason
    _key_duplicates(out, "customer_id")
    return out


def _outliers(clean: pd.DataFrame) -> list[dict[str, Any]]:
    """Lines far out of their product's usual size (robust z of log |qty|) or > 10x the p99.9 of |qty|."""
    v = clean.loc[clean["quantity"] != 0, ["product_id", "quantity", "_source_row"]]
    absq = v["quantity"].abs()
    lq = np.log(absq)
    g = lq.groupby(v["product_id"], sort=False)
    med, n = g.transform("median"), g.transform("size")
    mad = (lq - med).abs().groupby(v["product_id"], sort=False).transform("median")
    z = ((lq - med) / np.maximum(1.4826 * mad, 0.25)).where(n >= 10)
    p999 = float(absq.quantile(0.999))
    hit = (z > OUTLIER_Z) | (absq > 10 * p999)
    top = v[hit].assign(z=z[hit], x=absq[hit] / p999, a=absq[hit]).sort_values("a", ascending=False).head(1000)
    out: list[dict[str, Any]] = [
        {"row": int(r), "product_id": str(p), "quantity": int(q), "z": None if pd.isna(zz) else round(float(zz), 1),
         "x_p999": round(float(x), 1)}
        for r, p, q, zz, x in top[["_source_row", "product_id", "quantity", "z", "x"]].head(20).itertuples(index=False)
    ]
    if len(top) > 20:
        out.append({"more": len(top) - 20})
    return out


# --------------------------------------------------------------------------- warehouse models
def _dim_product(lines: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """010_dim_product.sql."""
    lt = lines["line_type"].fillna(pd.Series(np.where(lines["quantity"] < 0, "return", "sale"), index=lines.index))
    seen = pd.DataFrame({"product_id": lines["product_id"], "at": lines["ordered_at"],
                         "goods": lt.isin(GOODS_LINES)}).groupby("product_id").agg(
        first_line_at=("at", "min"), last_line_at=("at", "max"), goods_lines=("goods", "max")).reset_index()
    d = products.merge(seen, on="product_id", how="outer")
    return pd.DataFrame({
        "product_id": d["product_id"],
        "name": d["name"].fillna(d["product_id"]),
        "category": d["category"].fillna("uncategorised"),
        "unit_price": d["unit_price"], "unit_cost": d["unit_cost"], "supplier_id": d["supplier_id"],
        "is_product": d["is_product"].astype("boolean").fillna(d["goods_lines"].astype("boolean")).fillna(True)
        .astype(bool),
        "launched_at": d["launched_at"].fillna(d["first_line_at"].dt.normalize()),
        "discontinued_at": d["discontinued_at"],
        "first_line_at": d["first_line_at"], "last_line_at": d["last_line_at"],
    })


def _fact_order_line(lines: pd.DataFrame, dim_product: pd.DataFrame) -> pd.DataFrame:
    """020_fact_order_line.sql."""
    at = pd.Index(dim_product["product_id"]).get_indexer(lines["product_id"])  # LEFT JOIN dim_product
    known = at >= 0
    discount = lines["discount"].fillna(0.0)
    gross = lines["quantity"] * lines["unit_price"]
    lt = lines["line_type"].fillna(pd.Series(np.where(lines["quantity"] < 0, "return", "sale"), index=lines.index))
    return pd.DataFrame(copy=False, data={
        "order_id": lines["order_id"], "line_no": lines["line_no"], "ordered_at": lines["ordered_at"],
        "order_date": lines["ordered_at"].dt.normalize(), "product_id": lines["product_id"],
        "customer_id": lines["customer_id"], "quantity": lines["quantity"], "unit_price": lines["unit_price"],
        "discount": discount, "line_type": lt, "country": lines["country"], "channel": lines["channel"],
        "gross_amount": gross, "net_amount": gross - discount,
        "is_product": np.where(known, dim_product["is_product"].to_numpy()[at], True),
        "category": pd.Series(np.where(known, dim_product["category"].to_numpy(object)[at], None), index=lines.index)
        .fillna("uncategorised").astype("string[pyarrow]"),
    })


def _fact_order(fol: pd.DataFrame) -> pd.DataFrame:
    """030_fact_order.sql (no order headers in this source: status and fulfilment stay empty)."""
    lt, prod = fol["line_type"], fol["is_product"]
    sale = (lt == "sale") & prod
    parts = pd.DataFrame(copy=False, data={
        "ordered_at": fol["ordered_at"], "units": fol["quantity"].where(sale, 0),
        "gross_sales": fol["gross_amount"].where(sale, 0.0),
        "line_discounts": fol["discount"].where(sale, 0.0),
        "discount_lines": fol["net_amount"].where(lt == "discount", 0.0),
        "cancellations": fol["gross_amount"].where((lt == "cancellation") & prod, 0.0),
        "returns": fol["gross_amount"].where((lt == "return") & prod, 0.0),
        "shipping_revenue": fol["gross_amount"].where(lt == "shipping", 0.0),
        "net_amount": fol["net_amount"], "is_sale": sale,
    })
    o = parts.groupby(fol["order_id"], sort=False).agg(
        ordered_at=("ordered_at", "min"), lines=("ordered_at", "size"), units=("units", "sum"),
        gross_sales=("gross_sales", "sum"), line_discounts=("line_discounts", "sum"),
        discount_lines=("discount_lines", "sum"), cancellations=("cancellations", "sum"),
        returns=("returns", "sum"), shipping_revenue=("shipping_revenue", "sum"), net_amount=("net_amount", "sum"),
        is_sale=("is_sale", "max"),
    )
    for col in ("customer_id", "country", "channel"):  # any_value: the first non-NULL value of the order
        known = fol.loc[fol[col].notna(), ["order_id", col]].drop_duplicates("order_id").set_index("order_id")[col]
        o.insert(1, col, known.reindex(o.index))
    o = o.reset_index()
    for col in ("discount_lines", "cancellations", "returns"):
        o[col] = 0.0 - o[col]
    o.insert(2, "order_date", o["ordered_at"].dt.normalize())
    for col in ("status", "payment_type", "promised_at", "shipped_at", "delivered_at", "ship_city", "ship_country"):
        o[col] = None
    return o


def _dim_customer(fo: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """040_dim_customer.sql."""
    known = fo[fo["customer_id"].notna()]
    sale_at = known["ordered_at"].where(known["is_sale"])
    o = pd.DataFrame({
        "customer_id": known["customer_id"], "at": known["ordered_at"], "country": known["country"],
        "sale_at": sale_at, "is_sale": known["is_sale"].astype(np.int64), "units": known["units"],
        "amount": known["gross_sales"] - known["line_discounts"],
    }).groupby("customer_id").agg(
        first_line_at=("at", "min"), o_country=("country", "first"), first_sale_at=("sale_at", "min"),
        last_sale_at=("sale_at", "max"), orders=("is_sale", "sum"), units=("units", "sum"),
        sales_amount=("amount", "sum")).reset_index()
    cols = ["customer_id", "name", "email", "phone", "address", "postcode", "city", "region", "country", "channel",
            "acquired_at"]
    d = customers[cols].merge(o, on="customer_id", how="outer")
    d["country"] = d["country"].fillna(d["o_country"])
    d["acquired_at"] = d["acquired_at"].fillna(d["first_line_at"])
    d["orders"] = d["orders"].fillna(0).astype(np.int64)
    d["units"] = d["units"].fillna(0).astype(np.int64)
    d["sales_amount"] = d["sales_amount"].fillna(0.0)
    return d[[*cols, "first_sale_at", "last_sale_at", "orders", "units", "sales_amount"]]


def _kpi_period(fo: pd.DataFrame, dim_customer: pd.DataFrame) -> pd.DataFrame:
    """060_kpi_period.sql: day, ISO week (Monday) and month."""
    first_sale = fo["customer_id"].map(dim_customer.set_index("customer_id")["first_sale_at"]).dt.normalize()
    day = fo["order_date"]
    sale_customer = fo["customer_id"].where(fo["is_sale"])
    base = fo[["gross_sales", "line_discounts", "discount_lines", "cancellations", "returns", "shipping_revenue",
               "units"]].assign(orders=fo["is_sale"].astype(np.int64),
                                guest_orders=(fo["is_sale"] & fo["customer_id"].isna()).astype(np.int64))
    out = []
    for grain, start in (("day", day), ("week", day - pd.to_timedelta(day.dt.weekday, unit="D")),
                         ("month", _month(day))):
        g = base.groupby(start).sum()
        g["customers"] = sale_customer.groupby(start).nunique()
        g["new_customers"] = sale_customer.where(first_sale >= start).groupby(start).nunique()
        out.append(g.rename_axis("period_start").reset_index().assign(grain=grain))
    k = pd.concat(out, ignore_index=True)
    k["discounts"] = k["line_discounts"] + k["discount_lines"]
    k["net_sales"] = k["gross_sales"] - k["line_discounts"] - k["discount_lines"] - k["cancellations"] - k["returns"]
    k["aov"] = ((k["gross_sales"] - k["line_discounts"]) / k["orders"]).where(k["orders"] > 0)
    k["returning_customers"] = k["customers"] - k["new_customers"]
    k["repeat_rate"] = (k["returning_customers"] / k["customers"]).where(k["customers"] > 0)
    k["cancellation_rate"] = (k["cancellations"] / k["gross_sales"]).where(k["gross_sales"] > 0)
    k["return_rate"] = (k["returns"] / k["gross_sales"]).where(k["gross_sales"] > 0)
    return k[["grain", "period_start", "gross_sales", "discounts", "cancellations", "returns", "net_sales", "orders",
              "units", "aov", "customers", "new_customers", "returning_customers", "repeat_rate",
              "cancellation_rate", "return_rate", "shipping_revenue", "guest_orders"]]


def _kpi_product_month(fol: pd.DataFrame, dim_product: pd.DataFrame) -> pd.DataFrame:
    """070_kpi_product_month.sql."""
    f = fol.loc[fol["is_product"], ["order_date", "product_id", "order_id", "line_type", "quantity", "gross_amount",
                                    "net_amount"]]
    lt = f["line_type"]
    sale = lt == "sale"
    month = _month(f["order_date"])
    parts = pd.DataFrame(copy=False, data={
        "units": f["quantity"].where(sale, 0), "gross_sales": f["gross_amount"].where(sale, 0.0),
        "net_sales": f["net_amount"].where(lt.isin(("sale", "cancellation", "return")), 0.0),
        "orders": f["order_id"].where(sale),
    })
    m = parts.groupby([month.rename("month"), f["product_id"]], sort=False).agg(
        units=("units", "sum"), gross_sales=("gross_sales", "sum"), net_sales=("net_sales", "sum"),
        orders=("orders", "nunique")).reset_index()
    p = dim_product.set_index("product_id")
    m.insert(2, "name", m["product_id"].map(p["name"]))
    m.insert(3, "category", m["product_id"].map(p["category"]))
    m["rank"] = _rank(m, "month", "net_sales", "product_id")
    return m


def _kpi_category_month(kpm: pd.DataFrame) -> pd.DataFrame:
    """080_kpi_category_month.sql."""
    c = kpm.groupby(["month", "category"], sort=False).agg(
        units=("units", "sum"), gross_sales=("gross_sales", "sum"), net_sales=("net_sales", "sum"),
        products_sold=("product_id", "nunique")).reset_index()
    c["rank"] = _rank(c, "month", "net_sales", "category")
    return c


def _dim_date(first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """The calendar from the first to the last order day (shopops.warehouse._engine.dim_date)."""
    d = pd.Series(pd.date_range(first, last, freq="D"))
    iso = d.dt.isocalendar()
    return pd.DataFrame({
        "date": d, "year": d.dt.year, "quarter": d.dt.quarter, "month": d.dt.month, "day": d.dt.day,
        "iso_year": iso["year"].astype(np.int32), "iso_week": iso["week"].astype(np.int32),
        "weekday": iso["day"].astype(np.int32), "is_weekend": iso["day"] >= 6,
        "week_start": d - pd.to_timedelta(d.dt.weekday, unit="D"), "month_start": _month(d),
    })


# --------------------------------------------------------------------------- the peer
def pandas_ingest(source: Path, out_dir: Path, timings: dict[str, float] | None = None) -> dict[str, int]:
    """Read, validate, classify, write the lake (Parquet) and the warehouse (SQLite via DataFrame.to_sql).

    Returns row counts per output table; per-step seconds go into ``timings`` when given.
    """
    step = Steps()
    source, out_dir = Path(source), Path(out_dir)
    lake = out_dir / "lake"
    now = pd.Timestamp.now()
    with step("read"):
        raw = _read(source)
    with step("checksum + raw copy"):
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        (lake / "raw" / "online_retail").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, lake / "raw" / "online_retail" / "src.parquet")
    with step("classify"):
        lines = _classify(raw)
    with step("validate"):
        reason = _validate(lines, now)
    with step("dedupe"):
        _exact_duplicates(lines, raw["Description"], reason)
        lines["_reason"] = reason
    with step("products/customers"):
        products = _products(raw, lines)
        customers = _customers(raw, lines, now)
    with step("report"):
        names = ORDER_LINES.names
        bad = lines["_reason"].notna()
        clean = lines.loc[~bad, [*names, "_source_row"]]
        clean_products = products.loc[products["_reason"].isna(), PRODUCTS.names]
        clean_customers = customers.loc[customers["_reason"].isna(), CUSTOMERS.names]
        report = {
            "order_lines": _report("order_lines", lines, clean[names], "ordered_at"),
            "products": _report("products", products, clean_products, None),
            "customers": _report("customers", customers, clean_customers, "acquired_at"),
        }
        report["order_lines"]["line_types"] = {
            str(t): int(n) for t, n in clean["line_type"].fillna("(none)").value_counts().items()}
        report["order_lines"]["outliers"] = _outliers(clean)
    with step("parquet lake"):
        src_file = str(source)
        _to_parquet(clean, ORDER_LINES, lake / "clean" / "order_lines" / "data_0.parquet")
        quarantine = lines.loc[bad, [*names, "_reason", "_source_row"]].assign(_source_file=src_file, _raw_text=None)
        _to_parquet(quarantine, pa.schema([*ORDER_LINES, *QUARANTINE_META]),
                    lake / "quarantine" / "order_lines" / "rows.parquet")
        _to_parquet(clean_products.assign(launched_at=clean_products["launched_at"].dt.date,
                                          discontinued_at=clean_products["discontinued_at"].dt.date),
                    PRODUCTS, lake / "clean" / "products" / "data_0.parquet")
        _to_parquet(clean_customers, CUSTOMERS, lake / "clean" / "customers" / "data_0.parquet")
        manifest = {"source": {"path": src_file, "sha256": digest, "bytes": source.stat().st_size},
                    "adapter": "online_retail", "report": report}
        (lake / "batch.json").write_text(json.dumps(manifest, indent=1, default=str), encoding="utf-8")
    stg_lines = clean[names]
    with step("model dim_product"):
        dim_product = _dim_product(stg_lines, clean_products)
    with step("model fact_order_line"):
        fact_order_line = _fact_order_line(stg_lines, dim_product)
    with step("model fact_order"):
        fact_order = _fact_order(fact_order_line)
    with step("model dim_customer"):
        dim_customer = _dim_customer(fact_order, clean_customers)
    with step("model kpi_period"):
        kpi_period = _kpi_period(fact_order, dim_customer)
    with step("model kpi_product_month"):
        kpi_product_month = _kpi_product_month(fact_order_line, dim_product)
    with step("model kpi_category_month"):
        kpi_category_month = _kpi_category_month(kpi_product_month)
    with step("model dim_date"):
        dim_date = _dim_date(stg_lines["ordered_at"].min().normalize(), stg_lines["ordered_at"].max().normalize())
    with step("model quarantine"):
        q_rows = quarantine[[*names, "_reason", "_source_file", "_source_row", "_raw_text"]]
        warehouse_quarantine = pd.DataFrame({
            "table_name": "order_lines", "_source_file": q_rows["_source_file"],
            "_source_row": q_rows["_source_row"], "_reason": q_rows["_reason"], "_raw_text": q_rows["_raw_text"],
            "row_json": q_rows.to_json(orient="records", lines=True, date_format="iso").splitlines(),
        })
        ingest_report = pd.DataFrame({
            "adapter": "online_retail", "source": src_file, "table_name": list(report),
            "rows_in": [r["rows_in"] for r in report.values()], "rows_ok": [r["rows_ok"] for r in report.values()],
            "rows_quarantined": [r["rows_quarantined"] for r in report.values()],
            "report": [json.dumps(r, default=str) for r in report.values()],
        })
    tables = {
        "dim_product": dim_product, "fact_order_line": fact_order_line, "fact_order": fact_order,
        "dim_customer": dim_customer, "kpi_period": kpi_period, "kpi_product_month": kpi_product_month,
        "kpi_category_month": kpi_category_month, "dim_date": dim_date, "quarantine": warehouse_quarantine,
        "ingest_report": ingest_report,
    }
    warehouse = out_dir / "warehouse.sqlite"
    warehouse.unlink(missing_ok=True)
    con = sqlite3.connect(warehouse)
    try:
        for name, df in tables.items():
            with step(f"to_sql {name}"):
                df.to_sql(name, con, index=False)
        con.commit()
    finally:
        con.close()
    if timings is not None:
        timings.update(step.seconds)
    counts = {"clean_order_lines": len(clean), "quarantine_order_lines": len(quarantine),
              "clean_products": len(clean_products), "clean_customers": len(clean_customers)}
    counts.update({name: len(df) for name, df in tables.items()})
    return counts


# --------------------------------------------------------------------------- comparison
def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _num(s: pd.Series) -> pd.Series:
    if s.dtype == object and s.dropna().isin(["true", "false"]).all() and s.notna().any():
        return s.map({"true": 1.0, "false": 0.0})
    return pd.to_numeric(s, errors="coerce").astype(float)


def _ts(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce")


def _compare(name: str, ours: pd.DataFrame, ref: pd.DataFrame, key: list[str], cols: dict[str, str],
             diffs: list[str], ties: dict[str, pd.Series] | None = None) -> dict[str, int]:
    """Compare ``cols`` (name → kind: num, ts, str) per ``key``; return tie counts per column."""
    tie_counts: dict[str, int] = {}
    ours = ours.copy()
    ref = ref.copy()
    for k in key:
        ours[k] = ours[k].astype(str)
        ref[k] = ref[k].astype(str)
    m = ours[key + list(cols)].merge(ref[key + list(cols)], on=key, how="outer", suffixes=("_p", "_r"),
                                     indicator=True)
    only = m["_merge"].value_counts()
    if only.get("left_only", 0) or only.get("right_only", 0):
        diffs.append(f"{name}: {only.get('left_only', 0)} keys only in the peer, {only.get('right_only', 0)} only in "
                     f"shopops (e.g. {m.loc[m['_merge'] != 'both', key].head(3).to_dict('records')})")
    m = m[m["_merge"] == "both"]
    for col, kind in cols.items():
        a, b = m[f"{col}_p"], m[f"{col}_r"]
        if kind == "num":
            a, b = _num(a), _num(b)
            bad = ~(np.isclose(a, b, rtol=1e-6, atol=1e-9) | (a.isna() & b.isna()))
        elif kind == "ts":
            a, b = _ts(a), _ts(b)
            bad = ~((a == b) | (a.isna() & b.isna()))
        else:
            a, b = a.astype(object).where(a.notna(), None), b.astype(object).where(b.notna(), None)
            bad = ~((a.astype(str) == b.astype(str)) | (a.isna() & b.isna()))
        if ties and col in ties and bad.any():
            allowed = ties[col]  # key → set of equally frequent values
            tied = pd.Series([
                bool(k in allowed.index and x in allowed[k] and y in allowed[k])
                for k, x, y in zip(m.loc[bad, key[0]], a[bad], b[bad], strict=True)], index=a[bad].index)
            tie_counts[col] = int(tied.sum())
            bad = bad & ~tied.reindex(bad.index, fill_value=False)
        if bad.any():
            ex = m.loc[bad, [*key, f"{col}_p", f"{col}_r"]].head(3).to_dict("records")
            diffs.append(f"{name}.{col}: {int(bad.sum())} differences, e.g. {ex}")
    return tie_counts


def _tied_modes(keys: pd.Series, values: pd.Series) -> pd.Series:
    """Per key, the set of most frequent values when more than one value shares the top count."""
    counts = pd.DataFrame({"k": keys, "v": values}).dropna().value_counts()
    top = counts.groupby(level="k").transform("max")
    best = counts[counts == top].reset_index()
    multi = best.groupby("k")["v"].agg(set)
    return multi[multi.map(len) > 1]


def _rank_ties(ours: pd.DataFrame, ref: pd.DataFrame, part: str, key: str, name: str, diffs: list[str]) -> int:
    """Rank differences: allowed only between rows whose net sales tie (within 1e-6); returns the tie count."""
    m = ours[[part, key, "rank", "net_sales"]].astype({part: str, key: str}).merge(
        ref[[part, key, "rank"]].astype({part: str, key: str}), on=[part, key], suffixes=("_p", "_r"))
    m["rank_r"] = m["rank_r"].astype(int)
    bad = m[m["rank_p"].astype(int) != m["rank_r"]]
    if bad.empty:
        return 0
    rounded = m.assign(r=m["net_sales"].round(6))
    size = rounded.groupby([part, "r"])[key].transform("size")
    tied = size[bad.index] > 1
    if (~tied).any():
        diffs.append(f"{name}.rank: {int((~tied).sum())} differences not explained by ties, "
                     f"e.g. {bad[~tied].head(3).to_dict('records')}")
    return int(tied.sum())


def check_same(out_dir: Path, reference_dir: Path, source: Path = DATA) -> list[str]:
    """Compare the peer's outputs with reference CSVs written from shopops; return a list of differences (empty = same).

    Where the most frequent description (or country) is tied, either value is accepted; those
    cases are counted and printed, not reported as differences.
    """
    out_dir, ref_dir = Path(out_dir), Path(reference_dir)
    diffs: list[str] = []
    con = sqlite3.connect(out_dir / "warehouse.sqlite")
    try:
        wh = {t: pd.read_sql_query(f"SELECT * FROM {t}", con) for t in (
            "dim_product", "fact_order_line", "fact_order", "dim_customer", "kpi_period", "kpi_product_month",
            "kpi_category_month", "dim_date", "quarantine")}
    finally:
        con.close()
    lake = out_dir / "lake"
    wh["clean_order_lines"] = pd.read_parquet(lake / "clean" / "order_lines")
    wh["clean_products"] = pd.read_parquet(lake / "clean" / "products")
    wh["clean_customers"] = pd.read_parquet(lake / "clean" / "customers")
    wh["quarantine_order_lines"] = pd.read_parquet(lake / "quarantine" / "order_lines")
    ref = {t: _csv(ref_dir / f"0_{t}.csv") for t in wh}
    for t in wh:
        if len(wh[t]) != len(ref[t]):
            diffs.append(f"{t}: {len(wh[t])} rows in the peer, {len(ref[t])} in shopops")

    raw = _read(source, ["StockCode", "Description", "CustomerID", "Country"])
    name_ties = _tied_modes(_text(raw["StockCode"]), _text(raw["Description"]))
    country_ties = _tied_modes(_text(raw["CustomerID"]), _text(raw["Country"]))
    ties: dict[str, int] = {}

    def add(label: str, counts: dict[str, int]) -> None:
        for col, n in counts.items():
            if n:
                ties[f"{label}.{col}"] = n

    num = "num"
    _compare("kpi_period", wh["kpi_period"].assign(period_start=_ts(wh["kpi_period"]["period_start"]).dt.date),
             ref["kpi_period"].assign(period_start=_ts(ref["kpi_period"]["period_start"]).dt.date),
             ["grain", "period_start"],
             {c: num for c in ref["kpi_period"].columns if c not in ("grain", "period_start")}, diffs)
    for t, key, extra in (("kpi_product_month", "product_id", "orders"),
                          ("kpi_category_month", "category", "products_sold")):
        ours = wh[t].assign(month=_ts(wh[t]["month"]).dt.date)
        theirs = ref[t].assign(month=_ts(ref[t]["month"]).dt.date)
        cols = {"units": num, "gross_sales": num, "net_sales": num, extra: num}
        if t == "kpi_product_month":
            cols["category"] = "str"
            add(t, _compare(t, ours, theirs, ["product_id", "month"], {"name": "str"}, diffs, {"name": name_ties}))
        _compare(t, ours, theirs, ["month", key], cols, diffs)
        n = _rank_ties(ours, theirs, "month", key, t, diffs)
        if n:
            ties[f"{t}.rank"] = n
    _compare("fact_order", wh["fact_order"], ref["fact_order"], ["order_id"],
             {"ordered_at": "ts", "customer_id": "str", "country": "str", "lines": num, "units": num,
              "gross_sales": num, "line_discounts": num, "discount_lines": num, "cancellations": num,
              "returns": num, "shipping_revenue": num, "net_amount": num, "is_sale": num}, diffs)
    add("dim_customer", _compare(
        "dim_customer", wh["dim_customer"], ref["dim_customer"], ["customer_id"],
        {"orders": num, "units": num, "sales_amount": num, "first_sale_at": "ts", "last_sale_at": "ts",
         "acquired_at": "ts", "country": "str"}, diffs, {"country": country_ties}))
    add("clean_customers", _compare(
        "clean_customers", wh["clean_customers"], ref["clean_customers"], ["customer_id"],
        {"acquired_at": "ts", "country": "str"}, diffs, {"country": country_ties}))
    line_cols = {"product_id": "str", "quantity": num, "unit_price": num, "line_type": "str", "customer_id": "str",
                 "ordered_at": "ts", "country": "str"}
    _compare("clean_order_lines", wh["clean_order_lines"], ref["clean_order_lines"], ["order_id", "line_no"],
             line_cols, diffs)
    _compare("fact_order_line", wh["fact_order_line"], ref["fact_order_line"], ["order_id", "line_no"],
             {**line_cols, "gross_amount": num, "net_amount": num, "is_product": num, "category": "str",
              "order_date": "ts"}, diffs)
    product_cols = {"unit_price": num, "is_product": num, "launched_at": "ts"}
    add("dim_product", _compare("dim_product", wh["dim_product"], ref["dim_product"], ["product_id"],
                                {**product_cols, "name": "str", "first_line_at": "ts", "last_line_at": "ts",
                                 "category": "str"}, diffs, {"name": name_ties}))
    add("clean_products", _compare("clean_products", wh["clean_products"], ref["clean_products"], ["product_id"],
                                   {**product_cols, "name": "str"}, diffs, {"name": name_ties}))
    _compare("quarantine_order_lines", wh["quarantine_order_lines"], ref["quarantine_order_lines"], ["_source_row"],
             {"_reason": "str", "order_id": "str", "line_no": num}, diffs)
    _compare("quarantine", wh["quarantine"], ref["quarantine"], ["_source_row"], {"_reason": "str"}, diffs)
    _compare("dim_date", wh["dim_date"].assign(date=_ts(wh["dim_date"]["date"]).dt.date),
             ref["dim_date"].assign(date=_ts(ref["dim_date"]["date"]).dt.date), ["date"],
             {"iso_year": num, "iso_week": num, "weekday": num, "is_weekend": num, "week_start": "ts",
              "month_start": "ts", "quarter": num}, diffs)

    ours_rep = json.loads((lake / "batch.json").read_text(encoding="utf-8"))["report"]
    ref_rep = json.loads((ref_dir / "0_report.json").read_text(encoding="utf-8"))
    for table, r in ref_rep.items():
        o = ours_rep.get(table, {})
        for field in ("rows_in", "rows_ok", "rows_quarantined", "line_types", "nulls", "reasons", "duplicates",
                      "examples", "first", "last"):
            if o.get(field) != r.get(field):
                diffs.append(f"report {table}.{field}: peer {o.get(field)!r} vs shopops {r.get(field)!r}")
        _compare_outliers(table, o.get("outliers", []), r.get("outliers", []), diffs, ties)
    if ties:
        print("explained, not differences: " + "; ".join(f"{k}: {n}" for k, n in ties.items()))
    return diffs


def _compare_outliers(table: str, ours: list[dict[str, Any]], ref: list[dict[str, Any]], diffs: list[str],
                      explained: dict[str, int]) -> None:
    """Outlier rows of the report (the top 20 by |quantity| and how many more).

    shopops takes the quantiles with DuckDB's approx_quantile (t-digest); the peer takes exact
    ones. Accepted as explained, and counted: x_p999 that differ only by the p99.9 used (one factor
    for all rows), z within 0.5, and rows in one list only whose |quantity| lies between the two
    "10x p99.9" limits or at the 20-row cut.
    """
    more_o = next((o["more"] for o in ours if "more" in o), 0)
    more_r = next((o["more"] for o in ref if "more" in o), 0)
    if more_o != more_r:
        diffs.append(f"report {table}.outliers: {more_o + 20} flagged in the peer vs {more_r + 20} in shopops")
    a = {o["row"]: o for o in ours if "row" in o}
    b = {o["row"]: o for o in ref if "row" in o}
    if not a and not b:
        return
    if not a or not b:
        diffs.append(f"report {table}.outliers: {len(a)} rows in the peer vs {len(b)} in shopops")
        return
    p_a = float(np.median([abs(o["quantity"]) / o["x_p999"] for o in a.values()]))
    p_b = float(np.median([abs(o["quantity"]) / o["x_p999"] for o in b.values()]))
    cut = max(min(abs(o["quantity"]) for o in a.values()), min(abs(o["quantity"]) for o in b.values()))
    lo, hi = 10 * min(p_a, p_b), 10 * max(p_a, p_b)
    only = [(r, abs((a.get(r) or b[r])["quantity"])) for r in set(a) ^ set(b)]
    odd = [r for r, q in only if not (lo < q <= hi or q <= cut)]
    if odd:
        diffs.append(f"report {table}.outliers: rows {sorted(odd)} in one list only")
    if len(only) > len(odd):
        explained[f"report.{table}.outliers rows in one list (band {lo:.0f}-{hi:.0f} or 20-row cut)"] = \
            len(only) - len(odd)
    n_x = n_z = 0
    for r in set(a) & set(b):
        for f in ("product_id", "quantity"):
            if a[r][f] != b[r][f]:
                diffs.append(f"report {table}.outliers row {r}: {f} {a[r][f]!r} vs {b[r][f]!r}")
        za, zb = a[r]["z"], b[r]["z"]
        if (za is None) != (zb is None) or (za is not None and abs(za - zb) > 0.5):
            diffs.append(f"report {table}.outliers row {r}: z {za} vs {zb}")
        elif za != zb:
            n_z += 1
        if abs(a[r]["x_p999"] * p_a / p_b - b[r]["x_p999"]) > 0.1 + 0.002 * b[r]["x_p999"]:
            diffs.append(f"report {table}.outliers row {r}: x_p999 {a[r]['x_p999']} vs {b[r]['x_p999']}")
        elif a[r]["x_p999"] != b[r]["x_p999"]:
            n_x += 1
    if n_x:
        explained[f"report.{table}.outliers x_p999 (p99.9 exact {p_a:.1f} vs approx {p_b:.1f})"] = n_x
    if n_z:
        explained[f"report.{table}.outliers z within 0.5 (approximate median/MAD)"] = n_z


def main() -> None:
    """Run the peer into a temporary folder, print its time and counts, and compare with shopops."""
    reference = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("(none given)")
    with tempfile.TemporaryDirectory(prefix="peer_pandas_") as tmp:
        timings: dict[str, float] = {}
        start = time.perf_counter()
        counts = pandas_ingest(DATA, Path(tmp), timings)
        total = time.perf_counter() - start
        print(f"pandas peer: {total:.2f} s")
        for name, seconds in timings.items():
            print(f"  {name:<28} {seconds:7.3f} s")
        print("rows: " + ", ".join(f"{k}={v:,}" for k, v in counts.items()))
        if reference.is_dir():
            diffs = check_same(Path(tmp), reference)
            print("check_same: " + ("no differences" if not diffs else f"{len(diffs)} differences"))
            for d in diffs:
                print("  - " + d)
        else:
            print(f"check_same: skipped ({reference} not found)")


if __name__ == "__main__":
    main()
