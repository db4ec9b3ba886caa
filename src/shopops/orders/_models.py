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

__all__ = ["OrderScorer"]

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
    def _matrix(self, frame: pd.DataFrame) -> pd.DataFrame:
        x = pd.DataFrame(index=frame.index)
        for name in NUMERIC:
            x[name] = frame[name].astype(float) if name in frame else np.nan
        for name in CATEGORICAL:
            values = frame[name] if name in frame else pd.Series(None, index=frame.index, dtype=object)
            x[name] = pd.Categorical(values.astype(object), categories=self.categories_[name])
        return x

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
        targets = {"late_risk": frame["late"]}
        if "bad" in frame:
            targets["risk"] = frame["bad"]
        for name, y in targets.items():
            known = y.notna().to_numpy()
            yy = y.fillna(False).astype(int).to_numpy()
            fit_rows, cal_rows, hold_rows = train & known, cal & known, hold & known
            if yy[fit_rows].min(initial=1) == yy[fit_rows].max(initial=0):
                raise OrdersError(f"{name}: the training months hold only one class; nothing to learn")
            model = lgb.LGBMClassifier(**{**_PARAMS, "n_estimators": self.n_estimators}, random_state=self.seed)
            model.fit(x[fit_rows], yy[fit_rows])
            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
            iso.fit(np.asarray(model.predict_proba(x[cal_rows]))[:, 1], yy[cal_rows])
            self.models_[name], self.calibrators_[name] = model, iso
            p = iso.predict(np.asarray(model.predict_proba(x[hold_rows]))[:, 1])
            y_hold = yy[hold_rows]
            self.metrics_[f"{name}_auc"] = float(roc_auc_score(y_hold, p)) if 0 < y_hold.sum() < len(y_hold) else None
            self.metrics_[f"{name}_pr_auc"] = float(average_precision_score(y_hold, p)) if y_hold.sum() else None
            self.metrics_[f"{name}_brier"] = float(brier_score_loss(y_hold, p))
            self.metrics_[f"{name}_base_rate"] = float(y_hold.mean())
        days = frame["delivery_days"].to_numpy(dtype=float)
        known = np.isfinite(days)
        self.quantiles_ = {}
        for q in (0.1, 0.5, 0.9):
            model = lgb.LGBMRegressor(**{**_PARAMS, "n_estimators": self.n_estimators}, objective="quantile", alpha=q,
                                      random_state=self.seed)
            model.fit(x[train & known], days[train & known])
            self.quantiles_[q] = model
        xs = x[hold & known]
        lo, mid, hi = (self.quantiles_[q].predict(xs) for q in (0.1, 0.5, 0.9))
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
            raw = model.predict_proba(x)[:, 1]
            out[name] = self.calibrators_[name].predict(raw)
            if reasons:
                out[f"{name}_reasons"] = self._reasons(model, x)
        if "risk" not in out:
            out["risk"] = 0.0
        for q, model in self.quantiles_.items():
            out[f"delivery_days_p{int(q * 100)}"] = model.predict(x)
        out["delivery_days_p90"] = np.maximum(out.delivery_days_p90, out.delivery_days_p50)
        out["delivery_days_p10"] = np.minimum(out.delivery_days_p10, out.delivery_days_p50)
        return out

    @staticmethod
    def _reasons(model: Any, x: pd.DataFrame, top: int = 3) -> np.ndarray:
        contrib = model.booster_.predict(x, pred_contrib=True)[:, :-1]
        names = np.array(x.columns, dtype=object)
        order = np.argsort(-contrib, axis=1)[:, :top]
        picked = names[order]
        positive = np.take_along_axis(contrib, order, axis=1) > 0
        return np.array([",".join(p[m]) for p, m in zip(picked, positive, strict=True)], dtype=object)

    def describe(self) -> dict[str, Any]:
        """Version, parameters and holdout metrics, JSON-ready."""
        return {"version": getattr(self, "version_", ""), "holdout_months": self.holdout_months,
                "calibration_months": self.calibration_months, "seed": self.seed,
                "metrics": getattr(self, "metrics_", {})}
