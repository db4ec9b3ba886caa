"""Order scores: bad-order risk, late-delivery risk and the delivery date, trained on a time split.

Each score is a LightGBM model fitted on the earlier months, calibrated (isotonic) on the months
after them, and measured on the last months, which neither saw. Reasons per order are SHAP values:
LightGBM's exact TreeSHAP (``pred_contrib``), the feature pushing the score up most first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from shopops.orders._features import CATEGORICAL, NUMERIC, OrdersError

__all__ = ["DEFAULT_HOLD_RISK", "LATE_FLAG_SHARE", "OPEN_FEATURES", "OrderScorer", "checkpoint_features"]

#: What is known about an open order at a later moment (the checkpoint): whether it has shipped,
#: how far its dispatch is past the shipping limit, and the days left to the promise.
OPEN_FEATURES = ("shipped_by_checkpoint", "hours_past_limit", "days_left", "ship_to_promise_days",
                 "left_after_transit_days")
_LEAD = pd.Timedelta(days=2)


def _predict(model: Any, x: np.ndarray) -> np.ndarray:
    """The booster's prediction on one thread.

    sklearn's input checks and OpenMP's start-up cost more than the trees for one order (25 ms
    against 0.5 ms), and a batch gains nothing from a busy second core.
    """
    return np.asarray(model.booster_.predict(x, num_threads=1))


def checkpoint_features(frame: pd.DataFrame, at: pd.Timestamp | None = None) -> pd.DataFrame:
    """The :data:`OPEN_FEATURES` of each order at ``at``.

    ``at`` defaults to two days before each order's promise (never before it was placed); read from
    ``ordered_at``, ``promised_at``, ``shipped_at`` and ``shipping_limit_at``.
    """
    ordered = pd.to_datetime(frame["ordered_at"])
    promised = pd.to_datetime(frame["promised_at"])
    when = pd.Series(at, index=frame.index) if at is not None else (promised - _LEAD).where(
        promised - _LEAD > ordered, ordered)
    shipped = pd.to_datetime(frame["shipped_at"])
    limit = pd.to_datetime(frame["shipping_limit_at"]) if "shipping_limit_at" in frame else ordered
    shipped_by = shipped.notna() & (shipped <= when)
    dispatch = shipped.where(shipped_by, when)
    days_left = (promised - when).dt.total_seconds() / 86400.0
    transit = frame["route_transit_days"].astype(float) if "route_transit_days" in frame else np.nan
    # Shipped: the parcel has (promise - dispatch) days for the route's usual transit; not shipped: even
    # leaving now it needs the whole transit in the days left.
    ship_to_promise = ((promised - dispatch).dt.total_seconds() / 86400.0).where(shipped_by)
    return pd.DataFrame({"checkpoint": when, "shipped_by_checkpoint": shipped_by.astype(float),
                         "hours_past_limit": (dispatch - limit).dt.total_seconds() / 3600.0,
                         "days_left": days_left, "ship_to_promise_days": ship_to_promise,
                         "left_after_transit_days": ship_to_promise.fillna(days_left) - transit},
                        index=frame.index)

_PARAMS: dict[str, Any] = {"n_estimators": 300, "learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 30,
                           "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "verbose": -1,
                           "n_jobs": 1}  # one thread: OpenMP spin-waits badly on a shared machine
_EARLY_STOP = 30  # boosting rounds without a better calibration-month loss before a model stops
_MIN_INTERVAL_ROWS = 30  # calibration orders a carrier needs for an interval of its own
#: The share of late orders the late flag is set to catch two days ahead, on the calibration months.
LATE_FLAG_SHARE = 0.6
#: The risk from which the default rules hold an order when no bound was chosen at training.
DEFAULT_HOLD_RISK = 0.3


class _Platt:
    """Platt scaling on the log-odds of a booster's probability: strictly increasing, so ranks are kept."""

    def fit(self, p: np.ndarray, y: np.ndarray) -> _Platt:
        model = LogisticRegression(C=1e4).fit(_logit(p)[:, None], y)
        self.slope_, self.intercept_ = float(model.coef_[0, 0]), float(model.intercept_[0])
        return self

    def predict(self, p: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-(self.slope_ * _logit(p) + self.intercept_))))


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    return np.asarray(np.log(q / (1 - q)))


def _flag_threshold(p: np.ndarray, late: np.ndarray, ahead: np.ndarray, share: float) -> float:
    """The highest risk threshold flagging ``share`` of the late orders (two days ahead) on these rows."""
    if not late.any():
        return 0.5
    candidates = np.unique(p[late & ahead])[::-1]
    for t in candidates:
        if (ahead & (p >= t))[late].mean() >= share:
            return float(t)
    return float(candidates[-1]) if len(candidates) else 0.5


class OrderScorer:
    """Fit and apply the three order scores.

    Parameters
    ----------
    holdout_months : int
        The last months of the data, kept out of training and calibration to measure the scores.
    calibration_months : int
        The months before the holdout, used to calibrate the probabilities.
    seed : int
        Seed of LightGBM's subsampling.
    n_estimators : int
        Boosting rounds of each model.
    """

    def __init__(self, holdout_months: int = 3, calibration_months: int = 2, seed: int = 0,
                 n_estimators: int = 300) -> None:
        self.holdout_months = holdout_months
        self.calibration_months = calibration_months
        self.seed = seed
        self.n_estimators = n_estimators

    # ------------------------------------------------------------------ design matrix
    def _matrix(self, frame: pd.DataFrame, open_at: pd.DataFrame | None = None) -> np.ndarray:
        """Float matrix in :meth:`columns` order; categories as their codes in the training categories.

        Plain NumPy into LightGBM: its pandas path costs milliseconds per call, which one order
        through the API would pay five times.
        """
        parts = []
        if open_at is not None:
            parts += [open_at[name].to_numpy(dtype=float) for name in OPEN_FEATURES]
        n = len(frame)
        parts += [frame[name].to_numpy(dtype=float) if name in frame else np.full(n, np.nan) for name in NUMERIC]
        for name in CATEGORICAL:
            values = frame[name].astype(object) if name in frame else pd.Series([None] * n, dtype=object)
            codes = pd.Categorical(values, categories=self.categories_[name]).codes.astype(float)
            parts.append(np.where(codes < 0, np.nan, codes))
        return np.column_stack(parts) if parts else np.zeros((n, 0))

    def _row(self, order: Mapping[str, Any]) -> np.ndarray:
        """One order (a mapping) as a 1-row matrix, the same numbers :meth:`_matrix` gives, without pandas."""
        codes = getattr(self, "_codes", None)
        if codes is None:
            codes = self._codes = {c: {v: float(i) for i, v in enumerate(self.categories_[c])} for c in CATEGORICAL}
        row = []
        for name in NUMERIC:
            value = order.get(name)
            row.append(np.nan if value is None else float(value))
        for name in CATEGORICAL:
            value = order.get(name)
            row.append(codes[name].get(value, np.nan) if isinstance(value, str) else np.nan)
        return np.asarray([row], dtype=float)

    def predict_one(self, order: Mapping[str, Any], *, reasons: bool = False) -> dict[str, Any]:
        """The scores of :meth:`predict` for one order (a mapping of the feature fields), as plain floats.

        For a checkout waiting on the answer: no DataFrame is built, the calibration is an interpolation.
        With ``reasons``, ``risk_reasons`` (TreeSHAP, the features raising the risk most) is added.
        """
        if not hasattr(self, "models_"):
            raise OrdersError("the order scorer is not trained; run `shopops orders train`")
        x = self._row(order)
        out: dict[str, Any] = {"risk": 0.0}
        for name in ("risk", "late_risk"):
            if name in self.models_:
                out[name] = float(self.calibrators_[name].predict(_predict(self.models_[name], x))[0])
        lo, mid, hi = self._delivery(x)
        out.update(delivery_days_p10=float(lo[0]), delivery_days_p50=float(mid[0]), delivery_days_p90=float(hi[0]),
                   hold_risk=self.hold_risk)
        if reasons and "risk" in self.models_:
            out["risk_reasons"] = str(self._reasons(self.models_["risk"], x, self.columns())[0])
        return out

    @staticmethod
    def columns(open_: bool = False) -> list[str]:
        """Names of the model inputs, in matrix order."""
        return [*(OPEN_FEATURES if open_ else ()), *NUMERIC, *CATEGORICAL]

    def _fit_args(self, open_: bool = False) -> dict[str, Any]:
        names = self.columns(open_)
        return {"feature_name": names, "categorical_feature": [names.index(c) for c in CATEGORICAL]}

    def time_split(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        month = pd.to_datetime(frame.ordered_at).dt.to_period("M")
        months = sorted(month.unique())
        if len(months) < self.holdout_months + self.calibration_months + 3:
            raise OrdersError(f"the scores need at least {self.holdout_months + self.calibration_months + 3} months "
                              f"of orders for a time split; the data has {len(months)}")
        hold_from = months[-self.holdout_months]
        cal_from = months[-self.holdout_months - self.calibration_months]
        train = (month < cal_from).to_numpy()
        cal = ((month >= cal_from) & (month < hold_from)).to_numpy()
        return train, cal, (month >= hold_from).to_numpy()

    def _boost(self, model: Any, x: np.ndarray, y: np.ndarray, fit: np.ndarray, val: np.ndarray,
               fit_args: dict[str, Any]) -> Any:
        """Fit on the ``fit`` rows, stopping when the ``val`` rows (the calibration months) stop improving.

        Fewer trees are also what makes a batch fast: most scores stop well before the cap.
        """
        if val.any():
            model.fit(x[fit], y[fit], eval_X=(x[val],), eval_y=(y[val],),
                      callbacks=[lgb.early_stopping(_EARLY_STOP, first_metric_only=True, verbose=False)], **fit_args)
        else:
            model.fit(x[fit], y[fit], **fit_args)
        return model

    def fit(self, frame: pd.DataFrame) -> OrderScorer:
        """Fit on :func:`order_features` rows (with ``bad`` when known, ``late`` and ``delivery_days``)."""
        self.categories_ = {c: sorted(frame[c].dropna().astype(str).unique()) if c in frame else []
                            for c in CATEGORICAL}
        train, cal, hold = self.time_split(frame)
        self.models_: dict[str, Any] = {}
        self.calibrators_: dict[str, Any] = {}
        self.metrics_: dict[str, Any] = {"train_orders": int(train.sum()), "calibration_orders": int(cal.sum()),
                                         "holdout_orders": int(hold.sum()),
                                         "holdout_from": str(pd.to_datetime(frame.ordered_at[hold]).min().date())}
        targets = {"late_risk": frame["late"], "late_risk_open": frame["late"]}
        if "bad" in frame:
            targets["risk"] = frame["bad"]
        checkpoint = checkpoint_features(frame)
        x_open = self._matrix(frame, checkpoint)
        x = self._matrix(frame)
        for name, y in targets.items():
            xx = x_open if name == "late_risk_open" else x
            known = y.notna().to_numpy()
            yy = y.fillna(False).astype(int).to_numpy()
            fit_rows, cal_rows, hold_rows = train & known, cal & known, hold & known
            if yy[fit_rows].min(initial=1) == yy[fit_rows].max(initial=0):
                raise OrdersError(f"{name}: the training months hold only one class; nothing to learn")
            model = self._boost(lgb.LGBMClassifier(**{**_PARAMS, "n_estimators": self.n_estimators},
                                                   random_state=self.seed),
                                xx, yy, fit_rows, cal_rows, self._fit_args(name == "late_risk_open"))
            # The bad-order risk is thresholded finely (hold_risk), so it is calibrated by a strictly
            # increasing curve (Platt); isotonic steps would leave no threshold between whole plateaus.
            iso = (_Platt() if name == "risk" else IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0))
            iso.fit(_predict(model, xx[cal_rows]), yy[cal_rows])
            self.models_[name], self.calibrators_[name] = model, iso
            self.metrics_[f"{name}_trees"] = int(model.booster_.best_iteration or model.booster_.num_trees())
            p = iso.predict(_predict(model, xx[hold_rows]))
            y_hold = yy[hold_rows]
            self.metrics_[f"{name}_auc"] = float(roc_auc_score(y_hold, p)) if 0 < y_hold.sum() < len(y_hold) else None
            self.metrics_[f"{name}_pr_auc"] = float(average_precision_score(y_hold, p)) if y_hold.sum() else None
            self.metrics_[f"{name}_brier"] = float(brier_score_loss(y_hold, p))
            self.metrics_[f"{name}_base_rate"] = float(y_hold.mean())
            if name == "late_risk_open":
                ahead = checkpoint.days_left.to_numpy() >= 2.0 - 1e-9
                p_cal = iso.predict(_predict(model, xx[cal_rows]))
                self.late_flag_risk_ = _flag_threshold(p_cal, yy[cal_rows] == 1, ahead[cal_rows], LATE_FLAG_SHARE)
                self.metrics_["late_flag_risk"] = self.late_flag_risk_
                for label, threshold in (("", self.late_flag_risk_), ("_at_0.5", 0.5)):
                    # Flagged two days ahead: risk >= threshold at a checkpoint two days before the promise.
                    flagged = ahead[hold_rows] & (p >= threshold)
                    late = y_hold == 1
                    self.metrics_[f"late_flagged_2d_ahead_share{label}"] = (float(flagged[late].mean())
                                                                            if late.any() else None)
                    self.metrics_[f"late_flag_precision{label}"] = (float(late[flagged].mean())
                                                                    if flagged.any() else None)
                    self.metrics_[f"late_flag_rate{label}"] = float(flagged.mean())
        days = frame["delivery_days"].to_numpy(dtype=float)
        known = np.isfinite(days)
        median = lgb.LGBMRegressor(**{**_PARAMS, "n_estimators": self.n_estimators}, objective="quantile", alpha=0.5,
                                   random_state=self.seed)
        self.delivery_model_ = self._boost(median, x, days, train & known, cal & known, self._fit_args())
        self.metrics_["delivery_trees"] = int(median.booster_.best_iteration or median.booster_.num_trees())
        # The interval is conformal: the calibration months' ratios of true to predicted days, per carrier
        # (a carrier's spread scales with its transit), so the 80 % holds on months the model did not fit.
        carrier = x[:, self._carrier_column()]
        ratio = np.log(np.maximum(days, 0.05) / np.maximum(_predict(median, x), 0.05))
        rows = cal & known
        slots = len(self.categories_["carrier"]) + 1
        overall = np.quantile(ratio[rows], [0.1, 0.9]) if rows.any() else np.array([-0.5, 0.5])
        self.interval_ = np.tile(overall, (slots, 1))
        for code in range(slots - 1):
            mine = rows & (carrier == code)
            if mine.sum() >= _MIN_INTERVAL_ROWS:
                self.interval_[code] = np.quantile(ratio[mine], [0.1, 0.9])
        lo, mid, hi = self._delivery(x[hold & known])
        truth = days[hold & known]
        self.metrics_["delivery_p50_abs_error_days"] = float(np.median(np.abs(mid - truth)))
        self.metrics_["delivery_interval_80_coverage"] = float(np.mean((truth >= lo) & (truth <= hi)))
        self.version_ = hashlib.sha256(json.dumps(self.metrics_, sort_keys=True, default=str).encode()).hexdigest()[:12]
        return self

    def _carrier_column(self) -> int:
        return self.columns().index("carrier")

    def _delivery(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """p10, p50 and p90 of the delivery days of matrix rows."""
        mid = _predict(self.delivery_model_, x)
        codes = x[:, self._carrier_column()]
        slot = np.where(np.isnan(codes), len(self.interval_) - 1, np.nan_to_num(codes)).astype(int)
        base = np.maximum(mid, 0.05)
        lo = np.minimum(base * np.exp(self.interval_[slot, 0]), mid)
        hi = np.maximum(base * np.exp(self.interval_[slot, 1]), mid)
        return lo, mid, hi

    # ------------------------------------------------------------------ scores
    def predict(self, frame: pd.DataFrame, *, reasons: bool = True) -> pd.DataFrame:
        """``risk``, ``late_risk``, ``delivery_days_p10/p50/p90``, ``hold_risk`` (and ``*_reasons``) per row.

        One booster call per score on one float matrix: a batch costs the trees, nothing per row in Python.
        """
        if not hasattr(self, "models_"):
            raise OrdersError("the order scorer is not trained; run `shopops orders train`")
        x = self._matrix(frame)
        columns: dict[str, Any] = {}
        for name, model in self.models_.items():
            if name == "late_risk_open":
                continue  # a score of open orders at a later moment: predict_open
            columns[name] = self.calibrators_[name].predict(_predict(model, x))
            if reasons:
                columns[f"{name}_reasons"] = self._reasons(model, x, self.columns())
        columns.setdefault("risk", np.zeros(len(frame)))
        lo, mid, hi = self._delivery(x)
        columns.update(delivery_days_p10=lo, delivery_days_p50=mid, delivery_days_p90=hi,
                       hold_risk=np.full(len(frame), self.hold_risk))
        return pd.DataFrame(columns, index=frame.index)

    @property
    def hold_risk(self) -> float:
        """The risk from which the rules hold an order: chosen on the calibration months (see ``train_scores``)."""
        return float(getattr(self, "hold_risk_", DEFAULT_HOLD_RISK))

    @hold_risk.setter
    def hold_risk(self, value: float) -> None:
        self.hold_risk_ = float(value)

    def predict_open(self, frame: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
        """Late risk of open orders at moment ``at``, knowing whether and when they shipped."""
        if "late_risk_open" not in getattr(self, "models_", {}):
            raise OrdersError("the order scorer is not trained; run `shopops orders train`")
        cp = checkpoint_features(frame, at)
        model = self.models_["late_risk_open"]
        raw = _predict(model, self._matrix(frame, cp))
        return pd.DataFrame({"late_risk_open": self.calibrators_["late_risk_open"].predict(raw),
                             "days_left": cp.days_left}, index=frame.index)

    @staticmethod
    def _reasons(model: Any, x: np.ndarray, columns: list[str], top: int = 3) -> np.ndarray:
        contrib = model.booster_.predict(x, pred_contrib=True, num_threads=1)[:, :-1]
        names = np.array(columns, dtype=object)
        order = np.argsort(-contrib, axis=1)[:, :top]
        picked = names[order]
        positive = np.take_along_axis(contrib, order, axis=1) > 0
        return np.array([",".join(p[m]) for p, m in zip(picked, positive, strict=True)], dtype=object)

    def describe(self) -> dict[str, Any]:
        """Version, parameters and holdout metrics, JSON-ready."""
        return {"version": getattr(self, "version_", ""), "holdout_months": self.holdout_months,
                "calibration_months": self.calibration_months, "seed": self.seed,
                "metrics": getattr(self, "metrics_", {})}
