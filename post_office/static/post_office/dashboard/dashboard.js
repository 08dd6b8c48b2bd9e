// unfold draws its charts once, on page load; charts that htmx swaps in are drawn here.
(function () {
  "use strict";
  function draw(root) {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("canvas.chart").forEach(function (canvas) {
      if (Chart.getChart(canvas) || !canvas.dataset.value) return;
      new Chart(canvas.getContext("2d"), {
        type: canvas.dataset.type || "line",
        data: JSON.parse(canvas.dataset.value),
        options: canvas.dataset.options ? JSON.parse(canvas.dataset.options) : {},
      });
    });
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    draw(event.detail.elt && event.detail.elt.isConnected ? event.detail.elt : document);
  });
})();
