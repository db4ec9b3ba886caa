"""Our policy against the best-tuned static min/max rule: the fill-rate / stock trade-off of each.

Both policies are replayed on the same demand with the same lead times. Ours sweeps its target fill
rate. Min/max sweeps a grid of cover days (min and max as days of mean demand), both as ERPs run it
(levels fixed from the history before the replay) and refreshed monthly from the last quarter, and
is then tuned per ABC class: for every price of stock, each class takes the grid point that serves
the most units for it. The lower envelope of (fill rate, average stock value) of each policy is its
trade-off curve; the comparison reads both curves at the same fill rate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from shopops.errors import ShopopsError
from shopops.inventory._demand import BootstrapDemand, DemandSampler
from shopops.inventory._history import daily_demand
from shopops.inventory._params import InventoryDefaults, load_params, prepare_params
from shopops.inventory._replay import FillRatePolicy, MinMaxPolicy, ReplayResult, replay_policy
from shopops.result import Result

if TYPE_CHECKING:
    from shopops.warehouse import Reader

__all__ = ["PolicyComparison", "compare_policies", "frontier", "simulate_policy", "stock_at"]

DEFAULT_TARGETS = (0.80, 0.85, 0.90, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998)
DEFAULT_MIN_DAYS = (7, 14, 21, 28, 42, 56, 70, 84, 100, 120, 150)
DEFAULT_MAX_RATIOS = (1.5, 2.0, 3.0)


def frontier(points: pd.DataFrame) -> pd.DataFrame:
    """The lower envelope of ``fill_rate`` → ``average_stock_value``: no point serves more with less stock."""
    pts = points.sort_values(["fill_rate", "average_stock_value"]).reset_index(drop=True)
    keep: list[int] = []
    best = np.inf
    for i in range(len(pts) - 1, -1, -1):  # from the highest fill rate down
        if pts.at[i, "average_stock_value"] < best:
            best = pts.at[i, "average_stock_value"]
            keep.append(i)
    return pts.loc[sorted(keep)].reset_index(drop=True)


def stock_at(front: pd.DataFrame, fill: float) -> float:
    """Average stock value a frontier needs for ``fill`` (linear between its points; nan if out of reach)."""
    x, y = front["fill_rate"].to_numpy(), front["average_stock_value"].to_numpy()
    if len(x) == 0 or fill > x.max():
        return float("nan")
    return float(np.interp(fill, x, y))


@dataclass(kw_only=True)
class PolicyComparison(Result):
    """Replay results of both policies and the stock each needs at the target fill rate.

    ``metrics``: the average stock value each policy needs at ``target_fill`` in the replay and the savings.
    """

    capability: ClassVar[str] = "inventory"
    points: pd.DataFrame
    ours: pd.DataFrame
    minmax: pd.DataFrame
    static: pd.DataFrame
    target_fill: float
    results: dict[str, ReplayResult] = field(repr=False, default_factory=dict)

    @property
    def stock_ours(self) -> float:
        """Average stock value of our policy at the target fill rate."""
        return stock_at(self.ours, self.target_fill)

    @property
    def stock_minmax(self) -> float:
        """Average stock value of the best-tuned min/max at the target fill rate."""
        return stock_at(self.minmax, self.target_fill)

    @property
    def saving(self) -> float:
        """Share of stock value saved against the best-tuned min/max, fixed or refreshed (0.2 = 20 % less)."""
        return 1.0 - self.stock_ours / self.stock_minmax

    @property
    def saving_vs_static(self) -> float:
        """The same against the min/max rule as ERPs run it: levels fixed from the history."""
        return 1.0 - self.stock_ours / stock_at(self.static, self.target_fill)

    def summary(self) -> pd.DataFrame:
        """One row per policy at the target fill rate (nearest replayed point's other metrics)."""
        rows = []
        for name, front in (("shopops fill-rate (R,S)", self.ours), ("best-tuned min/max", self.minmax),
                            ("best-tuned static min/max (ERP)", self.static)):
            ok = front[front["fill_rate"] >= self.target_fill]
            if front.empty:
                continue
            nearest = ok.iloc[0] if len(ok) else front.iloc[-1]
            rows.append({"policy": name, "fill_rate": self.target_fill,
                         "average_stock_value": stock_at(front, self.target_fill),
                         "nearest_point": nearest["label"], "nearest_fill_rate": nearest["fill_rate"],
                         "cycle_service_level": nearest["cycle_service_level"],
                         "stockout_days": nearest["stockout_days"], "turnover": nearest["turnover"],
                         "order_lines": nearest["order_lines"], "total_cost": nearest["total_cost"]})
        return pd.DataFrame(rows)

    def plot(self, path: Path, title: str = "") -> Path:
        """Save the trade-off curves (fill rate vs average stock value) as a PNG."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
        mm = self.points[self.points["policy"].str.startswith("minmax")]
        ax.scatter(mm["fill_rate"], mm["average_stock_value"], s=8, color="#bbbbbb", label="min/max grid points")
        for front, colour, label in ((self.static, "#ff9896", "static min/max (ERP), tuned per class"),
                                     (self.minmax, "#d62728", "min/max also refreshed monthly, tuned"),
                                     (self.ours, "#1f77b4", "shopops fill-rate (R,S)")):
            ax.plot(front["fill_rate"], front["average_stock_value"], "o-", color=colour, ms=3, label=label)
        ax.axvline(self.target_fill, color="#555555", lw=0.8, ls="--")
        ax.set_xlabel("fill rate (share of demand served from stock)")
        ax.set_ylabel("average stock value")
        lo = max(0.5, float(self.points["fill_rate"].min()))
        ax.set_xlim(lo, 1.0)
        ax.set_ylim(0, float(stock_at(self.minmax, 0.985) if self.minmax["fill_rate"].max() > 0.985
                             else self.points["average_stock_value"].max()) * 1.1)
        saving = f" – {self.saving:.0%} less stock at {self.target_fill:.0%} fill" if np.isfinite(self.saving) else ""
        ax.set_title((title + saving).strip(" –"), fontsize=10)
        ax.legend(fontsize=8, loc="upper left")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
        plt.close(fig)
        return path


def _row(label: str, policy: str, result: ReplayResult) -> dict[str, object]:
    return {"label": label, "policy": policy, **{k: v for k, v in result.summary().items() if k != "policy"}}


def _tuned_per_class(grid: list[ReplayResult], labels: list[str], classes: np.ndarray,
                     lambdas: np.ndarray) -> list[dict[str, object]]:
    """Per-class best grid points for each price of stock ``λ`` (maximise served − λ · stock per class)."""
    names = sorted(set(classes))
    served = np.array([[r.per_product["served"][classes == c].sum() for c in names] for r in grid])
    stock = np.array([[r.per_product["stock_value"][classes == c].sum() for c in names] for r in grid])
    demand = float(grid[0].per_product["demand"].sum())
    rows: list[dict[str, object]] = []
    for lam in lambdas:
        pick = np.argmax(served - lam * stock, axis=0)
        cols = np.arange(len(names))
        fill = served[pick, cols].sum() / demand if demand > 0 else 1.0
        label = "per class " + ", ".join(f"{c}:{labels[g]}" for c, g in zip(names, pick, strict=True))
        chosen = [grid[g] for g in pick]
        rows.append({"label": label, "policy": "minmax-class", "fill_rate": fill,
                     "average_stock_value": float(stock[pick, cols].sum()),
                     "cycle_service_level": float(np.mean([r.cycle_service_level for r in chosen])),
                     "stockout_days": float(np.mean([r.stockout_days for r in chosen])),
                     "turnover": float(np.mean([r.turnover for r in chosen])),
                     "order_lines": int(np.mean([r.order_lines for r in chosen])),
                     "total_cost": float(np.mean([r.total_cost for r in chosen])),
                     "days": grid[0].days})
    return rows


def compare_policies(
    demand: np.ndarray,
    *,
    start: int,
    unit_cost: np.ndarray,
    lead_mean: np.ndarray,
    lead_sd: np.ndarray,
    classes: np.ndarray,
    moq: np.ndarray | None = None,
    case_pack: np.ndarray | None = None,
    target_fill: float = 0.95,
    targets: Sequence[float] = DEFAULT_TARGETS,
    min_days: Sequence[float] = DEFAULT_MIN_DAYS,
    max_ratios: Sequence[float] = DEFAULT_MAX_RATIOS,
    review_days: int = 7,
    sampler: DemandSampler | None = None,
    seed: int = 0,
    per_product: bool = True,
    on_step: Callable[[str], None] | None = None,
    **replay_options: float,
) -> PolicyComparison:
    """Replay our policy and the min/max rule on ``demand`` and compare them at ``target_fill``.

    Parameters
    ----------
    demand : ndarray, shape (n, days)
        Daily demand; the days before ``start`` are the history both policies start from.
    start : int
        First replayed day.
    unit_cost, lead_mean, lead_sd : ndarray, shape (n,)
        Per-product cost and lead time.
    classes : ndarray, shape (n,)
        Class per product (e.g. ABC) that the min/max rule is tuned for.
    moq, case_pack : ndarray or None
        Minimum order quantity and case pack per product.
    target_fill : float
        The fill rate at which the stock of both is compared.
    targets : sequence of float
        Target fill rates our policy is replayed with.
    min_days, max_ratios : sequence of float
        The min/max grid: min = days × mean demand, max = min × ratio.
    review_days : int
        Review period of our policy.
    sampler : BootstrapDemand, ForecastDemand or None
        Lead-time demand model of our policy (default: the bootstrap).
    seed : int
        Seed of the lead times (shared by every replay).
    per_product : bool
        Also replay our policy with the same target for every product (not only the overall target).
    on_step : callable or None
        Progress callback.
    **replay_options
        Passed to :func:`replay_policy` (``holding_rate``, ``order_cost``, …).
    """
    if not 0 < target_fill < 1:
        raise ShopopsError(f"target fill rate must be between 0 and 1, not {target_fill:g}")
    step = on_step or (lambda _msg: None)
    common = {"start": start, "unit_cost": unit_cost, "lead_mean": lead_mean, "lead_sd": lead_sd, "moq": moq,
              "case_pack": case_pack, "seed": seed, **replay_options}
    rows: list[dict[str, object]] = []
    results: dict[str, ReplayResult] = {}
    for tgt in targets:
        for mode, cost in (("pooled", unit_cost), ("per product", None))[:2 if per_product else 1]:
            step(f"our policy ({mode}) at target fill {tgt:.0%}")
            pol = FillRatePolicy(tgt, lead_mean, lead_sd, review_days=review_days,
                                 demand=sampler or BootstrapDemand(), unit_cost=cost)
            res = replay_policy(pol, demand, **common)  # type: ignore[arg-type]
            results[f"ours {mode} {tgt:.2f}"] = res
            rows.append(_row(f"{mode} target {tgt:.2f}", f"ours-{mode}", res))
    for refresh, kind in ((None, "static"), (28, "monthly")):
        grid: list[ReplayResult] = []
        labels: list[str] = []
        for lo in min_days:
            for ratio in max_ratios:
                step(f"min/max {kind} {lo:g}/{lo * ratio:g} days")
                res = replay_policy(MinMaxPolicy(lo, lo * ratio, replan_days=refresh), demand,
                                    **common)  # type: ignore[arg-type]
                grid.append(res)
                labels.append(f"{lo:g}/{lo * ratio:g}d")
                rows.append(_row(f"{kind} {lo:g}/{lo * ratio:g} days", f"minmax-{kind}", res))
        unit = float(np.median([r.average_stock_value / max(float(r.per_product["served"].sum()), 1.0)
                                for r in grid]))
        lambdas = np.geomspace(1e-3, 1e3, 200) / max(unit, 1e-9)
        for row in _tuned_per_class(grid, labels, np.asarray(classes), lambdas):
            row["label"] = f"{kind} {row['label']}"
            row["policy"] = f"minmax-{kind}-class"
            rows.append(row)
    points = pd.DataFrame(rows)
    ours = frontier(points[points["policy"] == "ours-pooled"])
    minmax = frontier(points[points["policy"].str.startswith("minmax")])
    static = frontier(points[points["policy"].str.startswith("minmax-static")])
    comparison = PolicyComparison(
        model="replay of the fill-rate (R,S) policy against min/max grids tuned per ABC class",
        params={"start": start, "target_fill": target_fill, "targets": list(targets), "min_days": list(min_days),
                "max_ratios": list(max_ratios), "per_product": per_product, "review_days": review_days, "seed": seed,
                **replay_options},
        points=points, ours=ours, minmax=minmax, static=static, target_fill=target_fill, results=results)
    comparison.metrics.update(stock_ours=comparison.stock_ours, stock_minmax=comparison.stock_minmax,
                              stock_static=stock_at(static, target_fill), saving=comparison.saving,
                              saving_vs_static=comparison.saving_vs_static)
    return comparison


def simulate_policy(reader: Reader, *, target_fill: float = 0.95, history_days: int = 91, truth: bool | None = None,
                    lead_time_days: float | None = None, lead_time_sd_days: float | None = None,
                    backorders: bool = False, targets: Sequence[float] = DEFAULT_TARGETS,
                    min_days: Sequence[float] = DEFAULT_MIN_DAYS, max_ratios: Sequence[float] = DEFAULT_MAX_RATIOS,
                    per_product: bool = True, defaults: InventoryDefaults | None = None,
                    on_step: Callable[[str], None] | None = None) -> PolicyComparison:
    """Replay a shop's own daily demand under our policy and the best-tuned min/max rule.

    Parameters
    ----------
    reader : Reader
        The shop; its demand history, lead times, packs and costs are used (defaults where unknown).
    target_fill : float
        Fill rate at which the two are compared.
    history_days : int
        Days at the start that only serve as history; the rest is replayed.
    truth : bool or None
        Replay the true demand (simulated shop: sales plus lost sales); default: when it exists.
    lead_time_days, lead_time_sd_days : float or None
        Assume these lead times for every product instead of the data's.
    backorders : bool
        Unserved demand waits for stock instead of being lost.
    targets, min_days, max_ratios : sequence of float
        The grids of both policies (see :func:`compare_policies`).
    per_product : bool
        Also replay our policy with the same target for every product.
    defaults : InventoryDefaults or None
        Defaults for missing parameters.
    on_step : callable or None
        Progress callback.
    """
    defaults = defaults or InventoryDefaults()
    if truth is None:
        truth = int(reader.sql("SELECT count(*) AS n FROM fact_demand_truth")["n"].iat[0]) > 0
    demand = daily_demand(reader, truth=truth)
    if demand.days <= history_days + 28:
        raise ShopopsError(f"{demand.days} days of demand: a replay needs more than {history_days} days of history "
                           "plus at least 28 days to replay (lower history_days)")
    # Products that sold in the history and in the replayed period: a policy needs a past to plan on.
    selling = (demand.units[:, :history_days].sum(axis=1) > 0) & (demand.units[:, history_days:].sum(axis=1) > 0)
    if not selling.any():
        raise ShopopsError("no product sold both in the history and in the replayed period")
    demand = demand.subset(selling)
    params = prepare_params(load_params(reader, demand, demand.end), demand, defaults)
    lead = params["lead_time_days"].to_numpy(float) if lead_time_days is None else np.full(len(params), lead_time_days)
    lead_sd = (params["lead_time_sd_days"].to_numpy(float) if lead_time_sd_days is None
               else np.full(len(params), lead_time_sd_days))
    return compare_policies(
        demand.units, start=history_days, unit_cost=params["unit_cost"].to_numpy(float), lead_mean=lead,
        lead_sd=lead_sd, classes=params["abc"].to_numpy(), moq=params["moq"].to_numpy(float),
        case_pack=params["case_pack"].to_numpy(float), target_fill=target_fill, targets=targets, min_days=min_days,
        max_ratios=max_ratios, per_product=per_product, on_step=on_step, holding_rate=defaults.holding_rate,
        order_cost=defaults.order_cost, shortage_cost=params["shortage_cost"].to_numpy(float), backorders=backorders)
