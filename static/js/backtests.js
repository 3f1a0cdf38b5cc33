// Charts for backtest reports, walk-forward and comparisons (lightweight-charts), from JSON in the page.
(function () {
  "use strict";
  const IST_SHIFT = 19800; // lightweight-charts draws UTC: shift so the axis reads IST
  const COLOURS = ["#4f8cff", "#26a269", "#d29922", "#e5484d", "#a371f7", "#3fb9c6"];

  function data(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function chart(el) {
    const LC = window.LightweightCharts;
    return LC.createChart(el, {
      autoSize: true,
      layout: { background: { color: "#161b22" }, textColor: "#8b949e" },
      grid: { vertLines: { color: "#1f2633" }, horzLines: { color: "#1f2633" } },
      rightPriceScale: { borderColor: "#2a3140" },
      timeScale: { borderColor: "#2a3140", timeVisible: true, secondsVisible: false },
    });
  }

  function points(times, values) {
    const out = [];
    let last = null;
    for (let i = 0; i < times.length; i++) {
      const time = (typeof times[i] === "number" ? times[i] : Date.parse(times[i]) / 1000) + IST_SHIFT;
      if (last !== null && time <= last) continue; // the chart wants strictly increasing times
      out.push({ time, value: Number(values[i]) });
      last = time;
    }
    return out;
  }

  function report() {
    const rows = data("equity-data");
    const equityEl = document.querySelector('[data-chart="equity"]');
    if (!rows || !equityEl) return;
    const times = rows.map((r) => r.time);
    const equity = chart(equityEl);
    equity.addSeries(window.LightweightCharts.LineSeries, { color: "#4f8cff", lineWidth: 2 })
      .setData(points(times, rows.map((r) => r.equity)));
    equity.timeScale().fitContent();
    const ddEl = document.querySelector('[data-chart="drawdown"]');
    const dd = chart(ddEl);
    dd.addSeries(window.LightweightCharts.AreaSeries, {
      lineColor: "#e5484d", topColor: "rgba(229,72,77,.05)", bottomColor: "rgba(229,72,77,.45)", lineWidth: 1,
      invertFilledArea: true,
    }).setData(points(times, rows.map((r) => r.drawdown)));
    dd.timeScale().fitContent();
    equityEl.dataset.points = String(rows.length);
  }

  function walkForward() {
    const curve = data("walk-data");
    const el = document.querySelector('[data-chart="walk"]');
    if (!curve || !el) return;
    const c = chart(el);
    const LC = window.LightweightCharts;
    c.addSeries(LC.LineSeries, { color: "#26a269", lineWidth: 2, title: "out-of-sample" })
      .setData(points(curve.time, curve.out_of_sample));
    c.addSeries(LC.LineSeries, { color: "#d29922", lineWidth: 1, lineStyle: 2, title: "in-sample promise" })
      .setData(points(curve.time, curve.in_sample_promise));
    c.timeScale().fitContent();
    el.dataset.points = String(curve.time.length);
  }

  function compare() {
    const curves = data("compare-data");
    const el = document.querySelector('[data-chart="compare"]');
    if (!curves || !el) return;
    const c = chart(el);
    const legend = document.querySelector("[data-legend]");
    curves.forEach((curve, n) => {
      const colour = COLOURS[n % COLOURS.length];
      const returns = curve.equity.map((v) => (100 * (Number(v) - curve.initial)) / curve.initial);
      c.addSeries(window.LightweightCharts.LineSeries, { color: colour, lineWidth: 2 }).setData(points(curve.time, returns));
      const item = document.createElement("li");
      const swatch = document.createElement("i");
      swatch.style.background = colour; // set through the DOM: the CSP refuses style="" attributes
      item.append(swatch, document.createTextNode(curve.name));
      legend.append(item);
    });
    c.timeScale().fitContent();
    el.dataset.series = String(curves.length);
  }

  function paintHeatmap() {
    document.querySelectorAll("[data-heat]").forEach((cell) => {
      cell.style.background = cell.dataset.heat;
    });
  }

  function start() {
    paintHeatmap();
    if (!window.LightweightCharts) return;
    report();
    walkForward();
    compare();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
