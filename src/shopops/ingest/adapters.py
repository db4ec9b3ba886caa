"""Adapters: how a source's files become canonical tables.

An adapter names the files to read (:class:`SourceFile`) and, once their columns are known, the
SQL that maps them onto canonical tables (:class:`TableLoad`). Built in: ``canonical`` (columns
already named as in :mod:`shopops.schema`), ``mapping`` (a TOML file for any layout),
``online_retail`` (UCI Online Retail), ``olist`` (Brazilian E-Commerce by Olist) and ``cdnow``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopops._duck import sql_ident, sql_str
from shopops.errors import MappingError, SourceError
from shopops.ingest._mapping import read_mapping_file
from shopops.ingest.validate import ParseOptions
from shopops.schema import TABLES, get_table

__all__ = [
    "ONLINE_RETAIL_NON_PRODUCTS",
    "Adapter",
    "CanonicalAdapter",
    "CdnowAdapter",
    "MappingAdapter",
    "OlistAdapter",
    "OnlineRetailAdapter",
    "SourceFile",
    "TableLoad",
    "resolve_adapter",
]


@dataclass(frozen=True)
class SourceFile:
    """A file to read, registered in SQL as the view ``name``."""

    name: str
    path: Path
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None


@dataclass(frozen=True)
class TableLoad:
    """SQL that maps registered sources onto one canonical table.

    ``source`` is the view whose ``_source_row`` the rows refer to (for quarantine messages).
    """

    table: str
    sql: str
    source: str
    options: ParseOptions = field(default_factory=ParseOptions)


class Adapter:
    """Base class: subclasses set ``name`` and implement :meth:`sources` and :meth:`loads`."""

    name: str = "adapter"

    def sources(self) -> list[SourceFile]:
        """The files to read."""
        raise NotImplementedError

    def loads(self, columns: dict[str, list[str]]) -> list[TableLoad]:
        """Table loads, given the columns of each registered source."""
        raise NotImplementedError

    def fingerprint(self) -> str:
        """Text that, with the files' content, identifies a batch (mapping content, options)."""
        return self.name


class _OneFileAdapter(Adapter):
    """An adapter of one file in a known published layout, read with the caller's reader options."""

    def __init__(self, path: Path, **read: Any) -> None:
        self.path = Path(path)
        self.read = read

    def sources(self) -> list[SourceFile]:
        return [SourceFile("src", self.path, **self.read)]


def _match_columns(columns: list[str], names: Iterable[str]) -> dict[str, str]:
    """The column of ``columns`` each of ``names`` is, in any case: ``{name: column}``.

    SQL names are case-insensitive, and so is this match: "Order_ID" is the column order_id. Of
    columns differing only in case, the first wins. Names without a column are left out.
    """
    by_folded: dict[str, str] = {}
    for column in columns:
        by_folded.setdefault(column.lower(), column)
    return {name: by_folded[name.lower()] for name in names if name.lower() in by_folded}


def _require(source: SourceFile, columns: list[str], needed: list[str], adapter: str) -> None:
    found = _match_columns(columns, needed)
    missing = [c for c in needed if c not in found]
    if missing:
        raise SourceError(
            f"{source.path}: missing required column(s) {', '.join(missing)} for the {adapter} adapter; "
            f"the file has: {', '.join(columns) or '(no columns)'}"
        )


# --------------------------------------------------------------------------- canonical
class CanonicalAdapter(Adapter):
    """A file whose columns already carry canonical names of one table.

    Parameters
    ----------
    path : Path
        The file.
    table : str
        The canonical table it holds.
    options : ParseOptions
        Parsing options.
    """

    name = "canonical"

    def __init__(self, path: Path, table: str, options: ParseOptions | None = None, **read: Any) -> None:
        self.path = Path(path)
        self.table = get_table(table).name
        self.options = options or ParseOptions()
        self.read = read

    def sources(self) -> list[SourceFile]:  # noqa: D102
        return [SourceFile("src", self.path, **self.read)]

    def loads(self, columns: dict[str, list[str]]) -> list[TableLoad]:  # noqa: D102
        table = get_table(self.table)
        cols = columns["src"]
        needed = [c for c in table.required if c not in self.options.defaults and c != "line_no"]
        _require(self.sources()[0], cols, needed, f"canonical '{self.table}'")
        picked = _match_columns(cols, table.names)
        select = ", ".join(f"{sql_ident(src)} AS {sql_ident(canon)}" for canon, src in picked.items())
        return [TableLoad(self.table, f"SELECT {select}, _source_row FROM src", "src", self.options)]

    def fingerprint(self) -> str:  # noqa: D102
        return f"canonical:{self.table}:{self.options!r}:{sorted(self.read.items())!r}"


# --------------------------------------------------------------------------- mapping
class MappingAdapter(Adapter):
    """Any layout, described by a TOML mapping file.

    The mapping file format (see ``docs/data.md``)::

        [source]
        table = "order_lines"        # canonical table the file holds
        format = "csv"               # optional: csv, parquet, excel, jsonl (default: by extension)
        encoding = "latin-1"         # optional (default: detected)
        delimiter = ";"              # optional (default: sniffed)
        sheet = "Orders"             # optional, Excel only

        [columns]                    # canonical name = source column name
        order_id = "Invoice No"
        ordered_at = "Date"

        [parse]
        date_formats = ["%d/%m/%Y %H:%M", "%d/%m/%Y"]
        decimal = ","

        [defaults]                   # constants for canonical columns the file lacks
        channel = "web"

    Parameters
    ----------
    path : Path
        The data file.
    mapping_file : Path
        The TOML mapping file.
    """

    name = "mapping"

    def __init__(self, path: Path, mapping_file: Path) -> None:
        self.path = Path(path)
        self.mapping_file = Path(mapping_file)
        self.text, self.spec = read_mapping_file(self.mapping_file)
        self.table = self.spec.table
        self.columns: dict[str, str] = dict(self.spec.columns)
        self.options = ParseOptions(
            date_formats=self.spec.parse.formats,
            decimal=self.spec.parse.decimal,
            defaults=dict(self.spec.defaults),
            exact_duplicates=self.spec.parse.exact_duplicates,
        )
        self.read: dict[str, Any] = self.spec.read_options()

    def sources(self) -> list[SourceFile]:  # noqa: D102
        return [SourceFile("src", self.path, **self.read)]

    def loads(self, columns: dict[str, list[str]]) -> list[TableLoad]:  # noqa: D102
        have = columns["src"]
        missing = [(canon, src) for canon, src in self.columns.items() if src not in have]
        if missing:
            listed = ", ".join(f"'{src}' (for {canon})" for canon, src in missing)
            raise MappingError(
                f"mapping file {self.mapping_file}: column {listed} not found in {self.path}; "
                f"the file has: {', '.join(have)}"
            )
        # Columns not mapped explicitly but already named canonically (in any case, as for
        # canonical files) are taken as they are, unless [columns] maps them to another name.
        selected = dict(self.columns)
        mapped = {src.lower() for src in self.columns.values()}
        for name, src in _match_columns(have, self.table.names).items():
            if name not in selected and src.lower() not in mapped:
                selected[name] = src
        unmapped = [c for c in self.table.required
                    if c not in selected and c not in self.options.defaults and c != "line_no"]
        if unmapped:
            raise MappingError(
                f"mapping file {self.mapping_file}: required column(s) {', '.join(unmapped)} of "
                f"{self.table.name} are not mapped; add them under [columns] (the file has: {', '.join(have)})"
            )
        select = ", ".join(f"{sql_ident(src)} AS {sql_ident(canon)}" for canon, src in selected.items())
        return [TableLoad(self.table.name, f"SELECT {select}, _source_row FROM src", "src", self.options)]

    def fingerprint(self) -> str:  # noqa: D102
        return "mapping:" + hashlib.sha256(self.text.encode()).hexdigest()


# --------------------------------------------------------------------------- online retail
#: Online Retail stock codes that are not goods, and what they are.
ONLINE_RETAIL_NON_PRODUCTS: dict[str, str] = {
    "POST": "shipping",
    "DOT": "shipping",
    "C2": "shipping",
    "D": "discount",
    "M": "manual",
    "m": "manual",
    "S": "sample",
    "BANK CHARGES": "fee",
    "AMAZONFEE": "fee",
    "CRUK": "fee",
    "B": "adjustment",
}
_OR_COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
               "CustomerID", "Country"]


def _or_non_product_case(code: str) -> str:
    whens = " ".join(f"WHEN {code} = {sql_str(k)} THEN {sql_str(v)}" for k, v in ONLINE_RETAIL_NON_PRODUCTS.items())
    return f"CASE {whens} WHEN {code} LIKE 'gift\\_0001\\_%' ESCAPE '\\' THEN 'voucher' END"


def _most_frequent(rows: str, key: str, value: str) -> str:
    """SQL of ``(k, v)``: per ``key``, its most frequent non-empty ``value``; a tie goes to the value seen first.

    ``mode()`` breaks ties by whichever value the hash table meets first, which changes from run to run.
    """
    return f"""(SELECT k, arg_max(v, struct_pack(n := n, first := -first_row)) AS v
        FROM (SELECT {key} AS k, NULLIF(TRIM(CAST({value} AS VARCHAR)), '') AS v, count(*) AS n,
                     min(_source_row) AS first_row
              FROM {rows} GROUP BY 1, 2)
        WHERE v IS NOT NULL GROUP BY k)"""


class OnlineRetailAdapter(_OneFileAdapter):
    """UCI Online Retail (2010-12 to 2011-12), as published (CSV, Excel or Parquet).

    What it models, from the dataset's documentation and its data:

    - invoices starting with ``C`` are cancellations, with ``A`` accounting adjustments (bad debt);
    - stock codes POST, DOT, C2 (postage), D (discount), M (manual), S (samples), BANK CHARGES,
      AMAZONFEE, CRUK (fees), B (bad debt) and ``gift_0001_*`` (vouchers) are not products;
    - lines with price 0 and no customer are stock adjustments (write-offs when negative);
    - rows identical to an earlier row of the same invoice are quarantined as exact duplicates
      (the file has no line numbers, so they cannot be told from double entries).

    One file gives three tables: order_lines, products (name = the most frequent description,
    price = median sale price) and customers (country = most frequent, acquired = first invoice);
    a tie of most frequent values goes to the one seen first in the file, so every ingest names alike.
    """

    name = "online_retail"

    def loads(self, columns: dict[str, list[str]]) -> list[TableLoad]:  # noqa: D102
        _require(self.sources()[0], columns["src"], _OR_COLUMNS, "online_retail")
        # Each raw value is normalised once, in the subquery every load reads from.
        code, invoice, customer = "_code", "_invoice", "_customer"
        non_product = _or_non_product_case(code)
        # The published CSV and Excel files write dates as m/d/Y H:M.
        opts = ParseOptions(date_formats=("%m/%d/%Y %H:%M", "%m/%d/%y %H:%M", "%d/%m/%Y %H:%M"),
                            exact_duplicates=True)
        qty = "TRY_CAST(Quantity AS DOUBLE)"
        price = "TRY_CAST(UnitPrice AS DOUBLE)"
        # Integer ids (Parquet) are printed as they are: typeof() is decided when the query is
        # planned, so the text branch costs nothing then. Ids read from Excel or CSV as numbers
        # print as "17850.0"; a suffix test is cheaper than a regex.
        text_id = "TRIM(CAST(CustomerID AS VARCHAR))"
        customer_sql = (f"CASE WHEN typeof(CustomerID) IN ('BIGINT', 'INTEGER', 'SMALLINT', 'UBIGINT', 'UINTEGER') "
                        f"THEN CAST(CustomerID AS VARCHAR) "
                        f"ELSE NULLIF(CASE WHEN {text_id} LIKE '%.0' THEN left({text_id}, -2) "
                        f"ELSE {text_id} END, '') END")
        rows = (f"(SELECT *, TRIM(CAST(InvoiceNo AS VARCHAR)) AS _invoice, TRIM(CAST(StockCode AS VARCHAR)) AS _code, "
                f"{customer_sql} AS _customer FROM src) AS s")
        # Typed timestamps (Parquet) pass as they are; text is parsed, the published m/d/Y H:M too.
        when = ("coalesce(TRY_CAST(InvoiceDate AS TIMESTAMP), "
                "TRY_STRPTIME(CAST(InvoiceDate AS VARCHAR), '%m/%d/%Y %H:%M'))")
        lines = f"""
            SELECT {invoice} AS order_id, InvoiceDate AS ordered_at, {code} AS product_id,
                   Quantity AS quantity, UnitPrice AS unit_price, {customer} AS customer_id,
                   CASE
                     WHEN {invoice} LIKE 'A%' THEN 'adjustment'
                     WHEN {code} IN ({", ".join(sql_str(k) for k in ONLINE_RETAIL_NON_PRODUCTS)})
                          OR {code} LIKE 'gift%' THEN {non_product}
                     WHEN {invoice} LIKE 'C%' THEN 'cancellation'
                     WHEN {price} = 0 AND {customer} IS NULL THEN 'writeoff'
                     WHEN {qty} < 0 THEN 'writeoff'
                     ELSE 'sale'
                   END AS line_type,
                   NULLIF(TRIM(Country), '') AS country, Description AS _dup_description, _source_row
            FROM {rows}
        """
        products = f"""
            SELECT {code} AS product_id,
                   any_value(nm.v) AS name,
                   median({price}) FILTER (WHERE {price} > 0 AND {qty} > 0 AND {invoice} NOT LIKE 'C%')
                       AS unit_price,
                   ({non_product}) IS NULL AS is_product,
                   CAST(min({when}) AS DATE) AS launched_at,
                   min(_source_row) AS _source_row
            FROM {rows} LEFT JOIN {_most_frequent(rows, code, "Description")} AS nm ON nm.k = {code}
            WHERE {code} IS NOT NULL AND {code} <> '' GROUP BY {code}
        """
        customers = f"""
            SELECT {customer} AS customer_id, any_value(nc.v) AS country,
                   min({when}) AS acquired_at, min(_source_row) AS _source_row
            FROM {rows} LEFT JOIN {_most_frequent(rows, customer, "Country")} AS nc ON nc.k = {customer}
            WHERE {customer} IS NOT NULL GROUP BY {customer}
        """
        return [
            TableLoad("order_lines", lines, "src", opts),
            TableLoad("products", products, "src", ParseOptions()),
            TableLoad("customers", customers, "src", opts),
        ]

    def fingerprint(self) -> str:  # noqa: D102
        return f"online_retail:v1:{sorted(self.read.items())!r}"


# --------------------------------------------------------------------------- olist
_OLIST_FILES = {
    "customers": "olist_customers_dataset",
    "items": "olist_order_items_dataset",
    "payments": "olist_order_payments_dataset",
    "products": "olist_products_dataset",
    "sellers": "olist_sellers_dataset",
    "translation": "product_category_name_translation",
    "orders": "olist_orders_dataset",
}
_OLIST_STATUS = {
    "delivered": "delivered", "shipped": "shipped", "canceled": "cancelled", "unavailable": "cancelled",
    "invoiced": "paid", "processing": "paid", "approved": "paid", "created": "placed",
}


class OlistAdapter(Adapter):
    """Brazilian E-Commerce Public Dataset by Olist: a folder of its CSV or Parquet tables.

    Needs order_items and products; uses customers, payments, sellers, the category translation
    and the orders table when present. Mapping:

    - order lines: one line per item (quantity 1, price), plus a ``FREIGHT`` shipping line per
      item with freight (line_no = 100 + item number);
    - order date: ``order_purchase_timestamp`` from the orders table; **when that table is
      absent** (as in ``shared/data/olist``) the seller's ``shipping_limit_date`` stands in for it
      and lines carry no customer (the order → customer link lives in the orders table);
    - customers keyed by ``customer_unique_id`` (one person, several order-level ids); the zip
      prefix is kept as the postcode and pseudonymised like other personal data;
    - sellers become suppliers (country BR).
    """

    name = "olist"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise SourceError(f"{self.folder}: the olist adapter reads a folder of Olist tables")
        self.found: dict[str, Path] = {}
        for key, stem in _OLIST_FILES.items():
            for ext in (".parquet", ".csv"):
                candidate = self.folder / f"{stem}{ext}"
                if candidate.is_file():
                    self.found[key] = candidate
                    break
        missing = [(_OLIST_FILES[k]) for k in ("items", "products") if k not in self.found]
        if missing:
            raise SourceError(f"{self.folder}: Olist table(s) {', '.join(missing)} not found (.csv or .parquet)")

    def sources(self) -> list[SourceFile]:  # noqa: D102
        return [SourceFile(f"olist_{k}", p) for k, p in sorted(self.found.items())]

    def loads(self, columns: dict[str, list[str]]) -> list[TableLoad]:  # noqa: D102
        has = self.found.__contains__
        cat = "p.product_category_name"
        if has("translation"):
            cat_join = "LEFT JOIN olist_translation t USING (product_category_name)"
            category = f"coalesce(t.product_category_name_english, {cat})"
        else:
            cat_join, category = "", cat
        products = f"""
            SELECT p.product_id, {category} AS category,
                   coalesce({category}, 'product') || ' ' || left(p.product_id, 6) AS name,
                   TRUE AS is_product, p._source_row
            FROM olist_products p {cat_join}
            UNION ALL SELECT 'FREIGHT', 'shipping', 'Freight', FALSE, 0
        """
        if has("orders"):
            cust_join = "LEFT JOIN olist_orders o USING (order_id)"
            if has("customers"):
                cust_join += " LEFT JOIN olist_customers c ON c.customer_id = o.customer_id"
                customer = "c.customer_unique_id"
            else:
                customer = "o.customer_id"
            ordered = "o.order_purchase_timestamp"
            status = "o.order_status"
        else:
            cust_join, customer, ordered, status = "", "CAST(NULL AS VARCHAR)", "i.shipping_limit_date", "NULL"
        cancelled = f"{status} IN ('canceled', 'unavailable')"
        lines = f"""
            SELECT i.order_id, i.order_item_id AS line_no, {ordered} AS ordered_at, i.product_id,
                   CASE WHEN {cancelled} THEN -1 ELSE 1 END AS quantity, i.price AS unit_price,
                   {customer} AS customer_id,
                   CASE WHEN {cancelled} THEN 'cancellation' ELSE 'sale' END AS line_type,
                   'BR' AS country, 'marketplace' AS channel, i._source_row
            FROM olist_items i {cust_join}
            UNION ALL
            SELECT i.order_id, 100 + i.order_item_id, {ordered}, 'FREIGHT',
                   CASE WHEN {cancelled} THEN -1 ELSE 1 END, i.freight_value, {customer}, 'shipping',
                   'BR', 'marketplace', i._source_row
            FROM olist_items i {cust_join} WHERE i.freight_value > 0
        """
        loads = [
            TableLoad("products", products, "olist_products"),
            TableLoad("order_lines", lines, "olist_items"),
        ]
        if has("customers"):
            first_order = ""
            if has("orders"):
                first_order = ("LEFT JOIN (SELECT c2.customer_unique_id AS u, min(o.order_purchase_timestamp) AS f "
                               "FROM olist_orders o JOIN olist_customers c2 USING (customer_id) GROUP BY 1) fo "
                               "ON fo.u = c.customer_unique_id")
            acquired = "fo.f" if has("orders") else "NULL"
            loads.append(TableLoad("customers", f"""
                SELECT c.customer_unique_id AS customer_id,
                       lpad(CAST(c.customer_zip_code_prefix AS VARCHAR), 5, '0') AS postcode,
                       c.customer_city AS city, c.customer_state AS region, 'BR' AS country,
                       'marketplace' AS channel, {acquired} AS acquired_at, c._source_row
                FROM olist_customers c {first_order}
                QUALIFY row_number() OVER (PARTITION BY c.customer_unique_id ORDER BY c._source_row) = 1
            """, "olist_customers"))
        if has("sellers"):
            loads.append(TableLoad("suppliers", """
                SELECT seller_id AS supplier_id, seller_city AS name, 'BR' AS country, _source_row
                FROM olist_sellers
            """, "olist_sellers"))
        if has("payments"):
            ordered_h = "o.order_purchase_timestamp" if has("orders") else "it.first_limit"
            join_h = "LEFT JOIN olist_orders o USING (order_id)" if has("orders") else ""
            status_h = ("CASE o.order_status " + " ".join(f"WHEN {sql_str(k)} THEN {sql_str(v)}"
                        for k, v in _OLIST_STATUS.items()) + " END") if has("orders") else "NULL"
            extra = ("o.order_estimated_delivery_date AS promised_at, o.order_delivered_carrier_date AS shipped_at, "
                     "o.order_delivered_customer_date AS delivered_at,") if has("orders") else ""
            loads.append(TableLoad("orders", f"""
                SELECT py.order_id, {ordered_h} AS ordered_at, {status_h} AS status,
                       py.payment_type, {extra} 'BR' AS ship_country, 'marketplace' AS channel,
                       py._source_row
                FROM (SELECT order_id, arg_min(payment_type, payment_sequential) AS payment_type,
                             min(_source_row) AS _source_row
                      FROM olist_payments GROUP BY order_id) py
                LEFT JOIN (SELECT order_id, min(shipping_limit_date) AS first_limit
                           FROM olist_items GROUP BY order_id) it USING (order_id)
                {join_h}
            """, "olist_payments"))
        loads.append(TableLoad("order_fulfilment", self._fulfilment_sql(), "olist_items"))
        return loads

    def _fulfilment_sql(self) -> str:
        """Olist's lifecycle fields: seller, its state, shipping limit, freight, instalments (and more with orders)."""
        has = self.found.__contains__
        joins, cols = [], []
        if has("sellers"):
            joins.append("LEFT JOIN olist_sellers s ON s.seller_id = f.warehouse")
            cols.append("s.seller_state AS warehouse_region")
        if has("payments"):
            joins.append("LEFT JOIN (SELECT order_id, greatest(max(payment_installments), 1) AS installments "
                         "FROM olist_payments GROUP BY order_id) p USING (order_id)")
            cols.append("p.installments")
        if has("orders"):
            joins.append("LEFT JOIN olist_orders o USING (order_id)")
            cols += ["o.order_approved_at AS paid_at", "o.order_delivered_carrier_date AS shipped_at",
                     "o.order_delivered_customer_date AS delivered_at",
                     "o.order_estimated_delivery_date AS promised_at",
                     "CASE WHEN o.order_status IN ('canceled', 'unavailable') THEN o.order_purchase_timestamp END "
                     "AS cancelled_at"]
            if has("customers"):
                joins.append("LEFT JOIN olist_customers c ON c.customer_id = o.customer_id")
                cols.append("c.customer_state AS ship_region")
        extra = "".join(f", {c}" for c in cols)
        return f"""
            SELECT f.order_id, f.shipping_limit_at, f.warehouse, f.freight{extra}, f._source_row
            FROM (SELECT order_id, min(shipping_limit_date) AS shipping_limit_at,
                         arg_min(seller_id, order_item_id) AS warehouse, sum(freight_value) AS freight,
                         min(_source_row) AS _source_row
                  FROM olist_items GROUP BY order_id) f
            {" ".join(joins)}
        """

    def fingerprint(self) -> str:  # noqa: D102
        return "olist:v2:" + ",".join(sorted(self.found))


# --------------------------------------------------------------------------- cdnow
class CdnowAdapter(_OneFileAdapter):
    """CDNOW purchase histories (Fader, Hardie & Lee): customer, date, number of CDs, dollars.

    Each row becomes one order of the single product ``CD`` (order id = customer and date, with
    a running number when a customer bought twice on one day); unit price = dollars / CDs.
    Rows with 0 CDs but money are kept as ``manual`` lines of one unit.
    """

    name = "cdnow"

    def loads(self, columns: dict[str, list[str]]) -> list[TableLoad]:  # noqa: D102
        _require(self.sources()[0], columns["src"], ["customer_id", "date", "number_of_cds", "dollar_value"],
                 "cdnow")
        cid = "CAST(customer_id AS VARCHAR)"
        day = "strftime(CAST(date AS DATE), '%Y%m%d')"
        cds = "TRY_CAST(number_of_cds AS BIGINT)"
        lines = f"""
            SELECT {cid} || '-' || {day} || '-' ||
                       row_number() OVER (PARTITION BY customer_id, date ORDER BY _source_row) AS order_id,
                   1 AS line_no, date AS ordered_at, 'CD' AS product_id,
                   CASE WHEN {cds} > 0 THEN number_of_cds ELSE 1 END AS quantity,
                   CASE WHEN {cds} > 0 THEN dollar_value / {cds} ELSE dollar_value END AS unit_price,
                   {cid} AS customer_id,
                   CASE WHEN {cds} > 0 THEN 'sale' ELSE 'manual' END AS line_type, _source_row
            FROM src
        """
        customers = f"""
            SELECT {cid} AS customer_id, min(date) AS acquired_at, min(_source_row) AS _source_row
            FROM src GROUP BY customer_id
        """
        products = ("SELECT 'CD' AS product_id, 'Compact disc' AS name, 'music' AS category, "
                    "TRUE AS is_product, 1 AS _source_row")
        return [
            TableLoad("order_lines", lines, "src", ParseOptions(date_formats=("%Y%m%d",))),
            TableLoad("customers", customers, "src", ParseOptions(date_formats=("%Y%m%d",))),
            TableLoad("products", products, "src"),
        ]

    def fingerprint(self) -> str:  # noqa: D102
        return f"cdnow:v1:{sorted(self.read.items())!r}"


# --------------------------------------------------------------------------- resolution
ADAPTERS = ("auto", "canonical", "mapping", "online_retail", "olist", "cdnow")


def _guess_table(path: Path, cols: set[str]) -> str | None:
    """The one canonical table a file's columns fit: all its required columns, and no other table takes more.

    A file that fits one table but carries columns of another (order lines without ``unit_price`` fit
    ``orders``) is ambiguous: guessing would file its rows where nobody looks, so the caller must say.
    """
    folded = {c.lower() for c in cols}
    cover = {t.name: len({n.lower() for n in t.names} & folded) for t in TABLES.values()}
    # line_no is numbered in file order when absent, as the canonical adapter does
    complete = [t.name for t in TABLES.values() if {r.lower() for r in t.required if r != "line_no"} <= folded]
    if not complete:
        return None
    best = max(complete, key=lambda n: (cover[n], -len(TABLES[n].names)))
    rivals = [n for n in TABLES if cover[n] > cover[best]]
    if rivals:
        rival = max(rivals, key=lambda n: cover[n])
        missing = [r for r in TABLES[rival].required if r.lower() not in folded]
        extra = sorted(c for c in cols if c.lower() in {n.lower() for n in TABLES[rival].names}
                       and c.lower() not in {n.lower() for n in TABLES[best].names})
        raise MappingError(
            f"{path}: these columns fit table {best}, but {', '.join(extra) or 'they'} belong to {rival}"
            + (f", which also needs {', '.join(missing)}" if missing else "")
            + f"; say which table the file holds with table= (CLI --table {best} or --table {rival}), "
            "nothing was stored"
        )
    return best


def resolve_adapter(
    path: Path,
    *,
    adapter: str = "auto",
    mapping: Path | None = None,
    table: str | None = None,
    columns_of: Any = None,
    **read: Any,
) -> Adapter:
    """Pick the adapter for ``path``.

    Parameters
    ----------
    path : Path
        A file, or a folder (Olist).
    adapter : str
        One of ``auto``, ``canonical``, ``mapping``, ``online_retail``, ``olist``, ``cdnow``.
    mapping : Path or None
        A mapping file (implies ``mapping``).
    table : str or None
        The canonical table (``canonical`` adapter); in ``auto`` mode the name of the file's
        folder is used when it is a canonical table name.
    columns_of : callable or None
        ``columns_of(path) -> list[str]``: the file's columns, used by ``auto`` to recognise
        the built-in datasets.
    **read
        Reader options (format, encoding, delimiter, sheet).

    Raises
    ------
    MappingError
        When the adapter is unknown or the file cannot be recognised.
    """
    path = Path(path)
    if adapter not in ADAPTERS:
        raise MappingError(f"unknown adapter {adapter!r}; choose one of {', '.join(ADAPTERS)}")
    if mapping is not None or adapter == "mapping":
        if mapping is None:
            raise MappingError("the mapping adapter needs a mapping file: give mapping= the path of a TOML file")
        return MappingAdapter(path, mapping)
    if adapter == "olist" or (adapter == "auto" and path.is_dir()):
        return OlistAdapter(path)
    if adapter == "online_retail":
        return OnlineRetailAdapter(path, **read)
    if adapter == "cdnow":
        return CdnowAdapter(path, **read)
    if adapter == "canonical":
        name = table or path.parent.name
        if name not in TABLES:
            raise MappingError(
                f"{path}: give table= the canonical table the file holds (one of {', '.join(sorted(TABLES))}) "
                "for the canonical adapter"
            )
        return CanonicalAdapter(path, name, **read)
    # auto: recognise by columns
    cols = set(columns_of(path)) if columns_of is not None else set()
    if set(_OR_COLUMNS) - {"Description", "CustomerID", "Country"} <= cols:
        return OnlineRetailAdapter(path, **read)
    if {"customer_id", "date", "number_of_cds", "dollar_value"} <= cols:
        return CdnowAdapter(path, **read)
    guessed: str | None = table or (path.parent.name if path.parent.name in TABLES else None)
    if guessed is None:
        guessed = _guess_table(path, cols)
    if guessed is None:
        raise MappingError(
            f"{path}: cannot tell which table this file holds (columns: {', '.join(sorted(cols)) or 'none'}). "
            "Give table= its canonical table when its columns carry canonical names, or mapping= a TOML mapping "
            "file for any other layout (see docs/data.md)."
        )
    return CanonicalAdapter(path, guessed, **read)
