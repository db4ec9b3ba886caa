"""Order scores: bad-order risk, late-delivery risk and the delivery date, trained on a time split.

Each score is a LightGBM model fitted on the earlier months, calibrated (isotonic) on the months
after them, and measured on the last months, which neither saw. Reasons per order are SHAP values:
LightGBM's exact TreeSHAP (``pred_contrib``), the feature pushing the score up most first.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from shopops.orders._features import CATEGORICAL, NUMERIC, OrdersError

__all__ = ["OPEN_FEATURES", "OrderScorer", "checkpoint_features"]

#: What is known about an open order at a later moment (the checkpoint): whether it has shipped,
#: how far its dispatch is past the shipping limit, and the days left to the promise.
OPEN_FEATURES = ("shipped_by_checkpoint", "hours_past_limit", "days_left")
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
    return pd.DataFrame({"checkpoint": when, "shipped_by_checkpoint": shipped_by.astype(float),
                         "hours_past_limit": (dispatch - limit).dt.total_seconds() / 3600.0,
                         "days_left": (promised - when).dt.total_seconds() / 86400.0}, index=frame.index)

_PARAMS: dict[str, Any] = {"n_estimators": 300, "learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 30,
                           "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "verbose": -1,
                           "n_jobs": 1}  # one thread: OpenMP spin-waits badly on a shared machine


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

    @staticmethod
    def columns(open_: bool = False) -> list[str]:
        """Names of the model inputs, in matrix order."""
        return [*(OPEN_FEATURES if open_ else ()), *NUMERIC, *CATEGORICAL]

    def _fit_args(self, open_: bool = False) -> dict[str, Any]:
        names = self.columns(open_)
        return {"feature_name": names, "categorical_feature": [names.index(c) for c in CATEGORICAL]}

    def _split(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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

    def fit(self, frame: pd.DataFrame) -> OrderScorer:
        """Fit on :func:`order_features` rows (with ``bad`` when known, ``late`` and ``delivery_days``)."""
        self.categories_ = {c: sorted(frame[c].dropna().astype(str).unique()) if c in frame else []
                            for c in CATEGORICAL}
        train, cal, hold = self._split(frame)
        x = self._matrix(frame)
        self.models_: dict[str, Any] = {}
        self.calibrators_: dict[str, IsotonicRegression] = {}
        self.metrics_: dict[str, Any] = {"train_orders": int(train.sum()), "calibration_orders": int(cal.sum()),
                                         "holdout_orders": int(hold.sum()),
                                         "holdout_from": str(pd.to_datetime(frame.ordered_at[hold]).min().date())}
        targets = {"late_risk": frame["late"], "late_risk_open": frame["late"]}
        if "bad" in frame:
            targets["risk"] = frame["bad"]
        checkpoint = checkpoint_features(frame)
        x_open = self._matrix(frame, checkpoint)
        for name, y in targets.items():
            x = x_open if name == "late_risk_open" else self._matrix(frame)
            fit_args = self._fit_args(name == "late_risk_open")
            known = y.notna().to_numpy()
            yy = y.fillna(False).astype(int).to_numpy()
            fit_rows, cal_rows, hold_rows = train & known, cal & known, hold & known
            if yy[fit_rows].min(initial=1) == yy[fit_rows].max(initial=0):
                raise OrdersError(f"{name}: the training months hold only one class; nothing to learn")
            model = lgb.LGBMClassifier(**{**_PARAMS, "n_estimators": self.n_estimators}, random_state=self.seed)
            model.fit(x[fit_rows], yy[fit_rows], **fit_args)
            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
            iso.fit(_predict(model, x[cal_rows]), yy[cal_rows])
            self.models_[name], self.calibrators_[name] = model, iso
            p = iso.predict(_predict(model, x[hold_rows]))
            y_hold = yy[hold_rows]
            self.metrics_[f"{name}_auc"] = float(roc_auc_score(y_hold, p)) if 0 < y_hold.sum() < len(y_hold) else None
            self.metrics_[f"{name}_pr_auc"] = float(average_precision_score(y_hold, p)) if y_hold.sum() else None
            self.metrics_[f"{name}_brier"] = float(brier_score_loss(y_hold, p))
            self.metrics_[f"{name}_base_rate"] = float(y_hold.mean())
            if name == "late_risk_open":
                # Flagged two days ahead: risk >= 0.5 at a checkpoint at least two days before the promise.
                ahead = (checkpoint.days_left.to_numpy()[hold_rows] >= 2.0 - 1e-9) & (p >= 0.5)
                late = y_hold == 1
                self.metrics_["late_flagged_2d_ahead_share"] = float(ahead[late].mean()) if late.any() else None
                self.metrics_["late_flag_precision"] = float(late[ahead].mean()) if ahead.any() else None
                self.metrics_["late_flag_rate"] = float(ahead.mean())
        x = self._matrix(frame)
        days = frame["delivery_days"].to_numpy(dtype=float)
        known = np.isfinite(days)
        self.quantiles_ = {}
        for q in (0.1, 0.5, 0.9):
            model = lgb.LGBMRegressor(**{**_PARAMS, "n_estimators": self.n_estimators}, objective="quantile", alpha=q,
                                      random_state=self.seed)
            model.fit(x[train & known], days[train & known], **self._fit_args())
            self.quantiles_[q] = model
        xs = x[hold & known]
        lo, mid, hi = (_predict(self.quantiles_[q], xs) for q in (0.1, 0.5, 0.9))
        truth = days[hold & known]
        self.metrics_["delivery_p50_abs_error_days"] = float(np.median(np.abs(mid - truth)))
        self.metrics_["delivery_interval_80_coverage"] = float(np.mean((truth >= lo) & (truth <= hi)))
        self.version_ = hashlib.sha256(json.dumps(self.metrics_, sort_keys=True, default=str).encode()).hexdigest()[:12]
        return self

    # ------------------------------------------------------------------ scores
    def predict(self, frame: pd.DataFrame, *, reasons: bool = True) -> pd.DataFrame:
        """``risk``, ``late_risk``, ``delivery_days_p10/p50/p90`` (and ``risk_reasons``, ``late_reasons``) per row."""
        if not hasattr(self, "models_"):
            raise OrdersError("the order scorer is not trained; run `shopops orders train`")
        x = self._matrix(frame)
        out = pd.DataFrame(index=frame.index)
        for name, model in self.models_.items():
            if name == "late_risk_open":
                continue  # a score of open orders at a later moment: predict_open
            raw = _predict(model, x)
            out[name] = self.calibrators_[name].predict(raw)
            if reasons:
                out[f"{name}_reasons"] = self._reasons(model, x, self.columns())
        if "risk" not in out:
            out["risk"] = 0.0
        for q, model in self.quantiles_.items():
            out[f"delivery_days_p{int(q * 100)}"] = _predict(model, x)
        out["delivery_days_p90"] = np.maximum(out.delivery_days_p90, out.delivery_days_p50)
        out["delivery_days_p10"] = np.minimum(out.delivery_days_p10, out.delivery_days_p50)
        return out

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
