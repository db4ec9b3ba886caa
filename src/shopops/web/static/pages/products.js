// Products: sales by product over a date range (sortable, filterable), sales by category, and one
// product's daily sales with its forecast band.
Shop.page("products", {
  async render(host) {
    const F = Shop.fmt;
    const q = new URLSearchParams(location.hash.split("?")[1] || "");
    const inputs = {
      start: Shop.el("input", { type: "date", id: "f-start", value: q.get("start") || "" }),
      end: Shop.el("input", { type: "date", id: "f-end", value: q.get("end") || "" }),
      category: Shop.el("input", { type: "text", id: "f-category", value: q.get("category") || "" }),
      q: Shop.el("input", { type: "text", id: "f-q", value: q.get("q") || "" }),
    };
    const apply = Shop.el("button", { class: "primary", i18n: "f.apply", id: "f-apply" });
    apply.addEventListener("click", () => {
      const p = new URLSearchParams();
      Object.entries(inputs).forEach(([k, i]) => { if (i.value) p.set(k, i.value); });
      location.hash = "#/products?" + p.toString();
    });
    host.append(Shop.el("div", { class: "filters" }, [
      Shop.el("label", {}, [Shop.el("span", { i18n: "f.start" }), inputs.start]),
      Shop.el("label", {}, [Shop.el("span", { i18n: "f.end" }), inputs.end]),
      Shop.el("label", {}, [Shop.el("span", { i18n: "f.category" }), inputs.category]),
      Shop.el("label", {}, [Shop.el("span", { i18n: "f.search" }), inputs.q]), apply]));
    const params = { start: inputs.start.value, end: inputs.end.value, category: inputs.category.value, q: inputs.q.value };
    const [prods, cats] = await Promise.all([
      Shop.api("/products", Object.assign({ limit: 500 }, params)),
      Shop.api("/categories", { start: params.start, end: params.end, limit: 100 }),
    ]);
    const detail = Shop.el("div", { id: "product-detail" }, [Shop.el("p", { class: "muted", i18n: "pr.click" })]);
    const table = Shop.table("products-table", [
      { key: "product_id" }, { key: "name" }, { key: "category" },
      { key: "units", num: true, fmt: F.count }, { key: "orders", num: true, fmt: F.count },
      { key: "gross_sales", num: true, fmt: F.money }, { key: "net_sales", num: true, fmt: F.money },
    ], prods.items, { onClick: async (r) => { detail.replaceChildren(await Shop.drawForecast(r.product_id, "chart-product")); } });
    const catChart = Shop.chart("chart-categories", { type: "bar", data: {
      labels: cats.items.map((c) => c.category || "–"),
      datasets: [{ label: Shop.t("kpi.net_sales"), data: cats.items.map((c) => c.net_sales), backgroundColor: Shop.palette[0] }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { ticks: { callback: (v) => F.money(v) } } } } });
    host.append(Shop.el("div", { class: "grid2" }, [Shop.panel("pr.category_chart", catChart), Shop.panel("pr.detail", detail)]));
    host.append(Shop.panel("pr.table", table));
  },
});
