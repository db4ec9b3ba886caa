"""Uplift models: who is moved by a campaign, estimated from a randomised experiment.

Three estimators of the individual effect ``P(y | treated, x) - P(y | control, x)``:

* ``two_model``: one logistic regression per arm, the difference of their probabilities;
* ``class_transformation``: one logistic regression on ``z = y * t + (1 - y) * (1 - t)``, uplift ``2 P(z) - 1``
  (exact for a 50/50 split; the arms are reweighted to it otherwise);
* ``interaction`` (the default): one regularised logistic regression on the features, the treatment
  and their interactions (a meta-learner that shares the base response between the arms, so the
  effect is estimated with all the data); features pass through a spline basis first.

All three use :class:`~shopops.marketing._basis.FeatureBasis`. Scores are from scikit-uplift.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from shopops.marketing._basis import FeatureBasis
from shopops.marketing._errors import MarketingDataError

__all__ = ["UPLIFT_METHODS", "Experiment", "UpliftModel", "prepare_experiment", "uplift_scores"]

UPLIFT_METHODS = ("interaction", "two_model", "class_transformation")


@dataclass(frozen=True)
class Experiment:
    """A randomised experiment ready to model: features, 0/1 treatment, outcome, and who the rows are."""

    features: pd.DataFrame
    treatment: np.ndarray
    outcome: np.ndarray
    ids: pd.Series
    treatment_arm: str
    outcome_name: str


def prepare_experiment(frame: pd.DataFrame, *, outcome: str, features: list[str], arm: str = "arm",
                       control: str = "control", treatment: str | None = None, id_column: str = "customer_id",
                       randomised: str | None = "randomised") -> Experiment:
    """Check a contacts frame and keep one treatment arm against the control.

    Parameters
    ----------
    frame : DataFrame
        One row per customer of the experiment.
    outcome : str
        The response column (0/1, or an amount such as revenue).
    features : list of str
        Columns known before the campaign.
    arm, control, treatment : str
        The arm column, its control value and the treated arm to compare (default: the only other arm).
    id_column : str
        The column that names the customers (row numbers when absent).
    randomised : str or None
        A boolean column that says the arms were assigned at random; ``None`` to skip the check.

    Raises
    ------
    MarketingDataError
        Missing columns, a single arm, no control group, or an assignment that was not randomised.
    """
    needed = [arm, outcome, *features]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise MarketingDataError(f"the experiment lacks the column(s) {missing}; it has {list(frame.columns)}")
    arms = frame[arm].astype(str)
    values = sorted(arms.unique())
    if len(values) < 2:
        raise MarketingDataError(f"the treatment column {arm!r} has a single arm ({values}): an uplift needs a "
                                 f"treated group and a control group ({control!r})")
    if control not in values:
        raise MarketingDataError(f"there is no randomised control: no row has {arm} = {control!r} (arms: "
                                 f"{values}). An uplift model needs customers who were held out at random; "
                                 "without them only propensity can be estimated, and it would target people "
                                 "who buy anyway")
    if randomised is not None:
        if randomised not in frame.columns:
            raise MarketingDataError(f"the experiment has no {randomised!r} column, so nothing says the control "
                                     "group was drawn at random; refusing to estimate an uplift on it")
        not_random = ~frame[randomised].fillna(False).astype(bool)
        if not_random.any():
            raise MarketingDataError(f"{int(not_random.sum()):,} row(s) were not assigned at random "
                                     f"({randomised} is false): the control group is not a randomised holdout, "
                                     "so the effect cannot be told apart from who was chosen")
    treated_arms = [v for v in values if v != control]
    if treatment is None:
        if len(treated_arms) > 1:
            raise MarketingDataError(f"the experiment has several treated arms {treated_arms}: name one")
        treatment = treated_arms[0]
    elif treatment not in treated_arms:
        raise MarketingDataError(f"no arm {treatment!r}; the treated arms are {treated_arms}")
    keep = arms.isin([treatment, control]).to_numpy()
    sub = frame.loc[keep].reset_index(drop=True)
    y = pd.to_numeric(sub[outcome], errors="coerce")
    if y.isna().any():
        raise MarketingDataError(f"outcome {outcome!r} is missing or not a number on {int(y.isna().sum()):,} rows")
    t = (sub[arm].astype(str) == treatment).to_numpy().astype(int)
    if min(t.sum(), (1 - t).sum()) < 50:
        raise MarketingDataError(f"arm {treatment!r} has {int(t.sum())} and the control {int((1 - t).sum())} "
                                 "rows: at least 50 each are needed")
    ids = sub[id_column].astype(str) if id_column in sub.columns else pd.Series(np.arange(len(sub)).astype(str))
    return Experiment(features=sub[features].copy(), treatment=t, outcome=y.to_numpy(dtype=float), ids=ids,
                      treatment_arm=treatment, outcome_name=outcome)


def _binary(y: np.ndarray) -> bool:
    return bool(np.isin(np.unique(y), [0.0, 1.0]).all())


@dataclass
class UpliftModel:
    """An uplift estimator, scikit-learn style: configured here, fitted by :meth:`fit`.

    Parameters
    ----------
    method : {"interaction", "two_model", "class_transformation"}
    C : float
        Inverse L2 strength of the logistic regressions (``interaction`` uses it for all terms).
    n_knots : int
        Knots of the spline basis of skewed amounts.
    """

    method: str = "interaction"
    C: float = 0.05
    n_knots: int = 6
    basis_: FeatureBasis = field(default_factory=FeatureBasis)
    models_: list[LogisticRegression] = field(default_factory=list)
    linear_: bool = True

    def fit(self, features: pd.DataFrame, treatment: np.ndarray, outcome: np.ndarray) -> UpliftModel:
        """Fit on an experiment: features, 0/1 treatment, outcome (0/1; amounts are modelled as ``> 0``)."""
        if self.method not in UPLIFT_METHODS:
            raise MarketingDataError(f"unknown uplift method {self.method!r}; choose one of {UPLIFT_METHODS}")
        y = outcome if _binary(outcome) else (outcome > 0).astype(float)
        t = np.asarray(treatment, dtype=float)
        self.basis_ = FeatureBasis(n_knots=self.n_knots).fit(features)
        x = self.basis_.transform(features)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            if self.method == "interaction":
                design = np.hstack([x, t[:, None], x * t[:, None]])
                self.models_ = [LogisticRegression(C=self.C, max_iter=3000).fit(design, y)]
            elif self.method == "two_model":
                self.models_ = [LogisticRegression(C=self.C * 20, max_iter=3000).fit(x[t == a], y[t == a])
                                for a in (0, 1)]
            else:
                share = t.mean()
                weight = np.where(t == 1, 0.5 / share, 0.5 / (1 - share))
                z = (y == t).astype(int)
                self.models_ = [LogisticRegression(C=self.C * 20, max_iter=3000).fit(x, z, sample_weight=weight)]
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Estimated uplift (change of the outcome's probability) per row."""
        x = self.basis_.transform(features)
        if self.method == "interaction":
            one, zero = np.ones((len(x), 1)), np.zeros((len(x), 1))
            m = self.models_[0]
            return np.asarray(m.predict_proba(np.hstack([x, one, x]))[:, 1]
                              - m.predict_proba(np.hstack([x, zero, 0 * x]))[:, 1])
        if self.method == "two_model":
            return np.asarray(self.models_[1].predict_proba(x)[:, 1] - self.models_[0].predict_proba(x)[:, 1])
        return np.asarray(2.0 * self.models_[0].predict_proba(x)[:, 1] - 1.0)

    def reasons(self, features: pd.DataFrame, top: int = 3) -> list[str]:
        """Per row, the features that push its estimated effect up or down most (on the logit scale)."""
        x = self.basis_.transform(features)
        groups = np.array(self.basis_.groups_)
        if self.method == "interaction":
            coef = self.models_[0].coef_[0][x.shape[1] + 1:]
        elif self.method == "two_model":
            coef = self.models_[1].coef_[0] - self.models_[0].coef_[0]
        else:
            coef = self.models_[0].coef_[0]
        contrib = x * coef
        names = list(dict.fromkeys(groups))
        by_feature = np.column_stack([contrib[:, groups == g].sum(axis=1) for g in names])
        order = np.argsort(-np.abs(by_feature), axis=1)[:, :top]
        raw = features.reset_index(drop=True)
        out = []
        for i in range(len(x)):
            parts = []
            for j in order[i]:
                name = names[j]
                sign = "+" if by_feature[i, j] >= 0 else "−"
                parts.append(f"{name}={_fmt(raw.at[i, name])} ({sign})")
            out.append(", ".join(parts))
        return out


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value)


def uplift_scores(outcome: np.ndarray, uplift: np.ndarray, treatment: np.ndarray) -> dict[str, float]:
    """Qini AUC, uplift AUC and uplift at 10/20/30 % (scikit-uplift, ``strategy='overall'``)."""
    from sklift.metrics import qini_auc_score, uplift_at_k, uplift_auc_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=FutureWarning)
        out = {"qini_auc": float(qini_auc_score(outcome, uplift, treatment)),
               "uplift_auc": float(uplift_auc_score(outcome, uplift, treatment))}
        for k in (0.1, 0.2, 0.3):
            out[f"uplift_at_{int(k * 100)}"] = float(uplift_at_k(outcome, uplift, treatment, strategy="overall", k=k))
    return out
