"""The facade: ``Shop.open(path)``, one short method per question, each a call into a capability's public API."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from shopops._dates import parse_day
from shopops.config import Settings
from shopops.errors import ShopopsError, WarehouseError
from shopops.ingest.pipeline import IngestResult, ingest
from shopops.lake import Batch, Lake, resolve_data_dir
from shopops.warehouse import (
    GRAINS,
    BuildResult,
    Reader,
    WarehouseStatus,
    build_warehouse,
    ingest_reports,
    kpis,
    quarantined,
    top_sales,
    warehouse_is_current,
    warehouse_status,
)

# The capabilities are imported where they are used: `shopops kpi` should not pay for loading
# LightGBM, statsforecast and implicit at start-up.
if TYPE_CHECKING:
    from shopops.customers import ChurnResult, ClvResult, SegmentsResult
    from shopops.forecast import BacktestResult, DemandForecaster, ForecastResult
    from shopops.inventory import InventoryDefaults, PolicyComparison, ReplenishmentPlan
    from shopops.marketing import BanditResult, BudgetResult, CtrResult, LinearBudgetConstraint, UpliftResult
    from shopops.monitor import Monitor
    from shopops.orders import RuleReplay, RuleSet, StaffingPlan, TriageResult
    from shopops.orders import TrainResult as OrdersTrainResult
    from shopops.recommend import BasketRulesResult, EvaluationResult, RecommendationsResult
    from shopops.support import SupportBot, SupportStore
    from shopops.support import TrainResult as SupportTrainResult

__all__ = ["GRAINS", "SIMULATED_TABLES", "Shop", "SimulatedShop"]

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
        self.settings = settings or Settings()
        # A URI (s3://bucket/prefix) names the lake; the warehouse and other local state get a local folder.
        self.data_dir = resolve_data_dir(data_dir, self.settings.local_dir)

    @classmethod
    def open(cls, data_dir: Path | str | None = None, settings: Settings | None = None) -> Shop:
        """Open the shop at ``data_dir`` (default: ``Settings().data_dir``)."""
        settings = settings or Settings()
        return cls(Path(data_dir) if data_dir is not None else settings.data_dir, settings)

    # ------------------------------------------------------------------ writing
    def ingest(self, path: Path | str, *, adapter: str = "auto", mapping: Path | str | None = None,
               table: str | None = None, format: str | None = None, encoding: str | None = None,
               delimiter: str | None = None, sheet: str | None = None, build: bool = True,
               on_step: Callable[[str], None] | None = None, replace_keys: bool = False,
               engine: str | None = None) -> IngestResult:
        """Ingest a source file as one batch and (``build``) bring the warehouse up to date.

        See :func:`shopops.ingest.pipeline.ingest` for the adapters, reader options and ``engine``
        (``duckdb`` or ``spark``; default ``settings.engine``).
        """
        step = on_step or (lambda _m: None)

        def rebuild(committed: bool) -> bool:
            if committed or not warehouse_is_current(self.data_dir):
                step("warehouse")
                build_warehouse(self.data_dir, settings=self.settings)
                return True
            return False

        return ingest(self.data_dir, Path(path), adapter=adapter, mapping=Path(mapping) if mapping else None,
                      table=table, settings=self.settings, format=format, encoding=encoding,
                      delimiter=delimiter, sheet=sheet, after=rebuild if build else None, on_step=on_step,
                      replace_keys=replace_keys, engine=engine)

    def build(self, engine: str | None = None, on_step: Callable[[str], None] | None = None) -> BuildResult:
        """Rebuild the warehouse from the lake with ``engine`` (``duckdb`` or ``spark``)."""
        lake = Lake(self.data_dir)
        with lake.writer_lock(on_step):
            return build_warehouse(self.data_dir, settings=self.settings, engine=engine, on_step=on_step)

    def refresh(self) -> BuildResult:
        """Bring the warehouse up to the lake, appending new live events without a rebuild when nothing else changed."""
        from shopops.warehouse import refresh_warehouse

        with Lake(self.data_dir).writer_lock():
            return refresh_warehouse(self.data_dir, settings=self.settings)

    def monitor(self, *, clock: str = "wall", rules: Path | None = None, transport: str = "http") -> Monitor:
        """A live monitor of this shop's data directory (``start()`` it; see :class:`shopops.monitor.Monitor`)."""
        from shopops.monitor import Monitor, MonitorConfig, load_rules

        return Monitor(self.data_dir, config=MonitorConfig(clock="replay" if clock == "replay" else "wall"),
                       rules=load_rules(rules), transport=transport)

    def batches(self) -> list[Batch]:
        """The committed ingest batches, oldest first."""
        return Lake(self.data_dir).batches()

    # ------------------------------------------------------------------ reading
    @cached_property
    def reader(self) -> Reader:
        """The read-only Reader of the warehouse (one per Shop; its cache lives as long as the Shop)."""
        return Reader.for_data_dir(self.data_dir)

    def status(self) -> WarehouseStatus:
        """Whether the warehouse shows everything the lake holds (cheap: the build record is cached per build)."""
        reader = self.reader
        if not reader.exists():
            return WarehouseStatus(exists=False)
        try:
            meta = reader.cached("_build_meta", reader.meta)
        except ShopopsError:  # swapped away or unreadable at this instant: read it from the file
            meta = None
        return warehouse_status(self.data_dir, meta)

    @property
    def warehouse_path(self) -> Path:
        """Path of the DuckDB warehouse file."""
        return self.reader.path

    def sql(self, query: str, params: list[object] | None = None) -> pd.DataFrame:
        """Run a read-only SQL query on the warehouse and return a DataFrame."""
        return self.reader.sql(query, list(params) if params else None)

    def tables(self) -> list[str]:
        """Names of the warehouse tables."""
        return self.reader.tables()

    def table(self, name: str, limit: int | None = None) -> pd.DataFrame:
        """A whole warehouse table (or its first ``limit`` rows)."""
        if name not in self.tables():
            raise WarehouseError(f"no table {name!r} in the warehouse; tables: {', '.join(self.tables())}")
        return self.sql(f'SELECT * FROM "{name}"' + (f" LIMIT {int(limit)}" if limit else ""))

    def kpis(self, grain: str = "month", start: str | date | None = None,
             end: str | date | None = None) -> pd.DataFrame:
        """The KPIs by period: ``grain`` day, week (ISO, from Monday) or month; periods starting in [start, end]."""
        return kpis(self.reader, grain, start, end)

    def top_products(self, n: int = 10, start: str | date | None = None, end: str | date | None = None,
                     by: str = "net_sales") -> pd.DataFrame:
        """The ``n`` best products between ``start`` and ``end`` by ``by``."""
        return top_sales(self.reader, "product", n, start, end, by)

    def top_categories(self, n: int = 10, start: str | date | None = None, end: str | date | None = None,
                       by: str = "net_sales") -> pd.DataFrame:
        """The ``n`` best categories between ``start`` and ``end`` by ``by``."""
        return top_sales(self.reader, "category", n, start, end, by)

    def quality(self) -> pd.DataFrame:
        """Rows in / ok / quarantined per ingest batch and table."""
        return ingest_reports(self.reader)

    def quarantine(self, table: str | None = None, limit: int = 1000) -> pd.DataFrame:
        """Quarantined rows with their reason and source file/row."""
        return quarantined(self.reader, table, limit)

    # ------------------------------------------------------------------ customers and recommendations
    def segments(self, as_of: str | None = None, seed: int = 0) -> SegmentsResult:
        """RFM scores, named segment and data-driven cluster of every customer with a purchase.

        ``.frame`` columns: ``customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, segment,
        segment_reason, cluster, cluster_description`` and more (see ``docs/customers.md``); also
        ``.summary``, ``.cluster_profiles`` and ``.silhouette``.
        """
        from shopops.customers import customer_segments

        return customer_segments(self.reader, as_of, seed)

    def segment_summary(self, as_of: str | None = None) -> pd.DataFrame:
        """One row per named segment: customers, share, revenue and mean recency/frequency/monetary."""
        from shopops.customers import segment_overview

        return segment_overview(self.reader, as_of)

    def cluster_profiles(self, as_of: str | None = None, seed: int = 0) -> pd.DataFrame:
        """One readable row per customer cluster (medians, shares, a description)."""
        return self.segments(as_of, seed).cluster_profiles

    def churn(self, horizon_days: int = 90, as_of: str | None = None, seed: int = 0) -> ChurnResult:
        """P(no purchase in the next ``horizon_days``) per customer (``.frame``), with the top reasons.

        Holdout metrics (AUC, PR-AUC, top-decile lift) are in ``.metrics``.
        """
        from shopops.customers import churn_risk

        return churn_risk(self.reader, horizon_days, as_of, seed)

    def clv(self, horizon_days: int = 365, as_of: str | None = None) -> ClvResult:
        """Expected purchases, value per purchase, lifetime value and P(alive) per customer (``.customers``).

        BG/NBD + Gamma-Gamma over ``horizon_days``; the fitted models and the backtest (``.metrics``) too.
        """
        from shopops.customers import lifetime_values

        return lifetime_values(self.reader, horizon_days, as_of)

    def recommend(self, customer_id: str, k: int = 10, model: str = "als",
                  exclude_bought: bool = False) -> RecommendationsResult:
        """The ``k`` best products for one customer: ``.frame`` is ``product_id, score, model, reason, name``.

        Customers without purchases get the popularity list; an id the warehouse does not know raises
        :class:`~shopops.errors.UnknownCustomerError`.
        """
        from shopops.recommend import recommend_for_customer

        return recommend_for_customer(self.reader, customer_id, k, model, exclude_bought)

    def recommender_fitted(self, model: str = "als", exclude_bought: bool = False) -> bool:
        """Whether the recommender of the current build is fitted (a recommendation then costs milliseconds)."""
        from shopops.recommend import recommender_fitted

        return recommender_fitted(self.reader, model, exclude_bought)

    def recommend_all(self, k: int = 10, model: str = "als", exclude_bought: bool = False) -> RecommendationsResult:
        """Recommendations for every customer with a purchase (``customer_id, rank`` + the usual columns)."""
        from shopops.recommend import recommend_for_all

        return recommend_for_all(self.reader, k, model, exclude_bought)

    def recommend_basket(self, product_ids: list[str], k: int = 10) -> RecommendationsResult:
        """'Frequently bought together' products for a basket, from association rules."""
        from shopops.recommend import recommend_for_basket

        return recommend_for_basket(self.reader, product_ids, k)

    def basket_rules(self, min_support: float = 0.002, min_confidence: float = 0.1) -> BasketRulesResult:
        """Association rules ``antecedent -> consequent`` with support, confidence and lift (``.frame``)."""
        from shopops.recommend import basket_rules

        return basket_rules(self.reader, min_support, min_confidence)

    def recommend_evaluate(self, test_days: int = 30, k: int = 10,
                           models: tuple[str, ...] = ("popularity", "item-item", "als")) -> EvaluationResult:
        """Time-split offline evaluation (last ``test_days`` as test) of ``models`` and the popularity baseline."""
        from shopops.recommend import evaluate_shop

        return evaluate_shop(self.reader, test_days, k, models)

    # ------------------------------------------------------------------ inventory
    def replenish(self, *, service_level: float | None = None, budget: float | None = None,
                  review_days: int | None = None, policy: str = "rs", as_of: str | date | None = None,
                  defaults: InventoryDefaults | None = None, demand_model: str = "bootstrap") -> ReplenishmentPlan:
        """The purchase plan (see :func:`shopops.inventory.replenish`)."""
        from shopops.inventory import replenish

        return replenish(self.reader, service_level=service_level, budget=budget, review_days=review_days,
                         policy=policy, as_of=parse_day(as_of, "as_of"), defaults=defaults,
                         demand_model=demand_model)

    def simulate_policy(self, *, target_fill: float = 0.95, history_days: int = 91, truth: bool | None = None,
                        lead_time_days: float | None = None, lead_time_sd_days: float | None = None,
                        backorders: bool = False, targets: Sequence[float] | None = None,
                        min_days: Sequence[float] | None = None, max_ratios: Sequence[float] | None = None,
                        per_product: bool = True, defaults: InventoryDefaults | None = None,
                        on_step: Callable[[str], None] | None = None) -> PolicyComparison:
        """Replay history: our policy against the best-tuned min/max (:func:`shopops.inventory.simulate_policy`)."""
        from shopops.inventory import DEFAULT_MAX_RATIOS, DEFAULT_MIN_DAYS, DEFAULT_TARGETS, simulate_policy

        return simulate_policy(self.reader, target_fill=target_fill, history_days=history_days, truth=truth,
                               lead_time_days=lead_time_days, lead_time_sd_days=lead_time_sd_days,
                               backorders=backorders, targets=targets or DEFAULT_TARGETS,
                               min_days=min_days or DEFAULT_MIN_DAYS, max_ratios=max_ratios or DEFAULT_MAX_RATIOS,
                               per_product=per_product, defaults=defaults, on_step=on_step)

    # ------------------------------------------------------------------ forecast
    def demand(self, level: str = "product", freq: str = "D", until: str | date | None = None) -> pd.DataFrame:
        """Demand history ``unique_id, ds, y`` (see :func:`shopops.forecast.demand_history`)."""
        from shopops.forecast import demand_history

        return demand_history(self.reader, level, freq, until)

    def forecast(self, horizon: int = 28, level: str = "product", freq: str = "D", until: str | date | None = None,
                 engine: str = "local") -> ForecastResult:
        """Demand forecasts: ``.frame`` is ``unique_id, ds, yhat, q05, q50, q80, q90, q95, q99`` (docs/forecast.md).

        Products are forecast one by one; ``level="category"`` or ``"total"`` sums them bottom-up.
        ``until`` (YYYY-MM-DD) uses only history up to and including that day.
        """
        from shopops.forecast import forecast_demand

        return forecast_demand(self.reader, horizon, level, freq, until, engine)

    def forecaster(self, horizon: int = 28, freq: str = "D", until: str | date | None = None,
                   engine: str = "local") -> DemandForecaster:
        """The fitted product forecaster: ``predict``, ``sample_paths``, ``explain``, ``feature_importances_``."""
        from shopops.forecast import fit_forecaster

        return fit_forecaster(self.reader, horizon, freq, until, engine)

    def backtest(self, horizon: int = 28, origins: int = 3, freq: str = "D", until: str | date | None = None,
                 engine: str = "local", on_step: Callable[[str], None] | None = None) -> BacktestResult:
        """Rolling-origin backtest of the product forecasts; scores per model as DataFrames."""
        from shopops.forecast import backtest_demand

        return backtest_demand(self.reader, horizon, origins, freq, until, engine, on_step)

    # ------------------------------------------------------------------ orders
    def orders_train(self, *, holdout_months: int = 3, seed: int = 0, n_estimators: int = 300) -> OrdersTrainResult:
        """Train the order scores (risk, late delivery, delivery date) on a time split and save them."""
        from shopops.orders import train_scores

        return train_scores(self.reader, holdout_months=holdout_months, seed=seed, n_estimators=n_estimators)

    def orders_triage(self, *, since: date | None = None, rules: Path | str | None = None) -> TriageResult:
        """Decide every order not decided yet and store the decisions in the operational store."""
        from shopops.orders import load_rules, triage

        return triage(self.reader, rules=load_rules(rules), since=since)

    def orders_replay(self, rules: RuleSet, *, since: date | None = None, hold_cost: float = 2.0) -> RuleReplay:
        """What ``rules`` would have done on the orders since ``since`` (nothing stored)."""
        from shopops.orders import replay_rules

        return replay_rules(self.reader, rules, since=since, hold_cost=hold_cost)

    def orders_staffing(self, *, weeks: int = 4, seed: int = 0) -> StaffingPlan:
        """Pickers and packers per shift and agents per hour for the next ``weeks`` weeks."""
        from shopops.orders import staffing_plan

        return staffing_plan(self.reader, weeks=weeks, seed=seed)

    def orders_queue(self, limit: int = 100) -> pd.DataFrame:
        """Held orders waiting for a person, oldest and riskiest first."""
        from shopops.opstore import OperationalStore
        from shopops.orders import DecisionStore

        return DecisionStore(OperationalStore.for_data_dir(self.data_dir)).queue(limit)

    def orders_review(self, order_id: str, decision: str, user: str) -> tuple[dict[str, object], bool]:
        """Approve or cancel a held order; the same review twice is a no-op, a different one an error."""
        from shopops.opstore import OperationalStore
        from shopops.orders import DecisionStore

        return DecisionStore(OperationalStore.for_data_dir(self.data_dir)).review(order_id, decision, user)
    # ------------------------------------------------------------------ customer service
    def support_load_kb(self, paths: Sequence[Path | str], *, build: bool = True,
                        on_step: Callable[[str], None] | None = None) -> tuple[IngestResult, list[str]]:
        """Load knowledge-base files (Markdown with front matter, CSV, JSON) through the validated ingest.

        Returns the ingest result (bad entries quarantined with their reason) and the loader's notes.
        """
        from shopops.support import write_kb_source

        kb = write_kb_source([Path(p) for p in paths], self.data_dir / "sources" / "kb")
        return self.ingest(kb.path, adapter="canonical", table="kb_entries", build=build, on_step=on_step), kb.notes

    def support_train(self, *, target_precision: float = 0.98, seed: int = 0,
                      until: str | None = None) -> SupportTrainResult:
        """Train the support bot on the warehouse's messages and knowledge base (see ``shopops.support``)."""
        from shopops.support import train_support

        self.__dict__.pop("_support_bot", None)
        return train_support(self.reader, target_precision=target_precision, seed=seed, until=until)

    def support_bot(self) -> SupportBot:
        """The support bot of this shop: its saved model, loaded again when `support train` saved a new one."""
        from shopops.support import model_stamp, open_support_bot

        stamp = model_stamp(self.data_dir)
        cached: tuple[object, SupportBot] | None = self.__dict__.get("_support_bot")
        if cached is None or cached[0] != stamp:
            cached = self.__dict__["_support_bot"] = (stamp, open_support_bot(self.reader, self.settings))
        return cached[1]

    def support_store(self) -> SupportStore:
        """Conversations and tickets of this shop (in the operational store)."""
        from shopops.opstore import OperationalStore
        from shopops.support import SupportStore

        return SupportStore(OperationalStore.for_data_dir(self.data_dir))

    def support_suggestions(self, min_count: int = 1) -> pd.DataFrame:
        """New FAQ entries suggested from handed-off questions, most frequent first."""
        from shopops.support import support_suggestions

        return support_suggestions(self.support_store(), min_count=min_count)

    # ------------------------------------------------------------------ simulated data
    # Marketing: click models, uplift targeting, budget allocation, creative bandits, stored decisions.
    def marketing_ctr(self, target: str = "clicked", seed: int = 0,
                      models: tuple[str, ...] | None = None) -> CtrResult:
        """Calibrated click (or conversion) models on the impression log, scored on its latest fifth."""
        from shopops.marketing import shop_ctr

        return shop_ctr(self.reader, target=target, seed=seed, models=models)

    def marketing_uplift(self, *, campaign_id: str | None = None, outcome: str = "visited",
                         treatment: str | None = None, method: str = "interaction", cost_per_contact: float = 0.0,
                         value_per_response: float = 1.0, top_share: float | None = None, seed: int = 0,
                         save: bool = False, created_by: str = "shop") -> UpliftResult:
        """Whom to target in a campaign with a randomised holdout (``.targets``); ``save`` stores the list."""
        from shopops.marketing import save_targeting, shop_uplift

        result = shop_uplift(self.reader, campaign_id=campaign_id, outcome=outcome, treatment=treatment,
                             method=method, cost_per_contact=cost_per_contact,
                             value_per_response=value_per_response, top_share=top_share, seed=seed)
        if save:
            result.params["decision_id"] = save_targeting(self.data_dir, result.targets, model=result.model,
                                                          params=result.params, metrics=result.metrics,
                                                          created_by=created_by)
        return result

    def marketing_budget(self, total: float | None, *, days: int = 30,
                         bounds: dict[str, tuple[float | None, float | None]] | None = None,
                         fixed: dict[str, float] | None = None, constraints: Sequence[LinearBudgetConstraint] = (),
                         objective: str = "conversions", seed: int = 0, save: bool = False,
                         created_by: str = "shop") -> BudgetResult:
        """The allocation of ``total`` over ``days`` across channels by their fitted response curves."""
        from shopops.marketing import save_budget, shop_budget

        result = shop_budget(self.reader, total, days=days, bounds=bounds, fixed=fixed, constraints=constraints,
                             objective=objective, seed=seed)
        if save:
            result.params["decision_id"] = save_budget(self.data_dir, result.allocation, model=result.model,
                                                       params=result.params, metrics=result.metrics,
                                                       created_by=created_by)
        return result

    def marketing_bandit(self, *, campaign_id: str | None = None, arm: str = "creative_id",
                         target: str = "clicked", seed: int = 0) -> BanditResult:
        """Thompson sampling replayed over the impression log: tomorrow's split per creative and who to stop."""
        from shopops.marketing import creative_bandit

        return creative_bandit(self.reader, campaign_id=campaign_id, arm=arm, target=target, seed=seed)

    def marketing_decisions(self, kind: str | None = None) -> pd.DataFrame:
        """Stored targeting lists and budgets, newest first."""
        from shopops.marketing import list_decisions

        return list_decisions(self.data_dir, kind)

    def simulate(self, *, seed: int = 0, lines: int | None = None, days: int = 730, products: int = 500,
                 customers: int = 20_000, ingest: bool = True,
                 on_step: Callable[[str], None] | None = None) -> SimulatedShop:
        """Simulate a shop into ``<data_dir>/sources/sim-<seed>`` and (``ingest``) ingest and build it.

        The simulated files go through the same validated ingest as any shop's own data, one batch per
        Parquet part; the warehouse is built once at the end.
        """
        from shopops.simulate import SimulationConfig, simulate_shop

        step = on_step or (lambda _m: None)
        out_dir = self.data_dir / "sources" / f"sim-{seed}"
        config = SimulationConfig(seed=seed, days=days, n_products=products, n_customers=customers,
                                  target_order_lines=lines)
        step("generate")
        summary = simulate_shop(out_dir, config)
        result = SimulatedShop(out_dir, dict(summary.rows))
        if not ingest:
            return result
        for name in SIMULATED_TABLES:
            for part in sorted((out_dir / name).glob("*.parquet")):
                step(f"ingest {name}/{part.name}")
                result.ingests.append(self.ingest(part, adapter="canonical", table=name, build=False))
        step("build warehouse")
        self.build()
        return result


# The order in which Shop.simulate ingests the simulated tables. Dimensions before facts only matters
# for the readability of the ingest log: the warehouse is built once at the end from whatever the lake holds.
SIMULATED_TABLES = ("products", "suppliers", "customers", "orders", "order_lines", "stock", "purchase_orders",
                    "ad_stats", "web_events", "messages", "demand_truth", "order_fulfilment", "order_truth",
                    "kb_entries", "campaigns", "ad_creatives", "ad_impressions", "campaign_contacts",
                    "marketing_truth")


@dataclass
class SimulatedShop:
    """Where a simulated shop was written and what it holds.

    Attributes
    ----------
    out_dir : Path
        The folder of the simulated source files.
    rows : dict of str to int
        Rows written per table.
    ingests : list of IngestResult
        One result per ingested Parquet part (empty when the shop was not ingested).
    """

    out_dir: Path
    rows: dict[str, int]
    ingests: list[IngestResult] = field(default_factory=list)
