"""When an open order will arrive: lead times of the orders that took the same route, given how far it has got.

The promised date is what the shop said at checkout; the customer asking "where is my order" wants
the date it will most likely come. :class:`DeliveryEstimator` learns, from the delivered orders in
``fact_fulfilment``, the hours from order to dispatch and from dispatch to delivery of each route
(carrier, service, destination country; coarser routes when a fine one has too few orders). For
an open order it conditions on what is already known at the data's clock (``as_of``): a shipped
order takes the transit times of its route that are longer than the time it has already been on
the way; an order not yet shipped takes the orders that were still unshipped after as long, and
(when it has a promised date) how much later or earlier than their promise they came, since the
promise already knows the order's cut-off times; else their whole lead times. The median of those
is the expected date, the 90th percentile the latest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["DeliveryEstimate", "DeliveryEstimator"]

FloatArray = npt.NDArray[np.float64]
_LEVELS = (("carrier", "service", "ship_country"), ("carrier", "service"), ("service",), ())
_COLUMNS = ("carrier", "service", "ship_country", "ordered_at", "hours_to_ship", "hours_to_delivery")


@dataclass(frozen=True)
class DeliveryEstimate:
    """The expected delivery of one open order.

    Attributes
    ----------
    expected_at, latest_at : datetime
        Median and 90th percentile of the delivery time of comparable orders.
    route : str
        The route whose history was used (``royal_mail/standard/United Kingdom``, or coarser).
    orders : int
        How many past orders the estimate rests on.
    as_of : datetime
        The moment the order's state is known at (the data's latest fulfilment event).
    """

    expected_at: datetime
    latest_at: datetime
    route: str
    orders: int
    as_of: datetime


#: Per comparable order: hours to dispatch, hours to delivery, hours delivered after the promise (NaN: none).
_Times = tuple[FloatArray, FloatArray, FloatArray]


def _key(row: Any, level: tuple[str, ...]) -> tuple[str, ...]:
    return tuple("" if row.get(c) is None or pd.isna(row.get(c)) else str(row.get(c)) for c in level)


class DeliveryEstimator:
    """Empirical lead times per route, conditioned on an order's progress.

    Parameters
    ----------
    min_orders : int
        A route needs this many comparable delivered orders; else the next coarser route is used.
    recent_days : int
        Only orders placed in this many days before ``as_of`` count, when the route has enough of them
        (carriers change speed over a year).
    """

    def __init__(self, min_orders: int = 20, recent_days: int = 180) -> None:
        self.min_orders = min_orders
        self.recent_days = recent_days

    def fit(self, delivered: pd.DataFrame, as_of: datetime | pd.Timestamp | None = None) -> DeliveryEstimator:
        """Learn the lead times of delivered orders; ``as_of`` is when open orders are judged (default: the last order).

        ``delivered`` has ``carrier, service, ship_country, ordered_at, hours_to_ship, hours_to_delivery``.
        """
        missing = [c for c in _COLUMNS if c not in delivered.columns]
        if missing:
            raise ValueError(f"delivery history lacks the column(s) {', '.join(missing)}")
        frame = delivered.loc[delivered["hours_to_delivery"].notna() & (delivered["hours_to_delivery"] >= 0)]
        frame = frame.assign(hours_to_ship=frame["hours_to_ship"].fillna(0.0))
        ordered = pd.to_datetime(frame["ordered_at"])
        self.as_of_ = pd.Timestamp(as_of) if as_of is not None else (ordered.max() if len(frame) else pd.NaT)
        if len(frame) and pd.notna(self.as_of_):
            recent = ordered >= self.as_of_ - pd.Timedelta(days=self.recent_days)
        else:
            recent = pd.Series(False, index=frame.index)
        promise = (pd.to_datetime(frame["promised_at"]) - ordered).dt.total_seconds() / 3600.0 \
            if "promised_at" in frame else pd.Series(np.nan, index=frame.index)
        frame = frame.assign(hours_after_promise=frame["hours_to_delivery"] - promise)
        self.groups_: dict[tuple[tuple[str, ...], bool], dict[tuple[str, ...], _Times]] = {}
        for level in _LEVELS:
            for only_recent in (True, False):
                part = frame[recent] if only_recent else frame
                keyed = part.assign(**{c: part[c].astype("string").fillna("") for c in level})
                groups: dict[tuple[str, ...], _Times] = {}
                for key, g in (keyed.groupby(list(level), sort=False) if level else [((), keyed)]):
                    key_t = key if isinstance(key, tuple) else (key,)
                    groups[tuple(str(k) for k in key_t)] = tuple(  # type: ignore[assignment]
                        g[c].to_numpy(dtype=np.float64) for c in ("hours_to_ship", "hours_to_delivery",
                                                                  "hours_after_promise"))
                self.groups_[level, only_recent] = groups
        return self

    def _comparable(self, row: dict[str, Any], shipped_after: float | None, elapsed: float,
                    promised: bool) -> tuple[FloatArray, str] | None:
        """Hours from the reference moment to delivery of the comparable orders, and the route used.

        ``shipped_after`` is the hours from order to dispatch of a shipped order (None when not shipped);
        ``elapsed`` the hours since dispatch (shipped) or since the order (not shipped). The reference
        moment is the dispatch (shipped), the promise (not shipped, ``promised``) or the order.
        """
        for level in _LEVELS:
            for only_recent in (True, False):
                found = self.groups_[level, only_recent].get(_key(row, level))
                if found is None:
                    continue
                to_ship, to_deliver, after_promise = found
                if shipped_after is not None:
                    transit = to_deliver - to_ship
                    base = transit[transit > elapsed]
                else:
                    still = (to_ship > elapsed) & (to_deliver > elapsed)
                    base = after_promise[still & np.isfinite(after_promise)] if promised else to_deliver[still]
                if base.size >= self.min_orders:
                    route = "/".join(_key(row, level)) or "all routes"
                    return base, route
        return None

    def estimate(self, row: dict[str, Any], as_of: datetime | pd.Timestamp | None = None) -> DeliveryEstimate | None:
        """The expected delivery of an open order (``carrier, service, ship_country, ordered_at, shipped_at``).

        ``as_of`` is when the order's state is known (default: the fitted clock; a backtest passes the
        moment it replays). None for an order without an order time, or when no route has enough
        comparable orders (an order already later than nearly every one before it: then nobody can say).
        """
        clock = pd.Timestamp(as_of) if as_of is not None else getattr(self, "as_of_", pd.NaT)
        if not hasattr(self, "groups_") or pd.isna(clock):
            return None
        ordered = pd.Timestamp(row["ordered_at"]) if row.get("ordered_at") is not None else pd.NaT
        if pd.isna(ordered):
            return None
        shipped_raw = row.get("shipped_at")
        shipped = pd.Timestamp(shipped_raw) if shipped_raw is not None and not pd.isna(shipped_raw) else None
        since: pd.Timestamp = shipped if shipped is not None else ordered
        as_of = pd.Timestamp(max(clock, since))
        elapsed = (as_of - since).total_seconds() / 3600.0
        promised_raw = row.get("promised_at")
        promise = pd.Timestamp(promised_raw) if promised_raw is not None and not pd.isna(promised_raw) else None
        shipped_after = None if shipped is None else (shipped - ordered).total_seconds() / 3600.0
        found = None
        if shipped is None and promise is not None:
            found = self._comparable(row, None, elapsed, promised=True)
        start = since if found is None else promise
        found = found or self._comparable(row, shipped_after, elapsed, promised=False)
        if found is None or start is None:
            return None
        hours, route = found
        p50, p90 = np.quantile(hours, [0.5, 0.9])
        def at(hours_after: float) -> datetime:
            # Never before the moment the order's state is known at: it has not arrived by then.
            stamp: datetime = max(pd.Timestamp(start + pd.Timedelta(hours=hours_after)), as_of).floor("s") \
                .to_pydatetime()
            return stamp

        return DeliveryEstimate(at(float(p50)), at(float(p90)), route, int(hours.size),
                                pd.Timestamp(as_of).floor("s").to_pydatetime())
