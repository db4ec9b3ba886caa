// Live: KPI tiles of the last 15 minutes with their normal band, orders per 5 minutes, open alerts (acknowledge
// and silence for operators) and out-of-stock best sellers, updated from the server's event stream (SSE over fetch,
// so the API key travels in a header as everywhere else).
Shop.page("live", {
  async render(host) {
    const F = Shop.fmt;
    const canOperate = Shop.me && ["admin", "operator"].includes(Shop.me.role);
    const tiles = [
      ["orders", F.count], ["gmv", F.money], ["sessions", F.count], ["conversion", F.pct],
      ["add_to_cart_rate", F.pct], ["payment_failure_rate", F.pct], ["cancellation_rate", F.pct],
    ];
    const status = Shop.el("p", { class: "muted", "data-testid": "live-status", i18n: "live.connecting" });
    const cards = Shop.el("div", { class: "cards", "data-testid": "live-tiles" });
    const tileEls = {};
    tiles.forEach(([kpi]) => {
      const value = Shop.el("div", { class: "value", "data-kpi": kpi, text: "–" });
      const band = Shop.el("div", { class: "change flat", "data-band": kpi, text: "" });
      tileEls[kpi] = { value, band };
      cards.append(Shop.el("div", { class: "card" }, [Shop.el("div", { class: "label", i18n: "live.kpi." + kpi }), value, band]));
    });
    const chartData = { labels: [], datasets: [
      { label: Shop.t("live.orders"), data: [], borderColor: Shop.palette[0], backgroundColor: Shop.palette[0], tension: 0.2 },
      { label: Shop.t("live.kpi.cancellations"), data: [], borderColor: Shop.palette[3], backgroundColor: Shop.palette[3], tension: 0.2 },
    ] };
    const chart = Shop.chart("chart-live", { type: "line", data: chartData, options: { scales: { y: { beginAtZero: true } } } });
    const alertsBox = Shop.el("div", { "data-testid": "live-alerts" });
    const stockBox = Shop.el("div", { "data-testid": "live-stock" });
    const loading = Shop.el("p", { class: "muted", "data-testid": "live-loading", i18n: "loading" });
    host.append(status, loading, cards,
      Shop.el("div", { class: "grid2" }, [Shop.panel("live.series", chart), Shop.panel("live.stock", stockBox)]),
      Shop.panel("live.alerts", alertsBox));

    const time = (t) => (t ? new Date(t * 1000).toISOString().slice(11, 16) : "–");
    function drawAlerts(alerts) {
      alertsBox.replaceChildren();
      if (!alerts.length) { alertsBox.append(Shop.el("p", { class: "muted", "data-testid": "live-no-alerts", i18n: "live.none" })); return; }
      const table = Shop.el("table", { class: "data", id: "live-alerts-table" });
      const head = Shop.el("tr", {}, ["severity", "rule", "state", "since", "summary", ""].map((k) => Shop.el("th", k ? { i18n: "live.col." + k } : {})));
      table.append(Shop.el("thead", {}, [head]));
      const body = Shop.el("tbody");
      alerts.forEach((a) => {
        const actions = Shop.el("td", {});
        if (canOperate) {
          if (a.state === "firing") {
            actions.append(Shop.el("button", { type: "button", "data-ack": a.alert_id, i18n: "live.ack", onclick: async (e) => {
              e.target.disabled = true;
              try { await Shop.api(`/monitor/alerts/${a.alert_id}/ack`, null, { method: "POST" }); } catch (err) { e.target.disabled = false; status.textContent = err.message; }
            } }));
          }
          actions.append(Shop.el("button", { type: "button", "data-silence": a.rule, i18n: "live.silence", onclick: async (e) => {
            e.target.disabled = true;
            try {
              await Shop.api("/monitor/silences", null, { method: "POST", headers: { "Content-Type": "application/json" },
                body: JSON.stringify({ rule: a.rule, minutes: 60, comment: "from the Live page" }) });
              e.target.textContent = Shop.t("live.silenced");
            } catch (err) { e.target.disabled = false; status.textContent = err.message; }
          } }));
        }
        body.append(Shop.el("tr", { "data-alert": a.alert_id, "data-state": a.state }, [
          Shop.el("td", { text: a.severity, class: a.severity === "critical" ? "bad" : "" }), Shop.el("td", { text: a.rule }),
          Shop.el("td", { i18n: "live.state." + a.state }), Shop.el("td", { text: String(a.condition_since || "").slice(0, 16).replace("T", " ") }),
          Shop.el("td", { text: a.summary }), actions]));
      });
      table.append(body);
      alertsBox.append(table);
    }

    function update(snap) {
      loading.remove();
      delete status.dataset.i18n;
      status.textContent = `${Shop.t("live.live")} · ${Shop.t("live.clock." + snap.clock_mode)} ${snap.clock ? new Date(snap.clock * 1000).toISOString().slice(0, 19).replace("T", " ") : "–"} UTC · ` +
        `${F.count(snap.intake.accepted)} ${Shop.t("live.accepted")}, ${F.count(snap.intake.quarantined)} ${Shop.t("live.quarantined")}`;
      status.dataset.state = "live";
      tiles.forEach(([kpi, fmt]) => {
        const tile = snap.tiles[kpi] || {};
        tileEls[kpi].value.textContent = fmt(tile.value);
        if (tile.band) {
          const out = tile.value !== null && (tile.value < tile.band[0] || tile.value > tile.band[1]);
          tileEls[kpi].band.textContent = `${Shop.t("live.normal")} ${F.count(tile.band[0])}–${F.count(tile.band[1])}`;
          tileEls[kpi].band.className = "change " + (out ? "bad" : "flat");
        } else {
          tileEls[kpi].band.textContent = tile.last_window === null || tile.last_window === undefined ? "" : `${Shop.t("live.previous")} ${fmt(tile.last_window)}`;
        }
      });
      const c = Chart.getChart("chart-live");
      chartData.labels = snap.series.map((r) => time(r.start));
      chartData.datasets[0].data = snap.series.map((r) => r.orders);
      chartData.datasets[1].data = snap.series.map((r) => r.cancellations);
      if (c) { c.data = chartData; c.update("none"); }
      drawAlerts(snap.alerts || []);
      stockBox.replaceChildren();
      if (!snap.out_of_stock.length) stockBox.append(Shop.el("p", { class: "muted", i18n: "live.none_stock" }));
      else stockBox.append(Shop.table("live-stock-table", [{ key: "product_id" }, { key: "orders", num: true, fmt: F.count }], snap.out_of_stock));
      host.dataset.updates = String(Number(host.dataset.updates || "0") + 1);
      applyStrings();
    }
    function applyStrings() {
      host.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = Shop.t(e.dataset.i18n); });
    }

    // The stream lives as long as this page is shown; a dropped connection is retried with back-off.
    const controller = new AbortController();
    const stillShown = () => document.body.contains(host) && host.dataset.page === "live";
    window.addEventListener("hashchange", () => controller.abort(), { once: true });
    let first;
    const firstSnapshot = new Promise((resolve) => { first = resolve; });
    (async function listen() {
      let wait = 500;
      while (stillShown() && !controller.signal.aborted) {
        try {
          const res = await fetch(Shop.url("/monitor/stream"), { headers: { "X-API-Key": Shop.key() }, signal: controller.signal });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          const reader = res.body.getReader();
          const decoder = new TextDecoder();
          let buffer = "";
          wait = 500;
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, { stream: true });
            let cut;
            while ((cut = buffer.indexOf("\n\n")) >= 0) {
              const block = buffer.slice(0, cut);
              buffer = buffer.slice(cut + 2);
              const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
              if (data) { update(JSON.parse(data)); first(); }
            }
            if (!stillShown()) { controller.abort(); return; }
          }
        } catch (err) {
          if (controller.signal.aborted) return;
          status.textContent = `${Shop.t("live.reconnecting")} (${err.message})`;
          status.dataset.state = "reconnecting";
          first();
        }
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 10000);
      }
    })();
    await firstSnapshot;
  },
});
