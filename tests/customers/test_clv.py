"""BG/NBD and Gamma-Gamma: published CDNOW parameters, the lifetimes package, counting and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shopops.customers import (
    BetaGeoModel,
    CustomerDataError,
    GammaGammaModel,
    clv_summary,
    customer_lifetime_value,
    repeat_tracking,
)

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie and Lee (2005)
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}  # Fader, Hardie and Lee (2005b), same calibration data


@pytest.fixture(scope="module")
def sample_summary(cdnow_sample: pd.DataFrame) -> pd.DataFrame:
    return clv_summary(cdnow_sample, calibration_end="1997-09-30", observation_end="1998-06-30",
                       value_col="dollar_value")


def test_bgnbd_matches_the_published_cdnow_parameters(sample_summary: pd.DataFrame):
    assert len(sample_summary) == 2357
    model = BetaGeoModel().fit(sample_summary["frequency"], sample_summary["recency"], sample_summary["T"])
    for name, published in PUBLISHED_BGNBD.items():
        assert model.params_[name] == pytest.approx(published, rel=0.01), name
    assert model.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)  # the paper's LL


def test_cdnow_through_the_warehouse_gives_the_published_parameters(cdnow_sample, tmp_path):
    from shopops import Shop
    from tests.customers.conftest import CDNOW

    shop = Shop.open(tmp_path / "cdnow")
    shop.ingest(CDNOW / "cdnow_sample.parquet")
    result = shop.clv(horizon_days=273, as_of="1997-09-30")
    values = result.customers
    assert len(values) == 2357  # the 8 customers whose first CD was free count too
    for name, published in PUBLISHED_BGNBD.items():
        assert result.bgnbd_params[name] == pytest.approx(published, rel=0.01), name
    assert values["p_alive"].between(0, 1).all() and (values["clv"] >= 0).all()


def test_gamma_gamma_matches_the_published_parameters(sample_summary: pd.DataFrame):
    model = GammaGammaModel().fit(sample_summary["frequency"], sample_summary["monetary_value"])
    for name, published in PUBLISHED_GG.items():
        assert model.params_[name] == pytest.approx(published, rel=0.01), name


def test_same_parameters_as_lifetimes_on_the_master_file(cdnow_master: pd.DataFrame):
    lifetimes = pytest.importorskip("lifetimes")
    summary = clv_summary(cdnow_master, calibration_end="1997-09-30", value_col="dollar_value")
    assert len(summary) == 23570
    ours = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"]).params_
    theirs = lifetimes.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"]).params_
    for name in ("r", "alpha", "a", "b"):
        assert ours[name] == pytest.approx(theirs[name], rel=0.005), name


def test_purchases_on_one_day_are_one_transaction():
    tx = pd.DataFrame({"customer_id": [1, 1, 1, 2], "value": [10.0, 5.0, 7.0, 3.0],
                       "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"])})
    s = clv_summary(tx, calibration_end="2024-01-29")
    assert s.loc[1, "frequency"] == 1  # two purchases on 1 January count once
    assert s.loc[1, "recency"] == pytest.approx(2.0) and s.loc[1, "T"] == pytest.approx(4.0)
    assert s.loc[1, "monetary_value"] == 7.0  # mean of the repeat days only
    assert s.loc[2, "frequency"] == 0 and s.loc[2, "monetary_value"] == 0.0


def test_predictions_behave(sample_summary: pd.DataFrame, cdnow_sample: pd.DataFrame):
    s = sample_summary
    model = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    alive = model.p_alive(s["frequency"], s["recency"], s["T"])
    assert np.all(alive[s["frequency"].to_numpy() == 0] == 1.0)  # never repeated: never seen to drop out
    assert np.all((alive > 0) & (alive <= 1))
    short, long = (model.expected_purchases(t, s["frequency"], s["recency"], s["T"]) for t in (10, 39))
    assert np.all(long >= short)
    predicted = model.expected_purchases(39, s["frequency"], s["recency"], s["T"]).sum()
    assert predicted == pytest.approx(s["frequency_holdout"].sum(), rel=0.2)  # holdout weeks 40-78
    tracking = repeat_tracking(cdnow_sample, model, start="1997-01-01", end="1998-06-30")
    assert len(tracking) == 78
    repeats = cdnow_sample.drop_duplicates(["customer_id", "date"]).shape[0] - cdnow_sample["customer_id"].nunique()
    assert tracking["actual_cum"].iloc[-1] == repeats
    assert tracking["expected_cum"].iloc[-1] == pytest.approx(repeats, rel=0.1)


def test_single_day_history_is_a_clear_error():
    tx = pd.DataFrame({"customer_id": [1, 2], "date": pd.to_datetime(["2024-01-01"] * 2), "value": [1.0, 2.0]})
    with pytest.raises(CustomerDataError, match="spans 0 day"):
        customer_lifetime_value(tx)
    with pytest.raises(CustomerDataError, match="single-day"):
        s = clv_summary(tx, calibration_end="2024-01-01")
        BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])


def test_missing_columns_and_unfitted_models_are_clear_errors():
    with pytest.raises(CustomerDataError, match="missing column"):
        clv_summary(pd.DataFrame({"id": [1]}), calibration_end="2024-01-01")
    with pytest.raises(CustomerDataError, match="not fitted"):
        BetaGeoModel().p_alive([0], [0], [1])
    with pytest.raises(CustomerDataError, match="fewer than 3"):
        GammaGammaModel().fit([0, 0, 1], [0.0, 0.0, 5.0])
