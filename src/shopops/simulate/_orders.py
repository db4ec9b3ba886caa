"""Turn one chunk of days into orders: sold units -> lines -> baskets of customers who buy that day.

The units each product sold each day (from the stock run) are split into lines of mostly 1-3 units
(a bulk order stays one line). The order moments of the BG/NBD customer process give the orders of
each day; every order gets one line and the remaining lines of the day are spread over the orders
(some baskets are much bigger than others). Lines go preferably to customers whose favourite
category they are, so baskets and repeat purchases carry real co-purchase structure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopops.simulate._calendar import DAY_US, HOUR_US
from shopops.simulate._categories import CATEGORIES
from shopops.simulate._customers import ACQUISITION_CHANNELS, PAYMENT_TYPES
from shopops.simulate._lifecycle import Lifecycle, plan_lifecycle
from shopops.simulate._places import CITY_AT_HOME
from shopops.simulate._types import BoolArray, FloatArray, IntArray
from shopops.simulate._world import World

__all__ = ["NEW_LINE_CHANCE", "ORDER_CHANNELS", "STATUSES", "OrderBatch", "build_orders", "ranks", "shuffled_groups"]

#: Chance that the next unit of a product-day starts a new line: line quantities are geometric,
#: 70 % single units, 21 % two, 6 % three ...
NEW_LINE_CHANCE = 0.7
ORDER_CHANNELS = ("web", "app", "marketplace")
STATUSES = ("placed", "paid", "shipped", "delivered", "cancelled", "returned")
_STRAY_LINE_CHANCE = 0.3  # share of lines that ignore customers' favourite categories
_COUPON_CHANCE = 0.06  # orders with a percentage coupon on every line
_COUPON_RATES = np.array([0.1, 0.15, 0.2])
_VOUCHER_CHANCE = 0.03  # orders over 30 with a fixed-amount voucher (a DISCOUNT line)


def ranks(group: IntArray) -> IntArray:
    """Position (0-based) of each element within its run of equal, contiguous ``group`` values."""
    n = group.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.ones(n, dtype=bool)
    new[1:] = group[1:] != group[:-1]
    first = np.flatnonzero(new)
    return np.arange(n) - np.repeat(first, np.diff(np.append(first, n)))


def shuffled_groups(group: IntArray, rng: np.random.Generator) -> IntArray:
    """A permutation that sorts by ``group`` (small non-negative ints) and is random within groups.

    Shuffle first, then a stable sort on 16- or 32-bit keys (radix sort for 16 bits): much faster
    than ``lexsort`` with a random tie-breaker.
    """
    shuffle = rng.permutation(group.size)
    dtype = np.int16 if group.size == 0 or group.max() < 2**15 else np.int32
    return shuffle[np.argsort(group[shuffle].astype(dtype), kind="stable")]


@dataclass(frozen=True)
class OrderBatch:
    """Orders of one chunk and their sale lines (lines grouped by order)."""

    # orders
    number: IntArray
    customer: IntArray  # -1 for guests
    ordered_us: IntArray
    channel: IntArray  # index into ORDER_CHANNELS
    payment: IntArray  # index into PAYMENT_TYPES
    city: IntArray
    address_number: IntArray  # random digits behind the delivery address
    promised_us: IntArray
    shipped_us: IntArray  # -1 when not shipped by the end
    delivered_us: IntArray  # -1 when not delivered by the end
    cancelled_us: IntArray  # -1 when not cancelled
    returned_us: IntArray  # -1 when nothing came back (by the end)
    status: IntArray  # index into STATUSES
    coupon_rate: FloatArray  # 0 when no coupon
    voucher: FloatArray  # amount of the DISCOUNT line, 0 when none
    shipping: FloatArray  # postage charged, 0 when free
    # sale lines
    line_order: IntArray  # index into the orders above
    line_product: IntArray
    line_quantity: IntArray
    line_price: FloatArray
    line_discount: FloatArray
    line_returned: IntArray  # units sent back (0 for most lines)
    late: BoolArray  # delivered (or due to be delivered) after the promise
    lifecycle: Lifecycle | None = None  # payment, warehouse, carrier and truth of each order

    def __len__(self) -> int:
        return int(self.number.size)


def _split_into_lines(sales: IntArray, bulk: IntArray,
                      rng: np.random.Generator) -> tuple[IntArray, IntArray, IntArray]:
    """Split units sold per (product, day) into lines; returns day, product, quantity, day-major."""
    cell_day, cell_product = np.nonzero(sales.T)
    units = sales.T[cell_day, cell_product]
    # The units of a bulk order form one line; the first unit of a cell always starts a line.
    unbroken = np.maximum(np.minimum(bulk.T[cell_day, cell_product], units), 1)
    unit_cell = np.repeat(np.arange(units.size), units)
    position = np.arange(unit_cell.size) - np.repeat(np.cumsum(units) - units, units)
    starts = (position == 0) | ((position >= unbroken[unit_cell]) & (rng.random(unit_cell.size) < NEW_LINE_CHANCE))
    line_cell = unit_cell[starts]
    quantity = np.diff(np.append(np.flatnonzero(starts), unit_cell.size))
    return cell_day[line_cell], cell_product[line_cell], quantity


def _baskets(order_day: IntArray, line_day: IntArray, days: int, rng: np.random.Generator) -> IntArray:
    """Number of lines of each order: one each, the day's other lines spread by basket propensity."""
    lines_per_day = np.bincount(line_day, minlength=days)
    orders_per_day = np.bincount(order_day, minlength=days)
    extra = lines_per_day - orders_per_day
    propensity = rng.gamma(0.8, 1.0, order_day.size)
    cumulative = np.cumsum(propensity)
    day_end = np.cumsum(orders_per_day)
    day_start = day_end - orders_per_day
    before = np.where(day_start > 0, cumulative[np.maximum(day_start - 1, 0)], 0.0)
    total = np.where(day_end > 0, cumulative[np.maximum(day_end - 1, 0)], 0.0) - before
    extra_day = np.repeat(np.arange(days), np.maximum(extra, 0))
    target = before[extra_day] + rng.random(extra_day.size) * total[extra_day]
    chosen = np.clip(np.searchsorted(cumulative, target, side="right"), day_start[extra_day],
                     day_end[extra_day] - 1)
    return 1 + np.bincount(chosen, minlength=order_day.size)


def build_orders(world: World, first: int, last: int, time_us: IntArray, customer: IntArray,
                 first_number: int, rng: np.random.Generator) -> OrderBatch:
    """Build the orders placed on days ``first`` to ``last - 1`` (days from the start).

    Parameters
    ----------
    world : World
        The simulated shop.
    first, last : int
        Days of the chunk.
    time_us, customer : ndarray
        The order moments of the chunk (sorted) and who places them (-1 = guest).
    first_number : int
        Order number of the first order moment; moments that get no line leave a gap.
    rng : numpy.random.Generator
        The chunk's random stream.
    """
    cat = world.catalogue
    days = last - first
    line_day, line_product, line_quantity = _split_into_lines(
        world.stock.sales[:, first:last], world.bulk[:, first:last], rng)
    lines_per_day = np.bincount(line_day, minlength=days)

    # Keep as many order moments per day as there are lines (drop random surplus ones).
    event_day = (time_us // DAY_US - world.first_day - first).astype(np.int64)
    shuffle = shuffled_groups(event_day, rng)
    rank = np.empty(event_day.size, dtype=np.int64)
    rank[shuffle] = ranks(event_day[shuffle])
    keep = rank < lines_per_day[event_day]
    number = first_number + np.flatnonzero(keep)
    ordered_us, who, order_day = time_us[keep], customer[keep], event_day[keep]
    n_orders = number.size
    if np.any(np.bincount(order_day, minlength=days)[lines_per_day > 0] == 0):
        raise RuntimeError("a day with sales has no order moment (the world adds guest orders for those)")

    # Baskets: match lines to order slots, both sorted by day and category.
    size = _baskets(order_day, line_day, days, rng)
    slot_order = np.repeat(np.arange(n_orders), size)
    guest = who < 0
    favourite = np.where(guest, rng.integers(0, len(CATEGORIES), n_orders),
                         world.customers.favourite_category[np.maximum(who, 0)])
    n_categories = len(CATEGORIES)
    slot_rank = shuffled_groups(order_day[slot_order] * n_categories + favourite[slot_order], rng)
    stray = rng.random(line_day.size) < _STRAY_LINE_CHANCE
    line_category = np.where(stray, rng.integers(0, n_categories, line_day.size), cat.category[line_product])
    line_rank = shuffled_groups(line_day * n_categories + line_category, rng)
    # The i-th slot in (day, category) order takes the i-th line in that order; slots are in order
    # sequence, so walking the slots in their own order lists the lines grouped by order.
    slot_position = np.empty(slot_rank.size, dtype=np.int64)
    slot_position[slot_rank] = np.arange(slot_rank.size)
    by_order = line_rank[slot_position]
    line_order = slot_order
    line_product, line_quantity, line_day = line_product[by_order], line_quantity[by_order], line_day[by_order]

    # Money: promotion prices, coupons, vouchers, postage.
    price_factor = world.plan.price_factor[line_product, first + line_day]
    line_price = np.round(cat.price[line_product] * price_factor, 2)
    channel, payment = _channel_and_payment(world, who, rng)
    coupon_rate = np.where((rng.random(n_orders) < _COUPON_CHANCE) & (channel != 2),
                           rng.choice(_COUPON_RATES, n_orders), 0.0)
    line_discount = np.round(line_quantity * line_price * coupon_rate[line_order], 2)
    goods = np.bincount(line_order, weights=line_quantity * line_price - line_discount, minlength=n_orders)
    voucher = np.where((rng.random(n_orders) < _VOUCHER_CHANCE) & (goods >= 30.0) & (channel != 2),
                       np.where(goods >= 60.0, 10.0, 5.0), 0.0)
    city, address_number = _destination(world, who, rng)
    home = CITY_AT_HOME[city]
    fee = world.config.shipping_fee
    shipping = np.where(home, np.where(goods - voucher < world.config.free_shipping_threshold, fee, 0.0),
                        np.where(goods - voucher < 100.0, round(3 * fee, 2), 0.0))

    # Fulfilment, cancellations, returns, and the status at the export moment.
    units = np.bincount(line_order, weights=line_quantity, minlength=n_orders).astype(np.int64)
    times = plan_lifecycle(world, ordered_us, city, who, payment, goods.astype(np.float64), units, coupon_rate, rng)
    end = world.end_us
    cancel_chance = world.config.cancellation_rate * np.where(
        payment == PAYMENT_TYPES.index("bank_transfer"), 3.0, 1.0)
    # Vouchered orders are not cancelled: a cancellation line cannot give a voucher back.
    cancelled = (rng.random(n_orders) < cancel_chance) & (voucher == 0)
    cancel_delay = np.minimum(rng.exponential(8.0, n_orders), 47.0) * HOUR_US
    cancelled_us = np.where(cancelled, ordered_us + cancel_delay.astype(np.int64) + 5 * 60_000_000, -1)
    # A cancelled order is stopped before it leaves the warehouse; nothing after the export is known.
    shipped_us = np.where(cancelled | (times.shipped_us >= end), -1, times.shipped_us)
    delivered_us = np.where((shipped_us < 0) | (times.delivered_us >= end), -1, times.delivered_us)
    cancelled_us = np.where(cancelled_us >= end, -1, cancelled_us)

    late = times.delivered_us > times.promised_us
    returned_us, line_returned = _returns(world, line_order, line_product, line_quantity, delivered_us, late, rng)

    # Bank transfers stay "placed" until the money arrives (in practice: until the parcel ships).
    status = np.where(payment == PAYMENT_TYPES.index("bank_transfer"), STATUSES.index("placed"),
                      STATUSES.index("paid"))
    status = np.where(shipped_us >= 0, STATUSES.index("shipped"), status)
    status = np.where(delivered_us >= 0, STATUSES.index("delivered"), status)
    status = np.where(returned_us >= 0, STATUSES.index("returned"), status)
    status = np.where(cancelled_us >= 0, STATUSES.index("cancelled"), status)

    return OrderBatch(
        number=number, customer=who, ordered_us=ordered_us, channel=channel, payment=payment, city=city,
        address_number=address_number, promised_us=times.promised_us, shipped_us=shipped_us,
        delivered_us=delivered_us, cancelled_us=cancelled_us, returned_us=returned_us, status=status,
        coupon_rate=coupon_rate, voucher=voucher, shipping=shipping,
        line_order=line_order, line_product=line_product, line_quantity=line_quantity, line_price=line_price,
        line_discount=line_discount, line_returned=line_returned, late=late & ~cancelled, lifecycle=times,
    )


def _channel_and_payment(world: World, who: IntArray, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
    """Order channel and payment method, following the customer's habits."""
    n = who.size
    customers = world.customers
    idx = np.maximum(who, 0)
    guest = who < 0
    marketplace_customer = customers.channel[idx] == ACQUISITION_CHANNELS.index("marketplace")
    app = customers.uses_app[idx] & (rng.random(n) < 0.8)
    channel = np.where(marketplace_customer & (rng.random(n) < 0.85), 2, np.where(app, 1, 0))
    channel = np.where(guest, 0, channel)
    usual = customers.payment[idx]
    other = rng.choice(3, n, p=[0.6, 0.3, 0.1])  # card, paypal, apple_pay
    payment = np.where(guest | (rng.random(n) < 0.15), other, usual)
    marketplace = PAYMENT_TYPES.index("marketplace")
    payment = np.where(channel == 2, marketplace, np.where(payment == marketplace, 0, payment))
    return channel, payment


def _destination(world: World, who: IntArray, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
    """Delivery city and address digits: the customer's own, a random one for guests."""
    n = who.size
    guest = who < 0
    customers = world.customers
    # A guest lives where a random customer lives (same geography) at an address of their own.
    lookalike = rng.integers(0, len(customers), n)
    city = np.where(guest, customers.city[lookalike], customers.city[np.maximum(who, 0)])
    number = np.where(guest, rng.integers(0, 1 << 62, n), customers.number[np.maximum(who, 0)])
    return city, number


def _returns(world: World, line_order: IntArray, line_product: IntArray, line_quantity: IntArray,
             delivered_us: IntArray, late: BoolArray, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
    """When each order's returned lines came back (-1 if none) and the units returned per line."""
    chance = world.return_chance[world.catalogue.category[line_product]]
    chance = chance * np.where(late[line_order], 1.6, 1.0)  # late parcels are sent back more often
    delivered = delivered_us[line_order] >= 0
    returned = delivered & (rng.random(line_order.size) < chance)
    partial = returned & (line_quantity > 1) & (rng.random(line_order.size) < 0.3)
    units = np.where(partial, 1 + (rng.random(line_order.size) * (line_quantity - 1)).astype(np.int64),
                     line_quantity)
    delay = (3.0 + np.minimum(rng.gamma(2.0, 3.5, delivered_us.size), 27.0)) * DAY_US
    returned_us = np.where(delivered_us >= 0, delivered_us + delay.astype(np.int64), -1)
    any_returned = np.bincount(line_order, weights=returned, minlength=delivered_us.size) > 0
    returned_us = np.where(any_returned & (returned_us < world.end_us), returned_us, -1)
    line_returned = np.where(returned & (returned_us[line_order] >= 0), units, 0)
    return returned_us, line_returned
