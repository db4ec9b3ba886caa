"""Tests of shopops.ingest.readers: every format, encoding, error case, reject and the big-file stream."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shopops.errors import SourceError
from shopops.ingest import readers
from shopops.ingest.readers import RejectedLine, SourceReader, detect_encoding, open_source

# --------------------------------------------------------------------------------------------- helpers


def read_all(reader: SourceReader) -> dict[str, list[Any]]:
    batches = list(reader.batches())
    for batch in batches:
        assert batch.schema.equals(reader.schema), (batch.schema, reader.schema)
    return pa.Table.from_batches(batches, schema=reader.schema).to_pydict()


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_public_api() -> None:
    assert readers.__all__ == ["LongRecordError", "RejectedLine", "SourceReader", "detect_encoding", "open_source"]


# ------------------------------------------------------------------------------------------------- CSV


def test_csv_round_trip(tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", ' order_id ,sku,qty\n1,A-1,3\n2,,5\n3,"B,2",\n')
    reader = open_source(path)
    assert reader.format == "csv"
    assert reader.encoding == "utf-8"
    assert reader.delimiter == ","
    assert reader.columns == ["order_id", "sku", "qty"]
    data = read_all(reader)
    assert data == {
        "order_id": ["1", "2", "3"],
        "sku": ["A-1", None, "B,2"],
        "qty": ["3", "5", None],
        "_source_row": [2, 3, 4],
    }
    assert reader.rejects == []


def test_csv_values_stay_text_exactly_as_written(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "code,price,when,flag\n007, 1.50 ,2024-01-02,TRUE\n1e3,NaN,,false\n")
    data = read_all(open_source(path))
    assert data["code"] == ["007", "1e3"]
    assert data["price"] == [" 1.50 ", "NaN"]
    assert data["when"] == ["2024-01-02", None]
    assert data["flag"] == ["TRUE", "false"]
    assert pa.types.is_string(open_source(path).schema.field("code").type)


def test_csv_batches_have_at_most_batch_rows(tmp_path: Path) -> None:
    lines = "".join(f"{i},x{i}\n" for i in range(1, 11))
    reader = open_source(write(tmp_path / "t.csv", "id,name\n" + lines), batch_rows=3)
    sizes = [b.num_rows for b in reader.batches()]
    assert sizes == [3, 3, 3, 1]
    assert read_all(reader)["_source_row"] == list(range(2, 12))


def test_csv_multiline_values_and_blank_lines_shift_line_numbers(tmp_path: Path) -> None:
    text = (
        "\n"  # 1 blank line before the header
        "id,note,qty\n"  # 2
        '1,"two\nlines",3\n'  # 3-4
        "\n"  # 5 blank
        "2,plain,4\n"  # 6
        '3,"crlf\r\ninside",5\r\n'  # 7-8
        "4,bad\n"  # 9 -> reject (2 values)
        "   \n"  # 10 whitespace only: skipped, no reject
        ",,\n"  # 11 all empty: skipped
        '5,"a\rb",6\n'  # 12-13 (a lone CR is a line break too)
        "6,x,7,8\n"  # 14 -> reject (4 values)
        "7,last,9"  # 15, no final newline
    )
    reader = open_source(write(tmp_path / "t.csv", text))
    data = read_all(reader)
    assert data["id"] == ["1", "2", "3", "5", "7"]
    assert data["note"] == ["two\nlines", "plain", "crlf\r\ninside", "a\rb", "last"]
    assert data["_source_row"] == [3, 6, 7, 12, 15]
    assert [(r.line, r.text) for r in reader.rejects] == [(9, "4,bad"), (14, "6,x,7,8")]
    assert "2 values but the header has 3 columns" in reader.rejects[0].error
    assert "4 values but the header has 3 columns" in reader.rejects[1].error
    assert "without quotes" in reader.rejects[1].error


def test_csv_reject_with_embedded_newline_moves_later_lines(tmp_path: Path) -> None:
    text = 'a,b\n1,"x\ny",extra\n2,z\n'  # the bad record spans lines 2-3
    reader = open_source(write(tmp_path / "t.csv", text))
    data = read_all(reader)
    assert data == {"a": ["2"], "b": ["z"], "_source_row": [4]}
    assert reader.rejects == [
        RejectedLine(2, '1,"x\ny",extra', reader.rejects[0].error),
    ]


def test_csv_rejects_only_and_trailing_rejects(tmp_path: Path) -> None:
    reader = open_source(write(tmp_path / "t.csv", "a,b\n1\n2\n3,4\n5\n"))
    data = read_all(reader)
    assert data["_source_row"] == [4]
    assert [(r.line, r.text) for r in reader.rejects] == [(2, "1"), (3, "2"), (5, "5")]


def test_csv_reject_text_is_truncated(tmp_path: Path) -> None:
    long_line = ",".join(["x" * 100] * 50)
    reader = open_source(write(tmp_path / "t.csv", f"a,b\n{long_line}\n1,2\n"))
    read_all(reader)
    assert len(reader.rejects) == 1
    assert reader.rejects[0].text == long_line[:2000]


def test_csv_rejects_reset_on_each_iteration(tmp_path: Path) -> None:
    reader = open_source(write(tmp_path / "t.csv", "a,b\n1\n2,3\n"))
    read_all(reader)
    read_all(reader)
    assert [r.line for r in reader.rejects] == [2]


def _stress_csv(seed: int) -> tuple[str, list[tuple[str, str, int]], list[tuple[int, str]]]:
    """A CSV full of multi-line values, blank lines and bad lines, with the expected output."""
    rng = random.Random(seed)
    parts = ["\n\n", "id,note\n"]
    line = 4  # physical line of the next record
    good: list[tuple[str, str, int]] = []
    bad: list[tuple[int, str]] = []
    for i in range(6000):
        kind = rng.random()
        if kind < 0.05:
            parts.append("\n")
            line += 1
            continue
        breaks = rng.choice([0, 0, 0, 0, 1, 2, 5])
        note = "\n".join(f"n{i}-{k}-" + "z" * rng.randint(0, 60) for k in range(breaks + 1))
        quoted = f'"{note}"' if breaks else note
        if kind < 0.12:
            record = f"{i},{quoted},surplus"
            bad.append((line, record))
        else:
            record = f"{i},{quoted}"
            good.append((str(i), note, line))
        parts.append(record + "\n")
        line += breaks + 1
    return "".join(parts), good, bad


@pytest.mark.parametrize("seed", [1, 2])
def test_csv_line_numbers_across_many_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    monkeypatch.setattr(readers, "_CSV_BLOCK_SIZE", 16 << 10)  # many Arrow blocks
    text, good, bad = _stress_csv(seed)
    assert len(text) > 20 * (16 << 10)
    reader = open_source(write(tmp_path / "stress.csv", text), batch_rows=777)
    data = read_all(reader)
    assert list(zip(data["id"], data["note"], data["_source_row"], strict=True)) == good
    assert [(r.line, r.text) for r in reader.rejects] == bad
    # and each reported line really is where the record starts in the file
    physical = text.split("\n")
    for _, note, line in good[:200]:
        assert physical[line - 1].split(",", 1)[1].lstrip('"').startswith(note.split("\n")[0])


def test_csv_header_only_gives_no_batches(tmp_path: Path) -> None:
    reader = open_source(write(tmp_path / "t.csv", "id,name\n"))
    assert reader.columns == ["id", "name"]
    assert list(reader.batches()) == []
    assert reader.schema.names == ["id", "name", "_source_row"]


def test_csv_header_only_without_newline(tmp_path: Path) -> None:
    reader = open_source(write(tmp_path / "t.csv", "id;name"))
    assert reader.columns == ["id", "name"]
    assert list(reader.batches()) == []


def test_csv_single_column(tmp_path: Path) -> None:
    reader = open_source(write(tmp_path / "t.csv", "sku\nA\n\nB\n"))
    assert reader.columns == ["sku"]
    assert read_all(reader) == {"sku": ["A", "B"], "_source_row": [2, 4]}


def test_csv_crlf_line_endings(tmp_path: Path) -> None:
    reader = open_source(write(tmp_path / "t.csv", "a,b\r\n1,2\r\n3,4\r\n"))
    assert read_all(reader) == {"a": ["1", "3"], "b": ["2", "4"], "_source_row": [2, 3]}


@pytest.mark.parametrize("eol", ["\r\n", "\r"])
def test_csv_rejects_with_crlf_and_cr_line_endings(tmp_path: Path, eol: str) -> None:
    lines = ["a,b", "1", "2,3", f'4,"x{eol}y",z', "5,6", "7"]
    reader = open_source(write(tmp_path / "t.csv", eol.join(lines) + eol))
    assert read_all(reader) == {"a": ["2", "5"], "b": ["3", "6"], "_source_row": [3, 6]}
    assert [(r.line, r.text) for r in reader.rejects] == [(2, "1"), (4, f'4,"x{eol}y",z'), (7, "7")]


# ------------------------------------------------------------------------------------------ delimiters


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ('id,name,price\n1,Ann,2.5\n2,"Bo; Jo",3\n', ","),
        ("id;name;price\n1;Ann;2,50\n2;Bo, Jo;3,10\n", ";"),
        ("id\tname\tprice\n1\tAnn, Jr\t2.5\n", "\t"),
        ("id|name|price\n1|Ann;Bo|2,5\n", "|"),
    ],
)
def test_delimiter_is_sniffed(tmp_path: Path, text: str, delimiter: str) -> None:
    reader = open_source(write(tmp_path / "t.csv", text))
    assert reader.delimiter == delimiter
    assert reader.columns == ["id", "name", "price"]
    data = read_all(reader)
    assert data["id"][0] == "1"
    assert reader.rejects == []


def test_tsv_extension_means_tab(tmp_path: Path) -> None:
    reader = open_source(write(tmp_path / "t.tsv", "a\tb,c\n1\t2,3\n"))
    assert reader.delimiter == "\t"
    assert read_all(reader) == {"a": ["1"], "b,c": ["2,3"], "_source_row": [2]}


def test_given_delimiter_overrides_sniffing(tmp_path: Path) -> None:
    path = write(tmp_path / "t.txt", "a;b,c\n1;2,3\n")
    assert open_source(path).columns == ["a;b", "c"]
    assert open_source(path, delimiter=";").columns == ["a", "b,c"]
    assert open_source(path, delimiter="tab").columns == ["a;b,c"]
    assert open_source(path, format="tsv").delimiter == "\t"


def test_invalid_delimiter(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"Invalid delimiter '::'.*one character"):
        open_source(write(tmp_path / "t.csv", "a,b\n"), delimiter="::")


# ------------------------------------------------------------------------------------------- encodings


def test_latin1_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "name,city\nCafé Zürich,Zürich\nCrème brûlée,Paris\n", "latin-1")
    reader = open_source(path)
    assert reader.encoding in ("cp1252", "latin-1")
    assert read_all(reader)["name"] == ["Café Zürich", "Crème brûlée"]


def test_latin1_byte_undefined_in_cp1252_gives_latin1(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("name\nCafé Zürich\n".encode("latin-1") + b"x\x81y\n")
    assert detect_encoding(path) == "latin-1"
    assert read_all(open_source(path))["name"] == ["Café Zürich", "x\x81y"]


def test_cp1252_specific_characters(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "name,price\n“Crème” brûlée,€12\n", "cp1252")
    reader = open_source(path)
    assert reader.encoding == "cp1252"
    assert read_all(reader) == {"name": ["“Crème” brûlée"], "price": ["€12"], "_source_row": [2]}


def test_utf8_bom_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "\ufeffid,city\n1,Café Zürich\n2,北京市朝阳区\n")
    reader = open_source(path)
    assert reader.encoding == "utf-8-sig"
    assert reader.columns == ["id", "city"]
    assert read_all(reader)["city"] == ["Café Zürich", "北京市朝阳区"]


def test_utf8_csv_without_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id,city\n1,Café Zürich\n2,上海\n")
    reader = open_source(path)
    assert reader.encoding == "utf-8"
    assert read_all(reader)["city"] == ["Café Zürich", "上海"]


@pytest.mark.parametrize("codec", ["gbk", "gb18030", "gb2312"])
def test_chinese_gbk_csv(tmp_path: Path, codec: str) -> None:
    path = write(tmp_path / "t.csv", "订单,地址,城市\n1,北京市朝阳区,上海\n2,上海市浦东新区,北京\n", codec)
    reader = open_source(path)
    assert reader.encoding == "gb18030"
    assert reader.columns == ["订单", "地址", "城市"]
    data = read_all(reader)
    assert data["地址"] == ["北京市朝阳区", "上海市浦东新区"]
    assert data["城市"] == ["上海", "北京"]


def test_short_chinese_sample(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "地址,城市\n北京市朝阳区,上海\n", "gbk")
    assert detect_encoding(path) == "gb18030"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_csv(tmp_path: Path, codec: str) -> None:
    text = "id,city\n1,Café Zürich\n2,北京市朝阳区\n"
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode(codec))  # 'utf-16' writes a BOM; -le/-be do not
    reader = open_source(path)
    assert reader.encoding == {"utf-16": "utf-16"}.get(codec, codec)
    assert read_all(reader) == {"id": ["1", "2"], "city": ["Café Zürich", "北京市朝阳区"], "_source_row": [2, 3]}


def test_given_encoding_overrides_detection(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "name\nCafé\n", "utf-8")
    reader = open_source(path, encoding="latin-1")
    assert reader.encoding == "latin-1"
    assert read_all(reader)["name"] == ["CafÃ©"]  # decoded as asked, not as detected


def test_unknown_encoding(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"Unknown encoding 'klingon'.*utf-8"):
        open_source(write(tmp_path / "t.csv", "a\n1\n"), encoding="klingon")


def test_detect_encoding_bom_and_samples(tmp_path: Path) -> None:
    assert detect_encoding(write(tmp_path / "a.txt", "\ufeffa")) == "utf-8-sig"
    assert detect_encoding(write(tmp_path / "b.txt", "ab", "utf-16")) == "utf-16"
    assert detect_encoding(write(tmp_path / "c.txt", "ab", "utf-32")) == "utf-32"
    assert detect_encoding(write(tmp_path / "d.txt", "plain ascii\n")) == "utf-8"


def test_detect_encoding_looks_past_the_head(tmp_path: Path) -> None:
    # the only non-ASCII byte sits in the tail, far beyond a small head sample
    path = tmp_path / "t.csv"
    path.write_bytes(b"name\n" + b"plain\n" * 20_000 + "Zürich\n".encode("cp1252"))
    assert detect_encoding(path, sample_bytes=8192) == "cp1252"


def _ascii_then_cp1252(path: Path, head_bytes: int, tail_bytes: int, jsonl: bool = False) -> int:
    """ASCII lines, one cp1252 line, more ASCII lines; returns the bad line's number."""
    row = b'{"a":"abcdefgh"}\n' if jsonl else b"1,abcdefghij,12.50\n"
    bad = '{"a":"Café"}\n' if jsonl else "2,Café,3\n"
    header = b"" if jsonl else b"id,name,price\n"
    n = head_bytes // len(row)
    with path.open("wb") as f:
        f.write(header + row * n + bad.encode("cp1252") + row * (tail_bytes // len(row)))
    return n + (1 if jsonl else 2)


def test_csv_decode_error_mid_file(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    bad_line = _ascii_then_cp1252(path, 4_300_000, 1_400_000)  # past the head, middle and tail samples
    reader = open_source(path)
    assert reader.encoding == "utf-8"
    rows = 0
    with pytest.raises(SourceError) as info:
        for batch in reader.batches():
            rows += batch.num_rows
    message = str(info.value)
    offset = 14 + (bad_line - 2) * 19 + len("2,Caf")
    assert str(path) in message
    assert f"line {bad_line:,} (byte offset {offset:,})" in message
    assert "cannot be decoded as utf-8" in message
    assert "--encoding cp1252" in message
    assert rows < bad_line


def test_jsonl_decode_error_mid_file(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    bad_line = _ascii_then_cp1252(path, 4_300_000, 1_400_000, jsonl=True)
    reader = open_source(path)
    assert reader.encoding == "utf-8"
    with pytest.raises(SourceError, match=rf"line {bad_line:,} .*--encoding cp1252"):
        read_all(reader)


def test_decode_error_with_given_encoding(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n1,2\n3,\xe9t\xe9\n")
    with pytest.raises(SourceError, match=r"line 3 \(byte offset 10\) cannot be decoded as utf-8, the encoding given"):
        read_all(open_source(path, encoding="utf-8"))


def test_decode_error_in_transcoded_file_at_open(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"name\nok\nx\x81y\n")  # 0x81 is undefined in cp1252
    with pytest.raises(SourceError, match=r"line 3 \(byte offset 9\) cannot be decoded as cp1252.*--encoding latin-1"):
        read_all(open_source(path, encoding="cp1252"))


# --------------------------------------------------------------------------------------------- Parquet


def test_parquet_round_trip_native_types(tmp_path: Path) -> None:
    table = pa.table(
        {
            " qty ": pa.array([1, 2, None, 4, 5], pa.int64()),
            "price": [1.5, 2.0, 3.25, None, 0.1],
            "ts": pa.array([dt.datetime(2024, 1, i) for i in range(1, 6)], pa.timestamp("us")),
            "sku": ["a", None, "c", "d", "e"],
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=2)
    reader = open_source(path, batch_rows=3)
    assert reader.format == "parquet"
    assert reader.encoding is None
    assert reader.columns == ["qty", "price", "ts", "sku"]
    batches = list(reader.batches())
    assert all(b.num_rows <= 3 for b in batches)
    data = pa.Table.from_batches(batches).to_pydict()
    assert data["qty"] == [1, 2, None, 4, 5]
    assert data["price"] == [1.5, 2.0, 3.25, None, 0.1]
    assert data["ts"][0] == dt.datetime(2024, 1, 1)
    assert data["sku"] == ["a", None, "c", "d", "e"]
    assert data["_source_row"] == [1, 2, 3, 4, 5]
    assert batches[0].schema.field("qty").type == pa.int64()
    assert reader.schema.field("ts").type == pa.timestamp("us")


def test_parquet_with_pandas_style_integer_names_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"0": [1], "1": [2]}), path)
    assert open_source(path).columns == ["0", "1"]


def _parquet_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "whole.parquet"
    table = pa.table({"a": list(range(50_000)), "b": [f"text {i}" for i in range(50_000)]})
    pq.write_table(table, path, row_group_size=10_000)
    return path.read_bytes()


def test_parquet_truncated(tmp_path: Path) -> None:
    data = _parquet_bytes(tmp_path)
    path = tmp_path / "half.parquet"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match=r"is not a readable Parquet file \(truncated or corrupt\?\)") as info:
        open_source(path)
    assert str(path) in str(info.value)


def test_parquet_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.parquet"
    path.write_bytes(random.Random(0).randbytes(5000))
    with pytest.raises(SourceError, match=r"noise.parquet is not a readable Parquet file"):
        open_source(path)


def test_parquet_middle_cut_out_is_caught_from_the_footer(tmp_path: Path) -> None:
    data = _parquet_bytes(tmp_path)
    path = tmp_path / "cut.parquet"
    path.write_bytes(data[:100] + data[len(data) // 2 :])  # footer intact, data gone
    with pytest.raises(SourceError, match=r"not a readable Parquet file.*row group \d+ ends at byte"):
        open_source(path)


def test_parquet_corrupt_pages_fail_while_reading(tmp_path: Path) -> None:
    data = bytearray(_parquet_bytes(tmp_path))
    for i in range(200, len(data) // 2, 7):  # scramble data pages, keep the footer
        data[i] = (data[i] * 31 + 7) % 256
    path = tmp_path / "scrambled.parquet"
    path.write_bytes(bytes(data))
    reader = open_source(path)
    with pytest.raises(SourceError, match=r"scrambled.parquet is not a readable Parquet file") as info:
        read_all(reader)
    assert "reading failed after row" in str(info.value)


# ------------------------------------------------------------------------------------------ JSON Lines


def test_jsonl_round_trip(tmp_path: Path) -> None:
    lines = [
        '{"id": 1, "price": 1.50, "ok": true, "tags": ["a", "b"], "addr": {"city": "北京市朝阳区"}}',
        "",
        '  {"id": 2, "price": 1e3, "ok": false, "note": "Café Zürich", "tags": null}  ',
        '{"id": 12345678901234567890, "price": -0.0, "note": ""}',
    ]
    path = write(tmp_path / "t.jsonl", "\n".join(lines) + "\n")
    reader = open_source(path)
    assert reader.format == "jsonl"
    assert reader.columns == ["id", "price", "ok", "tags", "addr", "note"]
    assert read_all(reader) == {
        "id": ["1", "2", "12345678901234567890"],
        "price": ["1.50", "1e3", "-0.0"],
        "ok": ["true", "false", None],
        "tags": ['["a","b"]', None, None],
        "addr": ['{"city":"北京市朝阳区"}', None, None],
        "note": [None, "Café Zürich", None],
        "_source_row": [1, 3, 4],
    }
    assert reader.rejects == []


def test_jsonl_rejects(tmp_path: Path) -> None:
    lines = ['{"a": 1}', '{"a": 2', "[1, 2]", '"text"', "42", '{"a": 3}', "{}"]
    reader = open_source(write(tmp_path / "t.ndjson", "\r\n".join(lines) + "\r\n"))
    data = read_all(reader)
    assert data == {"a": ["1", "3", None], "_source_row": [1, 6, 7]}
    assert [(r.line, r.text) for r in reader.rejects] == [(2, '{"a": 2'), (3, "[1, 2]"), (4, '"text"'), (5, "42")]
    assert "is not valid JSON" in reader.rejects[0].error
    assert "is a list, not a JSON object" in reader.rejects[1].error
    assert "is a string, not a JSON object" in reader.rejects[2].error


def test_jsonl_keys_after_the_sample_are_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "JSONL_SCHEMA_LINES", 3)
    lines = ['{"a": 1}', '{"b": 2}', "", '{"a": 3, "b": 4}', '{"a": 5, "coupon": "X"}', '{"b": 6}']
    reader = open_source(write(tmp_path / "t.jsonl", "\n".join(lines) + "\n"))
    assert reader.columns == ["a", "b"]
    data = read_all(reader)
    assert data == {"a": ["1", None, "3", None], "b": [None, "2", "4", "6"], "_source_row": [1, 2, 4, 6]}
    assert [(r.line, r.text) for r in reader.rejects] == [(5, '{"a": 5, "coupon": "X"}')]
    assert "'coupon'" in reader.rejects[0].error
    assert "first 3 lines" in reader.rejects[0].error


def test_json_extension_is_json_lines(tmp_path: Path) -> None:
    reader = open_source(write(tmp_path / "t.json", '{"a": "x"}\n{"a": "y"}\n'))
    assert reader.format == "jsonl"
    assert read_all(reader)["a"] == ["x", "y"]


def test_json_array_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path / "t.json", '[\n  {"a": 1},\n  {"a": 2}\n]\n')
    with pytest.raises(SourceError, match=r"holds a JSON array, not JSON Lines.*jq -c"):
        open_source(path)


def test_pretty_printed_json_is_not_json_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "t.json", '{\n  "a": 1,\n  "b": 2\n}\n')
    with pytest.raises(SourceError, match=r"is not a JSON Lines file: none of its first 4 non-blank lines"):
        open_source(path)


def test_jsonl_only_blank_lines(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"has no data: it contains only blank lines"):
        open_source(write(tmp_path / "t.jsonl", "\n  \n\n"))


def test_jsonl_encodings(tmp_path: Path) -> None:
    text = '{"city": "北京市朝阳区", "to": "上海"}\n{"city": "Café Zürich"}\n'
    for codec, expected in [("utf-16", "utf-16"), ("utf-8-sig", "utf-8-sig")]:
        path = write(tmp_path / f"{codec}.jsonl", text, codec)
        reader = open_source(path)
        assert reader.encoding == expected
        assert read_all(reader) == {
            "city": ["北京市朝阳区", "Café Zürich"],
            "to": ["上海", None],
            "_source_row": [1, 2],
        }
    gbk = write(tmp_path / "gbk.jsonl", '{"city": "北京市朝阳区", "to": "上海"}\n', "gbk")
    reader = open_source(gbk)
    assert reader.encoding == "gb18030"
    assert read_all(reader)["city"] == ["北京市朝阳区"]
    latin = write(tmp_path / "latin.jsonl", '{"city": "Café Zürich"}\n', "latin-1")
    assert read_all(open_source(latin))["city"] == ["Café Zürich"]


def test_jsonl_too_long_line_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "_MAX_LINE_BYTES", 100)
    long_line = json.dumps({"a": "x" * 500})
    reader = open_source(write(tmp_path / "t.jsonl", f'{{"a": "ok"}}\n{long_line}\n{{"a": "fine"}}\n'))
    data = read_all(reader)
    assert data == {"a": ["ok", "fine"], "_source_row": [1, 3]}
    assert reader.rejects[0].line == 2
    assert "is longer than" in reader.rejects[0].error
    assert long_line.startswith(reader.rejects[0].text[:50])


def test_jsonl_batches(tmp_path: Path) -> None:
    text = "".join(json.dumps({"i": i}) + "\n" for i in range(10))
    reader = open_source(write(tmp_path / "t.jsonl", text), batch_rows=4)
    assert [b.num_rows for b in reader.batches()] == [4, 4, 2]


# ----------------------------------------------------------------------------------------------- Excel


def _workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Orders"
    ws.append(["order_id", " when ", "price", "paid", "day", "note"])
    ws.append([1, dt.datetime(2024, 1, 2, 3, 4, 5), 0.1, True, dt.date(2024, 5, 6), "Café Zürich"])
    ws.append([])  # blank row 3: skipped
    ws.append([2.0, None, 1234.5, False, None, "北京市朝阳区"])
    ws.append([12345678901, None, -3, None, None, None])
    other = wb.create_sheet("Stock")
    other.append(["sku", "qty"])
    other.append(["A", 5])
    wb.create_sheet("Empty")
    wb.save(path)
    return path


def test_excel_round_trip(tmp_path: Path) -> None:
    reader = open_source(_workbook(tmp_path / "t.xlsx"))
    assert reader.format == "excel"
    assert reader.sheet == "Orders"
    assert reader.encoding is None
    assert reader.columns == ["order_id", "when", "price", "paid", "day", "note"]
    assert read_all(reader) == {
        "order_id": ["1", "2", "12345678901"],
        "when": ["2024-01-02 03:04:05", None, None],
        "price": ["0.1", "1234.5", "-3"],
        "paid": ["true", "false", None],
        "day": ["2024-05-06", None, None],
        "note": ["Café Zürich", "北京市朝阳区", None],
        "_source_row": [2, 4, 5],
    }


def test_excel_sheet_by_name_and_index(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "t.xlsx")
    by_name = open_source(path, sheet="Stock")
    assert read_all(by_name) == {"sku": ["A"], "qty": ["5"], "_source_row": [2]}
    assert open_source(path, sheet=1).sheet == "Stock"
    assert open_source(path, sheet=" stock ").sheet == "Stock"


def test_excel_unknown_sheet_lists_sheets(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "t.xlsx")
    with pytest.raises(SourceError, match=r"no sheet named 'Sales'. Its sheets are: 'Orders', 'Stock', 'Empty'"):
        open_source(path, sheet="Sales")
    with pytest.raises(SourceError, match=r"no sheet number 7.*'Orders', 'Stock', 'Empty'"):
        open_source(path, sheet=7)


def test_excel_empty_sheet(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"sheet 'Empty' is empty.*Pick another sheet with sheet= its name or 0-based"):
        open_source(_workbook(tmp_path / "t.xlsx"), sheet="Empty")


def test_excel_header_below_and_right_and_stray_values(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["C4"], ws["D4"] = "sku", "qty"
    ws["C5"], ws["D5"] = "A", 1
    ws["C6"], ws["D6"], ws["F6"] = "B", 2, "stray"
    ws["C8"] = "C"
    path = tmp_path / "t.xlsx"
    wb.save(path)
    reader = open_source(path)
    assert reader.columns == ["sku", "qty"]
    assert read_all(reader) == {"sku": ["A", "C"], "qty": ["1", None], "_source_row": [5, 8]}
    assert [(r.line, r.text) for r in reader.rejects] == [(6, "B\t2\t\tstray")]
    assert "column F" in reader.rejects[0].error


def test_excel_header_problems(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["sku", "qty", "sku"])
    ws.append(["A", 1, "B"])
    path = tmp_path / "dup.xlsx"
    wb.save(path)
    with pytest.raises(SourceError, match=r"column name\(s\) 'sku' appear more than once.*row 1"):
        open_source(path)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([2021, 2022, 2023])
    ws.append([1, 2, 3])
    path = tmp_path / "numbers.xlsx"
    wb.save(path)
    with pytest.raises(SourceError, match=r"no header line: the first row .*2021, 2022, 2023.* looks like data"):
        open_source(path)


def _ods(path: Path) -> Path:
    def cell(value: str, kind: str = "string") -> str:
        if kind == "float":
            return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'

    rows = [
        [cell("city"), cell("qty")],
        [cell("北京市朝阳区"), cell("3", "float")],
        [cell("Café Zürich"), cell("2.5", "float")],
    ]
    body = "".join("<table:table-row>" + "".join(r) + "</table:table-row>" for r in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Lager">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", manifest)
    return path


def test_ods_round_trip(tmp_path: Path) -> None:
    reader = open_source(_ods(tmp_path / "t.ods"))
    assert reader.format == "excel"
    assert reader.sheet == "Lager"
    assert read_all(reader) == {"city": ["北京市朝阳区", "Café Zürich"], "qty": ["3", "2.5"], "_source_row": [2, 3]}


def test_excel_corrupt(tmp_path: Path) -> None:
    data = _workbook(tmp_path / "good.xlsx").read_bytes()
    path = tmp_path / "half.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match=r"half.xlsx is not a readable Excel/OpenDocument workbook"):
        open_source(path)


def test_excel_batches(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["n"])
    for i in range(7):
        ws.append([i])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    reader = open_source(path, batch_rows=3)
    assert [b.num_rows for b in reader.batches()] == [3, 3, 1]
    assert read_all(reader)["_source_row"] == list(range(2, 9))


# ---------------------------------------------------------------------------------- file-level errors


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"Source file not found: .*nope.csv.*Check the path"):
        open_source(tmp_path / "nope.csv")


def test_detect_encoding_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"Source file not found"):
        detect_encoding(tmp_path / "nope.csv")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"is a folder, not a file"):
        open_source(tmp_path)


@pytest.mark.parametrize("name", ["t.csv", "t.parquet", "t.xlsx", "t.jsonl", "t.unknown"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(SourceError, match=rf"{name} is empty \(0 bytes\)"):
        open_source(path)


def test_csv_with_only_blank_lines_has_no_header(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"has no header line: it contains only blank lines"):
        open_source(write(tmp_path / "t.csv", "\n\r\n  \n"))


def test_csv_whose_first_line_is_data(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"no header line: the first row \(line 1: 1001, 3, 19.99\) looks like data"):
        open_source(write(tmp_path / "t.csv", "1001,3,19.99\n1002,1,5.00\n"))


def test_csv_duplicate_and_empty_names(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"column name\(s\) 'sku', 'qty' appear more than once.*line 1"):
        open_source(write(tmp_path / "a.csv", "sku,qty, sku,qty,id\n"))
    with pytest.raises(SourceError, match=r"column\(s\) 2, 4 of the header \(line 1\) have no name"):
        open_source(write(tmp_path / "b.csv", "sku,,qty, \n1,2,3,4\n"))
    with pytest.raises(SourceError, match=r"'_source_row' .* is reserved"):
        open_source(write(tmp_path / "c.csv", "sku,_source_row\n"))


def test_unclosed_quote_in_a_big_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "_CSV_BLOCK_SIZE", 16 << 10)
    text = 'a,b\n1,2\n3,"never closed\n' + "4,5\n" * 20_000
    reader = open_source(write(tmp_path / "t.csv", text))
    with pytest.raises(SourceError, match=r"is longer than .* MB.*quote.*never closed") as info:
        read_all(reader)
    assert "t.csv" in str(info.value)


def test_unclosed_quote_in_a_small_file_is_a_reject(tmp_path: Path) -> None:
    """The line that opens the quote is rejected alone; the lines it swallowed are read on their own."""
    reader = open_source(write(tmp_path / "t.csv", 'a,b\n1,2\n3,"open\n4,5\n'))
    assert read_all(reader) == {"a": ["1", "4"], "b": ["2", "5"], "_source_row": [2, 4]}
    assert [(r.line, r.text) for r in reader.rejects] == [(3, '3,"open')]


def test_format_sniffing_for_unknown_extensions(tmp_path: Path) -> None:
    csv_path = write(tmp_path / "export.dat", "a;b\n1;2\n")
    assert open_source(csv_path).format == "csv"
    json_path = write(tmp_path / "events.log", '{"a": 1}\n')
    assert open_source(json_path).format == "jsonl"
    pq_path = tmp_path / "table.bin"
    pq.write_table(pa.table({"a": [1]}), pq_path)
    assert open_source(pq_path).format == "parquet"
    xlsx = tmp_path / "book.download"
    xlsx.write_bytes(_workbook(tmp_path / "b.xlsx").read_bytes())
    assert open_source(xlsx).format == "excel"


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(SourceError, match=r"cannot tell the file format.*'.png'.*Supported formats: CSV.*or give format= one of csv, "):
        open_source(path)
    with pytest.raises(SourceError, match=r"Unknown format 'xml'.*Supported formats"):
        open_source(write(tmp_path / "t.csv", "a\n1\n"), format="xml")


def test_format_argument_overrides_extension(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", '{"a": 1}\n')
    assert open_source(path, format="jsonl").format == "jsonl"


# ------------------------------------------------------------------------------------------ big file

_BIG_READER = textwrap.dedent(
    """
    import sys, time
    from shopops.ingest.readers import open_source
    started = time.perf_counter()
    reader = open_source(sys.argv[1])
    rows = 0
    last = 0
    for batch in reader.batches():
        rows += batch.num_rows
        last = batch.column("_source_row")[-1].as_py()
    elapsed = time.perf_counter() - started
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across execve, so it would count the pytest worker's memory.
    peak = int([line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]) * 1024
    print(rows, last, len(reader.rejects), peak, elapsed)
    """
)


@pytest.mark.slow
def test_big_csv_streams_with_bounded_memory(tmp_path: Path) -> None:
    size_mb = int(os.environ.get("SHOPOPS_BIG_FILE_MB", "2048"))
    row = b'1234567,SKU-000123,3,19.99,2024-01-02 03:04:05,"Mug, blue",GB\n'
    rows_per_mb = (1 << 20) // len(row)
    block = row * rows_per_mb
    path = tmp_path / "big.csv"
    started = time.perf_counter()
    with path.open("wb") as f:
        f.write(b"id,sku,qty,price,ts,desc,country\n")
        for _ in range(size_mb):
            f.write(block)
    written = time.perf_counter() - started
    src = Path(readers.__file__).resolve().parents[3]  # the folder holding the shopops package (readers is a package inside shopops.ingest)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(
        [sys.executable, "-c", _BIG_READER, str(path)], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    rows, last, rejects, peak, elapsed = int(out[0]), int(out[1]), int(out[2]), int(out[3]), float(out[4])
    print(f"\nbig CSV {size_mb} MB: written in {written:.1f}s, read in {elapsed:.1f}s, peak RSS {peak / 2**20:.0f} MiB")
    assert rows == size_mb * rows_per_mb
    assert last == rows + 1
    assert rejects == 0
    assert peak < 1 << 30


def test_a_record_longer_than_the_block_asks_for_the_long_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "_CSV_BLOCK_SIZE", 16 << 10)
    path = write(tmp_path / "t.csv", "a,b\n1,2\n3," + "x" * (100 << 10) + "\n4,5\n")
    with pytest.raises(readers.LongRecordError, match=r"after line 2 is longer than 0.015625 MB"):
        read_all(open_source(path))
    rows = read_all(open_source(path, long_records=True))
    assert rows["a"] == ["1", "3", "4"] and len(rows["b"][1]) == 100 << 10
