// The household network, explored node by node (hub/pages/analyst_network.py serves the data).
// Nodes are laid out in columns by their distance from the start: persons as circles, households
// as boxes, programs as green boxes. Clicking a person asks for its households and their members;
// clicking a household asks the same from one of its members (a household is addressed by a
// digest, never by its KK). Every answer comes from the API, masked for the signed-in role.
"use strict";
(function () {
  var SVG = "http://www.w3.org/2000/svg";
  var COLUMN = 230;
  var ROW = 34;
  var KINDS = { PERSON: "Orang", HOUSEHOLD: "Keluarga", PROGRAM: "Program" };

  function init(holder) {
    var nodes = new Map(); // id -> {node, column, row, expanded}
    var edges = new Map(); // "source|target" -> edge
    var columns = []; // column -> count of nodes in it
    var status = document.getElementById("jaringan-status");
    var programs = document.getElementById("jaringan-program");
    var table = document.querySelector("#jaringan-simpul tbody");

    function say(text, bad) {
      status.textContent = text;
      status.className = "network-status" + (bad ? " error" : "");
    }

    function place(node, column) {
      if (nodes.has(node.id)) {
        var known = nodes.get(node.id);
        known.node = node; // a fresher answer (the same masking) replaces the old one
        return;
      }
      columns[column] = (columns[column] || 0) + 1;
      nodes.set(node.id, { node: node, column: column, row: columns[column] - 1, expanded: false });
    }

    function merge(network, base) {
      network.nodes
        .slice()
        .sort(function (a, b) { return a.depth - b.depth; })
        .forEach(function (n) { place(n, base + n.depth); });
      network.edges.forEach(function (e) { edges.set(e.source + "|" + e.target, e); });
    }

    function label(n) {
      if (n.kind === "PERSON") {
        return (n.label || "(tanpa nama)") + " · " + n.personId;
      }
      if (n.kind === "HOUSEHOLD") {
        return "KK " + (n.kk || "?") + (n.decile ? " · desil " + n.decile : "");
      }
      return n.label || n.id.replace("program:", "");
    }

    function el(name, attrs, parent) {
      var e = document.createElementNS(SVG, name);
      Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
      if (parent) { parent.appendChild(e); }
      return e;
    }

    function xy(entry) {
      return { x: 20 + entry.column * COLUMN, y: 24 + entry.row * ROW };
    }

    function draw() {
      var width = 40 + columns.length * COLUMN;
      var height = 40 + Math.max.apply(null, columns.concat([1])) * ROW;
      var svg = el("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height,
                            role: "img", "aria-label": "Jaringan keluarga" });
      edges.forEach(function (e) {
        var a = nodes.get(e.source), b = nodes.get(e.target);
        if (!a || !b) { return; }
        var p = xy(a), q = xy(b);
        el("line", { x1: p.x, y1: p.y, x2: q.x, y2: q.y, class: "edge " + e.kind }, svg);
      });
      nodes.forEach(function (entry, id) {
        var n = entry.node, p = xy(entry);
        var g = el("g", { class: "node " + n.kind.toLowerCase() + (entry.expanded ? " expanded" : ""),
                          "data-id": id, tabindex: "0" }, svg);
        // The whole row (mark and label) answers a click: a label alone leaves gaps between its glyphs.
        el("rect", { class: "hit", x: p.x - 12, y: p.y - ROW / 2 + 2, width: COLUMN - 16, height: ROW - 4 }, g);
        if (n.kind === "PERSON") {
          el("circle", { cx: p.x, cy: p.y, r: 8 }, g);
        } else {
          el("rect", { x: p.x - 9, y: p.y - 9, width: 18, height: 18, rx: n.kind === "PROGRAM" ? 6 : 2 }, g);
        }
        var text = el("text", { x: p.x + 14, y: p.y + 4 }, g);
        text.textContent = label(n);
        g.addEventListener("click", function () { expand(id); });
        g.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { expand(id); } });
      });
      holder.replaceChildren(svg);
      fillTable();
    }

    function fillTable() {
      var rows = [];
      nodes.forEach(function (entry) {
        var n = entry.node, tr = document.createElement("tr");
        [KINDS[n.kind] || n.kind, n.kind === "HOUSEHOLD" ? "" : n.label || "", n.personId || "", n.kk || "",
         n.decile == null ? "" : String(n.decile), n.regionCode || ""].forEach(function (v, i) {
          var td = document.createElement("td");
          if (i === 2 && v) { // the person's own page (its history, as the role may see it)
            var a = document.createElement("a");
            a.href = "/ui/orang/" + encodeURIComponent(v);
            a.textContent = v;
            td.appendChild(a);
          } else {
            td.textContent = v;
          }
          tr.appendChild(td);
        });
        rows.push(tr);
      });
      table.replaceChildren.apply(table, rows);
    }

    function fetchNetwork(start) {
      start.depth = 2;
      start.withPrograms = !!(programs && programs.checked);
      return fetch(holder.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": window.khubCsrf() },
        body: JSON.stringify(start),
      }).then(function (r) {
        return r.json().catch(function () { return { error: "Jawaban server tidak dapat dibaca (" + r.status + ")." }; });
      });
    }

    function memberOf(householdId) {
      var found = null;
      edges.forEach(function (e) {
        if (!found && e.target === householdId && e.kind === "MEMBER_OF") { found = e.source; }
      });
      return found;
    }

    function expand(id) {
      var entry = nodes.get(id);
      if (!entry || entry.expanded || entry.node.kind === "PROGRAM") { return; }
      var personNode = entry.node.kind === "PERSON" ? id : memberOf(id);
      var from = personNode ? nodes.get(personNode) : null;
      if (!from) { return; }
      say("Memuat…");
      fetchNetwork({ personId: from.node.personId }).then(function (net) {
        if (net.error) { say(net.error, true); return; }
        merge(net, from.column);
        from.expanded = true;
        entry.expanded = true;
        draw();
        say(nodes.size + " simpul" + (net.truncated ? " (jaringan dipotong: terlalu besar)" : "") + ".");
      }).catch(function () { say("Jaringan tidak dapat dimuat.", true); });
    }

    function start() {
      var person = holder.dataset.person, kk = holder.dataset.kk;
      if (!person && !kk) { say("Masukkan ID orang untuk memulai."); return; }
      say("Memuat…");
      fetchNetwork(person ? { personId: person } : { kk: kk }).then(function (net) {
        if (net.error) { say(net.error, true); return; }
        if (!net.nodes.length) { say("Orang atau keluarga itu tidak ditemukan.", true); return; }
        merge(net, 0);
        net.nodes.forEach(function (n) { if (n.depth < 2) { nodes.get(n.id).expanded = true; } });
        draw();
        say(nodes.size + " simpul" + (net.truncated ? " (jaringan dipotong: terlalu besar)" : "") + ".");
        holder.dataset.ready = "1";
      }).catch(function () { say("Jaringan tidak dapat dimuat.", true); });
    }

    start();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var holder = document.getElementById("jaringan");
    if (holder) { init(holder); }
  });
})();
