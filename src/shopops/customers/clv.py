"""Customer lifetime value: BG/NBD (purchases and P(alive)) and Gamma-Gamma (spend per purchase).

Log-likelihoods and their analytic gradients are vectorised in NumPy/SciPy (``gammaln``, ``betaln``,
``digamma``; the two BG/NBD terms are added in log space so large ``x`` does not overflow) and fitted by
L-BFGS-B on log-parameters. Customers with identical ``(x, t_x, T)`` are collapsed into weighted rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

from shopops.errors import CustomerDataError
from shopops.result import Result

__all__ = ["BetaGeoModel", "ClvResult", "GammaGammaModel", "clv_summary", "customer_lifetime_value", "repeat_tracking"]

_DAYS = {"D": 1.0, "W": 7.0}


def _check_columns(df: pd.DataFrame, cols: tuple[str, ...], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        have = ", ".join(map(str, df.columns))
        raise CustomerDataError(f"{what}: missing column(s) {', '.join(missing)}; the columns are {have}")


def clv_summary(transactions: pd.DataFrame, *, calibration_end: str | pd.Timestamp,
                observation_end: str | pd.Timestamp | None = None, unit: str = "W",
                customer_col: str = "customer_id", date_col: str = "date",
                value_col: str | None = "value") -> pd.DataFrame:
    """Per-customer BG/NBD inputs from a transaction log.

    Purchases on one day count as one transaction (as in Fader, Hardie and Lee 2005), so
    ``frequency`` is the number of distinct purchase days after the first one.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase (or order line) with ``customer_col``, ``date_col`` and ``value_col``.
    calibration_end : date
        Last day of the calibration (fitting) period, inclusive.
    observation_end : date or None
        Last day of the holdout period; adds ``frequency_holdout`` and ``duration_holdout``.
    unit : str
        ``"W"`` (weeks) or ``"D"`` (days).
    customer_col, date_col, value_col : str
        Column names (``value_col`` None: no monetary value).

    Returns
    -------
    DataFrame
        Indexed by customer: ``frequency`` (x), ``recency`` (t_x), ``T``, ``monetary_value`` (mean
        value of the repeat days, 0 without repeats), ``first_purchase`` and holdout columns.
    """
    if unit not in _DAYS:
        raise CustomerDataError(f"unit must be 'W' or 'D', not {unit!r}")
    cols = (customer_col, date_col) + ((value_col,) if value_col else ())
    _check_columns(transactions, cols, "transactions")
    cal_end = pd.Timestamp(calibration_end).normalize()
    tx = transactions.loc[transactions[customer_col].notna(), list(cols)].copy()
    tx["_day"] = pd.to_datetime(tx[date_col]).dt.normalize()
    if value_col is None:
        tx["_value"] = 0.0
    else:
        tx["_value"] = pd.to_numeric(tx[value_col], errors="coerce").fillna(0.0)
    days = tx.groupby([customer_col, "_day"], sort=True, observed=True)["_value"].sum().reset_index()
    first = days.groupby(customer_col, observed=True)["_day"].transform("min")
    days = days[first <= cal_end]
    first = first[first <= cal_end]
    if days.empty:
        raise CustomerDataError(f"no customer made a purchase on or before the calibration end {cal_end.date()}")
    scale = _DAYS[unit]
    cal = days[days["_day"] <= cal_end]
    grouped = cal.groupby(customer_col, observed=True)
    first_day = grouped["_day"].min()
    last_day = grouped["_day"].max()
    n_days = grouped["_day"].size()
    total_value = grouped["_value"].sum()
    first_value = cal.loc[cal["_day"] == cal[customer_col].map(first_day), [customer_col, "_value"]] \
        .set_index(customer_col)["_value"]
    out = pd.DataFrame({
        "frequency": (n_days - 1).astype(float),
        "recency": (last_day - first_day).dt.days / scale,
        "T": (cal_end - first_day).dt.days / scale,
        "first_purchase": first_day,
    })
    repeat_value = total_value - first_value.reindex(out.index)
    out["monetary_value"] = np.where(out["frequency"] > 0, repeat_value / out["frequency"].clip(lower=1), 0.0)
    if observation_end is not None:
        obs_end = pd.Timestamp(observation_end).normalize()
        if obs_end <= cal_end:
            raise CustomerDataError(f"observation_end {obs_end.date()} must be after calibration_end {cal_end.date()}")
        hold = days[(days["_day"] > cal_end) & (days["_day"] <= obs_end)]
        out["frequency_holdout"] = hold.groupby(customer_col, observed=True).size().reindex(out.index).fillna(0)
        out["duration_holdout"] = (obs_end - cal_end).days / scale
    out.index.name = "customer_id"
    del first
    return out


def _collapse(**columns: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Distinct rows of the columns and how often each occurs (the likelihood's weights)."""
    counts = pd.DataFrame(columns).value_counts(sort=False).reset_index()
    return counts.drop(columns="count"), counts["count"].to_numpy(dtype=float)


class _ByFrequency:
    """Special functions of ``x`` evaluated once per distinct ``x`` (a few hundred values at most)."""

    def __init__(self, x: np.ndarray) -> None:
        self.values, self.index = np.unique(x, return_inverse=True)

    def __call__(self, func: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        return np.asarray(func(self.values))[self.index]


def _bgnbd_terms(params: np.ndarray, x: np.ndarray, tx: np.ndarray, age: np.ndarray,
                 by_x: _ByFrequency) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r, alpha, a, b = params
    lbeta_ab = betaln(a, b)
    part1 = by_x(lambda v: gammaln(r + v)) - gammaln(r) + r * np.log(alpha)
    part2 = by_x(lambda v: betaln(a, b + v)) - lbeta_ab - (r + x) * np.log(alpha + age)
    with np.errstate(divide="ignore", invalid="ignore"):
        repeat_term = by_x(lambda v: betaln(a + 1, b + np.maximum(v, 1) - 1))
        part3 = np.where(x > 0, repeat_term - lbeta_ab - (r + x) * np.log(alpha + tx), -np.inf)
    return part1, part2, part3


def _bgnbd_ll(params: np.ndarray, x: np.ndarray, tx: np.ndarray, age: np.ndarray) -> np.ndarray:
    part1, part2, part3 = _bgnbd_terms(params, x, tx, age, _ByFrequency(x))
    return np.asarray(part1 + np.logaddexp(part2, part3))


def _bgnbd_ll_grad(params: np.ndarray, x: np.ndarray, tx: np.ndarray, age: np.ndarray,
                   weights: np.ndarray, by_x: _ByFrequency) -> tuple[float, np.ndarray]:
    """Weighted log-likelihood and its gradient with respect to ``(r, alpha, a, b)``."""
    r, alpha, a, b = params
    part1, part2, part3 = _bgnbd_terms(params, x, tx, age, by_x)
    log_sum = np.logaddexp(part2, part3)
    w2, w3 = np.exp(part2 - log_sum), np.exp(part3 - log_sum)
    log_at, log_atx = np.log(alpha + age), np.log(alpha + tx)
    dg_ab = digamma(a + b)
    dg_abx = by_x(lambda v: digamma(a + b + v))
    d_r = by_x(lambda v: digamma(r + v)) - digamma(r) + np.log(alpha) - w2 * log_at - w3 * log_atx
    d_alpha = r / alpha - (r + x) * (w2 / (alpha + age) + w3 / (alpha + tx))
    d_a = w2 * (dg_ab - dg_abx) + w3 * (digamma(a + 1) - digamma(a) + dg_ab - dg_abx)
    d_b = (w2 * (by_x(lambda v: digamma(b + v)) - dg_abx - digamma(b) + dg_ab)
           + w3 * (by_x(lambda v: digamma(b + np.maximum(v, 1) - 1)) - dg_abx - digamma(b) + dg_ab))
    grad = np.array([np.dot(weights, d) for d in (d_r, d_alpha, d_a, d_b)])
    return float(np.dot(weights, part1 + log_sum)), grad


def _fit_log_params(neg_ll_grad: Callable[[np.ndarray], tuple[float, np.ndarray]], start: np.ndarray) -> np.ndarray:
    """Minimise on log-parameters (every parameter stays positive, no bounds needed).

    BFGS with analytic gradients: for four parameters it has far less per-call overhead than L-BFGS-B
    (measured 0.05 s against 0.3 s on the CDNOW master file).
    """
    result = minimize(neg_ll_grad, np.log(start), jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 2000})
    return np.asarray(np.exp(result.x))


@dataclass
class BetaGeoModel:
    """The BG/NBD model of Fader, Hardie and Lee (2005): repeat purchases and P(alive).

    Parameters
    ----------
    penalizer : float
        L2 penalty on the parameters (0 = plain maximum likelihood, as in the paper).

    Attributes
    ----------
    params_ : dict
        Fitted ``r, alpha, a, b``.
    log_likelihood_ : float
        Total log-likelihood at the optimum.
    """

    penalizer: float = 0.0

    def fit(self, frequency: np.ndarray | pd.Series, recency: np.ndarray | pd.Series,
            age: np.ndarray | pd.Series) -> BetaGeoModel:
        """Fit on repeat frequency ``x``, recency ``t_x`` and age ``T`` (time since the first purchase, same unit)."""
        x, tx, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
        if x.size == 0:
            raise CustomerDataError("BG/NBD: no customers to fit")
        if np.any(x < 0) or np.any(tx < 0) or np.any(big_t < tx):
            raise CustomerDataError("BG/NBD: need frequency >= 0 and 0 <= recency <= T for every customer")
        if np.all(big_t == 0):
            raise CustomerDataError("BG/NBD: every customer is observed for zero time (a single-day history); "
                                    "choose an earlier calibration end")
        rows, weights = _collapse(x=x, tx=tx, T=big_t)
        ux, utx, ut = (rows[c].to_numpy() for c in ("x", "tx", "T"))
        by_x = _ByFrequency(ux)
        n = weights.sum()
        pen = self.penalizer

        def neg_ll(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(log_params)
            ll, grad = _bgnbd_ll_grad(params, ux, utx, ut, weights, by_x)
            value = -ll / n + pen * float(np.dot(params, params))
            return value, (-grad / n + 2 * pen * params) * params

        params = _fit_log_params(neg_ll, np.array([1.0, max(float(np.mean(big_t)), 1e-3), 1.0, 1.0]))
        self.params_ = dict(zip(("r", "alpha", "a", "b"), (float(p) for p in params), strict=True))
        self.log_likelihood_ = float(np.dot(weights, _bgnbd_ll(params, ux, utx, ut)))
        self.n_customers_ = int(n)
        return self

    def _p(self) -> tuple[float, float, float, float]:
        if not hasattr(self, "params_"):
            raise CustomerDataError("BG/NBD model is not fitted; call fit() first")
        p = self.params_
        return p["r"], p["alpha"], p["a"], p["b"]

    def p_alive(self, frequency: np.ndarray | pd.Series, recency: np.ndarray | pd.Series,
                age: np.ndarray | pd.Series) -> np.ndarray:
        """Probability that each customer is still active at the end of the calibration period."""
        r, alpha, a, b = self._p()
        x, tx, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_ratio = (np.log(a) - np.log(b + np.maximum(x, 1) - 1)
                         + (r + x) * (np.log(alpha + big_t) - np.log(alpha + tx)))
            odds = np.where(x > 0, np.exp(log_ratio), 0.0)
        return np.asarray(1.0 / (1.0 + odds))

    def expected_purchases(self, t: float, frequency: np.ndarray | pd.Series, recency: np.ndarray | pd.Series,
                           age: np.ndarray | pd.Series) -> np.ndarray:
        """Expected repeat purchases in the next ``t`` time units, given each customer's history."""
        r, alpha, a, b = self._p()
        x, tx, big_t = (np.asarray(v, dtype=float) for v in (frequency, recency, age))
        z = t / (alpha + big_t + t)
        hyp = hyp2f1(r + x, b + x, a + b + x - 1, z)
        first = (a + b + x - 1) / (a - 1)
        second = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp
        return np.asarray(first * second * self.p_alive(x, tx, big_t))

    def expected_purchases_new(self, t: np.ndarray | float) -> np.ndarray:
        """Expected repeat purchases by time ``t`` of a customer who has just made a first purchase."""
        r, alpha, a, b = self._p()
        tt = np.asarray(t, dtype=float)
        hyp = hyp2f1(r, b, a + b - 1, tt / (alpha + tt))
        return np.asarray((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + tt)) ** r * hyp))


def _gg_ll_grad(params: np.ndarray, x: np.ndarray, m: np.ndarray, weights: np.ndarray) -> tuple[float, np.ndarray]:
    """Weighted Gamma-Gamma log-likelihood and its gradient with respect to ``(p, q, v)``."""
    p, q, v = params
    log_xm_v = np.log(x * m + v)
    ll = (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
          + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * log_xm_v)
    dg = digamma(p * x + q)
    d_p = x * (dg - digamma(p * x) + np.log(m) + np.log(x) - log_xm_v)
    d_q = dg - digamma(q) + np.log(v) - log_xm_v
    d_v = q / v - (p * x + q) / (x * m + v)
    return float(np.dot(weights, ll)), np.array([np.dot(weights, d) for d in (d_p, d_q, d_v)])


@dataclass
class GammaGammaModel:
    """Gamma-Gamma model of spend per transaction (Fader, Hardie and Lee 2005b).

    Fitted on customers with at least one repeat purchase and a positive mean repeat value.

    Attributes
    ----------
    params_ : dict
        Fitted ``p, q, v`` (gamma).
    """

    penalizer: float = 0.0

    def fit(self, frequency: np.ndarray | pd.Series, monetary_value: np.ndarray | pd.Series) -> GammaGammaModel:
        """Fit on repeat frequency and mean repeat-transaction value."""
        x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
        keep = (x > 0) & (m > 0) & np.isfinite(m)
        if keep.sum() < 3:
            raise CustomerDataError("Gamma-Gamma: fewer than 3 customers with a repeat purchase of positive value; "
                                    "spend per purchase cannot be modelled")
        rows, weights = _collapse(x=x[keep], m=m[keep])
        ux, um = rows["x"].to_numpy(), rows["m"].to_numpy()
        n = weights.sum()
        pen = self.penalizer

        def neg_ll(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            params = np.exp(log_params)
            ll, grad = _gg_ll_grad(params, ux, um, weights)
            value = -ll / n + pen * float(np.dot(params, params))
            return value, (-grad / n + 2 * pen * params) * params

        params = _fit_log_params(neg_ll, np.array([1.0, 1.0, max(float(np.mean(um)), 1e-3)]))
        self.params_ = dict(zip(("p", "q", "v"), (float(v) for v in params), strict=True))
        self.population_mean_ = float(np.average(um, weights=weights))
        return self

    def expected_value(self, frequency: np.ndarray | pd.Series, monetary_value: np.ndarray | pd.Series) -> np.ndarray:
        """Expected spend per future transaction (shrinks each customer's mean toward the population)."""
        if not hasattr(self, "params_"):
            raise CustomerDataError("Gamma-Gamma model is not fitted; call fit() first")
        p, q, v = self.params_["p"], self.params_["q"], self.params_["v"]
        x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
        m = np.where((x > 0) & (m > 0), m, 0.0)
        x = np.where(m > 0, x, 0.0)
        # With no repeat data the expectation is the population mean p*v/(q-1) (q > 1).
        return np.asarray((p * (v + x * m)) / (p * x + q - 1))


def repeat_tracking(transactions: pd.DataFrame, model: BetaGeoModel, *, start: str | pd.Timestamp,
                    end: str | pd.Timestamp, unit: str = "W", customer_col: str = "customer_id",
                    date_col: str = "date") -> pd.DataFrame:
    """Actual vs expected repeat transactions per period since ``start`` (the tracking plot).

    Returns
    -------
    DataFrame
        ``period`` (1, 2, …), ``actual``, ``expected``, ``actual_cum``, ``expected_cum``.
    """
    _check_columns(transactions, (customer_col, date_col), "transactions")
    scale = _DAYS[unit]
    t0, t1 = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    tx = transactions[[customer_col, date_col]].dropna().copy()
    tx["_day"] = pd.to_datetime(tx[date_col]).dt.normalize()
    days = tx.drop_duplicates([customer_col, "_day"])
    first = days.groupby(customer_col)["_day"].transform("min")
    repeats = days[days["_day"] > first]
    n_periods = int(np.ceil(((t1 - t0).days + 1) / scale))
    period = ((repeats["_day"] - t0).dt.days // scale).astype(int) + 1
    actual = np.bincount(period.clip(1, n_periods), minlength=n_periods + 1)[1:]
    first_per_customer = days.groupby(customer_col)["_day"].min()
    edges = np.arange(1, n_periods + 1) * scale  # days since start at the end of each period
    birth = (first_per_customer - t0).dt.days.to_numpy(dtype=float) + 1.0  # day index after first purchase
    ages = np.clip((edges[None, :] - birth[:, None]) / scale, 0.0, None)
    cum_expected = model.expected_purchases_new(ages).sum(axis=0)
    expected = np.diff(np.concatenate([[0.0], cum_expected]))
    return pd.DataFrame({"period": np.arange(1, n_periods + 1), "actual": actual, "expected": expected,
                         "actual_cum": np.cumsum(actual), "expected_cum": cum_expected})


@dataclass(kw_only=True)
class ClvResult(Result):
    """Lifetime values with the fitted models and their backtest.

    Attributes
    ----------
    customers : DataFrame
        Per customer: ``frequency, recency, T`` (weeks), ``p_alive``, ``expected_purchases``,
        ``expected_order_value``, ``clv``.
    bgnbd, gamma_gamma : fitted models on all history (``gamma_gamma`` None when too few customers repeat).
    metrics : dict
        The backtest: BG/NBD refitted with the last ``holdout_days`` held out, predicted vs actual repeat
        purchases (``status`` says whether it ran).
    """

    capability: ClassVar[str] = "customers"
    customers: pd.DataFrame
    bgnbd: BetaGeoModel
    gamma_gamma: GammaGammaModel | None

    @property
    def backtest(self) -> dict[str, Any]:
        """The holdout backtest (the same dict as ``metrics``)."""
        return self.metrics

    @property
    def bgnbd_params(self) -> dict[str, float]:
        """Fitted BG/NBD parameters ``r, alpha, a, b``."""
        return dict(self.bgnbd.params_)

    @property
    def gamma_gamma_params(self) -> dict[str, float]:
        """Fitted Gamma-Gamma parameters ``p, q, v`` (empty when it was not fitted)."""
        return dict(self.gamma_gamma.params_) if self.gamma_gamma is not None else {}

    def explain(self) -> str:
        """Both models' parameters and the backtest's predicted vs actual repeat purchases."""
        lines = [f"customers: {self.model}", "parameters: " + ", ".join(f"{k}={v}" for k, v in self.params.items()),
                 "BG/NBD: " + ", ".join(f"{k} {v:.4g}" for k, v in self.bgnbd_params.items()),
                 "Gamma-Gamma: " + (", ".join(f"{k} {v:.4g}" for k, v in self.gamma_gamma_params.items())
                                    or "not fitted (each customer's own mean order value)")]
        bt = self.backtest
        if bt.get("status") == "ok":
            lines.append(f"backtest (holdout after {bt['calibration_end']}, {bt['holdout_days']:.0f} days): "
                         f"predicted {bt['predicted_repeat_purchases']:,.0f} repeat purchases, actual "
                         f"{bt['actual_repeat_purchases']:,.0f}; per-customer correlation {bt['correlation']:.2f}")
        else:
            lines.append(f"backtest {bt.get('status')}")
        return "\n".join(lines)


def customer_lifetime_value(transactions: pd.DataFrame, *, horizon_days: int = 365,
                            as_of: str | pd.Timestamp | None = None, holdout_days: int | None = None,
                            customer_col: str = "customer_id", date_col: str = "date",
                            value_col: str = "value") -> ClvResult:
    """Expected purchases, value and P(alive) per customer over ``horizon_days`` (BG/NBD + Gamma-Gamma).

    Parameters
    ----------
    transactions : DataFrame
        Purchases: customer, date and value (refunds already netted or left out).
    horizon_days : int
        Days ahead to predict.
    as_of : date or None
        End of the observed history (default: the last purchase day).
    holdout_days : int or None
        Days held out for the backtest (default: a third of the history, at most ``horizon_days``).
    customer_col, date_col, value_col : str
        Column names.

    Notes
    -----
    Time is measured in weeks. The value of a customer is undiscounted: expected purchases times the
    Gamma-Gamma expected value per purchase. When too few customers repeat to fit Gamma-Gamma, each
    customer's own mean order value is used and ``gamma_gamma`` is None.
    """
    if horizon_days < 1:
        raise CustomerDataError(f"horizon_days must be at least 1, not {horizon_days}")
    _check_columns(transactions, (customer_col, date_col, value_col), "transactions")
    dates = pd.to_datetime(transactions[date_col])
    end = pd.Timestamp(as_of).normalize() if as_of is not None else dates.max().normalize()
    start = dates.min().normalize()
    span = (end - start).days
    if span < 2:
        raise CustomerDataError(
            f"CLV: the purchase history spans {span} day(s) ({start.date()} to {end.date()}); BG/NBD needs "
            "repeat purchases over time, at least a few weeks of history"
        )
    summary = clv_summary(transactions, calibration_end=end, customer_col=customer_col, date_col=date_col,
                          value_col=value_col)
    model = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    weeks = horizon_days / 7.0
    x, tx, big_t = summary["frequency"], summary["recency"], summary["T"]
    out = summary[["frequency", "recency", "T", "monetary_value"]].copy()
    out["p_alive"] = model.p_alive(x, tx, big_t)
    out["expected_purchases"] = model.expected_purchases(weeks, x, tx, big_t)
    gg: GammaGammaModel | None
    try:
        gg = GammaGammaModel().fit(x, summary["monetary_value"])
        out["expected_order_value"] = gg.expected_value(x, summary["monetary_value"])
    except CustomerDataError:
        gg = None
        own_mean = transactions.groupby(customer_col)[value_col].sum() / \
            transactions.groupby(customer_col)[date_col].nunique()
        out["expected_order_value"] = own_mean.reindex(out.index).to_numpy()
    out["clv"] = out["expected_purchases"] * out["expected_order_value"]
    backtest = _clv_backtest(transactions, start, end, horizon_days if holdout_days is None else holdout_days,
                             holdout_days is None, customer_col, date_col, value_col)
    return ClvResult(model="BG/NBD purchases x Gamma-Gamma order value" if gg is not None
                     else "BG/NBD purchases x each customer's mean order value",
                     params={"horizon_days": horizon_days, "as_of": None if as_of is None else str(as_of),
                             "holdout_days": holdout_days},
                     metrics=backtest, customers=out.reset_index(), bgnbd=model, gamma_gamma=gg)


def _clv_backtest(transactions: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, holdout_days: int,
                  cap_to_third: bool, customer_col: str, date_col: str, value_col: str) -> dict[str, float | str]:
    span = (end - start).days
    days = min(holdout_days, span // 3) if cap_to_third else holdout_days
    if days < 7 or days >= span:
        return {"status": f"skipped: {span} days of history is too short for a holdout"}
    cal_end = end - pd.Timedelta(days=days)
    summary = clv_summary(transactions, calibration_end=cal_end, observation_end=end, customer_col=customer_col,
                          date_col=date_col, value_col=value_col)
    try:
        model = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    except CustomerDataError as exc:
        return {"status": f"skipped: {exc}"}
    predicted = model.expected_purchases(days / 7.0, summary["frequency"], summary["recency"], summary["T"])
    actual = summary["frequency_holdout"].to_numpy()
    return {
        "status": "ok",
        "calibration_end": str(cal_end.date()),
        "holdout_days": float(days),
        "customers": float(len(summary)),
        "predicted_repeat_purchases": float(predicted.sum()),
        "actual_repeat_purchases": float(actual.sum()),
        "mae_per_customer": float(np.mean(np.abs(predicted - actual))),
        "correlation": float(np.corrcoef(predicted, actual)[0, 1]) if actual.std() > 0 else float("nan"),
    }
