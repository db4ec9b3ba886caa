"""Click and conversion prediction on impression logs: hashed-feature logistic regression and LightGBM.

Both models are calibrated on the latest slice of the training period and scored on the latest
part of the log, which they never saw. The calibrator is learnt from a model fitted on the earlier
rows only; the model is then refitted on all training rows, so creatives launched just before the
cut are known to it (on a time split those are most of tomorrow's traffic). The hashed model maps
every ``field=value`` and a few crossed pairs into a fixed space of ``2**bits`` columns, so unseen
campaigns or creatives cost nothing and scoring stays a sparse dot product. The creative's age
enters as a slope per creative, not as age buckets: a time split scores ages that training never saw.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from shopops.marketing._errors import MarketingDataError
from shopops.marketing._results import CtrResult

__all__ = ["CTR_FIELDS", "CTR_MODELS", "CtrModel", "click_funnel", "ctr_features", "evaluate_ctr"]

CTR_FIELDS = ("campaign_id", "creative_id", "channel", "audience", "device", "placement", "hour", "weekday")
_CROSSES = (("audience", "channel"), ("device", "placement"))
CTR_MODELS = ("hashed_logistic", "lightgbm")
_MIX = np.uint64(0x9E3779B97F4A7C15)


def ctr_features(impressions: pd.DataFrame) -> pd.DataFrame:
    """The model fields of an impression log: its categories, hour, weekday and the creative's age."""
    missing = [c for c in ("ts", "campaign_id") if c not in impressions.columns]
    if missing:
        raise MarketingDataError(f"the impression log lacks the column(s) {missing}")
    ts = pd.to_datetime(impressions["ts"])
    out = pd.DataFrame(index=impressions.index)
    for col in ("campaign_id", "creative_id", "channel", "audience", "device", "placement"):
        out[col] = impressions[col].to_numpy() if col in impressions.columns else "?"
    out["hour"] = ts.dt.hour.to_numpy()
    out["weekday"] = ts.dt.weekday.to_numpy()
    age = impressions["creative_age_days"] if "creative_age_days" in impressions.columns else pd.Series(0, out.index)
    out["creative_age_days"] = age.fillna(0).to_numpy(dtype=float)
    return out


def _hash(field_name: str, values: np.ndarray) -> np.ndarray:
    salt = np.uint64(_stable(field_name))  # Python's hash() is salted per process: models must reload
    # Hash the distinct values only: a log has few of them, and hashing is the cost of scoring.
    codes, uniques = pd.factorize(values)
    hashed = pd.util.hash_array(np.asarray(uniques, dtype=object).astype(str).astype(object)) ^ salt
    return np.asarray(np.append(hashed, salt)[codes], dtype=np.uint64)


def _stable(text: str) -> int:
    out = 1469598103934665603
    for ch in text.encode():
        out = ((out ^ ch) * 1099511628211) % (1 << 64)
    return out


@dataclass
class CtrModel:
    """P(target | impression), calibrated, scikit-learn style.

    Parameters
    ----------
    kind : {"hashed_logistic", "lightgbm"}
    bits : int
        The hashed model's feature space is ``2**bits`` columns.
    C : float
        Inverse L2 strength of the logistic regression.
    seed : int
    """

    kind: str = "lightgbm"
    bits: int = 18
    C: float = 0.5
    seed: int = 0
    model_: Any = None
    calibrator_: LogisticRegression | None = None
    levels_: dict[str, list[Any]] = field(default_factory=dict)
    click_model_: CtrModel | None = None

    def _sparse(self, feats: pd.DataFrame) -> sparse.csr_matrix:
        n = len(feats)
        cols, hashes = [], {}
        for f in CTR_FIELDS:
            hashes[f] = _hash(f, feats[f].to_numpy())
            cols.append(hashes[f])
        for a, b in _CROSSES:
            cols.append(hashes[a] * _MIX + hashes[b])
        # A slope of the creative's age per creative: wear-out is a trend, and a time split scores ages not seen.
        cols.append(hashes["creative_id"] * _MIX + np.uint64(_stable("age_slope")))
        cols.append(np.full(n, np.uint64(_stable("age")), dtype=np.uint64))
        index = (np.column_stack(cols) % np.uint64(1 << self.bits)).astype(np.int64)
        values = np.ones(index.shape)
        values[:, -2:] = feats["creative_age_days"].to_numpy(dtype=float)[:, None] / 100.0
        data = values.ravel()
        indptr = np.arange(0, index.size + 1, index.shape[1])
        return sparse.csr_matrix((data, index.ravel(), indptr), shape=(n, 1 << self.bits))

    def _frame(self, feats: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(index=feats.index)
        for f in CTR_FIELDS:
            out[f] = pd.Categorical(feats[f], categories=self.levels_[f])
        out["creative_age_days"] = feats["creative_age_days"].to_numpy()
        return out

    def _raw(self, feats: pd.DataFrame) -> np.ndarray:
        if self.kind == "hashed_logistic":
            return np.asarray(self.model_.predict_proba(self._sparse(feats))[:, 1])
        return np.asarray(self.model_.predict_proba(self._frame(feats))[:, 1])

    def _fit_model(self, feats: pd.DataFrame, y: np.ndarray) -> Any:
        if self.kind == "hashed_logistic":
            return LogisticRegression(C=self.C, max_iter=300, solver="lbfgs").fit(self._sparse(feats), y)
        from lightgbm import LGBMClassifier

        # One thread: LightGBM's OpenMP workers spin, and on a busy machine that stalls the fit for minutes.
        model = LGBMClassifier(n_estimators=200, learning_rate=0.05, num_leaves=15, min_child_samples=200,
                               subsample=0.8, subsample_freq=1, colsample_bytree=0.8, cat_smooth=50,
                               min_data_per_group=200, cat_l2=10.0, random_state=self.seed, verbose=-1, n_jobs=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            return model.fit(self._frame(feats), y)

    def fit(self, impressions: pd.DataFrame, target: np.ndarray, *, calibration_share: float = 0.2,
            clicked: np.ndarray | None = None) -> CtrModel:
        """Calibrate on the last ``calibration_share`` of the rows, then refit the model on all of them.

        The calibrator (Platt scaling: a logistic regression on the model's logit) is learnt from a
        model that did not see the calibration rows; it is strictly increasing, so it keeps the
        model's ranking (and AUC) and only corrects the probabilities. With ``clicked`` (a target
        that only follows a click, see :func:`click_funnel`) the model is a funnel: P(click) from
        every row times P(target | click) from the clicked rows, so the rare target borrows the
        clicks' far larger sample.
        """
        if self.kind not in CTR_MODELS:
            raise MarketingDataError(f"unknown click model {self.kind!r}; choose one of {CTR_MODELS}")
        y = np.asarray(target).astype(int)
        if clicked is not None:
            clicks = np.asarray(clicked).astype(bool)
            self.click_model_ = CtrModel(kind=self.kind, bits=self.bits, C=self.C, seed=self.seed).fit(
                impressions, clicks.astype(int), calibration_share=calibration_share)
            impressions, y = impressions.iloc[np.flatnonzero(clicks)], y[clicks]
        if len(np.unique(y)) < 2:
            raise MarketingDataError("the target has a single value in the training rows: nothing to learn")
        feats = ctr_features(impressions)
        if self.kind == "lightgbm":
            self.levels_ = {f: sorted(pd.unique(feats[f])) for f in CTR_FIELDS}
        cut = int(len(y) * (1.0 - calibration_share))
        if len(np.unique(y[:cut])) < 2 or len(np.unique(y[cut:])) < 2:
            raise MarketingDataError("the target has a single value in the fitting or the calibration rows: "
                                     "too few clicks to calibrate a click model")
        self.model_ = self._fit_model(feats.iloc[:cut], y[:cut])
        raw = self._raw(feats.iloc[cut:])
        self.calibrator_ = LogisticRegression(C=1e6).fit(_logit(raw)[:, None], y[cut:])
        self.model_ = self._fit_model(feats, y)
        return self

    def predict_proba(self, impressions: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the target per impression."""
        if self.model_ is None or self.calibrator_ is None:
            raise MarketingDataError("the click model is not fitted: call fit() or `shopops marketing ctr train`")
        feats = ctr_features(impressions)
        if self.kind == "lightgbm":
            for f in CTR_FIELDS:  # unseen levels become missing, which LightGBM routes like rare ones
                feats[f] = feats[f].where(feats[f].isin(self.levels_[f]))
        p = np.asarray(self.calibrator_.predict_proba(_logit(self._raw(feats))[:, None])[:, 1])
        return p * self.click_model_.predict_proba(impressions) if self.click_model_ is not None else p


def click_funnel(impressions: pd.DataFrame, target: str) -> np.ndarray | None:
    """The clicks a target follows (every conversion came after a click), or ``None`` when it does not."""
    if target == "clicked" or "clicked" not in impressions.columns:
        return None
    clicks = impressions["clicked"].fillna(False).astype(bool).to_numpy()
    hits = impressions[target].fillna(False).astype(bool).to_numpy()
    if (hits & ~clicks).any() or clicks.sum() < 200:  # view-through conversions, or too few clicks to model
        return None
    return np.asarray(clicks, dtype=bool)


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-7, 1 - 1e-7)
    return np.asarray(np.log(q / (1 - q)))


def _ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> tuple[float, pd.DataFrame]:
    edges = np.quantile(p, np.linspace(0, 1, bins + 1))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    frame = pd.DataFrame({"bin": which, "p": p, "y": y}).groupby("bin").agg(
        predicted=("p", "mean"), observed=("y", "mean"), rows=("y", "size")).reset_index()
    ece = float((frame["rows"] * (frame["predicted"] - frame["observed"]).abs()).sum() / len(y))
    return ece, frame


def evaluate_ctr(impressions: pd.DataFrame, *, target: str = "clicked", test_share: float = 0.2, seed: int = 0,
                 value_per_conversion: float | None = None, models: tuple[str, ...] = CTR_MODELS,
                 true_probability: np.ndarray | None = None) -> CtrResult:
    """Fit the click models on the earlier impressions and score them on the latest ``test_share``.

    Parameters
    ----------
    impressions : DataFrame
        The ``ad_impressions`` log (``ts``, ``campaign_id``, ``clicked``, ``converted``, context columns).
    target : {"clicked", "converted"}
        What to predict.
    test_share : float
        The latest share of the log held out for the scores.
    seed : int
        Seed of LightGBM.
    models : tuple of str
        Which of ``CTR_MODELS`` to fit.
    value_per_conversion : float, optional
        Money per conversion for the bidding guidance (default: 1, so the value is in conversions).
    true_probability : array, optional
        The simulator's true probability per row: its AUC on the holdout (the ceiling) is reported too.
    """
    if target not in impressions.columns:
        raise MarketingDataError(f"the impression log has no {target!r} column")
    log = impressions.sort_values("ts", kind="stable")
    order = log.index.to_numpy()
    log = log.reset_index(drop=True)
    y = log[target].astype(int).to_numpy()
    cut = int(len(log) * (1.0 - test_share))
    if cut < 1000 or len(log) - cut < 500:
        raise MarketingDataError(f"{len(log):,} impressions are too few to train and score a click model "
                                 "(at least 1,500 are needed)")
    train, test = log.iloc[:cut], log.iloc[cut:]
    base = float(y[:cut].mean())
    base_loss = float(log_loss(y[cut:], np.full(len(test), base), labels=[0, 1]))
    rows, calib, predictions = [], [], {}
    for kind in models:
        model = CtrModel(kind=kind, seed=seed).fit(train, y[:cut], clicked=click_funnel(train, target))
        p = model.predict_proba(test)
        predictions[kind] = p
        ece, frame = _ece(y[cut:], p)
        frame.insert(0, "model", kind)
        calib.append(frame)
        rows.append({"model": kind, "auc": float(roc_auc_score(y[cut:], p)), "log_loss": float(log_loss(y[cut:], p)),
                     "brier": float(brier_score_loss(y[cut:], p)), "ece": ece, "base_rate": base,
                     "base_log_loss": base_loss, "rows": len(test)})
    comparison = pd.DataFrame(rows)
    best = comparison.loc[comparison["auc"].idxmax(), "model"]
    metrics: dict[str, Any] = {f"{r['model']}_{k}": r[k] for r in rows for k in ("auc", "log_loss", "ece")}
    metrics.update({"base_rate": base, "base_log_loss": base_loss, "holdout_rows": len(test)})
    if true_probability is not None:
        truth = np.asarray(true_probability)[order][cut:]
        metrics["ceiling_auc"] = float(roc_auc_score(y[cut:], truth))
    value = 1.0 if value_per_conversion is None else float(value_per_conversion)
    frame = pd.DataFrame({"campaign_id": test["campaign_id"].to_numpy(), "p": predictions[str(best)]})
    if target == "clicked" and "converted" in log.columns:
        clicks = train["clicked"].astype(bool)
        cvr = float(train.loc[clicks, "converted"].mean()) if clicks.any() else 0.0
    else:
        cvr = 1.0
    bidding = frame.groupby("campaign_id", as_index=False).agg(impressions=("p", "size"),
                                                               mean_probability=("p", "mean"))
    bidding["conversions_per_target"] = cvr
    bidding["value_per_conversion"] = value
    bidding["expected_value_per_impression"] = bidding["mean_probability"] * cvr * value
    bidding["max_cpm_bid"] = 1000.0 * bidding["expected_value_per_impression"]
    bidding = bidding.sort_values("expected_value_per_impression", ascending=False, ignore_index=True)
    return CtrResult(model=f"{best} (best of {', '.join(models)}; Platt calibration, time split)",
                     params={"target": target, "test_share": test_share, "seed": seed, "rows": len(log)},
                     metrics=metrics, comparison=comparison, calibration=pd.concat(calib, ignore_index=True),
                     bidding=bidding)
