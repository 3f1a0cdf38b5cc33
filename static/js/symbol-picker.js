// The backtest, sweep and run forms' instruments box: a search result's "Use" writes its key in place of
// the name being typed (the text after the last comma), so the box keeps a comma-separated list.
(function () {
  "use strict";
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-use-symbol]");
    if (!button) return;
    const box = document.querySelector("[data-symbol-box]");
    if (!box) return;
    const parts = box.value.split(",").map((part) => part.trim());
    parts[parts.length - 1] = button.dataset.useSymbol;
    box.value = [...new Set(parts.filter(Boolean))].join(", ");
    const results = document.getElementById(box.getAttribute("aria-controls"));
    if (results) results.replaceChildren();
    box.focus();
  });
})();
