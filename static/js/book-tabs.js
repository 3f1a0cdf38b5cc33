// The Orders page's Open and Executed tabs. The book (templates/orders/_order_book.html) lists every order and
// is redrawn or patched live; after each refresh the rows of the other tab are hidden again and the counts recounted.
// Which statuses are Executed comes from the server (orders.models.TERMINAL), on the tab list.
(function () {
  "use strict";
  const EMPTY = { open: "No open orders.", executed: "No executed orders yet." };

  function apply() {
    const tabs = document.querySelector("[data-book-tabs]");
    if (!tabs) return;
    const executed = new Set(tabs.dataset.executed.split(" "));
    const current = tabs.dataset.current || "open";
    const counts = { open: 0, executed: 0 };
    document.querySelectorAll("#order-book tr[data-order-id]").forEach((row) => {
      const group = executed.has(row.dataset.status) ? "executed" : "open";
      counts[group] += 1;
      row.hidden = group !== current;
    });
    tabs.querySelectorAll("[data-book-tab]").forEach((tab) => {
      const name = tab.dataset.bookTab;
      tab.setAttribute("aria-selected", String(name === current));
      tab.querySelector("[data-tab-count]").textContent = String(counts[name]);
    });
    const empty = document.querySelector("[data-book-tab-empty]");
    const any = document.querySelector("#order-book tr[data-order-id]");
    empty.hidden = !any || counts[current] > 0; // with no orders at all the book says so itself
    empty.textContent = EMPTY[current];
  }

  document.addEventListener("click", (event) => {
    const tab = event.target.closest("[data-book-tab]");
    if (!tab) return;
    tab.closest("[data-book-tabs]").dataset.current = tab.dataset.bookTab;
    apply();
  });
  document.addEventListener("htmx:afterSwap", apply);
  document.addEventListener("order:patched", apply); // a row the stream moved (live-book.js)
  document.addEventListener("DOMContentLoaded", apply);
})();
