// Data quality: rows accepted and quarantined per table, the ingest reports, the quarantined rows,
// and (for roles that may ingest) a file upload that runs the same validated ingest as the CLI.
Shop.page("quality", {
  async render(host) {
    const F = Shop.fmt;
    const [reports, quarantine] = await Promise.all([
      Shop.api("/quality", { limit: 1000 }), Shop.api("/quality/quarantine", { limit: 500 })]);
    const byTable = {};
    reports.items.forEach((r) => {
      const t = byTable[r.table_name] || (byTable[r.table_name] = { ok: 0, bad: 0 });
      t.ok += r.rows_ok; t.bad += r.rows_quarantined;
    });
    const tables = Object.keys(byTable).sort();
    host.append(Shop.el("div", { class: "grid2" }, [
      Shop.panel("dq.by_table", Shop.chart("chart-quality", { type: "bar", data: { labels: tables, datasets: [
        { label: Shop.t("dq.ok"), data: tables.map((t) => byTable[t].ok), backgroundColor: Shop.palette[2] },
        { label: Shop.t("dq.bad"), data: tables.map((t) => byTable[t].bad), backgroundColor: Shop.palette[3] },
      ] }, // side by side on a log scale: a few quarantined rows stay visible next to millions accepted
      options: { indexAxis: "y", scales: { x: { type: "logarithmic", min: 1 } } } })),
      Shop.can("ingest:write") ? Shop.panel("dq.upload", uploadForm()) : null,
    ]));
    host.append(Shop.panel("dq.reports", Shop.table("quality-table", [{ key: "seq", num: true }, { key: "committed_at" },
      { key: "adapter" }, { key: "table_name" }, { key: "rows_in", num: true, fmt: F.count }, { key: "rows_ok", num: true, fmt: F.count },
      { key: "rows_quarantined", num: true, fmt: F.count }], reports.items)));
    host.append(Shop.panel("dq.quarantine", [Shop.el("p", { class: "muted", text: `${F.count(quarantine.total)} ${Shop.t("rows")}` }),
      Shop.table("quarantine-table", [{ key: "table_name" }, { key: "source_file" }, { key: "source_row", num: true },
        { key: "reason" }], quarantine.items)]));
  },
});

function uploadForm() {
  const file = Shop.el("input", { type: "file", id: "upload-file" });
  const adapter = Shop.el("select", { id: "upload-adapter" });
  ["auto", "canonical", "online_retail", "olist", "cdnow"].forEach((a) => adapter.append(Shop.el("option", { value: a, text: a })));
  const table = Shop.el("input", { type: "text", id: "upload-table", placeholder: "order_lines" });
  const out = Shop.el("pre", { id: "upload-result", class: "muted" });
  const go = Shop.el("button", { class: "primary", i18n: "dq.upload_go", id: "upload-go" });
  go.addEventListener("click", async () => {
    if (!file.files.length) return;
    const f = file.files[0];
    out.textContent = Shop.t("loading");
    try {
      const r = await Shop.api("/ingest", { filename: f.name, adapter: adapter.value, table: table.value },
        { method: "POST", body: f, headers: { "Content-Type": "application/octet-stream" } });
      out.textContent = `${Shop.t("dq.done")}: ${r.status} ${r.batch_id}\n` +
        r.tables.map((t) => `${t.table}: ${t.rows_ok}/${t.rows_in} ${Shop.t("dq.ok")}, ${t.rows_quarantined} ${Shop.t("dq.bad")}`).join("\n");
    } catch (err) { out.textContent = err.message; }
  });
  return Shop.el("div", { class: "filters" }, [file,
    Shop.el("label", {}, [Shop.el("span", { i18n: "dq.adapter" }), adapter]),
    Shop.el("label", {}, [Shop.el("span", { i18n: "dq.table" }), table]), go, out]);
}
