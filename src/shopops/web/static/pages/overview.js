// Overview: KPI cards of the last full period against the one before, and trend charts.
Shop.page("overview", {
  async render(host) {
    const grain = new URLSearchParams(location.hash.split("?")[1] || "").get("grain") || "month";
    const sel = Shop.el("select", { id: "grain", "aria-label": "grain" });
    ["month", "week", "day"].forEach((g) => { const o = Shop.el("option", { value: g, i18n: "grain." + g }); if (g === grain) o.selected = true; sel.append(o); });
    sel.addEventListener("change", () => { location.hash = "#/overview?grain=" + sel.value; });
    host.append(Shop.el("div", { class: "filters" }, [Shop.el("label", {}, [Shop.el("span", { i18n: "f.grain" }), sel])]));
    const ov = await Shop.api("/overview", { grain });
    const F = Shop.fmt;
    const show = { money: F.money, count: F.count, rate: F.pct };
    const cards = Shop.el("div", { class: "cards", id: "kpi-cards" });
    ov.cards.forEach((c) => {
      let change = Shop.t("no_prev"), tone = "flat";
      if (c.change !== null) {
        const up = c.change > 0.0005, down = c.change < -0.0005;
        tone = !up && !down ? "flat" : (up === c.higher_is_better ? "good" : "bad");
        const arrow = up ? "▲" : down ? "▼" : "●";
        change = c.change_unit === "points" ? `${arrow} ${(c.change * 100).toFixed(1)} pp` : `${arrow} ${(c.change * 100).toFixed(1)}%`;
      }
      cards.append(Shop.el("div", { class: "card", "data-kpi": c.key, "data-value": c.value ?? "" }, [
        Shop.el("div", { class: "label", i18n: "kpi." + c.key }),
        Shop.el("div", { class: "value", text: show[c.kind](c.value) }),
        Shop.el("div", { class: "change " + tone, text: change }),
        Shop.el("div", { class: "muted", text: `${Shop.t("vs")} ${show[c.kind](c.previous)}` }),
      ]));
    });
    host.append(Shop.el("p", { class: "muted", text: `${Shop.t("ov.period")}: ${F.date(ov.period_start)} (${Shop.t("vs")} ${F.date(ov.previous_start)})` }), cards);
    const partialIdx = ov.partial_from ? ov.series.findIndex((r) => r.period_start === ov.partial_from) : -1;
    if (partialIdx >= 0) host.append(Shop.el("p", { class: "muted", "data-testid": "partial", text: `${Shop.t("ov.partial")}: ${F.date(ov.partial_from)} → ${F.date(ov.data_last)}` }));
    // a period the data covers only in part is drawn dashed, so its dip is not read as a fall in sales
    const dashed = { borderDash: (c) => (partialIdx >= 0 && c.p1DataIndex >= partialIdx ? [5, 4] : undefined) };
    const labels = ov.series.map((r) => String(r.period_start).slice(0, grain === "month" ? 7 : 10));
    const P = Shop.palette;
    const money = { ticks: { callback: (v) => F.money(v) } };
    host.append(Shop.el("div", { class: "grid2" }, [
      Shop.panel("ov.sales_trend", Shop.chart("chart-sales", { type: "line", data: { labels, datasets: [
        { label: Shop.t("kpi.net_sales"), data: ov.series.map((r) => r.net_sales), borderColor: P[0], backgroundColor: P[0], pointRadius: 0, tension: 0.2, segment: dashed },
        { label: Shop.t("kpi.gross_sales"), data: ov.series.map((r) => r.gross_sales), borderColor: P[5], backgroundColor: P[5], pointRadius: 0, tension: 0.2, segment: dashed },
      ] }, options: { scales: { y: money } } })),
      Shop.panel("ov.orders_trend", Shop.chart("chart-orders", { type: "bar", data: { labels, datasets: [
        { label: Shop.t("kpi.orders"), data: ov.series.map((r) => r.orders), backgroundColor: P[0] + "aa", yAxisID: "y" },
        { label: Shop.t("kpi.aov"), data: ov.series.map((r) => r.aov), type: "line", borderColor: P[1], backgroundColor: P[1], pointRadius: 0, yAxisID: "y1", segment: dashed },
      ] }, options: { scales: { y: { position: "left" }, y1: { position: "right", grid: { drawOnChartArea: false }, ticks: money.ticks } } } })),
      Shop.panel("ov.customers_trend", Shop.chart("chart-customers", { type: "bar", data: { labels, datasets: [
        { label: Shop.t("kpi.new_customers"), data: ov.series.map((r) => r.new_customers), backgroundColor: P[2], stack: "c" },
        { label: Shop.t("kpi.returning_customers"), data: ov.series.map((r) => r.returning_customers), backgroundColor: P[4], stack: "c" },
      ] }, options: { scales: { x: { stacked: true }, y: { stacked: true } } } })),
    ]));
  },
});
