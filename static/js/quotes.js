// Live quotes for every element with data-quote-key, as the live stream brings them (stream.js); while the
// socket is down, from the quotes API at the stream's slow fallback pace ("streamPoll").
(function () {
  "use strict";
  const FIELDS = ["ltp", "change", "change_percent", "bid", "ask", "volume", "open", "high", "low", "close"];
  const volumeFmt = new Intl.NumberFormat("en-IN");
  const priceFmt = (v) => (v === null || v === undefined ? "—" : Number(v).toLocaleString("en-IN", { minimumFractionDigits: 2, maximumFractionDigits: 4 }));

  function rows() { return Array.from(document.querySelectorAll("[data-quote-key]")); }

  function render(row, q) {
    const previous = row.dataset.ltp;
    for (const field of FIELDS) {
      const cell = row.querySelector(`[data-field="${field}"]`);
      if (!cell) continue;
      let text;
      if (field === "volume") text = volumeFmt.format(q.volume);
      else if (field === "change_percent") text = q.change_percent === null ? "—" : `${Number(q.change_percent) > 0 ? "+" : ""}${q.change_percent}%`;
      else if (field === "change") text = q.change === null ? "—" : `${Number(q.change) > 0 ? "+" : ""}${priceFmt(q.change)}`;
      else text = priceFmt(q[field]);
      cell.textContent = text;
      if (field === "change" || field === "change_percent" || field === "ltp") {
        const sign = q.change === null ? 0 : Math.sign(Number(q.change));
        cell.classList.toggle("up", sign > 0);
        cell.classList.toggle("down", sign < 0);
      }
    }
    const staleCell = row.querySelector('[data-field="stale"]');
    if (staleCell) staleCell.textContent = q.stale ? "stale" : "";
    row.classList.toggle("is-stale", !!q.stale);
    if (previous !== undefined && q.ltp !== null && previous !== q.ltp) {
      const ltpCell = row.querySelector('[data-field="ltp"]');
      if (ltpCell) {
        ltpCell.classList.remove("flash-up", "flash-down");
        void ltpCell.offsetWidth; // restart the animation
        ltpCell.classList.add(Number(q.ltp) > Number(previous) ? "flash-up" : "flash-down");
      }
    }
    if (q.ltp !== null) row.dataset.ltp = q.ltp;
    row.dispatchEvent(new CustomEvent("quote", { detail: q, bubbles: true }));
  }

  function rowsOf(key) { return rows().filter((r) => r.dataset.quoteKey === key); }

  function markLive(text) {
    const status = document.querySelector("[data-quotes-status]");
    if (status) status.textContent = text;
  }

  async function poll() {
    const all = rows();
    const keys = [...new Set(all.map((r) => r.dataset.quoteKey))].slice(0, 50);
    if (!keys.length) return;
    try {
      const response = await fetch(`/api/v1/quotes/?symbols=${encodeURIComponent(keys.join(","))}`, {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      if (response.ok) {
        const body = await response.json();
        const byKey = new Map(body.quotes.map((q) => [`${q.exchange}:${q.symbol}`, q]));
        for (const row of all) {
          const q = byKey.get(row.dataset.quoteKey);
          if (q) render(row, q);
        }
        markLive("delayed: the live stream is reconnecting");
      } else markLive(`quotes unavailable (${response.status})`);
    } catch (e) {
      markLive("offline, retrying…");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.body.addEventListener("stream:quote", (event) => {
      for (const row of rowsOf(event.detail.key)) render(row, event.detail.data);
      markLive("live");
    });
    document.body.addEventListener("streamPoll", poll);
  });
})();
