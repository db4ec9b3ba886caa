// Marketing: the channels' fitted response curves, the recommended against the current allocation (and why),
// the uplift model's Qini curve beside the other methods, and the targeting list with its CSV export.
Shop.page("marketing", {
  async render(host) {
    const F = Shop.fmt;
    const loading = (id) => Shop.el("p", { class: "muted loading", id, i18n: "loading" });
    const budgetPanel = Shop.el("div", { id: "mk-budget" }, [loading("mk-budget-loading")]);
    const upliftPanel = Shop.el("div", { id: "mk-uplift" }, [loading("mk-uplift-loading")]);
    host.append(Shop.panel("mk.budget", budgetPanel), Shop.panel("mk.uplift", upliftPanel));
    const ratio = (v) => (v == null ? "–" : v.toFixed(4));

    const drawBudget = async (total) => {
      budgetPanel.replaceChildren(loading("mk-budget-loading"));
      const res = await Shop.api("/marketing/budget", { total, days: 30 });
      const rows = res.allocation;
      const channels = [...new Set(res.curves.map((c) => c.channel))];
      const input = Shop.el("input", { type: "number", id: "mk-total", value: String(Math.round(res.params.total)) });
      const go = Shop.el("button", { class: "primary", id: "mk-run", i18n: "mk.run" });
      go.addEventListener("click", () => drawBudget(Number(input.value)).catch((e) => budgetPanel.append(Shop.notice(e.message, "error"))));
      const m = res.metrics;
      budgetPanel.replaceChildren(
        Shop.el("div", { class: "controls" }, [Shop.el("label", { i18n: "mk.total" }), input, go]),
        Shop.el("p", { class: "muted", id: "mk-outcome", text: `${Shop.t("mk.expected")}: ${F.num(m.expected_conversions)} `
          + `(${F.num(m.conversions_low)}–${F.num(m.conversions_high)}) · ${Shop.t("mk.current")}: ${F.num(m.current_conversions)}` }),
        ...res.warnings.map((w) => Shop.notice(w)),
        Shop.el("div", { class: "grid2" }, [
          Shop.chart("chart-curves", { type: "line", data: { datasets: channels.map((ch, i) => ({ label: ch, pointRadius: 0,
            borderColor: Shop.palette[i % Shop.palette.length], data: res.curves.filter((c) => c.channel === ch)
              .map((c) => ({ x: c.daily_spend, y: c.conversions })) })) },
            options: { parsing: false, scales: { x: { type: "linear", title: { display: true, text: Shop.t("mk.daily_spend") } },
              y: { title: { display: true, text: Shop.t("mk.conversions_day") } } } } }),
          Shop.chart("chart-allocation", { type: "bar", data: { labels: rows.map((r) => r.channel), datasets: [
            { label: Shop.t("mk.current"), data: rows.map((r) => r.current_spend), backgroundColor: Shop.palette[1] },
            { label: Shop.t("mk.recommended"), data: rows.map((r) => r.recommended_spend), backgroundColor: Shop.palette[2] }] },
            options: { scales: { y: { ticks: { callback: (v) => F.money(v) } } } } }),
        ]),
        Shop.table("allocation-table", [{ key: "channel" }, { key: "current_spend", num: true, fmt: F.money },
          { key: "recommended_spend", num: true, fmt: F.money }, { key: "expected_conversions", num: true, fmt: F.num },
          { key: "conversions_low", num: true, fmt: F.num }, { key: "conversions_high", num: true, fmt: F.num },
          { key: "marginal_conversions_per_1000", num: true, fmt: F.num }, { key: "why" }], rows));
    };

    const drawUplift = async () => {
      const res = await Shop.api("/marketing/uplift", { limit: 200 });
      const exp = Shop.el("button", { class: "primary", i18n: "mk.export", id: "export-targets" });
      exp.addEventListener("click", async () => {
        const csv = await Shop.api("/marketing/uplift", { fmt: "csv" });
        const a = Shop.el("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })), download: "targeting.csv" });
        document.body.append(a); a.click(); a.remove();
      });
      const m = res.metrics;
      upliftPanel.replaceChildren(
        Shop.el("p", { class: "muted", id: "mk-uplift-why", text: `${res.model} · Qini AUC ${ratio(m.qini_auc)} · `
          + `uplift@30% ${ratio(m.uplift_at_30)} · ${Shop.t("mk.holdout")} ${F.count(m.holdout_rows)}` }),
        Shop.el("div", { class: "grid2" }, [
          Shop.chart("chart-qini", { type: "line", data: { labels: res.qini.map((q) => F.pct(q.share)), datasets: [
            { label: Shop.t("mk.model"), data: res.qini.map((q) => q.model), borderColor: Shop.palette[0], pointRadius: 0 },
            { label: Shop.t("mk.random"), data: res.qini.map((q) => q.random), borderColor: Shop.palette[3], pointRadius: 0, borderDash: [4, 4] }] } }),
          Shop.table("uplift-methods", [{ key: "method" }, { key: "qini_auc", num: true, fmt: ratio },
            { key: "uplift_auc", num: true, fmt: ratio }, { key: "uplift_at_30", num: true, fmt: ratio }], res.comparison),
        ]),
        Shop.el("p", { class: "muted", id: "targets-count", text: `${F.count(res.targets_total)} ${Shop.t("mk.to_target")}` }), exp,
        Shop.table("targets-table", [{ key: "rank", num: true, fmt: F.count }, { key: "customer_id" },
          { key: "estimated_uplift", num: true, fmt: ratio }, { key: "reasons" }], res.targets));
    };

    await Promise.all([
      drawBudget(null).catch((e) => budgetPanel.replaceChildren(Shop.notice(e.message, "error"))),
      drawUplift().catch((e) => upliftPanel.replaceChildren(Shop.notice(e.message, "error"))),
    ]);
  },
});
