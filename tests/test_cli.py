"""The CLI prints what the Python API returns, and fails with a clear message and exit code 2."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from shopops import Shop
from shopops.cli import app

runner = CliRunner()
LINES = ("order_id,line_no,ordered_at,product_id,quantity,unit_price,customer_id\n"
         "1,1,2024-01-05 10:00,A,2,5.0,C1\n2,1,2024-02-05 10:00,B,1,7.5,C1\n3,1,2024-02-06 10:00,A,1,5.0,C2\n")


def _ingested(tmp_path: Path) -> Path:
    (tmp_path / "l.csv").write_text(LINES)
    result = runner.invoke(app, ["ingest", str(tmp_path / "l.csv"), "--table", "order_lines",
                                 "--data", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "committed batch" in result.output
    return tmp_path / "d"


def test_kpi_json_and_csv_equal_the_api(tmp_path: Path):
    data = _ingested(tmp_path)
    api = Shop.open(data).kpis("month")
    out = runner.invoke(app, ["kpi", "--data", str(data), "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert [r["net_sales"] for r in rows] == api["net_sales"].tolist() == [10.0, 12.5]
    assert [r["orders"] for r in rows] == [1, 2]
    csv = pd.read_csv(io.StringIO(runner.invoke(app, ["kpi", "--data", str(data), "--format", "csv"]).stdout))
    assert csv["new_customers"].tolist() == [1, 1]
    top = json.loads(runner.invoke(app, ["kpi", "--data", str(data), "--top", "products", "--format", "json"]).stdout)
    assert [t["product_id"] for t in top] == ["A", "B"]


def test_errors_are_messages_not_tracebacks(tmp_path: Path):
    data = _ingested(tmp_path)
    bad = runner.invoke(app, ["kpi", "--data", str(data), "--grain", "year"])
    assert bad.exit_code == 2
    assert "--grain must be one of day, week, month" in bad.output
    assert "Traceback" not in bad.output
    missing = runner.invoke(app, ["ingest", str(tmp_path / "nope.csv"), "--data", str(data), "--table", "orders"])
    assert missing.exit_code == 2 and "not found" in missing.output and "nope.csv" in missing.output
    empty = runner.invoke(app, ["kpi", "--data", str(tmp_path / "empty")])
    assert empty.exit_code == 2 and "no warehouse" in empty.output
    dates = runner.invoke(app, ["kpi", "--data", str(data), "--from", "01/02/2024"])
    assert dates.exit_code == 2 and "write it as YYYY-MM-DD" in dates.output


def test_quality_lists_quarantine(tmp_path: Path):
    data = _ingested(tmp_path)
    (tmp_path / "bad.csv").write_text("order_id,line_no,ordered_at,product_id,quantity,unit_price\n9,1,x,A,1,1\n")
    runner.invoke(app, ["ingest", str(tmp_path / "bad.csv"), "--table", "order_lines", "--data", str(data)])
    out = runner.invoke(app, ["quality", "--data", str(data), "--quarantine", "--format", "json"])
    rows = json.loads(out.stdout)
    assert len(rows) == 1 and rows[0]["_source_row"] == 2
    assert rows[0]["_reason"] == 'ordered_at: "x" is not a date and time'


def test_duckdb_never_prints_progress_into_output(tmp_path: Path):
    # DuckDB draws a progress bar on stdout for queries over 2 s; it would corrupt --format csv/json.
    data = _ingested(tmp_path)
    with Shop.open(data).reader.cursor() as con:
        assert con.execute("SELECT current_setting('enable_progress_bar')").fetchall() == [(False,)]


def test_no_warehouse_error_says_which_command_makes_one(tmp_path: Path):
    result = runner.invoke(app, ["quality", "--data", str(tmp_path / "empty")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no warehouse in")
    assert "hint: run `shopops ingest FILE` or `shopops simulate` first" in result.stderr
    assert result.stdout == ""


def test_error_messages_are_printed_verbatim_not_as_markup(tmp_path: Path):
    data = _ingested(tmp_path)
    result = runner.invoke(app, ["kpi", "--data", str(data), "--top", "[bold]x"])
    assert result.exit_code == 2
    assert "--top must be 'products' or 'categories', not '[bold]x'" in " ".join(result.stderr.split())


def test_simulate_without_ingest_writes_the_sources_only(tmp_path: Path):
    result = runner.invoke(app, ["simulate", "--data", str(tmp_path), "--seed", "5", "--days", "30", "--products",
                                 "12", "--customers", "150", "--no-ingest"])
    assert result.exit_code == 0, result.output
    assert f"simulated into {tmp_path / 'sources' / 'sim-5'}" in " ".join(result.stdout.split())
    assert (tmp_path / "sources" / "sim-5" / "order_lines").is_dir()
    assert not (tmp_path / "warehouse.duckdb").exists()
    assert Shop.open(tmp_path).batches() == []
