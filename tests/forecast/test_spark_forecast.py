"""`--engine spark`: per-series models fitted by Spark executors give the local run's forecasts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from shopops.config import Settings
from shopops.forecast import DemandForecaster
from tests.forecast.conftest import FAST
from tests.warehouse.test_spark import NO_SPARK

needs_spark = pytest.mark.skipif(NO_SPARK is not None, reason=NO_SPARK or "")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    from shopops.forecast._spark import use_this_python
    from shopops.warehouse._spark import spark_session

    use_this_python()
    active = SparkSession.getActiveSession()
    if active is not None:  # a session started elsewhere may run another Python: start our own
        active.stop()
    session = spark_session(Settings())
    yield session
    session.stop()


@needs_spark
@pytest.mark.spark
@pytest.mark.slow
def test_spark_engine_equals_local_run(sim_shop, spark: Any) -> None:
    df = sim_shop.demand(until="2024-06-30")
    local = DemandForecaster(horizon=14, **FAST).fit(df)
    remote = DemandForecaster(horizon=14, engine="spark", spark=spark, **FAST).fit(df)
    a, b = local.predict(14), remote.predict(14)
    assert a["unique_id"].tolist() == b["unique_id"].tolist()
    for col in ("yhat", "q05", "q50", "q95", "q99"):
        assert np.allclose(a[col], b[col], rtol=1e-9, atol=1e-9), col
    assert local.choice_["model"].tolist() == remote.choice_["model"].tolist()
    for name in ("sba", "tsb", "adida", "imapa", "ma"):
        assert np.array_equal(local.candidates_[name], remote.candidates_[name]), name
