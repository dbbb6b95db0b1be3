// Centrala's web chat widget: a company puts it on its own pages with
//   <script src="https://centrala.example/chat/<company>/widget.js" data-lang="bs" async></script>
// It reads its company and server from its own address, talks over one
// WebSocket to the server, and keeps the chat's resume token in the
// page's localStorage, so a reload or a network change keeps the
// conversation. Everything a visitor or an operator wrote is shown as
// text (textContent), never as HTML. The words come from the server, in
// the page's language (bs, en or ru).
(function () {
  "use strict";
  const me = document.currentScript;
  if (!me || window.__centralaChat) return;
  window.__centralaChat = true;
  const src = new URL(me.src);
  const company = decodeURIComponent(src.pathname.split("/")[2] || "");
  const wanted = (me.dataset.lang || navigator.language || "bs").slice(0, 2).toLowerCase();
  const lang = ["bs", "en", "ru"].includes(wanted) ? wanted : "bs";
  const base = src.origin;
  const socketUrl = base.replace(/^http/, "ws") + "/chat/" + encodeURIComponent(company) + "/ws?lang=" + lang;
  const keep = "centrala-chat-" + company;

  // The words of every language, put in by the server when it serves the
  // script, so that the widget speaks before (or without) its socket; the
  // socket's hello brings them again.
  const allWords = /*WORDS*/{};
  let words = allWords[lang] || {};
  let greeted = false;
  let ws = null;
  let retry = 1000;
  let left = false;
  let lastAgentSeq = 0;
  let lastMineSeq = 0;
  let typingTimer = null;

  const css = `
#centrala-chat{position:fixed;right:16px;bottom:16px;z-index:2147483000;font:15px/1.4 system-ui,sans-serif;color:#1b1b1b}
#centrala-chat *{box-sizing:border-box}
#centrala-chat button{font:inherit;cursor:pointer;border-radius:6px;border:1px solid #0b5cad;background:#0b5cad;color:#fff;padding:6px 12px}
#centrala-chat button.cc-plain{background:#fff;color:#0b5cad}
#centrala-chat .cc-panel{width:340px;max-width:calc(100vw - 32px);background:#fff;border:1px solid #8a8a8a;border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.2);display:flex;flex-direction:column;max-height:520px}
#centrala-chat .cc-head{display:flex;justify-content:space-between;align-items:center;padding:8px 12px;background:#0b5cad;color:#fff;border-radius:8px 8px 0 0}
#centrala-chat .cc-body{padding:10px 12px;overflow:auto;flex:1}
#centrala-chat label{display:block;margin-top:6px}
#centrala-chat input,#centrala-chat textarea{width:100%;font:inherit;padding:4px 6px;border:1px solid #6b6b6b;border-radius:4px}
#centrala-chat ol{list-style:none;margin:0;padding:0}
#centrala-chat li{margin:4px 0;padding:4px 8px;border-radius:6px;background:#eef3f8;white-space:pre-wrap;word-wrap:break-word}
#centrala-chat li.cc-visitor{background:#dff0d8;margin-left:24px}
#centrala-chat li.cc-system{background:none;color:#555;font-style:italic;text-align:center}
#centrala-chat .cc-muted{color:#555;font-size:13px}
#centrala-chat .cc-error{color:#a40000}
#centrala-chat form.cc-send{display:flex;gap:6px;padding:8px 12px;border-top:1px solid #ccc}
#centrala-chat iframe{width:100%;height:360px;border:0}
`;

  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (v !== false && v != null) e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  };
  const w = (k) => words[k] || "";

  const root = el("div", { id: "centrala-chat", lang });
  const style = el("style", {}, css);
  const opener = el("button", { type: "button", id: "centrala-chat-open", onclick: () => show(true) }, "…");
  const title = el("strong", { id: "cc-title" }, "");
  const hide = el("button", { type: "button", class: "cc-plain", id: "cc-minimize", onclick: () => show(false) }, "–");
  const body = el("div", { class: "cc-body", id: "cc-body" });
  const status = el("p", { id: "cc-status", class: "cc-muted", "aria-live": "polite" });
  const log = el("ol", { id: "cc-log", "aria-live": "polite" });
  const typing = el("p", { id: "cc-typing", class: "cc-muted", hidden: true });
  const error = el("p", { id: "cc-error", class: "cc-error", role: "alert" });
  const input = el("textarea", { id: "cc-input", rows: "2", maxlength: "2000" });
  const send = el("form", { class: "cc-send", id: "cc-send", hidden: true }, input, el("button", { type: "submit", id: "cc-send-button" }, "…"));
  const leave = el("button", { type: "button", class: "cc-plain", id: "cc-leave", hidden: true }, "…");
  const panel = el("div", { class: "cc-panel", id: "cc-panel", role: "dialog", "aria-labelledby": "cc-title", hidden: true },
    el("div", { class: "cc-head" }, title, hide), body, send);
  root.append(style, opener, panel);

  function dress() {
    title.textContent = w("chat-title");
    opener.textContent = w("chat-open");
    hide.setAttribute("aria-label", w("chat-minimize"));
    send.querySelector("button").textContent = w("chat-send");
    input.setAttribute("aria-label", w("chat-message"));
    leave.textContent = w("chat-leave");
  }
  dress();

  function show(open) {
    panel.hidden = !open;
    opener.hidden = open;
    if (open) readUpTo();
  }

  function say(e) {
    error.textContent = e ? e.message : "";
  }

  function put(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
  }

  function startForm() {
    const field = (id, key, type, required) => [el("label", { for: id }, w(key) + (required ? " *" : "")),
      type === "textarea" ? el("textarea", { id, rows: "3", maxlength: "2000" }) : el("input", { id, type, maxlength: "120", required })];
    const form = el("form", { id: "cc-start" },
      el("p", {}, w("chat-intro")),
      ...field("cc-name", "chat-name", "text", true),
      ...field("cc-phone", "chat-phone", "tel", false),
      ...field("cc-email", "chat-email", "email", false),
      ...field("cc-text", "chat-message", "textarea", false),
      el("p", {}, el("button", { type: "submit" }, w("chat-start"))));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      say(null);
      put({ type: "start", name: form.querySelector("#cc-name").value, phone: form.querySelector("#cc-phone").value,
        email: form.querySelector("#cc-email").value, text: form.querySelector("#cc-text").value });
    });
    body.replaceChildren(form, error);
  }

  // Nobody to answer: the company's callback form instead.
  function offline(form) {
    body.replaceChildren(el("p", { id: "cc-offline" }, w("chat-offline")),
      el("iframe", { src: base + form, title: w("chat-offline") }));
  }

  function conversation() {
    body.replaceChildren(status, log, typing, error, el("p", {}, leave));
    send.hidden = false;
    leave.hidden = false;
  }

  function add(m) {
    if (log.querySelector('[data-seq="' + m.seq + '"]')) return;
    const li = el("li", { class: "cc-" + m.author, "data-seq": String(m.seq) });
    li.append(m.author === "visitor" ? w("chat-you") + ": " : "", m.body);
    log.append(li);
    if (m.author === "agent") {
      lastAgentSeq = Math.max(lastAgentSeq, m.seq);
      typing.hidden = true;
      readUpTo();
    }
    if (m.author === "visitor") lastMineSeq = Math.max(lastMineSeq, m.seq);
    body.scrollTop = body.scrollHeight;
  }

  function readUpTo() {
    if (!panel.hidden && lastAgentSeq && document.visibilityState !== "hidden") put({ type: "read", seq: lastAgentSeq });
  }

  function markRead(seq) {
    for (const li of log.querySelectorAll("li.cc-visitor")) {
      if (Number(li.dataset.seq) <= seq && !li.querySelector(".cc-read")) li.append(el("span", { class: "cc-read cc-muted" }, " ✓ " + w("chat-read")));
    }
  }

  function closed() {
    localStorage.removeItem(keep);
    status.textContent = w("chat-closed");
    send.hidden = true;
    leave.hidden = true;
    typing.hidden = true;
  }

  function receive(m) {
    switch (m.type) {
      case "hello":
        greeted = true;
        words = m.words;
        dress();
        if (localStorage.getItem(keep)) put({ type: "resume", token: localStorage.getItem(keep) });
        else if (!m.open) offline(m.form);
        else startForm();
        break;
      case "started":
        if (m.token) localStorage.setItem(keep, m.token);
        conversation();
        break;
      case "history":
        log.replaceChildren();
        for (const x of m.messages) add(x);
        markRead(m.agent_read);
        break;
      case "waiting":
        status.textContent = m.text;
        break;
      case "joined":
        status.textContent = m.text;
        break;
      case "message":
        add(m);
        break;
      case "typing":
        typing.textContent = w("chat-typing");
        typing.hidden = false;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => { typing.hidden = true; }, 4000);
        break;
      case "read":
        markRead(m.seq);
        break;
      case "closed":
        closed();
        break;
      case "error":
        // A resume token the server no longer knows: start afresh.
        if (m.code === "not_found" && localStorage.getItem(keep)) {
          localStorage.removeItem(keep);
          startForm();
        }
        say(m);
        break;
    }
  }

  function connect() {
    ws = new WebSocket(socketUrl);
    ws.onopen = () => { retry = 1000; };
    ws.onmessage = (ev) => {
      try {
        receive(JSON.parse(ev.data));
      } catch (e) {
        // A frame we do not understand is not the visitor's business.
      }
    };
    ws.onclose = () => {
      if (left) return;
      // Never greeted and no conversation to keep (the page's network or a
      // proxy does not let the socket through, or the site is not allowed):
      // the company's callback form instead, and no more tries.
      if (!greeted && !localStorage.getItem(keep)) {
        offline("/forms/" + encodeURIComponent(company) + "/callback?lang=" + lang);
        return;
      }
      // The conversation is kept on the server: reconnect and resume.
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  send.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    say(null);
    put({ type: "say", text });
    input.value = "";
  });
  input.addEventListener("input", () => put({ type: "typing" }));
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      send.requestSubmit();
    }
  });
  leave.addEventListener("click", () => {
    put({ type: "leave" });
    closed();
  });
  document.addEventListener("visibilitychange", readUpTo);

  const mount = () => {
    document.body.append(root);
    connect();
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
