// Orders: the review queue (approve or cancel in one click), the orders at risk of being late,
// the fulfilment KPIs and the staffing forecast. Each panel shows a loading line while it computes.
Shop.page("orders", {
  async render(host) {
    const F = Shop.fmt;
    const loading = (id) => Shop.el("p", { class: "muted", "data-testid": id, text: Shop.t("loading") });
    const canDecide = Shop.can("orders:decide");

    // KPIs first: they come from the warehouse and are quick.
    const kpiBox = Shop.el("div", {}, [loading("or-kpis-loading")]);
    host.append(Shop.panel("or.kpis", kpiBox, "orders-kpis"));
    const queueBox = Shop.el("div", {}, [loading("or-queue-loading")]);
    host.append(Shop.panel("or.queue", queueBox, "orders-queue"));
    const lateBox = Shop.el("div", {}, [loading("or-late-loading")]);
    host.append(Shop.panel("or.late", lateBox, "orders-late"));
    const staffBox = Shop.el("div", {}, [loading("or-staff-loading")]);
    host.append(Shop.panel("or.staffing", staffBox, "orders-staffing"));

    const k = await Shop.api("/orders/kpis", { grain: "week", limit: 26 });
    const periods = k.periods || [];
    kpiBox.replaceChildren(
      Shop.el("p", { "data-testid": "or-automation", text: `${Shop.t("or.automation")}: ${F.pct(k.automation_rate)} · ${F.count(k.decided)} ${Shop.t("or.decided")}` }),
      Shop.chart("chart-ontime", { type: "line", data: { labels: periods.map((p) => F.date(p.period)),
        datasets: [{ label: Shop.t("or.on_time"), data: periods.map((p) => p.on_time_rate), borderColor: Shop.palette[2] }] },
        options: { scales: { y: { min: 0, max: 1, ticks: { callback: (v) => F.pct(v) } } } } }),
      Shop.table("kpi-table", [{ key: "period", fmt: F.date }, { key: "orders", num: true, fmt: F.count },
        { key: "p50_hours_to_ship", num: true, fmt: F.num }, { key: "p90_hours_to_delivery", num: true, fmt: F.num },
        { key: "on_time_rate", num: true, fmt: F.pct }, { key: "cancelled", num: true, fmt: F.count },
        { key: "returned", num: true, fmt: F.count }], periods.slice().reverse()));

    const drawQueue = async () => {
      const rows = await Shop.api("/orders/queue", { limit: 100 });
      if (!rows.length) { queueBox.replaceChildren(Shop.notice(Shop.t("or.queue_empty"), "queue-empty")); return; }
      const list = Shop.el("table", { class: "data", "data-testid": "queue-table" });
      list.append(Shop.el("tr", {}, ["order_id", "ordered_at", "reason", "risk", "reasons", ""].map((c) =>
        Shop.el("th", { text: c ? Shop.t("col." + c) : "" }))));
      rows.forEach((r) => {
        const act = (decision) => Shop.el("button", { "data-testid": `${decision}-${r.order_id}`, text: Shop.t("or." + decision),
          disabled: canDecide ? null : "disabled",
          onclick: async () => {
            await Shop.api(`/orders/queue/${encodeURIComponent(r.order_id)}`, null, { method: "POST",
              headers: { "Content-Type": "application/json" }, body: JSON.stringify({ decision }) });
            await drawQueue();
          } });
        list.append(Shop.el("tr", { "data-order": r.order_id }, [
          Shop.el("td", { text: r.order_id }), Shop.el("td", { text: String(r.ordered_at || "").replace("T", " ") }),
          Shop.el("td", { text: r.reason }), Shop.el("td", { class: "num", text: F.pct(r.risk) }),
          Shop.el("td", { text: r.reasons }), Shop.el("td", {}, [act("approve"), act("cancel")])]));
      });
      queueBox.replaceChildren(Shop.el("p", { class: "muted", text: `${F.count(rows.length)} ${Shop.t("rows")}` }), list);
    };
    await drawQueue();

    const late = await Shop.api("/orders/late", { threshold: 0.5, limit: 100 });
    lateBox.replaceChildren(late.length ? Shop.table("late-table", [{ key: "order_id" }, { key: "ordered_at", fmt: F.date },
      { key: "late_risk", num: true, fmt: F.pct }, { key: "delivery_days_p50", num: true, fmt: F.num },
      { key: "delivery_days_p90", num: true, fmt: F.num }, { key: "flags" }], late) : Shop.notice(Shop.t("or.late_none"), "late-none"));

    // The staffing forecast takes seconds: the page is usable before it arrives.
    Shop.api("/orders/staffing", { weeks: 2 }).then((s) => {
      staffBox.replaceChildren(
        Shop.chart("chart-staffing", { type: "bar", data: { labels: s.days.map((d) => F.date(d.day)),
          datasets: [{ label: Shop.t("or.pickers"), data: s.days.map((d) => d.pickers), backgroundColor: Shop.palette[0] },
            { label: Shop.t("or.packers"), data: s.days.map((d) => d.packers), backgroundColor: Shop.palette[1] },
            { label: Shop.t("or.agents_peak"), data: s.days.map((d) => d.agents_peak), backgroundColor: Shop.palette[4] }] } }),
        Shop.table("staffing-table", [{ key: "day", fmt: F.date }, { key: "orders", num: true, fmt: F.num },
          { key: "pickers", num: true, fmt: F.count }, { key: "packers", num: true, fmt: F.count },
          { key: "agents_peak", num: true, fmt: F.count }], s.days));
    }).catch((err) => staffBox.replaceChildren(Shop.notice(err.message || String(err), "staffing-error")));
  },
});
