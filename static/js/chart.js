// Candlestick chart with volume, fed by the candles API and updated as candles form.
(function () {
  "use strict";
  const POLL_MS = 1000;
  const IST_SHIFT = 19800; // lightweight-charts draws UTC: shift so the axis reads IST

  function toBar(c) {
    const time = Date.parse(c.start) / 1000 + IST_SHIFT;
    return {
      bar: { time, open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close) },
      volume: { time, value: c.volume, color: Number(c.close) >= Number(c.open) ? "rgba(38,162,105,.45)" : "rgba(229,72,77,.45)" },
    };
  }

  function setup(el) {
    const LC = window.LightweightCharts;
    const chart = LC.createChart(el, {
      autoSize: true,
      layout: { background: { color: "#161b22" }, textColor: "#8b949e" },
      grid: { vertLines: { color: "#1f2633" }, horzLines: { color: "#1f2633" } },
      rightPriceScale: { borderColor: "#2a3140" },
      timeScale: { borderColor: "#2a3140", timeVisible: true, secondsVisible: false },
      crosshair: { mode: LC.CrosshairMode.Normal },
    });
    const candles = chart.addSeries(LC.CandlestickSeries, {
      upColor: "#26a269", downColor: "#e5484d", borderVisible: false, wickUpColor: "#26a269", wickDownColor: "#e5484d",
    });
    const volume = chart.addSeries(LC.HistogramSeries, { priceFormat: { type: "volume" }, priceScaleId: "" });
    volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });

    let interval = el.dataset.interval;
    let lastStart = null;
    let count = 0;
    let generation = 0;

    async function fetchCandles(params) {
      const query = new URLSearchParams({ symbol: el.dataset.symbol, interval, ...params });
      const response = await fetch(`/api/v1/candles/?${query}`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`candles ${response.status}`);
      return (await response.json()).candles;
    }

    async function load() {
      const mine = ++generation;
      const rows = await fetchCandles({});
      if (mine !== generation) return;
      const bars = rows.map(toBar);
      candles.setData(bars.map((b) => b.bar));
      volume.setData(bars.map((b) => b.volume));
      count = rows.length;
      lastStart = rows.length ? rows[rows.length - 1].start : null;
      el.dataset.candles = String(count);
      chart.timeScale().scrollToRealTime();
    }

    async function refresh() {
      const mine = generation;
      try {
        const rows = await fetchCandles(lastStart ? { start: lastStart } : {});
        if (mine !== generation) return;
        for (const row of rows) {
          const b = toBar(row);
          candles.update(b.bar);
          volume.update(b.volume);
          if (!lastStart || row.start > lastStart) { count += 1; lastStart = row.start; }
        }
        el.dataset.candles = String(count);
        if (rows.length) el.dataset.lastClose = rows[rows.length - 1].close;
      } catch (e) { /* keep the chart as it is and try again */ }
    }

    document.querySelectorAll(".interval-switch [data-interval]").forEach((button) => {
      button.addEventListener("click", () => {
        document.querySelectorAll(".interval-switch .btn").forEach((b) => b.classList.toggle("active", b === button));
        interval = button.dataset.interval;
        el.dataset.interval = interval;
        load().catch(() => {});
      });
    });
    load().catch(() => {}).finally(function loop() { setTimeout(() => refresh().finally(loop), POLL_MS); });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const el = document.getElementById("chart");
    if (el && window.LightweightCharts) setup(el);
  });
})();
