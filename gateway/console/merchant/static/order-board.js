// A store's live order board (gateway/console/merchant/board.py). The server draws the board;
// this script keeps it live: it follows orderStatusChanged(storeId) and moves each card to its
// order's new column (orders leaving the board's statuses are taken off), and sends the card
// buttons as transitionOrder calls with the button's idempotency key (a retry of the same
// press moves the order once). Columns, moves and fields come from the board's data- attributes.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.LoopgateLive) { return; }
  var live = window.LoopgateLive;
  var storeId = board.getAttribute("data-store");
  var moves = JSON.parse(board.getAttribute("data-moves"));
  var names = JSON.parse(board.getAttribute("data-names"));
  var fields = board.getAttribute("data-fields");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var action = window.location.pathname;
  var stateLine = document.getElementById("board-live");
  var news = document.getElementById("board-news");
  var message = document.getElementById("board-message");
  var SUBSCRIBE = "subscription($store: ID, $after: ID) { orderStatusChanged(storeId: $store, " +
    "after: $after) { " + fields + " } }";
  var LIST = "query($store: ID!, $statuses: [OrderStatus!]) { orders(filter: {storeId: $store, " +
    "statuses: $statuses}, first: 100) { edges { node { " + fields + " } } } }";
  var MOVE = "mutation($input: TransitionOrderInput!) { transitionOrder(input: $input) { " +
    "order { " + fields + " } userErrors { code message } } }";
  var statuses = JSON.parse(board.getAttribute("data-columns")).map(function (c) {
    return c.status;
  });
  var seen = {};   // order id -> changes (history length) of the newest state shown
  var toldAbout = null;   // the order the message line speaks of

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(iso) {
    var d = new Date(iso);
    return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + " UTC";
  }
  function money(m) {
    var a = Math.abs(m.amount);
    return (m.amount < 0 ? "-" : "") + Math.floor(a / 100) + "." + pad(a % 100) + " " + m.currency;
  }
  function shortId(id) { return id.slice(-6).toUpperCase(); }
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return "console-" + Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }
  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (k) { node.setAttribute(k, attributes[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function hidden(name, value) { return el("input", {type: "hidden", name: name, value: value}); }

  function fits(move, order) {
    return move.status === order.status &&
      (!move.only.length || move.only.indexOf(order.fulfillment.type) >= 0);
  }

  function card(order) {
    var number = shortId(order.id);
    var buttons = moves.filter(function (m) { return fits(m, order); }).map(function (m) {
      return el("form", {method: "post", action: action, "class": "move"}, [
        hidden("csrf", csrf), hidden("order", order.id), hidden("to", m.to), hidden("key", newKey()),
        el("button", {type: "submit"}, [m.label, el("span", {"class": "vh"}, [" order " + number])])
      ]);
    });
    var lines = order.lines.map(function (l) {
      return l.quantity + " x " + ((l.product && l.product.name) || "?");
    }).join(", ");
    var details = [order.channel + " · " + money(order.total) + " · ",
      el("time", {datetime: order.createdAt}, [clock(order.createdAt)])];
    if (order.externalId) { details.push(" · ref " + order.externalId); }
    return el("li", {"class": "order-card", id: "order-" + order.id, "data-order": order.id,
                     "data-changes": String(order.history.length),
                     "data-created": order.createdAt}, [
      el("h3", {}, ["Order " + number + " ",
                    el("span", {"class": "badge"}, [order.fulfillment.type])]),
      el("p", {}, [lines]),
      el("p", {"class": "muted"}, details),
      el("div", {"class": "moves"}, buttons)
    ]);
  }

  function counts() {
    statuses.forEach(function (status) {
      var list = board.querySelector('ol.cards[data-status="' + status + '"]');
      var count = list.parentNode.querySelector(".count");
      count.textContent = "(" + list.children.length + ")";
    });
  }

  // Show `order` as it now stands, unless the board already shows a newer state of it.
  function place(order, announce) {
    var changes = order.history.length;
    if (seen[order.id] !== undefined && seen[order.id] > changes) { return null; }
    var existing = document.getElementById("order-" + order.id);
    if (seen[order.id] === changes && existing &&
        existing.parentNode.getAttribute("data-status") === order.status) { return existing; }
    seen[order.id] = changes;
    if (existing) { existing.parentNode.removeChild(existing); }
    var list = board.querySelector('ol.cards[data-status="' + order.status + '"]');
    var shown = null;
    if (list) {
      shown = card(order);
      var later = Array.prototype.find.call(list.children, function (c) {
        return c.getAttribute("data-created") > order.createdAt;
      });
      list.insertBefore(shown, later || null);
    }
    counts();
    if (announce && toldAbout === order.id) { message.textContent = ""; toldAbout = null; }
    if (announce) {
      news.textContent = "Order " + shortId(order.id) + " is now " +
        (names[order.status] || order.status).toLowerCase() + ".";
    }
    return shown;
  }

  function show(text, error) {
    message.textContent = "";
    message.appendChild(el("p", {"class": error ? "error" : "notice",
                                 role: error ? "alert" : "status"}, [text]));
  }

  // The board as it is now (after the stream started: changes from then on are streamed).
  function reload() {
    var before = {};
    Array.prototype.forEach.call(board.querySelectorAll(".order-card"), function (c) {
      before[c.getAttribute("data-order")] = c.getAttribute("data-changes");
    });
    live.graphql(LIST, {store: storeId, statuses: statuses}).then(function (body) {
      if (!body.data || !body.data.orders) { return; }
      var current = {};
      body.data.orders.edges.forEach(function (e) { current[e.node.id] = true; place(e.node); });
      Object.keys(before).forEach(function (id) {
        var c = document.getElementById("order-" + id);
        if (!current[id] && c && c.getAttribute("data-changes") === before[id]) {
          c.parentNode.removeChild(c);
        }
      });
      counts();
    });
  }

  board.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("move")) { return; }
    event.preventDefault();
    var button = form.querySelector("button");
    if (button.disabled) { return; }
    button.disabled = true;
    var orderId = form.elements.order.value;
    live.graphql(MOVE, {input: {orderId: orderId, to: form.elements.to.value,
                                idempotencyKey: form.elements.key.value}}).then(function (body) {
      var payload = body.data && body.data.transitionOrder;
      var errors = ((payload && payload.userErrors) || []).concat(body.errors || []);
      if (errors.length || !payload.order) {
        button.disabled = false;
        show("Order " + shortId(orderId) + " was not moved: " +
             errors.map(function (e) { return e.message; }).join("; "), true);
        return;
      }
      var shown = place(payload.order, true);
      toldAbout = orderId;
      show("Order " + shortId(orderId) + " is now " +
           (names[payload.order.status] || payload.order.status).toLowerCase() + ".", false);
      var next = shown && shown.querySelector("button");
      if (next) { next.focus(); }
    }).catch(function () {
      button.disabled = false;
      show("Loopgate could not be reached: the order was not moved; try again.", true);
    });
  });

  Array.prototype.forEach.call(board.querySelectorAll(".order-card"), function (c) {
    seen[c.getAttribute("data-order")] = Number(c.getAttribute("data-changes"));
  });
  live.follow(SUBSCRIBE, {store: storeId}, {
    next: function (data) { place(data.orderStatusChanged, true); },
    open: function (resumed) { if (!resumed) { reload(); } },
    state: function (text, on) {
      stateLine.textContent = text;
      stateLine.className = "live-state " + (on ? "on" : "off");
      board.setAttribute("data-live", on ? "on" : "off");
    }
  });
})();
