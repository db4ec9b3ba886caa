// The dashboard shell: sign-in, language, navigation, API calls, and the table/chart helpers pages use.
// Each capability page registers itself with Shop.page(name, {render}) from its own file in pages/.
(function () {
  "use strict";
  const API = "/api/v1";
  const KEY_STORE = "shopops.key", LANG_STORE = "shopops.lang";
  const pages = {};
  let capabilities = [], currency = "GBP", charts = [];

  const Shop = {
    lang: localStorage.getItem(LANG_STORE) || "en",
    page(name, spec) { pages[name] = spec; },
    t(key) { const cat = I18N[Shop.lang] || I18N.en; return cat[key] !== undefined ? cat[key] : (I18N.en[key] || key); },
    key() { return sessionStorage.getItem(KEY_STORE) || ""; },
    me: null,
    can(permission) { return !!Shop.me && Shop.me.permissions.includes(permission); },
    currency() { return currency; },
  };

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }
  Shop.ApiError = ApiError;

  Shop.url = function (path, params) {
    const q = new URLSearchParams();
    Object.entries(params || {}).forEach(([k, v]) => { if (v !== null && v !== undefined && v !== "") q.set(k, v); });
    const s = q.toString();
    return API + path + (s ? "?" + s : "");
  };

  Shop.api = async function (path, params, init) {
    const opts = Object.assign({}, init || {});
    opts.headers = Object.assign({ "X-API-Key": Shop.key() }, opts.headers || {});
    const res = await fetch(Shop.url(path, params), opts);
    Shop.staleBanner(res.headers);
    const type = res.headers.get("content-type") || "";
    if (!res.ok) {
      let message = res.statusText;
      if (type.includes("json")) { try { message = (await res.json()).error || message; } catch (e) { /* keep */ } }
      throw new ApiError(res.status, message);
    }
    return type.includes("json") ? res.json() : res.text();
  };

  // A warehouse older than the lake (new ingests not built yet, or a build killed) is said on every page.
  Shop.staleBanner = function (headers) {
    const banner = document.getElementById("stale-banner");
    if (!banner) return;
    const stale = headers.get("x-warehouse-stale");
    banner.hidden = !stale;
    if (stale) {
      banner.textContent = Shop.t("stale.banner").replace("{n}", headers.get("x-warehouse-missing-batches") || "?")
        .replace("{built}", headers.get("x-warehouse-built-at") || "–");
      banner.title = stale;
    }
  };

  // ---- formatting (locale follows the UI language)
  const locale = () => (Shop.lang === "zh" ? "zh-CN" : "en-GB");
  Shop.fmt = {
    money(v) { return v === null || v === undefined ? "–" : new Intl.NumberFormat(locale(), { style: "currency", currency, maximumFractionDigits: 0 }).format(v); },
    money2(v) { return v === null || v === undefined ? "–" : new Intl.NumberFormat(locale(), { style: "currency", currency, maximumFractionDigits: 2 }).format(v); },
    count(v) { return v === null || v === undefined ? "–" : new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 }).format(v); },
    num(v) { return v === null || v === undefined ? "–" : new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(v); },
    pct(v) { return v === null || v === undefined ? "–" : new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(v); },
    date(v) { return v ? String(v).slice(0, 10) : "–"; },
  };

  Shop.el = function (tag, attrs, children) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "text") e.textContent = v; else if (k === "i18n") { e.dataset.i18n = v; e.textContent = Shop.t(v); }
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else if (v !== null && v !== undefined) e.setAttribute(k, v);
    });
    (children || []).forEach((c) => { if (c !== null && c !== undefined) e.append(c); });
    return e;
  };

  Shop.notice = function (text, id) { return Shop.el("p", { class: "notice", text, "data-testid": id || "notice" }); };

  Shop.panel = function (titleKey, body, id) {
    const p = Shop.el("section", { class: "panel", id: id || null });
    p.append(Shop.el("h2", { i18n: titleKey }));
    (Array.isArray(body) ? body : [body]).forEach((b) => b && p.append(b));
    return p;
  };

  // ---- charts: one palette, responsive, no animation (read at a glance, screenshots deterministic)
  const PALETTE = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#84cc16", "#ec4899"];
  Shop.palette = PALETTE;
  Shop.chart = function (id, config) {
    const box = Shop.el("div", { class: "chart-box" });
    const canvas = Shop.el("canvas", { id, "data-chart": id, role: "img" });
    box.append(canvas);
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false }, plugins: { legend: { position: "bottom" } } }, config.options || {});
    requestAnimationFrame(() => { charts.push(new Chart(canvas, config)); });
    return box;
  };

  // ---- tables: click a header to sort, type to filter
  Shop.table = function (id, columns, rows, opts) {
    opts = opts || {};
    const wrap = Shop.el("div", {});
    const tools = Shop.el("div", { class: "table-tools" });
    const filter = Shop.el("input", { type: "search", placeholder: Shop.t("f.filter"), "data-filter": id });
    const count = Shop.el("span", { class: "muted" });
    tools.append(filter, count);
    const table = Shop.el("table", { class: "data", id, "data-table": id });
    const thead = Shop.el("thead"), tbody = Shop.el("tbody");
    table.append(thead, tbody);
    const scroller = Shop.el("div", { class: "table-wrap" }, [table]);
    wrap.append(tools, scroller);
    let sortCol = null, sortDir = 1, shown = rows.slice();
    const head = Shop.el("tr");
    columns.forEach((c) => {
      const th = Shop.el("th", { i18n: "col." + c.key, class: c.num ? "num" : "", "data-col": c.key });
      th.addEventListener("click", () => {
        sortDir = sortCol === c.key ? -sortDir : (c.num ? -1 : 1); sortCol = c.key;
        head.querySelectorAll("th").forEach((h) => h.classList.remove("sorted-asc", "sorted-desc"));
        th.classList.add(sortDir > 0 ? "sorted-asc" : "sorted-desc");
        draw();
      });
      head.append(th);
    });
    thead.append(head);
    function draw() {
      const needle = filter.value.trim().toLowerCase();
      shown = rows.filter((r) => !needle || columns.some((c) => String(r[c.key] ?? "").toLowerCase().includes(needle)));
      if (sortCol) {
        shown.sort((a, b) => {
          const x = a[sortCol], y = b[sortCol];
          if (x === y) return 0; if (x === null || x === undefined) return 1; if (y === null || y === undefined) return -1;
          return (x < y ? -1 : 1) * sortDir;
        });
      }
      tbody.replaceChildren(...shown.slice(0, 500).map((r) => {
        const tr = Shop.el("tr", { class: opts.onClick ? "clickable" : "" });
        columns.forEach((c) => {
          const v = r[c.key];
          tr.append(Shop.el("td", { class: c.num ? "num" : "", text: c.fmt ? c.fmt(v) : (v ?? ""), "data-value": v ?? "" }));
        });
        if (opts.onClick) tr.addEventListener("click", () => opts.onClick(r));
        return tr;
      }));
      count.textContent = `${shown.length} ${Shop.t("rows")}`;
    }
    filter.addEventListener("input", draw);
    draw();
    return wrap;
  };

  // ---- shell
  function applyI18n(root) {
    document.documentElement.lang = Shop.lang === "zh" ? "zh-CN" : "en";
    (root || document).querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = Shop.t(e.dataset.i18n); });
    document.getElementById("lang-switch").textContent = Shop.t("lang.other");
    const f = document.querySelectorAll("[data-filter]");
    f.forEach((i) => { i.placeholder = Shop.t("f.filter"); });
  }

  function currentPage() {
    const name = (location.hash || "").replace(/^#\/?/, "").split("?")[0];
    return name || "overview";
  }

  function drawNav() {
    const nav = document.getElementById("nav");
    nav.replaceChildren();
    capabilities.filter((c) => c.page && pages[c.page]).forEach((c) => {
      const a = Shop.el("a", { href: "#/" + c.page, i18n: "nav." + c.page, "data-page": c.page });
      if (c.page === currentPage()) a.classList.add("active");
      nav.append(a);
    });
  }

  async function render() {
    charts.forEach((c) => c.destroy()); charts = [];
    const name = currentPage();
    const host = document.getElementById("page");
    host.replaceChildren();
    host.dataset.page = name;
    host.dataset.ready = "0";
    drawNav();
    const cap = capabilities.find((c) => c.page === name);
    const spec = pages[name];
    host.append(Shop.el("h1", { i18n: spec ? "nav." + name : "unavailable" }));
    if (!cap || !spec) { host.append(Shop.notice(Shop.t("unavailable"))); host.dataset.ready = "1"; return; }
    if (!cap.allowed) { host.append(Shop.notice(Shop.t("denied"), "denied")); host.dataset.ready = "1"; return; }
    try {
      await spec.render(host);
    } catch (err) {
      host.append(Shop.notice(err.message || String(err), "error"));
    }
    applyI18n(host);
    // charts are created on the next animation frame; mark the page ready after they exist
    requestAnimationFrame(() => requestAnimationFrame(() => { host.dataset.ready = "1"; }));
  }

  async function signIn() {
    const login = document.getElementById("login"), page = document.getElementById("page");
    if (!Shop.key()) { login.hidden = false; page.hidden = true; document.getElementById("logout").hidden = true; return; }
    try {
      const me = Shop.me = await Shop.api("/me");
      capabilities = await Shop.api("/capabilities");
      try { currency = (await Shop.api("/health")).currency || currency; } catch (e) { /* keep default */ }
      document.getElementById("who").textContent = `${me.name} · ${me.role}`;
      login.hidden = true; page.hidden = false; document.getElementById("logout").hidden = false;
      await render();
    } catch (err) {
      sessionStorage.removeItem(KEY_STORE);
      login.hidden = false; page.hidden = true;
      document.getElementById("login-error").textContent = err.status === 401 ? Shop.t("login.bad") : err.message;
    }
  }

  Shop.start = function () {
    // `shopops demo` prints a URL with the key in the fragment (never sent to the server): take it and
    // drop it from the address bar and history.
    if (location.hash.startsWith("#key=")) {
      sessionStorage.setItem(KEY_STORE, decodeURIComponent(location.hash.slice(5)));
      history.replaceState(null, "", location.pathname + "#/overview");
    }
    applyI18n();
    document.getElementById("lang-switch").addEventListener("click", () => {
      Shop.lang = Shop.lang === "zh" ? "en" : "zh";
      localStorage.setItem(LANG_STORE, Shop.lang);
      applyI18n();
      if (Shop.key() && !document.getElementById("page").hidden) render();
    });
    document.getElementById("logout").addEventListener("click", () => { sessionStorage.removeItem(KEY_STORE); location.hash = ""; signIn(); });
    document.getElementById("login-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(KEY_STORE, document.getElementById("login-key").value.trim());
      document.getElementById("login-key").value = "";
      signIn();
    });
    window.addEventListener("hashchange", () => { if (Shop.key()) render(); });
    signIn();
  };

  window.Shop = Shop;
})();
