"""The Python entry point: ``Shop.open(path)`` and everything as DataFrames."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from shopops._dates import parse_day
from shopops._duck import connect
from shopops.config import Settings
from shopops.errors import ShopopsError, WarehouseError
from shopops.ingest.pipeline import IngestResult, ingest
from shopops.lake import Batch, Lake
from shopops.warehouse import WAREHOUSE_FILE, BuildResult, build_warehouse

if TYPE_CHECKING:
    from shopops.forecast import BacktestResult, DemandForecaster
    from shopops.inventory import PolicyComparison, ReplenishmentPlan

__all__ = ["GRAINS", "Shop"]

GRAINS = ("day", "week", "month")
_TOP_BY = ("net_sales", "gross_sales", "units", "orders")


class Shop:
    """One shop's data directory: its lake, its warehouse and the questions asked of them.

    Parameters
    ----------
    data_dir : Path
        The data directory (created on first ingest).
    settings : Settings or None
        Settings; read from ``SHOPOPS_*`` environment variables when None.

    Examples
    --------
    >>> shop = Shop.open("shopops-data")                      # doctest: +SKIP
    >>> shop.ingest("online_retail.parquet")                 # doctest: +SKIP
    >>> shop.kpis("month").tail()                            # doctest: +SKIP
    """

    def __init__(self, data_dir: Path | str, settings: Settings | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.settings = settings or Settings()

    @classmethod
    def open(cls, data_dir: Path | str | None = None, settings: Settings | None = None) -> Shop:
        """Open the shop at ``data_dir`` (default: ``Settings().data_dir``)."""
        settings = settings or Settings()
        return cls(Path(data_dir) if data_dir is not None else settings.data_dir, settings)

    # ------------------------------------------------------------------ writing
    def ingest(self, path: Path | str, *, build: bool = True, on_step: Callable[[str], None] | None = None,
               **options: Any) -> IngestResult:
        """Ingest a source file (see :func:`shopops.ingest.pipeline.ingest` for the options)."""
        return ingest(self.data_dir, Path(path), settings=self.settings, build=build, on_step=on_step, **options)

    def build(self, engine: str | None = None, on_step: Callable[[str], None] | None = None) -> BuildResult:
        """Rebuild the warehouse from the lake with ``engine`` (``duckdb`` or ``spark``)."""
        lake = Lake(self.data_dir)
        with lake.writer_lock():
            return build_warehouse(self.data_dir, settings=self.settings, engine=engine, on_step=on_step)

    def batches(self) -> list[Batch]:
        """The committed ingest batches, oldest first."""
        return Lake(self.data_dir).batches()

    # ------------------------------------------------------------------ reading
    @property
    def warehouse_path(self) -> Path:
        """Path of the DuckDB warehouse file."""
        return self.data_dir / WAREHOUSE_FILE

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection to the warehouse."""
        if not self.warehouse_path.is_file():
            raise WarehouseError(
                f"no warehouse in {self.data_dir}; run `shopops ingest FILE` or `shopops simulate` first"
            )
        return connect(str(self.warehouse_path), read_only=True)

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a read-only SQL query on the warehouse and return a DataFrame."""
        with self.connect() as con:
            try:
                return con.execute(query, params or []).df()
            except duckdb.CatalogException as exc:
                raise WarehouseError(f"query failed: {exc}{_stale_hint(con)}") from None
            except duckdb.Error as exc:
                raise WarehouseError(f"query failed: {exc}") from None

    def tables(self) -> list[str]:
        """Names of the warehouse tables."""
        return list(self.sql("SELECT table_name FROM information_schema.tables ORDER BY 1")["table_name"])

    def table(self, name: str, limit: int | None = None) -> pd.DataFrame:
        """A whole warehouse table (or its first ``limit`` rows)."""
        if name not in self.tables():
            raise WarehouseError(f"no table {name!r} in the warehouse; tables: {', '.join(self.tables())}")
        return self.sql(f'SELECT * FROM "{name}"' + (f" LIMIT {int(limit)}" if limit else ""))

    def kpis(self, grain: str = "month", start: str | date | None = None,
             end: str | date | None = None) -> pd.DataFrame:
        """The KPIs by period (definitions in ``docs/data.md``).

        Parameters
        ----------
        grain : str
            ``day``, ``week`` (ISO, from Monday) or ``month``.
        start, end : str or date or None
            Keep periods starting on or after ``start`` and on or before ``end`` (YYYY-MM-DD).
        """
        if grain not in GRAINS:
            raise ShopopsError(f"grain must be one of {', '.join(GRAINS)}, not {grain!r}")
        lo, hi = parse_day(start, "start"), parse_day(end, "end")
        return self.sql(
            "SELECT * EXCLUDE (grain) FROM kpi_period WHERE grain = ? AND (? IS NULL OR period_start >= ?) "
            "AND (? IS NULL OR period_start <= ?) ORDER BY period_start",
            [grain, lo, lo, hi, hi],
        )

    def _top(self, group: str, n: int, start: str | date | None, end: str | date | None, by: str) -> pd.DataFrame:
        if by not in _TOP_BY:
            raise ShopopsError(f"by must be one of {', '.join(_TOP_BY)}, not {by!r}")
        if n < 1:
            raise ShopopsError(f"n must be at least 1, not {n}")
        lo, hi = parse_day(start, "start"), parse_day(end, "end")
        cols = "f.product_id, any_value(p.name) AS name, any_value(f.category) AS category" \
            if group == "product" else "f.category"
        keys = "f.product_id" if group == "product" else "f.category"
        return self.sql(
            f"""SELECT {cols},
                   sum(CASE WHEN line_type = 'sale' THEN quantity ELSE 0 END) AS units,
                   sum(CASE WHEN line_type = 'sale' THEN gross_amount ELSE 0 END) AS gross_sales,
                   sum(CASE WHEN line_type IN ('sale', 'cancellation', 'return') THEN net_amount ELSE 0 END)
                       AS net_sales,
                   count(DISTINCT CASE WHEN line_type = 'sale' THEN order_id END) AS orders
                FROM fact_order_line f LEFT JOIN dim_product p ON p.product_id = f.product_id
                WHERE f.is_product AND (? IS NULL OR f.order_date >= ?) AND (? IS NULL OR f.order_date <= ?)
                GROUP BY {keys} ORDER BY {by} DESC, {keys} LIMIT {int(n)}""",
            [lo, lo, hi, hi],
        )

    def top_products(self, n: int = 10, start: str | date | None = None, end: str | date | None = None,
                     by: str = "net_sales") -> pd.DataFrame:
        """The ``n`` best products between ``start`` and ``end`` by ``by``."""
        return self._top("product", n, start, end, by)

    def top_categories(self, n: int = 10, start: str | date | None = None, end: str | date | None = None,
                       by: str = "net_sales") -> pd.DataFrame:
        """The ``n`` best categories between ``start`` and ``end`` by ``by``."""
        return self._top("category", n, start, end, by)

    def quality(self) -> pd.DataFrame:
        """Rows in / ok / quarantined per ingest batch and table."""
        return self.sql("SELECT * EXCLUDE (report) FROM ingest_report ORDER BY seq, table_name")

    def quarantine(self, table: str | None = None, limit: int = 1000) -> pd.DataFrame:
        """Quarantined rows with their reason and source file/row."""
        return self.sql(
            "SELECT * FROM quarantine WHERE (? IS NULL OR table_name = ?) ORDER BY table_name, _source_file, "
            f"_source_row LIMIT {int(limit)}",
            [table, table],
        )

    # ---- customers and recommendations (issue #6)
    def segments(self, as_of: str | None = None, seed: int = 0) -> pd.DataFrame:
        """RFM scores, named segment and data-driven cluster of every customer with a purchase.

        Columns: ``customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, segment,
        segment_reason, cluster, cluster_description`` and more (see ``docs/customers.md``). Cluster
        profiles and silhouette scores are in ``.attrs["cluster_profiles"]`` and ``.attrs["silhouette"]``.
        """
        from shopops.customers._api import segments_of

        return segments_of(self, as_of, seed)

    def segment_summary(self, as_of: str | None = None) -> pd.DataFrame:
        """One row per named segment: customers, share, revenue and mean recency/frequency/monetary."""
        from shopops.customers._api import summary_of

        return summary_of(self, as_of)

    def cluster_profiles(self, as_of: str | None = None, seed: int = 0) -> pd.DataFrame:
        """One readable row per customer cluster (medians, shares, a description)."""
        profiles = self.segments(as_of, seed).attrs.get("cluster_profiles")
        return profiles.copy() if isinstance(profiles, pd.DataFrame) else pd.DataFrame()

    def churn(self, horizon_days: int = 90, as_of: str | None = None, seed: int = 0) -> pd.DataFrame:
        """P(no purchase in the next ``horizon_days``) per customer, with the top reasons.

        Holdout metrics (AUC, PR-AUC, top-decile lift) are in ``.attrs["metrics"]``.
        """
        from shopops.customers._api import churn_model

        model = churn_model(self, horizon_days, as_of, seed)
        out = model.predict()
        out.attrs.update({"metrics": dict(model.metrics_), "importance": model.importance_.to_dict(),
                          "windows": {k: str(v.date()) for k, v in model.windows_.items()}})
        return out

    def clv(self, horizon_days: int = 365, as_of: str | None = None) -> pd.DataFrame:
        """Expected purchases, value per purchase, lifetime value and P(alive) per customer.

        BG/NBD + Gamma-Gamma over ``horizon_days``; parameters and the backtest are in ``.attrs``.
        """
        from shopops.customers._api import clv_result

        result = clv_result(self, horizon_days, as_of)
        out = result.customers.sort_values("clv", ascending=False, ignore_index=True)
        out.attrs.update({"bgnbd": dict(result.bgnbd.params_),
                          "gamma_gamma": dict(result.gamma_gamma.params_) if result.gamma_gamma else {},
                          "backtest": dict(result.backtest), "horizon_days": horizon_days})
        return out

    def recommend(self, customer_id: str, k: int = 10, model: str = "als",
                  exclude_bought: bool = False) -> pd.DataFrame:
        """The ``k`` best products for one customer: ``product_id, score, model, reason, name``.

        Customers without purchases get the popularity list; an id the warehouse does not know raises
        :class:`~shopops.customers.UnknownCustomerError`.
        """
        from shopops.recommend._api import recommender_of

        return recommender_of(self, model, exclude_bought).recommend(customer_id, k)

    def recommend_all(self, k: int = 10, model: str = "als", exclude_bought: bool = False) -> pd.DataFrame:
        """Recommendations for every customer with a purchase (``customer_id, rank`` + the usual columns)."""
        from shopops.recommend._api import recommender_of

        return recommender_of(self, model, exclude_bought).recommend_all(k)

    def recommend_basket(self, product_ids: list[str], k: int = 10) -> pd.DataFrame:
        """'Frequently bought together' products for a basket, from association rules."""
        from shopops.recommend._api import basket_rules_of

        if not product_ids:
            raise ShopopsError("recommend_basket: the basket is empty; pass at least one product id")
        from shopops.recommend._data import eligible_products

        allowed = set(eligible_products(self)["product_id"])
        return basket_rules_of(self).recommend([str(p) for p in product_ids], k, allowed)

    def basket_rules(self, min_support: float = 0.002, min_confidence: float = 0.1) -> pd.DataFrame:
        """Association rules ``antecedent -> consequent`` with support, confidence and lift."""
        from shopops.recommend._api import basket_rules_of

        return basket_rules_of(self, min_support, min_confidence).rules_.copy()

    def recommend_evaluate(self, test_days: int = 30, k: int = 10,
                           models: tuple[str, ...] = ("popularity", "item-item", "als")) -> pd.DataFrame:
        """Time-split offline evaluation (last ``test_days`` as test) of ``models`` and the popularity baseline."""
        from shopops.recommend._api import evaluate_of

        return evaluate_of(self, test_days, k, models)

    # ---- inventory (issue #4)
    def replenish(self, **options: Any) -> ReplenishmentPlan:
        """The purchase plan (see :func:`shopops.inventory.replenish` for the options)."""
        from shopops.inventory import replenish

        return replenish(self, **options)

    def simulate_policy(self, **options: Any) -> PolicyComparison:
        """Replay history: our policy against the best-tuned min/max (:func:`shopops.inventory.simulate_policy`)."""
        from shopops.inventory import simulate_policy

        return simulate_policy(self, **options)

    # ---- forecast (issue #3)
    def demand(self, level: str = "product", freq: str = "D", until: str | date | None = None) -> pd.DataFrame:
        """Demand history ``unique_id, ds, y`` (see :func:`shopops.forecast.demand_history`)."""
        from shopops.forecast import demand_history

        return demand_history(self, level, freq, until)

    def forecast(self, horizon: int = 28, level: str = "product", freq: str = "D", until: str | date | None = None,
                 engine: str = "local") -> pd.DataFrame:
        """Demand forecasts ``unique_id, ds, yhat, q05, q50, q80, q90, q95, q99`` (docs/forecast.md).

        Products are forecast one by one; ``level="category"`` or ``"total"`` sums them bottom-up.
        ``until`` (YYYY-MM-DD) uses only history up to and including that day.
        """
        from shopops.forecast._shop import forecast_shop

        return forecast_shop(self, horizon, level, freq, until, engine)[0]

    def forecaster(self, horizon: int = 28, freq: str = "D", until: str | date | None = None,
                   engine: str = "local") -> DemandForecaster:
        """The fitted product forecaster: ``predict``, ``sample_paths``, ``explain``, ``feature_importances_``."""
        from shopops.forecast._shop import fit_shop

        return fit_shop(self, horizon, freq, until, engine)

    def backtest(self, horizon: int = 28, origins: int = 3, freq: str = "D", until: str | date | None = None,
                 engine: str = "local", on_step: Callable[[str], None] | None = None) -> BacktestResult:
        """Rolling-origin backtest of the product forecasts; scores per model as DataFrames."""
        from shopops.forecast._shop import shop_backtest

        return shop_backtest(self, horizon, origins, freq, until, engine, on_step)


def _stale_hint(con: duckdb.DuckDBPyConnection) -> str:
    """Why a table may be missing: the warehouse was built by other SQL models (another shopops)."""
    from shopops.warehouse._build import models_fingerprint, read_meta

    try:
        built = read_meta(con).get("models")
    except duckdb.Error:
        return ""
    if built == models_fingerprint():
        return ""
    return ("\nThe warehouse was built by another version of shopops' SQL models; rebuild it from the lake "
            "with `shopops build` (Shop.build()).")
