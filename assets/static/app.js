// Autónomo staff UI: small progressive enhancements over server-rendered pages.
// Every page works without this file; with it, forms feel instant and screens stay live.
(function () {
  "use strict";

  var csrf = function () {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  };

  // htmx sends the session's CSRF token on every request it makes.
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = csrf();
  });

  // ---- Toasts --------------------------------------------------------------
  function toast(text, kind) {
    var box = document.getElementById("toast");
    if (!box || !text) return;
    var el = document.createElement("div");
    el.className = "msg" + (kind ? " " + kind : "");
    el.textContent = text;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 4500);
  }
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var text = (doc.body && doc.body.textContent || "").trim();
    toast(text || ("Error " + xhr.status), "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast(document.documentElement.lang === "en" ? "No connection to the server." : "Sin conexión con el servidor.", "error");
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-flash]").forEach(function (el) { toast(el.getAttribute("data-flash")); });
  });

  // ---- Small behaviours ----------------------------------------------------
  document.addEventListener("click", function (e) {
    var p = e.target.closest("[data-print]");
    if (p) { e.preventDefault(); window.print(); return; }
    var row = e.target.closest("tr[data-href]");
    if (row && !e.target.closest("a, button, input, select, label")) {
      window.location.href = row.getAttribute("data-href");
    }
  });
  document.addEventListener("change", function (e) {
    if (e.target.matches("select[data-autosubmit], input[data-autosubmit]")) {
      var f = e.target.form;
      if (f) { f.requestSubmit ? f.requestSubmit() : f.submit(); }
    }
  });
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); e.stopPropagation(); }
  }, true);
  // htmx forms with data-confirm.
  document.addEventListener("htmx:confirm", function (e) {
    var el = e.detail.elt;
    var form = el.closest && el.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
  });
  // Close open menus when clicking elsewhere or pressing Escape.
  document.addEventListener("click", function (e) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      if (!d.contains(e.target)) d.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      document.querySelectorAll("details.menu[open]").forEach(function (d) {
        d.removeAttribute("open");
        var s = d.querySelector("summary");
        if (s) s.focus();
      });
    }
    // "/" focuses the page's search box, as in most modern tools.
    if (e.key === "/" && !e.target.closest("input, textarea, select")) {
      var s = document.querySelector("[data-search]");
      if (s) { e.preventDefault(); s.focus(); }
    }
  });

  // ---- Money ---------------------------------------------------------------
  function formatMoney(minor, root) {
    var digits = parseInt(root.getAttribute("data-digits") || "2", 10);
    var pattern = root.getAttribute("data-money") || "{n}";
    var neg = minor < 0;
    var abs = Math.abs(minor);
    var scale = Math.pow(10, digits);
    var int = Math.floor(abs / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var frac = digits ? "." + String(abs % scale).padStart(digits, "0") : "";
    return pattern.replace("{n}", (neg ? "-" : "") + int + frac);
  }

  // ---- New order (counter / phone) ----------------------------------------
  function initPos(root) {
    var tiles = Array.prototype.slice.call(root.querySelectorAll(".tile"));
    var lines = root.querySelector("[data-lines]");
    var empty = root.querySelector("[data-lines-empty]");
    var total = root.querySelector("[data-total]");
    var submit = root.querySelector("[data-submit]");
    var search = root.querySelector("[data-product-search]");
    var activeCat = "";

    function qtyOf(tile) {
      var v = parseInt(tile.querySelector("input").value, 10);
      return isNaN(v) || v < 0 ? 0 : Math.min(v, 1000);
    }
    function refresh() {
      var sum = 0, count = 0;
      lines.textContent = "";
      tiles.forEach(function (tile) {
        var q = qtyOf(tile);
        tile.classList.toggle("in-cart", q > 0);
        if (q > 0) {
          var price = parseInt(tile.getAttribute("data-price"), 10);
          sum += q * price; count += q;
          var li = document.createElement("li");
          var qs = document.createElement("span"); qs.className = "q"; qs.textContent = q + "×";
          var ns = document.createElement("span"); ns.className = "n"; ns.textContent = tile.getAttribute("data-name");
          var ps = document.createElement("span"); ps.className = "num"; ps.textContent = formatMoney(q * price, root);
          li.appendChild(qs); li.appendChild(ns); li.appendChild(ps);
          lines.appendChild(li);
        }
      });
      empty.classList.toggle("hidden", count > 0);
      total.textContent = formatMoney(sum, root);
      if (submit) submit.disabled = count === 0;
    }
    function filter() {
      var q = (search && search.value || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
      tiles.forEach(function (tile) {
        var name = (tile.getAttribute("data-name") + " " + tile.getAttribute("data-sku")).toLowerCase()
          .normalize("NFD").replace(/[\u0300-\u036f]/g, "");
        var okCat = !activeCat || tile.getAttribute("data-category") === activeCat;
        tile.classList.toggle("hidden", !(okCat && (!q || name.indexOf(q) >= 0)));
      });
    }
    root.addEventListener("click", function (e) {
      var step = e.target.closest("[data-step]");
      if (step) {
        e.preventDefault();
        var input = step.closest(".tile").querySelector("input");
        var v = qtyOf(step.closest(".tile")) + parseInt(step.getAttribute("data-step"), 10);
        input.value = Math.max(0, Math.min(1000, v));
        refresh();
        return;
      }
      var chip = e.target.closest("[data-category-chip]");
      if (chip) {
        e.preventDefault();
        activeCat = chip.getAttribute("data-category-chip");
        root.querySelectorAll("[data-category-chip]").forEach(function (c) {
          c.setAttribute("aria-pressed", c === chip ? "true" : "false");
        });
        filter();
      }
    });
    root.addEventListener("input", function (e) {
      if (e.target.closest(".tile")) refresh();
      if (e.target === search) filter();
    });
    refresh();
  }

  // ---- Live screens (server-sent events from the change feed) -------------
  function initLive(el) {
    var url = el.getAttribute("data-live");
    var refreshUrl = el.getAttribute("data-refresh");
    var target = el.getAttribute("data-target");
    var badge = document.querySelector("[data-live-badge]");
    var seen = {};
    function remember(first) {
      document.querySelectorAll(target + " [data-card]").forEach(function (c) {
        var key = c.getAttribute("data-card");
        if (!first && !seen[key]) c.classList.add("fresh");
        seen[key] = true;
      });
    }
    remember(true);
    document.body.addEventListener("htmx:afterSwap", function () { remember(false); });
    var source = new EventSource(url);
    source.addEventListener("open", function () { if (badge) badge.classList.add("on"); });
    source.addEventListener("error", function () { if (badge) badge.classList.remove("on"); });
    source.addEventListener("pedidos", function () {
      if (window.htmx) {
        window.htmx.ajax("GET", refreshUrl, { target: target, swap: "outerHTML" });
      }
    });
    // Relative times ("hace 3 min") stay right without events.
    setInterval(function () {
      if (window.htmx && document.visibilityState === "visible") {
        window.htmx.ajax("GET", refreshUrl, { target: target, swap: "outerHTML" });
      }
    }, 60000);
  }

  // ---- Inbox: the list and the open thread follow the change feed ------------
  function initInbox(el) {
    var badge = document.querySelector("[data-live-badge]");
    var listUrl = el.getAttribute("data-list-url");
    var threadUrl = el.getAttribute("data-thread-url");
    var selected = el.getAttribute("data-selected") || "";
    function scrollThread() {
      var m = document.querySelector("[data-messages]");
      if (m) m.scrollTop = m.scrollHeight;
    }
    function refresh() {
      if (!window.htmx) return;
      window.htmx.ajax("GET", listUrl, { target: "#inbox-list", swap: "outerHTML", headers: { "X-Inbox-Selected": selected } });
      // Never clobber a reply being typed: the thread refreshes when the box is empty.
      var box = document.querySelector("[data-reply]");
      if (threadUrl && !(box && box.value.trim())) {
        window.htmx.ajax("GET", threadUrl, { target: "#inbox-thread", swap: "outerHTML" });
      }
    }
    scrollThread();
    document.body.addEventListener("htmx:afterSwap", scrollThread);
    var source = new EventSource(el.getAttribute("data-inbox"));
    source.addEventListener("open", function () { if (badge) badge.classList.add("on"); });
    source.addEventListener("error", function () { if (badge) badge.classList.remove("on"); });
    source.addEventListener("conversaciones", refresh);
    // Delivery ticks (sent, delivered, read) and relative times stay fresh without events.
    setInterval(function () { if (document.visibilityState === "visible") refresh(); }, 30000);
  }
  // Quick replies fill the reply box; staff can still edit before sending.
  document.addEventListener("click", function (e) {
    var q = e.target.closest("[data-quick]");
    if (!q) return;
    var box = document.querySelector("[data-reply]");
    if (box) { box.value = q.getAttribute("data-quick"); box.focus(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-inbox]").forEach(initInbox);
    document.querySelectorAll("[data-pos]").forEach(initPos);
    document.querySelectorAll("[data-live]").forEach(initLive);
    var auto = document.querySelector("[data-autofocus]");
    if (auto) auto.focus();
  });
})();
