"""Real-time monitoring: events over HTTP and Kafka, windowed KPIs, anomaly alerts, the live view.

One intake path serves both transports: :func:`parse_event` validates, :class:`Monitor` de-duplicates by
``event_id``, counts events into event-time windows that close on the clock, lands them in the lake in
micro-batches whose commit record carries the stream position (Kafka offsets or the HTTP spool position),
evaluates the alert rules against an hour-of-week count baseline and publishes live snapshots.
"""

from shopops.monitor._alert_copy import copy_alerts
from shopops.monitor._alerts import AlertBook, Notifier, RuleEvaluator
from shopops.monitor._baseline import (
    CountDetector,
    Detection,
    HourOfWeekBaseline,
    fit_baseline,
    hour_of_week,
    poisson_stop_delay,
)
from shopops.monitor._compact import Compaction, compact_events, finish_compaction
from shopops.monitor._evaluate import DetectionResult, evaluate_detection
from shopops.monitor._events import (
    EVENT_SCHEMA,
    EVENT_TYPES,
    Checked,
    Event,
    Rejected,
    check_events,
    decode_json,
    events_table,
    parse_event,
    parse_payload,
    table_events,
)
from shopops.monitor._kafka import ConsumeStats, KafkaUnavailableError, consume, kafka_client_config, produce
from shopops.monitor._landing import (
    EventIndex,
    Landed,
    land_batch,
    landed_events,
    landed_kafka_offsets,
    landed_spool_position,
    monitor_batches,
)
from shopops.monitor._monitor import IntakeError, Monitor, MonitorConfig, Receipt, baselines_path, events_from_table
from shopops.monitor._replay import (
    HttpSender,
    Incident,
    inject_incidents,
    load_incidents,
    online_retail_events,
    replay,
    replay_batches,
    warehouse_events,
)
from shopops.monitor._rules import (
    DEFAULT_RULES,
    NotifyConfig,
    Rule,
    RulesError,
    RuleSet,
    Silence,
    load_rules,
    parse_duration,
)
from shopops.monitor._windows import KPIS, WindowSpec, WindowStore

__all__ = [
    "DEFAULT_RULES",
    "EVENT_SCHEMA",
    "EVENT_TYPES",
    "KPIS",
    "AlertBook",
    "Checked",
    "Compaction",
    "ConsumeStats",
    "CountDetector",
    "Detection",
    "DetectionResult",
    "Event",
    "EventIndex",
    "HourOfWeekBaseline",
    "HttpSender",
    "Incident",
    "IntakeError",
    "KafkaUnavailableError",
    "Landed",
    "Monitor",
    "MonitorConfig",
    "Notifier",
    "NotifyConfig",
    "Receipt",
    "Rejected",
    "Rule",
    "RuleEvaluator",
    "RuleSet",
    "RulesError",
    "Silence",
    "WindowSpec",
    "WindowStore",
    "baselines_path",
    "check_events",
    "compact_events",
    "consume",
    "copy_alerts",
    "decode_json",
    "evaluate_detection",
    "events_from_table",
    "events_table",
    "finish_compaction",
    "fit_baseline",
    "hour_of_week",
    "inject_incidents",
    "kafka_client_config",
    "land_batch",
    "landed_events",
    "landed_kafka_offsets",
    "landed_spool_position",
    "load_incidents",
    "load_rules",
    "monitor_batches",
    "online_retail_events",
    "parse_duration",
    "parse_event",
    "parse_payload",
    "poisson_stop_delay",
    "produce",
    "replay",
    "replay_batches",
    "table_events",
    "warehouse_events",
]
