from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shopops import Shop

CDNOW = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cdnow"


def _cdnow(name: str) -> pd.DataFrame:
    path = CDNOW / f"{name}.parquet"
    if not path.is_file():
        pytest.skip(f"real data not found at {path}")
    return pd.read_parquet(path)


@pytest.fixture(scope="session")
def cdnow_sample() -> pd.DataFrame:
    return _cdnow("cdnow_sample")


@pytest.fixture(scope="session")
def cdnow_master() -> pd.DataFrame:
    return _cdnow("cdnow_master")


def make_shop(root: Path, lines: str, **extra: str) -> Shop:
    """A shop from canonical CSV text: ``lines`` (order lines) and ``extra`` tables (name=csv text)."""
    shop = Shop.open(root / "data")
    for table, text in {"order_lines": lines, **extra}.items():
        path = root / f"{table}.csv"
        path.write_text(text)
        shop.ingest(path, table=table)
    return shop


HEADER = "order_id,line_no,ordered_at,product_id,quantity,unit_price,customer_id\n"

# Bad input in one small shop: C1 buys once; C2 buys often; C3's refunds exceed purchases; line 9 has no
# customer (guest order); all over half a year so churn and CLV windows exist.
SMALL_LINES = HEADER + "\n".join([
    "1,1,2024-01-03 10:00,A,2,5.0,C1",
    "2,1,2024-01-05 10:00,A,1,5.0,C2",
    "2,2,2024-01-05 10:00,B,1,8.0,C2",
    "3,1,2024-02-10 10:00,B,2,8.0,C2",
    "4,1,2024-03-12 10:00,A,1,5.0,C2",
    "5,1,2024-02-01 10:00,B,1,10.0,C3",
    "C5,1,2024-02-03 10:00,B,-3,10.0,C3",
    "6,1,2024-04-20 10:00,C,1,4.0,C2",
    "9,1,2024-05-01 10:00,A,50,5.0,",
    "7,1,2024-06-01 10:00,A,1,5.0,C4",
    "8,1,2024-06-28 10:00,B,1,8.0,C2",
]) + "\n"


@pytest.fixture(scope="session")
def small_shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    return make_shop(tmp_path_factory.mktemp("small"), SMALL_LINES)
