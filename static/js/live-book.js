// The books drawn live from the stream (stream.js), without asking the server again:
// - the order book's rows take each order's new status, fills and average price in place; an order the
//   book does not show yet (placed elsewhere), or one that needs buttons its row lacks, redraws the book;
// - the funds' figures take the stream's;
// - each position's LTP and P&L follow its quotes (quotes.js draws the LTP; the P&L is worked out here),
//   and the totals with them.
// Figures are drawn as the server draws them (core/formatting.py): Indian grouping, ₹, a sign on P&L.
(function () {
  "use strict";
  const TERMINAL = new Set(["FILLED", "CANCELLED", "REJECTED", "EXPIRED"]);
  const PENDING = new Set(["MODIFY_PENDING", "CANCEL_PENDING"]);
  const qtyFmt = new Intl.NumberFormat("en-IN", { maximumFractionDigits: 0 });
  const priceFmt = (v) => Number(v).toLocaleString("en-IN", { minimumFractionDigits: 2, maximumFractionDigits: 4 });

  function inrSigned(n) {
    const paise = Math.round(n * 100);
    if (paise === 0) return "₹0.00";
    const text = (Math.abs(paise) / 100).toLocaleString("en-IN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return `${paise > 0 ? "+" : "-"}₹${text}`;
  }

  function paint(el, n) {
    const paise = Math.round(n * 100);
    el.textContent = inrSigned(n);
    el.classList.toggle("up", paise > 0);
    el.classList.toggle("down", paise < 0);
  }

  function statusLabel(status) {
    return status.split("_").map((w) => w[0] + w.slice(1).toLowerCase()).join(" ");
  }

  // --- the order book ----------------------------------------------------------------------------------

  // Redraw an element from the server (its hx-trigger has "streamRefresh"), once for a burst of events.
  function refresh(el) {
    window.tradingStream.afterBurst(el, () => {
      if (window.htmx && document.body.contains(el)) window.htmx.trigger(el, "streamRefresh");
    });
  }

  function countWorking(book) {
    const working = Array.from(book.querySelectorAll("tr[data-order-id]")).filter((r) => !TERMINAL.has(r.dataset.status)).length;
    const label = book.querySelector('[data-testid="orders-working"]');
    if (label) label.textContent = `${working} working order${working === 1 ? "" : "s"}`;
    const toolbar = book.querySelector(".book-toolbar");
    if (toolbar) toolbar.hidden = working === 0;
  }

  const WORKING = new Set(["OPEN", "TRIGGER_PENDING", "PARTIALLY_FILLED"]);

  // The row's buttons follow the status: gone once the order is done, hidden while the broker answers a
  // modify or cancel, back when it is working again. False: the row cannot show the order (the book redraws).
  function patchActions(row, order) {
    const actions = row.querySelector("td.actions");
    if (!actions) return true;
    const buttons = Array.from(actions.querySelectorAll("button"));
    let waiting = actions.querySelector("[data-waiting]");
    if (TERMINAL.has(order.status)) {
      actions.replaceChildren();
      const slot = document.getElementById(`modify-slot-${order.id}`);
      if (slot) slot.remove();
    } else if (PENDING.has(order.status)) {
      buttons.forEach((b) => { b.hidden = true; });
      if (!waiting) {
        waiting = document.createElement("span");
        waiting.className = "muted small";
        waiting.dataset.waiting = "";
        waiting.textContent = "waiting for the broker…";
        actions.append(waiting);
      }
    } else if (WORKING.has(order.status)) {
      // Working after a modify or cancel the broker answered, or after a part fill: its buttons are in the
      // row. Working for the first time (it was sent): the server says which buttons it gets.
      const was = row.dataset.status;
      if (!(WORKING.has(was) || PENDING.has(was)) || !buttons.length) return false;
      buttons.forEach((b) => { b.hidden = false; });
      if (waiting) waiting.remove();
      const cancel = actions.querySelector("[data-testid=order-cancel]");
      const confirm = cancel && cancel.getAttribute("hx-confirm");
      if (confirm) {
        let text = confirm.replace(/^(Cancel order #\d+: (?:BUY|SELL) )[\d,]+/, `$1${order.pending_quantity}`);
        if (order.price !== null) text = text.replace(/ at [^?]*\?$/, ` at ${priceFmt(order.price)}?`);
        cancel.setAttribute("hx-confirm", text);
      }
    }
    return true;
  }

  function patchOrder(book, row, order) {
    if (!patchActions(row, order)) return false;
    row.dataset.status = order.status;
    const badge = row.querySelector('[data-testid="order-status"]');
    if (badge) {
      badge.className = `badge badge-${order.status.toLowerCase()}`;
      badge.textContent = statusLabel(order.status);
      if (order.rejection_reason) badge.title = order.rejection_reason;
    }
    const qty = row.querySelector('[data-testid="order-qty"]');
    if (qty) qty.textContent = `${qtyFmt.format(order.filled_quantity)} / ${qtyFmt.format(order.quantity)}`;
    const avg = row.querySelector('[data-testid="order-avg"]');
    if (avg && order.average_price !== null) avg.textContent = priceFmt(order.average_price);
    const price = row.querySelector('[data-testid="order-price"]');
    if (price && order.price !== null) price.textContent = priceFmt(order.price);
    const trigger = row.querySelector('[data-testid="order-trigger"]');
    if (trigger && order.trigger_price !== null && trigger.lastChild) trigger.lastChild.textContent = priceFmt(order.trigger_price);
    row.dispatchEvent(new CustomEvent("order:patched", { detail: order, bubbles: true }));
    return true;
  }

  function onOrder(event) {
    const order = event.detail.data;
    if (!order) return;
    // The order's own page, and a modify or cancel waiting for the broker: redrawn when their order moves.
    document.querySelectorAll(`#order-detail[data-order-id="${order.id}"], [data-order-notice][data-order-id="${order.id}"][data-pending="true"]`)
      .forEach(refresh);
    const book = document.getElementById("order-book");
    if (!book) return;
    const row = book.querySelector(`tr[data-order-id="${order.id}"]`);
    if (!row) { refresh(book); return; }
    if (!patchOrder(book, row, order)) { refresh(book); return; }
    countWorking(book);
  }

  // --- funds ---------------------------------------------------------------------------------------------

  function inr(v) {
    return `₹${Number(v).toLocaleString("en-IN", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  }

  function onFunds(event) {
    const funds = event.detail.data;
    if (!funds) return;
    document.querySelectorAll("[data-funds-field]").forEach((el) => {
      const value = funds[el.dataset.fundsField];
      if (value !== undefined && value !== null) el.textContent = inr(value);
    });
  }

  // --- positions' P&L ----------------------------------------------------------------------------------

  function sumPositions() {
    const rows = Array.from(document.querySelectorAll("[data-position-row]"));
    if (!rows.length) return;
    let unrealised = 0;
    let realised = 0;
    for (const row of rows) {
      unrealised += Number(row.dataset.unrealised || 0);
      realised += Number(row.dataset.realised || 0);
    }
    document.querySelectorAll('[data-pnl-sum="unrealised"]').forEach((el) => paint(el, unrealised));
    document.querySelectorAll('[data-pnl-sum="total"]').forEach((el) => paint(el, unrealised + realised));
  }

  function onQuote(event) {
    const row = event.target.closest && event.target.closest("[data-position-row]");
    const quote = event.detail;
    if (!row || !quote || quote.ltp === null || quote.ltp === undefined) return;
    const net = Number(row.dataset.netQty);
    const unrealised = net === 0 ? 0 : (Number(quote.ltp) - Number(row.dataset.avg)) * net;
    row.dataset.unrealised = String(Math.round(unrealised * 100) / 100);
    const cell = row.querySelector('[data-pnl="unrealised"]');
    if (cell) paint(cell, unrealised);
    const total = row.querySelector('[data-pnl="total"]');
    if (total) paint(total, unrealised + Number(row.dataset.realised || 0));
    sumPositions();
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.body.addEventListener("stream:order", onOrder);
    document.body.addEventListener("stream:funds", onFunds);
    document.body.addEventListener("quote", onQuote);
  });
})();
