// Order ticket and modify form: the fields each order type takes, the side colour, the lots; one tap, one
// order; the inputs' errors as the trader types; what a HALTED account may not do; the order book's refresh.
// What the order blocks, and whether its inputs pass the order's rules, is the server's answer (the estimate
// box asks as the inputs change); the placement checks everything again.
(function () {
  "use strict";
  const NEEDS = { price: ["LIMIT", "SL"], trigger: ["SL", "SL-M"] };
  const HALTED_TITLE = "Trading is halted: only cancellations are accepted";

  function orderType(form) {
    const checked = form.querySelector('input[name="order_type"]:checked');
    if (checked) return checked.value;
    const select = form.querySelector('select[name="order_type"]');
    return select ? select.value : "MARKET";
  }

  // Show only the fields the type takes; hidden ones are disabled so they are not sent.
  function applyType(form) {
    const type = orderType(form);
    form.querySelectorAll("[data-needs]").forEach((box) => {
      const wanted = NEEDS[box.dataset.needs].includes(type);
      box.hidden = !wanted;
      box.querySelectorAll("input").forEach((input) => { input.disabled = !wanted; });
    });
  }

  function applyProduct(form) {
    const checked = form.querySelector('input[name="product"]:checked');
    const hint = form.querySelector("[data-product-hint]");
    if (checked && hint) hint.textContent = checked.dataset.hint || "";
  }

  function applySide(form) {
    const checked = form.querySelector('input[name="side"]:checked');
    if (!checked) return;
    form.dataset.side = checked.value;
    const label = form.querySelector("[data-side-label]");
    if (label) label.textContent = checked.value;
  }

  function applyLots(form) {
    const input = form.querySelector('input[name="quantity"]');
    const lots = form.querySelector("[data-lots]");
    if (!input || !lots) return;
    const lot = Number(input.dataset.lot) || 1;
    const quantity = Number(input.value.replace(/,/g, ""));
    lots.textContent = lot > 1 && quantity > 0 ? ` · ${+(quantity / lot).toFixed(2)} lot${quantity === lot ? "" : "s"}` : "";
  }

  function refresh(form) { applySide(form); applyProduct(form); applyLots(form); }

  // --- The submit button -----------------------------------------------------------------------------
  // Held while the ticket's order is placed (until the trader changes it), its inputs are refused, the
  // account is halted, or its request is in flight (htmx marks the form htmx-request meanwhile).
  function halted(form) {
    const bar = document.getElementById("statusbar"); // refreshed every few seconds; the form's flag is its render's
    if (bar) return bar.dataset.riskState === "HALTED";
    return Boolean(form && form.hasAttribute("data-halted"));
  }

  function updateSubmit(form) {
    const submit = form.querySelector('button[type="submit"]');
    if (!submit) return;
    submit.disabled = form.hasAttribute("data-placed") || form.hasAttribute("data-invalid") ||
      form.classList.contains("htmx-request") || halted(form);
  }

  // --- One tap, one order ------------------------------------------------------------------------------
  // The ticket's client_order_id names one intended order; the server answers a repeat with the first order.
  // Placed, the ticket keeps its key and holds its button, so a second tap cannot make a second order; a
  // change to the ticket (or New order, or opening it again) makes a new intended order with a new key.
  function freshKey() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function rearm(form) {
    if (!form.hasAttribute("data-placed")) return;
    form.removeAttribute("data-placed");
    const key = form.querySelector('input[name="client_order_id"]');
    if (key) key.value = freshKey();
    const placed = form.querySelector("[data-ticket-placed]");
    if (placed) placed.remove();
    updateSubmit(form);
  }

  // A form htmx has not taken yet (swapped in a moment ago) must never fall through to a plain post.
  document.addEventListener("submit", (event) => {
    if (window.htmx && !event.defaultPrevented && event.target.matches("[data-order-form]")) event.preventDefault();
  });
  document.addEventListener("ticketOpened", (event) => rearm(event.target)); // sheet.js raised the inline ticket

  // --- Errors as the trader types --------------------------------------------------------------------
  function setFieldError(form, slot, message) {
    slot.textContent = message;
    slot.hidden = !message;
    slot.toggleAttribute("data-live", Boolean(message));
    const input = form.querySelector(`[name="${slot.dataset.errorFor}"]`);
    if (!input) return;
    if (message) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", slot.id);
    } else {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  }

  // The estimate names the inputs the order's rules refuse: beside their fields, and the submit held.
  function showEstimateErrors(box) {
    const form = box.closest("[data-order-form]");
    if (!form) return;
    const refused = {};
    box.querySelectorAll("[data-field-error]").forEach((p) => { refused[p.dataset.fieldError] = p.textContent; });
    form.querySelectorAll("[data-error-for]").forEach((slot) => {
      const message = refused[slot.dataset.errorFor];
      if (message) setFieldError(form, slot, message);
      else if (slot.hasAttribute("data-live")) setFieldError(form, slot, "");
    });
    form.toggleAttribute("data-invalid", Object.keys(refused).length > 0);
    updateSubmit(form);
  }

  // An error the server gave on submit goes once the trader edits its field; the estimate then says anew.
  function clearSubmittedError(form, name) {
    const slot = form.querySelector(`[data-error-for="${name}"]`);
    if (slot && !slot.hidden && !slot.hasAttribute("data-live")) setFieldError(form, slot, "");
  }

  // --- Wiring ------------------------------------------------------------------------------------------
  function edited(event) {
    const form = event.target.closest("[data-order-form]");
    if (!form || event.target.matches("[data-symbol-input]")) return null;
    rearm(form);
    return form;
  }

  document.addEventListener("change", (event) => {
    const form = edited(event);
    if (!form) return;
    if (event.target.name === "order_type") applyType(form);
    refresh(form);
  });
  document.addEventListener("input", (event) => {
    const form = edited(event);
    if (!form) return;
    clearSubmittedError(form, event.target.name);
    if (event.target.name === "quantity") applyLots(form);
  });

  // Enter in the ticket's instrument search picks the first result, or asks for the best match;
  // it never submits an order.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !event.target.matches("[data-symbol-input]")) return;
    event.preventDefault();
    const form = event.target.closest("form");
    const pick = form.querySelector("#ticket-search-results [data-pick]");
    if (pick) { pick.click(); return; }
    const text = event.target.value.trim();
    if (!text || !window.htmx) return;
    const query = new URLSearchParams({ symbol: text, mode: "search" });
    if (form.querySelector('input[name="sheet"]')) query.set("sheet", "1");
    window.htmx.ajax("GET", `/trading/orders/ticket/?${query}`, { target: form, swap: "outerHTML" });
  });

  // --- The order book and its modify form ------------------------------------------------------------
  // The book refreshes itself, but never replaces a row the trader is editing: its request waits until
  // the modify form closes (Close, or the change sent).
  function closeModify(row) {
    row.remove();
    document.body.dispatchEvent(new CustomEvent("ordersChanged"));
  }

  document.addEventListener("htmx:beforeRequest", (event) => {
    const book = event.detail.elt;
    if (!(book instanceof Element)) return;
    if (book.matches("[data-order-book]") && book.querySelector("[data-modify-open]")) event.preventDefault();
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (!(form instanceof Element)) return;
    if (form.matches("[data-order-form]")) updateSubmit(form); // a request that failed outright leaves it as it was
    if (!form.matches("[data-modify-form]") || !event.detail.xhr || event.detail.xhr.status >= 300) return;
    const row = form.closest("[data-modify-open]"); // sent: its notice is in the book's message area
    if (row) closeModify(row);
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target instanceof Element && target.matches("[data-estimate]")) showEstimateErrors(target);
  });

  // A new price changes what a market order blocks: the estimate asks again once the price has moved more
  // than half of the 1% a market order blocks above it (the figure shown is then out of date), at most every
  // 2 s; smaller moves ask nothing. (Not htmx's `throttle`: while it runs, the element drops its other
  // triggers too, the trader's typing among them.)
  const QUOTE_ESTIMATE_MS = 2000;
  const QUOTE_MOVE = 0.005;
  function priceNow(form) {
    const quote = form.querySelector("[data-quote-key]");
    return quote ? Number(quote.dataset.ltp) : NaN;
  }
  function estimatedAt(box) {
    const form = box.closest("[data-order-form]");
    if (form) box.dataset.priceAt = String(priceNow(form));
    box.dataset.quotedAt = String(Date.now());
  }
  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target instanceof Element && target.matches("[data-estimate]")) estimatedAt(target);
  });
  document.addEventListener("quote", (event) => {
    const form = event.target.closest && event.target.closest("[data-order-form]");
    const box = form && form.querySelector("[data-estimate]");
    if (!box || !window.htmx) return;
    const now = priceNow(form);
    if (!box.dataset.priceAt && now > 0) { estimatedAt(box); return; } // drawn with the ticket at this price
    const was = Number(box.dataset.priceAt);
    if (!(now > 0) || (was > 0 && Math.abs(now - was) / was <= QUOTE_MOVE)) return; // (no price then: ask now)
    if (Date.now() - Number(box.dataset.quotedAt || 0) < QUOTE_ESTIMATE_MS) return;
    box.dataset.quotedAt = String(Date.now());
    window.htmx.trigger(box, "estimateQuote");
  });

  document.addEventListener("click", (event) => {
    const again = event.target.closest("[data-ticket-again]");
    if (again) { rearm(again.closest("[data-order-form]")); return; }
    const close = event.target.closest("[data-modify-close]");
    if (close) closeModify(close.closest("[data-modify-open]"));
  });

  // --- What a HALTED account may not do ---------------------------------------------------------------
  // The top bar's state (refreshed every few seconds and after each action) holds Buy, Sell, Exit, New
  // order, Modify and the tickets' submit; cancelling and squaring off stay. The server refuses regardless.
  function applyTradingState() {
    if (!document.getElementById("statusbar")) return;
    const stop = halted(null);
    document.querySelectorAll("[data-trade], [data-open-inline], [data-order-modify]").forEach((el) => {
      el.disabled = stop;
      if (stop) el.title = HALTED_TITLE;
      else if (el.title === HALTED_TITLE) el.removeAttribute("title");
    });
    document.querySelectorAll("[data-order-form]").forEach((form) => {
      const notice = form.querySelector("[data-halted-notice]");
      if (notice) notice.hidden = !stop;
      updateSubmit(form);
    });
  }

  function init(root) {
    const forms = root.matches && root.matches("[data-order-form]") ? [root] : [];
    if (root.querySelectorAll) forms.push(...root.querySelectorAll("[data-order-form]"));
    forms.forEach((form) => {
      refresh(form);
      const estimate = form.querySelector("[data-estimate]");
      if (estimate) showEstimateErrors(estimate); // drawn with the ticket: a pre-fill may already be refused
    });
    applyTradingState();
  }
  document.addEventListener("DOMContentLoaded", () => {
    init(document);
    if (window.htmx) window.htmx.onLoad(init);
  });
})();
