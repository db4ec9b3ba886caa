"""Entities in a message: order ids, e-mails, phone numbers, product codes, amounts and dates, with positions.

Patterns run on the NFKC form of the text, character by character, so a position found there is
the position in what the customer typed (full-width ``５３６３６５`` is one character per digit in both).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Entity", "extract_entities", "mask"]


@dataclass(frozen=True)
class Entity:
    """One thing found in a message.

    Attributes
    ----------
    kind : str
        ``order_id``, ``email``, ``phone``, ``address``, ``product_code``, ``amount`` or ``date``.
    value : str
        The normalised value (digits of an order id, lower-case e-mail, a phone's digits, ...).
    start, end : int
        Its span in the original message (``message[start:end]``).
    """

    kind: str
    value: str
    start: int
    end: int


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)
_PRODUCT = re.compile(r"\b(?:SKU|sku)[-\s]?\d{3,8}\b|\b[A-Z]{2,4}-\d{3,8}\b")
_AMOUNT = re.compile(r"(?:[£$€¥]|RMB|CNY|GBP|USD|EUR)\s?\d{1,3}(?:,\d{3})*(?:\.\d{1,2})?|"
                     r"\d+(?:\.\d{1,2})?\s?(?:元|块|英镑|镑|美元|欧元|pounds?|euros?|dollars?)", re.IGNORECASE)
_DATE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\d{1,2}月\d{1,2}[日号]|"
                   r"\b\d{1,2}(?:st|nd|rd|th)?\s(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|"
                   r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s\d{1,2}(?:st|nd|rd|th)?\b",
                   re.IGNORECASE)
# With a country code, groups may be long: Chinese mobiles are written "+86 132 00625528".
_PHONE = re.compile(r"(?<![A-Za-z0-9.])\+\d{1,3}[\s-]?\d{2,5}(?:[\s-]\d{3,8}){1,3}(?![A-Za-z0-9])|"
                    r"(?<![A-Za-z0-9.])(?:\+\d{1,3}[\s-]?)?(?:\(\d{2,5}\)[\s-]?)?\d{2,6}(?:[\s-]\d{2,6}){1,4}"
                    r"(?![A-Za-z0-9])|(?<![A-Za-z0-9.])\+?\d{11,13}(?![A-Za-z0-9])")
_STREET_WORDS = ("street|st|road|rd|avenue|ave|lane|ln|way|close|drive|dr|court|ct|place|pl|crescent|terrace|"
                 "gardens|square|hill|grove|park|row|walk|straße|strasse|weg|rue|via|calle")
_ADDRESS = re.compile(
    rf"\b\d{{1,4}}[a-z]?,?\s+(?:[A-Z][\w'-]*\s+){{0,3}}(?:{_STREET_WORDS})\b\.?|"
    rf"\b[A-Z][\w'-]*(?:straße|strasse|weg)\s+\d{{1,4}}\b|"
    r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b|"
    r"[\u4e00-\u9fff]{1,12}(?:路|街|道|巷|大道)\d{1,5}号(?:[\u4e00-\u9fff\d]{0,12}(?:室|楼|单元))?",
    re.IGNORECASE)
# An order number: 5 to 8 digits, optionally after a C/R document prefix or "#".
_ORDER = re.compile(r"(?<![A-Za-z0-9.+£$€¥-])(?:#\s?)?([CR]?\d{5,8})(?![.,]\d|[A-Za-z0-9@])")


def _nfkc_map(text: str) -> tuple[str, list[int]]:
    """The NFKC form of ``text`` and, per character of it, the index of the original character."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        norm = unicodedata.normalize("NFKC", ch)
        out.append(norm)
        where.extend([i] * len(norm))
    where.append(len(text))
    return "".join(out), where


def extract_entities(message: str) -> list[Entity]:
    """Every entity in ``message``, left to right; spans never overlap (e-mails first, then phones, ...)."""
    text, where = _nfkc_map(message)
    taken = [False] * (len(text) + 1)
    found: list[Entity] = []

    def add(kind: str, value: str, start: int, end: int) -> None:
        if any(taken[start:end]):
            return
        for i in range(start, end):
            taken[i] = True
        found.append(Entity(kind, value, where[start], where[end - 1] + 1))

    for m in _EMAIL.finditer(text):
        add("email", m.group(0).lower(), m.start(), m.end())
    for m in _PRODUCT.finditer(text):
        add("product_code", re.sub(r"[-\s]", "", m.group(0)).upper(), m.start(), m.end())
    for m in _AMOUNT.finditer(text):
        add("amount", m.group(0).replace(" ", ""), m.start(), m.end())
    for m in _DATE.finditer(text):
        add("date", m.group(0), m.start(), m.end())
    for m in _ADDRESS.finditer(text):
        add("address", m.group(0), m.start(), m.end())
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        # A lone 5-8 digit run is an order number, not a phone; phones have 9 digits or more.
        if len(digits) >= 9:
            add("phone", digits, m.start(), m.end())
    for m in _ORDER.finditer(text):
        add("order_id", m.group(1).upper(), m.start(1), m.end(1))
    return sorted(found, key=lambda e: e.start)


def mask(message: str) -> str:
    """``message`` with each entity replaced by its kind (``<order_id>``, ``<email>``, ...)."""
    out, last = [], 0
    for e in extract_entities(message):
        out.append(message[last:e.start])
        out.append(f" <{e.kind}> ")
        last = e.end
    out.append(message[last:])
    return "".join(out)
