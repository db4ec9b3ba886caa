"""Validation: turn a source relation into typed canonical rows, each with a reason if it is bad.

The whole check is one DuckDB query generated from :mod:`shopops.schema`: every column is cast
with ``TRY_CAST``/``TRY_STRPTIME`` and every failed rule adds a reason; repeated keys are found
with a window. Vectorised and streaming-friendly (DuckDB spills to disk past its memory limit),
so a bad row costs nothing but its quarantine entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from shopops._duck import sql_ident, sql_str
from shopops.schema import Column, Table

__all__ = ["ParseOptions", "StageSql", "source_types", "stage", "stage_sql"]

#: Rules that do not hold for some rows, by (table, column): the SQL condition of the exemption.
_MIN_VALUE_EXEMPTIONS: dict[tuple[str, str], str] = {
    # Accounting adjustments (bad debt) carry negative prices by nature.
    ("order_lines", "unit_price"): "line_type = 'adjustment'",
}
#: Event-time columns: a value in the future is a clock or format error.
_NOT_IN_FUTURE = {"ordered_at", "ts", "acquired_at"}
_EARLIEST = "1970-01-01"
_LATEST = "2100-01-01"


@dataclass(frozen=True)
class ParseOptions:
    """How to read text values of a source.

    Parameters
    ----------
    date_formats : tuple of str
        ``strptime`` formats tried in order for dates and timestamps (e.g. ``"%d/%m/%Y %H:%M"``);
        empty means ISO 8601 only.
    decimal : str
        Decimal separator of numbers in text (``"."`` or ``","``).
    defaults : dict
        Constant values for canonical columns the source does not have.
    exact_duplicates : bool
        Quarantine rows identical to an earlier row in every mapped column (used where the
        source has no line numbers, so a repeated row cannot be told from a double entry).
    """

    date_formats: tuple[str, ...] = ()
    decimal: str = "."
    defaults: dict[str, str] = field(default_factory=dict)
    exact_duplicates: bool = False


def _as_text(expr: str) -> str:
    return f"NULLIF(TRIM(CAST({expr} AS VARCHAR)), '')"


_NUMERIC_TYPES = {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT",
                  "UTINYINT", "DOUBLE", "FLOAT", "REAL"}


def _is_text(src_type: str) -> bool:
    return src_type == "VARCHAR" or src_type.startswith("VARCHAR")


def _typed_expr(col: Column, src_type: str, opts: ParseOptions) -> tuple[str, str, str]:
    """SQL for the typed value, a 'could not be read' condition and an 'is missing' condition.

    Typed sources (Parquet numbers and timestamps) are used as they are: formatting millions of
    values as text only to parse them back is what made naive validation slow.
    """
    raw = sql_ident(col.name)
    text = _as_text(raw)
    numeric_src = src_type in _NUMERIC_TYPES or src_type.startswith("DECIMAL")
    missing = f"{text} IS NULL" if _is_text(src_type) else f"{raw} IS NULL"
    if col.dtype == "string":
        return text, "FALSE", f"{text} IS NULL"
    if col.dtype in ("int", "float"):
        if numeric_src:
            as_double = f"CAST({raw} AS DOUBLE)"
            exact_int = src_type in _NUMERIC_TYPES - {"DOUBLE", "FLOAT", "REAL"}
            if col.dtype == "int" and exact_int:
                return f"CAST({raw} AS BIGINT)", "FALSE", missing
        else:
            num_text = text if opts.decimal == "." else (
                f"REPLACE(REPLACE({text}, '.', ''), {sql_str(opts.decimal)}, '.')")
            as_double = f"TRY_CAST({num_text} AS DOUBLE)"
        ok = f"isfinite({as_double})"
        if col.dtype == "int":
            ok = f"({ok} AND {as_double} = round({as_double}))"
            value = f"CASE WHEN {ok} THEN CAST({as_double} AS BIGINT) END"
        else:
            value = f"CASE WHEN {ok} THEN {as_double} END"
        return value, f"(NOT ({missing}) AND NOT coalesce({ok}, FALSE))", missing
    if col.dtype == "bool":
        if src_type == "BOOLEAN":
            return raw, "FALSE", missing
        value = f"TRY_CAST({text} AS BOOLEAN)"
        return value, f"({text} IS NOT NULL AND {value} IS NULL)", missing
    # dates and timestamps
    target = "TIMESTAMP" if col.dtype == "ts" else "DATE"
    if src_type.startswith("TIMESTAMP") or src_type == "DATE":
        return f"CAST({raw} AS {target})", "FALSE", missing
    parsed = f"TRY_CAST({text} AS TIMESTAMP)"
    if opts.date_formats:
        # One try per format rather than DuckDB's list form: the same first-match-wins, and a
        # form that translates to Spark.
        tries = ", ".join(f"TRY_STRPTIME({text}, {sql_str(f)})" for f in opts.date_formats)
        parsed = f"coalesce({parsed}, {tries})"
    value = f"CAST({parsed} AS {target})"
    return value, f"({text} IS NOT NULL AND {value} IS NULL)", missing


def _type_word(col: Column) -> str:
    return {
        "int": "a whole number",
        "float": "a number",
        "bool": "true or false",
        "date": "a date",
        "ts": "a date and time",
        "string": "text",
    }[col.dtype]


def _range_checks(table: Table, now_sql: str) -> list[str]:
    """SQL reasons for typed values out of range: minimums, allowed values, implausible dates."""
    checks: list[str] = []
    for col in table.columns:
        ref = sql_ident(col.name)
        if col.min_value is not None:
            cond = f"{ref} < {col.min_value}"
            exempt = _MIN_VALUE_EXEMPTIONS.get((table.name, col.name))
            if exempt:
                cond = f"{cond} AND NOT coalesce({exempt}, FALSE)"
            checks.append(
                f"CASE WHEN {cond} THEN {sql_str(col.name + ': ')} || CAST({ref} AS VARCHAR) || "
                f"{sql_str(f' is below the minimum {col.min_value:g}')} END"
            )
        if col.allowed:
            allowed = ", ".join(sql_str(a) for a in col.allowed)
            checks.append(
                f"CASE WHEN {ref} IS NOT NULL AND {ref} NOT IN ({allowed}) THEN {sql_str(col.name + ': ')} || "
                f"'\"' || {ref} || '\" is not one of ' || {sql_str(', '.join(col.allowed))} END"
            )
        if col.dtype in ("date", "ts"):
            checks.append(
                f"CASE WHEN {ref} < DATE {sql_str(_EARLIEST)} OR {ref} >= DATE {sql_str(_LATEST)} THEN "
                f"{sql_str(col.name + ': ')} || CAST({ref} AS VARCHAR) || ' is not a plausible date' END"
            )
            if col.name in _NOT_IN_FUTURE:
                checks.append(
                    f"CASE WHEN {ref} > {now_sql} + INTERVAL 2 DAY AND {ref} < DATE {sql_str(_LATEST)} THEN "
                    f"{sql_str(col.name + ': ')} || CAST({ref} AS VARCHAR) || ' is in the future' END"
                )
        if table.name == "order_lines" and col.name == "quantity":
            checks.append(f"CASE WHEN {ref} = 0 THEN 'quantity: 0 units' END")
    return checks


@dataclass(frozen=True)
class StageSql:
    """The validation of one table as two DuckDB-dialect queries, run in this order.

    ``pre`` (typed values and row reasons) is materialised as ``pre_name``; ``final`` reads it and
    adds line numbers and the duplicate reasons. Neither uses DuckDB-only syntax that sqlglot cannot
    carry to Spark (``* EXCLUDE``, ``GROUP BY ALL``, lists of formats), so both engines run the same
    definition.
    """

    pre_name: str
    pre: str
    final: str


def source_types(con: duckdb.DuckDBPyConnection, source_sql: str) -> dict[str, str]:
    """Column name → DuckDB type of ``source_sql``, the canonical columns matched regardless of case."""
    return {str(name): str(dtype) for name, dtype, *_ in con.sql(f"DESCRIBE SELECT * FROM ({source_sql})").fetchall()}


def stage_sql(
    src_types: dict[str, str],
    *,
    source_sql: str,
    table: Table,
    staged_name: str,
    opts: ParseOptions,
    now_sql: str = "current_timestamp::TIMESTAMP",
) -> StageSql:
    """The validation queries of :func:`stage` for a source with columns ``src_types`` (see :func:`source_types`)."""
    # DuckDB keeps a column's own spelling when an alias differs from it only in case (a CSV's
    # "Quantity AS quantity" comes out as "Quantity"), and SQL names are case-insensitive anyway:
    # canonical columns are matched regardless of case.
    canonical = {c.name.lower(): c.name for c in table.columns}
    src_cols = {canonical.get(name.lower(), name): dtype for name, dtype in src_types.items()}

    # Line numbers numbered here (in file order within the order) make (order_id, line_no) unique
    # by construction: no duplicate-key pass is needed then.
    numbered_here = table.key == ("order_id", "line_no") and "line_no" not in src_cols \
        and "line_no" not in opts.defaults and "order_id" in src_cols
    mapped: list[str] = []
    for col in table.columns:
        if col.name in src_cols:
            mapped.append(f"{sql_ident(col.name)}")
        elif col.name in opts.defaults:
            mapped.append(f"{sql_str(opts.defaults[col.name])} AS {sql_ident(col.name)}")
        else:
            mapped.append(f"CAST(NULL AS VARCHAR) AS {sql_ident(col.name)}")
    # Columns named _dup_* are not stored but take part in the exact-duplicate check (a source
    # column such as a description that is not part of the canonical table).
    extras = [c for c in src_cols if c.startswith("_dup_")]
    extra_sql = "".join(f", {sql_ident(c)}" for c in extras)
    m_sql = f"SELECT {', '.join(mapped)}{extra_sql}, _source_row FROM ({source_sql}) AS s"

    typed: list[str] = []
    reasons: list[str] = []
    for col in table.columns:
        src_type = src_cols.get(col.name, "VARCHAR")
        if col.name == "line_no" and col.name not in src_cols:
            src_type = "BIGINT"
        value, bad, missing = _typed_expr(col, src_type, opts)
        typed.append(f"{value} AS {sql_ident(col.name)}")
        if numbered_here and col.name == "line_no":
            continue  # numbered below, never missing
        shown = f"left({_as_text(sql_ident(col.name))}, 60)"
        reasons.append(
            f"CASE WHEN {bad} THEN {sql_str(col.name + ': ')} || '\"' || {shown} || '\" is not "
            f"{_type_word(col)}' END"
        )
        if col.required:
            reasons.append(f"CASE WHEN {missing} THEN {sql_str(col.name + ': missing')} END")
    checks = _range_checks(table, now_sql)

    if opts.exact_duplicates:
        compared = [c.name for c in table.columns if c.name != "line_no"] + extras
        # One 64-bit hash of the row (within its order, when there is one) stands for every
        # column; two different rows of one order would have to collide on 64 bits to be
        # mistaken for duplicates.
        row_hash = f"CASE WHEN _reason IS NULL THEN hash({', '.join(sql_ident(c) for c in compared)}) END"
    else:
        row_hash = "CAST(NULL AS BIGINT)"
    pre = f"_pre_{staged_name}"
    names = ", ".join(sql_ident(c) for c in table.names)
    pre_sql = f"""
    WITH m AS ({m_sql}),
    t AS (
        SELECT {', '.join(typed)}{extra_sql}, _source_row,
               NULLIF(concat_ws('; ', {', '.join(reasons)}), '') AS _type_reason
        FROM m
    ),
    c AS (
        SELECT {names}{extra_sql}, _source_row,
               NULLIF(concat_ws('; ', _type_reason, {', '.join(checks) if checks else 'NULL'}), '') AS _reason
        FROM t
    )
    SELECT {names}, _source_row, _reason, {row_hash} AS _row_hash FROM c
    """
    # Repeated rows and keys are found with hash aggregates joined back, not with windows: a
    # window sorts every row of every partition, an aggregate only groups them.
    ctes: list[str] = []
    src = f"{sql_ident(pre)} AS p"
    if numbered_here:
        # Lines of one order usually sit together in the file: their numbers are the offset from
        # the order's first row (``_source_row`` numbers the rows of one source file, so an order
        # whose rows span exactly as many numbers as it has rows is contiguous). Orders spread over
        # the file are numbered by a window, which then only sorts their rows.
        ctes.append(f"""o AS (
            SELECT order_id, min(_source_row) AS lo, max(_source_row) AS hi, count(*) AS n
            FROM {sql_ident(pre)} GROUP BY order_id)""")
        ctes.append(f"""spread AS (
            SELECT p._source_row,
                   CAST(row_number() OVER (PARTITION BY p.order_id ORDER BY p._source_row) AS BIGINT) AS line_no
            FROM {src} JOIN o ON o.order_id IS NOT DISTINCT FROM p.order_id WHERE o.hi - o.lo + 1 <> o.n)""")
        src += (" JOIN o ON o.order_id IS NOT DISTINCT FROM p.order_id"
                " LEFT JOIN spread ON spread._source_row = p._source_row")
    if opts.exact_duplicates:
        scope = ["order_id"] if "order_id" in table.names else []
        scope_cols = "".join(f"{sql_ident(c)}, " for c in scope)
        ctes.append(f"""x AS (
            SELECT {scope_cols}_row_hash, min(_source_row) AS first_row
            FROM {sql_ident(pre)} WHERE _row_hash IS NOT NULL
            GROUP BY {scope_cols}_row_hash HAVING count(*) > 1)""")
        match = "".join(f" AND x.{sql_ident(c)} IS NOT DISTINCT FROM p.{sql_ident(c)}" for c in scope)
        src += f" LEFT JOIN x ON x._row_hash = p._row_hash{match}"
        exact_first = "x.first_row"
    else:
        exact_first = "CAST(NULL AS BIGINT)"
    n_cols = [
        "CASE WHEN o.hi - o.lo + 1 = o.n THEN p._source_row - o.lo + 1 ELSE spread.line_no END AS line_no"
        if numbered_here and c == "line_no" else f"p.{sql_ident(c)}"
        for c in table.names
    ]
    ctes.append(f"""n AS (
        SELECT {', '.join(n_cols)}, p._source_row, p._reason, {exact_first} AS _exact_first
        FROM {src})""")
    final_src = "n"
    key_case = ""
    if not numbered_here:
        key = ", ".join(sql_ident(k) for k in table.key)
        unique_row = "(n._reason IS NULL AND (n._exact_first IS NULL OR n._exact_first = n._source_row))"
        ctes.append(f"""k AS (
            SELECT {key}, min(_source_row) AS first_row FROM n
            WHERE {unique_row} GROUP BY {key} HAVING count(*) > 1)""")
        match = " AND ".join(f"k.{sql_ident(c)} IS NOT DISTINCT FROM n.{sql_ident(c)}" for c in table.key)
        final_src = f"n LEFT JOIN k ON {match}"
        dup_parts = [f"{sql_str(k + '=')} || coalesce(CAST(n.{sql_ident(k)} AS VARCHAR), '')" for k in table.key]
        dup_label = " || ', ' || ".join(dup_parts)
        key_case = (f"WHEN {unique_row} AND k.first_row <> n._source_row "
                    f"THEN 'duplicate key (' || {dup_label} || '): first at row ' || CAST(k.first_row AS VARCHAR)")
    cols = ", ".join(f"n.{sql_ident(c)}" for c in table.names)
    final_sql = f"""
    WITH {', '.join(ctes)}
    SELECT {cols}, n._source_row,
        CASE
            WHEN n._reason IS NOT NULL THEN n._reason
            WHEN n._exact_first IS NOT NULL AND n._exact_first <> n._source_row
                THEN 'exact duplicate of row ' || CAST(n._exact_first AS VARCHAR)
            {key_case}
        END AS _reason
    FROM {final_src}
    """
    return StageSql(pre, pre_sql, final_sql)


def stage(
    con: duckdb.DuckDBPyConnection,
    *,
    source_sql: str,
    table: Table,
    staged_name: str,
    opts: ParseOptions,
    now_sql: str = "current_timestamp::TIMESTAMP",
) -> list[str]:
    """Create temp table ``staged_name``: typed canonical columns, ``_source_row`` and ``_reason``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection where ``source_sql`` can run.
    source_sql : str
        A query returning canonical column names (any subset; missing optional columns become
        NULL, ``line_no`` is numbered in file order when absent) and ``_source_row``.
    table : Table
        The canonical table.
    staged_name : str
        Name of the temp table to create.
    opts : ParseOptions
        Parsing options.
    now_sql : str
        SQL for "now", for the not-in-the-future rule.

    Returns
    -------
    list of str
        The canonical columns the source provided (the others are NULL or defaulted).
    """
    src_types = source_types(con, source_sql)
    queries = stage_sql(src_types, source_sql=source_sql, table=table, staged_name=staged_name, opts=opts,
                        now_sql=now_sql)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {sql_ident(queries.pre_name)} AS {queries.pre}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {sql_ident(staged_name)} AS {queries.final}")
    con.execute(f"DROP TABLE {sql_ident(queries.pre_name)}")
    canonical = {c.name.lower() for c in table.columns}
    provided = {n.lower() for n in src_types if n.lower() in canonical}
    return [c.name for c in table.columns if c.name.lower() in provided]
