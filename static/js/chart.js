// Candlestick chart: candles with Indian digit grouping on the price axis, volume in its own pane below,
// an OHLC + volume legend with the candle's date (IST) that follows the crosshair and stays where it was
// left, the trader's working orders and average position price as price lines. Drawn from the candles API,
// then updated by the live stream as the candle forms (its candles topic; the API again at the stream's slow
// fallback pace while the socket is down); the price lines are redrawn when an order or position moves.
(function () {
  "use strict";
  const IST_SHIFT = 19800; // lightweight-charts draws UTC: shift so the axis reads IST
  const MIN_BAR_PX = 6; // at most one candle per this many pixels when filling the width
  const UP = "#26a269";
  const DOWN = "#e5484d";

  function decimalsFor(tick) {
    const text = String(tick || "0.05");
    const places = text.includes(".") ? text.split(".")[1].replace(/0+$/, "").length : 0;
    return Math.min(4, Math.max(2, places));
  }

  function formatters(tick) {
    const places = decimalsFor(tick);
    const price = new Intl.NumberFormat("en-IN", { minimumFractionDigits: places, maximumFractionDigits: places });
    const whole = new Intl.NumberFormat("en-IN", { maximumFractionDigits: 0 });
    const compact = new Intl.NumberFormat("en-IN", { notation: "compact", maximumFractionDigits: 1 });
    return { price: (p) => price.format(p), volume: (v) => whole.format(v), axisVolume: (v) => compact.format(v) };
  }

  function toBar(c) {
    const time = Date.parse(c.start) / 1000 + IST_SHIFT;
    const up = Number(c.close) >= Number(c.open);
    return {
      bar: { time, open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close) },
      volume: { time, value: c.volume, color: up ? "rgba(38,162,105,.55)" : "rgba(229,72,77,.55)" },
    };
  }

  function storedInterval(symbol, buttons) {
    try {
      const saved = window.localStorage.getItem(`chart:interval:${symbol}`);
      if (saved && buttons.some((b) => b.dataset.interval === saved)) return saved;
    } catch (e) { /* storage may be off */ }
    return null;
  }

  function remember(symbol, interval) {
    try { window.localStorage.setItem(`chart:interval:${symbol}`, interval); } catch (e) { /* storage may be off */ }
  }

  function createChart(el, fmt) {
    const LC = window.LightweightCharts;
    const chart = LC.createChart(el, {
      autoSize: true,
      layout: { background: { color: "#161b22" }, textColor: "#8b949e", panes: { separatorColor: "#2a3140" } },
      grid: { vertLines: { color: "#1f2633" }, horzLines: { color: "#1f2633" } },
      rightPriceScale: { borderColor: "#2a3140" },
      timeScale: { borderColor: "#2a3140", timeVisible: true, secondsVisible: false, rightOffset: 2 },
      crosshair: { mode: LC.CrosshairMode.Normal },
    });
    const candles = chart.addSeries(LC.CandlestickSeries, {
      upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN,
      priceFormat: { type: "custom", formatter: fmt.price, minMove: 0.0001 },
    });
    // Volume on its own scale in a pane below the candles, never over them.
    const volume = chart.addSeries(LC.HistogramSeries, {
      priceFormat: { type: "custom", formatter: fmt.axisVolume, minMove: 1 }, lastValueVisible: false, priceLineVisible: false,
    }, 1);
    // What is on screen, for whoever checks that the candles fill the width.
    chart.timeScale().subscribeVisibleLogicalRangeChange((range) => {
      if (range) { el.dataset.visibleFrom = range.from.toFixed(1); el.dataset.visibleTo = range.to.toFixed(1); }
    });
    chart.panes()[0].setStretchFactor(3);
    chart.panes()[1].setStretchFactor(1);
    return { chart, candles, volume };
  }

  // The candle's date and time as the axis shows them (bar times are already shifted to IST, so read as UTC).
  const dateFmt = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", day: "2-digit", month: "short", year: "numeric" });
  const timeFmt = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", hour: "2-digit", minute: "2-digit", hour12: false });

  function when(time, daily) {
    const date = new Date(time * 1000);
    return daily ? dateFmt.format(date) : `${dateFmt.format(date)} ${timeFmt.format(date)}`;
  }

  // The legend shows the candle under the crosshair, with its date; when the pointer leaves the chart it stays
  // on the last candle pointed at (it does not jump back to the latest). Until one is pointed at, and while
  // the one pointed at is the forming candle, it follows the latest.
  function legend(el, parts, fmt) {
    const box = el.parentElement.querySelector("[data-chart-legend]");
    let latest = null;
    let pinned = null; // {bar, volume} of the candle last pointed at
    function show(bar, vol) {
      if (!box || !bar) return;
      const change = bar.open ? ((bar.close - bar.open) / bar.open) * 100 : 0;
      box.className = `chart-legend ${bar.close >= bar.open ? "up" : "down"}`;
      box.textContent = "";
      const date = document.createElement("span");
      date.className = "chart-legend-date";
      date.textContent = `${when(bar.time, el.dataset.interval === "1d")} IST`;
      box.append(date, " ");
      const items = [["O", fmt.price(bar.open)], ["H", fmt.price(bar.high)], ["L", fmt.price(bar.low)],
        ["C", fmt.price(bar.close)], ["V", vol === undefined ? "—" : fmt.volume(vol)]];
      for (const [label, value] of items) {
        box.append(`${label} `);
        const b = document.createElement("b");
        b.textContent = value;
        box.append(b, " ");
      }
      box.append(`${change >= 0 ? "+" : ""}${change.toFixed(2)}%`);
      box.dataset.time = String(bar.time);
    }
    function point(param) {
      const bar = param.time ? param.seriesData.get(parts.candles) : null;
      if (bar) {
        const vol = param.seriesData.get(parts.volume);
        pinned = { bar, volume: vol && vol.value };
      }
      const shown = pinned || latest;
      if (shown) show(shown.bar, shown.volume);
      return bar;
    }
    parts.chart.subscribeCrosshairMove(point);
    // A tap on a phone (where the crosshair otherwise waits for a long press) points at the candle tapped.
    parts.chart.subscribeClick((param) => {
      const bar = point(param);
      if (bar) parts.chart.setCrosshairPosition(bar.close, bar.time, parts.candles);
    });
    return {
      latest(bar, vol) {
        latest = { bar, volume: vol };
        if (pinned && pinned.bar.time === bar.time) pinned = latest;
        if (!pinned || pinned === latest) show(bar, vol);
      },
      reset() { pinned = null; latest = null; },
    };
  }

  function fill(el, chart, count) {
    // Fill the visible width: every candle when they fit, else the latest that do, never a sliver.
    const fits = Math.max(10, Math.floor(el.clientWidth / MIN_BAR_PX));
    if (count <= fits) chart.timeScale().fitContent();
    else chart.timeScale().setVisibleLogicalRange({ from: count - fits, to: count + 1 });
  }

  function priceLines(el, candles) {
    const drawn = new Map();
    async function refresh() {
      const response = await fetch(el.dataset.linesUrl, { credentials: "same-origin" });
      if (!response.ok) return;
      const wanted = new Map();
      for (const line of (await response.json()).lines) {
        wanted.set(`${line.kind}:${line.id || ""}:${line.price}:${line.label}`, line);
      }
      for (const [key, handle] of drawn) {
        if (!wanted.has(key)) { candles.removePriceLine(handle); drawn.delete(key); }
      }
      for (const [key, line] of wanted) {
        if (drawn.has(key)) continue;
        const position = line.kind === "position";
        drawn.set(key, candles.createPriceLine({
          price: Number(line.price), title: line.label, lineWidth: position ? 2 : 1,
          color: position ? "#4f8cff" : (line.side === "BUY" ? UP : DOWN),
          lineStyle: position ? 0 : 2, axisLabelVisible: true,
        }));
      }
      el.dataset.lines = String(drawn.size);
    }
    let pending = null;
    function soon() { // orders and positions move in bursts (a fill moves both): one redraw for each burst
      if (pending) return;
      pending = setTimeout(() => { pending = null; refresh().catch(() => {}); }, 300);
    }
    ["streamOrders", "streamPositions", "streamResync", "streamPoll"].forEach((name) => document.body.addEventListener(name, soon));
    refresh().catch(() => {});
  }

  function setup(el) {
    const fmt = formatters(el.dataset.tick);
    const parts = createChart(el, fmt);
    const buttons = Array.from(document.querySelectorAll(".interval-switch [data-interval]"));
    const symbol = el.dataset.symbol;
    const info = legend(el, parts, fmt);
    let interval = storedInterval(symbol, buttons) || el.dataset.interval;
    let lastStart = null;
    let count = 0;
    let generation = 0;

    function markInterval() {
      el.dataset.interval = interval;
      el.dataset.candleTopic = `candles:${symbol}:${interval}`; // stream.js hears it
      if (window.tradingStream) window.tradingStream.rescan();
      buttons.forEach((b) => b.classList.toggle("active", b.dataset.interval === interval));
    }

    async function fetchCandles(params) {
      const query = new URLSearchParams({ symbol, interval, ...params });
      const response = await fetch(`/api/v1/candles/?${query}`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`candles ${response.status}`);
      return (await response.json()).candles;
    }

    let loading = false;
    async function load() {
      const mine = ++generation;
      loading = true;
      let rows;
      try { rows = await fetchCandles({}); } finally { if (mine === generation) loading = false; }
      if (mine !== generation) return;
      const bars = rows.map(toBar);
      parts.candles.setData(bars.map((b) => b.bar));
      parts.volume.setData(bars.map((b) => b.volume));
      count = rows.length;
      lastStart = rows.length ? rows[rows.length - 1].start : null;
      el.dataset.candles = String(count);
      fill(el, parts.chart, count);
      if (bars.length) info.latest(bars[bars.length - 1].bar, bars[bars.length - 1].volume.value);
    }

    async function refresh() {
      const mine = generation;
      try {
        const rows = await fetchCandles(lastStart ? { start: lastStart } : {});
        if (mine !== generation) return;
        rows.forEach(draw);
      } catch (e) { /* keep the chart as it is and try again */ }
    }

    function draw(row) {
      const at = Date.parse(row.start);
      const last = lastStart ? Date.parse(lastStart) : null;
      if (last !== null && at < last) return; // older than what is drawn: the load was newer
      const b = toBar(row);
      parts.candles.update(b.bar);
      parts.volume.update(b.volume);
      if (last === null || at > last) { count += 1; lastStart = row.start; }
      info.latest(b.bar, b.volume.value);
      el.dataset.candles = String(count);
      el.dataset.lastClose = row.close;
    }

    document.body.addEventListener("stream:candle", (event) => {
      if (loading || event.detail.topic !== el.dataset.candleTopic) return; // the load draws what formed meanwhile
      draw(event.detail.data);
    });
    document.body.addEventListener("streamPoll", () => { if (!loading) refresh(); });

    buttons.forEach((button) => {
      button.addEventListener("click", () => {
        interval = button.dataset.interval;
        remember(symbol, interval);
        el.dataset.candles = "0"; // until this interval's candles are drawn
        info.reset();
        markInterval();
        load().catch(() => {});
      });
    });
    markInterval();
    load().catch(() => {});
    if (el.dataset.linesUrl) priceLines(el, parts.candles);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const el = document.getElementById("chart");
    if (el && window.LightweightCharts) setup(el);
  });
})();
