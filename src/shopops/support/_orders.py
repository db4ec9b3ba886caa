"""Order facts for the bot, read from the warehouse, shown only to the order's owner.

This is the one place the bot reads orders: ``fact_order``, ``fact_order_line`` and, for the route and
the expected delivery of an open order, ``fact_fulfilment`` (:class:`~shopops.support._delivery.DeliveryEstimator`,
fitted once per warehouse build), all through the :class:`~shopops.warehouse.Reader`.

Proof of ownership compares keyed pseudonyms: the e-mail or phone a caller gives is hashed with the
shop's pseudonymisation key exactly as ingest hashed the customer table, and compared with the
pseudonym stored for the order's customer. A wrong proof, an unknown order id and a guest order give
the same answer (:attr:`OrderFacts.proven` False, no data), so the bot never tells whether an order exists.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from shopops.ingest.pii import PiiHasher
from shopops.support._delivery import DeliveryEstimate, DeliveryEstimator
from shopops.warehouse import Reader

__all__ = ["OrderFacts", "OrderLookup"]


@dataclass(frozen=True)
class OrderFacts:
    """What the bot may say about one order.

    Attributes
    ----------
    order_id : str
        The order number asked about.
    proven : bool
        The caller proved the order is theirs; when False every other field is empty.
    status : str or None
        ``paid``, ``shipped``, ``delivered``, ``returned``, ``cancelled`` (or None when the shop does not record it).
    ordered_at, promised_at, shipped_at, delivered_at : datetime or None
        The order's dates.
    items : list of dict
        Product lines: ``product_id``, ``quantity``, ``line_type``.
    refunds : list of dict
        Cancellation and return documents and lines: ``order_id``, ``product_id``, ``quantity``, ``amount``.
    amount : float or None
        The order's net amount.
    expected : DeliveryEstimate or None
        When an open (placed, paid or shipped) order is expected, from its route's history; None when
        delivered, cancelled, or when the history cannot say.
    looked_up : list of str
        The warehouse tables read (for the answer's explanation).
    """

    order_id: str
    proven: bool
    status: str | None = None
    ordered_at: datetime | None = None
    promised_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    amount: float | None = None
    expected: DeliveryEstimate | None = None
    looked_up: list[str] = field(default_factory=list)


#: Orders on their way: the ones whose delivery date is still an estimate.
_OPEN = frozenset({"placed", "paid", "shipped"})
_HISTORY = ("carrier", "service", "ship_country", "ordered_at", "promised_at", "hours_to_ship", "hours_to_delivery")


class _Sorted:
    """The rows of a frame sorted by one text column, found by binary search."""

    def __init__(self, frame: pd.DataFrame, key: str) -> None:
        frame = frame.assign(**{key: frame[key].astype(str)}).sort_values(key, kind="stable")
        self.keys = frame[key].to_numpy(dtype=str)
        # Timestamps stay datetime64 (boxing a column of them into objects costs more than the whole index).
        self.columns = {str(c): frame[c].to_numpy() if frame[c].dtype.kind == "M" else frame[c].to_numpy(dtype=object)
                        for c in frame.columns}

    def rows(self, key: str) -> list[dict[str, Any]]:
        """Every row whose key is ``key``, in the frame's order."""
        lo, hi = (int(np.searchsorted(self.keys, key, side=side)) for side in ("left", "right"))
        return [{c: v[i] for c, v in self.columns.items()} for i in range(lo, hi)]


def _ts(value: Any) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    stamp: datetime = pd.Timestamp(value).to_pydatetime()
    return stamp


class OrderLookup:
    """Order status, lines and refunds of an order whose owner proved it.

    Parameters
    ----------
    reader : Reader
        The warehouse reader.
    hasher : PiiHasher
        The shop's pseudonymisation (the key ingest used).
    """

    def __init__(self, reader: Reader, hasher: PiiHasher) -> None:
        self.reader = reader
        self.hasher = hasher

    def _has_fulfilment(self) -> bool:
        return bool(self.reader.cached(("support", "has-fulfilment"), lambda: self.reader.has("fact_fulfilment")))

    def _index(self) -> tuple[_Sorted, _Sorted]:
        """Every provable order's head and every product line, in memory, read once per warehouse build.

        A message pays microseconds instead of two warehouse queries. Orders whose customer has neither
        e-mail nor phone can never be proven, so they are left out (they answer like unknown ones).
        """
        def read() -> tuple[_Sorted, _Sorted]:
            route = ("f.carrier, f.service, f.ship_country",
                     "LEFT JOIN fact_fulfilment AS f ON f.order_id = o.order_id") \
                if self._has_fulfilment() else ("NULL AS carrier, NULL AS service, o.ship_country", "")
            heads = self.reader.frame(
                "SELECT o.order_id, o.status, o.ordered_at, o.promised_at, o.shipped_at, o.delivered_at, "
                f"o.net_amount, c.email, c.phone, {route[0]} FROM fact_order AS o "
                f"JOIN dim_customer AS c ON c.customer_id = o.customer_id {route[1]} "
                "WHERE c.email IS NOT NULL OR c.phone IS NOT NULL")
            lines = self.reader.frame(
                "SELECT order_id AS doc, product_id, quantity, net_amount AS amount, line_type FROM fact_order_line "
                "WHERE is_product AND line_type IN ('sale', 'cancellation', 'return') ORDER BY order_id, line_no")
            return _Sorted(heads, "order_id"), _Sorted(lines, "doc")

        index: tuple[_Sorted, _Sorted] = self.reader.cached(("support", "order-index"), read)
        return index

    def _head(self, order_id: str) -> dict[str, Any] | None:
        """The order's status, dates, amount and route with its customer's e-mail and phone pseudonyms."""
        rows = self._index()[0].rows(order_id)
        return rows[0] if rows else None

    def delivery_estimator(self) -> DeliveryEstimator:
        """Lead times of the warehouse's delivered orders, fitted once per build (empty without fulfilment data)."""
        def fit() -> DeliveryEstimator:
            if not self._has_fulfilment():
                return DeliveryEstimator().fit(pd.DataFrame(columns=list(_HISTORY)))
            history = self.reader.frame(
                f"SELECT {', '.join(_HISTORY)} FROM fact_fulfilment WHERE delivered_at IS NOT NULL "
                "AND timestamp_problem IS NULL")
            clock = self.reader.frame(
                "SELECT greatest(max(ordered_at), max(shipped_at), max(delivered_at)) AS t FROM fact_fulfilment")
            return DeliveryEstimator().fit(history, as_of=_ts(clock["t"].iloc[0]))

        estimator: DeliveryEstimator = self.reader.cached(("support", "delivery-estimator"), fit)
        return estimator

    def expected_delivery(self, head: dict[str, Any]) -> DeliveryEstimate | None:
        """The expected delivery of an open order (its ``status``, dates and route), None otherwise."""
        if str(head.get("status")) not in _OPEN or (head.get("delivered_at") is not None and \
                not pd.isna(head.get("delivered_at"))):
            return None
        return self.delivery_estimator().estimate(head)

    def pseudonyms(self, *, email: str | None = None, phone: str | None = None) -> tuple[str | None, str | None]:
        """The pseudonyms of an e-mail and a phone number, as ingest stores them."""
        return (self.hasher.pseudonym("email", email) if email else None,
                self.hasher.pseudonym("phone", phone) if phone else None)

    def proves(self, order_id: str, *, email_pseudonym: str | None = None, phone_pseudonym: str | None = None) -> bool:
        """Whether the pseudonymised e-mail or phone is the one the shop holds for the customer of ``order_id``."""
        return self._proven_head(order_id, email_pseudonym, phone_pseudonym) is not None

    def _proven_head(self, order_id: str, email_pseudonym: str | None,
                     phone_pseudonym: str | None) -> dict[str, Any] | None:
        if not email_pseudonym and not phone_pseudonym:
            return None
        head = self._head(order_id)
        if head is None:
            return None
        held_email = None if pd.isna(head["email"]) else str(head["email"])
        held_phone = None if pd.isna(head["phone"]) else str(head["phone"])
        ok = False
        # Constant-time comparisons, so timing does not tell how much of a pseudonym matched.
        if email_pseudonym and held_email is not None:
            ok |= hmac.compare_digest(email_pseudonym, held_email)
        if phone_pseudonym and held_phone is not None:
            ok |= hmac.compare_digest(phone_pseudonym, held_phone)
        return head if ok else None

    def lookup(self, order_id: str, *, email_pseudonym: str | None = None,
               phone_pseudonym: str | None = None) -> OrderFacts:
        """The facts of ``order_id`` when the proof matches, else an unproven empty answer."""
        head = self._proven_head(order_id, email_pseudonym, phone_pseudonym)
        if head is None:
            return OrderFacts(order_id, proven=False)
        # Cancellations and returns are their own documents ("C"/"R" + the order number) or lines of the order.
        docs = self._index()[1]
        all_lines = [line for doc in (order_id, f"C{order_id}", f"R{order_id}") for line in docs.rows(doc)]
        items = [{"product_id": line["product_id"], "quantity": int(line["quantity"])} for line in all_lines
                 if line["doc"] == order_id and line["line_type"] == "sale"]
        refunds = [{"order_id": line["doc"], "product_id": line["product_id"], "quantity": int(line["quantity"]),
                    "amount": float(line["amount"]), "line_type": line["line_type"]} for line in all_lines
                   if line["line_type"] in ("cancellation", "return")]
        status = None if pd.isna(head["status"]) else str(head["status"])
        expected = self.expected_delivery(head)
        tables = ["fact_order", "fact_order_line", "dim_customer"] + (["fact_fulfilment"] if expected else [])
        return OrderFacts(
            order_id, proven=True, status=status, ordered_at=_ts(head["ordered_at"]),
            promised_at=_ts(head["promised_at"]), shipped_at=_ts(head["shipped_at"]),
            delivered_at=_ts(head["delivered_at"]),
            items=items, refunds=refunds,
            amount=None if pd.isna(head["net_amount"]) else float(head["net_amount"]), expected=expected,
            looked_up=tables)
