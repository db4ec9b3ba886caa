// The chat widget: a customer writes, the bot answers (POST /api/v1/support/messages with a `chat` key).
// Every text is set with textContent, so HTML or script in a message or an answer is shown, never run.
(function () {
  const KEY = "shopops.chat.key", LANG = "shopops.lang";
  let lang = localStorage.getItem(LANG) || ((navigator.language || "en").startsWith("zh") ? "zh" : "en");
  let conversation = null;
  if (location.hash.startsWith("#key=")) {
    sessionStorage.setItem(KEY, decodeURIComponent(location.hash.slice(5)));
    history.replaceState(null, "", location.pathname);
  }
  const $ = (id) => document.getElementById(id);
  const t = (k) => (window.I18N[lang] || window.I18N.en)[k] || window.I18N.en[k] || k;
  function i18n() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = t(e.dataset.i18n); });
    $("chat-input").placeholder = t("chat.placeholder");
    $("chat-lang").textContent = lang === "zh" ? "English" : "中文";
    $("chat-key-row").hidden = Boolean(sessionStorage.getItem(KEY));
  }
  function add(role, text, why) {
    const p = document.createElement("p");
    p.className = "msg msg-" + role;
    p.dataset.role = role;
    p.textContent = text;
    if (why) { const s = document.createElement("span"); s.className = "why"; s.textContent = why; p.append(s); }
    $("chat-log").append(p);
    $("chat-log").scrollTop = $("chat-log").scrollHeight;
    return p;
  }
  $("chat-lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; localStorage.setItem(LANG, lang); i18n(); });
  $("chat-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const typed = $("chat-key").value.trim();
    if (typed) { sessionStorage.setItem(KEY, typed); $("chat-key").value = ""; i18n(); }
    const text = $("chat-input").value;
    if (!text.trim()) return;
    $("chat-input").value = "";
    add("customer", text);
    const pending = add("bot", "…");
    try {
      const res = await fetch("/api/v1/support/messages", { method: "POST",
        headers: { "Content-Type": "application/json", "X-API-Key": sessionStorage.getItem(KEY) || "" },
        body: JSON.stringify({ text, conversation_id: conversation, channel: "chat" }) });
      const body = await res.json();
      if (!res.ok) { pending.className = "msg msg-error"; pending.textContent = body.error || res.statusText; return; }
      conversation = body.conversation_id;
      pending.textContent = body.text;
      const why = [body.intent ? `${body.intent} ${body.confidence.toFixed(2)}` : "", body.source ? body.source.entry_id : "",
        body.looked_up ? `order ${body.looked_up.order_id}` : "", body.ticket_id ? `ticket ${body.ticket_id}` : ""].filter(Boolean).join(" · ");
      if (why) { const s = document.createElement("span"); s.className = "why"; s.textContent = `${t("chat.why")}: ${why}`; pending.append(s); }
    } catch (err) { pending.className = "msg msg-error"; pending.textContent = String(err); }
  });
  i18n();
})();
