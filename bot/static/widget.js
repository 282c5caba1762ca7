/*
 * Nordlicht chat widget. Embed on any page with one tag:
 *   <script src="https://YOUR-GATEWAY/widget.js" defer></script>
 * Optional attributes: data-gateway="https://YOUR-GATEWAY" (defaults to where the
 * script came from), data-language="de|en" (defaults to the page's lang or the
 * browser language), data-customer-token="<shop login token>" (logged-in shop
 * customers), data-open="true" (start opened).
 * No dependencies, no build step. Talks to the gateway over one WebSocket.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var gateway = (script && script.dataset.gateway) || (script ? new URL(script.src).origin : location.origin);
  var language = ((script && script.dataset.language) || document.documentElement.lang || navigator.language || "de").slice(0, 2).toLowerCase();
  var english = language === "en";
  var customerToken = (script && script.dataset.customerToken) || null;
  var T = english ? {
    open: "Open chat", close: "Close chat", title: "Nordlicht customer service",
    placeholder: "Type a message…", send: "Send", typing: "The assistant is typing…",
    offline: "Connection lost – reconnecting…", label: "Your message",
    stars: function (n) { return n === 1 ? "1 star" : n + " stars"; }, rating: "Rating"
  } : {
    open: "Chat öffnen", close: "Chat schließen", title: "Nordlicht Kundenservice",
    placeholder: "Nachricht schreiben …", send: "Senden", typing: "Der Assistent schreibt …",
    offline: "Verbindung unterbrochen – verbinde neu …", label: "Deine Nachricht",
    stars: function (n) { return n === 1 ? "1 Stern" : n + " Sterne"; }, rating: "Bewertung"
  };
  var SESSION_KEY = "nordlicht-widget-session";
  var PENDING_KEY = "nordlicht-widget-pending";

  var css = [
    ".nlw-launch{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;border:0;border-radius:2rem;padding:.8rem 1.2rem;background:#1d3557;color:#fff;font:600 1rem system-ui,sans-serif;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.3)}",
    ".nlw-launch:focus-visible,.nlw-panel button:focus-visible,.nlw-panel input:focus-visible{outline:3px solid #e9c46a;outline-offset:2px}",
    ".nlw-panel{position:fixed;right:1rem;bottom:1rem;z-index:2147483001;width:min(24rem,calc(100vw - 1rem));height:min(36rem,calc(100vh - 2rem));display:flex;flex-direction:column;background:#fff;color:#222;border-radius:.75rem;box-shadow:0 4px 24px rgba(0,0,0,.3);font:1rem/1.4 system-ui,sans-serif;overflow:hidden}",
    ".nlw-panel[hidden]{display:none}",
    "@media (max-width:480px){.nlw-panel{right:.5rem;left:.5rem;bottom:.5rem;width:auto;height:calc(100vh - 1rem)}}",
    ".nlw-head{display:flex;align-items:center;justify-content:space-between;background:#1d3557;color:#fff;padding:.6rem .9rem}",
    ".nlw-head h2{font-size:1rem;margin:0}",
    ".nlw-head button{background:none;border:0;color:#fff;font-size:1.4rem;cursor:pointer;line-height:1}",
    ".nlw-log{flex:1;overflow-y:auto;padding:.75rem;background:#f4f1ec}",
    ".nlw-msg{margin:.35rem 0;padding:.5rem .75rem;border-radius:.75rem;max-width:85%;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".nlw-customer{background:#a8dadc;margin-left:auto}",
    ".nlw-bot,.nlw-agent,.nlw-system{background:#fff}",
    ".nlw-msg img{max-width:100%;display:block;margin-top:.3rem}",
    ".nlw-buttons{display:flex;flex-wrap:wrap;gap:.3rem;margin:.2rem 0 .5rem}",
    ".nlw-stars{display:flex;gap:.2rem;margin:.2rem 0}",
    ".nlw-stars button{border:0;background:none;font-size:1.7rem;line-height:1;color:#c9ccd1;cursor:pointer;padding:0 .1rem}",
    ".nlw-stars button.nlw-on{color:#e9a800}",
    ".nlw-buttons button{border:1px solid #1d3557;background:#fff;color:#1d3557;border-radius:1rem;padding:.35rem .8rem;font:inherit;cursor:pointer}",
    ".nlw-status{font-size:.85rem;color:#555;padding:0 .75rem .3rem;min-height:1.2rem}",
    ".nlw-form{display:flex;gap:.4rem;padding:.5rem;border-top:1px solid #ddd}",
    ".nlw-form input{flex:1;min-width:0;padding:.55rem;font:inherit;border:1px solid #bbb;border-radius:.4rem}",
    ".nlw-form button{padding:.55rem .9rem;font:inherit;border:0;border-radius:.4rem;background:#1d3557;color:#fff;cursor:pointer}",
    ".nlw-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}"
  ].join("\n");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  var style = el("style");
  style.textContent = css;
  document.head.appendChild(style);

  var launch = el("button", {"class": "nlw-launch", type: "button", "aria-haspopup": "dialog", "aria-expanded": "false"}, "💬 " + T.open);
  var panel = el("section", {"class": "nlw-panel", role: "dialog", "aria-label": T.title, hidden: ""});
  var head = el("div", {"class": "nlw-head"});
  head.appendChild(el("h2", {}, T.title));
  var closeButton = el("button", {type: "button", "aria-label": T.close}, "×");
  head.appendChild(closeButton);
  var log = el("div", {"class": "nlw-log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0"});
  var status = el("div", {"class": "nlw-status", role: "status", "aria-live": "polite"});
  var form = el("form", {"class": "nlw-form"});
  var inputId = "nlw-input-" + Math.random().toString(36).slice(2);
  form.appendChild(el("label", {"for": inputId, "class": "nlw-hidden"}, T.label));
  var input = el("input", {id: inputId, type: "text", autocomplete: "off", placeholder: T.placeholder, maxlength: "4096"});
  form.appendChild(input);
  form.appendChild(el("button", {type: "submit"}, T.send));
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(status);
  panel.appendChild(form);
  document.body.appendChild(launch);
  document.body.appendChild(panel);

  function setOpen(open) {
    panel.hidden = !open;
    launch.hidden = open;
    launch.setAttribute("aria-expanded", String(open));
    if (open) { input.focus(); log.scrollTop = log.scrollHeight; } else { launch.focus(); }
  }
  launch.addEventListener("click", function () { setOpen(true); });
  closeButton.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") setOpen(false); });

  var URL_PATTERN = /(https?:\/\/[^\s<]+|[\w.+-]+@[\w-]+\.[\w.]+)/g;
  function withLinks(node, text) {
    var last = 0;
    text.replace(URL_PATTERN, function (match, _g, offset) {
      node.appendChild(document.createTextNode(text.slice(last, offset)));
      var href = match.indexOf("@") > 0 && match.indexOf("://") < 0 ? "mailto:" + match : match;
      node.appendChild(el("a", {href: href, target: "_blank", rel: "noopener"}, match));
      last = offset + match.length;
      return match;
    });
    node.appendChild(document.createTextNode(text.slice(last)));
  }

  function showMessage(from, text, image) {
    var node = el("div", {"class": "nlw-msg nlw-" + from});
    if (text) withLinks(node, text);
    if (image) node.appendChild(el("img", {src: image, alt: ""}));
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
  }

  // A 1–5 rating scale (buttons titled "1" … "5") is shown as five stars.
  function isStarScale(scale) {
    return scale.length === 5 && scale.every(function (b, i) { return b.title === String(i + 1); });
  }

  function showStars(scale) {
    var row = el("div", {"class": "nlw-stars", role: "group", "aria-label": T.rating});
    var stars = scale.map(function (b, i) {
      var star = el("button", {type: "button", "aria-label": T.stars(i + 1)}, "★");
      star.addEventListener("mouseenter", function () { light(i); });
      star.addEventListener("focus", function () { light(i); });
      star.addEventListener("click", function () { send(b.payload, "★".repeat(i + 1)); });
      row.appendChild(star);
      return star;
    });
    function light(upTo) {
      stars.forEach(function (star, i) { star.classList.toggle("nlw-on", i <= upTo); });
    }
    row.addEventListener("mouseleave", function () { light(-1); });
    log.appendChild(row);
  }

  function showButtons(buttons) {
    if (!buttons || !buttons.length) return;
    var scale = buttons.filter(function (b) { return /^\d+$/.test(b.title); });
    if (isStarScale(scale)) {
      showStars(scale);
      buttons = buttons.filter(function (b) { return scale.indexOf(b) < 0; });
    }
    var row = el("div", {"class": "nlw-buttons", role: "group"});
    buttons.forEach(function (b) {
      var button = el("button", {type: "button"}, b.title);
      button.addEventListener("click", function () { send(b.payload, b.title); });
      row.appendChild(button);
    });
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function showReply(reply) {
    status.textContent = "";
    showMessage(reply.from || "bot", reply.text, reply.image);
    showButtons(reply.buttons);
  }

  function pending() {
    try { return JSON.parse(localStorage.getItem(PENDING_KEY) || "[]"); } catch (e) { return []; }
  }
  function savePending(list) { localStorage.setItem(PENDING_KEY, JSON.stringify(list)); }
  function newId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : Date.now() + "-" + Math.random().toString(36).slice(2);
  }

  var socket = null;
  var ready = false;
  var retryDelay = 500;

  function transmit(message) {
    if (ready && socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({type: "message", id: message.id, text: message.text, title: message.title || null}));
    }
  }

  function send(text, title) {
    text = (text || "").trim();
    if (!text) return;
    var message = {id: newId(), text: text, title: title || null};
    var list = pending();
    list.push(message);
    savePending(list);
    showMessage("customer", title || text);
    transmit(message);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    send(input.value);
    input.value = "";
    input.focus();
  });

  function connect() {
    var url = gateway.replace(/^http/, "ws") + "/widget/ws";
    socket = new WebSocket(url);
    ready = false;
    socket.addEventListener("open", function () {
      retryDelay = 500;
      socket.send(JSON.stringify({type: "hello", session: localStorage.getItem(SESSION_KEY), language: language, customer_token: customerToken}));
    });
    socket.addEventListener("message", function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "welcome") {
        localStorage.setItem(SESSION_KEY, data.session);
        log.textContent = "";
        var seen = {};
        data.history.forEach(function (m) {
          if (m.from === "customer") { seen[m.id] = true; showMessage("customer", m.text); }
          else showReply(m);
        });
        var stillPending = pending().filter(function (m) { return !seen[m.id]; });
        savePending(stillPending);
        stillPending.forEach(function (m) { showMessage("customer", m.title || m.text); });
        ready = true;
        status.textContent = "";
        stillPending.forEach(transmit);
      } else if (data.type === "ack") {
        savePending(pending().filter(function (m) { return m.id !== data.id; }));
      } else if (data.type === "typing") {
        status.textContent = T.typing;
      } else if (data.type === "reply") {
        showReply(data);
      }
    });
    socket.addEventListener("close", function () {
      ready = false;
      status.textContent = T.offline;
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    });
  }

  connect();
  if (script && script.dataset.open === "true") setOpen(true);
  window.NordlichtChat = {open: function () { setOpen(true); }, close: function () { setOpen(false); }};
})();
