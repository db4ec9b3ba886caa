"""Customers: ``shopops segment``, ``churn`` and ``clv``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from shopops.cli._app import DataOpt, FormatOpt, app, console, emit, steps, write_frame
from shopops.shop import Shop

__all__ = ["churn", "clv", "segment"]


@app.command()
def segment(
    data: DataOpt = None,
    as_of: Annotated[str | None, typer.Option(help="Analysis date YYYY-MM-DD (default: day after the last order).")]
    = None,
    out: Annotated[Path | None, typer.Option(help="Write every customer (id, RFM, segment, cluster) to this "
                                                  "CSV/Parquet file.")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write the segment chart to this PNG file.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """RFM segments (named by documented rules) and k-means clusters of the customers."""
    with steps("segments") as step:
        step("RFM, segments and clusters")
        shop = Shop.open(data)
        segments = shop.segments(as_of)
        table = segments.frame
        summary = shop.segment_summary(as_of)
    emit(summary, fmt, "Segments")
    profiles = segments.cluster_profiles
    if fmt == "table" and isinstance(profiles, pd.DataFrame) and not profiles.empty:
        scores = ", ".join(f"k={k}: {v:.3f}" for k, v in segments.silhouette.items())
        emit(profiles[["cluster", "customers", "share", "revenue_share", "median_recency_days",
                       "median_frequency", "median_monetary", "description"]], "table",
             f"Clusters (k chosen by silhouette; {scores})")
    if out is not None:
        write_frame(table, out)
    if plot is not None:
        from shopops.customers.plots import plot_segments

        console.print(f"plot: {plot_segments(summary, plot)}")


@app.command()
def churn(
    data: DataOpt = None,
    horizon_days: Annotated[int, typer.Option(help="Churned = no purchase within this many days.")] = 90,
    as_of: Annotated[str | None, typer.Option(help="Analysis date YYYY-MM-DD.")] = None,
    top: Annotated[int, typer.Option(help="Customers to show, highest risk first.")] = 20,
    out: Annotated[Path | None, typer.Option(help="Write every customer's risk and reasons to this file.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Churn probability per customer (LightGBM on a time split) with holdout AUC, PR-AUC and lift."""
    with steps("churn") as step:
        step("features, time-split training, holdout")
        churn_result = Shop.open(data).churn(horizon_days, as_of)
    risk, metrics = churn_result.frame, churn_result.metrics
    emit(risk.head(top)[["customer_id", "churn_probability", "recency_days", "frequency", "monetary",
                         "reasons"]], fmt, f"Churn risk (no purchase in {horizon_days} days)")
    if fmt == "table":
        console.print(
            f"holdout ({churn_result.windows['holdout_cutoff']}, {int(metrics['customers']):,} customers, "
            f"churn rate {metrics['churn_rate']:.1%}): AUC {metrics['auc']:.3f} (recency alone "
            f"{metrics['auc_recency_only']:.3f}), PR-AUC {metrics['pr_auc']:.3f}, top-decile lift "
            f"{metrics['top_decile_lift']:.2f}"
        )
        top_features = sorted(churn_result.importance.items(), key=lambda kv: -kv[1])[:5]
        console.print("model: LightGBM (time split, see docs/customers.md); most important features (mean "
                      "|SHAP|): " + ", ".join(f"{name} {value:.2f}" for name, value in top_features))
    if out is not None:
        write_frame(risk, out)


@app.command()
def clv(
    data: DataOpt = None,
    horizon_days: Annotated[int, typer.Option(help="Days ahead to value.")] = 365,
    as_of: Annotated[str | None, typer.Option(help="End of the history used, YYYY-MM-DD.")] = None,
    top: Annotated[int, typer.Option(help="Customers to show, most valuable first.")] = 20,
    out: Annotated[Path | None, typer.Option(help="Write every customer's CLV to this file.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Expected purchases, value and P(alive) per customer (BG/NBD + Gamma-Gamma)."""
    with steps("clv") as step:
        step("BG/NBD and Gamma-Gamma")
        clv_result = Shop.open(data).clv(horizon_days, as_of)
        values = clv_result.customers
    emit(values.head(top)[["customer_id", "frequency", "p_alive", "expected_purchases", "expected_order_value",
                           "clv"]], fmt, f"Customer lifetime value, next {horizon_days} days")
    if fmt == "table":
        params = ", ".join(f"{k} {v:.4g}" for k, v in clv_result.bgnbd_params.items())
        console.print(f"BG/NBD: {params}; Gamma-Gamma: " +
                      (", ".join(f"{k} {v:.4g}" for k, v in clv_result.gamma_gamma_params.items()) or "not fitted"))
        bt = clv_result.backtest
        if bt.get("status") == "ok":
            console.print(f"backtest (holdout after {bt['calibration_end']}, {bt['holdout_days']:.0f} days): "
                          f"predicted {bt['predicted_repeat_purchases']:,.0f} repeat purchases, actual "
                          f"{bt['actual_repeat_purchases']:,.0f}; per-customer correlation "
                          f"{bt['correlation']:.2f}")
        else:
            console.print(f"backtest {bt.get('status')}")
    if out is not None:
        write_frame(values, out)
