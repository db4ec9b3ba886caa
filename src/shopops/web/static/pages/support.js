// Support: the hand-off queue (most urgent first), one ticket's conversation with the agent's reply box,
// and the FAQ entries suggested from the questions the bot could not answer. Text is set with textContent
// only, so HTML or script in a customer's message is shown, never run.
Shop.page("support", {
  async render(host) {
    const status = Shop.el("select", { id: "sp-status" });
    ["open", "closed", "all"].forEach((s) => status.append(Shop.el("option", { value: s, i18n: "sp.status_" + s })));
    const q = new URLSearchParams(location.hash.split("?")[1] || "");
    status.value = q.get("status") || "open";
    status.addEventListener("change", () => { location.hash = "#/support?status=" + status.value; });
    host.append(Shop.el("div", { class: "filters" }, [Shop.el("label", {}, [Shop.el("span", { i18n: "sp.status" }), status])]));
    const loading = Shop.el("p", { class: "muted", i18n: "loading", id: "sp-loading" });
    host.append(loading);
    const [tickets, suggestions] = await Promise.all([
      Shop.api("/support/tickets", { status: status.value }), Shop.api("/support/suggestions")]);
    loading.remove();
    const detail = Shop.el("div", { id: "sp-detail" }, [Shop.el("p", { class: "muted", i18n: "sp.click" })]);
    const table = Shop.table("tickets-table", [{ key: "ticket_id" }, { key: "priority" }, { key: "reason" },
      { key: "language" }, { key: "status" }, { key: "sla_due" }, { key: "last_message" }], tickets,
    { onClick: (r) => showTicket(r.ticket_id, detail) });
    host.append(Shop.el("div", { class: "grid2" }, [Shop.panel("sp.queue", table), Shop.panel("sp.ticket", detail)]));
    host.append(Shop.panel("sp.suggestions", Shop.table("suggestions-table", [{ key: "language" }, { key: "question" },
      { key: "count", num: true }, { key: "suggested_answer" }], suggestions)));
  },
});

async function showTicket(id, box) {
  box.replaceChildren(Shop.el("p", { class: "muted", i18n: "loading" }));
  const t = await Shop.api("/support/tickets/" + encodeURIComponent(id));
  const log = Shop.el("div", { class: "chat-log", id: "sp-log" });
  t.messages.forEach((m) => log.append(Shop.el("p", { class: "msg msg-" + m.role, "data-role": m.role }, [
    Shop.el("strong", { text: Shop.t("sp.role_" + m.role) + ": " }), Shop.el("span", { text: m.text })])));
  const head = Shop.el("p", { id: "sp-head", text: `${t.ticket_id} · ${t.priority} · ${t.reason} · ${Shop.t("sp.due")} ${t.sla_due}` });
  const text = Shop.el("textarea", { id: "sp-reply", rows: "3" });
  const out = Shop.el("p", { class: "muted", id: "sp-result" });
  const send = async (close) => {
    if (!text.value.trim()) return;
    out.textContent = Shop.t("loading");
    try {
      await Shop.api(`/support/tickets/${encodeURIComponent(id)}/reply`, null, { method: "POST",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text: text.value, close }) });
      await showTicket(id, box);
    } catch (err) { out.textContent = err.message; }
  };
  const buttons = t.status === "open" ? [
    Shop.el("button", { class: "primary", i18n: "sp.send", id: "sp-send", onclick: () => send(false) }),
    Shop.el("button", { i18n: "sp.send_close", id: "sp-send-close", onclick: () => send(true) }),
  ] : [Shop.el("p", { class: "muted", i18n: "sp.closed" })];
  box.replaceChildren(head, log, ...(t.status === "open" ? [text] : []), Shop.el("div", { class: "filters" }, buttons), out);
}
