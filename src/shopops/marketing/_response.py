"""Channel response curves fitted from the daily history: adstock (carry-over) and Hill saturation.

Each channel's daily conversions are modelled as ``beta * hill(adstock(spend, decay), half, shape)``.
The carry-over ``decay`` is chosen on a grid (the curve is fitted by nonlinear least squares at each),
and the uncertainty of ``beta, half, shape`` comes from the Gauss-Newton (Laplace) covariance of the
best fit, so every curve and every allocation has an interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from scipy.signal import lfilter
from threadpoolctl import threadpool_limits

from shopops.marketing._errors import MarketingDataError

__all__ = ["ChannelCurve", "adstock", "fit_response_curves", "hill", "validate_daily"]

_COARSE_DECAYS = np.round(np.arange(0.0, 0.91, 0.1), 2)


def adstock(spend: np.ndarray, decay: float) -> np.ndarray:
    """Normalised geometric carry-over: ``a_t = (1 - decay) x_t + decay a_{t-1}`` (steady spend ``x`` gives ``x``)."""
    return np.asarray(lfilter([1.0 - decay], [1.0, -decay], np.asarray(spend, dtype=np.float64)))


def hill(x: np.ndarray | float, beta: float, half: float, shape: float) -> np.ndarray:
    """``beta * x**shape / (x**shape + half**shape)``: 0 at no spend, ``beta`` at saturation."""
    # far past saturation the curve is flat: capping x there keeps the power finite
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1e6 * half)
    ratio = (x / half) ** shape
    return np.asarray(beta * ratio / (1.0 + ratio))


@dataclass
class ChannelCurve:
    """The fitted response of one channel (conversions per day at a steady daily spend).

    Attributes
    ----------
    channel : str
    identified : bool
        False when the history cannot identify a curve (one level of spend, too few days with spend);
        ``reason`` says why and the channel keeps its current budget.
    decay, beta, half, shape : float
        Carry-over and Hill parameters.
    cov : ndarray
        3x3 covariance of ``log beta, log half, log shape``.
    current_daily_spend : float
        Mean daily spend over the last 90 days of the history.
    value_per_conversion : float
        Revenue per conversion in the history (for the profit objective).
    r2 : float
        Share of the daily variance the curve explains.
    """

    channel: str
    identified: bool
    reason: str = ""
    decay: float = 0.0
    beta: float = 0.0
    half: float = 1.0
    shape: float = 1.0
    cov: np.ndarray = field(default_factory=lambda: np.zeros((3, 3)))
    current_daily_spend: float = 0.0
    value_per_conversion: float = 0.0
    r2: float = float("nan")
    days: int = 0
    max_daily_spend: float = 0.0

    def response(self, daily_spend: np.ndarray | float) -> np.ndarray:
        """Expected conversions per day at a steady daily spend."""
        return hill(daily_spend, self.beta, self.half, self.shape)

    def marginal(self, daily_spend: np.ndarray | float) -> np.ndarray:
        """Extra conversions per extra unit of daily spend."""
        x = np.clip(np.asarray(daily_spend, dtype=np.float64), 1e-9, 1e6 * self.half)
        ratio = (x / self.half) ** self.shape
        return np.asarray(self.beta * self.shape * ratio / (x * (1.0 + ratio) ** 2))

    def draws(self, n: int, seed: int) -> np.ndarray:
        """``n`` parameter draws ``(beta, half, shape)`` from the fit's Laplace approximation."""
        if not self.identified or not np.all(np.isfinite(self.cov)):
            return np.tile([self.beta, self.half, self.shape], (n, 1))
        rng = np.random.default_rng(seed)
        centre = np.log([self.beta, self.half, self.shape])
        draws = np.exp(rng.multivariate_normal(centre, self.cov, size=n, check_valid="ignore"))
        draws[:, 2] = np.clip(draws[:, 2], 0.3, 6.0)  # a badly identified shape must not explode the powers
        return draws


def validate_daily(daily: pd.DataFrame) -> pd.DataFrame:
    """Check a daily ``date, channel, spend, conversions[, revenue]`` frame and fill the days without spend.

    Raises
    ------
    MarketingDataError
        Missing columns, missing or negative spend or conversions (with the rows at fault).
    """
    missing = {"date", "channel", "spend", "conversions"} - set(daily.columns)
    if missing:
        raise MarketingDataError(f"daily channel history lacks the columns {sorted(missing)}; it needs date, "
                                 "channel, spend, conversions (and revenue for the profit objective)")
    if daily.empty:
        raise MarketingDataError("daily channel history is empty: there is no spend to fit a response curve on")
    frame = daily.copy()
    for col in ("spend", "conversions"):
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = frame[values.isna() | (values < 0)]
        if not bad.empty:
            where = ", ".join(f"{r.channel} {pd.Timestamp(r.date).date()}" for r in bad.head(5).itertuples())
            kind = "missing" if values.isna().any() else "negative"
            raise MarketingDataError(f"{col} is {kind} on {len(bad)} day(s) of the daily history ({where}); "
                                     f"fix the source: {col} must be a number >= 0 on every day")
        frame[col] = values.astype(float)
    if "revenue" not in frame.columns:
        frame["revenue"] = 0.0
    frame["revenue"] = pd.to_numeric(frame["revenue"], errors="coerce").fillna(0.0)
    frame["date"] = pd.to_datetime(frame["date"])
    frame = frame.groupby(["channel", "date"], as_index=False)[["spend", "conversions", "revenue"]].sum()
    # A day without a row is a day without spend: the carry-over has to see it as zero, not skip it.
    days = pd.date_range(frame["date"].min(), frame["date"].max(), freq="D")
    full = pd.MultiIndex.from_product([sorted(frame["channel"].unique()), days], names=["channel", "date"])
    return frame.set_index(["channel", "date"]).reindex(full, fill_value=0.0).reset_index()


def _fit_one(spend: np.ndarray, y: np.ndarray, decay: float, *, starts: int = 3,
             ) -> tuple[float, np.ndarray, np.ndarray]:
    x = adstock(spend, decay)
    scale = max(float(np.percentile(x[x > 0], 50)) if np.any(x > 0) else 1.0, 1e-6)
    peak = max(float(x.max()), 1e-6)
    top = max(float(y.max()), 1.0)

    def residual(theta: np.ndarray) -> np.ndarray:
        beta, half, shape = np.exp(theta)
        return np.asarray(hill(x, beta, half, shape) - y)

    log_x = np.log(np.maximum(x, 1e-300))

    def jacobian(theta: np.ndarray) -> np.ndarray:
        beta, half, shape = np.exp(theta)
        log_ratio = np.where(x > 0, log_x - np.log(half), -np.inf)
        q = np.exp(np.minimum(shape * log_ratio, 700.0))
        d = beta * q / (1.0 + q) ** 2
        return np.column_stack([beta * q / (1.0 + q), -shape * d, shape * d * np.where(x > 0, log_ratio, 0.0)])

    # The half-saturation point stays within reach of the spend seen: beyond it the data cannot
    # tell a curve from a line, and an unbounded fit promises conversions it never saw.
    lower, upper = np.log([1e-6, 0.02 * peak, 0.5]), np.log([20.0 * top, 2.0 * peak, 4.0])
    best = None
    for start in ((2.0 * top, scale, 1.0), (1.2 * top, 0.5 * scale, 1.5), (4.0 * top, 3.0 * scale, 0.8))[:starts]:
        theta0 = np.clip(np.log(start), lower + 1e-6, upper - 1e-6)
        fit = least_squares(residual, theta0, jac=jacobian, method="trf", bounds=(lower, upper))
        if best is None or fit.cost < best.cost:
            best = fit
    assert best is not None
    return float(best.cost), best.x, best.jac


def _curve(channel: str, hist: pd.DataFrame, recent_days: int) -> ChannelCurve:
    spend = hist["spend"].to_numpy()
    y = hist["conversions"].to_numpy()
    recent = hist.tail(recent_days)
    current = float(recent["spend"].mean())
    conv = float(hist["conversions"].sum())
    vpc = float(hist["revenue"].sum() / conv) if conv > 0 else 0.0
    base = ChannelCurve(channel=channel, identified=False, current_daily_spend=current,
                        value_per_conversion=vpc, days=len(hist))
    active = spend[spend > 0]
    if len(active) < 14:
        base.reason = f"only {len(active)} day(s) with spend (at least 14 are needed)"
        return base
    if np.unique(np.round(active, 2)).size < 2 or active.std() / max(active.mean(), 1e-9) < 0.02:
        base.reason = ("spend never changed (one level of spend), so its response curve cannot be identified; "
                       "vary the budget for a few weeks to learn it")
        return base
    if conv <= 0:
        base.reason = "no conversions in the history"
        return base
    # A coarse grid of carry-overs with one start each, then a finer look around the best with three.
    coarse = min(_COARSE_DECAYS, key=lambda d: _fit_one(spend, y, float(d), starts=1)[0])
    fine = [d for d in np.round(coarse + np.array([-0.05, 0.0, 0.05]), 2) if 0.0 <= d <= 0.95]
    results = [(_fit_one(spend, y, float(d)), float(d)) for d in fine]
    (cost, theta, jac), decay = min(results, key=lambda r: r[0][0])
    dof = max(len(y) - 4, 1)
    sigma2 = 2.0 * cost / dof
    try:
        cov = np.linalg.pinv(jac.T @ jac) * sigma2
    except np.linalg.LinAlgError:
        cov = np.full((3, 3), np.nan)
    resid_var = 2.0 * cost / len(y)
    r2 = 1.0 - resid_var / max(float(np.var(y)), 1e-12)
    beta, half, shape = (float(v) for v in np.exp(theta))
    return ChannelCurve(channel=channel, identified=True, decay=float(decay), beta=beta, half=half, shape=shape,
                        cov=cov, current_daily_spend=current, value_per_conversion=vpc, r2=float(r2),
                        days=len(hist), max_daily_spend=float(spend.max()))


def fit_response_curves(daily: pd.DataFrame, *, recent_days: int = 90) -> dict[str, ChannelCurve]:
    """Fit one adstock + Hill curve per channel from daily ``date, channel, spend, conversions[, revenue]``.

    Parameters
    ----------
    daily : DataFrame
        Daily history; several rows per day and channel (campaigns) are summed, missing days are zero.
    recent_days : int
        The last this many days define each channel's current daily spend.

    Returns
    -------
    dict of str to ChannelCurve
        Channels whose curve cannot be identified come back with ``identified=False`` and a reason.
    """
    frame = validate_daily(daily)
    # Many tiny least-squares problems: BLAS threads only add contention.
    with threadpool_limits(limits=1):
        return {str(ch): _curve(str(ch), g.sort_values("date"), recent_days) for ch, g in frame.groupby("channel")}
