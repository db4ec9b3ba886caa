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

__all__ = ["ParseOptions", "stage"]

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
        fmts = "[" + ", ".join(sql_str(f) for f in opts.date_formats) + "]"
        parsed = f"coalesce({parsed}, TRY_STRPTIME({text}, {fmts}))"
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
    src_cols = {r[0]: r[1] for r in con.sql(f"DESCRIBE SELECT * FROM ({source_sql})").fetchall()}
    present = [c.name for c in table.columns if c.name in src_cols]

    mapped: list[str] = []
    for col in table.columns:
        if col.name in src_cols:
            mapped.append(f"{sql_ident(col.name)}")
        elif col.name in opts.defaults:
            mapped.append(f"{sql_str(opts.defaults[col.name])} AS {sql_ident(col.name)}")
        elif col.name == "line_no" and "order_id" in src_cols:
            mapped.append(f"row_number() OVER (PARTITION BY {_as_text(sql_ident('order_id'))} ORDER BY _source_row) "
                          f"AS {sql_ident('line_no')}")
        else:
            mapped.append(f"CAST(NULL AS VARCHAR) AS {sql_ident(col.name)}")
    # Columns named _dup_* are not stored but take part in the exact-duplicate check (a source
    # column such as a description that is not part of the canonical table).
    extras = [c for c in src_cols if c.startswith("_dup_")]
    extra_sql = "".join(f", {sql_ident(c)}" for c in extras)
    m_sql = f"SELECT {', '.join(mapped)}{extra_sql}, _source_row FROM ({source_sql})"

    typed: list[str] = []
    reasons: list[str] = []
    for col in table.columns:
        src_type = src_cols.get(col.name, "VARCHAR")
        if col.name == "line_no" and col.name not in src_cols:
            src_type = "BIGINT"
        value, bad, missing = _typed_expr(col, src_type, opts)
        typed.append(f"{value} AS {sql_ident(col.name)}")
        shown = f"left({_as_text(sql_ident(col.name))}, 60)"
        reasons.append(
            f"CASE WHEN {bad} THEN {sql_str(col.name + ': ')} || '\"' || {shown} || '\" is not "
            f"{_type_word(col)}' END"
        )
        if col.required:
            reasons.append(f"CASE WHEN {missing} THEN {sql_str(col.name + ': missing')} END")
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

    key = ", ".join(sql_ident(k) for k in table.key)
    dup_parts = [f"{sql_str(k + '=')} || coalesce(CAST({sql_ident(k)} AS VARCHAR), '')" for k in table.key]
    dup_label = " || ', ' || ".join(dup_parts)
    if opts.exact_duplicates:
        compared = [c.name for c in table.columns if c.name != "line_no"] + extras
        same = ", ".join(sql_ident(c) for c in compared)
        # Partitioning by one 64-bit hash of the row (within its order, when there is one) is half
        # the work of partitioning by every column; two different rows of one order would have to
        # collide on 64 bits to be mistaken for duplicates.
        scope = f"{sql_ident('order_id')}, " if "order_id" in table.names else ""
        exact = (
            f", CASE WHEN _reason IS NULL THEN min(_source_row) OVER (PARTITION BY {scope}hash({same}), "
            "_reason IS NULL) END AS _exact_first"
        )
    else:
        exact = ", CAST(NULL AS BIGINT) AS _exact_first"
    # Line numbers numbered here (row_number within the order) make (order_id, line_no) unique by
    # construction: no duplicate-key pass is needed then.
    numbered_here = table.key == ("order_id", "line_no") and "line_no" not in src_cols \
        and "line_no" not in opts.defaults and "order_id" in src_cols
    if numbered_here:
        key_first = "CAST(NULL AS BIGINT) AS _key_first"
    else:
        key_first = f"""CASE WHEN _reason IS NULL AND (_exact_first IS NULL OR _exact_first = _source_row) THEN
                    min(_source_row) OVER (PARTITION BY {key},
                        (_reason IS NULL AND (_exact_first IS NULL OR _exact_first = _source_row)))
               END AS _key_first"""

    sql = f"""
    CREATE OR REPLACE TEMP TABLE {sql_ident(staged_name)} AS
    WITH m AS ({m_sql}),
    t AS (
        SELECT {', '.join(typed)}{extra_sql}, _source_row,
               NULLIF(concat_ws('; ', {', '.join(reasons)}), '') AS _type_reason
        FROM m
    ),
    c AS (
        SELECT * EXCLUDE (_type_reason),
               NULLIF(concat_ws('; ', _type_reason, {', '.join(checks) if checks else 'NULL'}), '') AS _reason
        FROM t
    ),
    e AS (
        SELECT *{exact} FROM c
    ),
    d AS (
        SELECT *, {key_first}
        FROM e
    )
    SELECT * EXCLUDE (_reason, _exact_first, _key_first{extra_sql}),
        CASE
            WHEN _reason IS NOT NULL THEN _reason
            WHEN _exact_first IS NOT NULL AND _exact_first <> _source_row
                THEN 'exact duplicate of row ' || _exact_first
            WHEN _key_first <> _source_row
                THEN 'duplicate key (' || {dup_label} || '): first at row ' || _key_first
        END AS _reason
    FROM d
    """
    con.execute(sql)
    return present
