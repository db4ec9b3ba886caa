"""The backtest report: one self-contained HTML file (tables and PNG plots embedded as base64)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
from markupsafe import Markup

from shopops.forecast._backtest import BacktestResult
from shopops.forecast._history import ForecastError
from shopops.forecast._metrics import CALIBRATION_LEVELS, QUANTILES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["coverage_figure", "reliability_figure", "series_figure", "top_series", "write_backtest_report"]


def _figure(width: float, height: float) -> tuple[Figure, AbstractContextManager[Any]]:
    """A matplotlib figure and its style context; matplotlib is imported only when a report is drawn."""
    import matplotlib
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height)), matplotlib.rc_context({"font.size": 9})

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="generator" content="shopops">
<title>{{ title }}</title>
<style>
body { font: 14px/1.5 -apple-system, "Segoe UI", Roboto, Arial, "DejaVu Sans", sans-serif; color: #1f2937;
  max-width: 1100px; margin: 0 auto; padding: 20px; }
table { border-collapse: collapse; margin: 8px 0 20px; } td, th { padding: 3px 8px; border-bottom: 1px solid #e5e7eb;
  text-align: right; } th:first-child, td:first-child { text-align: left; } img { max-width: 100%; }
.note { color: #6b7280; }
</style></head><body>
<h1>{{ title }}</h1>
<p class="note">Horizon {{ horizon }} periods; origins {{ origins }}. WRMSSE weights: revenue over the
{{ horizon }} periods before each origin (M5). Coverage: share of actuals at or below q80 / q95 (one-sided
upper bounds), and inside [q05, q95].</p>
<h2>Scores over all origins</h2>{{ summary }}
<h2>Scores per origin</h2>{{ by_origin }}
<h2>Model chosen per demand class (inner backtest, weighted RMSSE)</h2>{{ choices }}
<h2>Global LightGBM: feature importance (share of split gain)</h2>{{ importances }}
<h2>Calibration: P(y &le; q) against the level (reliability diagram)</h2>
<p class="note">Per demand class and per revenue decile of the chosen forecasts, and for each peer with quantiles.
On the diagonal is calibrated; below it the quantiles are too low.</p>
<img alt="reliability" src="data:image/png;base64,{{ reliability }}">
<h2>Calibration and bias per revenue decile (10 = most revenue) and demand class</h2>{{ calibration }}
<h2>Interval coverage by demand class</h2><img alt="coverage" src="data:image/png;base64,{{ coverage }}">
<h2>Actual vs forecast, chosen series</h2>
{% for name, img in plots %}<h3>{{ name }}</h3><img alt="{{ name }}" src="data:image/png;base64,{{ img }}">{% endfor %}
</body></html>
"""


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def top_series(result: BacktestResult, n: int = 6) -> list[str]:
    """The ``n`` series with the most revenue weight at the last origin."""
    last = result.series[(result.series["model"] == "auto") & (result.series["origin"] == result.origins[-1])]
    return [str(x) for x in last.nlargest(n, "weight")["unique_id"]]


def series_figure(result: BacktestResult, unique_id: str) -> Figure:
    """Actual demand vs the forecast and its q05-q95 band (q80 dashed), over every origin's window."""
    frame = result.forecasts[result.forecasts["unique_id"] == unique_id]
    if frame.empty:
        raise ForecastError(f"series {unique_id!r} is not in the backtest")
    fig, style = _figure(9, 2.6)
    with style:
        ax = fig.subplots()
        for _origin, part in frame.groupby("origin"):
            ax.fill_between(part["ds"], part["q05"], part["q95"], color="#93c5fd", alpha=0.5, linewidth=0)
            ax.plot(part["ds"], part["q80"], color="#1d4ed8", linestyle="--", linewidth=0.8)
            ax.plot(part["ds"], part["yhat"], color="#1d4ed8", linewidth=1.2)
        ax.plot(frame["ds"], frame["y"], "o", color="#111827", markersize=2.5)
        ax.set_title(f"{unique_id}: actual (dots), forecast (line), q80 (dashed), q05-q95 band", fontsize=9)
        ax.set_ylabel("units per period")
        fig.autofmt_xdate()
    return fig


def coverage_figure(result: BacktestResult) -> Figure:
    """Share of actuals at or below q80 and q95 of the chosen forecast, overall and per demand class."""
    frame = result.forecasts
    groups = {"all": frame, **{str(k): g for k, g in frame.groupby("demand_class")}}
    names = list(groups)
    c80 = [float((g["y"] <= g["q80"] + 1e-9).mean()) for g in groups.values()]
    c95 = [float((g["y"] <= g["q95"] + 1e-9).mean()) for g in groups.values()]
    fig, style = _figure(7, 2.8)
    with style:
        ax = fig.subplots()
        x = np.arange(len(names))
        ax.bar(x - 0.2, c80, 0.4, label="P(y <= q80)", color="#93c5fd")
        ax.bar(x + 0.2, c95, 0.4, label="P(y <= q95)", color="#1d4ed8")
        ax.axhline(0.8, color="#93c5fd", linestyle=":")
        ax.axhline(0.95, color="#1d4ed8", linestyle=":")
        ax.set_xticks(x, names)
        ax.set_ylim(0.5, 1.0)
        ax.legend(loc="lower right")
        ax.set_title("Coverage of the upper quantiles in the backtest (dotted: nominal)")
    return fig


def reliability_figure(result: BacktestResult) -> Figure:
    """P(y <= q) against the quantile level: chosen forecasts per revenue decile and class, and the peers."""
    cal = result.calibration
    levels = [QUANTILES[q] for q in CALIBRATION_LEVELS]
    cols = [f"P(y<={q})" for q in CALIBRATION_LEVELS]
    fig, style = _figure(10, 3.4)
    with style:
        axes = fig.subplots(1, 3, sharey=True)
        panels = (("chosen forecasts by revenue decile", "auto", "revenue_decile"),
                  ("chosen forecasts by demand class", "auto", "demand_class"))
        for ax, (title, model, grouping) in zip(axes, panels, strict=False):
            part = cal[(cal["model"] == model) & (cal["grouping"] == grouping)].groupby("group")[cols].mean()
            if grouping == "revenue_decile":
                part = part.loc[sorted(part.index, key=int)]
            for k, (group, row) in enumerate(part.iterrows()):
                ax.plot(levels, row.to_numpy(), marker="o", markersize=3,
                        color=matplotlib_colour(k, len(part)), label=str(group))
            ax.set_title(title)
            ax.legend(fontsize=6, ncols=2, loc="lower right")
        top = cal[(cal["grouping"] == "revenue_decile") & (cal["group"] == "10")].groupby("model")[cols].mean()
        for k, (model, row) in enumerate(top.dropna().iterrows()):
            axes[2].plot(levels, row.to_numpy(), marker="o", markersize=3, color=matplotlib_colour(k, len(top)),
                         label="shopops" if model == "auto" else str(model))
        axes[2].set_title("top revenue decile, every model")
        axes[2].legend(fontsize=6, loc="lower right")
        for ax in axes:
            ax.plot([0.4, 1.0], [0.4, 1.0], color="#9ca3af", linestyle=":")
            ax.set_xlabel("quantile level")
            ax.set_xlim(0.45, 1.0)
            ax.set_ylim(0.0, 1.0)
        axes[0].set_ylabel("P(y <= q)")
    return fig


def matplotlib_colour(k: int, n: int) -> tuple[float, float, float, float]:
    """The ``k``-th of ``n`` colours of the viridis map."""
    from matplotlib import colormaps

    return tuple(colormaps["viridis"](k / max(n - 1, 1)))  # type: ignore[return-value]


def write_backtest_report(result: BacktestResult, path: Path | str, series: Sequence[str] | None = None,
                          title: str = "shopops forecast backtest") -> Path:
    """Write the HTML report: score tables, chosen models, feature importances and plots of ``series``."""
    out = Path(path)
    chosen = list(series) if series else top_series(result)
    choices = result.choices.pivot_table(index="class", columns="origin", values="model", aggfunc="first")
    importances = result.importances.groupby("feature")["gain_share"].mean().sort_values(ascending=False)
    html = jinja2.Environment(autoescape=True).from_string(_TEMPLATE).render(
        title=title, horizon=result.horizon, origins=", ".join(f"{o:%Y-%m-%d}" for o in result.origins),
        summary=Markup(result.summary.to_html(index=False, float_format="%.3f")),
        by_origin=Markup(result.by_origin.to_html(index=False, float_format="%.3f")),
        choices=Markup(choices.to_html()),
        importances=Markup(importances.to_frame().to_html(float_format="%.3f")),
        coverage=_png(coverage_figure(result)),
        reliability=_png(reliability_figure(result)),
        calibration=Markup(result.calibration[result.calibration["model"] == "auto"]
                           .groupby(["grouping", "group"], sort=False)[["series", "bias", *[
                               f"P(y<={q})" for q in CALIBRATION_LEVELS]]].mean()
                           .to_html(float_format="%.3f")),
        plots=[(name, _png(series_figure(result, name))) for name in chosen],
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
