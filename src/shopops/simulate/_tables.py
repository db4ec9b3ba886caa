"""Arrow tables in the canonical schemas, built from the simulator's arrays."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from shopops.schema import TABLES
from shopops.simulate._catalogue import Catalogue, Suppliers
from shopops.simulate._customers import ACQUISITION_CHANNELS, PAYMENT_TYPES, Customers
from shopops.simulate._orders import ORDER_CHANNELS, STATUSES, OrderBatch, ranks
from shopops.simulate._places import CITIES
from shopops.simulate._seeds import stream
from shopops.simulate._stock import PurchaseOrders
from shopops.simulate._strings import decimal_strings
from shopops.simulate._text import address, choose, email, full_name, phone, postcode, strings
from shopops.simulate._types import BoolArray, FloatArray, IntArray
from shopops.simulate._world import World

__all__ = [
    "customer_ids",
    "customers_table",
    "daily_tables",
    "order_ids",
    "order_lines_table",
    "orders_table",
    "purchase_orders_table",
    "suppliers_table",
    "timestamps",
]


def timestamps(us: IntArray, valid: BoolArray | None = None) -> pa.Array:
    """Microseconds since the epoch as ``timestamp[us]``; null where ``valid`` is False."""
    return pa.array(np.asarray(us, dtype=np.int64), type=pa.timestamp("us"), mask=None if valid is None else ~valid)


def dates(days: IntArray, valid: BoolArray | None = None) -> pa.Array:
    """Epoch days as ``date32``; null where ``valid`` is False."""
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32(), mask=None if valid is None else ~valid)


def customer_ids(index: IntArray) -> pa.Array:
    """``CU00000001``-style ids of customer indices; null for guests (-1)."""
    return decimal_strings(index + 1, 8, "CU", valid=index >= 0)


def order_ids(number: IntArray, prefix: str = "") -> pa.Array:
    """Order numbers as ids; cancellations and returns get the prefix "C" / "R"."""
    return decimal_strings(number, 1, prefix)


def _product_ids(world: World) -> pa.Array:
    """Product ids of product indices, with SHIPPING and DISCOUNT after the catalogue."""
    return pa.concat_arrays([world.catalogue.product_id, strings(["SHIPPING", "DISCOUNT"])])


def _table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    return pa.Table.from_arrays(list(columns.values()), schema=TABLES[name].arrow_schema())


_LINE_TYPES = ("sale", "shipping", "discount", "cancellation", "return")


@dataclass(frozen=True)
class _Lines:
    """Order lines as arrays; ``kind`` indexes _LINE_TYPES, ``order`` the batch's orders."""

    order: IntArray
    product: IntArray
    quantity: IntArray
    price: FloatArray
    discount: FloatArray
    kind: IntArray
    when: IntArray

    @staticmethod
    def concat(parts: list[_Lines]) -> _Lines:
        return _Lines(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(_Lines)))

    def take(self, index: IntArray) -> _Lines:
        return _Lines(*(getattr(self, f.name)[index] for f in fields(_Lines)))

    def by_order(self) -> _Lines:
        """The lines grouped by order, keeping their relative order within an order."""
        return self.take(np.argsort(self.order, kind="stable"))


def _document_lines(world: World, batch: OrderBatch) -> tuple[_Lines, _Lines, _Lines]:
    """Sale documents (sale, postage and voucher lines), cancellations and returns of a batch."""
    shipping_code, discount_code = len(world.catalogue), len(world.catalogue) + 1
    postage = np.flatnonzero(batch.shipping > 0)
    voucher = np.flatnonzero(batch.voucher > 0)
    sale = _Lines(batch.line_order, batch.line_product, batch.line_quantity, batch.line_price, batch.line_discount,
                  np.zeros(batch.line_order.size, np.int64), batch.ordered_us[batch.line_order])
    postage_lines = _Lines(postage, np.full(postage.size, shipping_code), np.ones(postage.size, np.int64),
                           batch.shipping[postage], np.zeros(postage.size), np.ones(postage.size, np.int64),
                           batch.ordered_us[postage])
    # A voucher is one line of -1 x its amount (as shops' exports book them).
    voucher_lines = _Lines(voucher, np.full(voucher.size, discount_code), -np.ones(voucher.size, np.int64),
                           batch.voucher[voucher], np.zeros(voucher.size), np.full(voucher.size, 2),
                           batch.ordered_us[voucher])
    sales = _Lines.concat([sale, postage_lines, voucher_lines]).by_order()

    # Cancellations and returns give back what was paid: the price net of the line's coupon.
    net_price = np.round(sale.price - sale.discount / sale.quantity, 2)
    refunds = dataclasses.replace(sale, price=net_price, discount=np.zeros(sale.order.size))
    cancelled = _Lines.concat([refunds, postage_lines]).take(
        np.flatnonzero(batch.cancelled_us[np.concatenate([sale.order, postage])] >= 0))
    cancelled = dataclasses.replace(cancelled, quantity=-cancelled.quantity, kind=np.full(cancelled.order.size, 3),
                                    when=batch.cancelled_us[cancelled.order]).by_order()
    returned = refunds.take(np.flatnonzero(batch.line_returned > 0))
    returned = dataclasses.replace(returned, quantity=-batch.line_returned[batch.line_returned > 0],
                                   kind=np.full(returned.order.size, 4), when=batch.returned_us[returned.order])
    return sales, cancelled, returned


def order_lines_table(world: World, batch: OrderBatch) -> pa.Table:
    """Sale documents then cancellation ("C" + order id) and return ("R" + order id) documents."""
    documents = _document_lines(world, batch)
    lines = _Lines.concat(list(documents))
    # Each document is contiguous (lines grouped by order within each kind): line numbers are ranks.
    doc_kind = np.repeat([0, 1, 2], [d.order.size for d in documents])
    line_no = ranks(lines.order * 3 + doc_kind) + 1
    doc_ids = pa.concat_arrays([decimal_strings(batch.number[d.order], 1, prefix)
                                for d, prefix in zip(documents, ("", "C", "R"), strict=True)])
    order_index = pa.array(lines.order)
    return _table("order_lines", {
        "order_id": doc_ids,
        "line_no": pa.array(line_no),
        "ordered_at": timestamps(lines.when),
        "product_id": _product_ids(world).take(pa.array(lines.product)),
        "quantity": pa.array(lines.quantity),
        "unit_price": pa.array(lines.price),
        "discount": pa.array(lines.discount),
        "customer_id": customer_ids(batch.customer).take(order_index),
        "line_type": choose(_LINE_TYPES, lines.kind),
        "country": choose([c.country for c in CITIES], batch.city[lines.order]),
        "channel": choose(ORDER_CHANNELS, batch.channel[lines.order]),
    })


def orders_table(batch: OrderBatch) -> pa.Table:
    """Order headers with fulfilment times and the status at the export moment."""
    return _table("orders", {
        "order_id": order_ids(batch.number),
        "customer_id": customer_ids(batch.customer),
        "ordered_at": timestamps(batch.ordered_us),
        "status": choose(STATUSES, batch.status),
        "channel": choose(ORDER_CHANNELS, batch.channel),
        "payment_type": choose(PAYMENT_TYPES, batch.payment),
        "promised_at": timestamps(batch.promised_us),
        "shipped_at": timestamps(batch.shipped_us, batch.shipped_us >= 0),
        "delivered_at": timestamps(batch.delivered_us, batch.delivered_us >= 0),
        "ship_city": choose([c.name for c in CITIES], batch.city),
        "ship_country": choose([c.country for c in CITIES], batch.city),
        "address": address(batch.city, batch.address_number),
    })


def customers_table(customers: Customers, lo: int, hi: int) -> pa.Table:
    """Customers ``lo`` to ``hi - 1`` with their (fake) personal data."""
    part = slice(lo, hi)
    city, number = customers.city[part], customers.number[part]
    chinese, first, last = customers.chinese_name[part], customers.first_name[part], customers.last_name[part]
    return _table("customers", {
        "customer_id": customer_ids(np.arange(lo, hi)),
        "name": full_name(chinese, first, last),
        "email": email(chinese, first, last, customers.email_style[part], number),
        "phone": phone(city, number),
        "address": address(city, number),
        "postcode": postcode(city, number),
        "city": choose([c.name for c in CITIES], city),
        "region": choose([c.region for c in CITIES], city),
        "country": choose([c.country for c in CITIES], city),
        "channel": choose(ACQUISITION_CHANNELS, customers.channel[part]),
        "acquired_at": timestamps(customers.acquired_us[part]),
    })


def suppliers_table(suppliers: Suppliers) -> pa.Table:
    """The suppliers and their terms."""
    return _table("suppliers", {
        "supplier_id": suppliers.supplier_id,
        "name": suppliers.name,
        "country": strings(suppliers.country),
        "lead_time_days": pa.array(suppliers.lead_mean),
        "lead_time_sd_days": pa.array(suppliers.lead_sd),
        "moq": pa.array(suppliers.moq),
        "case_pack": pa.array(suppliers.case_pack),
    })


def inventory_params_table(catalogue: Catalogue, seed: int) -> pa.Table:
    """The planner's own overrides of a few products (the rest follow supplier terms and defaults).

    The top 5 % sellers get a higher service level and a review twice a week; a few bulky products
    cost more to hold.
    """
    rng = stream(seed, "inventory_params")
    n = len(catalogue)
    top = np.argsort(-catalogue.popularity, kind="stable")[:max(1, n // 20)]
    bulky = np.setdiff1d(rng.choice(n, size=max(1, n // 30), replace=False), top)
    rows = np.concatenate([top, bulky])
    is_top = np.arange(rows.size) < top.size
    nothing = pa.nulls(rows.size)
    return _table("inventory_params", {
        "product_id": catalogue.product_id.take(pa.array(rows)),
        "supplier_id": pa.nulls(rows.size, pa.string()),
        "lead_time_days": nothing.cast(pa.float64()),
        "lead_time_sd_days": nothing.cast(pa.float64()),
        "moq": nothing.cast(pa.int64()),
        "case_pack": nothing.cast(pa.int64()),
        "unit_cost": nothing.cast(pa.float64()),
        "holding_rate": pa.array(np.where(is_top, np.nan, 0.35), mask=is_top),
        "shortage_cost": nothing.cast(pa.float64()),
        "service_level": pa.array(np.where(is_top, 0.98, np.nan), mask=~is_top),
        "review_days": pa.array(np.where(is_top, 3, 0), mask=~is_top),
    })


def purchase_orders_table(world: World, pos: PurchaseOrders) -> pa.Table:
    """Purchase order lines; those not received by the end are open (received_at null)."""
    received = pos.received_day < world.days
    return _table("purchase_orders", {
        "po_id": decimal_strings(pos.po_number, 6, "PO"),
        "product_id": world.catalogue.product_id.take(pa.array(pos.product)),
        "supplier_id": world.suppliers.supplier_id.take(pa.array(pos.supplier)),
        "ordered_at": dates(world.first_day + pos.ordered_day),
        "quantity": pa.array(pos.quantity),
        "unit_cost": pa.array(world.catalogue.cost[pos.product]),
        "expected_at": dates(world.first_day + pos.expected_day),
        "received_at": dates(world.first_day + pos.received_day, received),
    })


def daily_tables(world: World, first: int, last: int) -> tuple[pa.Table, pa.Table]:
    """``stock`` and ``demand_truth`` rows of the days ``first`` to ``last - 1`` (on-sale products only)."""
    active = world.plan.active[:, first:last].T
    day, product = np.nonzero(active)  # day-major: one block of products per day
    day_abs = first + day
    epoch = dates(world.first_day + day_abs)
    product_ids = world.catalogue.product_id.take(pa.array(product))
    stock = _table("stock", {
        "product_id": product_ids,
        "date": epoch,
        "on_hand": pa.array(world.stock.on_hand[product, day_abs]),
        "location": pa.nulls(day.size, pa.string()),
    })
    demand = _table("demand_truth", {
        "product_id": product_ids,
        "date": epoch,
        "demand": pa.array(world.demand[product, day_abs]),
        "lost_sales": pa.array(world.stock.lost[product, day_abs]),
    })
    return stock, demand
