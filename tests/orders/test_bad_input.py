"""Bad order data: a clear error or a named problem, and nothing stored broken."""

from __future__ import annotations

from pathlib import Path

from shopops import Shop

LINES = """order_id,line_no,ordered_at,product_id,quantity,unit_price,customer_id
A1,1,2025-03-03 10:00:00,P1,2,10.0,C1
A2,1,2025-03-03 11:00:00,P1,1,10.0,C2
A3,1,2025-03-03 12:00:00,P1,-4,10.0,C3
A4,1,2025-03-03T12:30:00+02:00,P1,1,10.0,C3
"""
ORDERS = """order_id,customer_id,ordered_at,status,shipped_at,delivered_at,promised_at
A1,C1,2025-03-03 10:00:00,delivered,2025-03-04 17:00:00,2025-03-05 12:00:00,2025-03-06 21:00:00
A2,C2,2025-03-03 11:00:00,delivered,2025-03-05 17:00:00,2025-03-04 12:00:00,2025-03-06 21:00:00
A4,C3,2025-03-03 10:30:00,shipped,2025-03-04 17:00:00,,2025-03-06 21:00:00
"""
FULFILMENT = """order_id,paid_at,warehouse,carrier,address_check
A1,2025-03-03 10:01:00,midlands,royal_mail,ok
A2,2025-03-03 11:01:00,midlands,royal_mail,maybe
A2,2025-03-03 11:02:00,midlands,royal_mail,ok
"""


def test_impossible_timestamps_are_named_and_teach_nothing(tmp_path: Path) -> None:
    for name, text in (("order_lines", LINES), ("orders", ORDERS), ("order_fulfilment", FULFILMENT)):
        (tmp_path / f"{name}.csv").write_text(text)
    shop = Shop.open(tmp_path / "data")
    shop.ingest(tmp_path / "order_lines.csv", adapter="canonical", table="order_lines")
    shop.ingest(tmp_path / "orders.csv", adapter="canonical", table="orders")
    result = shop.ingest(tmp_path / "order_fulfilment.csv", adapter="canonical", table="order_fulfilment")
    # A value outside the allowed address checks and the repeated order id are quarantined with a reason.
    quarantined = shop.quarantine("order_fulfilment")
    assert len(quarantined) >= 1 and quarantined._reason.str.len().gt(0).all()
    assert result is not None
    f = shop.sql("SELECT * FROM fact_fulfilment ORDER BY order_id").set_index("order_id")
    assert f.loc["A2", "timestamp_problem"] == "delivered before shipped"
    assert f.loc["A2", ["hours_to_delivery", "on_time"]].isna().all()  # no false duration or on-time flag
    assert f.loc["A1", "timestamp_problem"] is None and f.loc["A1", "on_time"]
    day = shop.sql("SELECT sum(delivered) AS d FROM kpi_fulfilment WHERE grain = 'day'").d.iloc[0]
    assert day == 1  # only A1 counts as a delivery for the on-time rate
