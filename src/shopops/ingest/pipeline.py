"""The ingest pipeline: source files → validated, pseudonymised canonical tables in the lake.

One call ingests one source (a file, or a folder for Olist) as one batch. The batch id is a hash
of the files' bytes, the adapter and its mapping, so the same source ingested twice is found
and skipped. All work happens in a staging folder under the writer lock and becomes visible in
one atomic commit; any error (or a kill) before that leaves the lake and warehouse as they were.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from shopops._duck import connect_limited, first_row, sql_str
from shopops.config import Settings
from shopops.errors import IngestError, ShopopsError, SourceError
from shopops.ingest._spark import SparkStager, remove_scratch
from shopops.ingest.adapters import Adapter, SourceFile, TableLoad, resolve_adapter
from shopops.ingest.pii import PiiHasher, load_or_create_key
from shopops.ingest.readers import LongRecordError, SourceReader, open_source
from shopops.ingest.validate import stage
from shopops.lake import Lake
from shopops.schema import get_table

__all__ = ["IngestResult", "TableReport", "ingest"]

SCHEMA_VERSION = "1"
_META = ["_reason", "_source_file", "_source_row", "_raw_text"]
#: Tables keyed by document ids that each source numbers on its own: the same id from another adapter is
#: another document, so replacing it needs ``replace_keys``; catalogue tables (products, …) update freely.
DOCUMENT_TABLES = frozenset({"order_lines", "orders", "purchase_orders", "web_events", "messages"})


@dataclass
class TableReport:
    """Data-quality report of one canonical table in one batch."""

    table: str
    rows_in: int = 0
    rows_ok: int = 0
    rows_quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)
    nulls: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    line_types: dict[str, int] = field(default_factory=dict)
    outliers: list[dict[str, Any]] = field(default_factory=list)
    first: str | None = None
    last: str | None = None
    pseudonymised: dict[str, int] = field(default_factory=dict)
    replaced: int = 0
    replaced_from: list[dict[str, Any]] = field(default_factory=list)
    unmapped_columns: list[str] = field(default_factory=list)


@dataclass
class IngestResult:
    """What an ingest did."""

    batch_id: str
    status: str
    adapter: str
    source: dict[str, Any]
    tables: dict[str, TableReport]
    seconds: float
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_quarantined(self) -> int:
        """Rows quarantined over all tables."""
        return sum(t.rows_quarantined for t in self.tables.values())


def _hash_files(sources: list[SourceFile]) -> tuple[str, list[dict[str, Any]]]:
    digest = hashlib.sha256()
    info = []
    for src in sorted(sources, key=lambda s: s.name):
        if not src.path.exists():
            raise SourceError(f"{src.path}: no such file")
        if src.path.is_dir():
            raise SourceError(f"{src.path}: is a folder, expected a file")
        size = src.path.stat().st_size
        if size == 0:
            raise SourceError(f"{src.path}: the file is empty (0 bytes)")
        file_hash = hashlib.sha256()
        with src.path.open("rb") as fh:
            while chunk := fh.read(8 << 20):
                file_hash.update(chunk)
        digest.update(src.name.encode() + b"\0" + file_hash.digest())
        info.append({"name": src.name, "path": str(src.path.resolve()), "bytes": size,
                     "sha256": file_hash.hexdigest()})
    return digest.hexdigest(), info


def _is_parquet(src: SourceFile) -> bool:
    fmt = (src.format or "").lower()
    return fmt == "parquet" or (not fmt and src.path.suffix.lower() in (".parquet", ".pq"))


def _peek_columns(path: Path) -> list[str]:
    return list(open_source(path).columns)


class _Sources:
    """Registers the adapter's files as DuckDB views/tables and remembers what was read."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.columns: dict[str, list[str]] = {}
        self.rejects: dict[str, list[Any]] = {}
        self.details: dict[str, dict[str, Any]] = {}

    def register(self, src: SourceFile) -> None:
        if _is_parquet(src):
            # The reader checks the file (footer, column chunks inside the file, column names);
            # DuckDB then scans it directly, which is faster than going through Arrow batches.
            open_source(src.path, format="parquet")
            self.con.execute(
                f'CREATE TEMP VIEW "{src.name}" AS SELECT * EXCLUDE (file_row_number), '
                f"file_row_number + 1 AS _source_row FROM read_parquet({sql_str(src.path)}, file_row_number = true)"
            )
            self.details[src.name] = {"format": "parquet"}
            self.rejects[src.name] = []
        else:
            try:
                reader = self._load(src, long_records=False)
            except LongRecordError:
                # Rare: a record longer than the small block. Read the file again with the long one; the failed
                # statement created no table, and only such files pay the long block's memory.
                reader = self._load(src, long_records=True)
            self.details[src.name] = {"format": reader.format, "encoding": reader.encoding}
            self.rejects[src.name] = list(reader.rejects)
        # The result's description, not DESCRIBE: DESCRIBE of a table over 2,048 columns returns its rows in
        # chunks whose order varies from run to run, so reports listed a wide file's columns out of order.
        cols = [d[0] for d in self.con.execute(f'SELECT * FROM "{src.name}" LIMIT 0').description]
        self.columns[src.name] = [c for c in cols if c != "_source_row"]

    def _load(self, src: SourceFile, *, long_records: bool) -> SourceReader:
        """Stream a text or Excel source into a temp table named after it; returns its reader."""
        reader = open_source(src.path, format=src.format, encoding=src.encoding, delimiter=src.delimiter,
                             sheet=src.sheet, long_records=long_records)
        batches = reader.batches()
        first = next(batches, None)
        if first is None:
            raise SourceError(f"{src.path}: has a header but no data rows")
        stream = pa.RecordBatchReader.from_batches(first.schema, _chain(first, batches))
        self.con.register("_incoming", stream)
        try:
            self.con.execute(f'CREATE TEMP TABLE "{src.name}" AS SELECT * FROM _incoming')
        finally:
            self.con.unregister("_incoming")
        return reader


def _chain(first: pa.RecordBatch, rest: Any) -> Any:
    yield first
    yield from rest


def ingest(
    data_dir: Path,
    path: Path,
    *,
    adapter: str = "auto",
    mapping: Path | None = None,
    table: str | None = None,
    settings: Settings | None = None,
    format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    after: Callable[[bool], bool | None] | None = None,
    on_step: Callable[[str], None] | None = None,
    replace_keys: bool = False,
    engine: str | None = None,
) -> IngestResult:
    """Ingest one source into the lake as one batch.

    Parameters
    ----------
    data_dir : Path
        The shopops data directory.
    path : Path
        The source file (or Olist folder).
    adapter : str
        ``auto`` (recognise the built-in datasets and canonical files), ``canonical``,
        ``mapping``, ``online_retail``, ``olist`` or ``cdnow``.
    mapping : Path or None
        A TOML mapping file for any other layout.
    table : str or None
        The canonical table of a canonical file.
    settings : Settings or None
        Settings; read from the environment when None.
    format, encoding, delimiter, sheet : str or None
        How to read the file: its format (default: from the suffix), text encoding (default:
        detected), CSV delimiter (default: sniffed) and Excel sheet (default: the first).
    after : callable or None
        Called under the lake's writer lock once the batch is settled, with True when it was committed
        and False when it had been ingested before; the facade rebuilds the warehouse here, so that no
        other writer can slip in between the commit and the build. It returns True when it rebuilt.
    on_step : callable or None
        Called with a short description of each step (for progress display).
    replace_keys : bool
        Let this batch replace document rows (order lines, orders, …) that an earlier batch of *another*
        adapter holds under the same key. Without it such a collision is refused: two sources that
        number their orders alike would otherwise silently overwrite each other. Replacements of the
        same adapter's rows (a corrected re-export) always go ahead; both are counted in the report.
    engine : str or None
        ``duckdb`` or ``spark`` (validation, de-duplication and pseudonymisation as Spark jobs, in
        ``settings.spark_master``); default ``settings.engine``. Both give the same batch (id, rows, report).

    Returns
    -------
    IngestResult
        Batch id, status (``committed`` or ``skipped``) and the data-quality report per table.

    Raises
    ------
    ShopopsError
        With a message naming the file and the problem; nothing is committed then.
    """
    started = time.perf_counter()
    settings = settings or Settings()
    data_dir = Path(data_dir)
    step = on_step or (lambda _msg: None)
    engine = engine or settings.engine
    if engine not in ("duckdb", "spark"):
        raise IngestError(f"engine must be 'duckdb' or 'spark', not {engine!r}")
    read = {k: v for k, v in {"format": format, "encoding": encoding, "delimiter": delimiter,
                               "sheet": sheet}.items() if v is not None}
    chosen = resolve_adapter(Path(path), adapter=adapter, mapping=mapping, table=table,
                             columns_of=_peek_columns, **read)
    sources = chosen.sources()
    step("checksum")
    files_hash, files_info = _hash_files(sources)
    batch_id = hashlib.sha256(
        f"{SCHEMA_VERSION}\0{chosen.name}\0{chosen.fingerprint()}\0{files_hash}".encode()
    ).hexdigest()[:20]
    lake = Lake(data_dir)
    waited: list[float] = []

    def on_wait(message: str) -> None:
        waited.append(time.perf_counter())
        step(message)

    with lake.writer_lock(on_wait):
        if waited:
            step(f"lock acquired after {time.perf_counter() - waited[0]:.1f} s")
        lake.recover()
        existing = lake.batch(batch_id)
        if existing is not None:
            rebuilt = after(False) if after is not None else False
            note = ("the warehouse was behind the lake and has been rebuilt" if rebuilt
                    else "nothing to do")
            return IngestResult(batch_id, "skipped", chosen.name, existing.source, {},
                                time.perf_counter() - started,
                                [f"already ingested as batch {batch_id} (seq {existing.seq}, "
                                 f"{existing.committed_at}); {note}"])
        staging = lake.staging_dir(batch_id)
        con = connect_limited(settings, data_dir)
        try:
            reports, warnings, source_info = _run_batch(
                con, chosen, sources, files_info, staging, data_dir, settings, step, replace_keys, engine
            )
            step("commit")
            lake.commit(staging, batch_id=batch_id, source=source_info, adapter=chosen.name,
                        tables={t: {"clean_rows": r.rows_ok, "quarantined_rows": r.rows_quarantined}
                                for t, r in reports.items()},
                        report={t: asdict(r) for t, r in reports.items()})
        except ShopopsError:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        except duckdb.Error as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise IngestError(f"{path}: could not be ingested, nothing was stored: {exc}") from None
        finally:
            con.close()
        if after is not None:
            after(True)
    return IngestResult(batch_id, "committed", chosen.name, source_info, reports,
                        time.perf_counter() - started, warnings)


def _run_batch(
    con: duckdb.DuckDBPyConnection,
    chosen: Adapter,
    sources: list[SourceFile],
    files_info: list[dict[str, Any]],
    staging: Path,
    data_dir: Path,
    settings: Settings,
    step: Callable[[str], None],
    replace_keys: bool = False,
    engine: str = "duckdb",
) -> tuple[dict[str, TableReport], list[str], dict[str, Any]]:
    warnings: list[str] = []
    registry = _Sources(con)
    for src in sources:
        step(f"read {src.path.name}")
        registry.register(src)
    loads = chosen.loads(registry.columns)
    by_name = {s.name: s for s in sources}
    unmapped = {name: _unmapped(cols, [ld.sql for ld in loads if ld.source == name])
                for name, cols in registry.columns.items()}
    for name, cols in unmapped.items():
        if cols:
            shown = ", ".join(cols[:20]) + (f", … ({len(cols) - 20:,} more)" if len(cols) > 20 else "")
            warnings.append(f"{by_name[name].path.name}: {len(cols):,} column{'s' if len(cols) > 1 else ''} "
                            f"map to no table and were not stored: {shown}")
    pii_sources: set[str] = set()
    plans: list[tuple[TableLoad, list[str]]] = []
    for load in loads:
        out_cols = [d[0] for d in con.execute(f"SELECT * FROM ({load.sql}) LIMIT 0").description]
        table_cols = {c.name: c for c in get_table(load.table).columns}
        # Personal data: columns the schema marks as such and the settings ask to pseudonymise.
        pii_cols = [c for c in out_cols if c in table_cols and table_cols[c].pii and c in settings.pii_columns]
        if pii_cols:
            pii_sources.add(load.source)
        plans.append((load, pii_cols))

    # The raw zone keeps the source as read, for re-processing, unless it carries personal data:
    # those sources are kept only in pseudonymised form (clean and quarantine zones).
    for src in sources:
        if src.name in pii_sources:
            warnings.append(f"{src.path.name}: holds personal data; no raw copy kept (pseudonymised only)")
            continue
        raw_dir = staging / "raw" / chosen.name
        raw_dir.mkdir(parents=True, exist_ok=True)
        if _is_parquet(src):
            shutil.copyfile(src.path, raw_dir / f"{src.name}.parquet")
        else:
            con.execute(f"COPY \"{src.name}\" TO {sql_str(raw_dir / (src.name + '.parquet'))} "
                        "(FORMAT parquet, COMPRESSION zstd)")

    hasher = PiiHasher(load_or_create_key(data_dir, settings.pii_key))
    if engine == "spark":
        step("spark session")
    stager = SparkStager(settings) if engine == "spark" else None
    reports: dict[str, TableReport] = {}
    rejects_done: set[str] = set()
    for i, (load, pii_cols) in enumerate(plans):
        step(f"validate {load.table}")
        table = get_table(load.table)
        staged = f"_staged_{i}"
        report = TableReport(load.table, unmapped_columns=unmapped.get(load.source, []))
        src_file = str(by_name[load.source].path)
        rejects = [] if load.source in rejects_done else registry.rejects.get(load.source, [])
        rejects_done.add(load.source)
        redact = load.source in pii_sources
        if stager is None:
            stage(con, source_sql=load.sql, table=table, staged_name=staged, opts=load.options)
            if pii_cols:
                report.pseudonymised = hasher.apply(con, staged, pii_cols)
            _write_table(con, staged, table.names, staging, load.table, src_file, rejects, redact)
        else:  # Spark writes the clean and quarantined rows; `staged` is a view over what it wrote
            report.pseudonymised = stager.stage(
                con, source_sql=load.sql, table=table, staged_name=staged, opts=load.options, pii_columns=pii_cols,
                hasher=hasher, staging=staging, source_file=src_file, quarantine_rows=bool(rejects))
            _write_rejects(staging / "quarantine" / load.table, load.table, src_file, rejects, redact)
        report.replaced_from = _write_superseded(con, staged, load.table, Lake(data_dir), staging)
        report.replaced = sum(int(b["rows"]) for b in report.replaced_from)
        _check_replaced(report, chosen.name, by_name[load.source].path, replace_keys)
        if report.replaced:
            warnings.append(_replaced_text(report))
        _fill_report(con, staged, report, table.names, rejects, settings)
        if load.table in reports:  # two loads into one table (not used by built-ins, but allowed)
            raise IngestError(f"adapter {chosen.name} loads table {load.table} twice")
        reports[load.table] = report
        con.execute(f'DROP {"TABLE" if stager is None else "VIEW"} "{staged}"')
    if stager is not None:
        remove_scratch(staging)
    total_in = sum(r.rows_in for r in reports.values())
    if total_in == 0:
        raise IngestError(f"{sources[0].path}: no data rows; nothing was stored")
    for name, rep in reports.items():
        if rep.rows_in and rep.rows_ok == 0:
            warnings.append(f"{name}: every row was quarantined; see the reasons in the report")
    source_info = {"files": files_info, "read": registry.details}
    return reports, warnings, source_info


def _unmapped(columns: list[str], sqls: list[str]) -> list[str]:
    """The source columns no load's SQL reads (compared as SQL does, ignoring case)."""
    text = " ".join(sqls).lower()
    words = set(re.findall(r"[a-z0-9_]+", text))
    out = []
    for col in columns:
        low = col.lower()
        if low in words or f'"{low}"' in text:
            continue
        out.append(col)
    return out


def _write_table(
    con: duckdb.DuckDBPyConnection,
    staged: str,
    names: list[str],
    staging: Path,
    table: str,
    src_file: str,
    rejects: list[Any],
    redact: bool,
) -> None:
    cols = ", ".join(f'"{c}"' for c in names)
    clean_dir = staging / "clean" / table
    clean_dir.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY (SELECT {cols} FROM \"{staged}\" WHERE _reason IS NULL) TO {sql_str(clean_dir)} "
        "(FORMAT parquet, COMPRESSION zstd, FILE_SIZE_BYTES '256MB', OVERWRITE_OR_IGNORE)"
    )
    n_bad = first_row(con, f'SELECT count(*) FROM "{staged}" WHERE _reason IS NOT NULL')
    if not (n_bad and n_bad[0]) and not rejects:
        return
    q_dir = staging / "quarantine" / table
    q_dir.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY (SELECT {cols}, _reason, {sql_str(src_file)} AS _source_file, _source_row, "
        f"CAST(NULL AS VARCHAR) AS _raw_text FROM \"{staged}\" WHERE _reason IS NOT NULL) "
        f"TO {sql_str(q_dir / 'rows.parquet')} (FORMAT parquet, COMPRESSION zstd)"
    )
    _write_rejects(q_dir, table, src_file, rejects, redact)


def _write_rejects(q_dir: Path, table: str, src_file: str, rejects: list[Any], redact: bool) -> None:
    """Quarantine the lines the reader could not read (as ``unreadable.parquet``)."""
    if rejects:
        q_dir.mkdir(parents=True, exist_ok=True)
        schema = get_table(table).arrow_schema()
        n = len(rejects)
        arrays = [pa.nulls(n, f.type) for f in schema]
        extra = {
            "_reason": pa.array([f"unreadable line: {r.error}" for r in rejects], pa.string()),
            "_source_file": pa.array([src_file] * n, pa.string()),
            "_source_row": pa.array([r.line for r in rejects], pa.int64()),
            "_raw_text": pa.array(["(withheld: may hold personal data)" if redact else r.text for r in rejects],
                                  pa.string()),
        }
        tbl = pa.Table.from_arrays(arrays + list(extra.values()), names=schema.names + list(extra))
        pq.write_table(tbl, q_dir / "unreadable.parquet", compression="zstd")


def _write_superseded(
    con: duckdb.DuckDBPyConnection, staged: str, table_name: str, lake: Lake, staging: Path
) -> list[dict[str, Any]]:
    """Record which rows of earlier batches this batch replaces (same key; the latest batch wins).

    Found once here, against the key columns of the earlier batches, so that a warehouse build
    needs no key-wide de-duplication: it drops exactly these rows, usually none. Returns, per earlier
    batch with replaced rows, its id, sequence number, adapter, files, the rows and a few example keys.
    """
    by_batch: dict[int, list[str]] = {}
    batches: dict[int, Any] = {}
    for path, batch in lake.files("clean", table_name):
        by_batch.setdefault(batch.seq, []).append(str(path))
        batches[batch.seq] = batch
    if not by_batch:
        return []
    key = get_table(table_name).key
    cols = ", ".join(f'"{k}"' for k in key)
    union = " UNION ALL ".join(
        f"SELECT {cols}, {seq} AS _seq FROM {lake.scan(con, f'_earlier_{seq}', files)}"
        for seq, files in by_batch.items()
    )
    match = " AND ".join(f'e."{k}" IS NOT DISTINCT FROM n."{k}"' for k in key)
    out = staging / "superseded" / table_name
    out.mkdir(parents=True, exist_ok=True)
    keys_file = sql_str(out / "keys.parquet")
    con.execute(
        f"""COPY (SELECT {", ".join(f'e."{k}"' for k in key)}, e._seq FROM ({union}) AS e
                  WHERE EXISTS (SELECT 1 FROM "{staged}" AS n WHERE n._reason IS NULL AND {match}))
            TO {keys_file} (FORMAT parquet, COMPRESSION zstd)"""
    )
    counts = con.execute(
        f"""SELECT _seq, count(*), list(struct_pack({cols}) ORDER BY {cols})[1:5]
            FROM read_parquet({keys_file}) GROUP BY _seq ORDER BY _seq"""
    ).fetchall()
    if not counts:
        (out / "keys.parquet").unlink()
        out.rmdir()
    return [{"batch_id": batches[seq].batch_id, "seq": int(seq), "adapter": batches[seq].adapter,
             "files": [Path(f["path"]).name for f in batches[seq].source.get("files", [])], "rows": int(n),
             "examples": [{k: str(v) for k, v in ex.items()} for ex in examples]}
            for seq, n, examples in counts]


def _replaced_text(report: TableReport) -> str:
    key = ", ".join(get_table(report.table).key)
    parts = "; ".join(f"{b['rows']:,} of batch {b['batch_id']} ({b['adapter']}, {', '.join(b['files'])}; "
                      f"e.g. {', '.join('/'.join(e.values()) for e in b['examples'][:3])})"
                      for b in report.replaced_from)
    return f"{report.table}: replaced {report.replaced:,} rows with the same key ({key}): {parts}"


def _check_replaced(report: TableReport, adapter: str, path: Path, replace_keys: bool) -> None:
    """Refuse to replace another source's documents unless asked: their ids only look alike."""
    foreign = [b for b in report.replaced_from if b["adapter"] != adapter]
    if not foreign or replace_keys or report.table not in DOCUMENT_TABLES:
        return
    rows = sum(int(b["rows"]) for b in foreign)
    raise IngestError(
        f"{path}: {rows:,} {report.table} rows have the key ({', '.join(get_table(report.table).key)}) of rows "
        f"another source already holds ({_replaced_text(report).split(': ', 2)[2]}); nothing was stored. "
        "If this file corrects those documents, ingest it again with replace_keys=True (CLI --replace-keys); "
        "if it is another shop or channel, give its ids a prefix of their own before ingesting it."
    )


def _fill_report(
    con: duckdb.DuckDBPyConnection,
    staged: str,
    report: TableReport,
    names: list[str],
    rejects: list[Any],
    settings: Settings,
) -> None:
    nulls = ", ".join(f'count(*) FILTER (WHERE "{c}" IS NULL AND _reason IS NULL)' for c in names)
    row = first_row(
        con, f"SELECT count(*), count(*) FILTER (WHERE _reason IS NULL), {nulls} FROM \"{staged}\""
    )
    report.rows_in = int(row[0]) + len(rejects)
    report.rows_ok = int(row[1])
    report.rows_quarantined = report.rows_in - report.rows_ok
    report.nulls = {c: int(v) for c, v in zip(names, row[2:], strict=True) if v}
    # Reasons by kind: the values are cut out so that "quantity: "x" is not a number" and
    # "quantity: "y" is not a number" count as one kind.
    kinds = con.execute(
        f"""SELECT regexp_replace(regexp_replace(r, '"[^"]*"', '…', 'g'), '[0-9][0-9:. -]*', '#', 'g') AS kind,
                   count(*) AS n
            FROM (SELECT unnest(string_split(_reason, '; ')) AS r FROM "{staged}" WHERE _reason IS NOT NULL)
            GROUP BY kind ORDER BY n DESC LIMIT 15"""
    ).fetchall()
    report.reasons = {str(k): int(n) for k, n in kinds}
    if rejects:
        report.reasons["unreadable line"] = len(rejects)
    report.duplicates = sum(n for k, n in report.reasons.items() if "duplicate" in k)
    report.examples = [
        {"row": int(r), "reason": str(why)}
        for r, why in con.execute(
            f'SELECT _source_row, _reason FROM "{staged}" WHERE _reason IS NOT NULL ORDER BY _source_row LIMIT 5'
        ).fetchall()
    ] + [{"row": r.line, "reason": f"unreadable line: {r.error}"} for r in rejects[:5]]
    time_col = next((c for c in ("ordered_at", "ts", "date", "acquired_at") if c in names), None)
    if time_col:
        lo_hi = first_row(con, f'SELECT min("{time_col}"), max("{time_col}") FROM "{staged}" WHERE _reason IS NULL')
        if lo_hi and lo_hi[0] is not None:
            report.first, report.last = str(lo_hi[0]), str(lo_hi[1])
    if report.table == "order_lines":
        report.line_types = {
            str(t): int(n) for t, n in con.execute(
                f'SELECT coalesce(line_type, \'(none)\'), count(*) FROM "{staged}" WHERE _reason IS NULL '
                "GROUP BY 1 ORDER BY 2 DESC").fetchall()
        }
        # Two rules, either flags a line (reported, never dropped):
        # - robust z-score of log quantity within its product (products with >= 10 lines): far out
        #   of the product's usual size, without judging wholesale customers by retail standards;
        # - more than 10x the shop-wide 99.9th percentile of line quantities (any product): the
        #   only sound yardstick for products with few lines, e.g. Online Retail's 80,995 units.
        # Quantiles are exact and come from counts per (product, |quantity|): as many as the distinct
        # quantities, never every line, so files larger than memory stream; and, unlike a t-digest, the
        # result does not depend on the order the rows arrive in (the same on DuckDB and Spark ingest).
        z = float(settings.outlier_z)
        valid = f'FROM "{staged}" WHERE _reason IS NULL AND quantity <> 0'
        # Per-product statistics go to small temp tables first: joined as CTEs, DuckDB misjudges
        # their size, builds its hash table on the big side and runs out of memory on large files.
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _product_hist AS
            SELECT product_id, abs(quantity) AS aq, count(*) AS n {valid} GROUP BY product_id, aq""")
        # The median of a product's ln|quantity|: the smallest value reaching half of its lines.
        con.execute("""CREATE OR REPLACE TEMP TABLE _product_median AS
            SELECT product_id, min(ln(aq)) FILTER (WHERE cum >= 0.5 * total) AS med, max(total) AS n
            FROM (SELECT product_id, aq, sum(n) OVER (PARTITION BY product_id ORDER BY aq) AS cum,
                         sum(n) OVER (PARTITION BY product_id) AS total FROM _product_hist) AS h
            GROUP BY product_id""")
        con.execute("""CREATE OR REPLACE TEMP TABLE _product_spread AS
            SELECT product_id, any_value(med) AS med, min(d) FILTER (WHERE cum >= 0.5 * total) AS mad
            FROM (SELECT h.product_id, m.med, abs(ln(h.aq) - m.med) AS d,
                         sum(h.n) OVER (PARTITION BY h.product_id ORDER BY abs(ln(h.aq) - m.med), h.aq) AS cum,
                         sum(h.n) OVER (PARTITION BY h.product_id) AS total
                  FROM _product_hist AS h JOIN _product_median AS m ON m.product_id = h.product_id AND m.n >= 10
                 ) AS d
            GROUP BY product_id""")
        p999 = first_row(con, """SELECT min(aq) FILTER (WHERE cum >= 0.999 * total)
            FROM (SELECT aq, sum(n) OVER (ORDER BY aq) AS cum, sum(n) OVER () AS total
                  FROM (SELECT aq, sum(n) AS n FROM _product_hist GROUP BY aq) AS a) AS c""")[0]
        limit_q = 10.0 * float(p999 or 0.0)
        outliers = con.execute(
            f"""SELECT l._source_row, l.product_id, l.quantity,
                       (ln(abs(l.quantity)) - p.med) / greatest(1.4826 * p.mad, 0.25) AS z,
                       abs(l.quantity) / nullif({limit_q} / 10, 0) AS x_p999
                FROM (SELECT product_id, quantity, _source_row {valid}) AS l
                LEFT JOIN _product_spread AS p ON p.product_id = l.product_id
                WHERE (ln(abs(l.quantity)) - p.med) / greatest(1.4826 * p.mad, 0.25) > {z}
                   OR abs(l.quantity) > {limit_q}
                ORDER BY abs(l.quantity) DESC, l._source_row LIMIT 1000"""
        ).fetchall()
        con.execute("DROP TABLE _product_hist; DROP TABLE _product_median; DROP TABLE _product_spread")
        report.outliers = [
            {"row": int(r), "product_id": str(p), "quantity": int(q),
             "z": None if zz is None else round(float(zz), 1), "x_p999": round(float(x), 1)}
            for r, p, q, zz, x in outliers[:20]
        ]
        if len(outliers) > 20:
            report.outliers.append({"more": len(outliers) - 20})  # counted up to 1000
