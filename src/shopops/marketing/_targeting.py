"""Uplift targeting: compare the uplift models on a holdout, pick one, and list whom to contact."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from shopops.marketing._errors import MarketingDataError
from shopops.marketing._results import UpliftResult
from shopops.marketing._uplift import UPLIFT_METHODS, Experiment, UpliftModel, uplift_scores

__all__ = ["profit_by_share", "target_uplift"]

_CURVE_POINTS = 101


def _curve(kind: str, y: np.ndarray, uplift: np.ndarray, t: np.ndarray) -> pd.DataFrame:
    from sklift.metrics import qini_curve, uplift_curve

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=FutureWarning)
        x, v = (qini_curve if kind == "qini" else uplift_curve)(y, uplift, t)
    share = np.asarray(x, dtype=float) / max(float(x[-1]), 1.0)
    grid = np.linspace(0.0, 1.0, _CURVE_POINTS)
    model = np.interp(grid, share, np.asarray(v, dtype=float))
    return pd.DataFrame({"share": grid, "model": model, "random": grid * float(v[-1])})


def profit_by_share(y: np.ndarray, uplift: np.ndarray, t: np.ndarray, *, population: int, cost_per_contact: float,
                    value_per_response: float) -> pd.DataFrame:
    """Incremental responses and profit of contacting the top share of ``population`` by estimated uplift.

    The incremental response rate of each top share is measured on the holdout: the treated rate
    minus the control rate among the holdout customers in that share.
    """
    order = np.argsort(-uplift, kind="stable")
    y, t = y[order], t[order]
    rows = []
    for pct in range(5, 101, 5):
        n = max(round(len(y) * pct / 100), 1)
        yt, tt = y[:n], t[:n]
        treated = yt[tt == 1].mean() if (tt == 1).any() else np.nan
        control = yt[tt == 0].mean() if (tt == 0).any() else np.nan
        rate = float(treated - control)
        contacts = round(population * pct / 100)
        value = rate * contacts * value_per_response
        rows.append({"top_share": pct / 100, "contacts": contacts, "incremental_rate": rate,
                     "incremental_responses": rate * contacts if value_per_response else np.nan,
                     "incremental_value": value, "cost": contacts * cost_per_contact,
                     "incremental_profit": value - contacts * cost_per_contact})
    return pd.DataFrame(rows)


_STRATA = {0: "control without a response", 1: "control with a response",
           2: "treated without a response", 3: "treated with a response"}


def _check_strata(strata: np.ndarray, outcome: str) -> None:
    """Each arm-by-response group needs two customers at least for the stratified holdout split."""
    counts = {code: int((strata == code).sum()) for code in _STRATA}
    thin = [f"{_STRATA[code]}: {n}" for code, n in counts.items() if n < 2]
    if thin:
        raise MarketingDataError(f"too few customers for an uplift model of {outcome!r} (each arm needs two "
                                 f"customers at least with and without a response; {'; '.join(thin)}); "
                                 "try another outcome, treatment or campaign")


def target_uplift(experiment: Experiment, *, method: str = "interaction", test_size: float = 0.5, seed: int = 0,
                  cost_per_contact: float = 0.0, value_per_response: float = 1.0, top_share: float | None = None,
                  compare: bool = True) -> UpliftResult:
    """Fit uplift models on part of an experiment, score them on the rest, and list whom to target.

    Parameters
    ----------
    experiment : Experiment
        From :func:`prepare_experiment`.
    method : str
        The model behind the list, one of ``UPLIFT_METHODS``.
    test_size : float
        Share of the experiment held out for the scores (stratified by arm and outcome).
    seed : int
        Seed of the split.
    cost_per_contact, value_per_response : float
        Money per contact and per incremental response (1 and an amount outcome: the amount itself).
    top_share : float, optional
        Share of customers to target; default: the share with the highest incremental profit on the holdout
        (or the customers with a positive estimated uplift when contacts cost nothing).
    compare : bool
        Also fit and score the other methods on the same split.
    """
    x, t, y = experiment.features, experiment.treatment, experiment.outcome
    strata = t * 2 + (y > 0).astype(int)
    _check_strata(strata, experiment.outcome_name)
    try:
        train, test = train_test_split(np.arange(len(y)), test_size=test_size, random_state=seed, stratify=strata)
    except ValueError as exc:  # a split the data cannot support: the caller's request, not a server fault
        raise MarketingDataError(f"cannot split the experiment into training and holdout parts: {exc}") from exc
    methods = list(UPLIFT_METHODS) if compare else [method]
    if method not in methods:
        methods.insert(0, method)
    rows, chosen_test = [], None
    for name in methods:
        model = UpliftModel(method=name).fit(x.iloc[train], t[train], y[train])
        u = model.predict(x.iloc[test])
        rows.append({"method": name, **uplift_scores(y[test], u, t[test])})
        if name == method:
            chosen_test = u
    assert chosen_test is not None
    comparison = pd.DataFrame(rows)
    profit = profit_by_share(y[test], chosen_test, t[test], population=len(y), cost_per_contact=cost_per_contact,
                             value_per_response=value_per_response)
    final = UpliftModel(method=method).fit(x, t, y)
    uplift = final.predict(x)
    if top_share is None:
        if cost_per_contact > 0:
            top_share = float(profit.loc[profit["incremental_profit"].idxmax(), "top_share"])
        else:
            top_share = max(float((uplift > 0).mean()), 0.05)
    n_target = round(len(y) * top_share)
    order = np.argsort(-uplift, kind="stable")
    targets = pd.DataFrame({"customer_id": experiment.ids.to_numpy()[order],
                            "estimated_uplift": uplift[order], "rank": np.arange(1, len(y) + 1)})
    targets = targets.head(n_target).reset_index(drop=True)
    targets["reasons"] = final.reasons(x.iloc[order[:n_target]].reset_index(drop=True))
    scores = comparison.set_index("method").loc[method].to_dict()
    chosen_profit = profit.loc[(profit["top_share"] - top_share).abs().idxmin()]
    metrics = {**{k: float(v) for k, v in scores.items()}, "holdout_rows": len(test),
               "treated_rate": float(y[t == 1].mean()), "control_rate": float(y[t == 0].mean()),
               "average_effect": float(y[t == 1].mean() - y[t == 0].mean()),
               "expected_incremental_profit": float(chosen_profit["incremental_profit"])}
    return UpliftResult(
        model=f"{method} uplift model (logistic, spline basis) on {experiment.treatment_arm} vs control",
        params={"method": method, "outcome": experiment.outcome_name, "treatment": experiment.treatment_arm,
                "test_size": test_size, "seed": seed, "cost_per_contact": cost_per_contact,
                "value_per_response": value_per_response, "top_share": top_share},
        metrics=metrics, targets=targets, comparison=comparison, profit=profit,
        qini=_curve("qini", y[test], chosen_test, t[test]),
        uplift_curve=_curve("uplift", y[test], chosen_test, t[test]))
