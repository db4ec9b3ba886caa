"""Web and app sessions: page views, searches, product views, carts, checkouts and purchases.

Every web or app order of the window comes with the session that placed it (its products viewed,
added to the cart and bought, the purchase at the order's time); around them, browsing sessions
that end without an order, as many as the conversion rate implies. Browsing follows the same
daily rhythm as orders and views the products that are in demand that day.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from shopops.schema import TABLES
from shopops.simulate._calendar import DAY_US, HOUR_US
from shopops.simulate._customers import ACQUISITION_CHANNELS
from shopops.simulate._orders import OrderBatch, ranks
from shopops.simulate._strings import decimal_strings
from shopops.simulate._tables import customer_ids, timestamps
from shopops.simulate._text import choose, strings
from shopops.simulate._types import FloatArray, IntArray
from shopops.simulate._world import World

__all__ = ["EVENTS_PER_SESSION", "web_events_table"]

#: Average events of a session (most browsing sessions are short), used to size the sample.
EVENTS_PER_SESSION = 3.2
EVENT_TYPES = ("page_view", "search", "product_view", "add_to_cart", "checkout", "purchase")
_SOURCES = ("direct", "search", "social", "email", "referral")
_SOURCE_SHARE = np.array([0.35, 0.35, 0.15, 0.08, 0.07])
_PAID_SHARE = 0.25  # sessions that come from an ad click
_DEVICES = ("desktop", "mobile", "tablet")
_MEAN_GAP_SECONDS = 40.0
_POOL = 4096


def _sources(world: World, who: IntArray, day: IntArray, first: int, last: int,
             rng: np.random.Generator) -> IntArray:
    """Traffic source per session: an index into the organic sources, then the campaigns.

    A quarter of sessions come from an ad campaign running that day; customers lean to the
    channel they were acquired through.
    """
    n = who.size
    organic = rng.choice(len(_SOURCES), n, p=_SOURCE_SHARE)
    own = _own_source(world, who)
    organic = np.where((who >= 0) & (own >= 0) & (rng.random(n) < 0.5), own, organic)
    weights = (world.campaigns.weight[:, None] * world.campaigns.active[:, first:last]).T  # (days, campaigns)
    rel = day - first
    paid = (rng.random(n) < _PAID_SHARE) & (weights.sum(axis=1)[rel] > 0)
    campaign = _draw_per_day(weights, rel, rng)
    return np.where(paid, len(_SOURCES) + campaign, organic)


def _draw_per_day(weights: FloatArray, day: IntArray, rng: np.random.Generator) -> IntArray:
    """For each row, an index drawn with that row's day's ``weights`` (shape (days, k)).

    Draws go through a pool of ``_POOL`` pre-drawn indices per day: a gather instead of a binary
    search per row.
    """
    days, k = weights.shape
    pool = np.zeros((days, _POOL), dtype=np.int64)
    for d in range(days):
        total = weights[d].sum()
        if total > 0:
            pool[d] = rng.choice(k, size=_POOL, p=weights[d] / total)
    return pool[day, rng.integers(0, _POOL, day.size)]


def _own_source(world: World, who: IntArray) -> IntArray:
    """The organic source matching a customer's acquisition channel, -1 when none does."""
    mapping = np.array([_SOURCES.index(c) if c in _SOURCES else -1 for c in ACQUISITION_CHANNELS])
    return np.asarray(mapping[world.customers.channel[np.maximum(who, 0)]], dtype=np.int64)


def _popular_products(world: World, day: IntArray, first: int, last: int, rng: np.random.Generator) -> IntArray:
    """Products drawn in proportion to that day's expected demand."""
    return _draw_per_day(world.plan.shape[:, first:last].T, day - first, rng)


def web_events_table(world: World, batch: OrderBatch, first: int, last: int, sample: float, first_event: int,
                     first_session: int, rng: np.random.Generator) -> tuple[pa.Table, int]:
    """Events of the sessions on days ``first`` to ``last - 1``, and the number of sessions.

    Event and session numbers continue from ``first_event`` and ``first_session``.
    """
    order_day = batch.ordered_us // DAY_US - world.first_day
    on_site = np.flatnonzero((order_day >= first) & (order_day < last) & (batch.channel != 2))
    converting = on_site[rng.random(on_site.size) < sample]
    n_browse = int(rng.poisson(on_site.size * (1.0 / world.config.web_conversion_rate - 1.0) * sample))
    if on_site.size == 0:
        n_browse = 0
    n_conv = converting.size
    n_sessions = n_conv + n_browse
    is_conv = np.arange(n_sessions) < n_conv

    # When, who, how: browsing borrows the timing of orders (same daily and weekly rhythm).
    anchor = rng.choice(batch.ordered_us[on_site], n_browse) if n_browse else np.zeros(0, np.int64)
    window_start = (world.first_day + first) * DAY_US
    window_end = min((world.first_day + last) * DAY_US, world.end_us)
    start = anchor + ((rng.random(n_browse) - 0.5) * 6 * HOUR_US).astype(np.int64)
    start = np.where((start >= window_start) & (start < window_end), start, anchor)
    known = rng.random(n_browse) < 0.25
    regulars = batch.customer[on_site][batch.customer[on_site] >= 0]
    browse_who = np.where(known & (regulars.size > 0),
                          rng.choice(regulars, n_browse) if regulars.size else -1, -1)
    who = np.concatenate([batch.customer[converting], browse_who]).astype(np.int64)
    session_day = np.concatenate([order_day[converting], start // DAY_US - world.first_day]).astype(np.int64)
    app = np.concatenate([batch.channel[converting] == 1, np.zeros(n_browse, dtype=bool)])
    device = np.where(app, np.where(rng.random(n_sessions) < 0.85, 1, 2),
                      np.where(is_conv, rng.choice(3, n_sessions, p=[0.45, 0.45, 0.1]),
                               rng.choice(3, n_sessions, p=[0.33, 0.58, 0.09])))

    # What happens in each session.
    first_line = np.searchsorted(batch.line_order, converting)
    basket = np.bincount(batch.line_order, minlength=len(batch))[converting]
    padded_basket = np.concatenate([basket, np.zeros(n_browse, np.int64)])
    bounce = ~is_conv & (rng.random(n_sessions) < 0.45)
    searches = (~bounce & (rng.random(n_sessions) < np.where(is_conv, 0.4, 0.3))).astype(np.int64)
    carts = np.concatenate([basket, (rng.random(n_browse) < 0.12).astype(np.int64)]) * ~bounce
    views = np.where(bounce, 0, np.where(is_conv, padded_basket + rng.poisson(1.2, n_sessions),
                                         rng.geometric(0.45, n_sessions)))
    views = np.maximum(views, carts)
    checkouts = np.where(is_conv, 1, (carts > 0) & (rng.random(n_sessions) < 0.3)).astype(np.int64)
    purchases = np.where(is_conv, carts, 0)
    t_search = 1 + searches
    t_view = t_search + views
    t_cart = t_view + carts
    t_checkout = t_cart + checkouts
    length = t_checkout + purchases

    session = np.repeat(np.arange(n_sessions), length)
    pos = ranks(session)
    kind = np.select(
        [pos == 0, pos < t_search[session], pos < t_view[session], pos < t_cart[session], pos < t_checkout[session]],
        [0, 1, 2, 3, 4], 5)
    item = np.select([kind == 2, kind == 3, kind == 5],
                     [pos - t_search[session], pos - t_view[session], pos - t_checkout[session]], -1)
    browse_pick = _popular_products(world, session_day, first, last, rng)  # a session's first product
    popular = _popular_products(world, session_day[session], first, last, rng)
    conv_session = is_conv[session]
    line = np.where(conv_session, np.concatenate([first_line, np.zeros(n_browse, np.int64)])[session] + item, 0)
    in_cart = (item >= 0) & (item < carts[session])
    cart_product = np.where(conv_session, batch.line_product[np.clip(line, 0, max(batch.line_product.size - 1, 0))]
                            if batch.line_product.size else 0, browse_pick[session])
    product = np.where(in_cart, cart_product, np.where(kind == 2, popular, -1))

    gap = rng.exponential(_MEAN_GAP_SECONDS * 1e6, session.size).astype(np.int64)
    gap[pos == 0] = 0
    gap[(kind == 5) & (item > 0)] = 1_000  # the purchase events of one order land together
    elapsed = np.cumsum(gap)
    elapsed -= np.repeat(elapsed[np.cumsum(length) - length], length)
    total = np.zeros(n_sessions, dtype=np.int64)
    if session.size:
        total = elapsed[np.cumsum(length) - 1]
    conv_anchor = np.concatenate([batch.ordered_us[converting] - total[:n_conv], start])
    ts = conv_anchor[session] + elapsed

    # Sessions are listed by start time, each with its events in order; events outside the window
    # (before its first day, after the export) are not in the data.
    starts = np.cumsum(length) - length
    by_start = np.argsort(ts[starts], kind="stable") if n_sessions else np.zeros(0, np.int64)
    sorted_length = length[by_start]
    picked = np.repeat(starts[by_start], sorted_length) + ranks(np.repeat(np.arange(n_sessions), sorted_length))
    inside = picked[(ts[picked] >= window_start) & (ts[picked] < window_end)]
    session, kind, product, ts = session[inside], kind[inside], product[inside], ts[inside]
    source = _sources(world, who, session_day, first, last, rng)
    session_no = np.empty(n_sessions, dtype=np.int64)
    session_no[by_start] = first_session + np.arange(n_sessions)
    has_product = product >= 0
    table = pa.Table.from_arrays([
        decimal_strings(first_event + np.arange(session.size), 10, "EV"),
        timestamps(ts),
        decimal_strings(session_no[session], 10, "S"),
        customer_ids(who[session]),
        choose(EVENT_TYPES, kind),
        world.catalogue.product_id.take(pa.array(np.maximum(product, 0), mask=~has_product)),
        pa.concat_arrays([strings(_SOURCES), world.campaigns.campaign_id]).take(pa.array(source[session])),
        choose(_DEVICES, device[session]),
    ], schema=TABLES["web_events"].arrow_schema())
    return table, n_sessions
