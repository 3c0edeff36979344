// Charts drawn with ECharts from data the server embedded in data-* attributes (no extra requests).
(function () {
  "use strict";
  const el = document.getElementById("jg-activity-chart");
  if (!el || !window.echarts) return;
  const data = JSON.parse(el.dataset.activity);
  const chart = window.echarts.init(el);
  chart.setOption({
    animation: false,
    grid: { left: 40, right: 16, top: 16, bottom: 28 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.dates },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ name: "操作次数", type: "bar", data: data.counts, itemStyle: { color: "#206bc4" } }],
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
