"""The ``order_fulfilment`` and ``order_truth`` tables of a batch, and duplicate submissions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa

from shopops.schema import TABLES
from shopops.simulate._customers import PAYMENT_TYPES
from shopops.simulate._lifecycle import (
    BAD_KINDS,
    CANCEL_REASONS,
    CARRIERS,
    RETURN_REASONS,
    WAREHOUSE_REGIONS,
    WAREHOUSES,
    Lifecycle,
)
from shopops.simulate._orders import OrderBatch
from shopops.simulate._places import CITIES
from shopops.simulate._strings import decimal_strings
from shopops.simulate._text import choose
from shopops.simulate._types import BoolArray, IntArray

__all__ = ["DUPLICATE_OFFSET", "fulfilment_tables", "with_duplicates"]

#: Order numbers of resubmitted orders lie this far above the original's: far above any real one.
DUPLICATE_OFFSET = 900_000_000
_DUPLICATE_SHARE = 0.008
_MINUTE_US = 60_000_000
_ADDRESS_CHECKS = ("ok", "partial", "fail")
# Per-order arrays of OrderBatch (the line_* arrays and ``late`` are handled apart).
_ORDER_FIELDS = ("number", "customer", "ordered_us", "channel", "payment", "city", "address_number",
                 "promised_us", "shipped_us", "delivered_us", "cancelled_us", "returned_us", "status",
                 "coupon_rate", "voucher", "shipping", "late")
_LINE_FIELDS = ("line_product", "line_quantity", "line_price", "line_discount", "line_returned")


def _lifecycle(batch: OrderBatch) -> Lifecycle:
    if batch.lifecycle is None:
        raise ValueError("the batch carries no lifecycle (build it with build_orders)")
    return batch.lifecycle


def with_duplicates(batch: OrderBatch, rng: np.random.Generator) -> OrderBatch:
    """The batch with a small share of orders submitted twice: a copy a few minutes later.

    The copies come after the originals, with order numbers ``DUPLICATE_OFFSET`` above theirs and
    their own lines; nobody stops them today, so they ship like the original.
    """
    life = _lifecycle(batch)
    n = len(batch)
    pick = np.flatnonzero((rng.random(n) < _DUPLICATE_SHARE) & (batch.customer >= 0) & (life.bad_kind == 0)
                          & (batch.cancelled_us < 0))
    if pick.size == 0:
        return batch
    delay = ((1.0 + rng.random(pick.size) * 12.0) * _MINUTE_US).astype(np.int64)
    copy = dataclasses.replace(life.take(pick), bad_kind=np.full(pick.size, BAD_KINDS.index("duplicate")),
                               chargeback=np.zeros(pick.size, dtype=bool))
    copy = dataclasses.replace(copy, paid_us=copy.paid_us + delay, released_us=copy.released_us + delay)
    values: dict[str, object] = {}
    for name in _ORDER_FIELDS:
        arr = getattr(batch, name)
        extra = arr[pick]
        if name == "number":
            extra = extra + DUPLICATE_OFFSET
        elif name == "ordered_us":
            extra = extra + delay
        values[name] = np.concatenate([arr, extra])
    line_pick = np.flatnonzero(np.isin(batch.line_order, pick))
    for name in _LINE_FIELDS:
        arr = getattr(batch, name)
        values[name] = np.concatenate([arr, arr[line_pick]])
    remap = np.full(n, -1)
    remap[pick] = n + np.arange(pick.size)
    values["line_order"] = np.concatenate([batch.line_order, remap[batch.line_order[line_pick]]])
    values["lifecycle"] = Lifecycle.concat([life, copy])
    return dataclasses.replace(batch, **values)  # type: ignore[arg-type]


def _ts(us: IntArray, valid: BoolArray | None = None) -> pa.Array:
    return pa.array(np.asarray(us, dtype=np.int64), type=pa.timestamp("us"), mask=None if valid is None else ~valid)


def fulfilment_tables(batch: OrderBatch, end_us: int, rng: np.random.Generator) -> tuple[pa.Table, pa.Table]:
    """``order_fulfilment`` and ``order_truth`` rows of a batch; nothing after ``end_us`` is known."""
    life = _lifecycle(batch)
    n = len(batch)
    cancelled = batch.cancelled_us >= 0
    shipped, delivered, returned = batch.shipped_us >= 0, batch.delivered_us >= 0, batch.returned_us >= 0
    stop = np.where(cancelled, batch.cancelled_us, end_us)

    def known(us: IntArray) -> BoolArray:
        return (us < stop) | shipped

    transfer = batch.payment == PAYMENT_TYPES.index("bank_transfer")
    u = rng.random(n)
    cancel_reason = np.select(
        [life.bad_kind == BAD_KINDS.index("fraud"), life.bad_kind == BAD_KINDS.index("duplicate"),
         transfer & (u < 0.6), u < 0.2, u < 0.3],
        [CANCEL_REASONS.index(r) for r in ("fraud", "duplicate", "payment_failed", "out_of_stock", "other")],
        CANCEL_REASONS.index("customer_request"))
    r = rng.random(n)
    return_reason = np.select(
        [life.bad_kind == BAD_KINDS.index("address_error"), batch.late & (r < 0.4), r < 0.12, r < 0.2, r < 0.25],
        [RETURN_REASONS.index(x) for x in ("undeliverable", "late", "damaged", "wrong_item", "other")],
        RETURN_REASONS.index("changed_mind"))
    fulfilment = pa.Table.from_arrays([
        decimal_strings(batch.number, 1, ""),
        _ts(life.paid_us, known(life.paid_us)),
        _ts(life.released_us, known(life.released_us)),
        _ts(life.picked_us, known(life.picked_us)),
        _ts(life.packed_us, known(life.packed_us)),
        _ts(batch.shipped_us, shipped),
        _ts(batch.delivered_us, delivered),
        _ts(life.promised_us),
        _ts(life.limit_us),
        choose(WAREHOUSES, life.warehouse),
        choose(WAREHOUSE_REGIONS, life.warehouse),
        choose(CARRIERS, life.carrier),
        choose(("standard", "express"), life.express.astype(np.int64)),
        choose([c.region for c in CITIES], batch.city),
        pa.array(np.maximum(batch.shipping, 0.0)),
        pa.array(np.ones(n, dtype=np.int64)),
        choose(_ADDRESS_CHECKS, life.address_check),
        _ts(batch.cancelled_us, cancelled),
        choose(CANCEL_REASONS, cancel_reason, cancelled),
        _ts(batch.returned_us, returned),
        choose(RETURN_REASONS, return_reason, returned),
    ], schema=TABLES["order_fulfilment"].arrow_schema())
    truth = pa.Table.from_arrays([
        decimal_strings(batch.number, 1, ""),
        choose(BAD_KINDS, life.bad_kind),
        pa.array(life.chargeback & shipped),
        pa.array(life.backlog_days),
        pa.array(life.transit_days),
    ], schema=TABLES["order_truth"].arrow_schema())
    return fulfilment, truth
