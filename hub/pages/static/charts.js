// Charts of the pages: every <script type="application/json" class="vega-spec" data-target="ID">
// holds a Vega-Lite spec built on the server; it is drawn into the element #ID by vega-embed.
// The page's Content-Security-Policy has no 'unsafe-eval', so Vega's expressions run through the
// vendored vega-interpreter (ast: true) instead of being compiled with Function().
(function () {
  "use strict";

  function draw(holder) {
    var target = document.getElementById(holder.dataset.target);
    if (!target) {
      return Promise.resolve();
    }
    var spec;
    try {
      spec = JSON.parse(holder.textContent);
    } catch (err) {
      target.textContent = "Grafik tidak dapat dibaca.";
      return Promise.resolve();
    }
    return window
      .vegaEmbed(target, spec, {
        renderer: "svg",
        actions: false,
        ast: true,
        expr: window.vega.expressionInterpreter,
        defaultStyle: false,
      })
      .then(function () {
        target.dataset.drawn = "1";
      })
      .catch(function (err) {
        target.textContent = "Grafik tidak dapat digambar: " + err;
      });
  }

  function drawAll() {
    var holders = document.querySelectorAll('script.vega-spec[type="application/json"]');
    return Promise.all(Array.prototype.map.call(holders, draw));
  }

  window.hubCharts = { drawAll: drawAll };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
