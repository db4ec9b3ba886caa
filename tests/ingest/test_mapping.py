"""Tests of the mapping file check: what a mapping file may hold, and the messages when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopops.errors import MappingError
from shopops.ingest.adapters import MappingAdapter, resolve_adapter

_SOURCE = '[source]\ntable = "order_lines"\n'


def _adapter(tmp_path: Path, text: str) -> MappingAdapter:
    mapping = tmp_path / "map.toml"
    mapping.write_text(text, encoding="utf-8")
    return MappingAdapter(tmp_path / "data.csv", mapping)


def test_a_full_mapping_file_becomes_reader_and_parse_options(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path, """
[source]
table = "order_lines"
encoding = "latin-1"
delimiter = ";"
sheet = 2
[columns]
order_id = "Invoice No"
quantity = 3
[parse]
date_format = "%d/%m/%Y"
decimal = ","
exact_duplicates = true
[defaults]
channel = "web"
line_no = 1
""")
    assert adapter.table.name == "order_lines"
    assert adapter.columns == {"order_id": "Invoice No", "quantity": "3"}
    assert adapter.read == {"encoding": "latin-1", "delimiter": ";", "sheet": 2}
    assert adapter.options.date_formats == ("%d/%m/%Y",)
    assert adapter.options.decimal == ","
    assert adapter.options.exact_duplicates is True
    assert adapter.options.defaults == {"channel": "web", "line_no": "1"}


def test_a_minimal_mapping_file_has_the_defaults(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path, _SOURCE)
    assert (adapter.columns, adapter.read) == ({}, {})
    assert (adapter.options.date_formats, adapter.options.decimal, adapter.options.defaults) == ((), ".", {})
    assert adapter.options.exact_duplicates is False
    assert _adapter(tmp_path, _SOURCE + '[parse]\ndate_formats = ["%Y", "%d/%m/%Y"]\n').options.date_formats == (
        "%Y",
        "%d/%m/%Y",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[columns]\norder_id = "A"\n', r'\[source\] table = "\.\.\." is required \(one of .*order_lines'),
        ('[source]\ntable = ""\n', r'\[source\] table = "\.\.\." is required'),
        ('[source]\ntable = "nope"\n', r"\[source\] table: unknown table 'nope'; the canonical tables are: "),
        ("[source]\ntable = 5\n", r"\[source\] table: input should be a valid string \(got 5\)"),
        ('source = "x"\n', r"\[source\]: must be a TOML table"),
        (
            _SOURCE + '[columns]\nfoo = "A"\nbar = "B"\n',
            r"\[columns\] names foo, bar, which are not column\(s\) of order_lines; its columns are: order_id, ",
        ),
        (_SOURCE + '[defaults]\nfoo = "A"\n', r"\[defaults\] names unknown column\(s\) foo of order_lines"),
        (_SOURCE + '[parse]\ndecimal = ";"\n', r"\[parse\] decimal must be '\.' or ',' \(got ';'\)"),
        (_SOURCE + '[parse]\ndate_formats = ["%Y", ["x"]]\n', r"\[parse\] date_formats\[1\]: .*valid string"),
        (_SOURCE + '[columns]\norder_id = ["a"]\n', r"\[columns\] order_id: input should be a valid string"),
        (_SOURCE + '[parse]\nexact_duplicates = "maybe"\n', r"\[parse\] exact_duplicates: .*valid boolean"),
        ("[source\n", r"is not valid TOML"),
    ],
)
def test_a_wrong_mapping_file_names_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(MappingError, match=r"^mapping file .*map\.toml[: ]") as info:
        _adapter(tmp_path, text)
    assert info.match(message)


def test_a_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match=r"mapping file .*nope\.toml does not exist"):
        MappingAdapter(tmp_path / "data.csv", tmp_path / "nope.toml")


def test_columns_named_canonically_in_another_case_are_picked_up(tmp_path: Path) -> None:
    """As for canonical files and in SQL, Product_ID is product_id without being mapped."""
    adapter = _adapter(tmp_path, _SOURCE + '[columns]\nquantity = "Qty"\nunit_price = "Price"\n')
    header = ["ORDER_ID", "Line_No", "Ordered_At", "Product_ID", "Qty", "Price", "Channel"]
    (load,) = adapter.loads({"src": header})
    assert load.sql == (
        'SELECT "Qty" AS "quantity", "Price" AS "unit_price", "ORDER_ID" AS "order_id", "Line_No" AS "line_no", '
        '"Ordered_At" AS "ordered_at", "Product_ID" AS "product_id", "Channel" AS "channel", _source_row FROM src'
    )


def test_a_mapped_column_is_not_picked_up_again_under_its_own_name(tmp_path: Path) -> None:
    adapter = _adapter(tmp_path, _SOURCE + '[columns]\norder_id = "Product_ID"\nproduct_id = "SKU"\n')
    (load,) = adapter.loads({"src": ["Product_ID", "SKU", "Ordered_At", "Quantity", "Unit_Price"]})
    assert load.sql == (
        'SELECT "Product_ID" AS "order_id", "SKU" AS "product_id", "Ordered_At" AS "ordered_at", '
        '"Quantity" AS "quantity", "Unit_Price" AS "unit_price", _source_row FROM src'
    )


def test_adapter_errors_name_the_parameters_not_command_line_flags(tmp_path: Path) -> None:
    data = tmp_path / "export.csv"
    data.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"needs a mapping file: give mapping= ") as needs_mapping:
        resolve_adapter(data, adapter="mapping")
    with pytest.raises(MappingError, match=r"give table= the canonical table .*one of .*order_lines") as needs_table:
        resolve_adapter(data, adapter="canonical")
    with pytest.raises(MappingError, match=r"cannot tell which table.*Give table= .*or mapping= ") as unknown:
        resolve_adapter(data, columns_of=lambda _: ["a", "b"])
    assert not any("--" in str(info.value) for info in (needs_mapping, needs_table, unknown))
