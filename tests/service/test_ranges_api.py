"""The API's range answers (from running totals) equal the old fact-table queries, for random ranges."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from tests.service.conftest import Service

SALES = ("CAST(sum(f.sold_units) AS BIGINT) AS units, coalesce(sum(f.gross_sales), 0) AS gross_sales, "
         "coalesce(sum(f.net_sales), 0) AS net_sales, count(DISTINCT CASE WHEN f.is_sale THEN f.order_id END) AS orders")
WINDOW = "f.is_product AND (?::DATE IS NULL OR f.order_date >= ?) AND (?::DATE IS NULL OR f.order_date <= ?)"
# The fact-table query the endpoint ran before; amounts rounded to a millionth in the ORDER BY, so that
# equal amounts tie as they do in the exact running totals (a float sum's last bits depend on its order).
PRODUCTS = f"""SELECT * FROM (SELECT f.product_id, any_value(p.name) AS name, any_value(f.category) AS category, {SALES}
    FROM fact_order_line f LEFT JOIN dim_product p ON p.product_id = f.product_id WHERE {WINDOW}
    AND (?::VARCHAR IS NULL OR f.category = ?) GROUP BY f.product_id)
    WHERE (?::VARCHAR IS NULL OR contains(lower(product_id), lower(?)) OR contains(lower(coalesce(name, '')), lower(?)))"""


def _same(got: list[dict[str, Any]], want: list[dict[str, Any]], where: str) -> None:
    assert len(got) == len(want), where
    for g, w in zip(got, want, strict=True):
        assert set(g) == set(w), where
        for k, v in w.items():
            if isinstance(v, float):
                assert g[k] == pytest.approx(v, abs=1e-6), (where, k)
            else:
                assert g[k] == v, (where, k)


def test_products_and_categories_equal_the_fact_table(service: Service):
    reader = service.shop.reader
    first, last = reader.frame("SELECT min(order_date) AS a, max(order_date) AS b FROM fact_order_line").iloc[0]
    categories = list(reader.frame("SELECT DISTINCT category FROM fact_order_line ORDER BY 1")["category"])
    rng = random.Random(17)
    days = (last - first).days
    sorts = [("net_sales", "desc"), ("units", "asc"), ("orders", "desc"), ("gross_sales", "asc"),
             ("product_id", "desc"), ("name", "asc"), ("name", "desc")]
    for i in range(24):
        a = rng.randrange(-2, days + 2)
        b = rng.randrange(a, days + 3)
        start, end = str(first + timedelta(days=a)), str(first + timedelta(days=b))
        sort, order = sorts[i % len(sorts)]
        category = rng.choice(categories) if i % 3 == 0 else None
        q = rng.choice(["a", "1", "sku", "0"]) if i % 4 == 1 else None
        limit, offset = rng.choice([(100, 0), (7, 5), (20, 40)])
        params = {"start": start, "end": end, "sort": sort, "order": order, "limit": limit, "offset": offset,
                  **({"category": category} if category else {}), **({"q": q} if q else {})}
        got = service.get("/api/v1/products", params=params)
        assert got.status_code == 200, got.text
        key = f"round({sort}, 6)" if sort in ("net_sales", "gross_sales") else sort
        nulls = " NULLS LAST" if sort == "name" else ""
        args = [start, start, end, end, category, category, q, q, q]
        want = reader.frame(f"{PRODUCTS} ORDER BY {key} {order}{nulls}, product_id LIMIT ? OFFSET ?",
                            [*args, limit, offset])
        total = int(reader.frame(f"SELECT count(*) AS n FROM ({PRODUCTS})", args).iloc[0, 0])
        body = got.json()
        assert body["total"] == total, params
        _same(body["items"], want.to_dict("records"), str(params))

        got = service.get("/api/v1/categories", params={"start": start, "end": end})
        want = reader.frame(f"SELECT * FROM (SELECT f.category, {SALES} FROM fact_order_line f WHERE {WINDOW} "
                            "GROUP BY f.category) ORDER BY round(net_sales, 6) DESC, category", [start, start, end, end])
        assert got.json()["total"] == len(want)
        _same(got.json()["items"], want.to_dict("records"), f"categories {start}..{end}")


def test_product_detail_and_kpis_equal_the_fact_table(service: Service):
    reader = service.shop.reader
    products = list(reader.frame("SELECT product_id FROM dim_product ORDER BY 1 LIMIT 6")["product_id"])
    for product in products:
        for grain, window in [("week", {}), ("day", {"start": "2000-01-01", "end": "2100-01-01"}), ("month", {})]:
            body = service.get(f"/api/v1/products/{product}", params={"grain": grain, **window}).json()
            want = reader.frame(
                "SELECT CAST(date_trunc(?, f.order_date) AS DATE) AS period_start, CAST(sum(f.sold_units) AS BIGINT) "
                "AS units, coalesce(sum(f.net_sales), 0) AS net_sales FROM fact_order_line f WHERE f.product_id = ? "
                "AND f.is_product GROUP BY 1 ORDER BY 1", [grain, product])
            want["period_start"] = want["period_start"].astype(str)
            _same(body["series"], want.to_dict("records"), f"{product} {grain}")
    assert service.get("/api/v1/products/no-such-product").status_code == 404
    for grain in ("day", "week", "month"):
        body = service.get("/api/v1/kpis", params={"grain": grain, "limit": 9, "offset": 3}).json()
        want = reader.frame("SELECT * EXCLUDE (grain) FROM kpi_period WHERE grain = ? ORDER BY period_start "
                            "LIMIT 9 OFFSET 3", [grain])
        want["period_start"] = want["period_start"].astype(str)
        assert body["total"] == int(reader.frame("SELECT count(*) FROM kpi_period WHERE grain = ?", [grain]).iloc[0, 0])
        _same(body["items"], [{k: (None if v != v else v) for k, v in r.items()} for r in want.to_dict("records")],
              grain)


def test_customer_pages_equal_sql(service: Service):
    """The customers held in memory per build answer as the SQL over dim_customer does."""
    from shopops.warehouse import customer_index
    from tests.warehouse.test_customers_index import _compare

    shop = service.shop
    index = customer_index(shop.reader)
    assert index.identity == shop.reader.identity()
    with shop.reader.cursor() as con:
        first, last = con.execute("SELECT min(first_sale_at)::DATE, max(last_sale_at)::DATE "
                                  "FROM dim_customer").fetchall()[0]
        countries = [r[0] for r in con.execute("SELECT DISTINCT country FROM dim_customer "
                                               "WHERE country IS NOT NULL").fetchall()]
        channels = [r[0] for r in con.execute("SELECT DISTINCT channel FROM dim_customer "
                                              "WHERE channel IS NOT NULL").fetchall()]
        ids = [r[0] for r in con.execute("SELECT customer_id FROM dim_customer LIMIT 100").fetchall()]
        assert _compare(index, con, first, last, 200, countries, channels, ids, seed=3) > 3000
    mid = first + (last - first) / 3
    url = f"/api/v1/customers?start={mid}&end={mid + timedelta(days=30)}&sort=orders&limit=50&offset=20"
    page, ids = _json_and_csv_ids(service, url)
    assert [item["customer_id"] for item in page["items"]] == ids
    assert len(ids) == 50 and page["total"] > 70


def _json_and_csv_ids(service: Service, url: str) -> tuple[dict[str, Any], list[str]]:
    """The JSON page of ``url`` and the first column of its CSV download (which runs the SQL)."""
    page = service.get(url, role="analyst")
    assert page.status_code == 200, page.text
    csv = service.get(url + "&format=csv", role="analyst")
    assert csv.status_code == 200, csv.text
    return page.json(), [line.split(",")[0] for line in csv.text.splitlines()[1:]]


def test_order_pages_equal_sql(service: Service):
    """The orders held in memory per build answer as the SQL over fact_order does (the CSV download runs it)."""
    from shopops.api.schemas import OrderDetail
    from shopops.warehouse import order_index
    from tests.warehouse.test_orders_index import _compare

    shop = service.shop
    index = order_index(shop.reader)
    assert index.identity == shop.reader.identity() and index.days is None  # the run shortcut holds
    with shop.reader.cursor() as con:
        first, last = con.execute("SELECT min(order_date), max(order_date) FROM fact_order").fetchall()[0]
        customers = [r[0] for r in con.execute("SELECT customer_id FROM fact_order WHERE customer_id IS NOT NULL "
                                               "GROUP BY 1 ORDER BY count(*) DESC LIMIT 30").fetchall()]
        statuses = [r[0] for r in con.execute("SELECT status FROM fact_order WHERE status IS NOT NULL "
                                              "GROUP BY 1 ORDER BY count(*) DESC, 1").fetchall()]
        assert _compare(index, con, first, last, 150, customers, statuses, seed=5) > 2000
    mid = first + (last - first) / 3
    for extra in ("&offset=15", f"&customer={customers[0]}", f"&status={statuses[0]}&offset=3"):
        url = f"/api/v1/orders?start={first}&end={mid + timedelta(days=30)}&limit=40{extra}"
        page, ids = _json_and_csv_ids(service, url)
        assert [item["order_id"] for item in page["items"]] == ids and ids, url
        assert page["total"] >= len(ids)
    # One order with its lines, from the orders and lines held in memory, as the SQL finds them.
    sample = shop.reader.frame("SELECT order_id FROM fact_order USING SAMPLE reservoir(25 ROWS) REPEATABLE (1)")
    for oid in sample.order_id:
        detail = service.get(f"/api/v1/orders/{oid}", role="analyst")
        assert detail.status_code == 200, detail.text
        want = shop.reader.frame("SELECT line_no, product_id, line_type, quantity, unit_price, discount, net_amount "
                                 "FROM fact_order_line WHERE order_id = ? ORDER BY line_no", [oid])
        got = detail.json()
        assert OrderDetail.model_validate(got).model_dump(mode="json") == got  # the response model's shape
        assert got["order"]["order_id"] == oid and [r["line_no"] for r in got["lines"]] == want.line_no.tolist()
        assert [r["product_id"] for r in got["lines"]] == want.product_id.tolist()
        assert sum(r["net_amount"] for r in got["lines"]) == pytest.approx(float(want.net_amount.sum()))
