"""Order facts for the bot, read from the warehouse, shown only to the order's owner.

This is the one place the bot reads orders. Today it reads ``fact_order`` and ``fact_order_line``
through the :class:`~shopops.warehouse.Reader`; when the orders capability publishes an order-status
API with predicted delivery, :class:`OrderLookup` is the only class to point at it.

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

import pandas as pd

from shopops.ingest.pii import PiiHasher
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
    looked_up: list[str] = field(default_factory=list)


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

    def _head(self, order_id: str) -> pd.Series | None:
        """The order's status, dates and amount with its customer's e-mail and phone pseudonyms."""
        df = self.reader.frame(
            "SELECT o.status, o.ordered_at, o.promised_at, o.shipped_at, o.delivered_at, o.net_amount, c.email, "
            "c.phone FROM fact_order AS o LEFT JOIN dim_customer AS c ON c.customer_id = o.customer_id "
            "WHERE o.order_id = ? LIMIT 1", [order_id])
        return None if df.empty else df.iloc[0]

    def pseudonyms(self, *, email: str | None = None, phone: str | None = None) -> tuple[str | None, str | None]:
        """The pseudonyms of an e-mail and a phone number, as ingest stores them."""
        return (self.hasher.pseudonym("email", email) if email else None,
                self.hasher.pseudonym("phone", phone) if phone else None)

    def proves(self, order_id: str, *, email_pseudonym: str | None = None, phone_pseudonym: str | None = None) -> bool:
        """Whether the pseudonymised e-mail or phone is the one the shop holds for the customer of ``order_id``."""
        return self._proven_head(order_id, email_pseudonym, phone_pseudonym) is not None

    def _proven_head(self, order_id: str, email_pseudonym: str | None,
                     phone_pseudonym: str | None) -> pd.Series | None:
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
        all_lines = self.reader.frame(
            "SELECT order_id AS doc, product_id, quantity, net_amount AS amount, line_type FROM fact_order_line "
            "WHERE order_id IN (?, ?, ?) AND is_product ORDER BY order_id, line_no",
            [order_id, f"C{order_id}", f"R{order_id}"])
        lines = all_lines[(all_lines["doc"] == order_id) & (all_lines["line_type"] == "sale")]
        refunds = all_lines[all_lines["line_type"].isin(["cancellation", "return"])].rename(columns={"doc": "order_id"})
        refunds = refunds[["order_id", "product_id", "quantity", "amount", "line_type"]]
        status = None if pd.isna(head["status"]) else str(head["status"])
        return OrderFacts(
            order_id, proven=True, status=status, ordered_at=_ts(head["ordered_at"]),
            promised_at=_ts(head["promised_at"]), shipped_at=_ts(head["shipped_at"]),
            delivered_at=_ts(head["delivered_at"]),
            items=lines[["product_id", "quantity"]].to_dict("records"),
            refunds=refunds.to_dict("records"),
            amount=None if pd.isna(head["net_amount"]) else float(head["net_amount"]),
            looked_up=["fact_order", "fact_order_line", "dim_customer"])
