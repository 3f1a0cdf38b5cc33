// The order ticket from anywhere, and the keyboard.
// - A row's Buy/Sell/Exit loads the pre-filled ticket into #sheet-body (htmx); it opens as a dialog:
//   a bottom sheet on a phone, a side panel on a desk. Esc, the backdrop or ✕ close it.
// - Pages with their own ticket (chart, Orders) keep it beside the content on a desk; on a phone it
//   waits off-screen and the action bar raises it as a sheet ([data-sheet-inline]).
// - A sheet closes once its order is placed, as Kite's does (the notice is a toast on the page); a
//   ticket beside the content stays, keeping the trader's side, type and product. For a moment after
//   it closes, a tap where the submit button was is swallowed: a double tap's second tap would land on
//   whatever lay under it (on a phone, the tab bar) and take the trader away from the order's toast.
// - Shortcuts (desk): B / S on the focused row, arrows between rows, / to search, ? for help.
(function () {
  "use strict";
  const sheet = () => document.getElementById("ticket-sheet");
  // A double tap's second tap lands where the first did: after a placement closes the sheet, a tap there
  // is swallowed for a moment (taps elsewhere are not, and opening a ticket again ends it).
  const SECOND_TAP_MS = 600; // the double taps came 150-400 ms apart
  const SECOND_TAP_PX = 40;
  let lastPointer = { x: -1e4, y: -1e4 };
  let guard = { until: 0, x: 0, y: 0 };

  function focusTicket(root) {
    const quantity = root && root.querySelector('input[name="quantity"]');
    if (quantity && window.matchMedia("(min-width: 641px)").matches) { quantity.focus(); quantity.select(); }
  }

  function openDialogSheet() {
    guard.until = 0;
    const dialog = sheet();
    if (dialog && !dialog.open) dialog.showModal();
    focusTicket(dialog);
  }

  function closeDialogSheet() {
    const dialog = sheet();
    if (dialog && dialog.open) dialog.close();
  }

  // --- The inline ticket as a sheet (phone) -----------------------------------------------------------
  function backdrop() {
    let el = document.querySelector(".sheet-backdrop");
    if (!el) {
      el = document.createElement("div");
      el.className = "sheet-backdrop";
      el.addEventListener("click", () => closeInline());
      document.body.appendChild(el);
    }
    return el;
  }

  function setSide(form, side) {
    const radio = form && side && form.querySelector(`input[name="side"][value="${side}"]`);
    if (radio && !radio.checked) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function openInline(side) {
    const box = document.querySelector("[data-sheet-inline]");
    if (!box) return false;
    const form = box.querySelector("form");
    setSide(form, side);
    if (form) form.dispatchEvent(new CustomEvent("ticketOpened", { bubbles: true })); // a new intended order
    guard.until = 0;
    box.classList.add("sheet-open");
    backdrop().classList.add("open");
    focusTicket(box);
    return true;
  }

  function closeInline() {
    const box = document.querySelector("[data-sheet-inline].sheet-open");
    if (box) box.classList.remove("sheet-open");
    backdrop().classList.remove("open");
  }

  // --- Wiring ------------------------------------------------------------------------------------------
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "sheet-body") openDialogSheet();
  });


  document.addEventListener("pointerdown", (event) => { lastPointer = { x: event.clientX, y: event.clientY }; }, true);

  function closePlaced(close) {
    close();
    guard = { until: performance.now() + SECOND_TAP_MS, x: lastPointer.x, y: lastPointer.y };
  }

  document.addEventListener("htmx:load", (event) => {
    const form = event.detail.elt;
    if (!(form instanceof Element) || !form.matches("[data-order-form][data-placed]")) return;
    if (form.closest("#ticket-sheet")) closePlaced(closeDialogSheet);
    else if (form.closest("[data-sheet-inline].sheet-open")) closePlaced(closeInline);
  });

  document.addEventListener("click", (event) => {
    if (performance.now() >= guard.until) return;
    if (Math.hypot(event.clientX - guard.x, event.clientY - guard.y) > SECOND_TAP_PX) return;
    event.preventDefault();
    event.stopImmediatePropagation();
  }, true);

  document.addEventListener("click", (event) => {
    const dialog = sheet();
    if (dialog && event.target === dialog) { closeDialogSheet(); return; } // the backdrop
    if (event.target.closest("[data-sheet-close]")) {
      if (event.target.closest("#ticket-sheet")) closeDialogSheet();
      else closeInline();
      return;
    }
    const open = event.target.closest("[data-open-inline]");
    if (open) { openInline(open.dataset.openInline); return; }
    if (event.target.closest("[data-help-open]")) toggleHelp();
    const close = event.target.closest("[data-dialog-close]");
    if (close) close.closest("dialog").close();
  });

  document.addEventListener("DOMContentLoaded", () => {
    const dialog = sheet();
    if (dialog) dialog.addEventListener("close", () => { document.getElementById("sheet-body").replaceChildren(); });
  });

  // --- Keyboard ----------------------------------------------------------------------------------------
  function toggleHelp() {
    const help = document.getElementById("help");
    if (!help) return;
    if (help.open) help.close(); else help.showModal();
  }

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  function tradeFromRow(side) {
    const row = document.activeElement && document.activeElement.closest("[data-trade-row]");
    if (row) {
      const button = row.querySelector(`[data-trade="${side}"]`);
      if (button) { button.click(); return true; }
    }
    const form = document.querySelector("[data-sheet-inline] form[data-order-form]");
    if (form) { setSide(form, side); focusTicket(form); return true; }
    return false;
  }

  function moveRow(step) {
    const current = document.activeElement && document.activeElement.closest("[data-trade-row]");
    const rows = Array.from(document.querySelectorAll("[data-trade-row]"));
    if (!rows.length) return false;
    const index = current ? rows.indexOf(current) + step : (step > 0 ? 0 : rows.length - 1);
    const next = rows[Math.max(0, Math.min(rows.length - 1, index))];
    next.focus();
    return true;
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { closeInline(); return; }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (document.querySelector("dialog[open]") && event.key !== "?") return;
    let handled = false;
    if (event.key === "b" || event.key === "B") handled = tradeFromRow("BUY");
    else if (event.key === "s" || event.key === "S") handled = tradeFromRow("SELL");
    else if (event.key === "ArrowDown") handled = moveRow(1);
    else if (event.key === "ArrowUp") handled = moveRow(-1);
    else if (event.key === "?") { toggleHelp(); handled = true; }
    else if (event.key === "/") {
      const search = document.querySelector("[data-search-shortcut]");
      if (search) { search.focus(); search.select(); handled = true; }
    }
    if (handled) event.preventDefault();
  });
})();
