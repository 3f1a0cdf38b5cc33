// Dashboard-wide behaviour: the IST clock. Page-specific code lives beside its page.
(function () {
  "use strict";
  const fmt = new Intl.DateTimeFormat("en-IN", {
    timeZone: "Asia/Kolkata", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  function tick() {
    document.querySelectorAll("[data-clock]").forEach((el) => { el.textContent = fmt.format(new Date()) + " IST"; });
  }
  document.addEventListener("DOMContentLoaded", () => { tick(); setInterval(tick, 1000); });
})();
