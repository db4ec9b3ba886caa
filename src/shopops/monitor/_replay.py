"""Replay history as live events, with known incidents injected: the demo and the detection benchmark.

History comes from the warehouse of a simulated shop (``fact_order``, ``fact_event``) or from the
Online Retail file itself. Incidents are declared in TOML::

    [[incident]]
    kind = "orders_drop"        # orders_drop | cancellations | payment_failures | stockout
    start = "2011-10-04T10:00:00"
    hours = 2
    drop = 0.8                  # orders_drop: share of orders that disappear
    # factor = 3                # cancellations: how many times the usual cancellations
    # rate = 0.3                # payment_failures: share of payments that fail
    # product = "85123A"        # stockout: the product (default: the best seller)
"""

from __future__ import annotations

import http.client
import json
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from shopops.errors import ShopopsError
from shopops.warehouse import Reader

__all__ = ["HttpSender", "Incident", "inject_incidents", "load_incidents", "online_retail_events", "replay",
           "replay_batches",
           "warehouse_events"]

_COLUMNS = ["event_id", "type", "ts", "session_id", "order_id", "product_id", "amount", "quantity"]
_KINDS = ("orders_drop", "cancellations", "payment_failures", "stockout")


@dataclass(frozen=True)
class Incident:
    """One injected incident: what, from when (Unix seconds), for how long, how strong."""

    kind: str
    start: float
    hours: float
    strength: float = 1.0
    product: str | None = None

    @property
    def end(self) -> float:
        """When it stops (Unix seconds)."""
        return self.start + self.hours * 3600


def load_incidents(path: Path) -> list[Incident]:
    """Read an incidents file (see the module docstring); a clear error names the bad entry."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ShopopsError(f"cannot read the incidents file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ShopopsError(f"{path}: not valid TOML: {exc}") from None
    out = []
    for i, raw in enumerate(data.get("incident", [])):
        where = f"{path}: incident {i + 1}"
        if raw.get("kind") not in _KINDS:
            raise ShopopsError(f"{where}: kind must be one of {', '.join(_KINDS)}, not {raw.get('kind')!r}")
        try:
            start = pd.Timestamp(str(raw["start"]))
            start = start.tz_localize("UTC") if start.tzinfo is None else start
            hours = float(raw.get("hours", 1))
        except (KeyError, ValueError):
            raise ShopopsError(f"{where}: start must be an ISO 8601 time and hours a number") from None
        strength = float(raw.get("drop", raw.get("factor", raw.get("rate", 1.0))))
        out.append(Incident(str(raw["kind"]), start.timestamp(), hours, strength, raw.get("product")))
    return out


def _frame(rows: dict[str, Any]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for col in _COLUMNS:
        if col not in df:
            df[col] = None
    return df[_COLUMNS].sort_values("ts", kind="stable").reset_index(drop=True)


def online_retail_events(path: Path) -> pd.DataFrame:
    """Events of the Online Retail file: an order placed and paid per invoice, a cancellation per ``C`` invoice."""
    raw = pd.read_parquet(path, columns=["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice"])
    raw["value"] = raw["Quantity"] * raw["UnitPrice"]
    inv = raw.groupby("InvoiceNo", sort=False).agg(ts=("InvoiceDate", "min"), amount=("value", "sum"),
                                                   product_id=("StockCode", "first")).reset_index()
    inv["ts"] = pd.to_datetime(inv["ts"]).dt.tz_localize("Europe/London", ambiguous="NaT", nonexistent="NaT")
    inv = inv.dropna(subset=["ts"])
    inv["ts"] = (inv["ts"] - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds()
    kind = np.where(inv["InvoiceNo"].str.startswith("C"), "order_cancelled",
                    np.where(inv["InvoiceNo"].str.startswith("A"), "", "order_placed"))
    inv = inv.assign(type=kind)
    inv = inv[inv["type"] != ""]
    placed = inv[inv["type"] == "order_placed"]
    paid = placed.assign(type="order_paid", ts=placed["ts"] + 30, amount=np.nan)
    frame = pd.concat([inv, paid], ignore_index=True)
    frame["order_id"] = frame["InvoiceNo"]
    frame["event_id"] = frame["type"] + ":" + frame["InvoiceNo"]
    frame["amount"] = frame["amount"].where(frame["type"] == "order_placed").abs()
    return _frame({c: frame[c] for c in ("event_id", "type", "ts", "order_id", "product_id", "amount")})


def warehouse_events(reader: Reader) -> pd.DataFrame:
    """Events of a built warehouse (a simulated shop): orders, cancellations and web visits."""
    orders = reader.frame(
        "SELECT order_id, epoch(ordered_at) AS ts, gross_sales AS amount, cancellations FROM fact_order "
        "WHERE is_sale = 1")
    parts = [orders.assign(type="order_placed", event_id="order_placed:" + orders["order_id"]),
             orders.assign(type="order_paid", ts=orders["ts"] + 30, amount=None,
                           event_id="order_paid:" + orders["order_id"])]
    cancelled = orders[orders["cancellations"] > 0]
    parts.append(cancelled.assign(type="order_cancelled", ts=cancelled["ts"] + 3600, amount=None,
                                  event_id="order_cancelled:" + cancelled["order_id"]))
    web = reader.frame("SELECT event_id, epoch(ts) AS ts, session_id, product_id, event_type FROM fact_event "
                       "WHERE event_type IN ('page_view', 'add_to_cart', 'checkout')")
    if not web.empty:
        parts.append(web.assign(type=web["event_type"], event_id="web:" + web["event_id"]))
    frame = pd.concat(parts, ignore_index=True)
    return _frame({c: frame[c] for c in _COLUMNS if c in frame})


def inject_incidents(events: pd.DataFrame, incidents: list[Incident], *, seed: int) -> pd.DataFrame:
    """The events with the incidents applied (seeded: the same seed removes and adds the same events)."""
    rng = np.random.default_rng(seed)
    out = events.copy()
    extra: list[pd.DataFrame] = []
    for n, inc in enumerate(incidents):
        inside = (out["ts"] >= inc.start) & (out["ts"] < inc.end)
        if inc.kind == "orders_drop":
            orders = out.loc[inside & (out["type"] == "order_placed"), "order_id"]
            gone = set(orders[rng.random(len(orders)) < inc.strength])
            out = out[~(out["order_id"].isin(gone) & out["type"].isin(["order_placed", "order_paid"]))]
        elif inc.kind == "cancellations":
            cancels = out[inside & (out["type"] == "order_cancelled")]
            placed = out[inside & (out["type"] == "order_placed")]
            rate = max(len(cancels) / max(len(placed), 1), 0.02) * (inc.strength - 1)
            chosen = placed[rng.random(len(placed)) < rate]
            extra.append(chosen.assign(type="order_cancelled", ts=chosen["ts"] + 60, amount=None,
                                       event_id=[f"injected:{n}:cancel:{o}" for o in chosen["order_id"]]))
        elif inc.kind == "payment_failures":
            paid = out[inside & (out["type"] == "order_paid")]
            fail = paid[rng.random(len(paid)) < inc.strength]
            out = out.drop(fail.index)
            extra.append(fail.assign(type="payment_failed",
                                     event_id=[f"injected:{n}:failed:{o}" for o in fail["order_id"]]))
        elif inc.kind == "stockout":
            sold = out.loc[out["type"] == "order_placed", "product_id"].dropna()
            product = inc.product or (str(sold.value_counts().index[0]) if len(sold) else "unknown")
            extra.append(pd.DataFrame([{"event_id": f"injected:{n}:stock:{product}", "type": "stock_changed",
                                        "ts": inc.start, "product_id": product, "quantity": 0}]))
            out = out[~(inside & (out["type"] == "order_placed") & (out["product_id"] == product))]
    return _frame({c: pd.concat([out, *extra], ignore_index=True)[c] for c in _COLUMNS})


def _records(chunk: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in chunk.itertuples(index=False):
        event: dict[str, Any] = {"event_id": row.event_id, "type": row.type, "ts": float(row.ts)}
        for name in ("session_id", "order_id", "product_id", "amount", "quantity"):
            value = getattr(row, name)
            if value is not None and not (isinstance(value, float) and np.isnan(value)):
                event[name] = int(value) if name == "quantity" else (float(value) if name == "amount" else str(value))
        out.append(event)
    return out


def replay_batches(events: pd.DataFrame, *, speed: float, batch: int = 500, tick_s: float = 0.25,
                   start: float | None = None, end: float | None = None, sleep: bool = True
                   ) -> Iterator[tuple[list[dict[str, Any]], float]]:
    """Yield ``(events, clock)`` in history order, paced at ``speed`` times real time.

    Each tick of ``tick_s`` wall seconds covers ``tick_s * speed`` seconds of history; the clock of a tick is its
    end, so the receiver closes windows on the replay's clock even where no event happened.
    """
    if speed <= 0:
        raise ShopopsError(f"speed must be above 0, not {speed}")
    frame = events
    if start is not None:
        frame = frame[frame["ts"] >= start]
    if end is not None:
        frame = frame[frame["ts"] < end]
    if frame.empty:
        return
    ts = frame["ts"].to_numpy()
    clock = float(ts[0])
    last = float(end if end is not None else ts[-1] + 1)
    began = time.monotonic()
    i = 0
    step = tick_s * speed
    while clock < last:
        clock = min(clock + step, last)
        j = int(np.searchsorted(ts, clock, side="left"))
        while i < j:
            k = min(i + batch, j)
            yield _records(frame.iloc[i:k]), float(ts[k - 1]) if k < j else clock
            i = k
        if i == j:
            yield [], clock
        if sleep:
            wait = began + (clock - float(ts[0])) / speed - time.monotonic()
            if wait > 0:
                time.sleep(wait)


class HttpSender:
    """Post event batches to ``POST /api/v1/events`` over one kept-alive connection.

    Parameters
    ----------
    url : str
        The service, e.g. ``http://127.0.0.1:8321``.
    key : str
        An API key whose role may post events (``ingest``, ``operator`` or ``admin``).
    attempts : int or None
        How often one batch is tried when the service is unreachable or answers 503 (not taken); None: until it
        is taken. Resending is safe: the service drops repeats by ``event_id``.
    """

    def __init__(self, url: str, key: str, timeout: float = 30.0, attempts: int | None = 3) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.key, self.timeout, self.attempts = key, timeout, attempts
        self._con: http.client.HTTPConnection | None = None

    def __call__(self, events: list[dict[str, Any]], clock: float | None = None) -> dict[str, Any]:
        """Send one batch; returns the service's receipt (raises on a refusal, or when out of attempts)."""
        body = json.dumps({"events": events, "clock": clock} if clock is not None else {"events": events})
        attempt = 0
        while True:
            attempt += 1
            try:
                if self._con is None:
                    self._con = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                self._con.request("POST", "/api/v1/events", body=body,
                                  headers={"Content-Type": "application/json", "X-API-Key": self.key})
                response = self._con.getresponse()
                data: dict[str, Any] = json.loads(response.read() or b"{}")
                if response.status == 503:
                    raise ConnectionError(f"the service did not take the batch: {data.get('error')}")
                if response.status >= 400:
                    raise ShopopsError(f"the service refused a batch: HTTP {response.status}: {data.get('error')}")
                return data
            except (OSError, http.client.HTTPException):
                if self._con is not None:
                    self._con.close()
                self._con = None
                if self.attempts is not None and attempt >= self.attempts:
                    raise
                time.sleep(min(0.05 * 2 ** attempt, 2.0))

    def close(self) -> None:
        """Close the connection."""
        if self._con is not None:
            self._con.close()


def replay(batches: Iterator[tuple[list[dict[str, Any]], float]],
           send: Callable[[list[dict[str, Any]], float], Any]) -> int:
    """Send every batch; returns how many events were sent."""
    sent = 0
    for events, clock in batches:
        send(events, clock)
        sent += len(events)
    return sent
