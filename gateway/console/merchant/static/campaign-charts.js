// Live campaign results (gateway/console/merchant/campaigns.py): draws each campaign's figures
// as small SVG bar charts (no chart library) and redraws them on every campaignStatsUpdated
// event, without a reload. Each chart is an image with a label giving every number, for
// screen readers; the figures above the charts are plain text.
(function () {
  "use strict";
  var container = document.getElementById("campaigns");
  if (!container || !window.LoopgateLive) { return; }
  var live = window.LoopgateLive;
  var fields = container.getAttribute("data-fields");
  var SUBSCRIBE = "subscription($id: ID!, $after: ID) { campaignStatsUpdated(campaignId: $id, " +
    "after: $after) { " + fields + " } }";
  var READ = "query($id: ID!) { campaign(id: $id) { stats { " + fields + " } } }";
  var SVG = "http://www.w3.org/2000/svg";
  var WIDTH = 340, ROW = 26, LABEL = 92, VALUE_ROOM = 128;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function money(m) {
    var a = Math.abs(m.amount);
    return (m.amount < 0 ? "-" : "") + Math.floor(a / 100) + "." + pad(a % 100) + " " + m.currency;
  }
  function percent(rate) { return (100 * rate).toFixed(1) + " %"; }
  function svg(tag, attributes, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (k) { node.setAttribute(k, attributes[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // Horizontal bars: rows of {label, value, text, kind, max}; a row with its own `max` (a
  // rate out of 1) is drawn over a full-width track, the others share the largest value.
  // One row a bar, its label on the left and its text after it.
  function bars(rows, title) {
    if (!rows.length) {
      var none = document.createElement("p");
      none.className = "muted";
      none.textContent = "None yet.";
      return none;
    }
    var shared = rows.filter(function (r) { return !r.max; }).map(function (r) { return r.value; });
    var top = Math.max.apply(null, shared.concat([1]));
    var height = rows.length * ROW + 4;
    var chart = svg("svg", {"class": "hbars", role: "img", viewBox: "0 0 " + WIDTH + " " + height,
                            width: "100%", height: String(height),
                            preserveAspectRatio: "xMinYMin meet",
                            "aria-label": title + ": " + rows.map(function (r) {
                              return r.label + " " + r.text;
                            }).join("; ")});
    var room = WIDTH - LABEL - VALUE_ROOM;
    rows.forEach(function (r, i) {
      var y = i * ROW + 2;
      var full = r.max || top;
      var length = Math.max(r.value > 0 ? 2 : 0, Math.round(room * Math.min(r.value, full) / full));
      chart.appendChild(svg("text", {x: 0, y: y + 17, "class": "label"},
                            r.label.length > 15 ? r.label.slice(0, 14) + "…" : r.label));
      if (r.max) {
        chart.appendChild(svg("rect", {x: LABEL, y: y + 3, width: room, height: ROW - 8, rx: 2,
                                       "class": "track"}));
      }
      chart.appendChild(svg("rect", {x: LABEL, y: y + 3, width: length, height: ROW - 8,
                                     rx: 2, "class": r.kind || "bar", "data-label": r.label,
                                     "data-value": String(r.value)}));
      chart.appendChild(svg("text", {x: LABEL + (r.max ? room : length) + 6, y: y + 17,
                                     "class": "value"}, r.text));
    });
    return chart;
  }

  function draw(section, stats) {
    var figures = {sold: String(stats.sold), redeemed: String(stats.redeemed),
                   revenue: money(stats.revenue), rate: percent(stats.redemptionRate)};
    Object.keys(figures).forEach(function (name) {
      section.querySelector('[data-figure="' + name + '"]').textContent = figures[name];
    });
    var updated = section.querySelector('[data-figure="updated"]');
    updated.setAttribute("datetime", stats.updatedAt);
    updated.textContent = new Date(stats.updatedAt).toISOString().replace("T", " ")
      .slice(0, 19) + " UTC";
    var charts = {
      totals: bars([
        {label: "Sold", value: stats.sold, text: String(stats.sold)},
        {label: "Redeemed", value: stats.redeemed, text: String(stats.redeemed), kind: "bar alt"},
        {label: "Rate", value: stats.redemptionRate, max: 1, text: percent(stats.redemptionRate),
         kind: "bar rate"}
      ], "Vouchers sold and redeemed, and the redemption rate"),
      channels: bars(stats.byChannel.map(function (c) {
        return {label: c.channel, value: c.sold, text: c.sold + " · " + money(c.revenue)};
      }), "Sales per channel (vouchers sold · revenue)"),
      stores: bars(stats.topStores.map(function (s) {
        return {label: s.store.code || s.store.name || s.store.id, value: s.redeemed,
                text: s.redeemed + " redeemed", kind: "bar alt"};
      }), "Redemptions per store")
    };
    Object.keys(charts).forEach(function (name) {
      var box = section.querySelector('[data-chart="' + name + '"]');
      box.textContent = "";
      box.appendChild(charts[name]);
    });
    section.setAttribute("data-updated", stats.updatedAt);
  }

  // Apply figures unless the page already shows newer ones (a late answer, a replayed event).
  function apply(section, stats) {
    var shown = section.getAttribute("data-updated");
    if (shown && new Date(stats.updatedAt) < new Date(shown)) { return; }
    draw(section, stats);
  }

  Array.prototype.forEach.call(container.querySelectorAll("section.campaign"), function (section) {
    var id = section.getAttribute("data-campaign");
    var stateLine = section.querySelector(".live-state");
    apply(section, JSON.parse(section.getAttribute("data-stats")));
    live.follow(SUBSCRIBE, {id: id}, {
      next: function (data) { apply(section, data.campaignStatsUpdated); },
      open: function (resumed) {
        if (resumed) { return; }
        live.graphql(READ, {id: id}).then(function (body) {
          var campaign = body.data && body.data.campaign;
          if (campaign) { apply(section, campaign.stats); }
        });
      },
      state: function (text, on) {
        stateLine.textContent = text;
        stateLine.className = "live-state " + (on ? "on" : "off");
        section.setAttribute("data-live", on ? "on" : "off");
      }
    });
  });
})();
