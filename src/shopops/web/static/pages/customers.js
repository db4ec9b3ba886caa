// Customers: the biggest customers (sortable, filterable) and customers per segment.
Shop.page("customers", {
  async render(host) {
    const F = Shop.fmt;
    const custs = await Shop.api("/customers", { limit: 500 });
    const seg = Shop.el("div", { id: "segments" });
    const summary = await Shop.api("/customers/segments/summary");
    const nameKey = summary.length && ("segment" in summary[0]) ? "segment" : Object.keys(summary[0] || {})[0];
    const sizeKey = ["customers", "n_customers", "count", "size"].find((k) => summary.length && k in summary[0]) || Object.keys(summary[0] || {})[1];
    seg.append(Shop.chart("chart-segments", { type: "bar", data: { labels: summary.map((s) => s[nameKey]),
      datasets: [{ label: Shop.t("col.customers"), data: summary.map((s) => s[sizeKey]), backgroundColor: Shop.palette[4] }] },
      options: { plugins: { legend: { display: false } } } }));
    const cols = summary.length ? Object.keys(summary[0]).map((k) => ({ key: k, num: typeof summary[0][k] === "number", fmt: typeof summary[0][k] === "number" ? F.num : null })) : [];
    seg.append(Shop.table("segments-table", cols, summary));
    const byCountry = {};
    custs.items.forEach((c) => { byCountry[c.country || "–"] = (byCountry[c.country || "–"] || 0) + c.sales_amount; });
    const countries = Object.keys(byCountry).sort((a, b) => byCountry[b] - byCountry[a]).slice(0, 12);
    host.append(Shop.el("div", { class: "grid2" }, [
      Shop.panel("cu.segments", seg),
      Shop.panel("cu.table", Shop.chart("chart-countries", { type: "bar", data: { labels: countries,
        datasets: [{ label: Shop.t("col.sales_amount"), data: countries.map((c) => byCountry[c]), backgroundColor: Shop.palette[0] }] },
        options: { plugins: { legend: { display: false } }, scales: { y: { ticks: { callback: (v) => F.money(v) } } } } })),
    ]));
    host.append(Shop.panel("cu.table", [Shop.el("p", { class: "muted", text: `${F.count(custs.total)} ${Shop.t("rows")}` }),
      Shop.table("customers-table", [{ key: "customer_id" }, { key: "country" }, { key: "channel" },
        { key: "orders", num: true, fmt: F.count }, { key: "sales_amount", num: true, fmt: F.money },
        { key: "last_sale_at", fmt: F.date }], custs.items)]));
  },
});
