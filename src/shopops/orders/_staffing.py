"""Staffing: orders and messages forecast per day and hour, pickers and packers per shift, agents per hour.

Orders per day (per warehouse) and customer messages per day are forecast with
:class:`shopops.forecast.DemandForecaster`; each day is spread over its hours by the weekday's
hourly profile of the last weeks. Pickers and packers per shift follow from configured
productivity; customer-service agents per hour from Erlang C on the message volume, with a target
share answered within a target time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from shopops.forecast import DemandForecaster
from shopops.orders._features import OrdersError
from shopops.result import Result
from shopops.warehouse import Reader

__all__ = ["Shift", "StaffingConfig", "StaffingPlan", "erlang_c_agents", "plot_staffing", "staffing_plan"]


@dataclass(frozen=True)
class Shift:
    """A warehouse shift: name and hours [start, end)."""

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class StaffingConfig:
    """Productivity and service targets.

    Parameters
    ----------
    picks_per_hour, packs_per_hour : float
        Orders one picker picks, one packer packs, per working hour.
    utilisation : float
        Share of a shift spent picking or packing (breaks, walking, restocking take the rest).
    shifts : tuple of Shift
        The warehouse shifts; an order placed in an hour is worked in the shift holding the next
        working hour (orders of the night go to the first shift).
    handle_minutes : float
        Average handling time of a customer message (minutes).
    answer_seconds, service_level : float
        Target: ``service_level`` of messages answered within ``answer_seconds``.
    """

    picks_per_hour: float = 25.0
    packs_per_hour: float = 35.0
    utilisation: float = 0.8
    shifts: tuple[Shift, ...] = (Shift("early", 6, 14), Shift("late", 14, 22))
    handle_minutes: float = 6.0
    answer_seconds: float = 60.0
    service_level: float = 0.8


@dataclass(kw_only=True)
class StaffingPlan(Result):
    """Forecast workload and the staff it needs."""

    capability: ClassVar[str] = "orders"
    daily: pd.DataFrame = field(default_factory=pd.DataFrame)  # day, warehouse, orders (+ q90), messages
    shifts: pd.DataFrame = field(default_factory=pd.DataFrame)  # day, warehouse, shift, orders, pickers, packers
    agents: pd.DataFrame = field(default_factory=pd.DataFrame)  # ts (hour), messages, agents


def erlang_c_agents(calls_per_hour: float, handle_minutes: float, answer_seconds: float,
                    service_level: float, max_agents: int = 10_000) -> int:
    """Fewest agents for which Erlang C answers ``service_level`` of contacts within ``answer_seconds``."""
    if calls_per_hour <= 0:
        return 0
    load = calls_per_hour * handle_minutes / 60.0  # offered traffic in Erlangs
    n = max(1, math.ceil(load))
    while n <= max_agents:
        if n > load:
            # Erlang B by the stable recursion, then C from B.
            b = 1.0
            for k in range(1, n + 1):
                b = load * b / (k + load * b)
            c = b / (1.0 - (load / n) * (1.0 - b))
            level = 1.0 - c * math.exp(-(n - load) * answer_seconds / (handle_minutes * 60.0))
            if level >= service_level:
                return n
        n += 1
    raise OrdersError(f"more than {max_agents} agents needed for {calls_per_hour:.0f} contacts per hour")


def _hourly_profile(times: pd.Series, weeks: int = 8) -> np.ndarray:
    """(7, 24) share of each weekday's volume per hour, over the last ``weeks`` weeks."""
    ts = pd.to_datetime(times)
    recent = ts[ts >= ts.max() - pd.Timedelta(weeks=weeks)]
    counts = np.zeros((7, 24))
    np.add.at(counts, (recent.dt.weekday.to_numpy(), recent.dt.hour.to_numpy()), 1.0)
    counts += 0.1  # no hour is impossible
    return np.asarray(counts / counts.sum(axis=1, keepdims=True))


def staffing_plan(reader: Reader, *, weeks: int = 4, config: StaffingConfig | None = None,
                  seed: int = 0) -> StaffingPlan:
    """Forecast ``weeks`` of orders and messages and the pickers, packers and agents they need."""
    if not 1 <= weeks <= 8:
        raise OrdersError(f"weeks must be between 1 and 8 (the forecast's reach), not {weeks}")
    cfg = config or StaffingConfig()
    orders = reader.frame("SELECT coalesce(warehouse, 'all') AS unique_id, order_date AS ds, count(*) AS y "
                          "FROM fact_fulfilment GROUP BY ALL ORDER BY 1, 2")
    if orders.empty:
        raise OrdersError("no orders in the warehouse to forecast from")
    has_messages = reader.has("fact_message")
    messages = reader.frame("SELECT 'messages' AS unique_id, CAST(ts AS DATE) AS ds, count(*) AS y FROM fact_message "
                            "GROUP BY ALL ORDER BY 2") if has_messages else pd.DataFrame()
    history = pd.concat([orders, messages], ignore_index=True)
    last = pd.to_datetime(orders.ds).max()
    history = history[pd.to_datetime(history.ds) <= last]
    horizon = weeks * 7
    model = DemandForecaster(horizon=horizon, freq="D", seed=seed).fit(history)
    fc = model.predict(horizon)
    fc["ds"] = pd.to_datetime(fc.ds)
    order_fc = fc[fc.unique_id != "messages"].rename(columns={"unique_id": "warehouse", "ds": "day"})
    daily = order_fc[["day", "warehouse", "yhat", "q90"]].rename(columns={"yhat": "orders", "q90": "orders_q90"})
    msg_fc = fc[fc.unique_id == "messages"][["ds", "yhat"]].rename(columns={"ds": "day", "yhat": "messages"})
    daily = daily.merge(msg_fc, on="day", how="left").fillna({"messages": 0.0})

    times = reader.frame("SELECT ordered_at FROM fact_fulfilment WHERE ordered_at >= "
                         "(SELECT max(ordered_at) - INTERVAL 8 WEEK FROM fact_fulfilment)").ordered_at
    profile = _hourly_profile(times)
    shift_of_hour = np.full(24, 0)
    for hour in range(24):
        inside = [k for k, s in enumerate(cfg.shifts) if s.start <= hour < s.end]
        later = [k for k, s in enumerate(cfg.shifts) if s.start > hour]
        shift_of_hour[hour] = inside[0] if inside else (later[0] if later else 0)
    rows = []
    for rec in daily.itertuples(index=False):
        share = profile[rec.day.weekday()]
        for k, s in enumerate(cfg.shifts):
            work = float(rec.orders_q90 * share[shift_of_hour == k].sum())
            hours = (s.end - s.start) * cfg.utilisation
            rows.append({"day": rec.day, "warehouse": rec.warehouse, "shift": s.name, "orders": work,
                         "pickers": math.ceil(work / (cfg.picks_per_hour * hours)) if work > 0 else 0,
                         "packers": math.ceil(work / (cfg.packs_per_hour * hours)) if work > 0 else 0})
    shifts = pd.DataFrame(rows)

    agents = []
    msg_profile = profile
    if has_messages:
        msg_times = reader.frame("SELECT ts FROM fact_message").ts
        if len(msg_times) >= 50:
            msg_profile = _hourly_profile(msg_times)
    for rec in msg_fc.itertuples(index=False):
        for hour in range(24):
            volume = float(rec.messages * msg_profile[rec.day.weekday(), hour])
            agents.append({"ts": rec.day + pd.Timedelta(hours=hour), "messages": volume,
                           "agents": erlang_c_agents(volume, cfg.handle_minutes, cfg.answer_seconds,
                                                     cfg.service_level)})
    return StaffingPlan(
        model="DemandForecaster on orders per warehouse and messages per day, weekday hour profiles, Erlang C",
        params={"weeks": weeks, "picks_per_hour": cfg.picks_per_hour, "packs_per_hour": cfg.packs_per_hour,
                "utilisation": cfg.utilisation, "handle_minutes": cfg.handle_minutes,
                "answer_seconds": cfg.answer_seconds, "service_level": cfg.service_level, "seed": seed},
        metrics={f"inner_rmsse_{r['class']}": r[r["model"]] for r in model.choice_.to_dict("records")},
        daily=daily, shifts=shifts, agents=pd.DataFrame(agents, columns=["ts", "messages", "agents"]))


def plot_staffing(plan: StaffingPlan, path: Path) -> Path:
    """Orders, pickers and packers per day and agents per hour, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(10, 8), sharex=False)
    per_day = plan.daily.groupby("day")[["orders", "orders_q90"]].sum()
    axes[0].plot(per_day.index, per_day.orders, label="orders (forecast)")
    axes[0].plot(per_day.index, per_day.orders_q90, "--", label="90th percentile")
    axes[0].set_ylabel("orders / day")
    axes[0].legend()
    staff = plan.shifts.groupby(["day", "shift"])[["pickers", "packers"]].sum().unstack("shift")
    staff.columns = [f"{role}, {shift} shift" for role, shift in staff.columns]
    staff.plot(ax=axes[1], drawstyle="steps-mid")
    axes[1].set_ylabel("staff per shift")
    if not plan.agents.empty:
        axes[2].step(plan.agents.ts, plan.agents.agents, where="mid")
    axes[2].set_ylabel("agents per hour")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
