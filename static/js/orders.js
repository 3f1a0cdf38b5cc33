// Order ticket and modify form: the fields each order type takes, the side colour, the
// estimated value as the price moves. Everything else (rules, funds) is the server's answer.
(function () {
  "use strict";
  const NEEDS = { price: ["LIMIT", "SL"], trigger: ["SL", "SL-M"] };
  const money = new Intl.NumberFormat("en-IN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

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

  function number(input) {
    if (!input || input.disabled || input.value.trim() === "") return null;
    const value = Number(input.value.replace(/,/g, ""));
    return Number.isFinite(value) ? value : null;
  }

  function estimate(form) {
    const valueCell = form.querySelector('[data-estimate="value"]');
    if (!valueCell) return;
    const marginCell = form.querySelector('[data-estimate="margin"]');
    const quantityInput = form.querySelector('input[name="quantity"]');
    const quantity = number(quantityInput);
    const lots = form.querySelector("[data-lots]");
    const lot = Number(quantityInput && quantityInput.dataset.lot) || 1;
    if (lots) lots.textContent = lot > 1 && quantity ? ` · ${+(quantity / lot).toFixed(2)} lot${quantity === lot ? "" : "s"}` : "";
    const quote = form.querySelector("[data-quote-key]");
    const ltp = quote && quote.dataset.ltp ? Number(quote.dataset.ltp) : null;
    const type = orderType(form);
    let price = null;
    if (type === "LIMIT" || type === "SL") price = number(form.querySelector('input[name="price"]'));
    else if (type === "SL-M") price = number(form.querySelector('input[name="trigger_price"]')) || ltp;
    else price = ltp;
    const product = form.querySelector('input[name="product"]:checked');
    const rate = product ? Number(product.dataset.margin) : 1;
    if (quantity === null || quantity <= 0 || price === null) {
      valueCell.textContent = "—";
      if (marginCell) marginCell.textContent = "—";
      return;
    }
    const value = quantity * price;
    valueCell.textContent = `₹${money.format(value)}`;
    if (marginCell) marginCell.textContent = `₹${money.format(value * rate)}`;
  }

  function refresh(form) { applySide(form); applyProduct(form); estimate(form); }

  document.addEventListener("change", (event) => {
    const form = event.target.closest("[data-order-form]");
    if (!form) return;
    if (event.target.name === "order_type") applyType(form);
    refresh(form);
  });
  document.addEventListener("input", (event) => {
    const form = event.target.closest("[data-order-form]");
    if (form) estimate(form);
  });
  // quotes.js announces every new price on the element that shows it.
  document.addEventListener("quote", (event) => {
    const form = event.target.closest && event.target.closest("[data-order-form]");
    if (form) estimate(form);
  });
  document.addEventListener("keydown", (event) => {
    // Enter in the symbol box looks the instrument up; it must never submit an order.
    if (event.key === "Enter" && event.target.matches("[data-symbol-input]")) {
      event.preventDefault();
      event.target.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  document.addEventListener("click", (event) => {
    const close = event.target.closest("[data-modify-close]");
    if (!close) return;
    close.closest("[data-modify-open]").remove();
    document.body.dispatchEvent(new CustomEvent("ordersChanged"));
  });

  function init(root) {
    const forms = root.matches && root.matches("[data-order-form]") ? [root] : [];
    root.querySelectorAll && forms.push(...root.querySelectorAll("[data-order-form]"));
    forms.forEach(refresh);
  }
  document.addEventListener("DOMContentLoaded", () => {
    init(document);
    if (window.htmx) window.htmx.onLoad(init);
  });
})();
