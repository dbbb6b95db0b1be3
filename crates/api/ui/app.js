// Centrala's web UI: a small script on top of the JSON API. Every call goes
// to /api/v1 with the session cookie; the server checks roles as for any
// other client.
"use strict";

const T = JSON.parse(document.getElementById("i18n").textContent || "{}");
const t = (k) => T[k] || k;
const $ = (sel) => document.querySelector(sel);

async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["content-type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch("/api/v1" + path, opts);
  if (res.status === 401 && document.body.dataset.page !== "login") {
    location.href = "/login";
    throw new Error("logged out");
  }
  const data = res.status === 204 ? null : await res.json();
  if (!res.ok) {
    const err = new Error((data && data.error && data.error.message) || res.statusText);
    err.body = data && data.error;
    throw err;
  }
  return data;
}

// Every time a person reads is in the company's time zone (the page's
// data-tz), never the browser's or UTC.
function clock(instant) {
  const zone = document.body.dataset.tz || "UTC";
  return new Intl.DateTimeFormat(document.documentElement.lang || "bs",
    { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(instant));
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null) e.append(c.nodeType ? c : document.createTextNode(String(c)));
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

const logout = $("#logout");
if (logout) {
  logout.addEventListener("click", async () => {
    await api("POST", "/auth/logout").catch(() => {});
    location.href = "/login";
  });
}

// ---- login ---------------------------------------------------------------

if (document.body.dataset.page === "login") {
  $("#login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/auth/login", {
        company: $("#company").value.trim(),
        username: $("#username").value.trim(),
        password: $("#password").value,
      });
      location.href = "/";
    } catch (e) {
      $("#login-error").textContent = e.body && e.body.code === "invalid_credentials" ? t("login-failed") : e.message;
    }
  });
}

// ---- operator desk ---------------------------------------------------------

const desk = { card: null, order: null };

function transferText(target) {
  if (!target) return "";
  const m = desk.card && desk.card.manager;
  if (target.username && m && m.username === target.username) return m.full_name + " (" + m.username + ")";
  if (target.username) return target.username;
  if (target.heads && target.heads.length) return target.heads.join(", ");
  return target.kind + (target.department ? " (" + target.department + ")" : "");
}

async function search(q) {
  const list = $("#client-results");
  list.replaceChildren();
  if (!q.trim()) return;
  const rows = await api("GET", "/clients?limit=20&q=" + encodeURIComponent(q));
  if (!rows.length) list.append(el("li", { class: "muted" }, t("search-empty")));
  for (const r of rows) {
    list.append(el("li", {}, el("button", { type: "button", "data-code": r.code, onclick: () => openCard(r.code) },
      r.code + " — " + r.name + " (" + r.type + ")")));
  }
}

async function openCard(code) {
  const c = await api("GET", "/clients/" + encodeURIComponent(code));
  desk.card = c;
  desk.order = null;
  $("#order").hidden = true;
  const card = $("#card");
  card.hidden = false;
  const receivers = c.contacts.filter((k) => k.authorized_to_receive).map((k) => k.name);
  const parts = [
    el("h2", { id: "card-name" }, c.name, " ", el("span", { class: "muted" }, c.code)),
    c.blocked ? el("div", { id: "card-blocked", class: "blocked", role: "alert" },
      el("strong", {}, t("card-blocked")), " — ", c.block_message, ". ",
      t("card-overdue") + ": " + c.overdue + " · " + t("card-over-limit") + ": " + c.over_limit + " · ",
      t("card-transfer") + ": ", el("strong", { id: "card-transfer" }, transferText(c.transfer_to))) : null,
    c.key_client ? el("p", { class: "notice" }, t("card-key-client")) : null,
    c.new_client ? el("p", { class: "notice" }, t("card-new-client")) : null,
    c.dormant ? el("p", { class: "notice" }, t("card-dormant")) : null,
    el("dl", {},
      el("dt", {}, t("card-type")), el("dd", {}, c.type),
      el("dt", {}, t("card-manager")), el("dd", { id: "card-manager" }, c.manager
        ? c.manager.full_name + (c.manager.present ? "" : " (" + t("card-manager-absent") + " " + (c.manager.away_until || "?") + ")")
        : "—"),
      el("dt", {}, t("card-credit-limit")), el("dd", {}, c.credit_limit),
      el("dt", {}, t("card-open")), el("dd", {}, c.open_total),
      el("dt", {}, t("card-headroom")), el("dd", { id: "card-headroom" }, c.credit_headroom),
      el("dt", {}, t("card-column")), el("dd", {}, c.price_column + (c.price_rule ? " (" + c.price_rule + ")" : "")),
      el("dt", {}, t("card-receivers")), el("dd", {}, receivers.join(", ") || "—"),
      el("dt", {}, t("card-last-orders")), el("dd", {}, c.last_orders.map((o) => o.date + " " + o.total).join(" · ") || "—")),
    el("div", { class: "row" },
      el("button", { id: "new-order", type: "button", onclick: newOrder }, t("order-new")),
      c.phones.length ? el("button", { id: "dial", type: "button", class: "secondary", onclick: () => dial(c.phones[0]) },
        t("call-dial") + " " + c.phones[0]) : null),
    el("p", { id: "card-error", class: "error", role: "alert" })];
  card.replaceChildren(...parts.filter((p) => p));
  const select = $("#d-receiver");
  select.replaceChildren(...receivers.map((r) => el("option", { value: r }, r)));
  for (const l of document.querySelectorAll(".regional")) l.hidden = c.type !== "regional";
}

async function newOrder() {
  $("#card-error").textContent = "";
  try {
    const o = await api("POST", "/orders", { client: desk.card.code });
    showOrder(o);
    $("#sku").focus();
  } catch (e) {
    const to = e.body && e.body.transfer_to ? " → " + transferText(e.body.transfer_to) : "";
    $("#card-error").textContent = e.message + to;
  }
}

function showOrder(o) {
  desk.order = o;
  $("#order").hidden = false;
  $("#order-no").textContent = o.order_no;
  $("#order-column").textContent = t("card-column") + " " + o.price_column + (o.price_rule ? " · " + o.price_rule : "");
  $("#lines tbody").replaceChildren(...o.lines.map((l) =>
    el("tr", {}, el("td", {}, l.sku), el("td", {}, l.name), el("td", {}, l.quantity), el("td", {}, l.unit_price), el("td", {}, l.amount))));
  $("#total").textContent = o.total;
  $("#offer-counter").textContent = t("order-offers") + ": " + o.offers_done + " / " + o.offers_required;
  loadRecommendations();
}

async function loadRecommendations() {
  const o = desk.order;
  const recos = await api("GET", "/orders/" + o.id + "/recommendations");
  $("#recos").replaceChildren(...recos.map((r) => el("li", { "data-sku": r.sku, "data-reason": r.reason },
    el("strong", {}, r.name), el("span", { class: "badge" }, r.reason), el("span", { class: "why" }, r.explanation + " · " + r.price),
    r.offered ? el("span", { class: "muted" }, r.offered === "accepted" ? t("order-accept") : t("order-decline")) : [
      el("button", { type: "button", class: "accept", "data-sku": r.sku, onclick: () => offer(r.sku, "accepted") }, t("order-accept")),
      el("button", { type: "button", class: "decline secondary", "data-sku": r.sku, onclick: () => offer(r.sku, "declined") }, t("order-decline")),
    ])));
}

async function offer(sku, answer) {
  try {
    showOrder(await api("POST", "/orders/" + desk.order.id + "/offers", { sku, answer }));
  } catch (e) {
    $("#order-msg").className = "error";
    $("#order-msg").textContent = e.message;
  }
}

async function addLine(ev) {
  ev.preventDefault();
  const raw = $("#sku").value.trim();
  if (!raw) return;
  const sku = raw.split(" — ")[0];
  try {
    showOrder(await api("POST", "/orders/" + desk.order.id + "/lines", { sku, quantity: $("#qty").value || "1" }));
    $("#sku").value = "";
    $("#qty").value = "1";
    $("#sku").focus();
  } catch (e) {
    $("#order-msg").className = "error";
    $("#order-msg").textContent = e.message;
  }
}

async function suggestProducts() {
  const q = $("#sku").value.trim();
  if (q.length < 2 || q.includes(" — ")) return;
  const rows = await api("GET", "/products?limit=15&q=" + encodeURIComponent(q));
  const col = desk.order ? desk.order.price_column - 1 : 0;
  $("#sku-list").replaceChildren(...rows.map((p) => el("option", { value: p.sku + " — " + p.name }, p.prices[col])));
}

async function confirmOrder() {
  const msg = $("#order-msg");
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
    desk.order = o;
    msg.className = "ok";
    msg.textContent = t("order-confirmed") + ": " + o.order_no;
  } catch (e) {
    msg.className = "error";
    const missing = e.body && e.body.missing ? " (" + e.body.missing.join(", ") + ")" : "";
    msg.textContent = e.message + missing;
  }
}

async function setState(state, reason) {
  const s = await api("PUT", "/agents/me/state", { state, reason });
  showState(s);
}

function showState(s) {
  $("#my-state").textContent = s.state + (s.reason ? " (" + s.reason + ")" : "");
  $("#my-state").dataset.state = s.state;
}

// ---- calls on the desk: pop-up, transfer, notes, click-to-call ----------------

const call = { id: null };

function showCall(kind, d) {
  call.id = d.interaction;
  const box = $("#call");
  box.hidden = false;
  box.dataset.state = kind;
  $("#call-title").textContent = t(kind === "call_answered" ? "call-on" : "call-incoming");
  $("#call-who").textContent = (d.client_name ? d.client_name + " · " : "") + d.caller +
    (d.identity === "unverified" ? " (" + t("call-unverified") + ")" : "");
  $("#call-actions").hidden = kind !== "call_answered";
  $("#call-notes").hidden = kind !== "call_answered";
  $("#call-msg").textContent = "";
  if (d.client && (!desk.card || desk.card.code !== d.client)) openCard(d.client).catch(() => {});
}

async function transfer(to) {
  try {
    const r = await api("POST", "/interactions/" + call.id + "/transfer", { to });
    $("#call-msg").textContent = t("call-transferred") + " " + (r.ringing.join(", ") || "—");
    $("#call-actions").hidden = true;
  } catch (e) {
    $("#call-msg").textContent = e.message;
  }
}

async function saveNote() {
  try {
    await api("PUT", "/interactions/" + call.id + "/notes",
      { notes: $("#call-note").value, wrap_up: $("#call-wrap").value || null });
    $("#call-msg").textContent = t("call-saved");
  } catch (e) {
    $("#call-msg").textContent = e.message;
  }
}

async function dial(number) {
  const box = $("#call");
  box.hidden = false;
  try {
    const r = await api("POST", "/calls", { number });
    call.id = r.interaction;
    $("#call-title").textContent = t("call-dial");
    $("#call-who").textContent = number;
    $("#call-msg").textContent = t("call-dialing");
    $("#call-notes").hidden = false;
  } catch (e) {
    $("#call-msg").textContent = e.message;
  }
}

if (document.body.dataset.page === "desk") {
  const calls = new EventSource("/api/v1/events");
  for (const kind of ["call_offered", "call_answered"]) {
    calls.addEventListener(kind, (ev) => showCall(kind, JSON.parse(ev.data)));
  }
  // The ACD's changes of my state (offered, on a call, wrap-up) show at once.
  // (A supervisor hears everyone's: only their own is theirs to show.)
  calls.addEventListener("agent_state", (ev) => {
    const s = JSON.parse(ev.data);
    if (String(s.staff) === document.body.dataset.staff) showState(s);
  });
  $("#xfer-manager").addEventListener("click", () => transfer("manager"));
  $("#xfer-finance").addEventListener("click", () => transfer("finance"));
  $("#xfer-head").addEventListener("click", () => transfer("head"));
  $("#call-note-save").addEventListener("click", saveNote);
  api("GET", "/agents/me/state").then(showState).catch(() => {});
  $("#go-ready").addEventListener("click", () => setState("ready").catch(() => {}));
  $("#go-not-ready").addEventListener("click", () => setState("not_ready", $("#nr-reason").value).catch(() => {}));
  $("#go-offline").addEventListener("click", () => setState("offline").catch(() => {}));
  $("#go-wrap-done").addEventListener("click", () => setState("wrap_up_done").catch(() => {}));
  const q = $("#client-q");
  q.addEventListener("input", debounce(() => search(q.value).catch(() => {}), 200));
  q.addEventListener("keydown", async (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      await search(q.value);
      const first = $("#client-results button");
      if (first) first.click();
    }
  });
  $("#line-form").addEventListener("submit", addLine);
  $("#sku").addEventListener("input", debounce(() => suggestProducts().catch(() => {}), 200));
  $("#confirm").addEventListener("click", confirmOrder);
}

// ---- heads' live orders -------------------------------------------------------

function orderItem(o) {
  return el("li", { "data-order": o.order_no },
    el("strong", {}, o.order_no), " — ", o.client_name || o.client, " — ", o.total,
    o.taken_by ? el("span", { class: "muted" }, " · " + o.taken_by) : null);
}

// A manager picker and an Assign button for a new client; once assigned,
// `li` says to whom.
function assignControl(code, label, managers, li) {
  const select = el("select", { "aria-label": t("card-manager") }, ...managers.map((m) => el("option", { value: m.username }, m.full_name)));
  return [select, el("button", { type: "button", class: "assign", onclick: async () => {
    const card = await api("PUT", "/clients/" + encodeURIComponent(code) + "/manager", { username: select.value });
    const done = label + ": " + t("heads-assigned") + " " + card.manager.full_name;
    li.replaceChildren(el("span", { class: "ok" }, done));
    // The same client in the other list is done too.
    for (const other of document.querySelectorAll("#new-clients li[data-code='" + CSS.escape(code) + "']")) {
      if (other !== li) other.replaceChildren(el("span", { class: "ok" }, done));
    }
    loadNewCalls().catch(() => {});
  } }, t("heads-assign"))];
}

async function loadManagers() {
  const staff = await api("GET", "/staff");
  return staff.filter((m) => m.active && (m.role === "manager" || m.role === "key_account_manager"));
}

async function loadNewClients() {
  const list = $("#new-clients");
  if (!list) return;
  const [clients, managers] = await Promise.all([api("GET", "/clients?new=true&limit=50"), loadManagers()]);
  list.replaceChildren(...clients.map((c) => {
    const li = el("li", { "data-code": c.code });
    li.append(el("strong", {}, c.code), " — " + c.name + " (" + c.type + ", " + c.region + ") ",
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
  list.replaceChildren(...calls.map((i) => {
    const li = el("li", { "data-interaction": String(i.id), "data-state": i.disposition });
    const who = i.client ? i.client : t("heads-unknown-number");
    const how = i.disposition === "in_progress" ? t("heads-call-now") : i.disposition + (i.handled_by ? " · " + i.handled_by : "");
    li.append(el("strong", {}, clock(i.arrived_at)), " " + i.caller + " — " + who + " — " + how + " ");
    if (i.client && unassigned.has(i.client)) li.append(...assignControl(i.client, i.client, managers, li));
    return li;
  }));
}

if (document.body.dataset.page === "heads") {
  loadNewClients().catch(() => {});
  loadNewCalls().catch(() => {});
  setInterval(() => loadNewCalls().catch(() => {}), 15000);
  const list = $("#live-orders");
  const source = new EventSource("/api/v1/events");
  source.addEventListener("open", () => { $("#live-status").textContent = "● live"; });
  source.addEventListener("order_confirmed", (ev) => {
    list.prepend(orderItem(JSON.parse(ev.data)));
  });
  // A new client's call ringing or answered at this head's phone.
  for (const kind of ["call_offered", "call_answered"]) source.addEventListener(kind, () => loadNewCalls().catch(() => {}));
}

// ---- administration ------------------------------------------------------------

if (document.body.dataset.page === "admin") {
  const v = (id) => $(id).value.trim() || null;
  const report = (id, ok, text) => {
    $(id).className = ok ? "ok" : "error";
    $(id).textContent = text;
  };
  $("#sip-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("PUT", "/staff/" + $("#s-staff").value + "/sip", { username: v("#s-user"), password: $("#s-pass").value, srtp_required: $("#s-srtp").checked });
      location.reload();
    } catch (e) {
      report("#sip-msg", false, e.message);
    }
  });
  // Staff: pick a member to change (or none, to add one).
  $("#st-id").addEventListener("change", () => {
    const o = $("#st-id").selectedOptions[0];
    const d = o.dataset;
    $("#st-username").value = d.username || "";
    $("#st-name").value = d.fullName || "";
    $("#st-role").value = d.role || "operator";
    $("#st-dept").value = d.department || "";
    $("#st-locale").value = d.locale || "en";
    $("#st-active").checked = d.active !== "false";
    $("#st-pass").value = "";
  });
  $("#staff-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const id = $("#st-id").value;
    const body = {
      username: v("#st-username"), full_name: v("#st-name"), role: $("#st-role").value,
      department: $("#st-dept").value ? Number($("#st-dept").value) : null, active: $("#st-active").checked, locale: $("#st-locale").value,
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
      report("#staff-msg", false, e.message);
    }
  });
  // Queues: a row's Edit fills the form; Save creates or replaces the queue
  // named in it, Delete removes it.
  for (const b of document.querySelectorAll(".edit-queue")) {
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
        callback_offer: $("#q-offer").checked, callback_attempts: n("#q-attempts"), callback_retry_seconds: n("#q-retry"), members: ($("#q-members").value || "").split(",").map((m) => m.trim()).filter((m) => m),
      });
      location.reload();
    } catch (e) {
      report("#queue-msg", false, e.message);
    }
  });
  $("#q-delete").addEventListener("click", async () => {
    try {
      await api("DELETE", "/queues/" + encodeURIComponent(v("#q-name") || ""));
      location.reload();
    } catch (e) {
      report("#queue-msg", false, e.message);
    }
  });
  $("#ivr-save").addEventListener("click", async () => {
    try {
      await api("PUT", "/ivr", JSON.parse($("#ivr-json").value));
      report("#ivr-msg", true, t("admin-saved"));
    } catch (e) {
      report("#ivr-msg", false, e.message);
    }
  });
  $("#ivr-reset").addEventListener("click", async () => {
    try {
      await api("DELETE", "/ivr");
      location.reload();
    } catch (e) {
      report("#ivr-msg", false, e.message);
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
      report("#absence-msg", false, e.message);
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
      report("#rule-msg", false, e.message);
    }
  });
  for (const b of document.querySelectorAll(".delete-rule")) {
    b.addEventListener("click", async () => {
      try {
        await api("DELETE", "/price-rules/" + b.dataset.id);
        location.reload();
      } catch (e) {
        report("#rule-msg", false, e.message);
      }
    });
  }
}

// ---- wallboard -------------------------------------------------------------------

// One row per queue (the operators first), then every agent with its
// state, time in state, calls today, and a button to listen in on the call
// it talks in (the supervisor's phone rings).
async function refreshWallboard() {
  const queues = await api("GET", "/queues/stats");
  const secs = (s) => (s === null || s === undefined ? "–" : s + " s");
  $("#wb-queues tbody").replaceChildren(...queues.map((q) => el("tr", { "data-queue": q.queue },
    el("td", {}, el("strong", {}, q.queue)), el("td", { class: "waiting" }, String(q.waiting)), el("td", {}, secs(q.longest_wait_s)),
    el("td", {}, q.service_level === null ? "–" : Math.round(q.service_level * 100) + " %"), el("td", {}, secs(q.asa_s)),
    el("td", {}, String(q.abandoned_today)))));
  const agents = queues.length ? queues[0].agents : [];
  $("#wb-agents tbody").replaceChildren(...agents.map((a) => el("tr", { "data-agent": a.username, "data-state": a.state },
    el("td", {}, a.full_name), el("td", {}, a.state + (a.reason ? " (" + a.reason + ")" : "")),
    el("td", {}, Math.floor(a.in_state_s / 60) + ":" + String(a.in_state_s % 60).padStart(2, "0")), el("td", {}, String(a.handled_today)),
    el("td", {}, a.talking === null ? "" : el("button", { type: "button", class: "listen secondary", "data-interaction": String(a.talking),
      onclick: async () => {
        try {
          await api("POST", "/interactions/" + a.talking + "/listen");
          $("#wb-msg").className = "ok";
          $("#wb-msg").textContent = t("wb-listening");
        } catch (e) {
          $("#wb-msg").className = "error";
          $("#wb-msg").textContent = e.message;
        }
      } }, t("wb-listen"))))));
}

if (document.body.dataset.page === "wallboard") {
  refreshWallboard().catch(() => {});
  setInterval(() => refreshWallboard().catch(() => {}), 2000);
  const source = new EventSource("/api/v1/events");
  source.addEventListener("agent_state", () => refreshWallboard().catch(() => {}));
  source.addEventListener("queue_changed", () => refreshWallboard().catch(() => {}));
}
