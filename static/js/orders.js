// Order ticket and modify form: the fields each order type takes, the side colour, the lots.
// What the order blocks is the server's answer (the estimate box asks as the inputs change).
(function () {
  "use strict";
  const NEEDS = { price: ["LIMIT", "SL"], trigger: ["SL", "SL-M"] };

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

  document.addEventListener("change", (event) => {
    const form = event.target.closest("[data-order-form]");
    if (!form) return;
    if (event.target.name === "order_type") applyType(form);
    refresh(form);
  });
  document.addEventListener("input", (event) => {
    const form = event.target.closest("[data-order-form]");
    if (form && event.target.name === "quantity") applyLots(form);
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

  document.addEventListener("click", (event) => {
    const close = event.target.closest("[data-modify-close]");
    if (!close) return;
    close.closest("[data-modify-open]").remove();
    document.body.dispatchEvent(new CustomEvent("ordersChanged"));
  });

  function init(root) {
    const forms = root.matches && root.matches("[data-order-form]") ? [root] : [];
    if (root.querySelectorAll) forms.push(...root.querySelectorAll("[data-order-form]"));
    forms.forEach(refresh);
  }
  document.addEventListener("DOMContentLoaded", () => {
    init(document);
    if (window.htmx) window.htmx.onLoad(init);
  });
})();
