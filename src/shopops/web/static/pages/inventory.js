// Inventory: stock on hand on the latest day, stock value by category, today's purchase plan with its
// purchase orders (CSV export) and the stock alerts.
Shop.page("inventory", {
  async render(host) {
    const F = Shop.fmt;
    const stock = await Shop.api("/inventory/stock", { limit: 1000 });
    const byCat = {};
    stock.items.forEach((r) => { byCat[r.category || "–"] = (byCat[r.category || "–"] || 0) + (r.stock_value || 0); });
    const cats = Object.keys(byCat).sort((a, b) => byCat[b] - byCat[a]);
    const planPanel = Shop.el("div", { id: "plan" });
    const alertPanel = Shop.el("div", { id: "alerts" });
    const [plan, pos, alerts] = await Promise.all([
      Shop.api("/inventory/plan", { limit: 500 }),
      Shop.api("/inventory/purchase-orders", { limit: 1000 }),
      Shop.api("/inventory/alerts", { limit: 500, grouped: true }),
    ]);
    const exp = Shop.el("button", { class: "primary", i18n: "inv.export", id: "export-po" });
    exp.addEventListener("click", async () => {
      const csv = await Shop.api("/inventory/purchase-orders", { format: "csv", limit: 100000 });
      const a = Shop.el("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })), download: "purchase_orders.csv" });
      document.body.append(a); a.click(); a.remove();
    });
    const pct = (v) => (v == null ? "–" : `${(100 * v).toFixed(1)}%`);
    planPanel.append(
      Shop.el("p", { class: "muted", id: "plan-count", text: `${F.count(plan.total)} ${Shop.t("inv.to_order")}` }), exp,
      Shop.table("po-table", [{ key: "po_number" }, { key: "supplier_id" }, { key: "lines", num: true, fmt: F.count },
        { key: "units", num: true, fmt: F.count }, { key: "value", num: true, fmt: F.money },
        { key: "expected_arrival" }], pos.items),
      Shop.table("plan-table", [{ key: "product_id" }, { key: "name" }, { key: "supplier_id" },
        { key: "order_qty", num: true, fmt: F.count }, { key: "order_value", num: true, fmt: F.money },
        { key: "on_hand", num: true, fmt: F.count }, { key: "order_up_to", num: true, fmt: F.count },
        { key: "expected_fill_rate", num: true, fmt: pct }, { key: "expected_arrival" }], plan.items));
    // Alert texts are written here from their facts, so they follow the UI language; a kind without a
    // template (data issues) keeps the planner's English message.
    const num = (v) => (Number.isInteger(v) ? F.count(v)
      : v.toLocaleString(Shop.lang === "zh" ? "zh-CN" : "en-GB", { maximumFractionDigits: 1 }));
    const fill = (tpl, facts) => tpl.replace(/\{(\w+)\}/g, (_, k) => (typeof facts[k] === "number" ? num(facts[k]) : String(facts[k] ?? "")));
    const text = (kind, facts, message) => {
      const key = kind === "dead_stock" && facts.days == null ? "am.dead_stock_never" : `am.${kind}`;
      const tpl = Shop.t(key);
      return tpl === key ? message : fill(tpl, facts);
    };
    const alertRows = alerts.items.map((r) => {
      const facts = JSON.parse(r.facts || "{}");
      let message = text(r.alert, facts, r.message);
      if (r.product_id == null && facts.first_facts && Shop.t(`am.${r.alert}`) !== `am.${r.alert}`) {
        message = fill(Shop.t("am.group"), { products: facts.products, examples: facts.examples.join(", "),
          first: facts.first, text: text(r.alert, facts.first_facts, r.message) });
      }
      return { ...r, product_id: r.product_id ?? "–", alert: Shop.t(`alert.${r.alert}`), message };
    });
    alertPanel.append(Shop.table("alert-table", [{ key: "product_id" }, { key: "alert" },
      { key: "products", num: true, fmt: F.count }, { key: "value", num: true, fmt: F.money }, { key: "message" }],
      alertRows));
    host.append(Shop.el("div", { class: "grid2" }, [
      Shop.panel("inv.value_by_cat", Shop.chart("chart-stock", { type: "bar", data: { labels: cats,
        datasets: [{ label: Shop.t("col.stock_value"), data: cats.map((c) => byCat[c]), backgroundColor: Shop.palette[2] }] },
        options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { ticks: { callback: (v) => F.money(v) } } } } })),
      Shop.panel("inv.plan", planPanel),
    ]));
    const date = stock.items.length ? F.date(stock.items[0].date) : "–";
    host.append(Shop.panel("inv.alerts", alertPanel));
    host.append(Shop.panel("inv.stock", [Shop.el("p", { class: "muted", text: `${date} · ${F.count(stock.total)} ${Shop.t("rows")}` }),
      Shop.table("stock-table", [{ key: "product_id" }, { key: "name" }, { key: "category" }, { key: "location" },
        { key: "on_hand", num: true, fmt: F.count }, { key: "stock_value", num: true, fmt: F.money }], stock.items)]));
  },
});
