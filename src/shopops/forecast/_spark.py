"""Per-series models on Spark: series are grouped into partitions and fitted with ``applyInPandas``."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from shopops.forecast._history import ForecastError, Panel
from shopops.forecast._stat import stat_forecasts_frame

__all__ = ["spark_stats", "use_this_python"]


def use_this_python() -> None:
    """Spark's Python workers must run this interpreter (the one with shopops installed), not ``python3``."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


def _session(spark: Any) -> Any:
    if spark is not None:
        return spark
    use_this_python()
    try:
        from shopops.config import Settings
        from shopops.warehouse import spark_session
    except ImportError:  # pragma: no cover - the warehouse module is always there
        raise ForecastError("the Spark engine needs pyspark: pip install 'shopops[spark]'") from None
    try:
        return spark_session(Settings())
    except Exception as exc:  # the warehouse raises its own error; name the forecast step too
        raise ForecastError(f"engine spark: cannot start Spark for per-series fitting: {exc}") from None


def spark_stats(spark: Any, panel: Panel, rows: np.ndarray, t: int, h: int,
                models: Sequence[str]) -> dict[str, np.ndarray]:
    """The same forecasts as the local run, computed by Spark executors (one task per group of series)."""
    session = _session(spark)
    season = 7 if panel.freq == "D" else 1
    start = panel.start
    ids, days, values, groups = [], [], [], []
    parts = max(1, min(64, len(rows) // 50))
    for k, i in enumerate(rows):
        y = panel.values[i, start[i]:t + 1]
        ids.append(np.full(len(y), panel.ids[i], dtype=object))
        days.append(np.arange(len(y)))
        values.append(y)
        groups.append(np.full(len(y), k % parts))
    frame = pd.DataFrame({"part": np.concatenate(groups), "unique_id": np.concatenate(ids).astype(str),
                          "ds": np.concatenate(days), "y": np.concatenate(values)})
    names = list(models)
    schema = "unique_id string, step int, " + ", ".join(f"{m} double" for m in names)

    def fit_group(group: pd.DataFrame) -> pd.DataFrame:
        out = stat_forecasts_frame(group, h, season, names)
        return out.astype({"step": "int32"})

    result = (session.createDataFrame(frame).groupBy("part").applyInPandas(fit_group, schema=schema)
              .toPandas())
    order = pd.Index(panel.ids[rows]).get_indexer(result["unique_id"])
    out = {name: np.zeros((len(rows), h)) for name in names}
    for name in names:
        out[name][order, result["step"].to_numpy() - 1] = result[name].to_numpy(dtype=float)
    return out
