"""Every CSV export escapes text cells a spreadsheet would run as formulas; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from shopops import Shop
from shopops._csv import FORMULA_PREFIXES, csv_text, escape_cell
from shopops.cli import app
from tests.security.conftest import HOSTILE
from tests.service.conftest import make_service


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _assert_no_formula(text: str) -> None:
    """No cell of the CSV starts with a formula character, unless it is a plain number."""
    rows = _cells(text)
    assert len(rows) > 1
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_PREFIXES):
                float(cell)  # a negative number is allowed; text is not


def _assert_escaped(text: str, names: list[str]) -> None:
    _assert_no_formula(text)
    body = {cell for row in _cells(text) for cell in row}
    assert any("'" + n in body for n in names), "the hostile names should be present, escaped"


def test_escape_cell_rules() -> None:
    for value in HOSTILE:
        assert escape_cell(value) == "'" + value
    for value in ("plain", "a=b", "", "'already"):
        assert escape_cell(value) == value
    assert escape_cell(-3) == -3 and escape_cell(-2.5) == -2.5


def test_numbers_keep_their_minus_and_text_is_escaped() -> None:
    df = pd.DataFrame({"name": ["=1+1", "-x", "ok"], "quantity": [-3, 4, 0], "value": [-1.5, 2.0, float("nan")],
                       "code": pd.Series(["@a", None, "b"], dtype="string")})
    rows = _cells(csv_text(df))
    assert rows[0] == ["name", "quantity", "value", "code"]
    assert rows[1] == ["'=1+1", "-3", "-1.5", "'@a"]
    assert rows[2] == ["'-x", "4", "2.0", ""]
    # the frame itself is not changed
    assert df["name"].iloc[0] == "=1+1"


def test_cli_kpi_top_csv(hostile_shop: Shop) -> None:
    for top in ("products", "categories"):
        result = CliRunner().invoke(app, ["kpi", "--data", str(hostile_shop.data_dir), "--top", top,
                                          "--format", "csv"])
        assert result.exit_code == 0, result.output
        _assert_escaped(result.stdout, HOSTILE if top == "products" else ["=cmd|x"])


def test_cli_replenish_files(hostile_shop: Shop, tmp_path: Path) -> None:
    out = tmp_path / "plan.csv"
    result = CliRunner().invoke(app, ["replenish", "--data", str(hostile_shop.data_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = out.read_text()
    _assert_escaped(plan, HOSTILE)
    for extra in ("plan_purchase_orders.csv", "plan_alerts.csv"):
        _assert_no_formula((tmp_path / extra).read_text())
    # numeric columns read back as numbers
    back = pd.read_csv(out)
    assert pd.api.types.is_numeric_dtype(back["order_qty"]) and pd.api.types.is_numeric_dtype(back["on_hand"])


@pytest.mark.parametrize("path, names", [
    ("/api/v1/products?format=csv", HOSTILE),
    ("/api/v1/products?format=csv&start=2000-01-01&end=2100-01-01", HOSTILE),
    ("/api/v1/categories?format=csv", ["=cmd|x"]),
    ("/api/v1/inventory/plan?format=csv", HOSTILE),
    ("/api/v1/inventory/stock?format=csv", HOSTILE),
])
def test_api_csv_downloads(hostile_shop: Shop, path: str, names: list[str]) -> None:
    svc = make_service(hostile_shop)
    with svc.client:
        response = svc.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    _assert_escaped(response.text, names)


def test_api_purchase_orders_csv(hostile_shop: Shop) -> None:
    svc = make_service(hostile_shop)
    with svc.client:
        response = svc.get("/api/v1/inventory/purchase-orders?format=csv")
    assert response.status_code == 200, response.text
    _assert_no_formula(response.text)
