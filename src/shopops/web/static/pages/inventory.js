// Inventory: stock on hand on the latest day, stock value by category, and the purchase plan with its
// CSV export once inventory planning (issue #4) is in the build.
Shop.page("inventory", {
  async render(host, ctx) {
    const F = Shop.fmt;
    const stock = await Shop.api("/inventory/stock", { limit: 1000 });
    const byCat = {};
    stock.items.forEach((r) => { byCat[r.category || "–"] = (byCat[r.category || "–"] || 0) + (r.stock_value || 0); });
    const cats = Object.keys(byCat).sort((a, b) => byCat[b] - byCat[a]);
    const planPanel = Shop.el("div", { id: "plan" });
    if (ctx.available("inventory_plan")) {
      const plan = await Shop.api("/inventory/plan", { limit: 1000 });
      const cols = plan.items.length ? Object.keys(plan.items[0]).map((k) => ({ key: k, num: typeof plan.items[0][k] === "number" })) : [];
      const exp = Shop.el("button", { class: "primary", i18n: "inv.export", id: "export-po" });
      exp.addEventListener("click", async () => {
        const csv = await Shop.api("/inventory/plan", { format: "csv", limit: 1000000 });
        const a = Shop.el("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })), download: "purchase_orders.csv" });
        document.body.append(a); a.click(); a.remove();
      });
      planPanel.append(exp, Shop.table("plan-table", cols, plan.items));
    } else {
      const cap = ctx.capabilities.find((c) => c.name === "inventory_plan");
      planPanel.append(Shop.notice(cap ? cap.message : Shop.t("unavailable"), "plan-unavailable"));
    }
    host.append(Shop.el("div", { class: "grid2" }, [
      Shop.panel("inv.value_by_cat", Shop.chart("chart-stock", { type: "bar", data: { labels: cats,
        datasets: [{ label: Shop.t("col.stock_value"), data: cats.map((c) => byCat[c]), backgroundColor: Shop.palette[2] }] },
        options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { ticks: { callback: (v) => F.money(v) } } } } })),
      Shop.panel("inv.plan", planPanel),
    ]));
    const date = stock.items.length ? F.date(stock.items[0].date) : "–";
    host.append(Shop.panel("inv.stock", [Shop.el("p", { class: "muted", text: `${date} · ${F.count(stock.total)} ${Shop.t("rows")}` }),
      Shop.table("stock-table", [{ key: "product_id" }, { key: "name" }, { key: "category" }, { key: "location" },
        { key: "on_hand", num: true, fmt: F.count }, { key: "stock_value", num: true, fmt: F.money }], stock.items)]));
  },
});
