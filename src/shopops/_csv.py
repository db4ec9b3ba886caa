"""The one CSV writer of every export: text cells are escaped against spreadsheet formula injection.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (tab and carriage
return are stripped first by some), so a product name such as ``=HYPERLINK("http://evil.example/x")``
in a purchase order becomes a live link when a buyer opens it. As OWASP recommends, such text cells get a
leading single quote, which spreadsheets show as text; numeric columns are written as numbers, so a
negative quantity keeps its minus sign.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "csv_text", "escape_cell", "safe_frame", "write_csv"]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """``value`` with a leading quote when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names are escaped; numeric, date and bool columns as they are."""
    out = df.copy(deep=False)
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series) \
                or isinstance(series.dtype, pd.CategoricalDtype):
            out[col] = series.astype(object).map(escape_cell)
    out.columns = [escape_cell(str(c)) for c in out.columns]
    return out


def csv_text(df: pd.DataFrame) -> str:
    """``df`` as CSV text (a header line, no index), escaped."""
    buf = io.StringIO()
    safe_frame(df).to_csv(buf, index=False)
    return buf.getvalue()


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` to ``path`` as escaped CSV."""
    safe_frame(df).to_csv(path, index=False)
