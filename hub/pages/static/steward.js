// The steward's pair page: keyboard verdicts and the next pair shown at once.
// S / D / U choose SAME / DIFFERENT / UNSURE and put the cursor in the reason; Enter there sends the
// verdict (fetch, X-CSRF-Token). The next pair's HTML is fetched in advance (its address is in
// data-next) and swapped in as soon as the verdict is sent; the answer is shown when it comes.
// Without this file the form posts and the server sends the browser on to the same next pair.
"use strict";
(function () {
  var wrap = document.getElementById("pasangan-wrap");
  if (!wrap) { return; }
  var KEYS = { S: "SAME", D: "DIFFERENT", U: "UNSURE" };
  var prefetched = null;
  var prefetchUrl = null;

  function current() { return document.getElementById("pasangan"); }

  function show(text, isError) {
    var box = document.getElementById("pesan");
    box.textContent = text;
    box.className = isError ? "error" : "info";
    box.hidden = false;
  }

  function prefetch() {
    var pair = current();
    var url = pair ? pair.dataset.next : "";
    prefetched = null;
    prefetchUrl = url || null;
    if (!url) { return; }
    fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "bagian=1", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (prefetchUrl === url) { prefetched = html; } })
      .catch(function () { prefetched = null; });
  }

  function choose(decision) {
    var pair = current();
    var radio = pair && pair.querySelector('input[name="decision"][value="' + decision + '"]');
    if (!radio) { return; }
    radio.checked = true;
    var reason = pair.querySelector('textarea[name="reason"]');
    if (reason) { reason.focus(); }
  }

  function swap(html) {
    wrap.innerHTML = html;
    var pair = current();
    if (pair && pair.dataset.self) { window.history.replaceState(null, "", pair.dataset.self); }
    prefetch();
  }

  function send(form) {
    var data = new FormData(form);
    if (!data.get("decision")) { show("Pilih putusan: S (sama), D (berbeda) atau U (ragu).", true); return; }
    if (!String(data.get("reason") || "").trim()) {
      show("Alasan wajib diisi: tuliskan mengapa (disimpan bersama putusan).", true);
      form.querySelector('textarea[name="reason"]').focus();
      return;
    }
    var next = prefetched;
    var sent = fetch(form.action, {
      method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
      headers: { "X-CSRF-Token": window.khubCsrf(), "Accept": "application/json" }
    });
    // The previous pair's message (a refused verdict) goes at once; the answer replaces this one.
    show("Menyimpan putusan…", false);
    if (next) { swap(next); }
    sent.then(function (r) { return r.json().then(function (body) { return { ok: r.ok && body.ok, body: body }; }); })
      .then(function (result) {
        if (!result.ok) { show(result.body.message || "Putusan tidak tersimpan.", true); return; }
        show(result.body.message, false);
        if (!next) { window.location.assign(result.body.next || "/ui/pemeriksaan"); }
      })
      .catch(function () { show("Putusan tidak terkirim: periksa sambungan, lalu ulangi pasangan sebelumnya.", true); });
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "TEXTAREA" && target.name === "reason" && event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      send(target.form);
      return;
    }
    if (tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT" || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var decision = KEYS[(event.key || "").toUpperCase()];
    if (decision) { event.preventDefault(); choose(decision); }
  });

  document.addEventListener("submit", function (event) {
    if (event.target.id !== "putusan") { return; }
    event.preventDefault();
    send(event.target);
  });

  prefetch();
})();
