// Centrala's web UI: a small script on top of the JSON API. Every call goes
// to /api/v1 with the session cookie; the server checks roles as for any
// other client. Every word comes from the page's language (the i18n
// block); codes from the API (errors, states, reasons, statuses) are
// looked up there, never shown raw.
"use strict";

const T = JSON.parse(document.getElementById("i18n").textContent || "{}");
const LANG = document.documentElement.lang || "bs";
// The browser's number and date formats for the language. Bosnian is
// written as Croatian ("1.234,50", "30. 11. 2026."): Chromium claims
// Bosnian but formats it as the neutral locale ("1,234.50", "2026-11-30").
const LOCALE = { bs: "hr-HR", sr: "sr-Cyrl-BA", en: "en-GB", ru: "ru-RU" }[LANG] || LANG;
const ZONE = document.body.dataset.tz || "UTC";
const CURRENCY = document.body.dataset.currency || "BAM";
const amountFmt = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const $ = (sel) => document.querySelector(sel);
const $$ = (sel) => Array.from(document.querySelectorAll(sel));

// A message with its `{ $name }` variables filled; a key the language
// lacks shows as ⟦key⟧ (the tests look for it).
// Text folded for matching as the server folds it (centrala_domain::fold):
// case, diacritics, "dj" for đ, Cyrillic to Latin, so "cacak" finds Čačak.
const CYR = { а: "a", б: "b", в: "v", г: "g", д: "d", ђ: "dj", е: "e", ё: "e", ж: "z", з: "z", и: "i", й: "j", ј: "j",
  к: "k", л: "l", љ: "lj", м: "m", н: "n", њ: "nj", о: "o", п: "p", р: "r", с: "s", т: "t", ћ: "c", у: "u", ф: "f",
  х: "h", ц: "c", ч: "c", џ: "dz", ш: "s", щ: "sc", ъ: "", ы: "y", ь: "", э: "e", ю: "ju", я: "ja" };
function fold(text) {
  return String(text).toLowerCase().replace(/đ/g, "dj").replace(/[\u0400-\u04ff]/g, (c) => CYR[c] ?? c)
    .normalize("NFD").replace(/\p{M}/gu, "").replace(/\s+/g, " ").trim();
}

function t(key, params) {
  const text = T[key];
  if (text === undefined) return "⟦" + key + "⟧";
  if (!params) return text;
  return text.replace(/\{\s*\$(\w+)\s*\}/g, (m, n) => (params[n] === undefined || params[n] === null ? m : String(params[n])));
}
// A code's words, when there are any (`prefix-code`), else the fallback key's.
const has = (key) => T[key] !== undefined;

// Money in the company's currency, with the sign its people write: the
// convertible mark is "KM" in every language here (browsers print "BAM").
const SIGNS = { BAM: "KM", EUR: "€", RSD: "RSD", HRK: "kn", USD: "$" };
const moneyFmt = SIGNS[CURRENCY]
  ? { format: (n) => amountFmt.format(n) + "\u00a0" + SIGNS[CURRENCY] }
  : new Intl.NumberFormat(LOCALE, { style: "currency", currency: CURRENCY });
function money(v) {
  const n = Number(v);
  return Number.isFinite(n) ? moneyFmt.format(n) : String(v ?? "");
}
// A number as typed (1,5 or 1.5) as the API reads it.
const decimal = (v) => String(v || "").trim().replace(/\s/g, "").replace(",", ".");
const qtyFmt = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 3 });
const qty = (v) => (Number.isFinite(Number(v)) ? qtyFmt.format(Number(v)) : String(v ?? ""));
// A calendar day (YYYY-MM-DD) in the reader's notation.
function day(d) {
  if (!d) return "";
  const [y, m, dd] = String(d).slice(0, 10).split("-").map(Number);
  return new Intl.DateTimeFormat(LOCALE, { day: "numeric", month: "numeric", year: "numeric", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, dd)));
}
// Every time a person reads is in the company's time zone, never the
// browser's or UTC.
function clock(instant) {
  return new Intl.DateTimeFormat(LOCALE, { timeZone: ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .format(new Date(instant));
}
function when(instant) {
  return new Intl.DateTimeFormat(LOCALE, { timeZone: ZONE, day: "numeric", month: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .format(new Date(instant));
}
// Server-rendered amounts and days, in the reader's notation.
function localize(root) {
  for (const e of (root || document).querySelectorAll("[data-money]")) e.textContent = money(e.dataset.money);
  for (const e of (root || document).querySelectorAll("[data-date]")) e.textContent = day(e.dataset.date);
}

async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["content-type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch("/api/v1" + path, opts);
  } catch (_) {
    const err = new Error("network");
    err.body = { code: "network" };
    throw err;
  }
  if (res.status === 401 && document.body.dataset.page !== "login") {
    location.href = "/login";
    throw new Error("logged out");
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error((data && data.error && data.error.code) || String(res.status));
    err.body = (data && data.error) || { code: "internal" };
    throw err;
  }
  return data;
}

// ---- errors: in the reader's words, beside the field at fault -----------------

const MONEY_PARAMS = ["overdue", "over_limit", "headroom", "total"];

function errorText(e) {
  const b = (e && e.body) || { code: "internal" };
  const p = Object.assign({}, b.params || {});
  for (const k of MONEY_PARAMS) if (p[k] !== undefined) p[k] = money(p[k]);
  if (p.status) p.status = t("status-" + p.status);
  if (p.from && has("status-" + p.from)) p.from = t("status-" + p.from);
  if (p.to && has("status-" + p.to)) p.to = t("status-" + p.to);
  const specific = b.field ? "err-" + b.code + "-" + b.field : null;
  let text = specific && has(specific) ? t(specific, p) : has("err-" + b.code) ? t("err-" + b.code, p) : t("err-internal");
  if (b.code === "debt_blocked") text += " " + t(p.override_allowed === true ? "err-debt_blocked-override" : "err-debt_blocked-transfer");
  return text;
}

// Clears the messages and marks of `scope` (a form or section).
function clearErrors(scope) {
  for (const f of scope.querySelectorAll(".invalid")) f.classList.remove("invalid");
  for (const i of scope.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
  for (const m of scope.querySelectorAll(".field-error")) m.textContent = "";
}

// Marks one field: its label red, its input invalid, the message beside it.
function markField(scope, field, text) {
  const box = scope.querySelector("[data-field='" + field + "']");
  const msg = scope.querySelector("#err-" + field) || (box && box.querySelector(".field-error"));
  if (box) {
    box.classList.add("invalid");
    const input = box.querySelector("input, select, textarea");
    if (input) input.setAttribute("aria-invalid", "true");
  }
  if (msg) {
    msg.textContent = msg.textContent ? msg.textContent + " " + text : text;
    return true;
  }
  return false;
}

// Shows an API error once: on its field(s) when it names any, else in
// `out`; an earlier message is gone.
function showError(out, e, scope) {
  if (scope) clearErrors(scope);
  out.className = "error";
  out.textContent = "";
  const b = (e && e.body) || {};
  if (scope && Array.isArray(b.problems) && b.problems.length) {
    for (const p of b.problems) markField(scope, p.field, t("problem-" + p.problem, { value: p.value }));
    out.textContent = errorText(e);
    return;
  }
  if (scope && b.field && markField(scope, b.field, errorText(e))) return;
  out.textContent = errorText(e);
}

function say(out, text) {
  out.className = "ok";
  out.textContent = text;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null && c !== false) e.append(c.nodeType ? c : document.createTextNode(String(c)));
  }
  return e;
}

function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

const stateText = (s, reason) => t("agent-" + s) + (reason ? " (" + (has("nr-" + reason) ? t("nr-" + reason) : reason) + ")" : "");
const mmss = (secs) => Math.floor(secs / 60) + ":" + String(secs % 60).padStart(2, "0");

localize();

const logout = $("#logout");
if (logout) {
  logout.addEventListener("click", async () => {
    await api("POST", "/auth/logout").catch(() => {});
    location.href = "/login";
  });
}
// Every member chooses their own language; it is kept with them.
const myLang = $("#my-lang");
if (myLang) {
  myLang.addEventListener("change", async () => {
    await api("PUT", "/auth/me", { locale: myLang.value }).catch(() => {});
    location.reload();
  });
}

// ---- login ---------------------------------------------------------------

if (document.body.dataset.page === "login") {
  $("#login-lang").addEventListener("change", () => { location.href = "/login?lang=" + encodeURIComponent($("#login-lang").value); });
  $("#login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/auth/login", {
        company: $("#company").value.trim(),
        username: $("#username").value.trim(),
        password: $("#password").value,
        locale: $("#login-lang").value,
      });
      location.href = "/";
    } catch (e) {
      $("#login-error").textContent = errorText(e);
    }
  });
}

// ---- operator desk ---------------------------------------------------------

const desk = { card: null, order: null, types: {}, choosing: [] };

function personText(target) {
  if (!target) return "";
  const m = desk.card && desk.card.manager;
  if (target.username && m && m.username === target.username) return m.full_name + " (" + m.username + ")";
  if (target.username) return target.username;
  if (target.heads && target.heads.length) return target.heads.join(", ");
  return t("target-" + target.kind) + (target.department ? " (" + target.department + ")" : "");
}
// A client type in words: the five of the order desk are worded in every
// language; a company's own types by the name its data gives them.
// The built-in operator queue in words; a company's own queues by the
// name it gave them.
const queueName = (q) => (q === "operators" ? t("queue-operators") : q.startsWith("operators:") ? t("queue-" + q.slice(10)) : q);
// The demo's units in words; a company's own by the word its data gives.
const unitName = (u) => (has("unit-" + u) ? t("unit-" + u) : u);
const typeName = (code) => (has("ctype-" + code) ? t("ctype-" + code) : desk.types[code] || code);

async function search(q) {
  const list = $("#client-results");
  list.replaceChildren();
  if (!q.trim()) return [];
  const rows = await api("GET", "/clients?limit=20&q=" + encodeURIComponent(q));
  if (!rows.length) list.append(el("li", { class: "muted" }, t("search-empty")));
  // Nobody found: the caller may be registered as a new client (OD-15).
  $("#register-open").hidden = rows.length > 0;
  for (const r of rows) {
    list.append(el("li", {}, el("button", { type: "button", class: "pick", "data-code": r.code, onclick: () => openCard(r.code) },
      r.code + " — " + r.name + " (" + typeName(r.type) + ", " + r.region + ")")));
  }
  return rows;
}

function blockText(c) {
  if (!c.block_reason) return "";
  return t("block-" + c.block_reason, { overdue: money(c.overdue), over_limit: money(c.over_limit) });
}

async function openCard(code) {
  const c = await api("GET", "/clients/" + encodeURIComponent(code));
  desk.card = c;
  $("#case-box").hidden = false;
  $("#case-msg").textContent = "";
  $("#ref-box").hidden = false;
  $("#ref-msg").textContent = "";
  $("#ref-to").value = c.email || "";
  // The card's address and its contacts' are offered as recipients.
  $("#ref-to-list").replaceChildren(
    ...(c.email ? [el("option", { value: c.email }, c.name)] : []),
    ...c.contacts.filter((k) => k.email).map((k) => el("option", { value: k.email }, k.name)));
  desk.order = null;
  $("#order").hidden = true;
  kbSuggest().catch(() => {});
  const card = $("#card");
  card.hidden = false;
  const receivers = c.contacts.filter((k) => k.authorized_to_receive).map((k) => k.name);
  const open = c.open_receivables;
  const parts = [
    el("h2", { id: "card-name" }, c.name, " ", el("span", { class: "muted" }, c.code)),
    c.blocked ? el("div", { id: "card-blocked", class: "blocked", role: "alert" },
      el("strong", {}, t("card-blocked")), " — ", blockText(c), ". ",
      t("card-transfer") + ": ", el("strong", { id: "card-transfer" }, personText(c.transfer_to))) : null,
    c.key_client ? el("p", { class: "notice" }, t("card-key-client")) : null,
    c.new_client ? el("p", { class: "notice" }, t("card-new-client")) : null,
    c.dormant ? el("p", { class: "notice" }, t("card-dormant")) : null,
    el("dl", {},
      el("dt", {}, t("card-type")), el("dd", {}, typeName(c.type)),
      el("dt", {}, t("card-region")), el("dd", {}, c.region || "—"),
      el("dt", {}, t("card-manager")), el("dd", { id: "card-manager" }, c.manager
        ? c.manager.full_name + (c.manager.present ? "" : " (" + t("card-manager-absent") + " " + day(c.manager.away_until) + ")")
        : "—"),
      el("dt", {}, t("card-credit-limit")), el("dd", {}, money(c.credit_limit)),
      el("dt", {}, t("card-open")), el("dd", {}, money(c.open_total)),
      el("dt", {}, t("card-overdue")), el("dd", { id: "card-overdue" }, money(c.overdue)),
      el("dt", {}, t("card-headroom")), el("dd", { id: "card-headroom" }, money(c.credit_headroom)),
      el("dt", {}, t("card-column")), el("dd", {}, c.price_column + (c.price_rule ? " (" + c.price_rule + ")" : "")),
      el("dt", {}, t("card-receivers")), el("dd", {}, receivers.join(", ") || "—"),
      el("dt", {}, t("card-phones")), el("dd", {}, c.phones.join(", ") || "—")),
    el("div", { class: "row" },
      el("button", { id: "new-order", type: "button", onclick: () => newOrder(), "aria-keyshortcuts": "Alt+N" }, t("order-new")),
      c.phones.length ? el("button", { id: "dial", type: "button", class: "secondary", onclick: () => dial(c.phones[0]) },
        t("call-dial") + " " + c.phones[0]) : null),
    el("p", { id: "card-error", class: "error", role: "alert" }),
    el("form", { id: "override", hidden: true, onsubmit: (ev) => { ev.preventDefault(); newOrder($("#override-reason").value); } },
      el("label", { "data-field": "override_reason" }, t("override-label"),
        el("textarea", { id: "override-reason", rows: "2", minlength: "10", required: true }),
        el("span", { class: "field-error" })),
      el("button", { type: "submit", id: "override-submit" }, t("override-submit"))),
    open.length ? el("section", { id: "card-invoices" },
      el("h3", {}, t("card-invoices")),
      el("table", {},
        el("thead", {}, el("tr", {}, ...["col-invoice", "col-due", "col-days-late", "col-open"].map((k) => el("th", { scope: "col" }, t(k))))),
        el("tbody", {}, ...open.map((r) => el("tr", { class: r.overdue ? "late" : "", "data-invoice": r.invoice },
          el("td", {}, r.invoice), el("td", {}, day(r.due)),
          el("td", { class: "num" }, r.overdue ? String(daysLate(r.due)) : "—"), el("td", { class: "num" }, money(r.open))))))) : null,
    el("section", { id: "card-history" }, el("h3", {}, t("card-last-orders")),
      c.last_orders.length ? el("table", {},
        el("thead", {}, el("tr", {}, ...["col-date", "col-order", "col-status", "col-value", "col-actions"].map((k) => el("th", { scope: "col" }, t(k))))),
        el("tbody", {}, ...c.last_orders.map((o) => el("tr", { "data-order": o.order_no },
          el("td", {}, day(o.date)), el("td", {}, el("a", { href: "/orders/" + o.id, target: "_blank" }, o.order_no)),
          el("td", {}, t("status-" + o.status)), el("td", { class: "num" }, money(o.total)),
          el("td", {}, el("button", { type: "button", class: "secondary repeat", "data-id": String(o.id), onclick: () => repeatOrder(o.id) },
            t("order-repeat"), el("span", { class: "visually-hidden" }, " " + o.order_no))))))) : el("p", { class: "muted" }, "—")),
    el("section", { id: "card-contacts-log" }, el("h3", {}, t("card-interactions")), el("ul", { id: "card-interactions", class: "list" })),
  ];
  card.replaceChildren(...parts.filter((p) => p));
  const select = $("#d-receiver");
  select.replaceChildren(...receivers.map((r) => el("option", { value: r }, r)));
  for (const l of $$(".regional")) l.hidden = c.type !== "regional";
  loadInteractions(c.code).catch(() => {});
}

function daysLate(due) {
  const today = document.body.dataset.today;
  return Math.max(0, Math.round((Date.parse(today) - Date.parse(due)) / 86400000));
}

// Every call with this client: when, which way, how it ended, who took
// it, the notes, and (for those allowed) the recording.
async function loadInteractions(code) {
  const rows = await api("GET", "/interactions?client=" + encodeURIComponent(code) + "&limit=10");
  const list = $("#card-interactions");
  if (!list) return;
  if (!rows.length) {
    list.replaceChildren(el("li", { class: "muted" }, t("card-no-interactions")));
    return;
  }
  list.replaceChildren(...rows.map((i) => el("li", { "data-interaction": String(i.id) },
    el("strong", {}, when(i.arrived_at)), " · ", t("dir-" + i.direction), " · ", t("disp-" + i.disposition),
    i.handled_by ? " · " + i.handled_by : "", i.wrap_up ? " · " + i.wrap_up_name : "",
    i.notes ? el("span", { class: "muted" }, " — " + i.notes) : null,
    i.recording ? [" ", el("a", { href: "/api/v1/interactions/" + i.id + "/recording" }, t("card-recording"))] : null)));
}

// A caller who is no client yet, registered from the desk: it gets a code
// and no manager, and the heads see it at once to assign one (OD-15).
function openRegister(phone) {
  const form = $("#register-form");
  form.hidden = false;
  $("#register-open").hidden = true;
  $("#rg-type").replaceChildren(...Object.keys(desk.types).map((c) => el("option", { value: c, selected: c === "retail" }, typeName(c))));
  const q = $("#client-q").value.trim();
  $("#rg-phone").value = phone || (/^[+0-9 ()/-]{6,}$/.test(q) ? q : "");
  $("#rg-name").value = phone || /^[+0-9 ()/-]{6,}$/.test(q) ? "" : q;
  $("#rg-name").focus();
}

async function register(ev) {
  ev.preventDefault();
  const form = $("#register-form");
  clearErrors(form);
  try {
    const c = await api("POST", "/clients", {
      name: $("#rg-name").value, phone: $("#rg-phone").value, region: $("#rg-region").value, type: $("#rg-type").value,
    });
    form.hidden = true;
    form.reset();
    say($("#register-msg"), t("register-done", { code: c.code, name: c.name }));
    await openCard(c.code);
  } catch (e) {
    showError($("#register-msg"), e, form);
  }
}

async function newOrder(overrideReason) {
  const out = $("#card-error");
  out.textContent = "";
  const form = $("#override");
  clearErrors(form);
  try {
    const body = { client: desk.card.code };
    if (overrideReason !== undefined) body.override_reason = overrideReason;
    const o = await api("POST", "/orders", body);
    form.hidden = true;
    showOrder(o);
    $("#sku").focus();
    return o;
  } catch (e) {
    const b = e.body || {};
    const to = b.transfer_to ? " " + t("card-transfer") + ": " + personText(b.transfer_to) + "." : "";
    out.textContent = errorText(e) + to;
    if (b.code === "debt_blocked" && b.params && b.params.override_allowed) {
      form.hidden = false;
      if (overrideReason !== undefined) markField(form, "override_reason", t("override-too-short"));
      $("#override-reason").focus();
    }
    return null;
  }
}

// A past order again, as a new draft with the same lines.
async function repeatOrder(id) {
  const past = await api("GET", "/orders/" + id);
  const o = await newOrder();
  if (!o) return;
  let last = o;
  for (const l of past.lines) {
    try {
      last = await api("POST", "/orders/" + o.id + "/lines", { sku: l.sku, quantity: l.quantity });
    } catch (e) {
      showError($("#order-msg"), e);
    }
  }
  showOrder(last);
}

function showOrder(o) {
  desk.order = o;
  const draft = o.status === "draft";
  $("#order").hidden = false;
  $("#order-no").textContent = o.order_no;
  $("#order-status").textContent = t("status-" + o.status);
  $("#order-status").dataset.status = o.status;
  $("#order-column").textContent = t("card-column") + " " + o.price_column + (o.price_rule ? " · " + o.price_rule : "");
  for (const id of ["#line-form", "#delivery", "#confirm", "#recos"]) $(id).hidden = !draft;
  $("#lines tbody").replaceChildren(...o.lines.map((l) => el("tr", { "data-sku": l.sku },
    el("td", {}, l.sku), el("td", {}, l.name), el("td", { class: "num" }, qty(l.quantity)), el("td", {}, unitName(l.unit)),
    el("td", { class: "num" }, qty(l.stock)), el("td", { class: "num" }, money(l.unit_price)), el("td", { class: "num" }, money(l.amount)),
    el("td", {}, draft ? [
      el("button", { type: "button", class: "secondary edit", onclick: () => editLine(l) }, t("order-edit"), el("span", { class: "visually-hidden" }, " " + l.name)),
      el("button", { type: "button", class: "secondary remove", onclick: () => setLine(l.sku, "0") }, t("order-remove"), el("span", { class: "visually-hidden" }, " " + l.name)),
    ] : null))));
  $("#total").textContent = money(o.total);
  const headroom = desk.card ? Number(desk.card.credit_headroom) : Infinity;
  $("#headroom-warning").textContent = draft && Number(o.total) > headroom
    ? t("order-over-headroom", { headroom: money(headroom) }) : "";
  $("#offer-counter").textContent = t("order-offers", { done: o.offers_done, required: o.offers_required });
  if (draft) loadRecommendations().catch(() => {});
  else $("#order-msg").append(" ", el("a", { href: "/orders/" + o.id }, t("order-open")));
  kbSuggest().catch(() => {});
}

function editLine(l) {
  $("#sku").value = l.sku;
  $("#qty").value = l.quantity;
  $("#qty-unit").textContent = "(" + unitName(l.unit) + ")";
  $("#qty").focus();
  $("#qty").select();
}

async function loadRecommendations() {
  const o = desk.order;
  const recos = await api("GET", "/orders/" + o.id + "/recommendations");
  $("#recos").replaceChildren(...recos.map((r) => {
    const li = el("li", { "data-sku": r.sku, "data-reason": r.reason },
      el("strong", {}, r.name), el("span", { class: "badge" }, t("reco-" + r.reason)),
      el("span", { class: "why" }, t("why-" + r.reason, r.params.type ? { ...r.params, type: typeName(r.params.type) } : r.params) + " · " + money(r.price) + " / " + unitName(r.unit)));
    if (r.offered) {
      li.append(el("span", { class: "muted answered" }, r.offered === "accepted" ? t("order-accepted") : t("order-declined")));
      return li;
    }
    const amount = el("input", { class: "offer-qty", inputmode: "decimal", value: r.usual_quantity, "aria-label": t("order-quantity") + " — " + r.name, hidden: true });
    const accept = el("button", { type: "button", class: "accept", "data-sku": r.sku }, t("order-accept"));
    const take = () => offer(r.sku, "accepted", amount.value, li);
    accept.addEventListener("click", () => {
      // The first press asks how much (what the client usually takes).
      if (amount.hidden) {
        amount.hidden = false;
        amount.focus();
        amount.select();
      } else {
        take();
      }
    });
    amount.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); take(); } });
    li.append(amount, accept,
      el("button", { type: "button", class: "decline secondary", "data-sku": r.sku, onclick: () => offer(r.sku, "declined", null, li) }, t("order-decline")),
      el("span", { class: "field-error" }));
    return li;
  }));
}

async function offer(sku, answer, quantity, li) {
  try {
    const body = { sku, answer };
    if (answer === "accepted" && quantity) body.quantity = decimal(quantity);
    showOrder(await api("POST", "/orders/" + desk.order.id + "/offers", body));
    const next = $("#recos li:not(:has(.answered)) button.accept");
    if (next) next.focus();
  } catch (e) {
    const out = li ? li.querySelector(".field-error") : $("#order-msg");
    out.textContent = errorText(e);
  }
}

async function setLine(sku, quantity) {
  const form = $("#line-form");
  clearErrors(form);
  $("#order-msg").textContent = "";
  try {
    showOrder(await api("POST", "/orders/" + desk.order.id + "/lines", { sku, quantity }));
    return true;
  } catch (e) {
    showError($("#order-msg"), e, form);
    return false;
  }
}

// Enter on typed text takes the best match: the exact code, or the only
// product found; several show as choices to pick from.
async function addLine(ev) {
  ev.preventDefault();
  const raw = $("#sku").value.trim();
  const list = $("#sku-choices");
  list.hidden = true;
  if (!raw) return;
  let sku = raw.split(" — ")[0];
  if (!raw.includes(" — ")) {
    const rows = await api("GET", "/products?limit=15&q=" + encodeURIComponent(raw));
    const exact = rows.find((p) => p.sku.toLowerCase() === raw.toLowerCase());
    if (exact) sku = exact.sku;
    else if (rows.length === 1) sku = rows[0].sku;
    else if (rows.length > 1) {
      list.hidden = false;
      list.replaceChildren(...rows.map((p) => el("li", {}, el("button", { type: "button", class: "pick", "data-sku": p.sku,
        onclick: () => { $("#sku").value = p.sku; list.hidden = true; $("#line-form").requestSubmit(); } },
        p.sku + " — " + p.name + " · " + money(p.prices[desk.order.price_column - 1]) + " / " + unitName(p.unit) + " · " + t("col-stock") + " " + qty(p.stock)))));
      list.querySelector("button").focus();
      return;
    }
  }
  if (await setLine(sku, decimal($("#qty").value) || "1")) {
    $("#sku").value = "";
    $("#qty").value = "1";
    $("#qty-unit").textContent = "";
    $("#sku").focus();
  }
}

async function suggestProducts() {
  const q = $("#sku").value.trim();
  if (q.length < 2 || q.includes(" — ")) return;
  const rows = await api("GET", "/products?limit=15&q=" + encodeURIComponent(q));
  const col = desk.order ? desk.order.price_column - 1 : 0;
  $("#sku-list").replaceChildren(...rows.map((p) => el("option", { value: p.sku + " — " + p.name }, money(p.prices[col]) + " / " + unitName(p.unit))));
  const exact = rows.find((p) => p.sku.toLowerCase() === q.toLowerCase());
  $("#qty-unit").textContent = exact ? "(" + unitName(exact.unit) + ")" : "";
}

async function confirmOrder() {
  const msg = $("#order-msg");
  const form = $("#delivery");
  clearErrors(form);
  msg.textContent = "";
  const val = (id) => $(id).value.trim() || null;
  const receiver = $("#d-receiver").value;
  try {
    await api("PUT", "/orders/" + desk.order.id + "/delivery", {
      date: val("#d-date"), window_from: val("#d-from"), window_to: val("#d-to"),
      receivers: receiver ? [receiver] : [], payment_form: val("#d-payment"),
      pickup_at: val("#d-pickup"), shipping_details: val("#d-shipping"),
    });
    const o = await api("POST", "/orders/" + desk.order.id + "/confirm");
    say(msg, o.notified && o.notified.length
      ? t("order-confirmed-to", { order: o.order_no, people: o.notified.join(", ") })
      : t("order-confirmed", { order: o.order_no }));
    msg.dataset.order = o.order_no;
    showOrder(o);
  } catch (e) {
    showError(msg, e, form);
  }
}

// The ACD's own changes come on the event stream; an answer to a request
// sent before the latest of them is stale (a call may have been offered
// and answered meanwhile) and is not shown.
let stateSeen = 0;

async function setState(state, reason) {
  try {
    const asked = stateSeen;
    const s = await api("PUT", "/agents/me/state", { state, reason });
    if (stateSeen === asked) showState(s);
  } catch (e) {
    showError($("#call-msg"), e);
  }
}

function showState(s) {
  $("#my-state").textContent = stateText(s.state, s.reason);
  $("#my-state").dataset.state = s.state;
}

// ---- calls on the desk: pop-up, transfer, notes, click-to-call ----------------

// The call the desk shows: its interaction, its phase (ringing, talking,
// ended, missed), since when it talks, until when the wrap-up runs, and
// whether its notes are saved.
const call = { id: null, phase: null, since: 0, wrapUntil: 0, saved: true, held: false, muted: false };

// The chats offered to me and those I hold (from the server: a reload
// shows the same), and the one open in the pane. (Declared before the
// desk's start-up code below uses it.)
const chats = { list: [], open: null, current: null, typedAt: 0 };
// The e-mail conversations offered to me and held, and the one open.
const emails = { list: [], open: null, current: null };

function showCall(kind, d) {
  if (call.id !== d.interaction) {
    call.saved = false;
    call.since = Date.now();
    call.held = false;
    call.muted = false;
    $("#call-hold").textContent = t("call-hold");
    $("#call-mute").textContent = t("call-mute");
  }
  call.id = d.interaction;
  call.phase = kind === "call_answered" ? "talking" : "ringing";
  const box = $("#call");
  box.hidden = false;
  box.dataset.state = kind;
  $("#call-title").textContent = t(kind === "call_answered" ? "call-on" : "call-incoming");
  $("#call-who").textContent = (d.client_name ? d.client_name + " · " : "") + d.caller +
    (d.identity === "unverified" ? " (" + t("call-unverified") + ")" : "");
  $("#call-actions").hidden = kind !== "call_answered";
  $("#call-notes").hidden = kind !== "call_answered";
  if (kind === "call_answered") loadTargets().catch(() => {});
  // A campaign's call (progressive): its script and result buttons.
  if (d.campaign && kind === "call_answered") campNext().catch(() => {});
  $("#call-msg").textContent = "";
  // Opening the caller's card brings the knowledge suggestions with it.
  if (d.client && (!desk.card || desk.card.code !== d.client)) openCard(d.client).catch(() => {});
  else if (kind === "call_answered") kbSuggest().catch(() => {});
  // A stranger on the line: one click registers the number as a new client.
  if (!d.client && kind === "call_answered") {
    $("#call-msg").replaceChildren(el("button", { type: "button", class: "secondary", id: "register-caller", onclick: () => openRegister(d.caller) },
      t("register-caller")));
  }
}

// The desk follows the call from the server's truth: on load and after
// every change of the agent's state it asks what the agent is on now, so a
// reload or a login elsewhere shows the same call, and a call that ended
// or rang out leaves the panel saying so.
async function follow() {
  const s = await api("GET", "/agents/me/state");
  showState(s);
  // Whether a call can ring the agent's phone now.
  const p = s.phone;
  $("#my-phone").textContent = !p ? t("phone-none") : t(p.registered ? "phone-up" : "phone-down", { user: p.user });
  $("#my-phone").dataset.ok = String(!!(p && p.registered));
  const c = s.contact;
  const box = $("#call");
  if (c) {
    const kind = c.phase === "talking" ? "call_answered" : "call_offered";
    if (call.id !== c.interaction || call.phase !== (c.phase === "talking" ? "talking" : "ringing")) showCall(kind, c);
    if (c.phase === "talking") call.since = Date.now() - s.in_state_s * 1000;
  } else if (call.id && call.phase === "talking") {
    // It ended: the notes stay with the finished call until saved.
    call.phase = "ended";
    call.wrapUntil = s.wrap_up_left_s != null ? Date.now() + s.wrap_up_left_s * 1000 : 0;
    box.dataset.state = "ended";
    $("#call-title").textContent = t("call-ended");
    $("#call-actions").hidden = true;
    call.consult = null;
    $("#consult-bar").hidden = true;
    $("#call-notes").hidden = false;
    if (call.saved) box.hidden = true;
  } else if (call.phase === "ringing") {
    const missed = s.state === "not_ready" && (s.reason === "no_answer" || s.reason === "declined");
    call.phase = missed ? "missed" : null;
    if (missed) {
      box.dataset.state = "missed";
      $("#call-title").textContent = t("call-missed");
      $("#call-actions").hidden = true;
      $("#call-notes").hidden = true;
      $("#call-msg").className = "error";
      $("#call-msg").textContent = t("missed-" + s.reason);
    } else {
      box.hidden = true;
    }
  } else if (call.phase === "missed" && s.state !== "not_ready") {
    call.phase = null;
    box.hidden = true;
  } else if (call.phase === "ended" && s.state !== "wrap_up") {
    call.wrapUntil = 0;
  }
}

// The talk timer and the wrap-up countdown, once a second.
function tick() {
  const out = $("#call-timer");
  if (!out) return;
  if (call.phase === "talking") out.textContent = mmss(Math.floor((Date.now() - call.since) / 1000));
  else if (call.phase === "ended" && call.wrapUntil) {
    out.textContent = t("call-wrap-left", { time: mmss(Math.max(0, Math.ceil((call.wrapUntil - Date.now()) / 1000))) });
  } else out.textContent = "";
}

// Whom the call may go to, each saying now whether they can take it: the
// three role buttons name the person and are off with the reason when
// nobody can ring; the other colleagues are listed with their state.
async function loadTargets() {
  const targets = await api("GET", "/interactions/" + call.id + "/transfer-targets");
  const why = (x) => (x.reachable ? (x.state ? t("agent-" + x.state) : "") : t("why-" + x.why));
  for (const x of targets.slice(0, 3)) {
    const b = $("#xfer-" + x.to);
    if (!b) continue;
    b.textContent = t("call-transfer-" + x.to) + (x.names.length ? ": " + x.names.join(", ") : "");
    b.disabled = !x.reachable;
    b.title = x.reachable ? "" : why(x);
    if (!x.reachable) b.append(" — " + why(x));
  }
  $("#xfer-other").replaceChildren(el("option", { value: "" }, t("xfer-other")),
    ...targets.slice(3).map((x) => el("option", { value: x.to, disabled: !x.reachable }, x.names.join(", ") + (why(x) ? " — " + why(x) : ""))));
}

// Hold, mute and hang up act on our relay, whatever the phone.
async function control(action, keys) {
  try {
    await api("POST", "/interactions/" + call.id + "/control", keys ? { action, keys } : { action });
    if (action === "keys") $("#call-keys").value = "";
    if (action === "hold" || action === "resume") {
      call.held = action === "hold";
      $("#call-hold").setAttribute("aria-pressed", String(call.held));
      $("#call-hold").textContent = t(call.held ? "call-resume" : "call-hold");
      say($("#call-msg"), call.held ? t("call-on-hold") : "");
    } else if (action === "record_pause" || action === "record_resume") {
      call.recordPaused = action === "record_pause";
      $("#call-record").setAttribute("aria-pressed", String(call.recordPaused));
      $("#call-record").textContent = t(call.recordPaused ? "call-record-resume" : "call-record-pause");
      say($("#call-msg"), call.recordPaused ? t("call-record-paused") : "");
    } else if (action === "mute" || action === "unmute") {
      call.muted = action === "mute";
      $("#call-mute").setAttribute("aria-pressed", String(call.muted));
      $("#call-mute").textContent = t(call.muted ? "call-unmute" : "call-mute");
      say($("#call-msg"), call.muted ? t("call-muted") : "");
    }
  } catch (e) {
    showError($("#call-msg"), e);
  }
}

// A warm transfer (OD-11): the caller holds while the colleague picked in
// the list rings; the server says on the event stream whether they
// answered, and every step after.
async function consult() {
  const to = $("#xfer-other").value;
  if (!to) return say($("#call-msg"), t("xfer-pick"));
  try {
    await api("POST", "/interactions/" + call.id + "/control", { action: "consult", to });
    call.consult = { to, name: $("#xfer-other").selectedOptions[0].textContent.split(" — ")[0] };
    showConsult("call-consulting", false);
  } catch (e) {
    showError($("#call-msg"), e);
  }
}

// The consultation's bar: its state in words, the buttons that fit it.
function showConsult(key, talking) {
  const bar = $("#consult-bar");
  bar.hidden = !call.consult;
  $("#consult-state").textContent = call.consult ? t(key, { name: call.consult.name }) : "";
  $("#consult-conference").disabled = !talking;
  $("#consult-complete").disabled = !talking;
}

function consultEvent(kind, d) {
  if (!call.consult || String(d.interaction) !== String(call.id)) return;
  if (d.colleague) call.consult.name = d.colleague;
  if (kind === "consult_talking") showConsult("call-consult-talking", true);
  else if (kind === "conference") showConsult("call-in-conference", true);
  else {
    const name = call.consult.name;
    call.consult = null;
    showConsult("", false);
    say($("#call-msg"), t(kind === "consult_missed" ? "call-consult-missed" : "call-consult-ended", { name }));
  }
}

async function consultStep(action) {
  try {
    if (action === "complete") {
      await transfer(call.consult.to);
      call.consult = null;
      showConsult("", false);
    } else {
      await api("POST", "/interactions/" + call.id + "/control", { action });
    }
  } catch (e) {
    showError($("#call-msg"), e);
  }
}

async function transfer(to) {
  try {
    const r = await api("POST", "/interactions/" + call.id + "/transfer", { to });
    say($("#call-msg"), t("call-transferred") + " " + (r.ringing.join(", ") || t("target-operators")));
    $("#call-actions").hidden = true;
  } catch (e) {
    showError($("#call-msg"), e);
  }
}

async function saveNote() {
  try {
    await api("PUT", "/interactions/" + call.id + "/notes",
      { notes: $("#call-note").value, wrap_up: $("#call-wrap").value || null });
    call.saved = true;
    say($("#call-msg"), t("call-saved"));
  } catch (e) {
    showError($("#call-msg"), e);
  }
}

// A client's comment, wish, complaint or claim: a case for the department
// concerned, about the open card and the call on the line (if any).
async function raiseCase(ev) {
  ev.preventDefault();
  const form = $("#case-form");
  const body = {
    category: $("#case-category").value,
    subject: $("#case-subject").value,
    description: $("#case-description").value,
    client: desk.card ? desk.card.code : null,
  };
  if (call.id) body.interaction = call.id;
  try {
    const c = await api("POST", "/cases", body);
    clearErrors(form);
    form.reset();
    say($("#case-msg"), t("case-raised", { id: c.id, due: when(c.due_at) }));
  } catch (e) {
    showError($("#case-msg"), e, form);
  }
}

async function dial(number, campaign) {
  const box = $("#call");
  box.hidden = false;
  try {
    const r = await api("POST", "/calls", campaign ? { number, campaign } : { number });
    call.id = r.interaction;
    $("#call-title").textContent = t("call-dial");
    $("#call-who").textContent = number;
    say($("#call-msg"), t("call-dialing"));
    $("#call-notes").hidden = false;
  } catch (e) {
    showError($("#call-msg"), e);
  }
}

// A raised hand: the supervisors' wallboard shows it at once, with the
// call; it goes down when the agent lowers it or a supervisor answers.
let handUp = false;
function showHand(up) {
  handUp = up;
  $("#hand").setAttribute("aria-pressed", String(up));
  $("#hand").textContent = t(up ? "hand-lower" : "hand-raise");
}
async function toggleHand() {
  try {
    const r = await api("POST", "/agents/me/hand", { raised: !handUp });
    showHand(r.raised);
  } catch (e) {
    showError($("#call-msg"), e);
  }
}

// The ten most frequent actions, from the keyboard (listed on `?`).
function shortcut(ev) {
  const help = $("#help");
  const typing = ev.target.closest && ev.target.closest("input, textarea, select");
  if (ev.key === "?" && !typing && !ev.altKey) {
    ev.preventDefault();
    help.showModal();
    return;
  }
  if (!ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const unanswered = () => $("#recos li:not(:has(.answered))");
  const acts = {
    KeyK: () => { $("#client-q").focus(); $("#client-q").select(); },
    KeyN: () => { if (desk.card) newOrder(); },
    KeyP: () => { if (desk.order) $("#sku").focus(); },
    KeyA: () => { const li = unanswered(); if (li) li.querySelector("button.accept").click(); },
    KeyD: () => { const li = unanswered(); if (li) li.querySelector("button.decline").click(); },
    Enter: () => { if (desk.order && desk.order.status === "draft") confirmOrder(); },
    NumpadEnter: () => { if (desk.order && desk.order.status === "draft") confirmOrder(); },
    KeyB: () => { if (!$("#call-notes").hidden) $("#call-note").focus(); },
    KeyR: () => setState("ready"),
    KeyU: () => setState("not_ready", $("#nr-reason").value),
    KeyW: () => setState("wrap_up_done"),
    KeyH: () => toggleHand(),
    KeyZ: () => { $("#kb-q").focus(); $("#kb-q").select(); },
  };
  const act = acts[ev.code];
  if (act) {
    ev.preventDefault();
    act();
  }
}

// ---- the softphone: the browser as the operator's phone (CC-11) ------------
// While it is on, one WebRTC connection stays up (set up once, so a call is
// answered with no new handshake), with a WebSocket beside it that carries
// the offer and answer, the rings, and the answer or decline. A lost
// network reconnects by itself; a second window of the same person takes
// the phone over. The server is ICE-lite: the browser's own candidates need
// not be sent.
const phone = { on: false, ws: null, pc: null, stream: null, ringing: null, retry: 0, ring: null };

function spState(key) {
  $("#sp-state").textContent = t(key);
  $("#sp-state").dataset.state = key;
}

async function spDevices() {
  const list = await navigator.mediaDevices.enumerateDevices();
  const fill = (sel, kind, saved) => {
    sel.replaceChildren(el("option", { value: "" }, t("sp-default")),
      ...list.filter((d) => d.kind === kind && d.deviceId && d.deviceId !== "default")
        .map((d) => el("option", { value: d.deviceId }, d.label || kind + " " + d.deviceId.slice(0, 6))));
    sel.value = localStorage.getItem(saved) || "";
    if (sel.value !== (localStorage.getItem(saved) || "")) sel.value = "";
  };
  fill($("#sp-mic"), "audioinput", "sp-mic");
  fill($("#sp-speaker"), "audiooutput", "sp-speaker");
  spSpeaker();
}

// The speaker chosen, where the browser lets a page choose one.
function spSpeaker() {
  const a = $("#sp-audio");
  if (a.setSinkId) a.setSinkId(localStorage.getItem("sp-speaker") || "").catch(() => {});
}

async function spMicrophone() {
  const mic = localStorage.getItem("sp-mic") || "";
  return navigator.mediaDevices.getUserMedia({ audio: mic ? { deviceId: { exact: mic } } : true })
    .catch(() => navigator.mediaDevices.getUserMedia({ audio: true }));
}

async function spConnect() {
  if (!phone.on) return;
  spState("sp-connecting");
  try {
    phone.stream = phone.stream || (await spMicrophone());
  } catch (_) {
    spOff();
    $("#sp-msg").className = "error";
    $("#sp-msg").textContent = t("sp-no-mic");
    return;
  }
  spDevices().catch(() => {});
  const ws = new WebSocket((location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + "/api/v1/softphone");
  const pc = new RTCPeerConnection();
  phone.ws = ws;
  phone.pc = pc;
  for (const track of phone.stream.getAudioTracks()) pc.addTrack(track, phone.stream);
  pc.ontrack = (ev) => { $("#sp-audio").srcObject = ev.streams[0] || new MediaStream([ev.track]); };
  pc.onconnectionstatechange = () => {
    if (pc !== phone.pc) return;
    if (pc.connectionState === "connected") {
      phone.retry = 0;
      spState("sp-on");
      $("#sp-msg").textContent = "";
      follow().catch(() => {});
    } else if (pc.connectionState === "failed" || pc.connectionState === "disconnected") spLost();
  };
  ws.onopen = async () => {
    await pc.setLocalDescription(await pc.createOffer());
    ws.send(JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp }));
  };
  ws.onmessage = (ev) => spEvent(JSON.parse(ev.data), pc);
  ws.onclose = () => { if (ws === phone.ws) spLost(); };
}

function spEvent(m, pc) {
  if (pc !== phone.pc) return;
  if (m.type === "answer") pc.setRemoteDescription({ type: "answer", sdp: m.sdp }).catch(spLost);
  else if (m.type === "ring") spRing(m);
  else if (m.type === "stopped" || m.type === "talking" || m.type === "ended") spRingEnd(m.call);
  else if (m.type === "lost") spLost();
  else if (m.type === "replaced") {
    spOff();
    spState("sp-replaced");
  } else if (m.type === "error") {
    spOff();
    showError($("#sp-msg"), { body: { code: m.code } });
  }
}

// A call rings the browser: the panel to answer it, and a ring tone.
function spRing(m) {
  phone.ringing = m.call;
  $("#sp-from").textContent = t("sp-ringing", { from: m.from });
  $("#sp-ring").hidden = false;
  $("#sp-answer").focus();
  if (!phone.ring) {
    try {
      const ctx = new AudioContext();
      const beep = () => {
        for (const f of [440, 480]) {
          const o = ctx.createOscillator();
          const g = ctx.createGain();
          g.gain.value = 0.05;
          o.frequency.value = f;
          o.connect(g).connect(ctx.destination);
          o.start();
          o.stop(ctx.currentTime + 1);
        }
      };
      beep();
      phone.ring = { ctx, timer: setInterval(beep, 3000) };
    } catch (_) { /* no sound: the panel still shows */ }
  }
}

function spRingEnd(callId) {
  if (phone.ringing !== null && callId !== undefined && callId !== phone.ringing) return;
  phone.ringing = null;
  $("#sp-ring").hidden = true;
  if (phone.ring) {
    clearInterval(phone.ring.timer);
    phone.ring.ctx.close().catch(() => {});
    phone.ring = null;
  }
}

function spPick(answer) {
  if (phone.ringing === null || !phone.ws) return;
  phone.ws.send(JSON.stringify({ type: answer ? "answer" : "decline", call: phone.ringing }));
  spRingEnd();
}

// The connection is gone (network change, server restart): again, after
// a pause that grows to 15 s.
function spLost() {
  spClose();
  if (!phone.on) return;
  spState("sp-lost");
  const wait = Math.min(15000, 500 * 2 ** phone.retry);
  phone.retry += 1;
  setTimeout(spConnect, wait);
}

function spClose() {
  spRingEnd();
  const { ws, pc } = phone;
  phone.ws = null;
  phone.pc = null;
  if (ws) ws.close();
  if (pc) pc.close();
}

function spOff() {
  phone.on = false;
  localStorage.setItem("sp-on", "0");
  spClose();
  if (phone.stream) for (const tr of phone.stream.getTracks()) tr.stop();
  phone.stream = null;
  $("#sp-toggle").setAttribute("aria-pressed", "false");
  spState("sp-off");
  follow().catch(() => {});
}

function spOn() {
  phone.on = true;
  phone.retry = 0;
  localStorage.setItem("sp-on", "1");
  $("#sp-toggle").setAttribute("aria-pressed", "true");
  spConnect();
}

// Another microphone: its track replaces the one being sent, mid-call too.
async function spChangeMic() {
  localStorage.setItem("sp-mic", $("#sp-mic").value);
  if (!phone.on || !phone.pc) return;
  const stream = await spMicrophone();
  const track = stream.getAudioTracks()[0];
  for (const s of phone.pc.getSenders()) if (s.track && s.track.kind === "audio") await s.replaceTrack(track);
  if (phone.stream) for (const tr of phone.stream.getTracks()) tr.stop();
  phone.stream = stream;
}

if (document.body.dataset.page === "desk") {
  api("GET", "/client-types").then((ts) => { for (const x of ts) desk.types[x.code] = x.name; }).catch(() => {});
  const calls = new EventSource("/api/v1/events");
  for (const kind of ["call_offered", "call_answered"]) {
    calls.addEventListener(kind, (ev) => showCall(kind, JSON.parse(ev.data)));
  }
  // The ACD's changes of my state (offered, on a call, wrap-up) show at once.
  // (A supervisor hears everyone's: only their own is theirs to show.)
  calls.addEventListener("agent_state", (ev) => {
    const s = JSON.parse(ev.data);
    if (String(s.staff) === document.body.dataset.staff) {
      stateSeen += 1;
      showState(s);
      follow().catch(() => {});
    }
  });
  setInterval(tick, 1000);
  $("#xfer-manager").addEventListener("click", () => transfer("manager"));
  $("#xfer-finance").addEventListener("click", () => transfer("finance"));
  $("#xfer-head").addEventListener("click", () => transfer("head"));
  $("#xfer-go").addEventListener("click", () => { if ($("#xfer-other").value) transfer($("#xfer-other").value); });
  $("#consult-go").addEventListener("click", consult);
  $("#consult-conference").addEventListener("click", () => consultStep("conference"));
  $("#consult-complete").addEventListener("click", () => consultStep("complete"));
  $("#consult-end").addEventListener("click", () => consultStep("end_consult"));
  for (const kind of ["consult_talking", "consult_missed", "conference", "consult_ended"]) {
    calls.addEventListener(kind, (ev) => consultEvent(kind, JSON.parse(ev.data)));
  }
  $("#call-note-save").addEventListener("click", saveNote);
  $("#case-form").addEventListener("submit", raiseCase);
  for (const kind of ["contact_offered", "contact_retracted", "chat_message", "chat_typing", "chat_read", "chat_closed"]) {
    calls.addEventListener(kind, (ev) => chatEvent(kind, JSON.parse(ev.data)));
  }
  $("#chat-accept").addEventListener("click", chatAccept);
  $("#chat-form").addEventListener("submit", chatSend);
  $("#chat-close").addEventListener("click", chatClose);
  $("#chat-text").addEventListener("input", () => {
    if (!chats.current || Date.now() - chats.typedAt < 2000) return;
    chats.typedAt = Date.now();
    api("POST", "/chats/" + chats.current.interaction + "/typing").catch(() => {});
  });
  $("#chat-text").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("#chat-form").requestSubmit(); }
  });
  $("#chat-canned").addEventListener("change", () => {
    const v = $("#chat-canned").value;
    if (v) { $("#chat-text").value = v; $("#chat-text").focus(); $("#chat-canned").value = ""; }
  });
  api("GET", "/channels").then((c) => {
    $("#chat-canned").append(...c.chat_canned.map((x) => el("option", { value: x }, x.length > 60 ? x.slice(0, 57) + "…" : x)));
  }).catch(() => {});
  loadChats().catch(() => {});
  $("#email-accept").addEventListener("click", emailAccept);
  $("#email-form").addEventListener("submit", emailReply);
  $("#email-close").addEventListener("click", emailClose);
  $("#ref-form").addEventListener("submit", sendReference);
  for (const kind of ["contact_offered", "contact_retracted", "email_message"]) {
    calls.addEventListener(kind, (ev) => {
      const d = JSON.parse(ev.data);
      if (d.channel && d.channel !== "email") return;
      loadEmails().catch(() => {});
      if (kind === "contact_offered" && !emails.open) openEmail(d.interaction).catch(() => {});
      if (kind === "email_message" && emails.open === d.interaction) openEmail(d.interaction).catch(() => {});
    });
  }
  loadEmails().catch(() => {});
  $("#call-hold").addEventListener("click", () => control(call.held ? "resume" : "hold"));
  $("#call-mute").addEventListener("click", () => control(call.muted ? "unmute" : "mute"));
  $("#call-hang-up").addEventListener("click", () => control("hang_up"));
  $("#call-record").addEventListener("click", () => control(call.recordPaused ? "record_resume" : "record_pause"));
  // The keypad: what is typed goes to the caller as key presses.
  const sendKeys = () => { const k = $("#call-keys").value.trim().toUpperCase(); if (k) control("keys", k); };
  $("#call-keys-send").addEventListener("click", sendKeys);
  $("#call-keys").addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); sendKeys(); } });
  follow().catch(() => {});
  $("#sp-toggle").addEventListener("click", () => (phone.on ? spOff() : spOn()));
  $("#sp-answer").addEventListener("click", () => spPick(true));
  $("#sp-decline").addEventListener("click", () => spPick(false));
  $("#sp-mic").addEventListener("change", () => spChangeMic().catch(() => {}));
  $("#sp-speaker").addEventListener("change", () => { localStorage.setItem("sp-speaker", $("#sp-speaker").value); spSpeaker(); });
  if (localStorage.getItem("sp-on") === "1") spOn();
  $("#go-ready").addEventListener("click", () => setState("ready"));
  $("#go-not-ready").addEventListener("click", () => setState("not_ready", $("#nr-reason").value));
  $("#go-offline").addEventListener("click", () => setState("offline"));
  $("#go-wrap-done").addEventListener("click", () => setState("wrap_up_done"));
  $("#help-open").addEventListener("click", () => $("#help").showModal());
  $("#hand").addEventListener("click", toggleHand);
  // A supervisor answered: the hand goes down here too.
  calls.addEventListener("hand", (ev) => {
    const h = JSON.parse(ev.data);
    if (String(h.staff) === document.body.dataset.staff) showHand(h.raised);
  });
  document.addEventListener("keydown", shortcut);
  const q = $("#client-q");
  q.addEventListener("input", debounce(() => search(q.value).catch(() => {}), 200));
  // Enter opens the only (or exact) match; several stay listed to pick from.
  q.addEventListener("keydown", async (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    const rows = await search(q.value);
    const exact = rows.find((r) => r.code.toLowerCase() === q.value.trim().toLowerCase());
    if (exact) openCard(exact.code);
    else if (rows.length === 1) openCard(rows[0].code);
    else {
      const first = $("#client-results button");
      if (first) first.focus();
    }
  });
  $("#line-form").addEventListener("submit", addLine);
  $("#register-open").addEventListener("click", () => openRegister());
  $("#register-form").addEventListener("submit", register);
  $("#sku").addEventListener("input", debounce(() => suggestProducts().catch(() => {}), 200));
  $("#confirm").addEventListener("click", confirmOrder);
  const wanted = new URLSearchParams(location.search).get("client");
  if (wanted) openCard(wanted).catch(() => {});
}

// ---- web chat on the desk -------------------------------------------------------


function chatText(m) {
  return m.author === "system" ? t("chat-sys-" + m.body) : m.body;
}

function chatLine(m) {
  const read = m.author === "agent" && chats.current && m.seq <= chats.current.visitor_read;
  return el("li", { class: "chat-" + m.author, "data-seq": String(m.seq) },
    el("span", { class: "muted" }, clock(m.at) + " "), chatText(m), read ? readMark() : null);
}

function readMark() {
  return el("span", { class: "read muted" }, " ✓ " + t("chat-read-by-visitor"));
}

function unread(c) {
  return c.messages.filter((m) => m.author === "visitor" && m.seq > c.agent_read).length;
}

function renderChats() {
  // Kept in sight while it says how the last chat ended.
  $("#chats").hidden = chats.list.length === 0 && !chats.open && !$("#chat-msg").textContent;
  $("#chat-list").replaceChildren(...chats.list.map((c) => el("li", {},
    el("button", { type: "button", class: "secondary", "data-interaction": String(c.interaction), "data-phase": c.phase,
      "aria-current": String(c.interaction === chats.open), onclick: () => openChat(c.interaction).catch((e) => showError($("#chat-msg"), e)) },
      c.visitor_name + (c.phase === "offered" ? " — " + t("chat-offered") : ""),
      unread(c) ? el("span", { class: "badge" }, String(unread(c))) : null))));
}

async function loadChats() {
  chats.list = await api("GET", "/chats");
  renderChats();
  if (chats.open && !chats.list.some((c) => c.interaction === chats.open)) {
    // It ended elsewhere (the visitor left): the pane says so.
    await openChat(chats.open).catch(() => {});
  }
}

async function openChat(id) {
  const c = await api("GET", "/chats/" + id);
  chats.open = id;
  chats.current = c;
  $("#chat-pane").hidden = false;
  $("#chat-who").textContent = c.visitor_name + " · " + [c.phone, c.email].filter(Boolean).join(" · ");
  $("#chat-client").textContent = c.client_name ? c.client_name + " (" + c.client + ")" : t("chat-no-client");
  $("#chat-accept").hidden = c.phase !== "offered";
  $("#chat-form").hidden = c.phase !== "talking";
  $("#chat-close").hidden = c.phase !== "talking";
  $("#chat-transcript").disabled = !c.email;
  $("#chat-log").replaceChildren(...c.messages.map(chatLine));
  $("#chat-log").scrollTop = $("#chat-log").scrollHeight;
  $("#chat-msg").textContent = c.phase === "closed" ? t("chat-is-closed") : "";
  $("#chat-typing").hidden = true;
  renderChats();
  if (c.client && (!desk.card || desk.card.code !== c.client)) openCard(c.client).catch(() => {});
  refFor(c.email);
  await chatRead();
}

// What I have read of the visitor's messages, the visitor sees.
async function chatRead() {
  const c = chats.current;
  if (!c || c.phase !== "talking") return;
  const last = Math.max(0, ...c.messages.filter((m) => m.author === "visitor").map((m) => m.seq));
  if (last > c.agent_read) {
    c.agent_read = last;
    await api("POST", "/chats/" + c.interaction + "/read", { seq: last });
    const mine = chats.list.find((x) => x.interaction === c.interaction);
    if (mine) mine.agent_read = last;
    renderChats();
  }
}

async function chatAccept() {
  try {
    await api("POST", "/chats/" + chats.open + "/accept");
    await loadChats();
    await openChat(chats.open);
    $("#chat-text").focus();
  } catch (e) {
    showError($("#chat-msg"), e);
    loadChats().catch(() => {});
  }
}

async function chatSend(ev) {
  ev.preventDefault();
  const text = $("#chat-text").value.trim();
  if (!text || !chats.current) return;
  try {
    const m = await api("POST", "/chats/" + chats.open + "/messages", { text });
    chats.current.messages.push(m);
    $("#chat-log").append(chatLine(m));
    $("#chat-log").scrollTop = $("#chat-log").scrollHeight;
    $("#chat-text").value = "";
    $("#chat-msg").textContent = "";
  } catch (e) {
    showError($("#chat-msg"), e);
  }
}

async function chatClose() {
  try {
    await api("POST", "/chats/" + chats.open + "/close", { send_transcript: $("#chat-transcript").checked });
    say($("#chat-msg"), t($("#chat-transcript").checked ? "chat-closed-sent" : "chat-is-closed"));
    $("#chat-transcript").checked = false;
    chats.open = null;
    chats.current = null;
    $("#chat-pane").hidden = true;
    await loadChats();
  } catch (e) {
    showError($("#chat-msg"), e);
  }
}

function chatEvent(kind, d) {
  if (kind === "contact_offered" || kind === "contact_retracted" || kind === "chat_closed") {
    if (d.channel && d.channel !== "chat") return;
    loadChats().catch(() => {});
    if (kind === "contact_offered" && !chats.open) openChat(d.interaction).catch(() => {});
    return;
  }
  const open = chats.current && chats.current.interaction === d.interaction;
  if (kind === "chat_message") {
    if (open) {
      if (!chats.current.messages.some((m) => m.seq === d.seq)) {
        chats.current.messages.push(d);
        $("#chat-log").append(chatLine(d));
        $("#chat-log").scrollTop = $("#chat-log").scrollHeight;
      }
      $("#chat-typing").hidden = true;
      if (document.visibilityState !== "hidden") chatRead().catch(() => {});
    }
    loadChats().catch(() => {});
  } else if (kind === "chat_typing" && open) {
    $("#chat-typing").hidden = false;
    clearTimeout(chats.typingTimer);
    chats.typingTimer = setTimeout(() => { $("#chat-typing").hidden = true; }, 4000);
  } else if (kind === "chat_read" && open) {
    // It may come before my own message's answer: kept, and marked when shown.
    chats.current.visitor_read = Math.max(chats.current.visitor_read, d.seq);
    for (const li of $("#chat-log").querySelectorAll("li.chat-agent")) {
      if (Number(li.dataset.seq) <= d.seq && !li.querySelector(".read")) li.append(readMark());
    }
  }
}

// ---- e-mail on the desk ---------------------------------------------------------


function emailLine(m) {
  return el("li", { class: m.direction === "in" ? "chat-visitor" : "chat-agent", "data-id": String(m.id) },
    el("div", { class: "muted" }, when(m.at) + " · " + m.from + (m.subject ? " · " + m.subject : "")),
    m.body,
    m.note ? el("div", { class: "notice" }, t(m.note.startsWith("over_limit") ? "email-over-limit" : "email-unreadable")) : null,
    ...m.attachments.map(([id, name]) => el("div", {}, el("a", { href: "/api/v1/email-attachments/" + id, download: name }, "📎 " + name))));
}

function renderEmails() {
  $("#emails").hidden = emails.list.length === 0 && !emails.open && !$("#email-msg").textContent;
  $("#email-list").replaceChildren(...emails.list.map((c) => el("li", {},
    el("button", { type: "button", class: "secondary", "data-interaction": String(c.interaction), "data-phase": c.phase,
      "aria-current": String(c.interaction === emails.open), onclick: () => openEmail(c.interaction).catch((e) => showError($("#email-msg"), e)) },
      (c.client_name || c.from) + (c.phase === "offered" ? " — " + t("chat-offered") : "")))));
}

async function loadEmails() {
  emails.list = await api("GET", "/emails");
  renderEmails();
}

async function openEmail(id) {
  const c = await api("GET", "/emails/" + id);
  emails.open = id;
  emails.current = c;
  $("#email-pane").hidden = false;
  $("#email-who").textContent = c.from;
  $("#email-client").textContent = c.client_name ? c.client_name + " (" + c.client + ")" : t("chat-no-client");
  $("#email-accept").hidden = c.phase !== "offered";
  $("#email-form").hidden = c.phase !== "open";
  $("#email-thread").replaceChildren(...c.messages.map(emailLine));
  $("#email-msg").textContent = c.phase === "closed" ? t("email-is-closed") : "";
  renderEmails();
  if (c.client && (!desk.card || desk.card.code !== c.client)) openCard(c.client).catch(() => {});
  refFor(c.from);
}

async function emailAccept() {
  try {
    await api("POST", "/emails/" + emails.open + "/accept");
    await loadEmails();
    await openEmail(emails.open);
    $("#email-text").focus();
  } catch (e) {
    showError($("#email-msg"), e);
    loadEmails().catch(() => {});
  }
}

async function emailReply(ev) {
  ev.preventDefault();
  const text = $("#email-text").value.trim();
  if (!text) return;
  try {
    const m = await api("POST", "/emails/" + emails.open + "/reply", { text });
    emails.current.messages.push(m);
    $("#email-thread").append(emailLine(m));
    $("#email-text").value = "";
    say($("#email-msg"), t("email-sent"));
  } catch (e) {
    showError($("#email-msg"), e);
  }
}

async function emailClose() {
  try {
    await api("POST", "/emails/" + emails.open + "/close");
    say($("#email-msg"), t("email-is-closed"));
    emails.open = null;
    emails.current = null;
    $("#email-pane").hidden = true;
    await loadEmails();
  } catch (e) {
    showError($("#email-msg"), e);
  }
}

// ---- reference information to the client (OD-18) -------------------------------

// A chat or e-mail opened: information can go to its address (the card's,
// when it names a client, is set when the card opens).
function refFor(address) {
  $("#ref-box").hidden = false;
  if (!$("#ref-to").value && address) $("#ref-to").value = address;
}

// The contact the operator is in now: the call, else the open chat or e-mail.
function currentContact() {
  if (call.id && call.phase !== null && call.phase !== "missed" && call.phase !== "ringing") return call.id;
  return chats.open || emails.open || null;
}

async function sendReference(ev) {
  ev.preventDefault();
  const form = $("#ref-form");
  const id = currentContact();
  if (!id) {
    $("#ref-msg").className = "error";
    $("#ref-msg").textContent = t("ref-no-contact");
    return;
  }
  const body = {
    to: $("#ref-to").value.trim() || undefined,
    price_list: $("#ref-prices").checked,
    delivery_terms: $("#ref-terms").checked,
    certificates: $("#ref-certs").value.split(/[,\s]+/).map((x) => x.trim()).filter(Boolean),
  };
  try {
    const r = await api("POST", "/interactions/" + id + "/send-reference", body);
    clearErrors(form);
    say($("#ref-msg"), t("ref-sent", { to: r.to }));
    $("#ref-prices").checked = false;
    $("#ref-terms").checked = false;
    $("#ref-certs").value = "";
  } catch (e) {
    showError($("#ref-msg"), e, form);
  }
}

// ---- knowledge base on the desk (CC-9, OD-18) ---------------------------------

// A found article's snippet: its text with the matched words marked, built
// as nodes (never HTML from the data).
function snippetNodes(parts) {
  return (parts || []).map((p) => (p.hit ? el("mark", {}, p.text) : document.createTextNode(p.text)));
}

function articleItem(a, extra) {
  return el("li", { "data-article": String(a.id) },
    el("button", { type: "button", class: "link", onclick: () => openArticle(a.id) }, a.title),
    a.stale ? [" ", el("span", { class: "badge stale" }, t("kb-stale"))] : null,
    a.status === "draft" ? [" ", el("span", { class: "badge" }, t("kb-status-draft"))] : null,
    extra || null);
}

async function kbSearch(q) {
  const list = $("#kb-results");
  $("#kb-nothing").hidden = true;
  if (!q.trim()) { list.replaceChildren(); return; }
  const hits = await api("GET", "/kb/search?limit=8&q=" + encodeURIComponent(q));
  list.replaceChildren(...hits.map((h) => articleItem(h, el("p", { class: "snippet" }, ...snippetNodes(h.snippet)))));
  $("#kb-nothing").hidden = hits.length > 0;
}

// Suggestions without searching: from the call (why they called), the
// client's type and the products in the order.
async function kbSuggest() {
  const list = $("#kb-suggest");
  if (!list) return;
  const p = new URLSearchParams({ limit: "5" });
  if (call.id) p.set("interaction", call.id);
  if (desk.card) p.set("client", desk.card.code);
  if (desk.order) p.set("order", desk.order.id);
  if (!call.id && !desk.card) { list.replaceChildren(); return; }
  const rows = await api("GET", "/kb/suggest?" + p);
  list.replaceChildren(...rows.map((a) => articleItem(a, el("span", { class: "muted" }, " · " +
    (a.reason === "product" ? t("kb-why-product", { sku: a.sku }) : t("kb-why-" + a.reason))))));
  $("#kb-suggest-none").hidden = rows.length > 0;
}

async function openArticle(id) {
  const a = await api("GET", "/kb/articles/" + id);
  const box = $("#kb-article");
  box.hidden = false;
  box.dataset.article = String(a.id);
  $("#kb-a-title").textContent = a.title;
  $("#kb-a-meta").textContent = [a.category, a.stale ? t("kb-stale") : "", t("kb-version", { version: a.version })]
    .filter(Boolean).join(" · ");
  // The server renders the Markdown safely (no raw HTML, no script links).
  $("#kb-a-body").innerHTML = a.html;
  $("#kb-a-files").replaceChildren(...a.attachments.map((f) => el("li", {},
    el("a", { href: "/api/v1/kb/attachments/" + f.id, download: f.name }, f.name))));
  $("#kb-feedback-msg").textContent = "";
  box.scrollIntoView({ block: "nearest" });
}

async function kbFeedback(helpful) {
  const id = $("#kb-article").dataset.article;
  try {
    await api("POST", "/kb/articles/" + id + "/feedback", { helpful });
    $("#kb-feedback-msg").textContent = t("kb-thanks");
  } catch (e) {
    $("#kb-feedback-msg").textContent = errorText(e);
  }
}

async function kbAsk() {
  try {
    await api("POST", "/kb/requests", { query: $("#kb-q").value, interaction: call.id || null });
    say($("#kb-msg"), t("kb-asked"));
    $("#kb-nothing").hidden = true;
  } catch (e) {
    showError($("#kb-msg"), e);
  }
}

if (document.body.dataset.page === "desk") {
  const kq = $("#kb-q");
  kq.addEventListener("input", debounce(() => kbSearch(kq.value).catch(() => {}), 200));
  $("#kb-ask").addEventListener("click", kbAsk);
}

// The article reader, on the desk and on /kb.
if ($("#kb-article")) {
  $("#kb-helpful").addEventListener("click", () => kbFeedback(true));
  $("#kb-not-helpful").addEventListener("click", () => kbFeedback(false));
  $("#kb-close").addEventListener("click", () => { $("#kb-article").hidden = true; });
}

// ---- knowledge base page (/kb) ---------------------------------------------------

const kbEdit = { id: null, version: null };
const commaList = (v) => v.split(",").map((s) => s.trim()).filter(Boolean);

async function kbList(q) {
  const rows = q.trim()
    ? await api("GET", "/kb/search?limit=30&q=" + encodeURIComponent(q))
    : await api("GET", "/kb/articles?limit=100");
  const edits = !!$("#kb-form");
  $("#kb-list").replaceChildren(...(rows.length ? rows.map((a) => articleItem(a, [
    a.snippet ? el("p", { class: "snippet" }, ...snippetNodes(a.snippet)) : null,
    edits ? [" ", el("button", { type: "button", class: "secondary edit", onclick: () => kbOpenEditor(a.id) },
      t("kb-edit"), el("span", { class: "visually-hidden" }, " " + a.title))] : null,
  ])) : [el("li", { class: "muted" }, t("kb-list-empty"))]));
}

async function kbOpenEditor(id) {
  const f = $("#kb-form");
  f.hidden = false;
  clearErrors(f);
  $("#kb-form-msg").textContent = "";
  const a = id ? await api("GET", "/kb/articles/" + id) : null;
  kbEdit.id = a ? a.id : null;
  kbEdit.version = a ? a.version : null;
  $("#kf-title").value = a ? a.title : "";
  $("#kf-category").value = a ? a.category : "";
  $("#kf-tags").value = a ? a.tags.join(", ") : "";
  $("#kf-skus").value = a ? a.product_skus.join(", ") : "";
  $("#kf-types").value = a ? a.client_types.join(", ") : "";
  for (const c of $$(".kf-request")) c.checked = !!a && a.request_categories.includes(c.value);
  $("#kf-status").value = a ? a.status : "draft";
  $("#kf-review").value = a && a.review_by ? a.review_by : "";
  $("#kf-body").value = a ? a.body : "";
  $("#kb-delete").hidden = !a;
  $("#kf-more").hidden = !a;
  if (a) {
    $("#kf-files").replaceChildren(...a.attachments.map((x) => el("li", {},
      el("a", { href: "/api/v1/kb/attachments/" + x.id, download: x.name }, x.name), " ",
      el("button", { type: "button", class: "secondary", onclick: () => kbRemoveFile(x.id) },
        t("kb-remove"), el("span", { class: "visually-hidden" }, " " + x.name)))));
    const versions = await api("GET", "/kb/articles/" + a.id + "/versions");
    $("#kf-versions").replaceChildren(...versions.map((v) => el("li", {},
      t("kb-version", { version: v.version }) + " · " + when(v.saved_at) + " · " + v.author + " · " + t("kb-status-" + v.status))));
  }
  $("#kf-title").focus();
}

async function kbSave(ev) {
  ev.preventDefault();
  const f = $("#kb-form");
  clearErrors(f);
  const body = {
    title: $("#kf-title").value, body: $("#kf-body").value, category: $("#kf-category").value,
    tags: commaList($("#kf-tags").value), product_skus: commaList($("#kf-skus").value),
    client_types: commaList($("#kf-types").value),
    request_categories: $$(".kf-request").filter((c) => c.checked).map((c) => c.value),
    status: $("#kf-status").value, review_by: $("#kf-review").value || null,
  };
  try {
    const a = kbEdit.id
      ? await api("PUT", "/kb/articles/" + kbEdit.id, { ...body, version: kbEdit.version })
      : await api("POST", "/kb/articles", body);
    await kbOpenEditor(a.id);
    say($("#kb-form-msg"), t("kb-saved", { version: a.version }));
    await kbList($("#kb-filter").value);
  } catch (e) {
    showError($("#kb-form-msg"), e, f);
  }
}

async function kbUpload() {
  const file = $("#kf-file").files[0];
  if (!file || !kbEdit.id) return;
  try {
    const res = await fetch("/api/v1/kb/articles/" + kbEdit.id + "/attachments?name=" + encodeURIComponent(file.name), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": file.type || "application/octet-stream" }, body: file,
    });
    if (!res.ok) throw Object.assign(new Error("upload"), { body: ((await res.json().catch(() => null)) || {}).error || { code: "internal" } });
    await kbOpenEditor(kbEdit.id);
  } catch (e) {
    showError($("#kb-form-msg"), e);
  }
}

async function kbRemoveFile(id) {
  await api("DELETE", "/kb/attachments/" + id).catch((e) => showError($("#kb-form-msg"), e));
  await kbOpenEditor(kbEdit.id);
}

async function kbQuestions() {
  const list = $("#kb-questions");
  if (!list) return;
  const rows = await api("GET", "/kb/requests");
  list.replaceChildren(...(rows.length ? rows.map((r) => el("li", {},
    el("strong", {}, r.query), " · " + r.asked_by + " · " + when(r.asked_at) + " ",
    el("button", { type: "button", class: "secondary", onclick: async () => {
      await api("POST", "/kb/requests/" + r.id + "/answer", { article: kbEdit.id });
      await kbQuestions();
    } }, t("kb-answer"), el("span", { class: "visually-hidden" }, " " + r.query)))) : [el("li", { class: "muted" }, t("kb-no-questions"))]));
}

if (document.body.dataset.page === "kb") {
  const f = $("#kb-filter");
  f.addEventListener("input", debounce(() => kbList(f.value).catch(() => {}), 200));
  kbList("").catch(() => {});
  if ($("#kb-form")) {
    $("#kb-new").addEventListener("click", () => kbOpenEditor(null));
    $("#kb-form").addEventListener("submit", kbSave);
    $("#kf-upload").addEventListener("click", kbUpload);
    $("#kb-delete").addEventListener("click", async () => {
      if (!kbEdit.id || !confirm(t("kb-delete-sure"))) return;
      await api("DELETE", "/kb/articles/" + kbEdit.id).catch((e) => showError($("#kb-form-msg"), e));
      $("#kb-form").hidden = true;
      kbEdit.id = null;
      await kbList(f.value);
    });
    kbQuestions().catch(() => {});
  }
}

// ---- campaign calls on the desk (preview and progressive, OD-16, OD-17) ----------

const camp = { cur: null };

// The operator's next campaign call: the campaign's script, the client
// (their card opens beside it), Call, and the result to record.
async function campNext() {
  const r = await api("GET", "/campaigns/next");
  const box = $("#campaign");
  box.hidden = false;
  camp.cur = r;
  if (!r) {
    $("#camp-title").textContent = t("camp-title");
    $("#camp-script").textContent = "";
    $("#camp-target").textContent = "";
    $("#camp-form").hidden = true;
    $("#camp-call").hidden = true;
    say($("#camp-msg"), t("camp-none"));
    return;
  }
  $("#camp-form").hidden = false;
  $("#camp-call").hidden = false;
  $("#camp-msg").textContent = "";
  $("#camp-title").textContent = t("camp-title") + ": " + r.name;
  $("#camp-script").textContent = r.script;
  const tg = r.target;
  $("#camp-target").replaceChildren(el("strong", {}, tg.name), " ", el("span", { class: "muted" }, tg.client),
    tg.last_order ? " · " + t("camp-last-order", { date: day(tg.last_order) }) : "",
    tg.attempts ? " · " + t("camp-attempts", { attempts: tg.attempts }) : "",
    tg.notes ? " · " + tg.notes : "");
  $("#camp-result").replaceChildren(...r.results.map((x) => el("option", { value: x }, has("camp-result-" + x) ? t("camp-result-" + x) : x)));
  $("#camp-call").disabled = !r.phone;
  $("#camp-call").title = r.phone ? r.phone : t("camp-no-phone");
  clearErrors($("#camp-form"));
  openCard(tg.client).catch(() => {});
}

async function campSave(ev) {
  ev.preventDefault();
  const r = camp.cur;
  if (!r) return;
  const form = $("#camp-form");
  clearErrors(form);
  const result = $("#camp-result").value;
  const order = desk.order && desk.order.client === r.target.client ? desk.order.id : null;
  try {
    await api("POST", "/campaigns/" + r.campaign + "/targets/" + encodeURIComponent(r.target.client) + "/outcome", {
      result, notes: $("#camp-notes").value, call_at: $("#camp-at").value || null, order,
    });
    $("#camp-notes").value = "";
    $("#camp-at").value = "";
    await campNext();
    say($("#camp-msg"), t("camp-saved"));
  } catch (e) {
    showError($("#camp-msg"), e, form);
  }
}

if (document.body.dataset.page === "desk") {
  $("#camp-next").addEventListener("click", () => campNext().catch((e) => showError($("#camp-msg"), e)));
  $("#camp-call").addEventListener("click", () => { if (camp.cur && camp.cur.phone) dial(camp.cur.phone, camp.cur.campaign); });
  $("#camp-form").addEventListener("submit", campSave);
  // Skip: the reason is what the notes say; the target comes back later.
  $("#camp-skip").addEventListener("click", async () => {
    const r = camp.cur;
    if (!r) return;
    try {
      await api("POST", "/campaigns/" + r.campaign + "/targets/" + encodeURIComponent(r.target.client) + "/skip", { reason: $("#camp-notes").value });
      $("#camp-notes").value = "";
      await campNext();
      say($("#camp-msg"), t("camp-skipped"));
    } catch (e) {
      showError($("#camp-msg"), e);
    }
  });
}

// ---- campaigns on the heads' page (OD-16, OD-17) ---------------------------------

function outcomesText(o) {
  return Object.entries(o).map(([k, n]) => (has("camp-result-" + k) ? t("camp-result-" + k) : k) + ": " + n).join(", ");
}

async function loadCampaigns() {
  const body = $("#campaigns tbody");
  if (!body) return;
  const rows = await api("GET", "/campaigns");
  $("#no-campaigns").hidden = rows.length > 0;
  body.replaceChildren(...rows.map((c) => el("tr", { "data-campaign": String(c.id) },
    el("td", {}, c.name), el("td", {}, t("camp-kind-" + c.kind)), el("td", { class: "status" }, t("camp-status-" + c.status)),
    el("td", { class: "progress" }, t("camp-progress", { done: c.progress.done, targets: c.progress.targets, orders: c.progress.orders })),
    el("td", { class: "outcomes" }, outcomesText(c.progress.outcomes)),
    el("td", {},
      c.status === "running"
        ? el("button", { type: "button", class: "secondary pause", onclick: () => campAct(c.id, "pause") }, t("camp-pause"), el("span", { class: "visually-hidden" }, " " + c.name))
        : el("button", { type: "button", class: "secondary start", onclick: () => campAct(c.id, "start") }, t("camp-start"), el("span", { class: "visually-hidden" }, " " + c.name)),
      " ", el("a", { href: "/api/v1/campaigns/" + c.id + "/report?format=csv", download: "" }, t("camp-report"), el("span", { class: "visually-hidden" }, " " + c.name))))));
}

async function campAct(id, action) {
  try {
    await api("POST", "/campaigns/" + id + "/" + action, {});
  } catch (e) {
    showError($("#cf-msg"), e);
  }
  await loadCampaigns();
}

async function campCreate(ev) {
  ev.preventDefault();
  const form = $("#camp-create");
  clearErrors(form);
  const kind = $("#cf-kind").value;
  const body = {
    kind, name: $("#cf-name").value, script: $("#cf-script").value, mode: $("#cf-mode").value,
    agents: Array.from($("#cf-agents").selectedOptions).map((o) => o.value),
    queue: $("#cf-queue").value || null,
  };
  if (kind === "reactivation") {
    body.filter = { client_type: $("#cf-type").value.trim() || null, region: $("#cf-region").value.trim() || null };
  } else {
    body.clients = $("#cf-clients").value.split(/[\s,;]+/).filter(Boolean);
  }
  try {
    const c = await api("POST", "/campaigns", body);
    say($("#cf-msg"), t("camp-created", { targets: c.progress.targets }));
    await loadCampaigns();
  } catch (e) {
    showError($("#cf-msg"), e, form);
  }
}

if (document.body.dataset.page === "heads" && $("#campaigns")) {
  loadCampaigns().catch(() => {});
  $("#camp-create").addEventListener("submit", campCreate);
}

// ---- the order desk's figures on the heads' page (OD-26) ------------------------

const pctFmt = new Intl.NumberFormat(LOCALE, { style: "percent", maximumFractionDigits: 1 });
function pct(v) {
  return v === null || v === undefined ? "–" : pctFmt.format(v);
}

async function loadFigures(ev) {
  if (ev) ev.preventDefault();
  const form = $("#rep-form");
  clearErrors(form);
  const q = "from=" + encodeURIComponent($("#rep-from").value) + "&to=" + encodeURIComponent($("#rep-to").value) +
    "&interval=" + encodeURIComponent($("#rep-interval").value);
  $("#rep-csv").href = "/api/v1/reports/orders?" + q + "&format=csv";
  try {
    const rows = await api("GET", "/reports/orders?" + q);
    $("#rep-msg").textContent = rows.length ? "" : t("rep-none");
    $("#rep-table tbody").replaceChildren(...rows.map((r) => el("tr", { "data-agent": r.agent || "", class: r.agent ? "" : "total" },
      el("td", {}, day(r.period)), el("td", {}, r.agent || t("rep-company")), el("td", { class: "num" }, String(r.calls)),
      el("td", { class: "num" }, pct(r.conversion)), el("td", { class: "num" }, String(r.orders)),
      el("td", { class: "num" }, money(r.value)), el("td", { class: "num" }, pct(r.attach_rate)),
      el("td", { class: "num" }, String(r.debt_stops)), el("td", { class: "num" }, String(r.cancelled)),
      el("td", { class: "num" }, String(r.reactivated)))));
  } catch (e) {
    showError($("#rep-msg"), e, form);
  }
}

if (document.body.dataset.page === "heads" && $("#rep-form")) {
  $("#rep-form").addEventListener("submit", loadFigures);
  loadFigures().catch(() => {});
}

// ---- heads' day -----------------------------------------------------------------

function orderRow(o) {
  return el("tr", { "data-order": o.order_no, "data-id": String(o.id) },
    el("td", {}, clock(Date.now())), el("td", {}, el("a", { href: "/orders/" + o.id }, o.order_no)),
    el("td", {}, o.client_name || o.client), el("td", {}, money(o.total)), el("td", {}, day(o.delivery_date)),
    el("td", {}, o.taken_by || ""), el("td", { class: "status", "data-status": "confirmed" }, t("status-confirmed")));
}

// A manager picker (nobody chosen; the head's own department's managers
// first) and an Assign button for a new client; once assigned, `li` says to
// whom.
function assignControl(code, label, managers, li) {
  const mine = managers.filter((m) => m.mine);
  const others = managers.filter((m) => !m.mine);
  const select = el("select", { "aria-label": t("heads-assign-to") + " " + label },
    el("option", { value: "" }, t("heads-choose-manager")),
    mine.length ? el("optgroup", { label: t("heads-my-department") }, ...mine.map((m) => el("option", { value: m.username }, m.full_name))) : null,
    others.length ? el("optgroup", { label: t("heads-other-departments") }, ...others.map((m) => el("option", { value: m.username }, m.full_name))) : null);
  const button = el("button", { type: "button", class: "assign", disabled: true }, t("heads-assign"));
  select.addEventListener("change", () => { button.disabled = !select.value; });
  button.addEventListener("click", async () => {
    try {
      const card = await api("PUT", "/clients/" + encodeURIComponent(code) + "/manager", { username: select.value });
      const done = label + ": " + t("heads-assigned") + " " + card.manager.full_name;
      li.replaceChildren(el("span", { class: "ok" }, done));
      // The same client in the other list is done too.
      for (const other of $$("#new-clients li[data-code='" + CSS.escape(code) + "']")) {
        if (other !== li) other.replaceChildren(el("span", { class: "ok" }, done));
      }
      loadNewCalls().catch(() => {});
    } catch (e) {
      li.append(el("span", { class: "error" }, " " + errorText(e)));
    }
  });
  return [select, button];
}

async function loadManagers() {
  const staff = await api("GET", "/staff");
  const me = staff.find((m) => String(m.id) === document.body.dataset.staff);
  return staff.filter((m) => m.active && (m.role === "manager" || m.role === "key_account_manager"))
    .map((m) => ({ ...m, mine: !!me && me.department !== null && m.department === me.department }));
}

async function loadNewClients() {
  const list = $("#new-clients");
  if (!list) return;
  const [clients, managers] = await Promise.all([api("GET", "/clients?new=true&limit=50"), loadManagers()]);
  if (!clients.length) list.replaceChildren(el("li", { class: "muted" }, t("heads-no-new-clients")));
  else list.replaceChildren(...clients.map((c) => {
    const li = el("li", { "data-code": c.code });
    li.append(el("strong", {}, c.code), " — " + c.name + " (" + c.region + ") ",
      ...assignControl(c.code, c.code + " — " + c.name, managers, li));
    return li;
  }));
}

// Today's calls the order desk sent to the heads as new clients' (OD-15):
// who called, when, how it went; a known client still without a manager
// can be assigned one here.
async function loadNewCalls() {
  const list = $("#new-calls");
  if (!list) return;
  const today = document.body.dataset.today;
  const [calls, waiting, managers] = await Promise.all([
    api("GET", "/interactions?rule=new_client&from=" + today + "&limit=50"),
    api("GET", "/clients?new=true&limit=200"),
    loadManagers(),
  ]);
  const unassigned = new Set(waiting.map((c) => c.code));
  if (!calls.length) {
    list.replaceChildren(el("li", { class: "muted" }, t("heads-no-new-calls")));
    return;
  }
  list.replaceChildren(...calls.map((i) => {
    const li = el("li", { "data-interaction": String(i.id), "data-state": i.disposition });
    const who = i.client ? i.client : t("heads-unknown-number");
    const how = i.disposition === "in_progress" ? t("heads-call-now") : t("disp-" + i.disposition) + (i.handled_by ? " · " + i.handled_by : "");
    li.append(el("strong", {}, clock(i.arrived_at)), " " + i.caller + " — " + who + " — " + how + " ");
    if (i.client && unassigned.has(i.client)) li.append(...assignControl(i.client, i.client, managers, li));
    return li;
  }));
}

// A manager's calls today: when, who, how it ended, the notes.
async function loadMyCalls() {
  const list = $("#my-calls");
  if (!list) return;
  const rows = await api("GET", "/interactions?staff=" + encodeURIComponent(list.dataset.username) + "&from=" + document.body.dataset.today + "&limit=100");
  if (!rows.length) {
    list.replaceChildren(el("li", { class: "muted" }, t("my-no-calls")));
    return;
  }
  list.replaceChildren(...rows.map((i) => el("li", { "data-interaction": String(i.id) },
    el("strong", {}, clock(i.arrived_at)), " · ", t("dir-" + i.direction), " · ", i.client || i.caller, " · ", t("disp-" + i.disposition),
    i.wrap_up ? " · " + i.wrap_up_name : "", i.notes ? el("span", { class: "muted" }, " — " + i.notes) : null)));
}

if (document.body.dataset.page === "heads") {
  loadMyCalls().catch(() => {});
  loadNewClients().catch(() => {});
  loadNewCalls().catch(() => {});
  setInterval(() => loadNewCalls().catch(() => {}), 15000);
  const list = $("#live-orders");
  const source = new EventSource("/api/v1/events");
  source.addEventListener("open", () => { $("#live-status").textContent = "● " + t("heads-live"); });
  source.addEventListener("error", () => { $("#live-status").textContent = t("heads-reconnecting"); });
  source.addEventListener("order_confirmed", (ev) => {
    const o = JSON.parse(ev.data);
    if (list.querySelector("tr[data-order='" + CSS.escape(o.order_no) + "']")) return;
    list.prepend(orderRow(o));
    const none = $("#no-orders");
    if (none) none.remove();
  });
  // A campaign's result recorded anywhere: its progress here, at once.
  source.addEventListener("campaign_outcome", () => loadCampaigns().catch(() => {}));
  source.addEventListener("order_status", (ev) => {
    const o = JSON.parse(ev.data);
    const cell = list.querySelector("tr[data-id='" + o.id + "'] .status");
    if (cell) {
      cell.dataset.status = o.status;
      cell.textContent = t("status-" + o.status);
    }
  });
  // A new client's call ringing or answered at this head's phone.
  for (const kind of ["call_offered", "call_answered"]) source.addEventListener(kind, () => loadNewCalls().catch(() => {}));
}

// ---- one order ---------------------------------------------------------------------

if (document.body.dataset.page === "order") {
  const view = $("#order-view");
  for (const b of $$("#order-moves button.move")) {
    b.addEventListener("click", async () => {
      try {
        await api("POST", "/orders/" + view.dataset.id + "/status", { status: b.dataset.to });
        location.reload();
      } catch (e) {
        showError($("#move-msg"), e);
      }
    });
  }
}

// ---- the voice menu, edited as a tree ---------------------------------------------
//
// The menu as the API takes it (`PUT /ivr`), edited without JSON: menus
// with their prompt, keys and what each does, the time to wait and what
// then; opening hours and holidays; and, beside it, what a caller hears in
// which order. The JSON stays under "advanced" for whoever wants it.

const IVR_KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"];
const IVR_INTENTS = ["order", "reference", "complaint", "other"];
const IVR_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const IVR_KINDS = ["intent", "submenu", "queue", "repeat", "operator"];

// An action as the API writes it ("repeat", {"intent": "order"} …) as
// [kind, target].
function ivrSplit(a) {
  if (typeof a === "string") return [a, ""];
  const [k, v] = Object.entries(a)[0];
  return [k, v];
}
function ivrJoin(kind, target) {
  return kind === "repeat" || kind === "operator" ? kind : { [kind]: target };
}
const promptName = (p) => (has("prompt-" + p) ? t("prompt-" + p) + " (" + p + ")" : p);

function ivrActionText(a, seen, depth) {
  const [kind, target] = ivrSplit(a);
  switch (kind) {
    case "intent": return t("ivr-say-intent", { intent: t("intent-" + target) });
    case "queue": return t("ivr-say-queue", { queue: queueName(target) });
    case "repeat": return t("ivr-say-repeat");
    case "operator": return t("ivr-say-operator");
    default: return t("ivr-say-submenu", { menu: target }) + (depth < 4 && !seen.has(target) ? "" : " ↺");
  }
}

// What a caller hears, in order: the hours first, then the start menu and,
// under each key that opens another, that menu.
function ivrPreview(def) {
  const out = [];
  if (def.hours) {
    out.push(el("li", {}, t("ivr-say-closed", { prompt: promptName(def.hours.closed_prompt || "closed") })));
  }
  const walk = (id, depth, seen) => {
    const m = def.menus.find((x) => x.id === id);
    if (!m) return el("li", { class: "error" }, t("ivr-no-such-menu", { menu: id }));
    const next = new Set(seen).add(id);
    const keys = Object.entries(m.options).map(([k, a]) => {
      const li = el("li", {}, el("kbd", {}, k), " → ", ivrActionText(a, next, depth));
      const [kind, target] = ivrSplit(a);
      if (kind === "submenu" && depth < 4 && !next.has(target)) li.append(el("ol", {}, walk(target, depth + 1, next)));
      return li;
    });
    return el("li", { "data-menu": id }, t("ivr-say-prompt", { prompt: promptName(m.prompt) }),
      el("ul", {}, ...keys,
        el("li", {}, t("ivr-say-no-input", { seconds: m.timeout_seconds, retries: m.retries }), " → ", ivrActionText(m.on_no_input, next, depth))));
  };
  out.push(walk(def.start, 0, new Set()));
  return out;
}

function ivrEditor(def, queues) {
  const box = $("#ivr-editor");
  const redraw = () => ivrEditor(def, queues);
  const select = (opts, value, label, onchange, words) => {
    const s = el("select", { "aria-label": label }, ...opts.map((o) => el("option", { value: o, selected: o === value }, words ? words(o) : o)));
    s.addEventListener("change", () => onchange(s.value));
    return s;
  };
  const input = (value, label, onchange, attrs) => {
    const i = el("input", { value: value ?? "", "aria-label": label, ...(attrs || {}) });
    i.addEventListener("change", () => onchange(i.value));
    return i;
  };
  const menuIds = def.menus.map((m) => m.id);
  const action = (a, label, set) => {
    const [kind, target] = ivrSplit(a);
    const targets = kind === "intent" ? IVR_INTENTS : kind === "submenu" ? menuIds : kind === "queue" ? queues : [];
    const words = kind === "intent" ? (x) => t("intent-" + x) : kind === "queue" ? queueName : null;
    return el("span", { class: "row" },
      select(IVR_KINDS, kind, label, (k) => {
        const first = k === "intent" ? "order" : k === "submenu" ? menuIds[0] : k === "queue" ? queues[0] : "";
        set(ivrJoin(k, first));
        redraw();
      }, (k) => t("ivr-kind-" + k)),
      targets.length ? select(targets, target, label + " — " + t("ivr-target"), (v) => { set(ivrJoin(kind, v)); redraw(); }, words) : null);
  };
  const menus = def.menus.map((m, mi) => {
    const keys = Object.entries(m.options);
    const free = IVR_KEYS.filter((k) => !(k in m.options));
    return el("fieldset", { class: "ivr-menu", "data-menu": m.id },
      el("legend", {}, t("ivr-menu") + " " + m.id + (m.id === def.start ? " · " + t("ivr-start") : "")),
      el("div", { class: "grid" },
        el("label", {}, t("ivr-menu-id"), input(m.id, t("ivr-menu-id"), (v) => {
          const old = m.id;
          m.id = v.trim();
          if (def.start === old) def.start = m.id;
          for (const x of def.menus) {
            for (const [k, a] of Object.entries(x.options)) if (ivrSplit(a)[0] === "submenu" && ivrSplit(a)[1] === old) x.options[k] = { submenu: m.id };
          }
          redraw();
        }, { class: "ivr-id" })),
        el("label", {}, t("ivr-prompt"), input(m.prompt, t("ivr-prompt"), (v) => { m.prompt = v.trim(); redraw(); }, { list: "ivr-prompts", class: "ivr-prompt" })),
        el("label", {}, t("ivr-timeout"), input(m.timeout_seconds, t("ivr-timeout"), (v) => { m.timeout_seconds = Number(v); redraw(); }, { type: "number", min: "1", max: "60" })),
        el("label", {}, t("ivr-retries"), input(m.retries, t("ivr-retries"), (v) => { m.retries = Number(v); redraw(); }, { type: "number", min: "0", max: "5" }))),
      el("table", { class: "ivr-keys" },
        el("caption", { class: "visually-hidden" }, t("ivr-keys")),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("ivr-key")), el("th", { scope: "col" }, t("ivr-does")), el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, t("col-actions"))))),
        el("tbody", {}, ...keys.map(([k, a]) => el("tr", { "data-key": k },
          el("td", {}, el("kbd", {}, k)),
          el("td", {}, action(a, t("ivr-key") + " " + k, (v) => { m.options[k] = v; })),
          el("td", {}, el("button", { type: "button", class: "secondary ivr-remove-key", onclick: () => { delete m.options[k]; redraw(); } },
            t("admin-delete"), el("span", { class: "visually-hidden" }, " " + t("ivr-key") + " " + k)))))),
        el("tfoot", {}, el("tr", {}, el("td", { colspan: "3" }, el("div", { class: "row" },
          el("label", { class: "row" }, t("ivr-new-key"), Object.assign(select(free, free[0], t("ivr-new-key"), () => {}), { className: "ivr-new-key" })),
          el("button", { type: "button", class: "secondary ivr-add-key", onclick: (ev) => {
            const k = ev.target.closest("tr").querySelector("select").value;
            if (k) { m.options[k] = "operator"; redraw(); }
          } }, t("ivr-add-key"))))))),
      el("p", { class: "row" }, t("ivr-on-no-input") + ": ", action(m.on_no_input, t("ivr-on-no-input"), (v) => { m.on_no_input = v; })),
      el("div", { class: "row" },
        m.id === def.start ? null : el("button", { type: "button", class: "secondary", onclick: () => { def.start = m.id; redraw(); } }, t("ivr-make-start")),
        def.menus.length > 1 ? el("button", { type: "button", class: "secondary ivr-remove-menu", onclick: () => { def.menus.splice(mi, 1); if (def.start === m.id) def.start = def.menus[0].id; redraw(); } },
          t("ivr-remove-menu"), el("span", { class: "visually-hidden" }, " " + m.id)) : null));
  });
  const hours = def.hours;
  const hoursBox = el("fieldset", { class: "ivr-hours" }, el("legend", {}, t("ivr-hours")),
    el("label", {}, el("input", { type: "checkbox", id: "ivr-always", checked: !hours, onchange: (ev) => {
      def.hours = ev.target.checked ? null : { open: IVR_DAYS.slice(0, 5).map((d) => ({ day: d, from: "08:00", to: "16:00" })), holidays: [], closed_prompt: "closed" };
      redraw();
    } }), " " + t("ivr-always-open")),
    hours ? [
      el("table", {},
        el("caption", { class: "visually-hidden" }, t("ivr-hours")),
        el("thead", {}, el("tr", {}, ...["ivr-day", "admin-from", "admin-to", "col-actions"].map((k) => el("th", { scope: "col" }, t(k))))),
        el("tbody", {}, ...hours.open.map((o, i) => el("tr", {},
          el("td", {}, select(IVR_DAYS, o.day, t("ivr-day"), (v) => { o.day = v; }, (d) => t("day-" + d))),
          el("td", {}, input(o.from, t("admin-from"), (v) => { o.from = v; redraw(); }, { type: "time" })),
          el("td", {}, input(o.to, t("admin-to"), (v) => { o.to = v; redraw(); }, { type: "time" })),
          el("td", {}, el("button", { type: "button", class: "secondary", onclick: () => { hours.open.splice(i, 1); redraw(); } }, t("admin-delete"))))))),
      el("button", { type: "button", class: "secondary", onclick: () => { hours.open.push({ day: "sat", from: "08:00", to: "12:00" }); redraw(); } }, t("ivr-add-hours")),
      el("p", {}, t("ivr-holidays") + ": ", ...hours.holidays.map((h, i) => el("span", { class: "badge" }, day(h), " ",
        el("button", { type: "button", class: "secondary", onclick: () => { hours.holidays.splice(i, 1); redraw(); } }, "×", el("span", { class: "visually-hidden" }, " " + day(h)))))),
      el("div", { class: "row" },
        el("label", {}, t("ivr-add-holiday"), el("input", { type: "date", id: "ivr-holiday" })),
        el("button", { type: "button", class: "secondary", onclick: () => { const v = $("#ivr-holiday").value; if (v && !hours.holidays.includes(v)) { hours.holidays.push(v); hours.holidays.sort(); redraw(); } } }, t("admin-add"))),
      el("label", {}, t("ivr-closed-prompt"), input(hours.closed_prompt, t("ivr-closed-prompt"), (v) => { hours.closed_prompt = v.trim(); redraw(); }, { list: "ivr-prompts" })),
    ] : null);
  box.replaceChildren(
    el("datalist", { id: "ivr-prompts" }, ...["main-menu", "invalid-choice", "closed", "please-wait", "busy-later"].map((p) => el("option", { value: p }, promptName(p)))),
    el("div", { class: "grid" },
      el("label", {}, t("ivr-start"), select(menuIds, def.start, t("ivr-start"), (v) => { def.start = v; redraw(); })),
      el("label", {}, t("ivr-language"), select(["bs", "en"], def.language, t("ivr-language"), (v) => { def.language = v; }, (l) => t("ivr-lang-" + l))),
      el("label", {}, el("input", { type: "checkbox", checked: def.key_clients_skip_menu, onchange: (ev) => { def.key_clients_skip_menu = ev.target.checked; } }), " " + t("ivr-key-clients-skip"))),
    ...menus,
    el("div", { class: "row" },
      el("label", {}, t("ivr-new-menu"), el("input", { id: "ivr-new-id", pattern: "[a-z0-9_-]+" })),
      el("button", { type: "button", class: "secondary", id: "ivr-add-menu", onclick: () => {
        const id = ($("#ivr-new-id").value || "").trim();
        if (!id || def.menus.some((m) => m.id === id)) return;
        def.menus.push({ id, prompt: "main-menu", options: { 0: "operator" }, timeout_seconds: 5, retries: 1, on_no_input: "operator", invalid_prompt: "invalid-choice" });
        redraw();
      } }, t("ivr-add-menu"))),
    hoursBox,
    el("section", { id: "ivr-preview", "aria-live": "polite" }, el("h3", {}, t("ivr-preview")), el("ol", {}, ...ivrPreview(def))));
  $("#ivr-json").value = JSON.stringify(def, null, 2);
  box.def = def;
}

// ---- administration ------------------------------------------------------------

if (document.body.dataset.page === "admin") {
  const v = (id) => $(id).value.trim() || null;
  const fail = (out, form) => (e) => showError($(out), e, form ? $(form) : null);
  // Wrap-up codes and request categories: rows edited in place, saved
  // together; the server checks the list and names the row at fault.
  const wuRows = (table) => $$(table + " tbody tr.wu-row").map((tr) => {
    const names = {};
    for (const i of tr.querySelectorAll(".wu-name")) if (i.value.trim()) names[i.dataset.lang] = i.value.trim();
    const cat = tr.querySelector(".wu-category");
    return { code: tr.querySelector(".wu-code").value.trim(), names, ...(cat ? { category: cat.value } : {}) };
  });
  const wuAdd = (table, template) => {
    const row = $(template).content.firstElementChild.cloneNode(true);
    $(table + " tbody").append(row);
    row.querySelector(".wu-code").focus();
  };
  $("#wrap-up-codes").addEventListener("click", (ev) => {
    const remove = ev.target.closest(".wu-remove");
    if (remove) remove.closest("tr").remove();
  });
  $("#mail-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("PUT", "/company/mail", {
        host: v("#m-host") || "", port: Number($("#m-port").value), tls: $("#m-tls").value, username: $("#m-user").value.trim(),
        from_address: v("#m-from") || "", report_at: $("#m-at").value, daily_report: $("#m-daily").checked,
      });
      say($("#mail-msg"), t("admin-saved"));
    } catch (e) {
      fail("#mail-msg", "#mail-form")(e);
    }
  });
  // Channels: chat and e-mail settings, the mailbox, reference information.
  const lines = (sel) => $(sel).value.split("\n").map((x) => x.trim()).filter(Boolean);
  const snippet = $("#widget-snippet");
  snippet.textContent = '<script src="' + location.origin + "/chat/" + snippet.dataset.company + '/widget.js" data-lang="bs" async></script>';
  $("#channels-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("PUT", "/channels", {
        chat_capacity: Number($("#ch-chat").value), email_capacity: Number($("#ch-email").value),
        chat_service_level_seconds: Number($("#ch-sl").value), chat_origins: lines("#ch-origins"), chat_canned: lines("#ch-canned"),
      });
      say($("#channels-msg"), t("admin-saved"));
    } catch (e) {
      fail("#channels-msg", "#channels-form")(e);
    }
  });
  $("#recordings-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("PUT", "/recordings/retention", { days: Number($("#rec-days").value), pause_allowed: $("#rec-pause").checked });
      say($("#recordings-msg"), t("admin-saved"));
    } catch (e) {
      fail("#recordings-msg", "#recordings-form")(e);
    }
  });
  $("#mailbox-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("PUT", "/mailbox", {
        address: $("#mb-address").value.trim(), imap_host: $("#mb-host").value.trim(), imap_port: Number($("#mb-port").value),
        imap_tls: $("#mb-tls").value, username: $("#mb-user").value.trim(), password_env: $("#mb-env").value.trim(),
        password_file: $("#mb-file").value.trim(), imap_ca_file: $("#mb-ca").value.trim(),
        folder: $("#mb-folder").value.trim(), max_bytes: Math.round(Number($("#mb-max").value) * 1024 * 1024),
      });
      location.reload();
    } catch (e) {
      fail("#mailbox-msg", "#mailbox-form")(e);
    }
  });
  if ($("#mb-check")) {
    $("#mb-check").addEventListener("click", async () => {
      try {
        const r = await api("POST", "/mailbox/check");
        say($("#mailbox-msg"), t("admin-mailbox-read", { count: String(r.taken) }));
      } catch (e) {
        fail("#mailbox-msg", "#mailbox-form")(e);
      }
    });
  }
  $("#terms-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("PUT", "/reference/terms", { delivery_terms: $("#rt-delivery").value, regional_terms: $("#rt-regional").value });
      say($("#terms-msg"), t("admin-saved"));
    } catch (e) {
      fail("#terms-msg", "#terms-form")(e);
    }
  });
  $("#cert-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = $("#cert-file").files[0];
    if (!file) return;
    const sku = encodeURIComponent($("#cert-sku").value.trim());
    const res = await fetch("/api/v1/products/" + sku + "/certificates?name=" + encodeURIComponent(file.name), {
      method: "POST", headers: { "content-type": file.type || "application/octet-stream" }, body: file,
    });
    if (res.ok) location.reload();
    else fail("#cert-msg", "#cert-form")({ body: ((await res.json().catch(() => null)) || {}).error || { code: "internal" } });
  });
  for (const b of document.querySelectorAll(".cert-delete")) {
    b.addEventListener("click", async () => {
      try {
        await api("DELETE", "/product-certificates/" + b.dataset.id);
        location.reload();
      } catch (e) {
        fail("#cert-msg", "#cert-form")(e);
      }
    });
  }
  $("#wu-add-code").addEventListener("click", () => wuAdd("#wu-codes", "#wu-code-row"));
  $("#wu-add-category").addEventListener("click", () => wuAdd("#wu-categories", "#wu-category-row"));
  $("#wu-save").addEventListener("click", async () => {
    try {
      await api("PUT", "/wrap-up-codes", { codes: wuRows("#wu-codes"), categories: wuRows("#wu-categories") });
      location.reload();
    } catch (e) {
      fail("#wu-msg", "#wrap-up-codes")(e);
    }
  });
  $("#sip-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("PUT", "/staff/" + $("#s-staff").value + "/sip", { username: v("#s-user"), password: $("#s-pass").value, srtp_required: $("#s-srtp").checked });
      location.reload();
    } catch (e) {
      fail("#sip-msg", "#sip-form")(e);
    }
  });
  // The staff table, filtered by name and role as one types.
  const filter = () => {
    const q = fold($("#staff-filter").value || "");
    const role = $("#staff-role-filter").value;
    for (const tr of $$("#staff-table tbody tr")) {
      tr.hidden = (q && !fold(tr.textContent).includes(q)) || (role && tr.dataset.role !== role);
    }
  };
  $("#staff-filter").addEventListener("input", filter);
  $("#staff-role-filter").addEventListener("change", filter);
  // Staff: pick a member to change (or none, to add one).
  $("#st-id").addEventListener("change", () => {
    const o = $("#st-id").selectedOptions[0];
    const d = o.dataset;
    $("#st-username").value = d.username || "";
    $("#st-name").value = d.fullName || "";
    $("#st-role").value = d.role || "operator";
    $("#st-dept").value = d.department || "";
    $("#st-locale").value = d.locale || "bs";
    $("#st-active").checked = d.active !== "false";
    $("#st-email").value = d.email || "";
    $("#st-pass").value = "";
  });
  $("#staff-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const id = $("#st-id").value;
    const body = {
      username: v("#st-username"), full_name: v("#st-name"), role: $("#st-role").value,
      department: $("#st-dept").value ? Number($("#st-dept").value) : null, active: $("#st-active").checked, locale: $("#st-locale").value,
      email: $("#st-email").value.trim(),
    };
    const pass = $("#st-pass").value;
    try {
      if (id) {
        await api("PUT", "/staff/" + id, body);
        if (pass) await api("PUT", "/staff/" + id + "/password", { password: pass });
      } else {
        await api("POST", "/staff", pass ? { ...body, password: pass } : body);
      }
      location.reload();
    } catch (e) {
      fail("#staff-msg", "#staff-form")(e);
    }
  });
  // Queues: a row's Edit fills the form; Save creates or replaces the queue
  // named in it, Delete removes it.
  for (const b of $$(".edit-queue")) {
    b.addEventListener("click", () => {
      const row = b.closest("tr");
      const q = JSON.parse(row.dataset.def);
      $("#q-name").value = row.dataset.queue;
      $("#q-ring").value = q.ring_timeout_seconds;
      $("#q-wrap").value = q.wrap_up_seconds;
      $("#q-max").value = q.max_wait_seconds === null ? "" : q.max_wait_seconds;
      $("#q-overflow").value = typeof q.overflow === "string" ? q.overflow : "queue:" + q.overflow.queue;
      $("#q-announce").value = q.announce_every_seconds;
      $("#q-members").value = q.members.join(", ");
      $("#q-attempts").value = q.callback_attempts;
      $("#q-retry").value = q.callback_retry_seconds;
      $("#q-sl").value = q.service_level_seconds;
      $("#q-offer").checked = q.callback_offer;
      $("#q-name").focus();
    });
  }
  $("#queue-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const n = (id) => (v(id) === null ? null : Number(v(id)));
    const over = $("#q-overflow").value;
    try {
      await api("PUT", "/queues/" + encodeURIComponent(v("#q-name") || ""), {
        ring_timeout_seconds: n("#q-ring"), wrap_up_seconds: n("#q-wrap"), max_wait_seconds: n("#q-max"),
        overflow: over.startsWith("queue:") ? { queue: over.slice(6) } : over, announce_every_seconds: n("#q-announce"),
        callback_offer: $("#q-offer").checked, callback_attempts: n("#q-attempts"), callback_retry_seconds: n("#q-retry"), service_level_seconds: n("#q-sl"), members: ($("#q-members").value || "").split(",").map((m) => m.trim()).filter((m) => m),
      });
      location.reload();
    } catch (e) {
      fail("#queue-msg", "#queue-form")(e);
    }
  });
  $("#q-delete").addEventListener("click", async () => {
    try {
      await api("DELETE", "/queues/" + encodeURIComponent(v("#q-name") || ""));
      location.reload();
    } catch (e) {
      fail("#queue-msg", "#queue-form")(e);
    }
  });
  // The voice menu: edited as a tree; the JSON (advanced) follows it, and
  // a valid JSON typed there redraws the tree.
  const queueNames = $$("#queues-table tr[data-queue]").map((tr) => tr.dataset.queue);
  const menu = () => JSON.parse($("#ivr-json").value);
  ivrEditor(menu(), queueNames);
  $("#ivr-json").addEventListener("change", () => {
    try {
      ivrEditor(menu(), queueNames);
      $("#ivr-msg").textContent = "";
    } catch (_) {
      $("#ivr-msg").className = "error";
      $("#ivr-msg").textContent = t("err-malformed_json");
    }
  });
  $("#ivr-save").addEventListener("click", async () => {
    try {
      const saved = await api("PUT", "/ivr", $("#ivr-editor").def);
      say($("#ivr-msg"), t("admin-saved"));
      $("#ivr-own").textContent = t("admin-ivr-own");
      ivrEditor(Object.fromEntries(Object.entries(saved).filter(([k]) => k !== "default")), queueNames);
    } catch (e) {
      fail("#ivr-msg")(e);
    }
  });
  $("#ivr-reset").addEventListener("click", async () => {
    try {
      await api("DELETE", "/ivr");
      location.reload();
    } catch (e) {
      fail("#ivr-msg")(e);
    }
  });
  $("#absence-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/absences", {
        staff: Number($("#a-staff").value), from: v("#a-from"), to: v("#a-to"), kind: $("#a-kind").value,
        substitute: $("#a-sub").value ? Number($("#a-sub").value) : null,
      });
      location.reload();
    } catch (e) {
      fail("#absence-msg", "#absence-form")(e);
    }
  });
  $("#rule-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/price-rules", {
        name: v("#r-name"), priority: Number($("#r-priority").value || 0), client_type: v("#r-type"),
        min_volume: v("#r-min"), valid_from: v("#r-from"), valid_to: v("#r-to"), column: Number($("#r-column").value),
      });
      location.reload();
    } catch (e) {
      fail("#rule-msg", "#rule-form")(e);
    }
  });
  for (const b of $$(".delete-rule")) {
    b.addEventListener("click", async () => {
      try {
        await api("DELETE", "/price-rules/" + b.dataset.id);
        location.reload();
      } catch (e) {
        fail("#rule-msg")(e);
      }
    });
  }
}

// ---- wallboard -------------------------------------------------------------------

const SL_TARGET = 0.8;

// One row per queue (the operators first) with its service level against
// the target; the calls waiting; every agent with its state, time in
// state, whom it talks with, and the supervisor's controls.
async function refreshWallboard() {
  const queues = await api("GET", "/queues/stats");
  const secs = (s) => (s === null || s === undefined ? "–" : mmss(s));
  $("#wb-queues tbody").replaceChildren(...queues.map((q) => el("tr", { "data-queue": q.queue },
    el("td", {}, el("strong", {}, queueName(q.queue))), el("td", { class: "waiting num" }, String(q.waiting)), el("td", { class: "num" }, secs(q.longest_wait_s)),
    el("td", { class: "num " + (q.service_level === null ? "" : q.service_level >= SL_TARGET ? "sl-good" : "sl-bad") },
      q.service_level === null ? "–" : Math.round(q.service_level * 100) + " % / " + Math.round(SL_TARGET * 100) + " %"),
    el("td", { class: "num" }, secs(q.asa_s)), el("td", { class: "num" }, String(q.answered_today)),
    el("td", { class: "num" }, String(q.abandoned_today)),
    el("td", { class: "num" }, t("wb-staffed-count", { available: q.agents_available, busy: q.agents_busy, not_ready: q.agents_not_ready })))));
  const waiting = queues.flatMap((q) => q.waiting_calls.map((w) => ({ ...w, queue: q.queue })));
  $("#wb-waiting tbody").replaceChildren(...(waiting.length ? waiting.map((w) => el("tr", { "data-interaction": String(w.interaction) },
    el("td", {}, queueName(w.queue)), el("td", {}, (w.client_name ? w.client_name + " · " : "") + w.caller), el("td", { class: "num" }, mmss(w.wait_s))))
    : [el("tr", {}, el("td", { colspan: "3", class: "muted" }, t("wb-nobody-waiting")))]));
  const agents = queues.length ? queues[0].agents : [];
  $("#wb-agents tbody").replaceChildren(...agents.map((a) => el("tr", { "data-agent": a.username, "data-state": a.state },
    el("td", {}, a.full_name), el("td", { class: "state" }, stateText(a.state, a.reason)),
    el("td", { class: "num" }, mmss(a.in_state_s)),
    el("td", { class: "with" }, a.talking_with || "", a.queue ? el("span", { class: "muted" }, " · " + queueName(a.queue)) : null,
      a.listeners.length ? el("span", { class: "badge listening" }, t("wb-listened-by", { names: a.listeners.join(", ") })) : null,
      a.hand_raised_s === null ? null : el("strong", { class: "hand" }, " ✋ " + t("wb-hand", { time: mmss(a.hand_raised_s) }))),
    el("td", { class: "num" }, String(a.handled_today)),
    el("td", { class: "row" },
      // Listen silently, whisper to the operator, or join the call: the
      // supervisor's phone rings the first time; later presses change only
      // who hears them.
      ...(a.talking === null ? [] : [["listen", "wb-listen", "wb-listening"], ["whisper", "wb-whisper", "wb-whispering"],
        ["barge", "wb-barge", "wb-barged"]].map(([mode, label, done]) =>
        el("button", { type: "button", class: mode + " secondary", "data-interaction": String(a.talking),
          onclick: async () => {
            try {
              await api("POST", "/interactions/" + a.talking + "/listen" + (mode === "listen" ? "" : "?mode=" + mode));
              say($("#wb-msg"), t(done));
            } catch (e) {
              showError($("#wb-msg"), e);
            }
          } }, t(label), el("span", { class: "visually-hidden" }, " " + a.full_name)))),
      a.hand_raised_s === null ? null : el("button", { type: "button", class: "answer-hand", onclick: async () => {
        try {
          await api("DELETE", "/agents/" + a.id + "/hand");
          refreshWallboard().catch(() => {});
        } catch (e) {
          showError($("#wb-msg"), e);
        }
      } }, t("wb-hand-done"), el("span", { class: "visually-hidden" }, " " + a.full_name)),
      ...[["ready", "state-ready"], ["not_ready", "state-not-ready"], ["offline", "state-offline"]]
        .filter(([s]) => (s === "ready" ? a.state !== "available" : s === "not_ready" ? a.state !== "not_ready" : a.state !== "offline"))
        .map(([s, key]) => el("button", { type: "button", class: "secondary set-state", "data-state": s, onclick: async () => {
          try {
            await api("PUT", "/agents/" + a.id + "/state", { state: s, reason: s === "not_ready" ? "meeting" : undefined });
            refreshWallboard().catch(() => {});
          } catch (e) {
            showError($("#wb-msg"), e);
          }
        } }, t(key), el("span", { class: "visually-hidden" }, " " + a.full_name)))))));
}

if (document.body.dataset.page === "wallboard") {
  refreshWallboard().catch(() => {});
  setInterval(() => refreshWallboard().catch(() => {}), 2000);
  const source = new EventSource("/api/v1/events");
  source.addEventListener("agent_state", () => refreshWallboard().catch(() => {}));
  source.addEventListener("queue_changed", () => refreshWallboard().catch(() => {}));
  source.addEventListener("hand", () => refreshWallboard().catch(() => {}));
  // TV mode: large type for a wall, readable from five metres.
  $("#tv").addEventListener("click", () => {
    const on = document.body.classList.toggle("tv");
    $("#tv").setAttribute("aria-pressed", String(on));
  });
}

// Scoring a call (/evaluate/{id}): the chosen scorecard's criteria, each
// marked from 0 to its top mark, while the recording plays; saved, the
// score shows and the call's evaluations list it.
if (document.body.dataset.page === "evaluate" && $("#ev-form")) {
  const form = $("#ev-form");
  const marks = $("#ev-marks");
  const draw = () => {
    const opt = $("#ev-card").selectedOptions[0];
    const criteria = JSON.parse(opt.dataset.criteria || "[]");
    for (const old of marks.querySelectorAll("label")) old.remove();
    for (const c of criteria) {
      const label = document.createElement("label");
      label.dataset.field = c.code;
      label.append(c.name + " (0–" + c.max + ")");
      const input = document.createElement("input");
      input.type = "number";
      input.min = "0";
      input.max = String(c.max);
      input.required = true;
      input.id = "ev-mark-" + c.code;
      input.dataset.code = c.code;
      label.append(input);
      marks.append(label);
    }
  };
  $("#ev-card").addEventListener("change", draw);
  draw();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const given = {};
    for (const input of marks.querySelectorAll("input")) given[input.dataset.code] = Number(input.value);
    try {
      const saved = await api("POST", "/evaluations", {
        interaction: Number(form.dataset.interaction), scorecard: $("#ev-card").value, marks: given,
        comment: $("#ev-comment").value,
      });
      const msg = $("#ev-msg");
      msg.className = "ok";
      msg.textContent = t("ev-saved", { score: saved.score.toFixed(1) });
      setTimeout(() => location.reload(), 800);
    } catch (e) {
      showError($("#ev-msg"), e, form);
    }
  });
}

// The reports page prints itself.
if (document.body.dataset.page === "reports" && $("#rp-print")) {
  $("#rp-print").addEventListener("click", () => window.print());
}
