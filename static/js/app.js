// Dashboard-wide behaviour: the IST clock, the folding menu, dismissible messages, quick amounts.
// Page-specific code lives beside its page; the ticket sheet and shortcuts in sheet.js.
(function () {
  "use strict";
  const fmt = new Intl.DateTimeFormat("en-IN", {
    timeZone: "Asia/Kolkata", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  function tick() {
    document.querySelectorAll("[data-clock]").forEach((el) => { el.textContent = fmt.format(new Date()) + " IST"; });
  }

  function setMenu(open) {
    const menu = document.querySelector("[data-menu]");
    const toggle = document.querySelector("[data-menu-toggle]");
    if (!menu || !toggle) return;
    menu.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", String(open));
  }

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-menu-toggle]")) {
      setMenu(!document.querySelector("[data-menu]").classList.contains("open"));
      return;
    }
    if (!event.target.closest("[data-menu]")) setMenu(false);
    const dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) dismiss.parentElement.remove();
    const amount = event.target.closest("[data-amount]");
    if (amount) {
      const input = amount.closest("form").querySelector('input[name="amount"]');
      const current = Number((input.value || "0").replace(/,/g, "")) || 0;
      input.value = String(current + Number(amount.dataset.amount));
      input.focus();
    }
  });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") setMenu(false); });
  document.addEventListener("DOMContentLoaded", () => { tick(); setInterval(tick, 1000); });
})();
