"""The canonical tables of shopops: columns, types, keys and rules, in one place.

Every source (a shop's own export, a built-in adapter, the simulator) is mapped onto these
tables before it reaches the lake; every SQL model and every capability reads them. A change of
a column here is a change of the contract, so keep it deliberate.

Types are the logical types of the lake (and DuckDB):

======== =========================== =====================
dtype    DuckDB                      Arrow
======== =========================== =====================
string   VARCHAR                     large_string / string
int      BIGINT                      int64
float    DOUBLE                      float64
bool     BOOLEAN                     bool
date     DATE                        date32
ts       TIMESTAMP                   timestamp[us]
======== =========================== =====================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

__all__ = [
    "LINE_TYPES",
    "TABLES",
    "Column",
    "DType",
    "Table",
    "get_table",
]

DType = Literal["string", "int", "float", "bool", "date", "ts"]

_DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
    "ts": "TIMESTAMP",
}
_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "ts": pa.timestamp("us"),
}

#: What an order line is. Only ``sale`` lines of real products count as product sales; the other
#: types are kept (nothing is dropped) and feed net sales, stock movements or fees.
LINE_TYPES: dict[str, str] = {
    "sale": "a product sold (quantity > 0)",
    "return": "a product sent back after delivery (quantity < 0)",
    "cancellation": "a sale cancelled before fulfilment (quantity < 0)",
    "writeoff": "stock written off or adjusted, no money involved (damages, lost, found)",
    "discount": "a discount line on an order (money only, reduces net sales)",
    "shipping": "postage or carriage charged to the customer",
    "fee": "a fee or commission (bank charges, marketplace fees, charity commission)",
    "voucher": "a gift voucher sold or redeemed",
    "manual": "a manual line entered by staff (price corrections, unspecified items)",
    "sample": "free samples sent to a customer",
    "adjustment": "an accounting adjustment such as bad debt",
}


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    Parameters
    ----------
    name : str
        Column name in the lake and warehouse.
    dtype : DType
        Logical type.
    required : bool
        A row without a value here is quarantined.
    pii : bool
        Personal data: replaced by a keyed hash on ingest when listed in ``Settings.pii_columns``.
    min_value : float or None
        Smallest valid value (numbers only); smaller values are quarantined.
    allowed : tuple of str
        For strings: the only values allowed (empty means any).
    description : str
        What the column means, for docs and error messages.
    """

    name: str
    dtype: DType
    required: bool = False
    pii: bool = False
    min_value: float | None = None
    allowed: tuple[str, ...] = ()
    description: str = ""

    @property
    def duckdb_type(self) -> str:
        """The DuckDB type of the column."""
        return _DUCKDB_TYPES[self.dtype]

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type of the column."""
        return _ARROW_TYPES[self.dtype]


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns and its key.

    Parameters
    ----------
    name : str
        Table name in the lake (``lake/clean/<name>``).
    columns : tuple of Column
        The columns, in order.
    key : tuple of str
        Columns that identify a row. Within one ingest a repeated key is quarantined; across
        ingests the row of the latest batch wins.
    description : str
        What one row is.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""
    derived: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Names of the required columns."""
        return [c.name for c in self.columns if c.required]

    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of the clean table."""
        return pa.schema([pa.field(c.name, c.arrow_type) for c in self.columns])


def _c(name: str, dtype: DType, description: str = "", **kw: object) -> Column:
    return Column(name, dtype, description=description, **kw)  # type: ignore[arg-type]


ORDER_LINES = Table(
    "order_lines",
    (
        _c("order_id", "string", "order or invoice number", required=True),
        _c("line_no", "int", "position of the line in its order (1, 2, …); numbered in file order when absent",
           required=True, min_value=1),
        _c("ordered_at", "ts", "when the order was placed", required=True),
        _c("product_id", "string", "product code (SKU)", required=True),
        _c("quantity", "int", "units; negative on returns, cancellations and write-offs", required=True),
        _c("unit_price", "float", "price per unit before discount, in the shop currency", required=True,
           min_value=0.0),
        _c("discount", "float", "discount on the whole line, in the shop currency (default 0)", min_value=0.0),
        _c("customer_id", "string", "customer; empty for guest orders"),
        _c("line_type", "string", "what the line is, see LINE_TYPES; derived when absent",
           allowed=tuple(LINE_TYPES)),
        _c("country", "string", "country the order ships to"),
        _c("channel", "string", "sales channel (web, app, marketplace, …)"),
    ),
    key=("order_id", "line_no"),
    description="one line of an order, invoice, cancellation or return",
)

ORDERS = Table(
    "orders",
    (
        _c("order_id", "string", "order number", required=True),
        _c("customer_id", "string", "customer; empty for guest orders"),
        _c("ordered_at", "ts", "when the order was placed", required=True),
        _c("status", "string", "last known status",
           allowed=("placed", "paid", "shipped", "delivered", "cancelled", "returned")),
        _c("channel", "string", "sales channel"),
        _c("payment_type", "string", "how it was paid"),
        _c("promised_at", "ts", "delivery promised to the customer"),
        _c("shipped_at", "ts", "handed to the carrier"),
        _c("delivered_at", "ts", "delivered to the customer"),
        _c("ship_city", "string", "destination city"),
        _c("ship_country", "string", "destination country"),
        _c("address", "string", "delivery address", pii=True),
    ),
    key=("order_id",),
    description="an order header with its fulfilment timestamps (optional; lines carry the money)",
)

PRODUCTS = Table(
    "products",
    (
        _c("product_id", "string", "product code (SKU)", required=True),
        _c("name", "string", "product name"),
        _c("category", "string", "category"),
        _c("unit_price", "float", "list price", min_value=0.0),
        _c("unit_cost", "float", "purchase cost per unit", min_value=0.0),
        _c("supplier_id", "string", "main supplier"),
        _c("is_product", "bool", "false for codes that are not goods (postage, fees, discounts)"),
        _c("launched_at", "date", "first day on sale"),
        _c("discontinued_at", "date", "last day on sale"),
    ),
    key=("product_id",),
    description="a product (or a non-product code such as postage) of the catalogue",
)

CUSTOMERS = Table(
    "customers",
    (
        _c("customer_id", "string", "customer id", required=True),
        _c("name", "string", "full name", pii=True),
        _c("email", "string", "e-mail address", pii=True),
        _c("phone", "string", "phone number", pii=True),
        _c("address", "string", "street address", pii=True),
        _c("postcode", "string", "postcode", pii=True),
        _c("city", "string", "city"),
        _c("region", "string", "state or region"),
        _c("country", "string", "country"),
        _c("channel", "string", "acquisition channel"),
        _c("acquired_at", "ts", "when the customer was acquired (first order or sign-up)"),
    ),
    key=("customer_id",),
    description="a customer",
)

STOCK = Table(
    "stock",
    (
        _c("product_id", "string", "product code", required=True),
        _c("date", "date", "day of the snapshot", required=True),
        _c("on_hand", "int", "units on hand at the end of the day (negative is an error)", required=True,
           min_value=0),
        _c("location", "string", "warehouse or store; empty for a single location"),
    ),
    key=("product_id", "date", "location"),
    description="stock on hand of a product at the end of a day",
)

SUPPLIERS = Table(
    "suppliers",
    (
        _c("supplier_id", "string", "supplier id", required=True),
        _c("name", "string", "supplier name"),
        _c("country", "string", "country"),
        _c("lead_time_days", "float", "mean days from order to arrival", min_value=0.0),
        _c("lead_time_sd_days", "float", "standard deviation of the lead time", min_value=0.0),
        _c("moq", "int", "minimum order quantity (units)", min_value=0),
        _c("case_pack", "int", "units per case; orders are multiples of it", min_value=1),
    ),
    key=("supplier_id",),
    description="a supplier and its delivery terms",
)

PURCHASE_ORDERS = Table(
    "purchase_orders",
    (
        _c("po_id", "string", "purchase order number", required=True),
        _c("product_id", "string", "product ordered", required=True),
        _c("supplier_id", "string", "supplier"),
        _c("ordered_at", "date", "day the order was placed", required=True),
        _c("quantity", "int", "units ordered", required=True, min_value=1),
        _c("unit_cost", "float", "cost per unit", min_value=0.0),
        _c("expected_at", "date", "expected arrival"),
        _c("received_at", "date", "actual arrival; empty while open"),
    ),
    key=("po_id", "product_id"),
    description="a line of a purchase order to a supplier",
)

AD_STATS = Table(
    "ad_stats",
    (
        _c("date", "date", "day", required=True),
        _c("campaign_id", "string", "campaign", required=True),
        _c("channel", "string", "ad channel (search, social, display, e-mail)"),
        _c("impressions", "int", "impressions", min_value=0),
        _c("clicks", "int", "clicks", min_value=0),
        _c("conversions", "int", "orders attributed", min_value=0),
        _c("spend", "float", "money spent", min_value=0.0),
        _c("revenue", "float", "revenue attributed", min_value=0.0),
    ),
    key=("date", "campaign_id"),
    description="daily performance of an ad campaign",
)

WEB_EVENTS = Table(
    "web_events",
    (
        _c("event_id", "string", "event id", required=True),
        _c("ts", "ts", "when", required=True),
        _c("session_id", "string", "visit"),
        _c("customer_id", "string", "customer when known"),
        _c("event_type", "string", "what happened", required=True,
           allowed=("page_view", "product_view", "add_to_cart", "checkout", "purchase", "search")),
        _c("product_id", "string", "product concerned"),
        _c("source", "string", "traffic source (direct, search, social, ad campaign id, …)"),
        _c("device", "string", "desktop, mobile, tablet"),
    ),
    key=("event_id",),
    description="one event of a web or app visit",
)

MESSAGES = Table(
    "messages",
    (
        _c("message_id", "string", "message id", required=True),
        _c("ts", "ts", "when it was received", required=True),
        _c("customer_id", "string", "sender when known"),
        _c("order_id", "string", "order it is about, when known"),
        _c("channel", "string", "e-mail, chat, phone, marketplace"),
        _c("language", "string", "zh or en", allowed=("zh", "en")),
        _c("text", "string", "the message", required=True),
        _c("intent", "string", "labelled intent when known (order_status, return, …)"),
    ),
    key=("message_id",),
    description="a customer message to the shop",
)

DEMAND_TRUTH = Table(
    "demand_truth",
    (
        _c("product_id", "string", "product", required=True),
        _c("date", "date", "day", required=True),
        _c("demand", "int", "units customers wanted (sales plus lost sales)", required=True, min_value=0),
        _c("lost_sales", "int", "units not sold because the product was out of stock", min_value=0),
    ),
    key=("product_id", "date"),
    description="true daily demand, known only for the simulated shop (ground truth for models)",
)

INVENTORY_PARAMS = Table(
    "inventory_params",
    (
        _c("product_id", "string", "product the parameters are for", required=True),
        _c("supplier_id", "string", "supplier to buy from (overrides the product's main supplier)"),
        _c("lead_time_days", "float", "mean days from order to arrival", min_value=0.0),
        _c("lead_time_sd_days", "float", "standard deviation of the lead time", min_value=0.0),
        _c("moq", "int", "minimum order quantity (units)", min_value=0),
        _c("case_pack", "int", "units per case; orders are multiples of it", min_value=1),
        _c("unit_cost", "float", "purchase cost per unit", min_value=0.0),
        _c("holding_rate", "float", "yearly cost of holding stock, as a share of its value", min_value=0.0),
        _c("shortage_cost", "float", "cost of one unit of demand not served (lost margin, goodwill)",
           min_value=0.0),
        _c("service_level", "float", "target fill rate, between 0 and 1", min_value=0.0),
        _c("review_days", "int", "days between two orders of the product", min_value=1),
    ),
    key=("product_id",),
    description="per-product inventory parameters that override the supplier's terms and the class defaults",
)

LIVE_EVENTS = Table(
    "live_events",
    (
        _c("event_id", "string", "event id, unique across transports", required=True),
        _c("event_type", "string", "what happened", required=True,
           allowed=("order_placed", "order_paid", "order_cancelled", "page_view", "add_to_cart", "checkout",
                    "payment_failed", "stock_changed", "customer_message")),
        _c("ts", "ts", "event time (UTC)", required=True),
        _c("session_id", "string", "visit"),
        _c("customer_id", "string", "customer when known"),
        _c("order_id", "string", "order concerned"),
        _c("product_id", "string", "product concerned"),
        _c("amount", "float", "order value (order events)"),
        _c("quantity", "int", "units ordered, or stock on hand after a stock change"),
        _c("received_at", "ts", "when shopops took the event (UTC)", required=True),
        _c("transport", "string", "http or kafka", required=True),
        _c("content_hash", "string", "hash of the event's content: a repeated id with other content is refused"),
    ),
    key=("event_id",),
    description="one operational event taken by the monitor over HTTP or Kafka",
)

#: Order lifecycle: what happened to an order between checkout and the customer's door (and back).
ORDER_FULFILMENT = Table(
    "order_fulfilment",
    (
        _c("order_id", "string", "order number (as in orders and order_lines)", required=True),
        _c("paid_at", "ts", "payment captured"),
        _c("released_at", "ts", "released to the warehouse (after payment and any review)"),
        _c("picked_at", "ts", "picked from the shelves"),
        _c("packed_at", "ts", "packed and labelled"),
        _c("shipped_at", "ts", "handed to the carrier"),
        _c("delivered_at", "ts", "delivered to the customer"),
        _c("promised_at", "ts", "delivery promised to the customer"),
        _c("shipping_limit_at", "ts", "latest hand-over to the carrier that keeps the promise"),
        _c("warehouse", "string", "warehouse or seller location the order ships from"),
        _c("warehouse_region", "string", "state or region of that warehouse"),
        _c("carrier", "string", "carrier (or carrier service) that delivers it"),
        _c("service", "string", "delivery service", allowed=("standard", "express")),
        _c("ship_region", "string", "destination state or region"),
        _c("freight", "float", "freight charged for the order", min_value=0.0),
        _c("installments", "int", "payment instalments (1 = paid at once)", min_value=1),
        _c("address_check", "string", "address verification of the payment provider",
           allowed=("ok", "partial", "fail")),
        _c("cancelled_at", "ts", "cancelled"),
        _c("cancel_reason", "string", "why it was cancelled",
           allowed=("customer_request", "payment_failed", "fraud", "duplicate", "out_of_stock",
                    "undeliverable", "other")),
        _c("returned_at", "ts", "the return arrived back"),
        _c("return_reason", "string", "why it came back",
           allowed=("changed_mind", "damaged", "late", "wrong_item", "undeliverable", "other")),
    ),
    key=("order_id",),
    description="the fulfilment lifecycle of an order: payment, release, pick, pack, ship, deliver, cancel, return",
)

ORDER_TRUTH = Table(
    "order_truth",
    (
        _c("order_id", "string", "order number", required=True),
        _c("bad_kind", "string", "what is wrong with the order ('none' for a good order)", required=True,
           allowed=("none", "fraud", "address_error", "duplicate", "reseller")),
        _c("chargeback", "bool", "the payment was charged back later"),
        _c("backlog_days", "int", "working days the order waited in the warehouse backlog", min_value=0),
        _c("transit_days", "int", "delivery days the carrier took", min_value=0),
    ),
    key=("order_id",),
    description="what really was behind an order, known only for the simulated shop (ground truth for triage)",
)

KB_ENTRIES = Table(
    "kb_entries",
    (
        _c("entry_id", "string", "knowledge-base entry (one per language)", required=True),
        _c("topic", "string", "what the entry is about; the Chinese and English entries of a topic share it",
           required=True),
        _c("language", "string", "zh or en", required=True, allowed=("zh", "en")),
        _c("question", "string", "one way customers ask it (one row per question variant)", required=True),
        _c("answer", "string", "the answer (Markdown)", required=True),
        _c("tags", "string", "comma-separated tags"),
        _c("intent", "string", "the intent the entry answers, when it answers one"),
        _c("parse_status", "string", "ok, or why the loader could not read the entry (quarantined)",
           allowed=("ok",)),
        _c("source_file", "string", "the file the entry came from"),
    ),
    key=("language", "question"),
    description="a question variant of a FAQ or policy entry of the customer-service knowledge base",
)

# Marketing: campaigns and creatives, impression-level logs and randomised contact experiments.
CAMPAIGNS = Table(
    "campaigns",
    (
        _c("campaign_id", "string", "campaign", required=True),
        _c("name", "string", "campaign name"),
        _c("channel", "string", "ad channel (search, social, display, email, …)"),
        _c("objective", "string", "what it is optimised for (conversions, visits, …)"),
        _c("started_at", "date", "first day"),
        _c("ended_at", "date", "last day; empty while running"),
        _c("daily_budget", "float", "planned daily spend", min_value=0.0),
        _c("has_holdout", "bool", "a randomised share of the audience is held out (no ad)"),
        _c("holdout_share", "float", "share of the audience held out", min_value=0.0),
    ),
    key=("campaign_id",),
    description="an ad campaign",
)

AD_CREATIVES = Table(
    "ad_creatives",
    (
        _c("creative_id", "string", "creative (or ad group)", required=True),
        _c("campaign_id", "string", "campaign it runs in", required=True),
        _c("name", "string", "creative name"),
        _c("launched_at", "date", "first day it ran"),
    ),
    key=("creative_id",),
    description="a creative or ad group of a campaign",
)

AD_IMPRESSIONS = Table(
    "ad_impressions",
    (
        _c("impression_id", "string", "impression or visit id", required=True),
        _c("ts", "ts", "when it was shown", required=True),
        _c("campaign_id", "string", "campaign", required=True),
        _c("creative_id", "string", "creative shown"),
        _c("channel", "string", "ad channel"),
        _c("customer_id", "string", "customer when known"),
        _c("audience", "string", "audience or segment targeted"),
        _c("device", "string", "desktop, mobile, tablet"),
        _c("placement", "int", "slot or position (1 = top)", min_value=0),
        _c("creative_age_days", "int", "days since the creative launched", min_value=0),
        _c("clicked", "bool", "the impression was clicked", required=True),
        _c("converted", "bool", "the click led to an order"),
    ),
    key=("impression_id",),
    description="one ad impression (or visit) with its context and outcome",
)

CAMPAIGN_CONTACTS = Table(
    "campaign_contacts",
    (
        _c("campaign_id", "string", "campaign (an e-mail send, a coupon, …)", required=True),
        _c("customer_id", "string", "customer", required=True),
        _c("contacted_at", "date", "day of the send or of the hold-out decision"),
        _c("arm", "string", "treatment arm; 'control' for the held-out customers", required=True),
        _c("is_control", "bool", "held out of the campaign"),
        _c("randomised", "bool", "the arm was drawn at random (required for uplift models)"),
        _c("visited", "bool", "visited within the response window"),
        _c("converted", "bool", "bought within the response window"),
        _c("revenue", "float", "revenue within the response window", min_value=0.0),
        _c("recency_days", "float", "days since the last order at contact time", min_value=0.0),
        _c("frequency", "int", "orders before the contact", min_value=0),
        _c("monetary", "float", "money spent before the contact", min_value=0.0),
        _c("audience", "string", "segment or audience at contact time"),
    ),
    key=("campaign_id", "customer_id"),
    description="one customer of a campaign experiment: arm, outcome and the features known at contact",
)

MARKETING_TRUTH = Table(
    "marketing_truth",
    (
        _c("kind", "string", "channel, creative, audience, contact", required=True),
        _c("subject", "string", "which channel, creative, audience or campaign", required=True),
        _c("parameter", "string", "decay, beta, half, shape, wearout_per_day, mean_visit_uplift, …",
           required=True),
        _c("value", "float", "true value", required=True),
    ),
    key=("kind", "subject", "parameter"),
    description="the simulator's true marketing response (ground truth for models)",
)

#: All canonical tables by name.
#: Alerts of the live monitor as the warehouse keeps them: one row per alert and state it was copied in.
LIVE_ALERTS = Table(
    "live_alerts",
    (
        _c("alert_id", "int", "alert number in the operational store", required=True),
        _c("rule", "string", "alert rule", required=True),
        _c("kpi", "string", "KPI the rule watches", required=True),
        _c("severity", "string", "severity of the rule", required=True),
        _c("alert_group", "string", "grouping of the rule's alerts", required=True),
        _c("state", "string", "lifecycle state", required=True, allowed=("firing", "acknowledged", "resolved")),
        _c("condition_since", "ts", "when the condition started to hold (UTC)"),
        _c("fired_at", "ts", "when the alert fired (UTC)", required=True),
        _c("last_value", "float", "last value of the KPI"),
        _c("expected", "float", "baseline expectation"),
        _c("p_value", "float", "count model p-value"),
        _c("summary", "string", "what the alert says"),
        _c("silenced", "bool", "notifications silenced"),
        _c("acked_at", "ts", "when acknowledged (UTC)"),
        _c("acked_by", "string", "who acknowledged"),
        _c("resolved_at", "ts", "when resolved (UTC)"),
        _c("copied_at", "ts", "when this state was copied from the operational store (UTC)", required=True),
    ),
    key=("alert_id", "copied_at"),
    description="alert history of the live monitor, copied from the operational store on every change",
)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        ORDER_LINES,
        ORDERS,
        PRODUCTS,
        CUSTOMERS,
        STOCK,
        SUPPLIERS,
        PURCHASE_ORDERS,
        AD_STATS,
        WEB_EVENTS,
        MESSAGES,
        DEMAND_TRUTH,
        INVENTORY_PARAMS,
        LIVE_EVENTS,
        LIVE_ALERTS,
        ORDER_FULFILMENT,
        ORDER_TRUTH,
        KB_ENTRIES,
        CAMPAIGNS, AD_CREATIVES, AD_IMPRESSIONS, CAMPAIGN_CONTACTS, MARKETING_TRUTH,
    )
}


def get_table(name: str) -> Table:
    """Return the canonical table called ``name``.

    Raises
    ------
    KeyError
        With the list of known tables when ``name`` is not one of them.
    """
    try:
        return TABLES[name]
    except KeyError:
        known = ", ".join(sorted(TABLES))
        raise KeyError(f"unknown table {name!r}; the canonical tables are: {known}") from None
