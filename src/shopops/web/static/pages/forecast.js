// Forecast: a product's recent sales, its forecast mean, median and 50 %/90 % bands, and its backtest accuracy. Shop.drawForecast is shared with the products
// page, where a role without the forecast's permission sees the history and why the band is missing.
Shop.drawForecast = async function (productId, id) {
  const F = Shop.fmt, P = Shop.palette;
  const detail = await Shop.api("/products/" + encodeURIComponent(productId), { grain: "day" });
  // the API lists days with sales only; a day without sales is a 0, not a gap to draw across
  const sold = new Map(detail.series.map((r) => [String(r.period_start).slice(0, 10), r.units]));
  const hist = [];
  if (detail.series.length) {
    const last = new Date(String(detail.series[detail.series.length - 1].period_start).slice(0, 10) + "T00:00:00Z");
    for (let i = 89; i >= 0; i--) {
      const day = new Date(last.getTime() - i * 86400000).toISOString().slice(0, 10);
      hist.push({ period_start: day, units: sold.get(day) || 0 });
    }
  }
  let fc = [], message = null;
  try { fc = (await Shop.api("/forecast", { product: productId, limit: 1000 })).items; }
  catch (err) { if (err.status === 403) message = err.message; else throw err; }
  const labels = hist.map((r) => String(r.period_start).slice(0, 10)).concat(fc.map((r) => String(r.ds).slice(0, 10)));
  const pad = (arr, before) => new Array(before).fill(null).concat(arr);
  const datasets = [{ label: Shop.t("fc.history"), data: hist.map((r) => r.units).concat(new Array(fc.length).fill(null)), borderColor: P[0], backgroundColor: P[0], pointRadius: 0 }];
  if (fc.length) {
    // The mean is the forecast; the bands are quantiles of the same distribution. A band edge
    // missing from the data (older exports without q25/q75) is left out rather than drawn at 0.
    const band = (hi, lo, labelHi, labelLo, alpha) => (fc.some((r) => r[hi] != null) ? [
      { label: Shop.t(labelHi), data: pad(fc.map((r) => r[hi]), hist.length), borderColor: "transparent", backgroundColor: P[1] + alpha, pointRadius: 0, fill: "+1" },
      { label: Shop.t(labelLo), data: pad(fc.map((r) => r[lo]), hist.length), borderColor: "transparent", backgroundColor: P[1] + alpha, pointRadius: 0, fill: false },
    ] : []);
    datasets.push(
      ...band("q95", "q05", "fc.band_hi", "fc.band_lo", "30"),
      ...band("q75", "q25", "fc.band50_hi", "fc.band50_lo", "60"),
      { label: Shop.t("fc.mean"), data: pad(fc.map((r) => r.yhat), hist.length), borderColor: P[1], backgroundColor: P[1], pointRadius: 0 },
      { label: Shop.t("fc.median"), data: pad(fc.map((r) => r.q50 ?? r.yhat), hist.length), borderColor: P[2] || P[1], backgroundColor: P[2] || P[1], borderDash: [4, 3], pointRadius: 0 });
  }
  let accuracy = null;
  if (fc.length) {
    try { accuracy = await Shop.api("/forecast/accuracy", { product: productId }); }
    catch (err) { if (!err.status) throw err; }  // an answer without accuracy: say so under the chart
  }
  const box = Shop.el("div", { "data-product": productId });
  box.append(Shop.el("p", { class: "muted", text: `${detail.product_id} · ${detail.name || ""} · ${detail.category || ""} · ${F.money2(detail.unit_price)}` }));
  box.append(Shop.chart(id, { type: "line", data: { labels, datasets }, options: { plugins: { legend: { position: "bottom" } } } }));
  if (fc.length) {
    const f2 = (v) => (v == null ? "–" : Number(v).toFixed(2));
    const text = accuracy
      ? Shop.t("fc.accuracy").replace("{model}", accuracy.model).replace("{cls}", accuracy.demand_class)
        .replace("{rmsse}", f2(accuracy.rmsse)).replace("{days}", accuracy.backtest_days)
        .replace("{ma}", f2(accuracy.rmsse_ma)).replace("{p0}", f2(accuracy.p_zero))
      : Shop.t("fc.accuracy_na");
    box.append(Shop.el("p", { class: "muted", id: "forecast-accuracy", text }));
  }
  if (message) box.append(Shop.notice(message, "forecast-denied"));
  return box;
};

Shop.page("forecast", {
  async render(host) {
    const top = (await Shop.api("/products", { limit: 50 })).items;
    const sel = Shop.el("select", { id: "forecast-product", "aria-label": "product" });
    top.forEach((p) => sel.append(Shop.el("option", { value: p.product_id, text: `${p.product_id} ${p.name || ""}` })));
    const slot = Shop.el("div", {});
    const panel = Shop.panel("fc.band", [Shop.el("div", { class: "filters" }, [Shop.el("label", {}, [Shop.el("span", { i18n: "fc.product" }), sel])]), slot]);
    host.append(panel);
    const draw = async () => {
      slot.replaceChildren(Shop.el("p", { class: "muted", i18n: "loading", "data-testid": "forecast-loading" }));
      slot.replaceChildren(await Shop.drawForecast(sel.value, "chart-forecast"));
    };
    sel.addEventListener("change", draw);
    if (top.length) await draw();
  },
});
