"""Customer-service messages about real orders, in English and Chinese, labelled with their intent.

Messages follow what happened to the orders: customers ask where late parcels are, ask to
return what they did send back, chase refunds after returns, cancel orders that were cancelled,
complain about late deliveries. The labelled ``intent`` makes them ground truth for an intent
classifier; the order numbers in the text make them ground truth for order look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopops.schema import TABLES
from shopops.simulate._calendar import DAY_US, HOUR_US
from shopops.simulate._message_templates import CLOSINGS, GREETINGS, INTENTS, TEMPLATES
from shopops.simulate._orders import OrderBatch
from shopops.simulate._places import CITIES
from shopops.simulate._strings import decimal_strings
from shopops.simulate._tables import customer_ids, order_ids, timestamps
from shopops.simulate._text import choose, digits, join, render
from shopops.simulate._types import BoolArray, FloatArray, IntArray
from shopops.simulate._world import World

__all__ = ["messages_table"]

_MINUTE_US = 60_000_000
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")
_CODES = ("SAVE10", "WELCOME15", "XMAS20", "SPRING10", "FREESHIP", "VIP20", "BLACKFRIDAY")
_PAYMENT_EN = ("my card", "PayPal", "Apple Pay", "Klarna", "bank transfer", "Alipay", "WeChat Pay",
               "the marketplace")
_PAYMENT_ZH = ("银行卡", "PayPal", "Apple Pay", "Klarna", "银行转账", "支付宝", "微信支付", "平台")
_ZH_SHARE_OF_GUESTS = 0.4
_DAYS_LATER = ("order_status", "return_request", "refund_status", "complaint", "product_question")


@dataclass
class _Rows:
    """Messages of one intent before they are written out."""

    order: IntArray
    ts: IntArray
    product: IntArray  # product index mentioned (first line of the order by default)
    days: IntArray
    amount: FloatArray


def _uniform_us(rng: np.random.Generator, n: int, low_hours: float, high_hours: float) -> IntArray:
    return ((low_hours + rng.random(n) * (high_hours - low_hours)) * HOUR_US).astype(np.int64)


def _pick(rng: np.random.Generator, eligible: IntArray | BoolArray, count: int) -> IntArray:
    pool = np.flatnonzero(eligible) if eligible.dtype == np.bool_ else eligible
    if pool.size == 0 or count == 0:
        return np.zeros(0, dtype=np.int64)
    return np.sort(rng.choice(pool, size=min(count, pool.size), replace=False))


def _intent_rows(intent: str, batch: OrderBatch, count: int, first_line: IntArray, refund: FloatArray,
                 returned_product: IntArray, rng: np.random.Generator) -> _Rows:
    """Pick the orders an intent is about and when the customer writes."""
    live = batch.cancelled_us < 0
    late = batch.late & live
    returned = batch.returned_us >= 0
    first_product = batch.line_product[first_line]
    if intent == "order_status":
        worried = _pick(rng, live, count // 4)  # some ask before anything went wrong
        chasing = _pick(rng, late, count - worried.size)
        o = np.concatenate([chasing, worried])
        delivered = np.where(batch.delivered_us[chasing] >= 0, batch.delivered_us[chasing],
                             batch.promised_us[chasing] + 3 * DAY_US)
        gap = np.maximum(delivered - batch.promised_us[chasing], HOUR_US)
        ts = np.concatenate([batch.promised_us[chasing] + (rng.uniform(0.05, 0.9, chasing.size) * gap)
                             .astype(np.int64), batch.ordered_us[worried] + _uniform_us(rng, worried.size, 24, 72)])
    elif intent in ("return_request", "refund_status"):
        o = _pick(rng, returned, count)
        if intent == "return_request":
            ts = np.maximum(batch.returned_us[o] - _uniform_us(rng, o.size, 24, 72), batch.delivered_us[o] + HOUR_US)
        else:
            ts = batch.returned_us[o] + _uniform_us(rng, o.size, 5 * 24, 15 * 24)
        first_product = np.where(returned_product >= 0, returned_product, first_product)
    elif intent == "shipping_cost":
        o = _pick(rng, batch.shipping > 0, count)
        ts = batch.ordered_us[o] + _uniform_us(rng, o.size, 2, 72)
    elif intent == "product_question":
        o = _pick(rng, np.ones(len(batch), dtype=bool), count)
        ts = batch.ordered_us[o] - _uniform_us(rng, o.size, 1, 120)  # asked before buying
    elif intent == "change_address":
        o = _pick(rng, live, count)
        ts = batch.ordered_us[o] + _uniform_us(rng, o.size, 0.1, 6)
    elif intent == "cancel_order":
        o = _pick(rng, batch.cancelled_us >= 0, count)
        ts = np.maximum(batch.cancelled_us[o] - _uniform_us(rng, o.size, 0.1, 0.5), batch.ordered_us[o] + _MINUTE_US)
    elif intent == "payment_problem":
        o = _pick(rng, np.ones(len(batch), dtype=bool), count)
        ts = batch.ordered_us[o] + _uniform_us(rng, o.size, 0.02, 2)
    elif intent == "complaint":
        o = _pick(rng, (late & (batch.delivered_us >= 0)) | returned, count)
        ts = batch.delivered_us[o] + _uniform_us(rng, o.size, 1, 72)
    elif intent == "discount_code":
        o = _pick(rng, (batch.coupon_rate > 0) | (batch.voucher > 0) | (rng.random(len(batch)) < 0.05), count)
        ts = batch.ordered_us[o] + _uniform_us(rng, o.size, 0, 48)
    else:
        raise KeyError(intent)
    days_late = np.ceil((batch.delivered_us[o] - batch.promised_us[o]) / DAY_US)
    days_since = (ts - np.where(intent == "refund_status", batch.returned_us[o], batch.ordered_us[o])) // DAY_US
    days = np.where(intent == "complaint", days_late, days_since)
    amount = np.where(intent == "shipping_cost", batch.shipping[o], refund[o])
    return _Rows(order=o, ts=ts, product=first_product[o], days=np.maximum(days, 1).astype(np.int64),
                 amount=amount)


def _money(amount: FloatArray) -> pa.Array:
    pence = np.rint(amount * 100).astype(np.int64)
    return join("£", digits(pence // 100), ".", digits(pence % 100, 2))


def messages_table(world: World, batch: OrderBatch, counter: int, rng: np.random.Generator) -> pa.Table:
    """Messages about the orders of one chunk; message ids continue from ``counter``."""
    n = len(batch)
    first_line = np.searchsorted(batch.line_order, np.arange(n))
    first_line = np.minimum(first_line, max(batch.line_order.size - 1, 0))
    net = batch.line_price * batch.line_returned - np.where(
        batch.line_quantity > 0, batch.line_discount * batch.line_returned / np.maximum(batch.line_quantity, 1), 0)
    refund = np.asarray(np.bincount(batch.line_order, weights=net, minlength=n), dtype=np.float64)
    returned_line = np.flatnonzero(batch.line_returned > 0)
    returned_product = np.full(n, -1)
    returned_product[batch.line_order[returned_line][::-1]] = batch.line_product[returned_line][::-1]

    expected = world.config.messages_per_1000_orders * n / 1000.0
    parts: list[tuple[int, _Rows]] = []
    for k, (intent_name, share) in enumerate(INTENTS.items()):
        count = int(rng.poisson(expected * share))
        parts.append((k, _intent_rows(intent_name, batch, count, first_line, refund, returned_product, rng)))
    intent = np.concatenate([np.full(r.order.size, k) for k, r in parts]).astype(np.int64)
    order = np.concatenate([r.order for _, r in parts]).astype(np.int64)
    ts = np.concatenate([r.ts for _, r in parts]).astype(np.int64)
    product = np.concatenate([r.product for _, r in parts]).astype(np.int64)
    days = np.concatenate([r.days for _, r in parts]).astype(np.int64)
    amount = np.concatenate([r.amount for _, r in parts]).astype(np.float64)
    # Customers writing days after an event do it in waking hours.
    hour = ts % DAY_US // HOUR_US
    slow = np.isin(intent, [list(INTENTS).index(i) for i in _DAYS_LATER])
    ts = np.where(slow & (hour < 7), ts + 8 * HOUR_US, ts)
    start_us = world.first_day * DAY_US
    keep = (ts >= start_us) & (ts < world.end_us)
    by_time = np.flatnonzero(keep)[np.argsort(ts[keep], kind="stable")]
    intent, order, ts, product, days = intent[by_time], order[by_time], ts[by_time], product[by_time], days[by_time]
    amount = amount[by_time]

    who = batch.customer[order]
    zh = np.where(who >= 0, world.customers.writes_chinese[np.maximum(who, 0)],
                  rng.random(order.size) < _ZH_SHARE_OF_GUESTS)
    text, mentions_order = _texts(world, batch, intent, order, ts, product, days, amount, zh, rng)
    channel = np.where(batch.channel[order] == 2, 3, rng.choice(3, order.size, p=[0.45, 0.4, 0.15]))
    return pa.Table.from_arrays([
        decimal_strings(counter + np.arange(order.size), 8, "MSG"),
        timestamps(ts),
        customer_ids(who),
        pc.if_else(pa.array(mentions_order), order_ids(batch.number[order]), pa.scalar(None, pa.string())),
        choose(("email", "chat", "phone", "marketplace"), channel),
        choose(("en", "zh"), zh.astype(np.int64)),
        text,
        choose(list(INTENTS), intent),
    ], schema=TABLES["messages"].arrow_schema())


def _texts(world: World, batch: OrderBatch, intent: IntArray, order: IntArray, ts: IntArray, product: IntArray,
           days: IntArray, amount: FloatArray, zh: BoolArray, rng: np.random.Generator) -> tuple[pa.Array, BoolArray]:
    """Render each message from a random template of its intent and language."""
    n = order.size
    promised = batch.promised_us[order] // DAY_US
    day_of_month = (promised.astype("datetime64[D]") - promised.astype("datetime64[D]").astype("datetime64[M]"))
    day_no = day_of_month.astype(np.int64) + 1
    month = promised.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
    is_zh = pa.array(zh)
    fields = {
        "order": order_ids(batch.number[order]),
        "product": world.catalogue.name.take(pa.array(np.minimum(product, len(world.catalogue) - 1))),
        "date": pc.if_else(is_zh, join(digits(month + 1), "月", digits(day_no), "日"),
                           join(digits(day_no), " ", choose(_MONTHS_EN, month))),
        "days": pc.if_else(is_zh, digits(days),
                           pc.if_else(pa.array(days == 1), pa.scalar("1 day"), join(digits(days), " days"))),
        "amount": _money(amount),
        "city": choose([c.name for c in CITIES], batch.city[order]),
        "code": choose(_CODES, rng.integers(0, len(_CODES), n)),
        "payment": pc.if_else(is_zh, choose(_PAYMENT_ZH, batch.payment[order]),
                              choose(_PAYMENT_EN, batch.payment[order])),
    }
    pieces: list[pa.Array] = []
    positions: list[IntArray] = []
    mentions_order = np.zeros(n, dtype=bool)
    pick = rng.random(n)
    for k, intent_name in enumerate(INTENTS):
        for language, is_language in (("en", ~zh), ("zh", zh)):
            templates = TEMPLATES[intent_name][language]
            chosen = (pick * len(templates)).astype(np.int64)
            for t, template in enumerate(templates):
                rows = np.flatnonzero((intent == k) & is_language & (chosen == t))
                if rows.size == 0:
                    continue
                index = pa.array(rows)
                pieces.append(render(template, {name: v.take(index) for name, v in fields.items()}, rows.size))
                positions.append(rows)
                mentions_order[rows] = "{order}" in template
    if not pieces:
        return pa.array([], type=pa.string()), mentions_order
    body = pa.concat_arrays(pieces).take(pa.array(np.argsort(np.concatenate(positions))))
    greeting = pc.if_else(is_zh, choose(GREETINGS["zh"], rng.integers(0, len(GREETINGS["zh"]), n)),
                          choose(GREETINGS["en"], rng.integers(0, len(GREETINGS["en"]), n)))
    closing = pc.if_else(is_zh, choose(CLOSINGS["zh"], rng.integers(0, len(CLOSINGS["zh"]), n)),
                         choose(CLOSINGS["en"], rng.integers(0, len(CLOSINGS["en"]), n)))
    return join(greeting, body, closing), mentions_order
